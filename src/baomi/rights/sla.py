"""The SLA clock on the mainland China working-day calendar (R-F1: 15 working days).

Working days come from `chinese-calendar` (statutory holidays and the adjusted working days
调休, e.g. a Sunday that is a working day), whose data cover 2004–2026, and from the
operator's calendar file for later years (`baomi.core.workdays`); outside both the clock
falls back to Monday–Friday and says so (`estimated`). Everything here is computed from the
request's timestamps — nothing is stored.

Rule: the day a request is received does not count; it is due at the end (23:59:59 local
time) of the N-th working day after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils import timezone

from baomi.core import workdays

from . import conf
from .models import RequestState, RightsRequest


def is_workday(d: date) -> tuple[bool, bool]:
    """(working day?, estimated?) — from baomi.core.workdays: the operator's calendar file
    (BAOMI_WORKDAY_CALENDAR) for years not packaged yet, then chinese-calendar."""
    return workdays.is_workday(d)


def add_working_days(start: date, n: int) -> tuple[date, bool]:
    """The n-th working day after `start` (start itself not counted)."""
    d, left, estimated = start, n, False
    while left > 0:
        d += timedelta(days=1)
        work, est = is_workday(d)
        estimated = estimated or est
        if work:
            left -= 1
    return d, estimated


def working_days_between(after: date, until: date) -> tuple[int, bool]:
    """Working days in (after, until]; negative when `until` is before `after`."""
    if until < after:
        n, est = working_days_between(until, after)
        return -n, est
    count, estimated, d = 0, False, after
    while d < until:
        d += timedelta(days=1)
        work, est = is_workday(d)
        estimated = estimated or est
        count += work
    return count, estimated


def _local(dt: datetime) -> datetime:
    return timezone.localtime(dt)


def due_at(received_at: datetime, days: int | None = None) -> tuple[datetime, bool]:
    n = workdays.sla_working_days() if days is None else days
    due_day, estimated = add_working_days(_local(received_at).date(), n)
    end = datetime.combine(due_day, time(23, 59, 59), tzinfo=_local(received_at).tzinfo)
    return end, estimated


@dataclass(frozen=True)
class Clock:
    due_at: datetime
    estimated: bool  # the calendar had no data for part of the period (Mon–Fri assumed)
    seconds_left: int  # negative when overdue; for closed requests: at closing time
    working_days_left: int
    overdue: bool
    near_due: bool
    met: bool | None  # closed requests: answered in time?

    def as_dict(self) -> dict[str, Any]:
        return {
            "due_at": self.due_at.isoformat(),
            "estimated": self.estimated,
            "seconds_left": self.seconds_left,
            "working_days_left": self.working_days_left,
            "overdue": self.overdue,
            "near_due": self.near_due,
            "met": self.met,
        }


def clock(req: RightsRequest, now: datetime | None = None) -> Clock:
    now = now or timezone.now()
    due, estimated = due_at(req.received_at)
    closed = req.completed_at if req.state == RequestState.COMPLETED else req.refused_at
    at = closed or now
    left, est2 = working_days_between(_local(at).date(), due.date())
    seconds = int((due - at).total_seconds())
    overdue = closed is None and seconds < 0
    near = closed is None and not overdue and left <= conf.near_due_working_days()
    return Clock(
        due_at=due,
        estimated=estimated or est2,
        seconds_left=seconds,
        working_days_left=left,
        overdue=overdue,
        near_due=near,
        met=None if closed is None else seconds >= 0,
    )
