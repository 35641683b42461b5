"""Rights reads: the privacy officer's queue (sorted by time left), one request with its
history and SLA clock, a customer's requests, restrictions (the gate's batch lookup)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from baomi.core.errors import NotFound

from . import sla
from .models import OPEN_STATES, Restriction, RightsRequest, RightsTransition, Tombstone

SEALED = ("detail", "changes", "refusal_reason", "resolution")  # never needed by a list


def restricted(customer_ids: Iterable[uuid.UUID | str]) -> set[uuid.UUID]:
    """Of these customers, those under an active restriction — one query per batch."""
    ids = [uuid.UUID(str(c)) for c in customer_ids]
    if not ids:
        return set()
    return set(
        Restriction.objects.filter(customer_id__in=ids, lifted_at__isnull=True).values_list(
            "customer_id", flat=True
        )
    )


def is_restricted(customer_id: uuid.UUID | str) -> bool:
    return bool(restricted([customer_id]))


@dataclass
class QueueItem:
    request: RightsRequest
    clock: sla.Clock


def get(request_id: int | str) -> RightsRequest:
    try:
        pk = int(str(request_id))
    except ValueError:
        raise NotFound("no such rights request") from None
    req = RightsRequest.objects.filter(pk=pk).first()
    if req is None:
        raise NotFound("no such rights request")
    return req


def moves(req: RightsRequest) -> list[RightsTransition]:
    return list(req.moves.order_by("at", "id"))


def moves_of(reqs: list[RightsRequest]) -> dict[int, list[RightsTransition]]:
    """The moves of several requests in one query (the officer's queue), by request id."""
    out: dict[int, list[RightsTransition]] = {r.pk: [] for r in reqs}
    for m in RightsTransition.objects.filter(request_id__in=list(out)).order_by("at", "id"):
        out[m.request_id].append(m)
    return out


def lifted_restrictions(req: RightsRequest) -> list[Restriction]:
    """The restrictions this request imposed that have been lifted (with a sealed reason)."""
    return list(Restriction.objects.filter(request=req, lifted_at__isnull=False).order_by("id"))


def queue(*, include_closed: bool = False, now: datetime | None = None) -> list[QueueItem]:
    """Open requests, least time left first (overdue at the top); closed ones after, most
    recent first, when asked. The clock is computed from timestamps for each read."""
    now = now or timezone.now()
    qs = RightsRequest.objects.defer(*SEALED)
    if not include_closed:
        qs = qs.filter(state__in=OPEN_STATES)
    items = [QueueItem(r, sla.clock(r, now)) for r in qs.order_by("received_at")]
    open_items = sorted((i for i in items if i.request.is_open), key=lambda i: i.clock.seconds_left)
    closed = sorted(
        (i for i in items if not i.request.is_open),
        key=lambda i: i.request.closed_at or now,  # type: ignore[arg-type,return-value]
        reverse=True,
    )
    return open_items + closed


def for_customer(customer_id: uuid.UUID | str) -> list[QueueItem]:
    now = timezone.now()
    return [
        QueueItem(r, sla.clock(r, now))
        for r in RightsRequest.objects.filter(customer_id=customer_id)
        .defer("detail", "changes", "resolution")  # the portal shows refusal reasons
        .order_by("-received_at")
    ]


def tombstone(customer_id: uuid.UUID | str) -> Tombstone | None:
    return Tombstone.objects.filter(customer_id=customer_id).first()


def due_counts(open_items: Iterable[QueueItem]) -> dict[str, int]:
    """Overdue and near-due requests among these open ones (clocks already computed)."""
    items = list(open_items)
    return {
        "overdue": sum(1 for i in items if i.clock.overdue),
        "near_due": sum(1 for i in items if i.clock.near_due),
    }


def stats(
    now: datetime | None = None, days: int = 90, open_items: list[QueueItem] | None = None
) -> dict[str, Any]:
    """Dashboard figures: open, overdue, near due; answered in time over the last N days.
    `open_items`: the open queue when the caller has it already (not computed twice)."""
    now = now or timezone.now()
    if open_items is None:
        open_items = queue(now=now)
    closed = [
        sla.clock(r, now)
        for r in RightsRequest.objects.exclude(state__in=OPEN_STATES)
        .filter(received_at__gte=now - timedelta(days=days))
        .defer(*SEALED)
    ]
    met = sum(1 for c in closed if c.met)
    return {
        "open": len(open_items),
        **due_counts(open_items),
        "closed_recent": len(closed),
        "met_recent": met,
        "on_time_share": round(met / len(closed), 4) if closed else None,
        "window_days": days,
    }
