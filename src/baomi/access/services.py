"""Staff accounts and API tokens. Every change is audited."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction

from baomi import audit
from baomi.audit.models import Action, Outcome
from baomi.core import clock
from baomi.core.errors import BaomiError, FieldIssue, NotAuthenticated, ValidationFailed

from .enums import Role
from .models import ApiToken, Staff


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def create_staff(
    actor: Any, username: str, role: str, password: str | None = None
) -> tuple[Staff, str]:
    """Create a staff account with one role. Returns (staff, password) — a generated
    password when none is given (shown once, never stored in plaintext)."""
    if role not in Role.values:
        raise ValidationFailed(
            [
                FieldIssue(
                    "role",
                    "role_unknown",
                    f"role must be one of {', '.join(Role.values)}",
                    "角色代码无效",
                )
            ]
        )
    if not username or len(username) > 150:
        raise ValidationFailed(
            [FieldIssue("username", "required", "username is required", "用户名必填")]
        )
    if Staff.objects.filter(username=username).exists():
        raise BaomiError("username already taken", code="username_taken")
    password = password or secrets.token_urlsafe(15)
    staff = Staff(username=username, role=role)
    try:
        validate_password(password, staff)
    except DjangoValidationError as exc:
        raise ValidationFailed(
            [FieldIssue("password", "password_weak", "; ".join(exc.messages), "密码不符合安全策略")]
        ) from None
    staff.set_password(password)
    staff.save()
    audit.record(
        Action.STAFF_CREATED, actor, object_type="staff", object_id=staff.pk, detail={"role": role}
    )
    return staff, password


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_at: datetime


def login(username: str, password: str) -> Staff:
    staff = authenticate(username=username, password=password)
    if not isinstance(staff, Staff) or not staff.is_active:
        audit.record(
            Action.LOGIN_FAILED,
            None,
            object_type="staff",
            outcome=Outcome.FAILED,
            detail={"username_len": len(username or "")},
        )
        raise NotAuthenticated("wrong username or password", code="bad_credentials")
    return staff


@transaction.atomic
def issue_token(staff: Staff) -> IssuedToken:
    token = "bm_" + secrets.token_urlsafe(32)
    expires = clock.now() + timedelta(seconds=settings.BAOMI_TOKEN_TTL_SECONDS)
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


def staff_for_token(token: str) -> Staff | None:
    row = (
        ApiToken.objects.select_related("staff")
        .filter(digest=_digest(token), revoked_at__isnull=True, expires_at__gt=clock.now())
        .first()
    )
    if row is None or not row.staff.is_active:
        return None
    return row.staff


@transaction.atomic
def revoke_token(staff: Staff, token: str) -> None:
    n = ApiToken.objects.filter(staff=staff, digest=_digest(token), revoked_at__isnull=True).update(
        revoked_at=clock.now()
    )
    audit.record(
        Action.TOKEN_REVOKED, staff, object_type="staff", object_id=staff.pk, detail={"revoked": n}
    )
