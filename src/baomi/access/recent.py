"""Recently opened customers per member of staff (issue #17 §4; R-A4).

What is kept: (staff id, customer id, when opened) — no personal value, nothing to
decrypt. What is shown: the gate's view of those customers under the purpose in force
(`customers.gate.access_customers`, one audited read each), so a name the purpose masks
stays masked and an erased customer is simply not there. The gate's `customer.read` event
of the 360 page is the evidence of the opening itself, so remembering it writes no event
of its own (a second event per read would only double the log). Erasure deletes the
customer's rows (`erase`, registered as the access app's eraser).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction

from baomi.contract.participants import EraseContext, Erasure
from baomi.core import clock

from .models import RecentCustomer

KEEP = 10


@transaction.atomic
def remember(actor: Any, customer_id: uuid.UUID | str) -> None:
    """The actor opened the customer's page now: put it first, keep the last `KEEP`. Two
    queries whether the customer was on the list or not (an upsert, then one delete)."""
    staff_id = getattr(actor, "pk", None)
    if staff_id is None or not hasattr(actor, "role"):  # staff only (not the portal)
        return
    row = RecentCustomer(
        staff_id=staff_id, customer_id=uuid.UUID(str(customer_id)), opened_at=clock.now()
    )
    RecentCustomer.objects.bulk_create(
        [row],
        update_conflicts=True,
        unique_fields=["staff", "customer_id"],
        update_fields=["opened_at"],
    )
    mine = RecentCustomer.objects.filter(staff_id=staff_id)
    keep = mine.order_by("-opened_at", "-id").values("id")[:KEEP]
    mine.exclude(id__in=keep).delete()


def recent(actor: Any, limit: int = KEEP) -> list[tuple[uuid.UUID, Any]]:
    """(customer id, opened at), latest first (one query)."""
    staff_id = getattr(actor, "pk", None)
    if staff_id is None:
        return []
    rows = RecentCustomer.objects.filter(staff_id=staff_id).order_by("-opened_at", "-id")
    return [(r.customer_id, r.opened_at) for r in rows[:limit]]


def erase(ctx: EraseContext) -> Erasure:
    """The customer leaves every member of staff's recent list."""
    n, _ = RecentCustomer.objects.filter(customer_id=ctx.customer_id).delete()
    return Erasure(cleared={"recent_customer": n} if n else {})
