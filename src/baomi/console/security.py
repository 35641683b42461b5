"""Console pages for staff security (issue #3 §3–§4): staff management and the four-eyes
approvals (security_admin), emergency-access and offboarding reviews (security_auditor),
the access review report (both). Thin: parse, call `baomi.access.services`, render.

None of these pages reads customer data. Secrets a service hands out once (a new
account's password and TOTP secret, a reset MFA secret, a temporary password) are
rendered in the response to the POST that created them and stored nowhere else — not in
the session, not in a flash message.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from baomi.access import services as access
from baomi.access.enums import ADMIN_ROLES, Role
from baomi.access.models import (
    ApprovalKind,
    ApprovalRequest,
    ApprovalState,
    BreakGlassReason,
    OperationReason,
)
from baomi.audit.monitoring import mark_read
from baomi.catalog import fields as catalog
from baomi.catalog.enums import Purpose, Treatment
from baomi.contract.participants import approval_kind
from baomi.core import clock, csvsafe
from baomi.core.downloads import attachment
from baomi.core.errors import BaomiError, NotFound, ValidationFailed

from . import forms, labels, selectors
from .decorators import error_page, role_required

SA, SYS, AUD, PO = (
    Role.SECURITY_ADMIN,
    Role.SYSTEM_ADMIN,
    Role.SECURITY_AUDITOR,
    Role.PRIVACY_OFFICER,
)
REQUESTERS = frozenset({SA.value, SYS.value, PO.value})  # access.services.request_approval
SEE_ALL_APPROVALS = frozenset({SA.value, AUD.value})


def _message(exc: BaomiError, not_found: str = "staff_not_found") -> str:
    if isinstance(exc, ValidationFailed):
        return "; ".join(labels.issue_message(i) for i in exc.issues)
    if isinstance(exc, NotFound):
        return labels.error_message(not_found, 404)
    return labels.error_message(exc.code, exc.status)


def _reason(request: HttpRequest, name: str = "reason") -> str:
    return request.POST.get(name, "").strip()[:500]


# -- staff management (security_admin) -------------------------------------------------------
def _role_options() -> list[tuple[str, str]]:
    return [(r.value, labels.choice_label(Role, r.value)) for r in Role]


def _staff_list(
    request: HttpRequest, errors: list[str] | None = None, form: dict[str, str] | None = None
) -> dict[str, Any]:
    return {
        "rows": selectors.staff_rows(),
        "role_options": _role_options(),
        "errors": errors or [],
        "form": form or {},
    }


@role_required(SA)
@require_http_methods(["GET"])
def staff_list(request: HttpRequest) -> HttpResponse:
    return render(request, "console/staff_list.html", _staff_list(request))


@role_required(SA)
@require_POST
def staff_create(request: HttpRequest) -> HttpResponse:
    username = request.POST.get("username", "").strip()[:150]
    role = request.POST.get("role", "")
    try:
        new, approval = access.create_staff_pending(request.user, username, role)
    except BaomiError as exc:
        ctx = _staff_list(request, [_message(exc)], {"username": username, "role": role})
        return render(request, "console/staff_list.html", ctx, status=exc.status)
    ctx = {
        "kind": "created",
        "username": new.staff.username,
        "new_role_label": labels.choice_label(Role, new.staff.role),
        "password": new.password,
        "secret": new.totp_secret,
        "secret_groups": forms.group(new.totp_secret or ""),
        "approval_id": approval.pk,
    }
    return render(request, "console/staff_secret.html", ctx, status=201)


@role_required(SA)
@require_http_methods(["GET"])
def staff_detail(request: HttpRequest, staff_id: int) -> HttpResponse:
    row = selectors.staff_row(staff_id)
    if row is None:
        return error_page(request, NotFound(code="staff_not_found"))
    ctx = {"s": row, "role_options": _role_options(), "is_self": row.id == request.user.pk}
    return render(request, "console/staff_detail.html", ctx)


def _back(request: HttpRequest, staff_id: int, exc: BaomiError) -> HttpResponse:
    if isinstance(exc, NotFound):
        return error_page(request, NotFound(code="staff_not_found"))
    messages.error(request, _message(exc))
    return redirect("console:staff_detail", staff_id=staff_id)


@role_required(SA)
@require_POST
def staff_role(request: HttpRequest, staff_id: int) -> HttpResponse:
    """A role change is a four-eyes request: it takes effect when another admin approves."""
    payload = {"staff_id": staff_id, "role": request.POST.get("role", "")}
    try:
        req = access.request_approval(
            request.user, ApprovalKind.ROLE_CHANGE, payload, _reason(request)
        )
    except BaomiError as exc:
        return _back(request, staff_id, exc)
    messages.success(
        request,
        _("Role change requested (request %(id)s). Another security administrator must approve it.")
        % {"id": req.pk},
    )
    return redirect("console:staff_detail", staff_id=staff_id)


@role_required(SA)
@require_POST
def staff_deactivate(request: HttpRequest, staff_id: int) -> HttpResponse:
    reason = _reason(request)
    if not reason:
        messages.error(request, _("Give a reason."))
        return redirect("console:staff_detail", staff_id=staff_id)
    try:
        review = access.deactivate_staff(request.user, staff_id, reason)
    except BaomiError as exc:
        return _back(request, staff_id, exc)
    ctx = {"username": review.staff.username, "customers": len(review.customers)}
    return render(request, "console/staff_deactivated.html", ctx)


def _reset_done(
    request: HttpRequest, staff_id: int, outcome: access.ResetOutcome, kind: str
) -> HttpResponse:
    """A privileged account: the reset waits for a second security administrator. Otherwise
    the one-time page (a temporary password; for MFA, only the enrolment deadline)."""
    if outcome.approval is not None:
        messages.success(
            request,
            _(
                "Reset requested (request %(id)s). The account is privileged: another security "
                "administrator must approve it."
            )
            % {"id": outcome.approval.pk},
        )
        return redirect("console:staff_detail", staff_id=staff_id)
    row = selectors.staff_row(staff_id)
    ctx = {
        "kind": kind,
        "username": row.username if row else "",
        "password": outcome.temporary_password,
        "enrol_by": outcome.enrol_by,
    }
    return render(request, "console/staff_secret.html", ctx)


@role_required(SA)
@require_POST
def staff_reset_mfa(request: HttpRequest, staff_id: int) -> HttpResponse:
    try:
        outcome = access.reset_mfa(request.user, staff_id, _reason(request))
    except BaomiError as exc:
        return _back(request, staff_id, exc)
    return _reset_done(request, staff_id, outcome, "mfa")


@role_required(SA)
@require_POST
def staff_reset_password(request: HttpRequest, staff_id: int) -> HttpResponse:
    try:
        outcome = access.reset_password(request.user, staff_id, _reason(request))
    except BaomiError as exc:
        return _back(request, staff_id, exc)
    return _reset_done(request, staff_id, outcome, "password")


@role_required(SA)
@require_POST
def staff_sessions(request: HttpRequest, staff_id: int) -> HttpResponse:
    try:
        access.terminate_sessions(request.user, staff_id)
    except BaomiError as exc:
        return _back(request, staff_id, exc)
    messages.success(request, _("Every session and API token of this account has ended."))
    return redirect("console:staff_detail", staff_id=staff_id)


# -- four-eyes approvals ------------------------------------------------------------------------
@dataclass
class ApprovalRow:
    id: int
    kind: str
    kind_label: str
    state: str
    state_label: str
    payload: list[tuple[str, str, str]]  # (label, code, display)
    reason: str
    requested_by: str
    requested_at: datetime
    expires_at: datetime
    left: str
    mine: bool
    can_decide: bool
    decided_by: str = ""
    decided_at: datetime | None = None
    note: str = ""


def _left(expires: datetime) -> str:
    seconds = int((expires - clock.now()).total_seconds())
    if seconds <= 0:
        return ""
    hours, rest = divmod(seconds, 3600)
    minutes = max(1, rest // 60) if not hours else rest // 60
    if hours:
        return _("%(h)s h %(m)s min") % {"h": hours, "m": minutes}
    return _("%(m)s min") % {"m": minutes}


def _kind_label(code: str) -> str:
    """The registered approval kind's label (participant contract), else the code."""
    spec = approval_kind(code)
    return labels.bilingual(spec.label) if spec else code


def _payload(payload: dict[str, Any], names: dict[int, str]) -> list[tuple[str, str, str]]:
    """(label, code, readable) per payload entry: codes only, never a customer value."""
    out = []
    for key, value in payload.items():
        code = str(value)
        if key == "staff_id":
            shown = names.get(int(value or 0), code)
        elif key == "role":
            shown = labels.choice_label(Role, value)
        elif key == "purpose":
            shown = labels.choice_label(Purpose, value)
        elif key == "treatment":
            shown = labels.choice_label(Treatment, value)
        elif key == "field":
            spec = catalog.BY_KEY.get(str(value))
            shown = labels.spec_label(spec) if spec else code
        elif key in ("activate", "password", "mfa"):
            code, shown = "", _("yes") if value else _("no")
        else:
            shown = code
        label = {
            "staff_id": _("Staff member"),
            "role": _("Role"),
            "activate": _("Activate the account"),
            "password": _("Reset the password"),
            "mfa": _("Reset two-step sign-in"),
            "purpose": _("Purpose"),
            "field": _("Field"),
            "treatment": _("Treatment"),
        }.get(key, key)
        out.append((label, code, shown))
    return out


def _rows(reqs: list[ApprovalRequest], user: Any) -> list[ApprovalRow]:
    ids = {
        int(r.payload.get("staff_id") or 0)
        for r in reqs
        if isinstance(r.payload, dict) and r.payload.get("staff_id")
    }
    names = selectors.usernames(ids)
    rows = []
    for r in reqs:
        mine = r.requested_by_id == user.pk
        rows.append(
            ApprovalRow(
                id=r.pk,
                kind=r.kind,
                kind_label=_kind_label(r.kind),
                state=r.state,
                state_label=labels.choice_label(ApprovalState, r.state),
                payload=_payload(r.payload if isinstance(r.payload, dict) else {}, names),
                reason=r.reason,
                requested_by=r.requested_by.username,
                requested_at=r.requested_at,
                expires_at=r.expires_at,
                left=_left(r.expires_at) if r.state == ApprovalState.REQUESTED else "",
                mine=mine,
                can_decide=user.role_code == SA.value
                and access.four_eyes_conflict(user, r) is None,
                decided_by=r.decided_by.username if r.decided_by else "",
                decided_at=r.decided_at,
                note=r.decision_note,
            )
        )
    return rows


@dataclass
class RequestForms:
    policy: dict[str, str] = field(default_factory=dict)
    policy_errors: list[str] = field(default_factory=list)
    key_reason: str = ""
    key_errors: list[str] = field(default_factory=list)


def _approvals_context(request: HttpRequest, rf: RequestForms | None = None) -> dict[str, Any]:
    user = request.user
    role = getattr(user, "role_code", "")
    pending = access.approvals("requested")
    decided = [a for a in access.approvals("all") if a.state != ApprovalState.REQUESTED][:30]
    if role not in SEE_ALL_APPROVALS:
        pending = [a for a in pending if a.requested_by_id == user.pk]
        decided = [a for a in decided if a.requested_by_id == user.pk]
    return {
        "pending": _rows(pending, user),
        "decided": _rows(decided, user),
        "can_request": role in REQUESTERS,
        "decides": role == SA.value,
        "rf": rf or RequestForms(),
        "override_roles": [
            (r.value, labels.choice_label(Role, r.value)) for r in Role if r not in ADMIN_ROLES
        ],
        "purposes": [(p.value, labels.choice_label(Purpose, p.value)) for p in Purpose],
        "fields": [
            (
                f"{s.entity}.{s.code}",
                f"{labels.ENTITY_NAMES.get(s.entity, s.entity)} · {labels.spec_label(s)}",
            )
            for s in catalog.FIELDS
        ],
        "treatments": [(t.value, labels.choice_label(Treatment, t.value)) for t in Treatment],
    }


@role_required(SA, AUD, PO, SYS)
@require_http_methods(["GET"])
def approvals(request: HttpRequest) -> HttpResponse:
    return render(request, "console/approvals.html", _approvals_context(request))


@role_required(SA)
@require_POST
def approval_decide(request: HttpRequest, approval_id: int) -> HttpResponse:
    decision = request.POST.get("decision", "")
    if decision not in ("approve", "reject"):
        messages.error(request, _("Choose approve or reject."))
        return redirect("console:approvals")
    try:
        req = access.decide_approval(
            request.user, approval_id, decision == "approve", _reason(request, "note")
        )
    except BaomiError as exc:
        messages.error(request, _message(exc, "approval_not_found"))
        return redirect("console:approvals")
    if req.kind == ApprovalKind.CREDENTIAL_RESET and req.state == ApprovalState.APPROVED:
        names = selectors.usernames({int(req.payload.get("staff_id") or 0)})
        ctx = {
            "kind": "password" if getattr(req, "issued_password", None) else "mfa",
            "username": next(iter(names.values()), ""),
            "password": getattr(req, "issued_password", None),
            "enrol_by": getattr(req, "enrol_by", None),
        }
        return render(request, "console/staff_secret.html", ctx)
    if req.state == ApprovalState.APPROVED:
        messages.success(request, _("Approved; the operation has been carried out."))
    else:
        messages.info(request, _("Rejected."))
    return redirect("console:approvals")


@role_required(SA, PO, SYS)
@require_POST
def approval_request_policy(request: HttpRequest) -> HttpResponse:
    keys = ("role", "purpose", "field", "treatment")
    payload = {k: request.POST.get(k, "")[:64] for k in keys}
    try:
        req = access.request_approval(
            request.user, ApprovalKind.POLICY_CHANGE, payload, _reason(request)
        )
    except BaomiError as exc:
        rf = RequestForms(
            policy={**payload, "reason": _reason(request)}, policy_errors=[_message(exc)]
        )
        ctx = _approvals_context(request, rf)
        return render(request, "console/approvals.html", ctx, status=exc.status)
    messages.success(
        request,
        _("Policy change requested (request %(id)s). A security administrator must approve it.")
        % {"id": req.pk},
    )
    return redirect("console:approvals")


@role_required(SA, PO, SYS)
@require_POST
def approval_request_key_rotation(request: HttpRequest) -> HttpResponse:
    try:
        req = access.request_approval(request.user, ApprovalKind.KEY_ROTATION, {}, _reason(request))
    except BaomiError as exc:
        rf = RequestForms(key_reason=_reason(request), key_errors=[_message(exc)])
        ctx = _approvals_context(request, rf)
        return render(request, "console/approvals.html", ctx, status=exc.status)
    messages.success(
        request,
        _("Key rotation requested (request %(id)s). A security administrator must approve it.")
        % {"id": req.pk},
    )
    return redirect("console:approvals")


# -- reviews (security_auditor) ------------------------------------------------------------------
@role_required(AUD, PO)
@require_http_methods(["GET"])
def review_break_glass_queue(request: HttpRequest) -> HttpResponse:
    """The auditor reviews each grant; the privacy officer, alerted at once, sees the same
    list read-only (issue #9 §3), and opening it marks their emergency alerts read."""
    grants = [
        {
            "g": g,
            "purpose_label": labels.choice_label(Purpose, g.purpose),
            "category_label": labels.choice_label(BreakGlassReason, g.reason_category)
            if g.reason_category
            else "",
        }
        for g in access.break_glass_queue()
    ]
    reviews = request.user.role_code == AUD.value  # type: ignore[union-attr]
    if not reviews:
        mark_read(PO.value)
    operations = [
        {"op": op, "category_label": labels.choice_label(OperationReason, op.reason_category)}
        for op in access.break_glass_operations_queue()
    ]
    ctx = {"grants": grants, "reviews": reviews, "operations": operations}
    return render(request, "console/review_break_glass.html", ctx)


@role_required(AUD)
@require_POST
def review_break_glass_operation(request: HttpRequest, op_id: int) -> HttpResponse:
    """The auditor's finding on a privileged command run on the host (issue #9 §2)."""
    try:
        access.review_break_glass_operation(request.user, op_id, _reason(request, "note"))
    except ObjectDoesNotExist:
        return error_page(request, NotFound(code="review_not_found"))
    except BaomiError as exc:
        messages.error(request, _message(exc, "review_not_found"))
        return redirect("console:review_break_glass")
    messages.success(request, _("Review recorded."))
    return redirect("console:review_break_glass")


@role_required(AUD)
@require_POST
def review_break_glass(request: HttpRequest, grant_id: int) -> HttpResponse:
    try:
        access.review_break_glass(request.user, grant_id, _reason(request, "note"))
    except (ObjectDoesNotExist, NotFound):
        return error_page(request, NotFound(code="review_not_found"))
    except BaomiError as exc:
        messages.error(request, _message(exc, "review_not_found"))
        return redirect("console:review_break_glass")
    messages.success(request, _("Review recorded."))
    return redirect("console:review_break_glass")


@role_required(AUD)
@require_http_methods(["GET"])
def review_offboarding_queue(request: HttpRequest) -> HttpResponse:
    reviews = access.offboarding_queue()
    return render(request, "console/review_offboarding.html", {"reviews": reviews})


@role_required(AUD)
@require_POST
def review_offboarding(request: HttpRequest, review_id: int) -> HttpResponse:
    try:
        access.review_offboarding(request.user, review_id, _reason(request, "note"))
    except ObjectDoesNotExist:
        return error_page(request, NotFound(code="review_not_found"))
    except BaomiError as exc:
        messages.error(request, _message(exc, "review_not_found"))
        return redirect("console:review_offboarding")
    messages.success(request, _("Review recorded."))
    return redirect("console:review_offboarding")


# -- access review report (security_admin, security_auditor) ---------------------------------------
CSV_COLUMNS = (
    "username",
    "role",
    "active",
    "mfa",
    "last_login",
    "last_read",
    "customer_reads",
    "sensitive_reads",
)


def _days(raw: str | None) -> int:
    try:
        return max(1, min(int(raw or 90), 366))
    except ValueError:
        return 90


def _parse(value: object) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


@role_required(SA, AUD)
@require_http_methods(["GET"])
def access_review(request: HttpRequest) -> HttpResponse:
    days = _days(request.GET.get("days"))
    rows = [
        {
            **r,
            "role_label": labels.choice_label(Role, r["role"]),
            "last_login_at": _parse(r["last_login"]),
            "last_read_at": _parse(r["last_read"]),
        }
        for r in access.access_review(days)
    ]
    return render(request, "console/access_review.html", {"rows": rows, "days": days})


@role_required(SA, AUD)
@require_http_methods(["GET"])
def access_review_csv(request: HttpRequest) -> HttpResponse:
    """Non-personal: usernames, roles, counts and dates — no customer value, no id."""
    days = _days(request.GET.get("days"))
    buf = io.StringIO()
    out = csvsafe.writer(buf, lineterminator="\r\n")
    out.writerow(CSV_COLUMNS)
    for r in access.access_review(days):
        out.writerow([r[c] for c in CSV_COLUMNS])
    today = timezone.localdate().isoformat()
    response = HttpResponse("\ufeff" + buf.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = attachment(f"baomi-access-review-{today}-{days}d.csv")
    response["Cache-Control"] = "no-store"
    return response
