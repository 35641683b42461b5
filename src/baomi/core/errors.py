"""Domain errors, rendered to clients as RFC 9457 problem+json with a stable `code`.

Messages carry zh-Hans and English text; they never contain a personal value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class FieldIssue:
    """One per-field validation problem (never includes the rejected value)."""

    field: str
    code: str
    en: str
    zh: str

    def message(self, lang: str = "en") -> str:
        return self.zh if lang.startswith("zh") else self.en

    def as_dict(self, lang: str = "en") -> dict[str, str]:
        return {"field": self.field, "code": self.code, "message": self.message(lang)}


class BaomiError(Exception):
    status = 400
    code = "bad_request"
    title = "Bad request"

    def __init__(self, detail: str = "", *, code: str | None = None, **extra: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        if code:
            self.code = code
        self.extra = extra

    def problem(self, lang: str = "en") -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": f"https://baomi.dev/problems/{self.code}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "code": self.code,
        }
        body.update(self.extra)
        return body


@dataclass
class _Issues:
    items: list[FieldIssue] = field(default_factory=list)


class ValidationFailed(BaomiError):
    status = 422
    code = "validation_failed"
    title = "Validation failed"

    def __init__(self, issues: list[FieldIssue], detail: str = "") -> None:
        super().__init__(detail or "; ".join(f"{i.field}: {i.en}" for i in issues))
        self.issues = issues

    def problem(self, lang: str = "en") -> dict[str, Any]:
        body = super().problem(lang)
        body["errors"] = [i.as_dict(lang) for i in self.issues]
        return body


class NotAuthenticated(BaomiError):
    status = 401
    code = "not_authenticated"
    title = "Authentication required"


class PurposeMissing(BaomiError):
    status = 400
    code = "purpose_required"
    title = "Purpose required"


class PurposeUnknown(BaomiError):
    status = 400
    code = "purpose_unknown"
    title = "Unknown purpose"


class Forbidden(BaomiError):
    status = 403
    code = "forbidden"
    title = "Forbidden"


class NotFound(BaomiError):
    status = 404
    code = "not_found"
    title = "Not found"


class Gone(BaomiError):
    status = 410
    code = "erased"
    title = "Gone"


class Conflict(BaomiError):
    status = 409
    code = "conflict"
    title = "Conflict"


class IntegrityFailure(BaomiError):
    """Ciphertext or wrapped key failed authentication: refuse, never return partial data."""

    status = 500
    code = "integrity_failure"
    title = "Stored data failed its integrity check"
