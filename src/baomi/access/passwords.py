"""Password policy (R-D5, ASVS V6.2): 12–128 characters, common list, similarity (Django's
validators), a strength estimate (zxcvbn: common passwords, names, words, keyboard runs,
repeats, sequences, dates and l33t spellings), the last five passwords refused, a minimum
age between changes, forced change after N days."""

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


class StrengthValidator:
    """ASVS V6.2.4/V6.2.12, issue #9 §6: refuse what an offline guesser finds quickly.
    zxcvbn (Dropbox's estimator, offline) rates the password 0–4 against its frequency
    lists (common passwords, names, words), keyboard patterns, repeats, sequences, dates and
    l33t substitutions, with the account's own names and this system's context words as
    extra dictionary; below BAOMI_PASSWORD_MIN_SCORE (default 3, ≈10^8 guesses) is refused.
    Only the first 64 characters are rated (the estimator is quadratic; a password that is
    strong in its first 64 characters is strong)."""

    RATED = 64

    def __init__(self, min_score: int | None = None) -> None:
        self.min_score = min_score

    def validate(self, password: str, user: Any = None) -> None:
        from zxcvbn import zxcvbn

        need = self.min_score
        if need is None:
            need = int(getattr(settings, "BAOMI_PASSWORD_MIN_SCORE", 3))
        inputs = [w for w in CONTEXT_WORDS if w.isascii()]
        for attr in ("username", "first_name", "last_name", "email"):
            value = str(getattr(user, attr, "") or "")
            if value:
                inputs.append(value)
        result = zxcvbn(password[: self.RATED], user_inputs=inputs, max_length=self.RATED)
        if int(result["score"]) < need:
            hint = str(result.get("feedback", {}).get("warning") or "")
            raise ValidationError(
                "This password is too easy to guess." + (f" {hint}" if hint else ""),
                code="password_guessable",
            )

    def get_help_text(self) -> str:
        return "Your password must not be easy to guess (common words, names, patterns)."


# Chinese text for every password rule code (Django's validators and ours): the API's
# problem documents carry both languages; the console uses its own translations.
PASSWORD_ZH = {
    "password_too_short": "密码至少需要12个字符",
    "password_too_long": "密码不能超过128个字符",
    "password_too_common": "这是常见密码，容易被猜中",
    "password_entirely_numeric": "密码不能全为数字",
    "password_too_similar": "密码与用户名等个人信息过于相似",
    "password_context_word": "密码以与本系统、公司或角色相关的词为主体",
    "password_reused": "不能使用最近5次用过的密码",
    "password_guessable": "密码太容易被猜中（常见密码、单词、姓名、键盘顺序、重复或数字序列等）",
}


def min_age_blocks(staff: Any) -> bool:
    """Minimum password age (issue #9 §6): a self-chosen password may be changed again only
    after BAOMI_PASSWORD_MIN_AGE_HOURS (default 24), so the history of 5 cannot be cycled in
    a minute. The first change after the account is created and a change forced by an
    administrator's reset are exempt."""
    hours = int(getattr(settings, "BAOMI_PASSWORD_MIN_AGE_HOURS", 24))
    if hours <= 0 or getattr(staff, "must_change_password", False):
        return False
    from .models import PasswordHistory

    if PasswordHistory.objects.filter(staff=staff).count() < 2:  # only the initial one
        return False
    changed = staff.password_changed_at
    return changed is not None and clock.now() - changed < timedelta(hours=hours)
