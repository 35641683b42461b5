"""Sites (hotels, outlets, counters) and who works where. No customer data."""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction

from baomi import audit
from baomi.core import clock
from baomi.core.errors import Conflict

from ..enums import OpsAction, SiteKind
from ..models import Posting, Site
from .common import SITE_ADMINS, invalid, require_role, site_by_code

_CODE = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,15}$")


@transaction.atomic
def create_site(
    actor: Any, code: str, kind: str, name_zh: str, name_en: str, city: str = ""
) -> Site:
    if actor is not None:
        require_role(actor, SITE_ADMINS, "site")
    code = str(code or "").strip().upper()
    if not _CODE.match(code):
        raise invalid(
            "code", "site_code", "2–16 letters, digits or -", "代码须为 2–16 位字母、数字或 -"
        )
    if kind not in SiteKind.values:
        raise invalid("kind", "site_kind", "unknown site kind", "未知门店类型")
    if not name_zh.strip() or not name_en.strip():
        raise invalid("name_zh", "required", "both names are required", "须填写中英文名称")
    if Site.objects.filter(code=code).exists():
        raise Conflict("a site with this code exists", code="site_exists")
    site = Site.objects.create(
        code=code,
        kind=kind,
        name_zh=name_zh.strip()[:80],
        name_en=name_en.strip()[:80],
        city=city.strip()[:40],
        created_at=clock.now(),
    )
    audit.record(
        OpsAction.SITE_CREATED, actor, object_type="site", object_id=site.pk, detail={"code": code}
    )
    return site


@transaction.atomic
def post_staff(actor: Any, staff: Any, site_code: str) -> Posting:
    """Post a member of staff to a site (replacing an earlier posting)."""
    if actor is not None:
        require_role(actor, SITE_ADMINS, "posting")
    site = site_by_code(site_code)
    row, _ = Posting.objects.update_or_create(
        staff_id=staff.pk, defaults={"site": site, "since": clock.now()}
    )
    audit.record(
        OpsAction.STAFF_POSTED,
        actor,
        object_type="staff",
        object_id=staff.pk,
        detail={"site": site.code},
    )
    return row
