"""The written segment rules (docs/insights.md §2) on hand-made profiles: boundaries of the
lifecycle stages, value thresholds per industry, RFM scores, amounts that do not parse."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from baomi.insights.segments import BY_CODE, amount, build_profile, rfm_scores

NOW = datetime(2026, 12, 7, 12, tzinfo=ZoneInfo("Asia/Shanghai"))


def _rows(*days: int, **values: Any) -> list[dict[str, Any]]:
    return [{"created_at": NOW - timedelta(days=d), **values} for d in days]


def _in(code: str, values: dict[str, Any]) -> bool:
    return BY_CODE[code].test(build_profile(values, NOW), NOW)


def test_lifecycle_boundaries() -> None:
    assert _in("lifecycle.new", {"stay": _rows(90)})
    assert not _in("lifecycle.new", {"stay": _rows(91)})
    assert _in("lifecycle.active", {"stay": _rows(91)})
    assert _in("lifecycle.active", {"stay": _rows(400, 180)})
    assert _in("lifecycle.at_risk", {"shipment": _rows(181)})
    assert _in("lifecycle.at_risk", {"shipment": _rows(365)})
    assert _in("lifecycle.lapsed", {"booking": _rows(366)})
    assert not any(_in(f"lifecycle.{s}", {}) for s in ("new", "active", "at_risk", "lapsed"))
    # stages never overlap
    for days in (1, 90, 91, 180, 181, 365, 366, 900):
        hits = [
            s
            for s in ("new", "active", "at_risk", "lapsed")
            if _in(f"lifecycle.{s}", {"stay": _rows(days)})
        ]
        assert len(hits) == 1, (days, hits)


def test_value_thresholds_per_industry() -> None:
    assert _in("hotel.high_value", {"stay": _rows(10, 20, 30, spend="2700.00")})
    assert not _in("hotel.high_value", {"stay": _rows(10, 20, 30, spend="2600.00")})
    assert not _in("hotel.high_value", {"stay": _rows(10, 20, 400, spend="9000.00")})
    assert _in("hotel.potential", {"stay": _rows(10, spend="2500")})
    assert not _in("hotel.potential", {"stay": _rows(200, spend="9000")})
    assert _in("travel.high_value", {"booking": _rows(1, 2, 3, amount="10000.00")})
    assert _in("travel.potential", {"booking": _rows(5, 100, amount="10000")})
    assert not _in("travel.potential", {"booking": _rows(5, 100, amount="9999")})
    assert _in("courier.high_value", {"shipment": _rows(*range(1, 13))})
    assert not _in("courier.high_value", {"shipment": _rows(*range(1, 12))})
    assert _in("courier.potential", {"shipment": _rows(*range(1, 5))})
    assert not _in("courier.potential", {"shipment": _rows(*range(1, 4))})
    # a travel rule never counts stays
    assert not _in("travel.high_value", {"stay": _rows(1, 2, 3, spend="50000")})


def test_preferences_and_rfm() -> None:
    assert _in("pref.pillow.soft", {"customer": {"preferences": {"pillow": "soft"}}})
    assert not _in("pref.pillow.soft", {"customer": {"preferences": None}})
    p = build_profile(
        {
            "booking": _rows(10, 20, 30, 40, 50, amount="7000"),
            "shipment": _rows(200),
        },
        NOW,
    )
    assert rfm_scores(p, NOW) == {
        "travel": {"r": 3, "f": 3, "m": 3},
        "courier": {"r": 2, "f": 1},
    }


def test_amounts_that_do_not_parse_count_as_nothing() -> None:
    assert amount("1,200.50") == Decimal("1200.50")
    assert amount("about 300") is None and amount(None) is None
    p = build_profile({"stay": _rows(1, 2, 3, spend="n/a")}, NOW)
    assert p.activity["hotel"].spend_year == 0
