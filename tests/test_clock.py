"""`clock.add_months`: one calendar rule for certificates (12 months) and the notice's
3-month update deadline — the month's last day when the target month is shorter."""

from __future__ import annotations

from datetime import UTC, date, datetime

from baomi.core.clock import add_months


def test_month_ends_and_leap_years() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert add_months(date(2026, 12, 7), 12) == date(2027, 12, 7)


def test_a_datetime_keeps_its_time_and_zone() -> None:
    t = datetime(2026, 8, 31, 15, 30, tzinfo=UTC)
    assert add_months(t, 3) == datetime(2026, 11, 30, 15, 30, tzinfo=UTC)
