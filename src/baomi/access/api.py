"""Auth tokens, staff administration, four-eyes approvals and break-glass (issue #3)."""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status

from . import services
from .enums import Role

router = Router(tags=["auth"])


class TokenIn(Schema):
    username: str
    password: str
    otp: str | None = None


class TokenOut(Schema):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime


@router.post("/token", response=TokenOut, auth=None)
def create_token(request: HttpRequest, body: TokenIn) -> TokenOut:
    staff = services.login(request, body.username, body.password, body.otp)
    issued = services.issue_token(staff)
    return TokenOut(access_token=issued.token, expires_at=issued.expires_at)


@router.delete("/token", response={204: None})
def delete_token(request: HttpRequest) -> Status[None]:
    services.revoke_token(request.staff, request.api_token)  # type: ignore[attr-defined]
    return Status(204, None)


class TokenInfo(Schema):
    id: int
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


@router.delete("/tokens", response={204: None})
def revoke_all(request: HttpRequest) -> Status[None]:
    """Sign out everywhere: revoke every API token of the caller."""
    services.revoke_all_tokens(request.staff)  # type: ignore[attr-defined]
    return Status(204, None)


class PasswordIn(Schema):
    username: str
    old_password: str
    new_password: str
    otp: str | None = None


@router.post("/password", response={204: None}, auth=None)
def change_password(request: HttpRequest, body: PasswordIn) -> Status[None]:
    """Change your own password (also when it has expired): the old password and a one-time
    code prove it is you. Every token is revoked afterwards."""
    staff = services.both_factors(request, body.username, body.old_password, body.otp)
    services.change_password(staff, body.old_password, body.new_password)
    return Status(204, None)


@router.get("/tokens", response=list[TokenInfo])
def list_tokens(request: HttpRequest) -> list[Any]:
    """Your own API tokens (metadata only; the token itself is never stored)."""
    return services.tokens_of(request.staff)  # type: ignore[attr-defined]


# -- staff administration (security_admin) and privileged operations ----------------------------
staff_router = Router(tags=["staff"])


class StaffIn(Schema):
    username: str
    role: str


class StaffCreated(Schema):
    id: int
    username: str
    role: str
    password: str
    totp_secret: str | None
    approval_id: int
    active: bool


@staff_router.post("", response={201: StaffCreated})
def create_staff(request: HttpRequest, body: StaffIn) -> Status[dict[str, Any]]:
    """Creates the account disabled; it works once a second security_admin approves the
    role grant (`/approvals/{approval_id}/decision`). Credentials are shown once."""
    new, req = services.create_staff_pending(request.staff, body.username, body.role)  # type: ignore[attr-defined]
    return Status(
        201,
        {
            "id": new.staff.pk,
            "username": new.staff.username,
            "role": new.staff.role,
            "password": new.password,
            "totp_secret": new.totp_secret,
            "approval_id": req.pk,
            "active": False,
        },
    )


class ReasonIn(Schema):
    reason: str


class ResetOut(Schema):
    """Done at once (`state: done`) for an ordinary account; for a privileged account a
    four-eyes request (`state: requested`, `approval_id`) another security_admin decides."""

    state: str
    approval_id: int | None = None
    temporary_password: str | None = None
    enrol_by: datetime | None = None


def _reset_out(r: services.ResetOutcome) -> Status[dict[str, Any]]:
    if r.approval is not None:
        return Status(202, {"state": "requested", "approval_id": r.approval.pk})
    body = {"state": "done", "temporary_password": r.temporary_password, "enrol_by": r.enrol_by}
    return Status(200, body)


@staff_router.post("/{staff_id}/reset-mfa", response={200: ResetOut, 202: ResetOut})
def reset_mfa(request: HttpRequest, staff_id: int, body: ReasonIn) -> Status[dict[str, Any]]:
    """The person enrols a new authenticator at their next console sign-in (`enrol_by`);
    nobody else sees the new secret."""
    return _reset_out(services.reset_mfa(request.staff, staff_id, body.reason))  # type: ignore[attr-defined]


@staff_router.post("/{staff_id}/reset-password", response={200: ResetOut, 202: ResetOut})
def reset_password(request: HttpRequest, staff_id: int, body: ReasonIn) -> Status[dict[str, Any]]:
    """A temporary password, shown once, valid 24 h, good only for choosing a new one."""
    return _reset_out(services.reset_password(request.staff, staff_id, body.reason))  # type: ignore[attr-defined]


@staff_router.post("/{staff_id}/terminate-sessions", response={204: None})
def terminate_sessions(request: HttpRequest, staff_id: int) -> Status[None]:
    services.terminate_sessions(request.staff, staff_id)  # type: ignore[attr-defined]
    return Status(204, None)


class DeactivateIn(Schema):
    reason: str = "departure"


class ReviewOut(Schema):
    id: int
    staff: str
    customers: list[dict[str, Any]]


@staff_router.post("/{staff_id}/deactivate", response=ReviewOut)
def deactivate(request: HttpRequest, staff_id: int, body: DeactivateIn) -> dict[str, Any]:
    r = services.deactivate_staff(request.staff, staff_id, body.reason)  # type: ignore[attr-defined]
    return {"id": r.pk, "staff": r.staff.username, "customers": r.customers}


@staff_router.get("/access-review", response=list[dict[str, Any]])
def access_review(
    request: HttpRequest,
    days: int = Query(90, ge=1, le=services.ACCESS_REVIEW_MAX_DAYS),
) -> list[dict[str, Any]]:
    services.require_role(request.staff, Role.SECURITY_ADMIN, Role.SECURITY_AUDITOR)  # type: ignore[attr-defined]
    return services.access_review(days)


approvals_router = Router(tags=["approvals"])


class ApprovalIn(Schema):
    kind: str
    payload: dict[str, Any]
    reason: str


class ApprovalOut(Schema):
    id: int
    kind: str
    payload: dict[str, Any]
    reason: str
    state: str
    requested_by: str
    requested_at: datetime
    expires_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    # an approved credential reset: the temporary password, in this response only
    temporary_password: str | None = None
    enrol_by: datetime | None = None


def _approval(a: Any) -> dict[str, Any]:
    return {
        "id": a.pk,
        "kind": a.kind,
        "payload": a.payload,
        "reason": a.reason,
        "state": a.state,
        "requested_by": a.requested_by.username,
        "requested_at": a.requested_at,
        "expires_at": a.expires_at,
        "decided_by": a.decided_by.username if a.decided_by else None,
        "decided_at": a.decided_at,
        "temporary_password": getattr(a, "issued_password", None),
        "enrol_by": getattr(a, "enrol_by", None),
    }


@approvals_router.post("", response={201: ApprovalOut})
def request_approval(request: HttpRequest, body: ApprovalIn) -> Status[dict[str, Any]]:
    a = services.request_approval(request.staff, body.kind, body.payload, body.reason)  # type: ignore[attr-defined]
    return Status(201, _approval(a))


@approvals_router.get("", response=list[ApprovalOut])
def list_approvals(request: HttpRequest, state: str = "requested") -> list[dict[str, Any]]:
    services.require_role(request.staff, Role.SECURITY_ADMIN, Role.SECURITY_AUDITOR)  # type: ignore[attr-defined]
    return [_approval(a) for a in services.approvals(state)]


class DecisionIn(Schema):
    approve: bool
    note: str = ""


@approvals_router.post("/{approval_id}/decision", response=ApprovalOut)
def decide(request: HttpRequest, approval_id: int, body: DecisionIn) -> dict[str, Any]:
    a = services.decide_approval(request.staff, approval_id, body.approve, body.note)  # type: ignore[attr-defined]
    return _approval(a)


break_glass_router = Router(tags=["break-glass"])


class BreakGlassIn(Schema):
    customer_id: str
    purpose: str
    reason_category: str = ""  # one of BreakGlassReason (life_or_health, public_security, …)
    reason: str


class BreakGlassOut(Schema):
    id: int
    staff: str
    customer_id: str
    purpose: str
    reason_category: str
    reason: str
    granted_at: datetime
    expires_at: datetime
    reviewed: bool


def _grant(g: Any) -> dict[str, Any]:
    return {
        "id": g.pk,
        "staff": g.staff.username,
        "customer_id": str(g.customer_id),
        "purpose": g.purpose,
        "reason_category": g.reason_category,
        "reason": g.reason,
        "granted_at": g.granted_at,
        "expires_at": g.expires_at,
        "reviewed": g.reviewed_at is not None,
    }


@break_glass_router.post("", response={201: BreakGlassOut})
def open_break_glass(request: HttpRequest, body: BreakGlassIn) -> Status[dict[str, Any]]:
    g = services.break_glass(
        request.staff,  # type: ignore[attr-defined]
        body.customer_id,
        body.purpose,
        body.reason,
        body.reason_category,
    )
    return Status(201, _grant(g))


@break_glass_router.get("", response=list[BreakGlassOut])
def review_queue(request: HttpRequest) -> list[dict[str, Any]]:
    services.require_role(request.staff, Role.SECURITY_AUDITOR)  # type: ignore[attr-defined]
    return [_grant(g) for g in services.break_glass_queue()]


class NoteIn(Schema):
    note: str


@break_glass_router.post("/{grant_id}/review", response=BreakGlassOut)
def review(request: HttpRequest, grant_id: int, body: NoteIn) -> dict[str, Any]:
    return _grant(services.review_break_glass(request.staff, grant_id, body.note))  # type: ignore[attr-defined]
