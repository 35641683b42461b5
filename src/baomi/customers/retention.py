"""Retention of the customers' records (R-C8; catalogue `retention` texts): what expires
when, as rules the retention job runs (`baomi retention run`, through the participant
contract). A record past its period has its sealed columns cleared (its non-personal
columns — reference, channel, dates of creation, waybill number — stay, as the
catalogue's legal holds keep them); a customer named by a legal hold is skipped.

* stay — 2 years after check-out (a sealed date: compared in the gate);
* booking — 3 years after the trip's end (a sealed date: compared in the gate);
* shipment — 1 year after delivery or return; the record does not carry the time of
  delivery, so the rule counts from its creation plus `DELIVERY_ALLOWANCE` (the longest a
  parcel stays open);
* payment_method — 1 year after the card was stored (the model keeps no "last used").

The profile itself (3 years after the last service) is the rights domain's rule: it is an
erasure (crypto-shredding), with its certificate."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone

from baomi.audit.services import SYSTEM
from baomi.catalog import fields as catalog
from baomi.contract.participants import Expiry, RetentionRule, held_customers

from . import gate, services
from .models import ENTITY_MODELS, ShipmentStatus

DELIVERY_ALLOWANCE = timedelta(days=90)


def _live(entity: str) -> Q:
    """Records not yet cleared: any sealed column still holds ciphertext."""
    q = Q()
    for spec in catalog.fields_of(entity):
        q |= Q(**{f"{spec.code}__isnull": False})
    return q


def _destroy(
    entity: str, expired: list[tuple[uuid.UUID, uuid.UUID]], dry_run: bool, basis: str
) -> Expiry:
    """Skip the held customers' records, clear the others (unless a dry run)."""
    holds = held_customers({cid for _, cid in expired})
    out = Expiry(expired=len(expired))
    go: list[uuid.UUID] = []
    for rid, cid in expired:
        codes = holds.get(cid)
        if codes:
            out.held += 1
            for code in codes:
                out.by_hold[code] = out.by_hold.get(code, 0) + 1
        else:
            go.append(rid)
    out.destroyed = len(go)
    if go and not dry_run:
        services.clear_records(SYSTEM, entity, go, basis)
    return out


def dated_rule(entity: str, code: str, keep_days: int, basis: str) -> Callable[..., Expiry]:
    """Expire `entity` records `keep_days` after their own sealed date `code`."""

    def expire(now: datetime, dry_run: bool = False) -> Expiry:
        model = ENTITY_MODELS[entity]
        keep = timedelta(days=keep_days)
        cutoff = timezone.localtime(now - keep).date()
        candidates = list(
            model._default_manager.filter(_live(entity), created_at__lt=now - keep).values_list(
                "id", "customer_id"
            )
        )
        owner = dict(candidates)
        ended = gate.expired_records(SYSTEM, entity, list(owner), code, cutoff)
        return _destroy(entity, [(rid, owner[rid]) for rid in sorted(ended)], dry_run, basis)

    return expire


def created_rule(entity: str, keep: timedelta, basis: str, **filters: Any) -> Callable[..., Expiry]:
    """Expire `entity` records `keep` after they were created (and match `filters`)."""

    def expire(now: datetime, dry_run: bool = False) -> Expiry:
        model = ENTITY_MODELS[entity]
        rows = model._default_manager.filter(_live(entity), created_at__lt=now - keep, **filters)
        return _destroy(entity, sorted(rows.values_list("id", "customer_id")), dry_run, basis)

    return expire


RULES = (
    RetentionRule(
        "stay",
        "check_out",
        2 * 365,
        "住宿记录：退房后保存 2 年（治安管理旅馆登记规定），期满清除",
        "stays: 2 years after check-out (hotel registration rules), then cleared",
        dated_rule("stay", "check_out", 2 * 365, "retention: stay, 2 years after check-out"),
    ),
    RetentionRule(
        "booking",
        "trip_end",
        3 * 365,
        "旅行订单：行程结束后保存 3 年，期满清除",
        "bookings: 3 years after the trip, then cleared",
        dated_rule("booking", "end_date", 3 * 365, "retention: booking, 3 years after the trip"),
    ),
    RetentionRule(
        "shipment",
        "delivery",
        365,
        "快递运单：签收或退回后保存 1 年（按下单时间加 90 天计），期满清除",
        "waybills: 1 year after delivery or return (counted from creation + 90 days), then cleared",
        created_rule(
            "shipment",
            timedelta(days=365) + DELIVERY_ALLOWANCE,
            "retention: waybill, 1 year after delivery",
            status__in=(ShipmentStatus.DELIVERED, ShipmentStatus.RETURNED),
        ),
    ),
    RetentionRule(
        "payment_method",
        "stored",
        365,
        "支付卡：保存 1 年未使用即清除",
        "payment cards: cleared after 1 year unused",
        created_rule("payment_method", timedelta(days=365), "retention: card, 1 year unused"),
    ),
)
