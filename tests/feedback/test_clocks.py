"""The feedback clocks (issue #15 §1, R-J1): 24 calendar hours by default; for an
office-hours team, its shifts on mainland working days — across a night, a weekend, the
National Day holiday and the make-up working day (调休) after it, and a lunch break —
and pauses carry the budget left over."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from baomi.feedback import sla

SH = ZoneInfo("Asia/Shanghai")
OFFICE = sla.Hours(
    True, sla.parse_shifts([["09:00", "12:00"], ["13:00", "18:00"], ["19:00", "21:00"]])
)
CALENDAR = sla.Hours(False)


def at(*a: int) -> datetime:
    return datetime(*a, tzinfo=SH)


def test_calendar_hours_are_24_hours_day_and_night() -> None:
    assert sla.due(at(2026, 11, 6, 23, 30), 24, CALENDAR) == at(2026, 11, 7, 23, 30)


def test_office_hours_skip_the_night_and_the_weekend() -> None:
    # Wed 22:00 (after the last shift): counting starts Thu 09:00; Thu 10 h, Fri 10 h,
    # Mon 09:00–12:00 and 13:00–14:00 → 24 h
    assert sla.due(at(2026, 11, 4, 22, 0), 24, OFFICE) == at(2026, 11, 9, 14, 0)


def test_office_hours_skip_the_national_day_holiday_and_count_the_make_up_saturday() -> None:
    # Wed 30 Sep 20:00: 1 h that evening; 1–7 Oct holiday; Thu 8 and Fri 9 Oct 20 h;
    # Sat 10 Oct is a working day (调休): 09:00–12:00 → 24 h
    assert sla.due(at(2026, 9, 30, 20, 0), 24, OFFICE) == at(2026, 10, 10, 12, 0)


def test_the_lunch_break_and_the_gap_between_shifts_do_not_count() -> None:
    assert sla.due(at(2026, 11, 5, 11, 0), 2, OFFICE) == at(2026, 11, 5, 14, 0)
    assert sla.due(at(2026, 11, 5, 17, 0), 2, OFFICE) == at(2026, 11, 5, 20, 0)
    assert sla.counted(at(2026, 11, 5, 11, 0), at(2026, 11, 5, 14, 0), OFFICE) == 7200


def test_a_pause_carries_the_budget_left_over() -> None:
    start = at(2026, 11, 5, 10, 0)
    pause = (start + timedelta(hours=2), start + timedelta(hours=7))
    assert sla.due(start, 24, CALENDAR, [pause]) == start + timedelta(hours=29)
    # office: paused Thu 11:00 → Mon 10:00; left at 11:00 was 23 h
    d = sla.due(start, 24, OFFICE, [(at(2026, 11, 5, 11, 0), at(2026, 11, 9, 10, 0))])
    assert sla.counted(at(2026, 11, 9, 10, 0), d, OFFICE) == 23 * 3600
    # a pause after the due time changes nothing
    late = (start + timedelta(hours=30), start + timedelta(hours=40))
    assert sla.due(start, 24, CALENDAR, [late]) == start + timedelta(hours=24)


def test_escalation_when_near_due_and_badges() -> None:
    due = at(2026, 11, 6, 12, 0)
    c = sla.clock(due, None, 24, CALENDAR, 75, now=due - timedelta(hours=7))
    assert c.badge() == "ok" and not c.near_due
    c = sla.clock(due, None, 24, CALENDAR, 75, now=due - timedelta(hours=5))
    assert c.near_due and c.badge() == "near"
    c = sla.clock(due, None, 24, CALENDAR, 75, now=due + timedelta(minutes=1))
    assert c.overdue and c.badge() == "overdue" and c.seconds_left < 0
    c = sla.clock(due, due - timedelta(hours=1), 24, CALENDAR, 75, now=due + timedelta(days=1))
    assert c.met is True and c.badge() == "met"
    # overnight for an office team: overdue, even with no counted time past due yet
    c = sla.clock(at(2026, 11, 5, 21, 0), None, 24, OFFICE, 75, now=at(2026, 11, 5, 23, 0))
    assert c.overdue and c.seconds_left == -1


@pytest.mark.parametrize(
    "shifts",
    [[], [["12:00", "09:00"]], [["09:00", "12:00"], ["11:00", "13:00"]], [["9h", "10h"]]],
)
def test_bad_shifts_are_refused(shifts: Any) -> None:
    with pytest.raises(ValueError):
        sla.parse_shifts(shifts)
