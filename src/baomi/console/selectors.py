"""Console reads about staff accounts (never about customers): the staff list with MFA
status, one query per table however many accounts there are."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django_otp.plugins.otp_totp.models import TOTPDevice

from baomi.access.enums import PRIVILEGED_ROLES, Role
from baomi.access.models import ApprovalKind, ApprovalRequest, ApprovalState, Staff

from . import labels


@dataclass(frozen=True)
class StaffRow:
    id: int
    username: str
    role: str
    role_label: str
    state: str  # active, pending (awaiting the four-eyes approval), deactivated
    mfa: bool
    last_login: datetime | None
    must_change_password: bool
    privileged: bool = False  # a reset is a four-eyes request (issue #9 §2)


def _state(s: Staff, pending: set[int]) -> str:
    if s.is_active:
        return "active"
    if s.deactivated_at is None and s.pk in pending:
        return "pending"
    return "deactivated"


def pending_account_ids() -> set[int]:
    """Accounts whose creation (role grant with activation) awaits a second admin."""
    out = set()
    for payload in ApprovalRequest.objects.filter(
        kind=ApprovalKind.ROLE_CHANGE, state=ApprovalState.REQUESTED
    ).values_list("payload", flat=True):
        if isinstance(payload, dict) and payload.get("activate"):
            out.add(int(payload.get("staff_id") or 0))
    return out


def staff_rows() -> list[StaffRow]:
    enrolled = set(
        TOTPDevice.objects.filter(confirmed=True).values_list("user_id", flat=True).distinct()
    )
    pending = pending_account_ids()
    return [
        StaffRow(
            id=s.pk,
            username=s.username,
            role=s.role,
            role_label=labels.choice_label(Role, s.role),
            state=_state(s, pending),
            mfa=s.pk in enrolled,
            last_login=s.last_login,
            must_change_password=s.must_change_password,
        )
        for s in Staff.objects.order_by("username")[:1000]
    ]


def staff_row(staff_id: int) -> StaffRow | None:
    s = Staff.objects.filter(pk=staff_id).first()
    if s is None:
        return None
    return StaffRow(
        id=s.pk,
        username=s.username,
        role=s.role,
        role_label=labels.choice_label(Role, s.role),
        state=_state(s, pending_account_ids()),
        mfa=TOTPDevice.objects.filter(user=s, confirmed=True).exists(),
        last_login=s.last_login,
        must_change_password=s.must_change_password,
        privileged=s.role in PRIVILEGED_ROLES,
    )


def usernames(ids: set[int]) -> dict[int, str]:
    return dict(Staff.objects.filter(pk__in=ids).values_list("pk", "username"))
