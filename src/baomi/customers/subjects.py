"""Whether a customer id names someone (for access checks that sit below this app)."""

from __future__ import annotations

import uuid

from .models import Customer


def subject_state(customer_id: uuid.UUID) -> str:
    """`active`, `erased` (crypto-shredded, a tombstone only) or `unknown`. Reads no
    personal value."""
    row = Customer.objects.filter(id=customer_id).values("erased_at").first()
    if row is None:
        return "unknown"
    return "erased" if row["erased_at"] is not None else "active"
