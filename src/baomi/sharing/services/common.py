"""Helpers shared by the sharing services: validation errors, role checks, codes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from baomi import audit
from baomi.access.enums import Role
from baomi.audit.models import Outcome
from baomi.catalog import fields as catalog
from baomi.catalog.enums import Purpose
from baomi.core import clock
from baomi.core.errors import FieldIssue, Forbidden, NotFound, ValidationFailed

from ..enums import SharingAction
from ..models import Partner

# who keeps the register (partners, agreements, audits, notices, lawful requests)
REGISTER_ROLES = frozenset({Role.LEGAL, Role.PRIVACY_OFFICER})
# purposes an agreement may name: the business purposes, never the rights / investigation /
# lawful-request ones (those are not disclosures to partners)
DISCLOSABLE_PURPOSES = (
    Purpose.RECEPTION,
    Purpose.BILLING,
    Purpose.MARKETING,
    Purpose.CUSTOMER_SERVICE,
    Purpose.DELIVERY,
)
# entities whose fields may leave in a package (card data never leaves, R-C4)
DISCLOSABLE_ENTITIES = ("customer", "booking", "stay", "shipment")
DISCLOSABLE_FIELDS = tuple(f.key for f in catalog.FIELDS if f.entity in DISCLOSABLE_ENTITIES)
MAX_TEXT = 500


def today() -> dt.date:
    """Today in the product's one time zone (Asia/Shanghai), not UTC."""
    from django.utils import timezone

    return timezone.localdate(clock.now())


def invalid(field: str, code: str, en: str, zh: str) -> ValidationFailed:
    return ValidationFailed([FieldIssue(field, code, en, zh)])


def issue(field: str, code: str, en: str, zh: str) -> FieldIssue:
    return FieldIssue(field, code, en, zh)


def require(actor: Any, roles: Iterable[Role], what: str) -> None:
    """Refuse (audited) a staff member whose role may not do this."""
    allowed = {r.value for r in roles}
    if getattr(actor, "role_code", "") not in allowed:
        audit.record(
            SharingAction.DISCLOSURE_REFUSED if what == "disclose" else SharingAction.LAWFUL_DENIED,
            actor,
            object_type="sharing",
            object_id=what,
            outcome=Outcome.DENIED,
            detail={"reason": "role_required"},
        )
        raise Forbidden(f"your role may not {what}", code="role_required")


def text(value: object, field: str, *, required: bool = True, limit: int = 200) -> str:
    s = str(value or "").strip()
    if required and not s:
        raise invalid(field, "required", "required", "必填")
    if len(s) > limit:
        raise invalid(field, "too_long", f"at most {limit} characters", f"最多 {limit} 个字符")
    if any(ord(c) < 32 for c in s):
        raise invalid(field, "control_characters", "control characters", "含有控制字符")
    return s


def date(value: object, field: str, *, required: bool = True) -> dt.date | None:
    if value in (None, ""):
        if required:
            raise invalid(field, "required", "required", "必填")
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise invalid(
            field, "date_invalid", "a date YYYY-MM-DD", "日期格式应为 YYYY-MM-DD"
        ) from None


def field_keys(value: object, field: str = "fields") -> list[str]:
    """Catalogue keys ("customer.phone", "booking.destination"); a bare customer field code
    ("phone") means the profile field. Unknown or non-disclosable keys are a 422."""
    if isinstance(value, str):
        value = [v for v in value.replace("，", ",").split(",") if v.strip()]
    if not isinstance(value, list | tuple) or not value:
        raise invalid(field, "required", "name at least one field", "至少选择一个字段")
    out: list[str] = []
    bad: list[str] = []
    for v in value:
        key = str(v).strip()
        key = key if "." in key else f"customer.{key}"
        if key not in DISCLOSABLE_FIELDS:
            bad.append(key[:60])
        elif key not in out:
            out.append(key)
    if bad:
        raise invalid(
            field,
            "field_unknown",
            f"not a field that may be shared: {', '.join(bad)}",
            f"不是可对外提供的数据目录字段：{'、'.join(bad)}",
        )
    return out


def purposes(value: object, field: str = "purposes") -> list[str]:
    if isinstance(value, str):
        value = [v for v in value.split(",") if v.strip()]
    if not isinstance(value, list | tuple) or not value:
        raise invalid(field, "required", "name at least one purpose", "至少选择一个用途")
    allowed = {p.value for p in DISCLOSABLE_PURPOSES}
    out = []
    for v in value:
        code = str(v).strip()
        if code not in allowed:
            raise invalid(
                field,
                "purpose_invalid",
                f"purpose must be one of {', '.join(sorted(allowed))}",
                "用途代码无效（限接待、结算、营销、客户服务、派送）",
            )
        if code not in out:
            out.append(code)
    return out


def lines(value: object, field: str, *, limit: int = 20) -> list[str]:
    """A list of short texts (signatories, obligations); a string splits on new lines."""
    if isinstance(value, str):
        value = value.splitlines()
    if not isinstance(value, list | tuple):
        raise invalid(field, "list_required", "a list", "应为列表")
    out = [text(v, field) for v in value if str(v or "").strip()]
    if not out:
        raise invalid(field, "required", "required", "必填")
    if len(out) > limit:
        raise invalid(field, "too_many", f"at most {limit}", f"最多 {limit} 项")
    return out


def get_partner(partner_id: object, *, lock: bool = False) -> Partner:
    try:
        pk = int(str(partner_id))
    except ValueError:
        raise NotFound("no such partner") from None
    qs = Partner.objects.select_for_update() if lock else Partner.objects
    partner = qs.filter(pk=pk).first()
    if partner is None:
        raise NotFound("no such partner")
    return partner
