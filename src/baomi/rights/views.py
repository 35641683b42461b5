"""Privacy-officer console pages (`/rights/`): dashboard with the consent KPI and SLA
figures, the request queue sorted by time left, request detail with transition buttons,
access copies, erasure certificates, the portal outbox, and intake of phone/counter
requests. Thin: parse, authorise, call a service, render (templates extend the console's
base). Personal text on these pages is opened by the gate under rights_request (audited).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from baomi.access.enums import Role
from baomi.catalog.enums import Channel, Purpose
from baomi.consent import selectors as consents
from baomi.console import decorators
from baomi.console.context import active_purpose
from baomi.core import workdays
from baomi.core.downloads import attachment
from baomi.core.errors import BaomiError, ValidationFailed
from baomi.core.i18n import bi
from baomi.portal import selectors as portal

from . import presenters, selectors, services
from .models import RequestKind, RequestState, Via
from .services import ALLOWED, INTAKE_ROLES

COPY_FORMATS = ("json", "html")  # the access copy's formats; anything else is a 404

View = Callable[..., HttpResponse]


def _issues(exc: ValidationFailed) -> str:
    return bi("；".join(i.zh for i in exc.issues), "; ".join(i.en for i in exc.issues))


MESSAGES = {
    "transition_not_allowed": ("当前状态不能执行这一步。", "This step is not possible now."),
    "erased": ("该客户的信息已删除。", "This customer's data has been erased."),
    "role_forbidden": ("您的岗位不能执行此操作。", "Your role cannot do this."),
    "role_required": ("您的岗位不能执行此操作。", "Your role cannot do this."),
    "not_found": ("未找到。", "Not found."),
    "copy_not_available": (
        "只有处理中或已完成的查阅请求才能生成副本。",
        "A copy is produced for an access request in progress or completed.",
    ),
}


def _message(exc: BaomiError) -> str:
    if isinstance(exc, ValidationFailed):
        return _issues(exc)
    pair = MESSAGES.get(exc.code)
    return bi(*pair) if pair else exc.detail


def _error(request: HttpRequest, exc: BaomiError) -> HttpResponse:
    message = _message(exc)
    ctx = {"status": exc.status, "message": message, "code": exc.code}
    return render(request, "rights/error.html", ctx, status=exc.status)


def _role_refused(request: HttpRequest) -> HttpResponse:
    message = bi("您的岗位不能使用此页面。", "Your role cannot use this page.")
    ctx = {"status": 403, "message": message, "code": "role_required"}
    return render(request, "rights/error.html", ctx, status=403)


def role_required(*roles: Role) -> Callable[[View], View]:
    """The console's decorator (baomi.console.decorators), refusing with the rights page."""
    return decorators.role_required(*roles, denied=_role_refused)


officer_only = role_required(Role.PRIVACY_OFFICER)


def _row(item: selectors.QueueItem) -> dict[str, Any]:
    r, c = item.request, item.clock
    return {
        "r": r,
        "clock": c,
        "kind": presenters.kind_label(r.kind),
        "state": presenters.state_label(r.state),
        "via": presenters.via_label(r.via),
        "channel": presenters.channel_label(r.channel),
    }


@officer_only
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    include_closed = request.GET.get("closed") == "1"
    items = selectors.queue(include_closed=include_closed)
    kpi = consents.kpi()
    for ch in kpi["per_channel"]:
        ch["label"] = presenters.channel_label(ch["channel"])
    ctx = {
        "rows": [_row(i) for i in items],
        "stats": selectors.stats(open_items=[i for i in items if i.request.is_open]),
        "kpi": kpi,
        "include_closed": include_closed,
        "calendar_gap": _calendar_gap(),
    }
    return render(request, "rights/dashboard.html", ctx)


def _calendar_gap() -> Any:
    """The first day within 60 days that no working-day calendar covers (due dates after
    it are Monday–Friday estimates), or None; a broken calendar file is said as such."""
    from django.utils import timezone

    try:
        return workdays.gap(timezone.localdate())
    except workdays.CalendarFileInvalid:
        return "invalid"


def _under_rights_request(request: HttpRequest) -> bool:
    """Personal text and copies open only while the session purpose is rights_request
    (the console's purpose bar), like every other read of customer data in the console."""
    return active_purpose(request) is Purpose.RIGHTS_REQUEST


@officer_only
@require_GET
def detail(request: HttpRequest, request_id: int) -> HttpResponse:
    try:
        req = selectors.get(request_id)
    except BaomiError as exc:
        return _error(request, exc)
    tomb = selectors.tombstone(req.customer_id)
    erased = tomb is not None
    purpose_ok = _under_rights_request(request)
    moves = selectors.moves(req)
    lifted = selectors.lifted_restrictions(req)
    sealed = [getattr(req, code) for code in services.REQUEST_TEXTS]
    sealed += [m.reason for m in moves] + [r.lift_reason for r in lifted]
    has_text = any(blob is not None for blob in sealed)
    texts = services.Texts()
    if purpose_ok and has_text and not erased:  # one gate call for the page, audited
        texts = services.open_texts(request.user, req.customer_id, [req], moves, lifted)
        erased = texts.erased
    opened = texts.of(req)
    changes = [
        (code, presenters.field_label("customer", code), presenters.show("customer", code, v))
        for code, v in (opened.get("changes") or {}).items()
    ]
    item = selectors.QueueItem(req, selectors.sla.clock(req))
    ctx = {
        "x": _row(item),
        "detail": opened.get("detail"),
        "changes": changes,
        "refusal_reason": texts.text(req, "refusal_reason"),
        "resolution": texts.text(req, "resolution"),
        "lifts": [{"r": r, "reason": texts.lifts.get(r.pk, "")} for r in lifted],
        "erased": erased,
        "moves": [
            {
                "m": m,
                "from": presenters.state_label(m.from_state),
                "to": presenters.state_label(m.to_state),
                "role": presenters.role_label(m.actor_role),
                "reason": texts.reason(m),
                "sealed": m.reason is not None,
            }
            for m in moves
        ],
        "next_states": [
            (s, presenters.move_label(s)) for s in RequestState if s in ALLOWED[req.state]
        ],
        "purpose_ok": purpose_ok,
        "has_text": has_text,
        "next": request.get_full_path(),
        "consents": [presenters.consent_label(c) for c in req.consents],
        "tombstone": tomb if req.kind == RequestKind.ERASE else None,
        "restricted": selectors.is_restricted(req.customer_id),
        "copy_ready": purpose_ok
        and req.kind == RequestKind.ACCESS
        and req.state in (RequestState.IN_PROGRESS, RequestState.COMPLETED)
        and not erased,
    }
    return render(request, "rights/detail.html", ctx)


@officer_only
@require_POST
def transition(request: HttpRequest, request_id: int) -> HttpResponse:
    to = request.POST.get("to", "")
    try:
        services.transition(request.user, request_id, to, request.POST.get("reason", ""))
    except BaomiError as exc:
        messages.error(request, _message(exc))
    else:
        messages.success(
            request,
            bi("状态已更新为：", "State changed to: ") + presenters.state_label(to),
        )
    return redirect("rights:detail", request_id=request_id)


@officer_only
@require_POST
def lift(request: HttpRequest, request_id: int) -> HttpResponse:
    try:
        req = selectors.get(request_id)
        services.lift_restriction(request.user, req.customer_id, request.POST.get("reason", ""))
    except BaomiError as exc:
        messages.error(request, _message(exc))
    else:
        messages.success(request, bi("限制已解除。", "Restriction lifted."))
    return redirect("rights:detail", request_id=request_id)


@officer_only
@require_GET
def copy(request: HttpRequest, request_id: int | str, fmt: str) -> HttpResponse:
    if fmt not in COPY_FORMATS:
        raise Http404
    try:
        req = selectors.get(request_id)
        if req.kind != RequestKind.ACCESS or req.state not in (
            RequestState.IN_PROGRESS,
            RequestState.COMPLETED,
        ):
            raise BaomiError("no copy for this request", code="copy_not_available")
        if not _under_rights_request(request):
            raise BaomiError(
                bi("请先选择用途“权利请求”。", "Choose the purpose “rights request” first."),
                code="purpose_required",
            )
        data = services.access_copy(request.user, req.customer_id)
    except BaomiError as exc:
        return _error(request, exc)
    stamp = data["generated_at"][:10]
    if fmt == "json":
        resp = HttpResponse(
            json.dumps(data, ensure_ascii=False, indent=2),
            content_type="application/json; charset=utf-8",
        )
    else:
        body = render_to_string("rights/copy.html", presenters.copy_context(data), request)
        resp = HttpResponse(body, content_type="text/html; charset=utf-8")
    resp["Content-Disposition"] = attachment(f"access-copy-{req.pk}-{stamp}.{fmt}")
    return resp


@officer_only
@require_GET
def certificate(request: HttpRequest, request_id: int) -> HttpResponse:
    try:
        req = selectors.get(request_id)
    except BaomiError as exc:
        return _error(request, exc)
    tomb = selectors.tombstone(req.customer_id) if req.kind == RequestKind.ERASE else None
    if tomb is None:
        return _error(request, BaomiError("no certificate", code="not_found"))
    cert = dict(tomb.certificate)
    records = [
        (presenters.entity_label(k), n)
        for k, n in cert.get("destroyed", {}).get("records", {}).items()
    ]
    retained = [
        {**h, "label": presenters.entity_label(h["entity"])} for h in cert.get("retained", [])
    ]
    ctx = {"cert": cert, "req": req, "records": records, "retained": retained}
    return render(request, "rights/certificate.html", ctx)


@officer_only
@require_GET
def outbox(request: HttpRequest) -> HttpResponse:
    rows = portal.outbox()
    return render(request, "rights/outbox.html", {"rows": rows})


@role_required(*INTAKE_ROLES)
@require_http_methods(["GET", "POST"])
def new(request: HttpRequest) -> HttpResponse:
    kinds = [(k.value, presenters.kind_label(k.value)) for k in RequestKind]
    channels = [(c.value, presenters.channel_label(c.value)) for c in Channel]
    ctx: dict[str, Any] = {"kinds": kinds, "channels": channels, "form": request.POST}
    if request.method == "POST":
        try:
            req = services.create_request(
                request.user,
                request.POST.get("customer_id", "").strip(),
                request.POST.get("kind", ""),
                detail=request.POST.get("detail", ""),
                via=Via.CONSOLE,
                channel=request.POST.get("channel") or "store",
            )
        except ValidationFailed as exc:
            ctx["errors"] = [bi(i.zh, i.en) for i in exc.issues]
            return render(request, "rights/new.html", ctx, status=422)
        except BaomiError as exc:
            ctx["errors"] = [_message(exc)]
            return render(request, "rights/new.html", ctx, status=exc.status)
        messages.success(request, bi("请求已登记：#", "Request entered: #") + str(req.pk))
        if request.user.role_code == Role.PRIVACY_OFFICER:  # type: ignore[union-attr]
            return redirect("rights:detail", request_id=req.pk)
        return redirect("rights:new")
    return render(request, "rights/new.html", ctx)
