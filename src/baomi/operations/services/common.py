"""What every operations service needs: roles, postings, errors in two languages."""

from __future__ import annotations

from typing import Any

from baomi import audit
from baomi.audit.models import Action
from baomi.catalog.enums import Role
from baomi.core.errors import FieldIssue, Forbidden, NotFound, ValidationFailed

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
