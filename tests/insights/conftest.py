"""Fixtures of the insights tests: customers made through the customers service, consents
through the consent service, records through `add_record` (their creation dates then set
back: a non-personal column), staff signed in through the real API or console."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from baomi.core import clock


@pytest.fixture
def population(db: Any, make_staff: Any, make_customer: Any) -> Any:
    """`add(n, consents=(...), bookings=[(days ago, amount), ...])` → customer ids."""
    from baomi.consent import services as consent
    from baomi.customers import services as customers
    from baomi.customers.models import Booking

    desk = make_staff("front_desk")

    def add(
        n: int,
        consents: tuple[str, ...] = ("profiling", "marketing"),
        bookings: tuple[tuple[int, int], ...] = (),
        **values: Any,
    ) -> list[Any]:
        ids = []
        for _ in range(n):
            c = make_customer(**values)
            for code in consents:
                consent.give(None, c.id, code, channel="store", method="checkbox")
            for days, amount in bookings:
                b = customers.add_record(
                    desk,
                    "reception",
                    c.id,
                    "booking",
                    {"product": "三亚自由行", "amount": f"{amount}.00"},
                )
                Booking.objects.filter(pk=b.pk).update(
                    created_at=clock.now() - timedelta(days=days)
                )
            ids.append(c.id)
        return ids

    return add


# 12 high-value travellers (3 bookings, ¥36 000 in a year; first 200 days ago: active)
HIGH = ((200, 12000), (100, 12000), (30, 12000))
# potential: one recent booking of ¥15 000 (new)
POTENTIAL = ((20, 15000),)
# active but neither high value nor potential: one booking of ¥5 000, 100 days ago
PLAIN = ((100, 5000),)
