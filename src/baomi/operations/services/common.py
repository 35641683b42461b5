"""What every operations service needs: roles, postings, errors in two languages."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from baomi import audit
from baomi.audit.models import Action
from baomi.catalog.enums import Role
from baomi.consent import services as consent
from baomi.core.errors import FieldIssue, Forbidden, NotFound, ValidationFailed
from baomi.customers.models import Customer

from ..models import Posting, Site

SITE_ADMINS = frozenset({Role.MANAGER, Role.SYSTEM_ADMIN})
REGISTER_ROLES = frozenset({Role.MANAGER, Role.COURIER})


def invalid(field: str, code: str, en: str, zh: str) -> ValidationFailed:
    return ValidationFailed([FieldIssue(field, code, en, zh)])


def posting(actor: Any) -> Site | None:
    """The site the actor works at (one query)."""
    if getattr(actor, "pk", None) is None:
        return None
    row = Posting.objects.select_related("site").filter(staff_id=actor.pk).first()
    return row.site if row else None


def require_role(actor: Any, roles: frozenset[Role], what: str) -> None:
    if getattr(actor, "role_code", "") not in {r.value for r in roles}:
        audit.record_refusal(
            Action.ACCESS_DENIED, actor, object_type=what, detail={"reason": "role_required"}
        )
        raise Forbidden("this role may not do this", code="role_required")


def require_posting(actor: Any, site: Site, what: str) -> None:
    """The actor works at `site` (the front desk of this hotel, a clerk of this outlet)."""
    mine = posting(actor)
    if mine is None or mine.pk != site.pk:
        audit.record_refusal(
            Action.ACCESS_DENIED,
            actor,
            object_type=what,
            detail={"reason": "not_posted_here", "site": site.code},
        )
        raise Forbidden("you do not work at this site", code="not_posted_here")


def site_by_code(code: object, kind: str | None = None) -> Site:
    s = Site.objects.filter(code=str(code or "").strip().upper()[:16]).first()
    if s is None or (kind and s.kind != kind):
        raise NotFound("no such site", code="site_unknown")
    return s


def companion(
    actor: Any,
    purpose: Any,
    customer_id: object,
    new: Mapping[str, Any] | None,
    consents: Mapping[str, bool] | None,
    method: str,
    who: tuple[str, str],
) -> Customer:
    """The person joining a stay or a booking: an existing customer (`customer_id`), or a
    new one registered here (`new` profile values with their own `consents`, validated and
    sealed as any new customer — a duplicate ID number is refused, as at creation). `who`
    names them in the error (en, zh): "guest" / "客人", "traveller" / "旅客"."""
    if (customer_id in (None, "")) == (not new):
        raise invalid(
            "customer_id",
            "one_of",
            f"give an existing customer's id or a new {who[0]}'s details",
            f"请选择已有客户或填写新{who[1]}信息",
        )
    if new:
        return consent.create_customer_with_consent(
            actor, purpose, new, consents or {}, method=method, channel="store"
        )
    try:
        cid = uuid.UUID(str(customer_id))
    except ValueError:
        raise invalid("customer_id", "invalid_id", "not a customer id", "客户编号无效") from None
    found = Customer.objects.filter(pk=cid, erased_at__isnull=True).first()
    if found is None:
        raise NotFound("no such customer", code="customer_not_found")
    return found
