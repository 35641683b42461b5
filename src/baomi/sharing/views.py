"""Console pages of the third-party register (`/sharing/`), for legal and the privacy
officer: the register with its indicators, partners (agreements, audits, suspension),
partners to notify, disclosures, and the lawful-request desk. Preparing a disclosure is
open to any staff member under a purpose they may use (the gate decides what they see).
Thin: parse, call a service, render. Errors come back in words, never as raw codes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from baomi.console import decorators
from baomi.console.context import active_purpose
from baomi.core.errors import BaomiError, ValidationFailed
from baomi.core.i18n import bi

from . import presenters as P
from . import selectors
from .models import (
    AuditResult,
    AuthorityType,
    CustomerNotice,
    DataLocation,
    Delivery,
    Disclosure,
    LawfulRequest,
    LawfulState,
    NoticeCause,
    Partner,
    PartnerKind,
    Severity,
    Standing,
)
from .services import common, disclosures, lawful, notices, partners

View = Callable[..., HttpResponse]
REGISTER = {r.value for r in common.REGISTER_ROLES}


def _error_text(exc: BaomiError) -> str:
    if isinstance(exc, ValidationFailed):
        return bi("；".join(i.zh for i in exc.issues), "; ".join(i.en for i in exc.issues))
    text = P.message(exc.code, exc.detail)
    extra = exc.extra.get("fields") if hasattr(exc, "extra") else None
    if extra:
        text += " " + P.fields(list(extra))
    return text


def _role_refused(request: HttpRequest) -> HttpResponse:
    ctx = {"message": P.message("role_required", ""), "status": 403}
    return render(request, "sharing/error.html", ctx, status=403)


# the console's decorator (baomi.console.decorators), refusing with the sharing page
register_only = decorators.roles_required(REGISTER, denied=_role_refused)


def _lines(post: QueryDict, name: str) -> list[str]:
    return [x.strip() for x in post.get(name, "").splitlines() if x.strip()]


# -- the register --------------------------------------------------------------------------
@register_only
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    rows = selectors.register()
    ctx = {
        "rows": [
            {
                "r": r,
                "kind": P.label(PartnerKind, r.partner.kind),
                "location": P.label(DataLocation, r.partner.data_location),
                "standing": P.label(type(r.standing.standing), r.standing.standing),
                "badge": P.STANDING_BADGE[r.standing.standing],
                "result": P.label(AuditResult, r.last_audit.result) if r.last_audit else "",
            }
            for r in rows
        ],
        "audited": selectors.partners_audited(),
        "encrypted": selectors.encrypted_transfers(),
        "expiring": selectors.agreements_expiring(),
        "refusals": _refusals(),
        "to_notify": [
            {"t": t, "cause": P.label(NoticeCause, t.cause)} for t in selectors.to_notify()
        ],
        "disclosures": [_disclosure_row(d) for d in selectors.disclosures(limit=20)],
    }
    return render(request, "sharing/dashboard.html", ctx)


def _refusals() -> dict[str, Any]:
    fig = selectors.refusals()
    lines = []
    for code, n in fig.breakdown.items():
        if code.startswith("customer:"):
            lines.append(
                (
                    bi("客户排除：", "Customers excluded: ")
                    + P.label(P.Exclusion, code.split(":", 1)[1]),
                    n,
                )
            )
        else:
            lines.append((P.label(P.Refusal, code), n))
    return {"total": fig.value, "lines": lines}


def _disclosure_row(d: Disclosure) -> dict[str, Any]:
    return {
        "d": d,
        "purpose": P.purpose(d.purpose),
        "state": P.label(P.DisclosureState, d.state),
        "refusal": P.label(P.Refusal, d.refusal) if d.refusal else "",
    }


def _partner_form_ctx(form: dict[str, Any], errors: list[str]) -> dict[str, Any]:
    return {
        "form": form,
        "errors": errors,
        "kinds": P.choices(PartnerKind),
        "locations": P.choices(DataLocation),
        "purposes": [(p.value, P.purpose(p.value)) for p in common.DISCLOSABLE_PURPOSES],
        "fields": [(k, P.field(k)) for k in common.DISCLOSABLE_FIELDS],
    }


def _agreement_from(post: QueryDict) -> dict[str, Any]:
    return {
        "document_ref": post.get("document_ref", ""),
        "signed_on": post.get("signed_on", ""),
        "expires_on": post.get("expires_on", ""),
        "signatories": _lines(post, "signatories"),
        "purposes": post.getlist("purposes"),
        "fields": post.getlist("fields"),
        "obligations": _lines(post, "obligations"),
    }


@register_only
@require_http_methods(["GET", "POST"])
def partner_new(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return render(request, "sharing/partner_new.html", _partner_form_ctx({}, []))
    post = request.POST
    data = {
        "name": post.get("name", ""),
        "kind": post.get("kind", ""),
        "data_location": post.get("data_location", ""),
        "assessment_ref": post.get("assessment_ref", ""),
        "public_key": post.get("public_key", ""),
        "incident_contact": post.get("incident_contact", ""),
        "agreement": _agreement_from(post),
    }
    try:
        partner = partners.register_partner(request.user, data)
    except BaomiError as exc:
        form = {
            **post.dict(),
            "purposes": post.getlist("purposes"),
            "fields": post.getlist("fields"),
        }
        ctx = _partner_form_ctx(form, [_error_text(exc)])
        return render(request, "sharing/partner_new.html", ctx, status=exc.status)
    messages.success(request, bi("已登记合作方及其协议。", "Partner and agreement registered."))
    return redirect("sharing:partner", partner.pk)


@register_only
@require_GET
def partner(request: HttpRequest, partner_id: int) -> HttpResponse:
    return _partner_page(request, partner_id)


def _partner_page(
    request: HttpRequest, partner_id: int, errors: list[str] | None = None, status: int = 200
) -> HttpResponse:
    detail = selectors.partner_detail(partner_id)
    if detail is None:
        return render(
            request, "sharing/error.html", {"message": P.message("not_found", "")}, status=404
        )
    p: Partner = detail["partner"]
    st = detail["standing"]
    agreement = st.agreement or (detail["agreements"][0] if detail["agreements"] else None)
    ctx = {
        **detail,
        "errors": errors or [],
        "kind": P.label(PartnerKind, p.kind),
        "location": P.label(DataLocation, p.data_location),
        "standing_label": P.label(type(st.standing), st.standing),
        "badge": P.STANDING_BADGE[st.standing],
        "suspension": P.label(P.SuspensionReason, p.suspension_reason)
        if p.suspension_reason
        else "",
        "agreement_rows": [
            {
                "a": a,
                "purposes": "、".join(P.purpose(x) for x in a.purposes),
                "fields": P.fields(a.fields),
                "in_force": st.agreement and a.pk == st.agreement.pk,
            }
            for a in detail["agreements"]
        ],
        "audit_rows": [
            {
                "a": a,
                "result": P.label(AuditResult, a.result),
                "failed": [c["item"] for c in a.checklist if not c["ok"]],
                "findings": [
                    {"f": f, "severity": P.label(Severity, f.severity)} for f in a.findings.all()
                ],
            }
            for a in detail["audits"]
        ],
        "obligations": agreement.obligations if agreement else [],
        "results": P.choices(AuditResult),
        "severities": P.choices(Severity),
        "disclosure_rows": [_disclosure_row(d) for d in detail["disclosures"]],
    }
    return render(request, "sharing/partner.html", ctx, status=status)


@register_only
@require_POST
def partner_audit(request: HttpRequest, partner_id: int) -> HttpResponse:
    post = request.POST
    items = post.getlist("item")
    checklist = [
        {"item": item, "ok": post.get(f"ok_{n}") == "yes", "note": post.get(f"note_{n}", "")}
        for n, item in enumerate(items)
    ]
    findings = [
        {
            "text": post.get(f"finding_{n}", ""),
            "owner": post.get(f"owner_{n}", ""),
            "due_on": post.get(f"due_{n}", ""),
            "severity": post.get(f"severity_{n}", "medium"),
        }
        for n in range(3)
        if post.get(f"finding_{n}", "").strip()
    ]
    data = {
        "auditor": post.get("auditor", ""),
        "audited_on": post.get("audited_on", ""),
        "checklist": checklist,
        "result": post.get("result", ""),
        "findings": findings,
    }
    try:
        partners.record_audit(request.user, partner_id, data)
    except BaomiError as exc:
        return _partner_page(request, partner_id, [_error_text(exc)], exc.status)
    messages.success(request, bi("已登记审计结果。", "Audit recorded."))
    return redirect("sharing:partner", partner_id)


@register_only
@require_POST
def partner_standing(request: HttpRequest, partner_id: int, action: str) -> HttpResponse:
    try:
        if action == "suspend":
            partners.suspend(request.user, partner_id, request.POST.get("note", ""))
        else:
            partners.reinstate(request.user, partner_id, request.POST.get("note", ""))
    except BaomiError as exc:
        return _partner_page(request, partner_id, [_error_text(exc)], exc.status)
    return redirect("sharing:partner", partner_id)


@register_only
@require_POST
def partner_agreement(request: HttpRequest, partner_id: int) -> HttpResponse:
    try:
        partners.add_agreement(request.user, partner_id, _agreement_from(request.POST))
    except BaomiError as exc:
        return _partner_page(request, partner_id, [_error_text(exc)], exc.status)
    messages.success(request, bi("已登记新协议。", "Agreement recorded."))
    return redirect("sharing:partner", partner_id)


@register_only
@require_POST
def notice(request: HttpRequest) -> HttpResponse:
    post = request.POST
    try:
        notices.record_notice(
            request.user,
            post.get("partner_id"),
            post.get("customer_id"),
            post.get("cause"),
            post.get("method"),
            post.get("reference", ""),
        )
    except BaomiError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, bi("已记录通知。", "Notice recorded."))
    return redirect("sharing:dashboard")


# -- disclosures ------------------------------------------------------------------------------
@decorators.staff_required
@require_http_methods(["GET", "POST"])
def disclose(request: HttpRequest) -> HttpResponse:
    purpose = active_purpose(request)
    ctx: dict[str, Any] = {
        "partners": [
            {
                "pk": r.partner.pk,
                "name": r.partner.name,
                "standing": "" if r.standing.active else P.label(Standing, r.standing.standing),
            }
            for r in selectors.register()
        ],
        "fields": [(k, P.field(k)) for k in common.DISCLOSABLE_FIELDS],
        "purpose_label": P.purpose(purpose.value) if purpose else "",
        "form": {},
        "errors": [],
    }
    if request.method == "GET":
        return render(request, "sharing/disclose.html", ctx)
    post = request.POST
    data = {
        "partner_id": post.get("partner_id", ""),
        "purpose": purpose.value if purpose else "",
        "customer_ids": post.get("customer_ids", ""),
        "fields": post.getlist("fields"),
    }
    ctx["form"] = {**data, "partner_id": data["partner_id"]}
    try:
        result = disclosures.prepare(request.user, data)
    except BaomiError as exc:
        ctx["errors"] = [_error_text(exc)]
        ctx["refusal_code"] = exc.code
        return render(request, "sharing/disclose.html", ctx, status=exc.status)
    d = result.disclosure
    ctx["result"] = {
        "d": d,
        "included": result.included,
        "excluded": [
            {
                "customer_id": e["customer_id"],
                "reason": P.label(P.Exclusion, e["reason"]),
                "code": e["reason"],
            }
            for e in result.excluded
        ],
        "token": result.token,
        "url": request.build_absolute_uri(f"/api/v1/disclosures/{d.pk}/package"),
        "fields": P.fields(d.fields),
    }
    return render(request, "sharing/disclose.html", ctx, status=201)


@decorators.staff_required
@require_GET
def disclosure(request: HttpRequest, disclosure_id: int) -> HttpResponse:
    d = (
        Disclosure.objects.defer("package")
        .select_related("partner")
        .filter(pk=disclosure_id)
        .first()
    )
    if d is None or (
        d.requested_by_id != request.user.pk
        and getattr(request.user, "role_code", "") not in REGISTER
    ):
        return render(
            request, "sharing/error.html", {"message": P.message("not_found", "")}, status=404
        )
    ctx = {
        **_disclosure_row(d),
        "fields_label": P.fields(d.fields),
        "excluded": [
            {"i": i, "reason": P.label(P.Exclusion, i.reason)} for i in selectors.excluded_of(d)
        ],
        "included": selectors.included_ids(d),
        "void_reason": P.label(P.VoidReason, d.void_reason) if d.void_reason else "",
    }
    return render(request, "sharing/disclosure.html", ctx)


# -- lawful requests ----------------------------------------------------------------------------
@register_only
@require_GET
def lawful_queue(request: HttpRequest) -> HttpResponse:
    include_closed = request.GET.get("closed") == "1"
    year = int(request.GET.get("year") or selectors.today().year)
    report = selectors.transparency(year)
    ctx = {
        "rows": [_lawful_row(r) for r in selectors.lawful_queue(include_closed)],
        "include_closed": include_closed,
        "report": {
            **report,
            "rows": [
                {
                    "authority": P.label(AuthorityType, a),
                    "states": [(P.label(LawfulState, s), n) for s, n in sorted(states.items())],
                }
                for a, states in sorted(report["by_authority"].items())
            ],
        },
    }
    return render(request, "sharing/lawful_queue.html", ctx)


def _lawful_row(r: LawfulRequest) -> dict[str, Any]:
    return {
        "r": r,
        "authority": P.label(AuthorityType, r.authority_type),
        "state": P.label(LawfulState, r.state),
        "fields": P.fields(r.fields),
        "approved_roles": [a.role for a in r.approvals.all() if a.approve],
    }


def _lawful_form_ctx(form: dict[str, Any], errors: list[str]) -> dict[str, Any]:
    staff = (
        get_user_model()
        .objects.filter(is_active=True, role__in=[r.value for r in lawful.HANDLER_ROLES])
        .order_by("username")
    )
    return {
        "form": form,
        "errors": errors,
        "authorities": P.choices(AuthorityType),
        "notices": P.choices(CustomerNotice),
        "fields": [(k, P.field(k)) for k in lawful.LAWFUL_FIELDS],
        "handlers": staff,
    }


@register_only
@require_http_methods(["GET", "POST"])
def lawful_new(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return render(request, "sharing/lawful_new.html", _lawful_form_ctx({}, []))
    post = request.POST
    officers = [
        {"name": post.get(f"officer_{n}", ""), "badge_no": post.get(f"badge_{n}", "")}
        for n in range(3)
        if post.get(f"officer_{n}", "").strip() or post.get(f"badge_{n}", "").strip()
    ]
    data = {
        "authority_type": post.get("authority_type", ""),
        "authority_name": post.get("authority_name", ""),
        "officers": officers,
        "document_type": post.get("document_type", ""),
        "document_no": post.get("document_no", ""),
        "legal_basis": post.get("legal_basis", ""),
        "customer_ids": post.get("customer_ids", ""),
        "fields": post.getlist("fields"),
        "period_from": post.get("period_from", ""),
        "period_to": post.get("period_to", ""),
        "deadline": post.get("deadline", ""),
        "handler_id": post.get("handler_id", ""),
        "customer_notice": post.get("customer_notice", ""),
        "notice_not_before": post.get("notice_not_before", ""),
    }
    try:
        req = lawful.register(request.user, data)
    except BaomiError as exc:
        form = {**post.dict(), "fields": post.getlist("fields")}
        return render(
            request,
            "sharing/lawful_new.html",
            _lawful_form_ctx(form, [_error_text(exc)]),
            status=exc.status,
        )
    messages.success(
        request,
        bi(
            "已登记，等待隐私官与法务审批。",
            "Registered; awaiting the privacy officer's and legal's approval.",
        ),
    )
    return redirect("sharing:lawful_detail", req.pk)


def _may_see(request: HttpRequest, r: LawfulRequest) -> bool:
    return request.user.pk == r.handler_id or getattr(request.user, "role_code", "") in REGISTER


@decorators.staff_required
@require_GET
def lawful_detail(request: HttpRequest, request_id: int) -> HttpResponse:
    return _lawful_page(request, request_id)


def _lawful_page(
    request: HttpRequest,
    request_id: int,
    errors: list[str] | None = None,
    status: int = 200,
    scope: list[dict[str, Any]] | None = None,
) -> HttpResponse:
    r = (
        LawfulRequest.objects.select_related("requested_by", "handler")
        .filter(pk=request_id)
        .first()
    )
    if r is None or not _may_see(request, r):
        return render(
            request, "sharing/error.html", {"message": P.message("not_found", "")}, status=404
        )
    me = request.user
    role = getattr(me, "role_code", "")
    decided = {a.role for a in r.approvals.all()}
    ctx = {
        **_lawful_row(r),
        "errors": errors or [],
        "approvals": [{"a": a, "role": P.half_role(a.role)} for a in r.approvals.order_by("at")],
        "may_decide": r.state == LawfulState.PENDING
        and role in {x.value for x in lawful.APPROVER_ROLES}
        and role not in decided
        and me.pk not in (r.requested_by_id, r.handler_id),
        "is_handler": me.pk == r.handler_id,
        "window_open": lawful.window_open(r),
        "may_close": r.is_open and (me.pk == r.handler_id or role in REGISTER),
        "reads": selectors.reads_of(r),
        "scope": scope,
        "scope_fields": [k.split(".", 1)[1] for k in r.fields if k.startswith("customer.")],
        "scope_field_labels": [P.field(k) for k in r.fields if k.startswith("customer.")],
        "notice_label": P.label(CustomerNotice, r.customer_notice),
        "delivery_label": P.label(Delivery, r.delivery) if r.delivery else "",
        "deliveries": P.choices(Delivery),
        "notices": P.choices(CustomerNotice),
    }
    return render(request, "sharing/lawful_detail.html", ctx, status=status)


@decorators.staff_required
@require_POST
def lawful_decision(request: HttpRequest, request_id: int) -> HttpResponse:
    try:
        lawful.decide(
            request.user,
            request_id,
            request.POST.get("approve") == "yes",
            request.POST.get("note", ""),
        )
    except BaomiError as exc:
        return _lawful_page(request, request_id, [_error_text(exc)], exc.status)
    return redirect("sharing:lawful_detail", request_id)


@decorators.staff_required
@require_POST
def lawful_scope(request: HttpRequest, request_id: int) -> HttpResponse:
    """The handler's scoped read (POST: it is an audited act, not a page view)."""
    try:
        rows = lawful.read_scope(request.user, request_id)
    except BaomiError as exc:
        return _lawful_page(request, request_id, [_error_text(exc)], exc.status)
    return _lawful_page(request, request_id, scope=rows)


@decorators.staff_required
@require_POST
def lawful_outcome(request: HttpRequest, request_id: int) -> HttpResponse:
    post = request.POST
    data = {k: post.get(k, "") for k in ("outcome", "reason", "delivery", "customer_notice")}
    try:
        lawful.close(request.user, request_id, data)
    except BaomiError as exc:
        return _lawful_page(request, request_id, [_error_text(exc)], exc.status)
    return redirect("sharing:lawful_detail", request_id)


@register_only
@require_POST
def lawful_notice(request: HttpRequest, request_id: int) -> HttpResponse:
    post = request.POST
    data: dict[str, Any] = {"customer_notice": post.get("customer_notice", "")}
    if "notice_not_before" in post:
        data["notice_not_before"] = post.get("notice_not_before", "")
    if post.get("notified") == "yes":
        data["notified"] = True
    try:
        lawful.customer_notice(request.user, request_id, data)
    except BaomiError as exc:
        return _lawful_page(request, request_id, [_error_text(exc)], exc.status)
    return redirect("sharing:lawful_detail", request_id)
