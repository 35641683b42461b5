"""The feedback clocks (R-J1: first response within 24 h; resolution).

A team counts in calendar hours (the default) or in its office hours: the shifts of a
working day on the mainland calendar — statutory holidays and adjusted working days (调休)
from `baomi.core.workdays`, the calendar the rights clock uses — with several shifts a day
(a lunch break is the gap between two shifts). Nights, weekends and holidays do not count.

Pauses (`Pause`, each with an audited reason) stop both clocks: the budget left when a
pause starts is carried over to its end. Due times are stored on the ticket when it is
received and moved when a pause ends; everything else is computed here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from typing import Any

from django.utils import timezone

from baomi.core import workdays

from .enums import HoursMode

MAX_DAYS = 800  # a budget that does not fit in this many days is a configuration error


@dataclass(frozen=True)
class Hours:
    """How a team counts: calendar hours, or shifts on working days (local time)."""

    office: bool
    shifts: tuple[tuple[time, time], ...] = ()

    @classmethod
    def of(cls, team: Any) -> Hours:
        if team.hours != HoursMode.OFFICE:
            return cls(False)
        return cls(True, parse_shifts(team.shifts))


def parse_shifts(raw: Iterable[Any]) -> tuple[tuple[time, time], ...]:
    """[["09:00", "12:00"], ["13:30", "18:00"]] → sorted, non-overlapping (start, end)."""
    out: list[tuple[time, time]] = []
    for pair in raw or ():
        start, end = (time.fromisoformat(str(x)) for x in pair)
        if end <= start:
            raise ValueError("a shift ends after it starts (no shift across midnight)")
        out.append((start, end))
    out.sort()
    for (_, e1), (s2, _) in pairwise(out):
        if s2 < e1:
            raise ValueError("shifts overlap")
    if not out:
        raise ValueError("an office-hours team needs at least one shift")
    return tuple(out)


def _local(dt: datetime) -> datetime:
    return timezone.localtime(dt)


def _windows(day: date, hours: Hours) -> list[tuple[datetime, datetime]]:
    if not workdays.is_workday(day)[0]:
        return []
    tz = timezone.get_current_timezone()
    return [
        (datetime.combine(day, s, tzinfo=tz), datetime.combine(day, e, tzinfo=tz))
        for s, e in hours.shifts
    ]


def add(start: datetime, seconds: float, hours: Hours) -> datetime:
    """The moment `seconds` of counted time after `start`."""
    if not hours.office:
        return start + timedelta(seconds=seconds)
    left = float(seconds)
    cursor = _local(start)
    day = cursor.date()
    for _ in range(MAX_DAYS):
        for ws, we in _windows(day, hours):
            begin = max(ws, cursor)
            if begin >= we:
                continue
            span = (we - begin).total_seconds()
            if left <= span:
                return begin + timedelta(seconds=left)
            left -= span
        day += timedelta(days=1)
    raise ValueError("the clock budget does not fit the team's hours")


def counted(a: datetime, b: datetime, hours: Hours) -> float:
    """Counted seconds in [a, b) (0 when b ≤ a)."""
    if b <= a:
        return 0.0
    if not hours.office:
        return (b - a).total_seconds()
    a, b = _local(a), _local(b)
    total, day = 0.0, a.date()
    while day <= b.date():
        for ws, we in _windows(day, hours):
            lo, hi = max(ws, a), min(we, b)
            if hi > lo:
                total += (hi - lo).total_seconds()
        day += timedelta(days=1)
    return total


def due(
    start: datetime,
    budget_hours: float,
    hours: Hours,
    pauses: Iterable[tuple[datetime, datetime | None]] = (),
    now: datetime | None = None,
) -> datetime:
    """When `budget_hours` of counted time after `start` run out, pauses taken out: a pause
    that starts before the (moving) due time carries the budget left then over to its end
    (an open pause: to `now`)."""
    d = add(start, budget_hours * 3600, hours)
    for p_start, p_end in sorted(pauses, key=lambda p: p[0]):
        if p_start >= d:
            continue
        end = p_end or now or timezone.now()
        if end <= p_start:
            continue
        d = add(end, counted(p_start, d, hours), hours)
    return d


@dataclass(frozen=True)
class Clock:
    due_at: datetime
    stopped_at: datetime | None  # answered / resolved at
    seconds_left: int  # counted seconds to due (negative: overdue); at stop for stopped
    overdue: bool
    near_due: bool  # escalation: the team's share of the budget used
    met: bool | None  # stopped clocks: in time?

    def badge(self) -> str:
        if self.met is not None:
            return "met" if self.met else "missed"
        return "overdue" if self.overdue else ("near" if self.near_due else "ok")

    def as_dict(self) -> dict[str, Any]:
        return {
            "due_at": self.due_at.isoformat(),
            "seconds_left": self.seconds_left,
            "overdue": self.overdue,
            "near_due": self.near_due,
            "met": self.met,
        }


def clock(
    due_at: datetime,
    stopped_at: datetime | None,
    budget_hours: float,
    hours: Hours,
    escalate_percent: int,
    *,
    paused: bool = False,
    now: datetime | None = None,
) -> Clock:
    at = stopped_at or now or timezone.now()
    if at <= due_at:
        left = int(counted(at, due_at, hours))
    else:
        left = -max(1, int(counted(due_at, at, hours)))
    running = stopped_at is None
    overdue = running and at > due_at
    threshold = budget_hours * 3600 * (100 - escalate_percent) / 100
    near = running and not paused and not overdue and left <= threshold
    return Clock(
        due_at=due_at,
        stopped_at=stopped_at,
        seconds_left=left,
        overdue=overdue,
        near_due=near,
        met=None if running else stopped_at <= due_at,  # type: ignore[operator]
    )
