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


CONTEXT_WORDS = (
    "baomi",
    "保密",
    "password",
    "passw0rd",
    "hotel",
    "travel",
    "courier",
    "express",
    "frontdesk",
    "front_desk",
    "finance",
    "marketing",
    "customer",
    "service",
    "privacy",
    "security",
    "admin",
    "auditor",
    "system",
    "reception",
    "booking",
    "waybill",
    "酒店",
    "旅行",
    "快递",
    "前台",
    "客服",
    "密码",
)


class ContextWordsValidator:
    """ASVS V6.1.2/6.2.11: refuse passwords built around product, role or company words."""

    def __init__(self, words: tuple[str, ...] | None = None) -> None:
        extra = tuple(
            w.strip().lower() for w in getattr(settings, "BAOMI_PASSWORD_CONTEXT_WORDS", ())
        )
        self.words = tuple(words or CONTEXT_WORDS) + extra

    def validate(self, password: str, user: Any = None) -> None:
        low = password.lower()
        # Latin words from 4 letters; CJK words (2+ characters carry a whole word) always
        hits = [
            w
            for w in self.words
            if (len(w) >= 4 or any("\u3400" <= ch <= "\u9fff" for ch in w)) and w in low
        ]
        stripped = low
        for w in hits:
            stripped = stripped.replace(w, "")
        # a context word is fine inside a long passphrase, not as its backbone
        if hits and len(stripped) < 12:
            raise ValidationError(
                "This password is built around a word tied to this system or its roles.",
                code="password_context_word",
            )

    def get_help_text(self) -> str:
        return "Your password cannot be built around product, company or role names."


def password_expired(staff: Any) -> bool:
    """Forced periodic change (R-D5): BAOMI_PASSWORD_MAX_AGE_DAYS, 0 disables it. An
    administrator-issued password must be changed at first sign-in."""
    if getattr(staff, "must_change_password", False):
        return True
    days = settings.BAOMI_PASSWORD_MAX_AGE_DAYS
    if days <= 0:
        return False
    changed = staff.password_changed_at or staff.date_joined
    return clock.now() - changed > timedelta(days=days)
