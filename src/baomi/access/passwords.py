"""Password policy (R-D5, ASVS V6.2): 12–128 characters, common list, similarity (Django's
validators), the last five passwords refused, forced change after N days."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError

from baomi.core import clock


class MaximumLengthValidator:
    def __init__(self, max_length: int = 128) -> None:
        self.max_length = max_length

    def validate(self, password: str, user: Any = None) -> None:
        if len(password) > self.max_length:
            raise ValidationError(
                f"This password is longer than {self.max_length} characters.",
                code="password_too_long",
            )

    def get_help_text(self) -> str:
        return f"Your password must contain at most {self.max_length} characters."


class PasswordHistoryValidator:
    def __init__(self, remember: int = 5) -> None:
        self.remember = remember

    def validate(self, password: str, user: Any = None) -> None:
        if user is None or getattr(user, "pk", None) is None:
            return
        from .models import PasswordHistory

        recent = PasswordHistory.objects.filter(staff=user).order_by("-created_at", "-id")
        hashes = [h.password for h in recent[: self.remember]]
        if user.password:
            hashes.append(user.password)
        if any(check_password(password, h) for h in hashes):
            raise ValidationError(
                f"This password was used recently; choose one not among your last {self.remember}.",
                code="password_reused",
            )

    def get_help_text(self) -> str:
        return f"Your password cannot be one of your last {self.remember} passwords."


def password_expired(staff: Any) -> bool:
    changed = staff.password_changed_at or staff.date_joined
    return clock.now() - changed > timedelta(days=settings.BAOMI_PASSWORD_MAX_AGE_DAYS)
