"""Portal pages (`/portal/`): thin — parse, call a portal service, render.

The signed-in visitor is a `DataSubject` for one customer, kept in the session (idle 15
minutes, at most 1 hour). Every personal value shown comes from the gate, read as that
data subject under rights_request (audited like any staff read).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from baomi.catalog.enums import Purpose
from baomi.consent import selectors as consents
from baomi.console.labels import PREFERENCE_CHOICES
from baomi.core.downloads import attachment
from baomi.core.errors import BaomiError, ValidationFailed
from baomi.core.i18n import bi, is_zh
from baomi.core.middleware import client_ip
from baomi.customers import gate
from baomi.rights import presenters
from baomi.rights import selectors as rights
from baomi.rights import services as rights_services

from . import services

SESSION = "baomi_portal"
PENDING = "baomi_portal_pending"
View = Callable[..., HttpResponse]
EDITABLE = ("name", "phone", "email", "address")


def _idle() -> int:
    return int(getattr(settings, "BAOMI_PORTAL_IDLE_SECONDS", 15 * 60))


def _max_age() -> int:
    return int(getattr(settings, "BAOMI_PORTAL_MAX_AGE_SECONDS", 60 * 60))


def current_subject(request: HttpRequest) -> gate.DataSubject | None:
    data = request.session.get(SESSION)
    if not isinstance(data, dict):
        return None
    now = int(time.time())
    if now - int(data.get("last", 0)) > _idle() or now - int(data.get("started", 0)) > _max_age():
        request.session.pop(SESSION, None)
        return None
    data["last"] = now
    request.session[SESSION] = data
    return gate.DataSubject(uuid.UUID(data["cid"]))


def subject_required(view: View) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        subject = current_subject(request)
        if subject is None:
            messages.info(request, bi("请先登录。", "Please sign in first."))
            return redirect("portal:start")
        return view(request, subject, *args, **kwargs)

    return wrapper


def _ip(request: HttpRequest) -> str:
    """The visitor's address for the rate limits: behind the TLS proxy, the one the trusted
    proxy saw (BAOMI_PROXY_COUNT), not the proxy's own, which every visitor shares."""
    return client_ip(request)


def _error_text(exc: BaomiError) -> str:
    if isinstance(exc, ValidationFailed):
        zh = "；".join(i.zh for i in exc.issues)
        en = "; ".join(i.en for i in exc.issues)
        return bi(zh, en)
    texts = {
        "rate_limited": ("请求过于频繁，请稍后再试。", "Too many attempts. Please try later."),
        "code_wrong": ("验证码不正确。", "That code is not right."),
        "code_exhausted": (
            "错误次数过多，请重新获取验证码。",
            "Too many wrong codes. Please ask for a new one.",
        ),
        "code_expired": (
            "验证码已失效，请重新获取。",
            "The code has expired. Please ask for a new one.",
        ),
        "erased": ("您的信息已删除。", "Your information has been erased."),
    }
    zh, en = texts.get(
        exc.code, ("操作未完成，请稍后再试。", "That did not work. Please try again.")
    )
    return bi(zh, en)


@require_http_methods(["GET", "POST"])
def start(request: HttpRequest) -> HttpResponse:
    if current_subject(request) is not None:
        return redirect("portal:home")
    ctx: dict[str, Any] = {"address": ""}
    if request.method == "POST":
        address = request.POST.get("address", "").strip()
        ctx["address"] = address
        try:
            sent = services.request_code(address, _ip(request))
        except BaomiError as exc:
            ctx["error"] = _error_text(exc)
            return render(request, "portal/start.html", ctx, status=exc.status)
        request.session[PENDING] = {"token": sent.token, "masked": sent.destination_masked}
        return redirect("portal:verify")
    return render(request, "portal/start.html", ctx)


@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    pending = request.session.get(PENDING)
    if not isinstance(pending, dict):
        return redirect("portal:start")
    ctx: dict[str, Any] = {"masked": pending.get("masked", "")}
    if request.method == "POST":
        try:
            subject = services.verify_code(
                pending["token"], request.POST.get("code", ""), _ip(request)
            )
        except BaomiError as exc:
            ctx["error"] = _error_text(exc)
            ctx["attempts_left"] = exc.extra.get("attempts_left")
            return render(request, "portal/verify.html", ctx, status=exc.status)
        request.session.cycle_key()  # no session fixation across the sign-in
        request.session.pop(PENDING, None)
        now = int(time.time())
        request.session[SESSION] = {"cid": str(subject.customer_id), "started": now, "last": now}
        return redirect("portal:home")
    return render(request, "portal/verify.html", ctx)


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    subject = current_subject(request)
    if subject is not None:
        services.sign_out(subject)
    request.session.pop(SESSION, None)
    request.session.cycle_key()
    messages.success(request, bi("您已退出。", "You have signed out."))
    return redirect("portal:start")


def _gone(request: HttpRequest) -> HttpResponse:
    request.session.pop(SESSION, None)
    return render(request, "portal/erased.html", status=410)


@subject_required
def home(request: HttpRequest, subject: gate.DataSubject) -> HttpResponse:
    try:
        view = gate.access_customer(subject, Purpose.RIGHTS_REQUEST, subject.customer_id)
    except BaomiError as exc:
        if exc.status == 410:
            return _gone(request)
        raise
    records = []
    for entity, items in view.records.items():
        if items:
            records.append(
                {
                    "label": presenters.entity_label(entity),
                    "items": [
                        {"meta": r.meta, "rows": presenters.field_rows(entity, r.fields)}
                        for r in items
                    ],
                }
            )
    mine = rights.for_customer(subject.customer_id)
    # refusal reasons are sealed: opened for the whole list in one gate call (audited)
    said = rights_services.open_texts(
        subject, subject.customer_id, [i.request for i in mine], codes=("refusal_reason",)
    )
    reqs = [
        {
            "r": i.request,
            "clock": i.clock,
            "kind": presenters.kind_label(i.request.kind),
            "state": presenters.state_label(i.request.state),
            "refusal_reason": said.text(i.request, "refusal_reason"),
        }
        for i in mine
    ]
    stored = view.fields.get("preferences")
    prefs: dict[str, Any] = stored if isinstance(stored, dict) else {}
    own = {
        "birth_date": view.fields.get("birth_date") or "",
        "preferences": [
            {
                "code": k.code,
                "label": k.label_zh if is_zh() else k.label_en,
                "value": services.shown_value(prefs.get(k.code)),
                "choices": [(c, str(PREFERENCE_CHOICES.get(c, c))) for c in k.choices],
            }
            for k in services.own_preference_keys()
        ],
    }
    ctx = {
        "own": own,
        "profile": presenters.field_rows("customer", view.fields),
        "editable": [
            (code, presenters.field_label("customer", code), view.fields.get(code) or "")
            for code in EDITABLE
        ],
        "records": records,
        "consents": consents.state_of(subject.customer_id),
        "requests": reqs,
        "erase_open": any(i.request.kind == "erase" and i.request.is_open for i in mine),
    }
    return render(request, "portal/home.html", ctx)


def _copy_response(request: HttpRequest, subject: gate.DataSubject, fmt: str) -> HttpResponse:
    try:
        copy = services.download_copy(subject)
    except BaomiError as exc:
        if exc.status == 410:
            return _gone(request)
        raise
    stamp = copy["generated_at"][:10]
    if fmt == "json":
        body = json.dumps(copy, ensure_ascii=False, indent=2)
        resp = HttpResponse(body, content_type="application/json; charset=utf-8")
    else:
        body = render_to_string("rights/copy.html", presenters.copy_context(copy), request)
        resp = HttpResponse(body, content_type="text/html; charset=utf-8")
    resp["Content-Disposition"] = attachment(f"baomi-copy-{stamp}.{fmt}")
    return resp


@subject_required
def copy_json(request: HttpRequest, subject: gate.DataSubject) -> HttpResponse:
    return _copy_response(request, subject, "json")


@subject_required
def copy_html(request: HttpRequest, subject: gate.DataSubject) -> HttpResponse:
    return _copy_response(request, subject, "html")


def _act(request: HttpRequest, action: Callable[[], Any], ok: str) -> HttpResponse:
    try:
        action()
    except BaomiError as exc:
        if exc.status == 410:
            return _gone(request)
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, ok)
    return redirect("portal:home")


@require_POST
@subject_required
def consent(request: HttpRequest, subject: gate.DataSubject) -> HttpResponse:
    purpose = request.POST.get("purpose", "")
    decision = request.POST.get("decision")
    given = decision == "give"
    ok = (
        bi("已记录您的同意。", "Your consent is recorded.")
        if given
        else bi("已记录您的拒绝。", "Your refusal is recorded.")
        if decision == "refuse"
        else bi("已撤回，立即生效。", "Withdrawn, effective now.")
    )
    refuse = decision == "refuse"
    return _act(request, lambda: services.set_consent(subject, purpose, given, refuse=refuse), ok)


@require_POST
@subject_required
def details(request: HttpRequest, subject: gate.DataSubject) -> HttpResponse:
    """The customer's own birthday and preferences, saved at once (customer-confirmed)."""
    prefs = {k.code: request.POST.get(f"pref_{k.code}", "") for k in services.own_preference_keys()}
    try:
        changed = services.update_own_details(subject, request.POST.get("birth_date", ""), prefs)
    except BaomiError as exc:
        if exc.status == 410:
            return _gone(request)
        messages.error(request, _error_text(exc))
    else:
        if changed:
            messages.success(request, bi("已保存。", "Saved."))
        else:
            messages.info(request, bi("没有需要保存的修改。", "Nothing to save."))
    return redirect(reverse("portal:home") + "#h-own")


@require_POST
@subject_required
def rectify(request: HttpRequest, subject: gate.DataSubject) -> HttpResponse:
    changes = {k: request.POST.get(k, "").strip() for k in EDITABLE}
    view = gate.access_customer(subject, Purpose.RIGHTS_REQUEST, subject.customer_id, related=False)
    changed = {k: v for k, v in changes.items() if v and v != (view.fields.get(k) or "")}
    note = request.POST.get("detail", "")
    return _act(
        request,
        lambda: services.request_rectification(subject, changed, note),
        bi("更正请求已提交，我们会尽快处理。", "Your correction request is filed."),
    )


@require_POST
@subject_required
def erase(request: HttpRequest, subject: gate.DataSubject) -> HttpResponse:
    if request.POST.get("confirm") != "yes":
        messages.error(request, bi("请勾选确认。", "Please tick the confirmation."))
        return redirect("portal:home")
    return _act(
        request,
        lambda: services.request_erasure(subject, request.POST.get("detail", "")),
        bi(
            "删除请求已提交。办结后您的信息将无法恢复。",
            "Your deletion request is filed. Once done, your data cannot be recovered.",
        ),
    )


@require_POST
@subject_required
def complaint(request: HttpRequest, subject: gate.DataSubject) -> HttpResponse:
    return _act(
        request,
        lambda: services.file_complaint(subject, request.POST.get("detail", "")),
        bi("投诉已提交，客服会尽快联系您。", "Your complaint is filed."),
    )
