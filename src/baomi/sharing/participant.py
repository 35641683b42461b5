"""The sharing app in the participant contract (issue #10): its audit actions, the read
grant of approved lawful requests (decision 0009), the eraser, the access-copy section,
console pages, nav entries and banner, and its indicators. Joining touched nothing outside
this folder except INSTALLED_APPS, the API mount and the contract's new `grants` hook."""

from __future__ import annotations

import uuid
from typing import Any

from baomi.catalog.enums import Role
from baomi.contract.participants import (
    AccessCopySection,
    Banner,
    CustomerPanel,
    DemoStep,
    EraseContext,
    Erasure,
    HoldSource,
    Kept,
    NavEntry,
    Participant,
    ReadGrant,
    Scope,
    register,
)
from baomi.core.i18n import Bi

from . import demo, indicators, selectors
from .enums import SharingAction
from .models import DisclosureItem, LawfulRequest, LawfulState, PartnerNotice
from .services import common, disclosures, lawful

REGISTER = common.REGISTER_ROLES
# roles that work under a business purpose an agreement may name (they prepare disclosures)
PREPARERS = frozenset(
    {Role.FRONT_DESK, Role.FINANCE, Role.MARKETING, Role.CUSTOMER_SERVICE, Role.COURIER}
)


def _grants(actor: Any, purpose: Any, ids: Any) -> dict[uuid.UUID, Scope]:
    return {
        cid: Scope(g.ref, g.fields) for cid, g in lawful.grants(actor, purpose, list(ids)).items()
    }


def erase(ctx: EraseContext) -> Erasure:
    """Nothing personal is kept here (ids and codes only). Erasure voids the packages still
    waiting that hold the customer; the register rows stay, so the partners that already
    received the data are listed to be told (PIPL art. 47)."""
    voided = disclosures.on_erasure(ctx.customer_id) if ctx.erased_at is not None else 0
    items = DisclosureItem.objects.filter(customer_id=ctx.customer_id).count()
    told = PartnerNotice.objects.filter(customer_id=ctx.customer_id).count()
    kept = []
    if items:
        kept.append(
            Kept(
                "disclosure_item",
                items,
                ("disclosure", "customer_id", "included", "reason"),
                "对外提供登记：向哪些合作方提供过，以便通知其删除（个人信息保护法第四十七条）",
                "Disclosure register: which partners received the data, so they are told to "
                "delete it (PIPL art. 47)",
                "与对外提供记录同期保存",
                "as long as the disclosure record",
            )
        )
    if told:
        kept.append(
            Kept(
                "partner_notice",
                told,
                ("partner", "customer_id", "cause", "recorded_at"),
                "已通知合作方的凭证",
                "Evidence that partners were told",
                "与对外提供记录同期保存",
                "as long as the disclosure record",
            )
        )
    return Erasure(cleared={"disclosure_package": voided} if voided else {}, kept=kept)


def _copy(actor: Any, customer_id: uuid.UUID) -> Any:
    return selectors.copy_section(customer_id)


def _panel(request: Any, view: Any) -> dict[str, Any]:
    """The 360 page's "shared with partners" section: partner, date, purpose, field names."""
    from . import presenters

    return {
        "shared": [
            {
                "partner": line.partner,
                "abroad": line.data_location == "cross_border",
                "purpose": presenters.purpose(line.purpose),
                "fields": presenters.fields(line.fields),
                "at": line.at,
            }
            for line in selectors.shared_with(view.id)
        ]
    }


def _banner(request: Any, role: str) -> dict[str, Any] | None:
    match = getattr(request, "resolver_match", None)
    if match is not None and (match.namespace, match.url_name) == ("sharing", "dashboard"):
        return None  # the register page shows the same figures
    counts = selectors.banner_counts()
    return counts if any(counts.values()) else None


def _under_lawful_request(ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """Customers named by a lawful request still pending or approved (evidence sought)."""
    wanted = {str(i) for i in ids}
    out: set[uuid.UUID] = set()
    for req in LawfulRequest.objects.filter(state__in=(LawfulState.PENDING, LawfulState.APPROVED)):
        out.update(uuid.UUID(c) for c in req.customer_ids if str(c) in wanted)
    return out


register(
    Participant(
        app="sharing",
        holds=(
            HoldSource(
                "lawful_request",
                "依法调取请求涉及",
                "named by an open lawful request",
                _under_lawful_request,
            ),
        ),
        actions=(SharingAction,),
        grants=(ReadGrant("lawful_request", lawful.holds_grant, _grants),),
        eraser=erase,
        access_copy=(
            AccessCopySection(
                "shared",
                "对外提供记录",
                "Shared with third parties",
                _copy,
                60,
                template="sharing/_copy_section.html",
            ),
        ),
        nav=(
            NavEntry(
                "sharing:dashboard", Bi("第三方", "Third parties"), "nav-sharing", REGISTER, 85
            ),
            NavEntry(
                "sharing:lawful", Bi("依法调取", "Lawful requests"), "nav-lawful", REGISTER, 86
            ),
            NavEntry(
                "sharing:disclose",
                Bi("向合作方提供", "Disclose"),
                "nav-disclose",
                PREPARERS,
                87,
            ),
        ),
        panels=(CustomerPanel("disclosures", "sharing/_customer_panel.html", _panel, 50),),
        banners=(Banner("sharing_due", "sharing/banner.html", REGISTER, _banner),),
        urls=(("sharing/", "baomi.sharing.urls"),),
        indicators=indicators.INDICATORS,
        demo=(DemoStep(40, demo.run),),
    )
)
