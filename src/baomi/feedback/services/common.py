"""What every feedback service needs: roles, errors in two languages, text cleaning."""

from __future__ import annotations

import re
import unicodedata
import uuid
from enum import Enum
from typing import Any, TypeVar

from baomi import audit
from baomi.audit.models import Action
from baomi.catalog.enums import Role
from baomi.core.errors import FieldIssue, Forbidden, Gone, NotFound, ValidationFailed
from baomi.customers.models import Customer

E = TypeVar("E", bound=Enum)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")

# who takes feedback (counter, call centre, WeChat and OTA desks); the portal: the customer
INTAKE_ROLES = frozenset({Role.CUSTOMER_SERVICE, Role.FRONT_DESK, Role.PRIVACY_OFFICER})
HANDLERS = frozenset({Role.CUSTOMER_SERVICE})
# sees and moves privacy tickets (besides customer service)
PRIVACY_ROLES = frozenset({Role.PRIVACY_OFFICER})
QUALITY_ROLES = frozenset({Role.MANAGER, Role.INSPECTOR, Role.CUSTOMER_SERVICE})


def invalid(field: str, code: str, en: str, zh: str) -> ValidationFailed:
    return ValidationFailed([FieldIssue(field, code, en, zh)])


def choice(enum: type[E], value: object, field: str, zh: str) -> E:
    try:
        return enum(str(value or "").strip().lower())
    except ValueError:
        raise invalid(
            field,
            "invalid_choice",
            f"{field} must be one of {', '.join(str(e.value) for e in enum)}",
            f"{zh}无效",
        ) from None


def clean_text(value: object, field: str, limit: int, *, required: bool = True) -> str:
    text = unicodedata.normalize("NFC", str(value or "")).strip()
    if _CONTROL.search(text):
        raise invalid(field, "control_chars", "contains control characters", "包含控制字符")
    if len(text) > limit:
        raise invalid(field, "too_long", f"at most {limit} characters", f"最多 {limit} 个字符")
    if required and not text:
        raise invalid(field, "required", "this field is required", "此项必填")
    return text


def role(actor: Any) -> str:
    return str(getattr(actor, "role_code", "") or "")


def require_role(actor: Any, roles: frozenset[Role], what: str) -> None:
    if role(actor) not in {r.value for r in roles}:
        audit.record_refusal(
            Action.ACCESS_DENIED, actor, object_type=what, detail={"reason": "role_required"}
        )
        raise Forbidden("this role may not do this", code="role_required")


def live_customer(value: object) -> uuid.UUID:
    try:
        cid = uuid.UUID(str(value))
    except ValueError:
        raise NotFound("no such customer", code="customer_unknown") from None
    erased = Customer.objects.filter(id=cid).values_list("erased_at", flat=True)
    if not erased.exists():
        raise NotFound("no such customer", code="customer_unknown")
    if erased.first() is not None:
        raise Gone("this customer's data has been erased")
    return cid


def as_int(value: object, field: str = "id") -> int:
    try:
        return int(str(value))
    except ValueError:
        raise NotFound("not found", code=f"{field}_unknown") from None
