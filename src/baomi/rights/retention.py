"""The profile's retention (R-C8; catalogue: "3 years after the last service, then
destroyed") and the legal hold of an open rights request.

A customer with no service for three years — the profile unchanged and no record (stay,
booking, shipment, card) created since — is erased as an erasure request would erase them:
data key destroyed, personal columns cleared, tombstone with its certificate, journalled
so a restore replays it (basis `retention: …`). A customer named by a legal hold is not."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef

from baomi.audit.services import SYSTEM
from baomi.contract.participants import Expiry, HoldSource, RetentionRule, held_customers
from baomi.customers.models import ENTITY_MODELS, Customer

from .models import OPEN_STATES, RightsRequest
from .services import erase_customer

KEEP_DAYS = 3 * 365
BASIS = "retention: profile, 3 years after the last service (R-C8)"


def expired_profiles(now: datetime) -> list[uuid.UUID]:
    cutoff = now - timedelta(days=KEEP_DAYS)
    qs = Customer.objects.filter(erased_at__isnull=True, updated_at__lt=cutoff)
    for entity, model in ENTITY_MODELS.items():
        if entity == "customer":
            continue
        recent = model._default_manager.filter(customer=OuterRef("pk"), created_at__gte=cutoff)
        qs = qs.exclude(Exists(recent))
    return list(qs.order_by("created_at").values_list("id", flat=True))


def expire(now: datetime, dry_run: bool = False) -> Expiry:
    ids = expired_profiles(now)
    holds = held_customers(ids)
    out = Expiry(expired=len(ids))
    for cid in ids:
        codes = holds.get(cid)
        if codes:
            out.held += 1
            for code in codes:
                out.by_hold[code] = out.by_hold.get(code, 0) + 1
            continue
        out.destroyed += 1
        if not dry_run:
            erase_customer(SYSTEM, cid, basis=BASIS)
    return out


def _open_requests(ids: list[uuid.UUID]) -> set[uuid.UUID]:
    rows = RightsRequest.objects.filter(customer_id__in=ids, state__in=OPEN_STATES)
    return set(rows.values_list("customer_id", flat=True))


RULE = RetentionRule(
    "customer",
    "last_service",
    KEEP_DAYS,
    "客户档案：最后一次服务后保存 3 年，期满销毁（销毁密钥，出具销毁证明）",
    "customer profile: 3 years after the last service, then destroyed (key shredded, certificate)",
    expire,
)
HOLD = HoldSource(
    "rights_request",
    "未结的权利请求或投诉",
    "an open rights request or complaint",
    _open_requests,
)
