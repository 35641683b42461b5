"""Small input rules every domain's services share: a refusal with its field, code and both
languages; a required (or optional) short text with a length limit; an ISO date. A refusal
is raised before anything is written (the services run in one transaction)."""

from __future__ import annotations

from datetime import date

from .errors import FieldIssue, ValidationFailed


def invalid(field: str, code: str, en: str, zh: str) -> ValidationFailed:
    return ValidationFailed([FieldIssue(field, code, en, zh)])


def text(value: object, field: str, zh: str, limit: int = 120, *, required: bool = True) -> str:
    """`value` stripped; refused when required and empty, or longer than `limit`."""
    out = str(value or "").strip()
    if required and not out:
        raise invalid(field, "required", "required", f"请填写{zh}")
    if len(out) > limit:
        raise invalid(field, "too_long", f"at most {limit} characters", f"{zh}最多 {limit} 个字")
    return out


def iso_date(value: object, field: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value or "").strip())
    except ValueError:
        raise invalid(
            field, "invalid_date", "expected YYYY-MM-DD", "日期格式应为 YYYY-MM-DD"
        ) from None
