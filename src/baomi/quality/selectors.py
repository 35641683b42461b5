"""Reads of the duplicate queue: counts and pairs (ids, probabilities, levels), and one
pair's masked side-by-side comparison — the two customers read through the gate under
`data_quality`, so the steward sees what the policy shows (masked identity fields)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count

from baomi.catalog import fields as catalog
from baomi.catalog.enums import Purpose
from baomi.core.errors import NotFound
from baomi.customers import gate

from .enums import PairState
from .models import DuplicatePair, HeldValue, Merge
from .services.duplicates import MATCH_FIELDS

LEVELS = {
    0: ("一致", "agree"),
    1: ("相近", "close"),
    2: ("部分相似", "similar"),
    3: ("不同", "differ"),
    -1: ("缺失", "missing"),
}
OPEN_STATES = (PairState.OPEN, PairState.DEFERRED)


def counts() -> dict[str, int]:
    by = dict(
        DuplicatePair.objects.values_list("state").annotate(n=Count("id")).values_list("state", "n")
    )
    return {s.value: int(by.get(s.value, 0)) for s in PairState}


def pairs(state: str | None = None, limit: int = 200) -> list[DuplicatePair]:
    qs = DuplicatePair.objects.all()
    qs = qs.filter(state=state) if state else qs.filter(state__in=OPEN_STATES)
    return list(qs.order_by("-probability", "pk")[:limit])


def pair(pair_id: object) -> DuplicatePair:
    try:
        pk = int(str(pair_id))
    except ValueError:
        raise NotFound("no such duplicate pair") from None
    p = DuplicatePair.objects.filter(pk=pk).first()
    if p is None:
        raise NotFound("no such duplicate pair")
    return p


def active_merge(p: DuplicatePair) -> Merge | None:
    return Merge.objects.filter(pair=p, undone_at__isnull=True).first()


@dataclass
class FieldRow:
    code: str
    label_zh: str
    label_en: str
    left: Any
    right: Any
    level: int


def comparison(actor: Any, p: DuplicatePair) -> list[FieldRow]:
    """Field by field: both customers' values as the steward's view shows them (masked
    through the gate, audited reads) and the comparison level the scan found."""
    views = {
        v.id: v for v in gate.access_customers(actor, Purpose.DATA_QUALITY, [p.left_id, p.right_id])
    }
    left, right = views.get(str(p.left_id)), views.get(str(p.right_id))
    rows = []
    for code in MATCH_FIELDS:
        spec = catalog.spec("customer", code)
        rows.append(
            FieldRow(
                code,
                spec.label_zh,
                spec.label_en,
                left.fields.get(code) if left else None,
                right.fields.get(code) if right else None,
                int(p.levels.get(code, -1)),
            )
        )
    return rows


def as_json(p: DuplicatePair) -> dict[str, Any]:
    return {
        "id": p.pk,
        "left": str(p.left_id),
        "right": str(p.right_id),
        "probability": round(p.probability, 6),
        "weight": round(p.weight, 3),
        "levels": {k: LEVELS.get(int(v), LEVELS[-1])[1] for k, v in p.levels.items()},
        "source": p.source,
        "state": p.state,
        "found_at": p.found_at.isoformat(),
        "decided_at": p.decided_at.isoformat() if p.decided_at else None,
    }


def held_open(limit: int = 200) -> list[HeldValue]:
    return list(HeldValue.objects.filter(state="open").order_by("held_at", "id")[:limit])


def held_one(held_id: object) -> HeldValue:
    import uuid

    try:
        pk = uuid.UUID(str(held_id))
    except ValueError:
        raise NotFound("no such held value") from None
    h = HeldValue.objects.filter(pk=pk).first()
    if h is None:
        raise NotFound("no such held value")
    return h


def held_comparison(actor: Any, h: HeldValue) -> list[FieldRow]:
    """Stored (the steward's masked view, through the gate) beside the held values
    (opened through the gate, masked the same way), for the held fields."""
    from .services import held as held_service

    views = gate.access_customers(actor, Purpose.DATA_QUALITY, [h.customer_id])
    stored = views[0].fields if views else {}
    incoming = held_service.masked(actor, h) if h.state == "open" else {}
    rows = []
    for code in h.fields:
        if code not in catalog.CUSTOMER_FIELDS:
            continue
        spec = catalog.spec("customer", code)
        rows.append(
            FieldRow(code, spec.label_zh, spec.label_en, stored.get(code), incoming.get(code), -1)
        )
    return rows
