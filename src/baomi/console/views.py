"""Console views: thin — parse, call a service or the gate, format, render.

Every personal value on these pages comes from `baomi.customers.gate` (through
`services.search_customers` or `gate.access_customer`), already masked or withheld as the
policy decides for the viewer's role and the purpose chosen for the session. Search
criteria travel in POST bodies, never in URLs (which end up in access logs and history).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from baomi import audit
from baomi.access import recent
from baomi.access import services as access
from baomi.access.models import BreakGlassReason
from baomi.access.policy import may_write
from baomi.audit.models import Action, Outcome
from baomi.catalog.enums import Purpose
from baomi.consent import selectors as consent_selectors
from baomi.consent import services as consent_services
from baomi.consent.purposes import BY_CODE as CONSENT_BY_CODE
from baomi.consent.purposes import GATE_CONSENT
from baomi.contract import participants
from baomi.core.errors import BaomiError, Forbidden, ValidationFailed
from baomi.customers import gate, mrz, services

from . import forms, labels, presenters

# the console's decorators live in one module (issue #10 §2); imported here for the views
from .decorators import (
    View,
    error_page,
    purpose_required,
    role_required,
    staff_required,
)

__all__ = ["View", "error_page", "purpose_required", "role_required", "staff_required"]


@staff_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "console/home.html", {"next": ""})


@staff_required
@require_POST
def choose_purpose(request: HttpRequest) -> HttpResponse:
    try:
        p = gate.check_purpose(request.user, request.POST.get("purpose", ""))  # audits refusals
    except BaomiError as exc:
        messages.error(request, labels.error_message(exc.code, exc.status))
        return redirect("console:home")
    request.session["purpose"] = p.value
    audit.record(Action.PURPOSE_SELECTED, request.user, purpose=p)
    messages.success(
        request,
        _("Purpose set to “%(purpose)s”. Every read is recorded with it.")
        % {"purpose": labels.bilingual(p.label)},
    )
    nxt = request.POST.get("next", "")
    if nxt and url_has_allowed_host_and_scheme(
        nxt, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(nxt)
    return redirect("console:customer_search")


def _page_number(raw: str | None) -> int:
    try:
        return max(1, min(int(raw or 1), 10_000))
    except ValueError:
        return 1


@purpose_required
@require_http_methods(["GET", "POST"])
def customer_search(request: HttpRequest, purpose: Purpose) -> HttpResponse:
    criteria = {k: request.POST.get(k, "").strip() for k in services.SEARCH_FIELDS}
    ctx: dict[str, Any] = {"q": criteria, "errors": {}, "columns": presenters.search_columns()}
    if request.method != "POST":
        ctx["recent"] = _recent_customers(request, purpose)
        return render(request, "console/customer_search.html", ctx)
    try:
        page = services.search_customers(
            request.user, purpose, criteria, page=_page_number(request.POST.get("page"))
        )
    except ValidationFailed as exc:
        for issue in exc.issues:
            key = issue.field if issue.field in criteria else "*"
            ctx["errors"].setdefault(key, []).append(labels.issue_message(issue))
        return render(request, "console/customer_search.html", ctx, status=422)
    except BaomiError as exc:
        ctx["errors"]["*"] = [labels.error_message(exc.code, exc.status)]
        return render(request, "console/customer_search.html", ctx, status=exc.status)
    pages, numbers = presenters.page_numbers(page.page, page.total, page.page_size)
    ctx.update(
        searched=True,
        page=page,
        pages=pages,
        page_links=numbers,
        rows=presenters.search_rows(page.results),
        first=(page.page - 1) * page.page_size + 1,
        last=(page.page - 1) * page.page_size + len(page.results),
    )
    return render(request, "console/customer_search.html", ctx)


def _recent_customers(request: HttpRequest, purpose: Purpose) -> list[presenters.RecentRow]:
    """The viewer's last customers opened, as the gate shows them under this purpose (one
    bulk read, audited); erased customers drop out."""
    opened = recent.recent(request.user)
    if not opened:
        return []
    views = {v.id: v for v in gate.access_customers(request.user, purpose, [c for c, _ in opened])}
    return presenters.recent_rows([(views[str(c)], at) for c, at in opened if str(c) in views])


@purpose_required
@require_http_methods(["GET"])
def customer_detail(request: HttpRequest, purpose: Purpose, customer_id: Any) -> HttpResponse:
    response = _customer_360(request, purpose, customer_id)
    if response.status_code == 200:  # the gate let the viewer read the customer
        recent.remember(request.user, customer_id)
    return response


def _customer_360(
    request: HttpRequest,
    purpose: Purpose,
    customer_id: Any,
    decision: Mapping[str, str] | None = None,
    errors: forms.FormErrors | None = None,
    status: int = 200,
) -> HttpResponse:
    """The 360 page. The gate reads first (and refuses restricted or erased customers);
    only then the consent panel: every purpose's state and history from the consent ledger
    (codes and times, two queries), shown under any purpose — "no marketing consent" is
    what marketing staff need to see. The decision form only for roles that may write."""
    try:
        view = gate.access_customer(request.user, purpose, customer_id)
    except BaomiError as exc:
        return error_page(request, exc)
    role = request.user.role_code  # type: ignore[union-attr]
    page = presenters.customer_page(role, view)
    ctx = {
        "c": page,
        **_break_glass_context(purpose, page.break_glass, page.nothing_shown, role=role),
        "consents": presenters.consent_rows(
            consent_selectors.state_of(view.id), consent_selectors.history(view.id)
        ),
        "may_record_consent": may_write(role, purpose),
    }
    if ctx["may_record_consent"]:
        ctx.update(forms.consent_decision_form(decision or {}, errors or forms.FormErrors()))
    ctx["panels"] = [  # other domains' sections (participant contract), after the gate read
        {"template": panel.template, "context": built}
        for panel in participants.customer_panels()
        if (built := panel.build(request, view)) is not None
    ]
    return render(request, "console/customer_detail.html", ctx, status=status)


@purpose_required
@require_POST
def customer_consent(request: HttpRequest, purpose: Purpose, customer_id: Any) -> HttpResponse:
    """A decision the customer states at a counter or by phone (R-B3), recorded by staff
    whose role may change customer data under the console's purpose. A refused role gets
    the 403 page (the ledger's `authorise` audits it) whatever it sent."""
    try:
        consent_services.authorise(request.user, purpose, customer_id)
    except BaomiError as exc:
        return error_page(request, exc)
    decision = forms.consent_decision_input(request.POST)
    try:
        if decision.issues:
            raise ValidationFailed(decision.issues)
        consent_services.record(
            request.user,
            customer_id,
            decision.purpose,
            decision.given,
            channel=decision.channel,
            method=decision.method,
            evidence=decision.evidence,
            staff_purpose=purpose,
        )
    except ValidationFailed as exc:
        errors = forms.decision_errors(exc.issues)
        return _customer_360(request, purpose, customer_id, forms.echo(request.POST), errors, 422)
    except BaomiError as exc:
        return error_page(request, exc)
    spec = CONSENT_BY_CODE[decision.purpose]
    messages.success(
        request,
        _("Consent decision recorded: %(consent)s — %(decision)s.")
        % {
            "consent": spec.label_zh if labels.is_zh() else spec.label_en,
            "decision": _("Given") if decision.given else _("Refused or withdrawn"),
        },
    )
    return redirect(reverse("console:customer_detail", args=[customer_id]) + "#consents")


def _consent_bound(purpose: Purpose) -> bool:
    """A purpose the gate ties to the customer's consent (marketing): an emergency grant
    does not override a missing consent, so none is offered when nothing is shown."""
    return purpose in GATE_CONSENT


def _break_glass_context(
    purpose: Purpose,
    active: bool,
    nothing_shown: bool,
    reason: str = "",
    errors: Any = (),
    role: str = "",
    category: str = "",
) -> dict[str, Any]:
    blocked = nothing_shown and _consent_bound(purpose)
    return {
        "offer_break_glass": not active and not blocked and role in access.BREAK_GLASS_ROLES,
        "break_glass_blocked_by_consent": blocked,
        "break_glass_minutes": settings.BAOMI_BREAK_GLASS_MINUTES,
        "break_glass_per_day": settings.BAOMI_BREAK_GLASS_PER_DAY,
        "break_glass_reason": reason,
        "break_glass_category": category,
        "break_glass_categories": [
            (c.value, labels.choice_label(BreakGlassReason, c.value)) for c in BreakGlassReason
        ],
        "break_glass_errors": list(errors),
    }


@purpose_required
@require_http_methods(["GET", "POST"])
def break_glass(request: HttpRequest, purpose: Purpose, customer_id: Any) -> HttpResponse:
    """Open an emergency grant for one named customer (R-D4): granted at once for a limited
    time, flagged on every read, queued for the security auditor. No customer data is read
    here; the 360 page reads it afterwards, through the gate, under the grant."""
    role = request.user.role_code  # type: ignore[union-attr]
    ctx: dict[str, Any] = {"customer_id": str(customer_id), "purpose_label": ""}
    ctx.update(_break_glass_context(purpose, False, False, role=role))
    if request.method != "POST":
        if role not in access.BREAK_GLASS_ROLES:
            return error_page(request, Forbidden(code="break_glass_role"))
        return render(request, "console/break_glass.html", ctx)
    reason = request.POST.get("reason", "").strip()[:500]
    category = request.POST.get("reason_category", "")[:40]
    try:
        access.break_glass(request.user, str(customer_id), purpose.value, reason, category)
    except ValidationFailed as exc:
        errors = [labels.issue_message(i) for i in exc.issues]
        ctx.update(_break_glass_context(purpose, False, False, reason, errors, role, category))
        return render(request, "console/break_glass.html", ctx, status=422)
    except BaomiError as exc:
        return error_page(request, exc)
    messages.warning(
        request,
        _(
            "Emergency access granted for %(minutes)s minutes. Every read is flagged for the "
            "security auditor."
        )
        % {"minutes": settings.BAOMI_BREAK_GLASS_MINUTES},
    )
    return redirect("console:customer_detail", customer_id=customer_id)


@purpose_required
@require_http_methods(["GET", "POST"])
def customer_new(request: HttpRequest, purpose: Purpose) -> HttpResponse:
    role = request.user.role_code  # type: ignore[union-attr]
    if not may_write(role, purpose):
        if request.method == "POST":
            audit.record(
                Action.ACCESS_DENIED,
                request.user,
                purpose=purpose,
                object_type="customer",
                outcome=Outcome.DENIED,
                detail={"reason": "write_not_allowed", "via": "console"},
            )
        return error_page(request, Forbidden(code="write_forbidden"))

    def form_page(data: Any, errors: forms.FormErrors, status: int = 200) -> HttpResponse:
        notice = consent_services.current_notice().version
        ctx = forms.customer_form(data, errors, notice_version=notice)
        return render(request, "console/customer_new.html", ctx, status=status)

    if request.method == "POST" and request.POST.get("op") == "mrz":
        # a passport / card reader typed the MRZ: fill the form, nothing is saved yet
        try:
            read = mrz.parse(request.POST.get("mrz", ""))
        except ValidationFailed as exc:
            return form_page(forms.echo(request.POST), forms.form_errors(exc.issues, None), 422)
        return form_page({**forms.echo(request.POST), **read}, forms.FormErrors())
    if request.method == "POST":
        data, channel = forms.customer_input(request.POST)
        consent = forms.consent_input(request.POST)
        try:
            if consent.issues:  # reported with the profile's, before anything is written
                try:
                    services.clean_new_customer(data, channel)
                except ValidationFailed as exc:
                    raise ValidationFailed([*exc.issues, *consent.issues]) from None
                raise ValidationFailed(consent.issues)
            # the same service as POST /api/v1/customers: one transaction (R-B3)
            customer = consent_services.create_customer_with_consent(
                request.user,
                purpose,
                data,
                consent.choices,
                method=consent.method,
                channel=channel,
                evidence=consent.evidence,
            )
        except ValidationFailed as exc:
            return form_page(forms.echo(request.POST), forms.form_errors(exc.issues, consent), 422)
        except BaomiError as exc:
            errors = forms.FormErrors(general=[labels.error_message(exc.code, exc.status)])
            return form_page(forms.echo(request.POST), errors, exc.status)
        messages.success(request, _("Customer saved."))
        return redirect("console:customer_detail", customer_id=customer.id)
    return form_page({}, forms.FormErrors())
