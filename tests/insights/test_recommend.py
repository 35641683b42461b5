"""Next-best product (issue #18 §3): co-occurrence beats the popularity baseline on
synthetic data with planted preferences; the kept table is an aggregate over consented
histories, pairs below k dropped."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from baomi.core import clock
from baomi.insights import recommend

from .conftest import HIGH


def test_cooccurrence_beats_popularity_on_planted_preferences() -> None:
    for seed in (1, 7):
        histories, _ = recommend.synthetic(customers=1500, seed=seed)
        r = recommend.hit_rate(histories)
        assert r["hit_rate_at_10"] > r["popularity_hit_rate_at_10"] + 0.15, r


def test_pairs_below_support_are_dropped() -> None:
    m = recommend.train([["a", "b"]] * 10 + [["a", "c"]] * 3 + [["c"]] * 9, min_support=10)
    assert m.pairs == {"a": {"b": 10}, "b": {"a": 10}}
    assert "c" in m.buyers and "c" not in m.pairs.get("a", {})
    assert recommend.recommend(m, ["a"], 2, exclude_seen=True) == ["b", "c"]


@pytest.mark.django_db
def test_table_is_trained_on_consented_histories_only(
    api_client: Any, population: Any, make_staff: Any
) -> None:
    from baomi.customers import services as customers
    from baomi.customers.models import Booking

    desk = make_staff("front_desk")
    consented = population(12, bookings=HIGH)  # three bookings of 三亚自由行
    unconsented = population(12, consents=("marketing",), bookings=HIGH)
    for cid in consented + unconsented:
        b = customers.add_record(
            desk, "reception", cid, "booking", {"product": "云南六日游", "amount": "8000.00"}
        )
        Booking.objects.filter(pk=b.pk).update(created_at=clock.now() - timedelta(days=5))
    mk, h = api_client("marketing", "marketing")
    mk.post("/api/v1/insights/runs", headers=h)
    body = mk.get("/api/v1/insights/recommendations", headers=h).json()
    assert body["customers"] == 12
    by = {p["product"]: p for p in body["products"]}
    assert by["三亚自由行"]["customers"] == 12
    assert by["三亚自由行"]["next"] == [{"product": "云南六日游", "customers": 12}]
    mgr, hm = api_client("manager")
    assert mgr.get("/api/v1/insights/recommendations", headers=hm).status_code == 200
