"""Staff accounts, authentication, tokens, approvals, break-glass and offboarding.

Every state change here appends its audit event in the same transaction (DESIGN.md §3).
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connection, transaction
from django.db.models import Count, Max, Q

from baomi import audit
from baomi.audit.models import Action, AuditEvent, Outcome
from baomi.catalog import fields as catalog
from baomi.catalog.enums import Purpose, Treatment
from baomi.contract import participants
from baomi.core import clock
from baomi.core.context import client_ip
from baomi.core.errors import (
    BaomiError,
    Conflict,
    FieldIssue,
    Forbidden,
    Gone,
    NotAuthenticated,
    NotFound,
    ValidationFailed,
)
from baomi.core.sql import Loader, db_value, statement

from . import mfa, throttle
from .enums import ADMIN_ROLES, PRIVILEGED_ROLES, Role
from .models import (
    ApiToken,
    ApprovalKind,
    ApprovalRequest,
    ApprovalState,
    BreakGlassGrant,
    BreakGlassOperation,
    BreakGlassReason,
    OffboardingReview,
    OperationReason,
    PasswordHistory,
    Staff,
)
from .passwords import PASSWORD_ZH, min_age_blocks, password_expired
from .policy import may_use, within_purpose
from .usernames import clean_username


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _invalid(field: str, code: str, en: str, zh: str) -> ValidationFailed:
    return ValidationFailed([FieldIssue(field, code, en, zh)])


def require_role(actor: Any, *roles: Role) -> None:
    if getattr(actor, "role_code", None) not in {r.value for r in roles}:
        raise Forbidden(
            f"this action needs the role {' or '.join(r.value for r in roles)}",
            code="role_required",
        )


# -- accounts -------------------------------------------------------------------------------
@dataclass(frozen=True)
class NewStaff:
    staff: Staff
    password: str
    totp_secret: str | None


def _set_password(staff: Staff, password: str, field: str) -> None:
    """Check the password policy (Django validators + ours), then hash it (argon2)."""
    try:
        validate_password(password, staff)
    except DjangoValidationError as exc:
        codes = [str(e.code or "") for e in exc.error_list]
        zh = "；".join(PASSWORD_ZH.get(c, "密码不符合安全策略") for c in codes)
        raise _invalid(field, "password_weak", "; ".join(exc.messages), zh) from None
    staff.set_password(password)
    staff.password_changed_at = clock.now()


@transaction.atomic
def create_staff(
    actor: Any, username: str, role: str, password: str | None = None, *, with_totp: bool = False
) -> tuple[Staff, str]:
    """Create a staff account with one role. Returns (staff, password) — a generated
    password when none is given (shown once, never stored in plaintext)."""
    if role not in Role.values:
        raise _invalid(
            "role", "role_unknown", f"role must be one of {', '.join(Role.values)}", "角色代码无效"
        )
    username = clean_username(username)
    if Staff.objects.filter(username=username).exists():
        raise BaomiError("username already taken", code="username_taken")
    generated = password is None
    password = password or secrets.token_urlsafe(15)
    staff = Staff(username=username, role=role, must_change_password=generated)
    if actor is not None:  # someone else knows these credentials: four-eyes taint
        staff.credentials_set_by = [actor.pk]
        staff.password_self_set = staff.mfa_self_enrolled = False
    _set_password(staff, password, "password")
    staff.save()
    PasswordHistory.objects.create(staff=staff, password=staff.password)
    audit.record(
        Action.STAFF_CREATED, actor, object_type="staff", object_id=staff.pk, detail={"role": role}
    )
    return staff, password


@transaction.atomic
def create_staff_with_mfa(
    actor: Any, username: str, role: str, password: str | None = None
) -> NewStaff:
    """`baomi createstaff`: the account plus, for roles that need MFA, a confirmed TOTP
    secret handed to the person directly (INTERFACES.md prints it once)."""
    staff, pw = create_staff(actor, username, role, password)
    secret = None
    if mfa.requires_mfa(role):
        secret = mfa.start_enrolment(staff, confirmed=True).secret_b32
        audit.record(
            Action.MFA_ENROLLED,
            actor,
            object_type="staff",
            object_id=staff.pk,
            detail={"via": "createstaff"},
        )
    return NewStaff(staff, pw, secret)


@transaction.atomic
def change_password(staff: Staff, old: str, new: str) -> None:
    if not staff.check_password(old):
        raise _invalid(
            "old_password", "wrong_password", "current password is wrong", "当前密码错误"
        )
    if min_age_blocks(staff):
        hours = settings.BAOMI_PASSWORD_MIN_AGE_HOURS
        raise _invalid(
            "new_password",
            "password_too_recent",
            f"you changed your password less than {hours} hours ago; change it again later "
            "(a security administrator can reset it if it was exposed)",
            f"距上次修改密码不足 {hours} 小时，请稍后再改（如密码泄露，请联系安全管理员重置）",
        )
    _set_password(staff, new, "new_password")
    staff.must_change_password = False
    staff.password_self_set = True
    _clear_taint_if_self_owned(staff)
    staff.save(
        update_fields=[
            "password",
            "password_changed_at",
            "must_change_password",
            "password_self_set",
            "credentials_set_by",
            "credentials_expire_at",
        ]
    )
    PasswordHistory.objects.create(staff=staff, password=staff.password)
    ApiToken.objects.filter(staff=staff, revoked_at__isnull=True).update(revoked_at=clock.now())
    audit.record(Action.PASSWORD_CHANGED, staff, object_type="staff", object_id=staff.pk)


def _clear_taint_if_self_owned(staff: Staff) -> None:
    """The four-eyes taint ends once the account has both changed its password and enrolled
    its own authenticator since the last time someone else set its credentials."""
    if staff.password_self_set and staff.mfa_self_enrolled:
        staff.credentials_set_by = []
        staff.credentials_expire_at = None


@transaction.atomic
def confirm_own_enrolment(staff: Staff, code: str) -> list[str]:
    """The account enrols its own authenticator (console, first sign-in or after an MFA
    reset) within the enrolment window. Returns the new recovery codes ([] = wrong code)."""
    if enrolment_window_closed(staff):
        raise Forbidden(
            "the window to enrol a new authenticator has closed; ask for a new reset",
            code="enrolment_expired",
        )
    codes = mfa.confirm_enrolment(staff, code)
    if not codes:
        return []
    staff.mfa_self_enrolled = True
    _clear_taint_if_self_owned(staff)
    staff.save(update_fields=["mfa_self_enrolled", "credentials_set_by", "credentials_expire_at"])
    audit.record(
        Action.MFA_ENROLLED,
        staff,
        object_type="staff",
        object_id=staff.pk,
        detail={"via": "console"},
    )
    return codes


def enrolment_window_closed(staff: Staff) -> bool:
    """An MFA reset (or a new account) leaves 24 h to enrol; after that only a new reset
    opens it again. Accounts never given a window (created without MFA) keep it open."""
    expires = staff.credentials_expire_at
    return not staff.mfa_self_enrolled and expires is not None and clock.now() >= expires


def credentials_expired(staff: Staff) -> bool:
    """A temporary password (reset or generated by an administrator) works for 24 h."""
    expires = staff.credentials_expire_at
    return bool(staff.must_change_password and expires is not None and clock.now() >= expires)


# -- authentication -------------------------------------------------------------------------
class LockedOut(BaomiError):
    status = 429
    code = "locked_out"
    title = "Locked out"


class MfaRequired(BaomiError):
    status = 401
    code = "mfa_required"
    title = "One-time code required"


class PasswordExpired(BaomiError):
    status = 403
    code = "password_expired"
    title = "Password expired"


BAD_CREDENTIALS = "wrong username, password or one-time code"


def _locked_out(refusal: throttle.Refusal) -> LockedOut:
    minutes = max(1, -(-refusal.retry_after // 60))
    audit.record(
        Action.LOCKED_OUT,
        None,
        object_type="staff",
        outcome=Outcome.DENIED,
        detail={"scope": refusal.scope, "seconds": refusal.retry_after},
    )
    if refusal.scope == "pair":
        detail = f"too many failed sign-ins; try again in {minutes} minutes"
    else:
        detail = f"too many sign-in attempts for this account; try again in {minutes} minutes"
    return LockedOut(detail, scope=refusal.scope, retry_after=refusal.retry_after, minutes=minutes)


def check_password_only(
    request: Any, username: str, password: str, *, expiry_after_code: bool = False
) -> Staff:
    """First factor. Before the password is looked at, the attempt is counted per account
    and per (username, address) (baomi.access.throttle): a locked pair or an account in
    its back-off window answers LockedOut without checking anything. django-axes stays
    behind it as a backstop (5 failures per username + IP, 15 min)."""
    refusal = throttle.attempt(request, username, client_ip(request))
    if refusal is not None:
        raise _locked_out(refusal)
    staff = authenticate(request, username=username, password=password)
    if getattr(request, "axes_locked_out", False):  # audited by access.lockout
        raise LockedOut("too many failed sign-ins; try again in 15 minutes")
    if not isinstance(staff, Staff) or not staff.is_active:
        audit.record(
            Action.LOGIN_FAILED,
            None,
            object_type="staff",
            outcome=Outcome.FAILED,
            detail={"username_len": len(username or "")},
        )
        raise NotAuthenticated("wrong username or password", code="bad_credentials")
    if not expiry_after_code:
        refuse_expired_credentials(staff)
    return staff


def refuse_expired_credentials(staff: Staff) -> None:
    """An administrator-issued temporary password older than 24 h is refused (audited)."""
    if credentials_expired(staff):
        audit.record(
            Action.LOGIN_FAILED,
            staff,
            object_type="staff",
            object_id=staff.pk,
            outcome=Outcome.DENIED,
            detail={"reason": "credentials_expired"},
        )
        raise NotAuthenticated(
            "this temporary password has expired; ask a security administrator for a new reset",
            code="credentials_expired",
        )


def signed_in(request: Any, staff: Staff) -> None:
    """Both factors passed: the sign-in counters of this account start over."""
    throttle.succeeded(staff.username, client_ip(request))


def check_second_factor(staff: Staff, otp: str | None) -> None:
    if not mfa.requires_mfa(staff.role):
        return
    if not mfa.has_confirmed_device(staff):
        audit.record(
            Action.MFA_FAILED,
            staff,
            object_type="staff",
            object_id=staff.pk,
            outcome=Outcome.DENIED,
            detail={"reason": "not_enrolled"},
        )
        raise MfaRequired(
            "enrol a TOTP authenticator in the console first", code="mfa_not_enrolled"
        )
    result = mfa.verify(staff, otp)
    if not result.ok:
        audit.record(
            Action.MFA_FAILED,
            staff,
            object_type="staff",
            object_id=staff.pk,
            outcome=Outcome.DENIED,
        )
        raise MfaRequired("send a valid one-time code in `otp`")
    if result.recovery:
        audit.record(
            Action.RECOVERY_CODE_USED,
            staff,
            object_type="staff",
            object_id=staff.pk,
            detail={"left": mfa.recovery_codes_left(staff)},
        )


def both_factors(request: Any, username: str, password: str, otp: str | None) -> Staff:
    """Throttle → password → one-time code when the role needs MFA, in one request (the
    API). Every failure before the second factor has passed gives the same answer: a
    wrong password, a missing or wrong code and no authenticator yet all read "wrong
    username, password or one-time code" — nothing tells whether the password was right
    before the code is checked (an expired temporary password is said after the code;
    issue #9 §6, ASVS 5.0 V6.3.8). The audit log records which it was."""
    try:
        staff = check_password_only(request, username, password, expiry_after_code=True)
        check_second_factor(staff, otp)
    except (NotAuthenticated, MfaRequired):
        raise NotAuthenticated(
            BAD_CREDENTIALS + " (send `otp`; an account without an authenticator enrols "
            "in the console first)",
            code="bad_credentials",
        ) from None
    refuse_expired_credentials(staff)  # said only once the code has passed
    signed_in(request, staff)
    return staff


def login(request: Any, username: str, password: str, otp: str | None = None) -> Staff:
    """API sign-in: both factors (above), then the password age. There is no path that
    skips the second factor."""
    staff = both_factors(request, username, password, otp)
    if password_expired(staff):
        raise PasswordExpired("change your password in the console before using the API")
    return staff


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_at: datetime


@transaction.atomic
def issue_token(staff: Staff) -> IssuedToken:
    token = "bm_" + secrets.token_urlsafe(32)
    ttl = min(settings.BAOMI_TOKEN_TTL_SECONDS, 8 * 3600)
    expires = clock.now() + timedelta(seconds=ttl)
    ApiToken.objects.create(staff=staff, digest=_digest(token), expires_at=expires)
    staff.last_login = clock.now()
    staff.save(update_fields=["last_login"])
    audit.record(
        Action.TOKEN_ISSUED,
        staff,
        object_type="staff",
        object_id=staff.pk,
        detail={"expires_at": expires.isoformat()},
    )
    return IssuedToken(token, expires)


_TOKEN = Loader(ApiToken, ["id", "created_at", "last_used_at"])
_STAFF = Loader(Staff)


def staff_for_token(token: str) -> Staff | None:
    """The staff member of a live token: one indexed statement per request (the token's
    digest, joined to its staff row), prepared once — no ORM query compiled per request
    (decision 0040). Read every time: revocation, expiry, deactivation and a role change
    take effect on the next request, in every process."""

    def build() -> str:
        qn = connection.ops.quote_name
        t, st = ApiToken._meta, Staff._meta
        return (  # names from the models; values are parameters
            f"SELECT {_TOKEN.columns('t')}, {_STAFF.columns('s')} "  # noqa: S608
            f"FROM {qn(t.db_table)} t JOIN {qn(st.db_table)} s "
            f"ON s.{qn(st.pk.column)} = t.{qn(t.get_field('staff').column)} "
            f"WHERE t.{qn(t.get_field('digest').column)} = %s "
            f"AND t.{qn(t.get_field('revoked_at').column)} IS NULL "
            f"AND t.{qn(t.get_field('expires_at').column)} > %s"
        )

    sql = statement(("token",), build)
    now = clock.now()
    with connection.cursor() as cur:
        cur.execute(sql, [_digest(token), db_value(ApiToken, "expires_at", now)])
        raw = cur.fetchone()
    if raw is None:
        return None
    pk, created_at, last_used_at = _TOKEN.values(raw)
    staff: Staff = _STAFF.load(raw[_TOKEN.width :])
    if not staff.is_active:
        return None
    last = last_used_at or created_at
    if (now - last).total_seconds() > settings.BAOMI_TOKEN_IDLE_SECONDS:
        return None  # idle timeout (ASVS V7.3.1)
    if last_used_at is None or (now - last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=pk).update(last_used_at=now)
    return staff


def tokens_of(staff: Staff) -> list[ApiToken]:
    return list(ApiToken.objects.filter(staff=staff).order_by("-created_at")[:50])


@transaction.atomic
def revoke_token(staff: Staff, token: str) -> None:
    n = ApiToken.objects.filter(staff=staff, digest=_digest(token), revoked_at__isnull=True).update(
        revoked_at=clock.now()
    )
    audit.record(
        Action.TOKEN_REVOKED, staff, object_type="staff", object_id=staff.pk, detail={"revoked": n}
    )


@transaction.atomic
def revoke_all_tokens(staff: Staff) -> int:
    n = ApiToken.objects.filter(staff=staff, revoked_at__isnull=True).update(revoked_at=clock.now())
    audit.record(
        Action.TOKEN_REVOKED,
        staff,
        object_type="staff",
        object_id=staff.pk,
        detail={"revoked": n, "all": True},
    )
    return n


def _target(actor: Any, target_id: int) -> Staff:
    require_role(actor, Role.SECURITY_ADMIN)
    staff = Staff.objects.select_for_update().filter(pk=target_id).first()
    if staff is None:
        raise NotFound("no such staff member")
    if staff.pk == actor.pk:
        raise Forbidden("use your own settings page for your own account", code="self_change")
    return staff


def _void_access(actor: Any, staff: Staff, action: Action, reason: str | None = None) -> None:
    """Revoke every token and console session of `staff`, then audit `action`."""
    ApiToken.objects.filter(staff=staff, revoked_at__isnull=True).update(revoked_at=clock.now())
    _kill_sessions(staff)
    detail = {"reason": reason[:200]} if reason is not None else None
    audit.record(action, actor, object_type="staff", object_id=staff.pk, detail=detail)


def _target_with_reason(actor: Any, target_id: int, reason: str) -> Staff:
    staff = _target(actor, target_id)
    if not reason.strip():
        raise _invalid("reason", "required", "a reason is required", "须填写理由")
    return staff


@transaction.atomic
def terminate_sessions(actor: Any, target_id: int) -> None:
    """End every console session and API token of one staff member (ASVS V7.4.5)."""
    _void_access(actor, _target(actor, target_id), Action.SESSIONS_TERMINATED)


CREDENTIAL_HOURS = 24  # a temporary password and an MFA enrolment window last this long


@dataclass(frozen=True)
class ResetOutcome:
    """What a reset request produced: done at once (an ordinary account; the temporary
    password, if any, shown once) or a four-eyes request (a privileged account)."""

    temporary_password: str | None = None
    enrol_by: datetime | None = None
    approval: ApprovalRequest | None = None


def _reset_credentials(
    staff: Staff, setters: list[int], *, password: bool, mfa_too: bool
) -> tuple[str | None, datetime]:
    """Void the chosen credentials of `staff`: a temporary password (single use: it only
    changes the password) and/or an empty authenticator slot the person fills themselves at
    the next sign-in. Both end after CREDENTIAL_HOURS. `setters` join the four-eyes taint."""
    expires = clock.now() + timedelta(hours=CREDENTIAL_HOURS)
    temp = None
    if password:
        temp = secrets.token_urlsafe(15)
        staff.set_password(temp)  # admin-issued: exempt from the minimum age, must change
        staff.must_change_password = True
        staff.password_self_set = False
    if mfa_too:
        mfa.reset(staff)  # nobody but the person ever sees the new TOTP secret
        staff.mfa_self_enrolled = False
    staff.credentials_set_by = sorted({*(staff.credentials_set_by or []), *setters})
    staff.credentials_expire_at = expires
    staff.save(
        update_fields=[
            "password",
            "must_change_password",
            "password_self_set",
            "mfa_self_enrolled",
            "credentials_set_by",
            "credentials_expire_at",
        ]
    )
    return temp, expires


def _reset(
    actor: Any, target_id: int, reason: str, *, password: bool, mfa_too: bool
) -> ResetOutcome:
    staff = _target_with_reason(actor, target_id, reason)
    if staff.role in PRIVILEGED_ROLES:  # issue #9 §2: a second security_admin decides
        req = request_approval(
            actor,
            ApprovalKind.CREDENTIAL_RESET,
            {"staff_id": staff.pk, "password": password, "mfa": mfa_too},
            reason,
        )
        return ResetOutcome(approval=req)
    temp, expires = _reset_credentials(staff, [actor.pk], password=password, mfa_too=mfa_too)
    if mfa_too:
        _void_access(actor, staff, Action.MFA_RESET, reason)
    if password:
        _void_access(actor, staff, Action.PASSWORD_RESET, reason)
    return ResetOutcome(temp, expires)


@transaction.atomic
def reset_mfa(actor: Any, target_id: int, reason: str) -> ResetOutcome:
    """Lost authenticator: the old device, recovery codes, sessions and tokens are void and
    the person enrols a new authenticator at the next console sign-in (within 24 h). For a
    privileged account this is a four-eyes request instead."""
    return _reset(actor, target_id, reason, password=False, mfa_too=True)


@transaction.atomic
def reset_password(actor: Any, target_id: int, reason: str) -> ResetOutcome:
    """Forgotten password: a temporary password (shown once, valid 24 h, good only for
    choosing a new one); sessions and tokens are void. Privileged account: four-eyes."""
    return _reset(actor, target_id, reason, password=True, mfa_too=False)


@transaction.atomic
def create_staff_pending(actor: Any, username: str, role: str) -> tuple[NewStaff, ApprovalRequest]:
    """Console/API account creation: the account starts disabled with a generated password
    (handed over by the requester; it must be changed at the first sign-in, where the person
    also enrols their own authenticator); granting its role is a four-eyes approval, and the
    account works only once a second security_admin approves."""
    require_role(actor, Role.SECURITY_ADMIN)
    staff, pw = create_staff(actor, username, role)
    staff.is_active = False
    staff.save(update_fields=["is_active"])
    req = request_approval(
        actor,
        ApprovalKind.ROLE_CHANGE,
        {"staff_id": staff.pk, "role": role, "activate": True},
        f"new account {username}",
    )
    return NewStaff(staff, pw, None), req


# -- offboarding (R-D6) ----------------------------------------------------------------------
def _kill_sessions(staff: Staff) -> None:
    from django.contrib.sessions.models import Session

    for s in Session.objects.filter(expire_date__gt=clock.now()).iterator():
        if str(s.get_decoded().get("_auth_user_id")) == str(staff.pk):
            s.delete()


@transaction.atomic
def deactivate_staff(actor: Any, target_id: int, reason: str = "departure") -> OffboardingReview:
    """Disable the account now: sessions and tokens die, and a review of every customer it
    read in the last 90 days lands in the security auditor's queue."""
    if actor is not None:
        require_role(actor, Role.SECURITY_ADMIN)
    staff = Staff.objects.select_for_update().filter(pk=target_id).first()
    if staff is None:
        raise NotFound("no such staff member")
    if actor is not None and staff.pk == actor.pk:
        raise Forbidden("you cannot deactivate yourself", code="self_change")
    now = clock.now()
    staff.is_active = False
    staff.deactivated_at = now
    staff.save(update_fields=["is_active", "deactivated_at"])
    ApiToken.objects.filter(staff=staff, revoked_at__isnull=True).update(revoked_at=now)
    _kill_sessions(staff)
    since = now - timedelta(days=90)
    reads = (
        AuditEvent.objects.filter(actor_id=staff.pk, action=Action.CUSTOMER_READ, at__gte=since)
        .values("object_id")
        .annotate(n=Count("seq"), last=Max("at"))
        .order_by("-last")
    )
    review = OffboardingReview.objects.create(
        staff=staff,
        created_at=now,
        customers=[
            {"customer": r["object_id"], "reads": r["n"], "last": r["last"].isoformat()}
            for r in reads
        ],
    )
    audit.record(
        Action.STAFF_DEACTIVATED,
        actor,
        object_type="staff",
        object_id=staff.pk,
        detail={"reason": reason[:100], "customers_to_review": len(review.customers)},
    )
    return review


def disable_dormant(days: int | None = None) -> list[int]:
    """Accounts with no sign-in for N days (default 90) are disabled (R-D6)."""
    days = days or settings.BAOMI_DORMANT_DAYS
    cutoff = clock.now() - timedelta(days=days)
    dormant = Staff.objects.filter(is_active=True).filter(
        Q(last_login__lt=cutoff) | Q(last_login__isnull=True, date_joined__lt=cutoff)
    )
    ids = list(dormant.values_list("pk", flat=True))
    for pk in ids:
        deactivate_staff(None, pk, reason=f"dormant {days} days")
    return ids


@transaction.atomic
def review_offboarding(actor: Any, review_id: int, note: str) -> OffboardingReview:
    require_role(actor, Role.SECURITY_AUDITOR)
    if not note.strip():
        raise _invalid("note", "required", "a review note is required", "须填写审查意见")
    r = OffboardingReview.objects.select_for_update().get(pk=review_id)
    r.reviewed_by, r.reviewed_at, r.review_note = actor, clock.now(), note[:500]
    r.save()
    audit.record(
        Action.OFFBOARDING_REVIEWED, actor, object_type="offboarding_review", object_id=r.pk
    )
    return r


# -- four-eyes approvals (R-D4) ----------------------------------------------------------------
@transaction.atomic
def request_approval(
    actor: Any, kind: str, payload: dict[str, Any], reason: str
) -> ApprovalRequest:
    spec = participants.approval_kind(kind)
    requesters = spec.requesters if spec else participants.DEFAULT_REQUESTERS
    if actor.role_code not in requesters:
        raise Forbidden(
            "only administrators and the privacy officer request privileged operations",
            code="role_required",
        )
    if spec is None:
        raise _invalid("kind", "kind_unknown", "unknown approval kind", "审批类型无效")
    if not reason.strip():
        raise _invalid("reason", "required", "a reason is required", "须填写理由")
    _validate_payload(actor, kind, payload)
    now = clock.now()
    req = ApprovalRequest.objects.create(
        kind=kind,
        payload=payload,
        reason=reason[:500],
        requested_by=actor,
        requested_at=now,
        expires_at=now + timedelta(hours=settings.BAOMI_APPROVAL_TTL_HOURS),
    )
    audit.record(
        Action.APPROVAL_REQUESTED,
        actor,
        object_type="approval",
        object_id=req.pk,
        detail={"kind": kind, **payload},
    )
    return req


def _staff_id(payload: dict[str, Any]) -> int:
    try:
        return int(payload.get("staff_id") or 0)
    except (TypeError, ValueError):
        return 0


def _validate_payload(actor: Any, kind: str, payload: dict[str, Any]) -> None:
    spec = participants.approval_kind(kind)
    if spec is not None and spec.validate is not None:
        spec.validate(actor, payload)


def _check_override_purpose(payload: dict[str, Any]) -> None:
    """An override never loosens a field outside the catalogue purposes of its purpose
    (issue #9 §3: `courier/delivery/id_number=plain` was accepted). Checked when the change
    is requested and again when it is decided (the catalogue may have changed)."""
    spec = catalog.BY_KEY.get(str(payload.get("field")))
    try:
        purpose = Purpose(str(payload.get("purpose")))
    except ValueError:
        purpose = None
    if spec is None or purpose is None:
        raise _invalid("field", "field_unknown", "not a catalogue field", "非数据目录字段")
    if payload.get("treatment") != Treatment.WITHHELD and not within_purpose(purpose, spec):
        raise _invalid(
            "field",
            "purpose_limitation",
            f"the catalogue does not collect {spec.key} for {purpose.value}; "
            "no override can show it under that purpose",
            "数据目录未将该字段用于此用途，任何例外都不能在此用途下显示它",
        )


def expire_stale_approvals() -> int:
    """Requests past their time limit become `expired` (audited), in their own transaction."""
    n = 0
    with transaction.atomic():
        for req in ApprovalRequest.objects.select_for_update().filter(
            state=ApprovalState.REQUESTED, expires_at__lte=clock.now()
        ):
            req.state = ApprovalState.EXPIRED
            req.save(update_fields=["state"])
            audit.record(
                Action.APPROVAL_DECIDED,
                None,
                object_type="approval",
                object_id=req.pk,
                outcome=Outcome.FAILED,
                detail={"state": "expired"},
            )
            n += 1
    return n


# -- the four-eyes invariant (issue #9 §2) ---------------------------------------------------
def approval_subjects(req: ApprovalRequest) -> set[int]:
    """Staff accounts the request acts on (the target of a role change or a reset)."""
    if req.kind in (ApprovalKind.ROLE_CHANGE, ApprovalKind.CREDENTIAL_RESET):
        sid = _staff_id(req.payload if isinstance(req.payload, dict) else {})
        return {sid} if sid else set()
    return set()


def four_eyes_conflict(decider: Staff, req: ApprovalRequest) -> str | None:
    """Why `decider` may not decide `req` (None: they may). Nobody decides a request they
    made, one that acts on their own account, or one whose requester set the decider's
    credentials (or whose credentials the decider set) — until the tainted account has
    changed its password and enrolled its own authenticator (`credentials_set_by`)."""
    requester_id = req.requested_by_id
    if decider.pk == requester_id:
        return "requester"
    if decider.pk in approval_subjects(req):
        return "target"
    if requester_id in (decider.credentials_set_by or []):
        return "credentials_set_by_requester"
    if decider.pk in (req.requested_by.credentials_set_by or []):
        return "requester_credentials_set_by_decider"
    return None


FOUR_EYES_TEXT = {
    "requester": "four eyes: the requester cannot decide",
    "target": "four eyes: nobody decides a request about their own account",
    "credentials_set_by_requester": (
        "four eyes: the requester set your credentials; change your password and enrol "
        "your own authenticator first"
    ),
    "requester_credentials_set_by_decider": ("four eyes: you set the requester's credentials"),
}


def decide_approval(actor: Any, approval_id: int, approve: bool, note: str = "") -> ApprovalRequest:
    """A security_admin other than the requester, the target and anyone tied to them by a
    credential reset approves (and the operation runs) or rejects. A refusal is audited."""
    require_role(actor, Role.SECURITY_ADMIN)
    expire_stale_approvals()
    conflict = None
    with transaction.atomic():
        req = ApprovalRequest.objects.select_for_update().filter(pk=approval_id).first()
        if req is None:
            raise NotFound("no such approval request")
        decider = Staff.objects.get(pk=actor.pk)  # the stored taint, not a stale object
        conflict = four_eyes_conflict(decider, req)
        if conflict is None:
            if req.state == ApprovalState.EXPIRED:
                raise Conflict("the request expired; ask again", code="approval_expired")
            if req.state != ApprovalState.REQUESTED:
                raise Conflict(f"already {req.state}", code="approval_closed")
            req.state = ApprovalState.APPROVED if approve else ApprovalState.REJECTED
            req.decided_by, req.decided_at, req.decision_note = actor, clock.now(), note[:500]
            req.save()
            audit.record(
                Action.APPROVAL_DECIDED,
                actor,
                object_type="approval",
                object_id=req.pk,
                detail={"state": req.state, "kind": req.kind},
            )
            if approve:
                _execute(actor, req)
            return req
    audit.record(
        Action.ACCESS_DENIED,
        actor,
        object_type="approval",
        object_id=approval_id,
        outcome=Outcome.DENIED,
        detail={"reason": "four_eyes", "conflict": conflict},
    )
    raise Forbidden(FOUR_EYES_TEXT[conflict], code="four_eyes", conflict=conflict)


def _execute(actor: Any, req: ApprovalRequest) -> None:
    """Carry out an approved request through its registered kind (participant contract);
    kinds without a handler are permissions a command checks (`approved_for`)."""
    spec = participants.approval_kind(req.kind)
    if spec is not None and spec.execute is not None:
        spec.execute(actor, req)


def _execute_credential_reset(actor: Any, req: ApprovalRequest) -> None:
    """An approved reset of a privileged account. Requester and decider both join the
    account's four-eyes taint. The temporary password (if any) is handed to the decider in
    this response only (`req.issued_password`), never stored."""
    p = req.payload
    staff = Staff.objects.select_for_update().get(pk=p["staff_id"])
    temp, expires = _reset_credentials(
        staff,
        [req.requested_by_id, actor.pk],
        password=bool(p.get("password")),
        mfa_too=bool(p.get("mfa")),
    )
    if p.get("mfa"):
        _void_access(actor, staff, Action.MFA_RESET, f"approval {req.pk}")
    if p.get("password"):
        _void_access(actor, staff, Action.PASSWORD_RESET, f"approval {req.pk}")
    req.issued_password = temp  # type: ignore[attr-defined]
    req.enrol_by = expires if p.get("mfa") else None  # type: ignore[attr-defined]


def approved_for(kind: str, **match: Any) -> ApprovalRequest | None:
    """An approved, unexpired request of this kind whose payload matches."""
    for req in ApprovalRequest.objects.filter(
        kind=kind, state=ApprovalState.APPROVED, expires_at__gt=clock.now()
    ):
        if all(req.payload.get(k) == v for k, v in match.items()):
            return req
    return None


# -- break-glass ------------------------------------------------------------------------------
# Roles that may open emergency access (issue #9 §3): the counter, service and billing roles.
# Couriers (a waybill is not an emergency), marketing, the aggregate-only and data-quality
# roles and the administrators are refused.
BREAK_GLASS_ROLES = frozenset({Role.FRONT_DESK, Role.CUSTOMER_SERVICE, Role.FINANCE})

SubjectState = Callable[[uuid.UUID], str]
_subject_state: SubjectState | None = None


def register_subject_state(fn: SubjectState) -> None:
    """The customers app tells access whether a customer id is `active`, `erased` or
    `unknown` (access sits below customers and does not import it)."""
    global _subject_state
    _subject_state = fn


def _refuse_break_glass(actor: Any, cid: object, purpose: str, why: str, exc: BaomiError) -> None:
    audit.record(
        Action.ACCESS_DENIED,
        actor,
        purpose=purpose if purpose in Purpose.values else None,
        object_type="customer",
        object_id=cid,
        outcome=Outcome.DENIED,
        detail={"reason": why, "via": "break_glass"},
    )
    raise exc


def break_glass(
    actor: Any, customer_id: str, purpose: str, reason: str, category: str = ""
) -> BreakGlassGrant:
    """Emergency access to one named, existing customer, granted at once for a limited
    time, flagged on every read, queued for the security auditor, and alerted to the
    auditor and the privacy officer (audit monitoring). It unmasks what the purpose could
    need per the catalogue, never more. Refusals are audited."""
    if actor.role_code in ADMIN_ROLES:
        _refuse_break_glass(
            actor,
            customer_id,
            purpose,
            "sod",
            Forbidden("administrator roles never read customer data", code="sod"),
        )
    if actor.role_code not in BREAK_GLASS_ROLES:
        _refuse_break_glass(
            actor,
            customer_id,
            purpose,
            "break_glass_role",
            Forbidden("this role cannot open emergency access", code="break_glass_role"),
        )
    issues = []
    if category not in BreakGlassReason.values:
        issues.append(
            FieldIssue(
                "reason_category",
                "reason_category_unknown",
                f"choose a reason category: {', '.join(BreakGlassReason.values)}",
                "请选择紧急情况类别",
            )
        )
    if len(reason.strip()) < 10:
        issues.append(
            FieldIssue(
                "reason",
                "reason_short",
                "explain the emergency (10+ characters)",
                "请说明紧急情况（至少10个字符）",
            )
        )
    if issues:
        raise ValidationFailed(issues)
    try:
        p = Purpose(purpose)
        cid = uuid.UUID(str(customer_id))
    except ValueError:
        raise _invalid(
            "customer_id", "invalid", "customer id or purpose invalid", "客户编号或用途无效"
        ) from None
    if not may_use(actor.role_code, p):
        _refuse_break_glass(
            actor,
            cid,
            p,
            "purpose_forbidden",
            Forbidden("break-glass works within your own purposes", code="purpose_forbidden"),
        )
    state = _subject_state(cid) if _subject_state is not None else "unknown"
    if state == "erased":
        _refuse_break_glass(actor, cid, p, "erased", Gone("this customer's data has been erased"))
    if state != "active":
        _refuse_break_glass(actor, cid, p, "not_found", NotFound("no such customer"))
    grant = _open_grant(actor, cid, p, category, reason)
    if grant is None:
        cap = settings.BAOMI_BREAK_GLASS_PER_DAY
        _refuse_break_glass(
            actor,
            cid,
            p,
            "break_glass_cap",
            BreakGlassCap(
                f"at most {cap} emergency grants per person in 24 hours; ask the privacy officer",
                cap=cap,
            ),
        )
    assert grant is not None
    return grant


@transaction.atomic
def _open_grant(
    actor: Any, cid: uuid.UUID, p: Purpose, category: str, reason: str
) -> BreakGlassGrant | None:
    """The grant, or None when the person has used up BAOMI_BREAK_GLASS_PER_DAY grants in
    the last 24 hours (counted under a row lock on the account: no race past the cap)."""
    now = clock.now()
    Staff.objects.select_for_update().filter(pk=actor.pk).first()
    opened = BreakGlassGrant.objects.filter(
        staff_id=actor.pk, granted_at__gt=now - timedelta(hours=24)
    ).count()
    if opened >= settings.BAOMI_BREAK_GLASS_PER_DAY:
        return None
    grant = BreakGlassGrant.objects.create(
        staff=actor,
        customer_id=cid,
        purpose=p,
        reason_category=category,
        reason=reason[:500],
        granted_at=now,
        expires_at=now + timedelta(minutes=settings.BAOMI_BREAK_GLASS_MINUTES),
    )
    audit.record(
        Action.BREAK_GLASS,
        actor,
        purpose=p,
        object_type="customer",
        object_id=cid,
        detail={
            "grant": grant.pk,
            "minutes": settings.BAOMI_BREAK_GLASS_MINUTES,
            "category": category,
        },
    )
    return grant


class BreakGlassCap(BaomiError):
    status = 429
    code = "break_glass_cap"
    title = "Emergency access limit reached"


def active_break_glass(actor: Any, customer_id: Any, purpose: Purpose) -> BreakGlassGrant | None:
    if getattr(actor, "pk", None) is None:
        return None
    return BreakGlassGrant.objects.filter(
        staff_id=actor.pk,
        customer_id=customer_id,
        purpose=purpose,
        expires_at__gt=clock.now(),
    ).first()


@transaction.atomic
def review_break_glass(actor: Any, grant_id: int, note: str) -> BreakGlassGrant:
    require_role(actor, Role.SECURITY_AUDITOR)
    if not note.strip():
        raise _invalid("note", "required", "a review note is required", "须填写审查意见")
    g = BreakGlassGrant.objects.select_for_update().filter(pk=grant_id).first()
    if g is None:
        raise NotFound("no such break-glass grant", code="grant_not_found")
    g.reviewed_by, g.reviewed_at, g.review_note = actor, clock.now(), note[:500]
    g.save()
    audit.record(Action.BREAK_GLASS_REVIEWED, actor, object_type="break_glass", object_id=g.pk)
    return g


# -- privileged CLI commands as break-glass operations (issue #9 §2) -------------------------
@transaction.atomic
def record_break_glass_operation(
    command: str, detail: dict[str, Any], category: str, reason: str, os_user: str = ""
) -> BreakGlassOperation:
    """A privileged command run on the host (no staff identity, so no four-eyes): recorded
    with its reason, alerted (watched action), queued for the security auditor."""
    if category not in OperationReason.values:
        raise _invalid(
            "reason_category",
            "reason_category_unknown",
            f"choose a reason category: {', '.join(OperationReason.values)}",
            "请选择操作原因类别",
        )
    if len(reason.strip()) < 10:
        raise _invalid(
            "reason",
            "reason_short",
            "give the reason (10+ characters)",
            "请说明原因（至少10个字符）",
        )
    op = BreakGlassOperation.objects.create(
        command=command[:64],
        detail=detail,
        reason_category=category,
        reason=reason.strip()[:500],
        os_user=os_user[:64],
        at=clock.now(),
    )
    audit.record(
        Action.BREAK_GLASS_OPERATION,
        None,
        object_type="break_glass_operation",
        object_id=op.pk,
        detail={"command": command, "category": category, **detail},
    )
    return op


def break_glass_operations_queue() -> list[BreakGlassOperation]:
    return list(BreakGlassOperation.objects.filter(reviewed_at__isnull=True).order_by("at")[:200])


@transaction.atomic
def review_break_glass_operation(actor: Any, op_id: int, note: str) -> BreakGlassOperation:
    require_role(actor, Role.SECURITY_AUDITOR)
    if not note.strip():
        raise _invalid("note", "required", "a review note is required", "须填写审查意见")
    op = BreakGlassOperation.objects.select_for_update().get(pk=op_id)
    op.reviewed_by, op.reviewed_at, op.review_note = actor, clock.now(), note[:500]
    op.save()
    audit.record(
        Action.BREAK_GLASS_OPERATION_REVIEWED,
        actor,
        object_type="break_glass_operation",
        object_id=op.pk,
    )
    return op


# -- access review report (R-D6) ---------------------------------------------------------------
ACCESS_REVIEW_MAX_DAYS = 3650


def access_review(days: int = 90) -> list[dict[str, Any]]:
    """Staff × role × last sign-in × last use × customer reads and sensitive reads."""
    if not 1 <= days <= ACCESS_REVIEW_MAX_DAYS:
        raise _invalid(
            "days",
            "out_of_range",
            f"days must be between 1 and {ACCESS_REVIEW_MAX_DAYS}",
            f"天数须在 1 到 {ACCESS_REVIEW_MAX_DAYS} 之间",
        )
    since = clock.now() - timedelta(days=days)
    sensitive = [s.code for s in catalog.fields_of("customer") if s.klass == "sensitive"]
    rows = []
    reads = {
        r["actor_id"]: r
        for r in AuditEvent.objects.filter(action=Action.CUSTOMER_READ, at__gte=since)
        .values("actor_id")
        .annotate(n=Count("seq"), last=Max("at"))
    }
    sens: dict[int, int] = {}
    for actor_id, fields in (
        AuditEvent.objects.filter(action=Action.CUSTOMER_READ, at__gte=since)
        .values_list("actor_id", "fields")
        .iterator()
    ):
        if (
            any(
                isinstance(fields, dict) and fields.get(c) in ("plain", "masked") for c in sensitive
            )
            and actor_id is not None
        ):
            sens[actor_id] = sens.get(actor_id, 0) + 1
    for s in Staff.objects.order_by("username"):
        r = reads.get(s.pk, {})
        rows.append(
            {
                "username": s.username,
                "role": s.role,
                "active": s.is_active,
                "mfa": mfa.has_confirmed_device(s),
                "last_login": s.last_login.isoformat() if s.last_login else None,
                "last_read": r["last"].isoformat() if r.get("last") else None,
                "customer_reads": r.get("n", 0),
                "sensitive_reads": sens.get(s.pk, 0),
            }
        )
    return rows


def approvals(state: str = "requested") -> list[ApprovalRequest]:
    expire_stale_approvals()
    qs = ApprovalRequest.objects.select_related("requested_by", "decided_by")
    if state != "all":
        qs = qs.filter(state=state)
    return list(qs.order_by("-requested_at")[:200])


def break_glass_queue() -> list[BreakGlassGrant]:
    return list(
        BreakGlassGrant.objects.select_related("staff")
        .filter(reviewed_at__isnull=True)
        .order_by("granted_at")[:200]
    )


def offboarding_queue() -> list[OffboardingReview]:
    return list(
        OffboardingReview.objects.select_related("staff")
        .filter(reviewed_at__isnull=True)
        .order_by("created_at")[:200]
    )
