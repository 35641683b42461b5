"""The mainland China working-day calendar, for SLA clocks (R-F1: 15 working days).

Two sources, in this order:
1. The operator's calendar file (`BAOMI_WORKDAY_CALENDAR`, YAML), for years the packaged
   data does not cover yet. The State Council publishes next year's holiday schedule
   (国务院办公厅关于 N 年部分节假日安排的通知) around November; `chinese-calendar` ships it
   in a later release. Until that release is installed, the privacy officer enters the
   schedule here and the SLA clocks stop being estimates:

       2027:
         holidays: [2027-01-01, 2027-02-06, …]   # days off (weekdays that are holidays)
         workdays: [2027-02-20]                  # adjusted working days (调休上班)

   A year in the file is authoritative for that year: a day is a working day when it is in
   `workdays`, or a Monday–Friday not in `holidays`.
2. `chinese-calendar` (statutory holidays and adjusted working days, 2004 to its last
   release's year).

Outside both, Monday–Friday is assumed and the answer says it is an estimate; the privacy
officer's dashboard says so, and `baomi check --deploy` warns when the next 60 days reach
such a year (`baomi.W101`).
"""

from __future__ import annotations

import functools
import os
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import chinese_calendar
import yaml
from django.conf import settings
from django.core.checks import Error, Warning, register
from django.utils import timezone

from .clock import now


class CalendarFileInvalid(ValueError):
    """The operator's calendar file cannot be used (the message names the problem)."""


@dataclass(frozen=True)
class YearOverride:
    holidays: frozenset[date]
    workdays: frozenset[date]


def calendar_path() -> Path | None:
    raw = getattr(settings, "BAOMI_WORKDAY_CALENDAR", None) or os.environ.get(
        "BAOMI_WORKDAY_CALENDAR", ""
    )
    return Path(raw) if raw else None


def _dates(year: int, key: str, value: Any) -> frozenset[date]:
    if value is None:
        return frozenset()
    if not isinstance(value, list):
        raise CalendarFileInvalid(f"{year}.{key} must be a list of dates (YYYY-MM-DD)")
    out = set()
    for item in value:
        try:
            d = item if isinstance(item, date) else date.fromisoformat(str(item))
        except ValueError:
            raise CalendarFileInvalid(f"{year}.{key}: {item!s:.20} is not a date") from None
        if d.year != year:
            raise CalendarFileInvalid(f"{year}.{key}: {d.isoformat()} is not in {year}")
        out.add(d)
    return frozenset(out)


def parse(text: str) -> dict[int, YearOverride]:
    try:
        doc = yaml.safe_load(text) or {}
    except yaml.YAMLError:
        raise CalendarFileInvalid("the calendar file is not valid YAML") from None
    if not isinstance(doc, dict):
        raise CalendarFileInvalid("the calendar file maps years to holidays / workdays")
    out: dict[int, YearOverride] = {}
    for raw_year, body in doc.items():
        try:
            year = int(raw_year)
        except (TypeError, ValueError):
            raise CalendarFileInvalid(f"{raw_year!s:.20} is not a year") from None
        if not isinstance(body, dict) or set(body) - {"holidays", "workdays"}:
            raise CalendarFileInvalid(f"{year} needs only `holidays:` and `workdays:` lists")
        holidays = _dates(year, "holidays", body.get("holidays"))
        workdays = _dates(year, "workdays", body.get("workdays"))
        both = holidays & workdays
        if both:
            raise CalendarFileInvalid(
                f"{year}: {min(both).isoformat()} is listed as a holiday and a working day"
            )
        out[year] = YearOverride(holidays, workdays)
    return out


# The file is looked at (stat) at most once per this many seconds: SLA clocks ask about
# dozens of days per request, on every page that lists requests.
RECHECK_SECONDS = 1.0
_seen: dict[str, Any] = {"path": None, "at": -1e9, "key": None}
_Key = tuple[str, int]  # (path, mtime_ns) of the operator's file


def _file_key() -> _Key | None:
    """(path, mtime) of the operator's calendar file — None without one; a missing file
    raises CalendarFileInvalid. A change is seen within RECHECK_SECONDS."""
    path = calendar_path()
    if path is None:
        return None
    now_s = time.monotonic()
    if _seen["path"] == str(path) and now_s - _seen["at"] < RECHECK_SECONDS:
        key: _Key | None = _seen["key"]
    else:
        try:
            key = (str(path), path.stat().st_mtime_ns)
        except OSError:
            key = None
        _seen.update(path=str(path), at=now_s, key=key)
    if key is None:
        raise CalendarFileInvalid(f"calendar file not found: {path}")
    return key


@functools.lru_cache(maxsize=4)
def _load(path: str, mtime_ns: int) -> dict[int, YearOverride] | CalendarFileInvalid:
    """The parsed file, or why it cannot be used (cached either way: a broken file is not
    parsed again for every day a clock asks about)."""
    try:
        return parse(Path(path).read_text(encoding="utf-8"))
    except CalendarFileInvalid as exc:
        return exc
    except (OSError, UnicodeDecodeError):
        return CalendarFileInvalid(f"calendar file cannot be read: {path}")


def overrides() -> dict[int, YearOverride]:
    """The operator's calendar, re-read when the file changes. A missing or invalid file
    raises CalendarFileInvalid, saying what is wrong."""
    key = _file_key()
    if key is None:
        return {}
    loaded = _load(*key)
    if isinstance(loaded, CalendarFileInvalid):
        raise loaded
    return loaded


def is_workday(d: date) -> tuple[bool, bool]:
    """(working day?, estimated?) — estimated when no source covers the year. While the
    operator's file is broken the clocks fall back to the package and estimates (marked
    so) instead of failing every page that shows a due date; the dashboard and `baomi
    check` name the problem."""
    try:
        key = _file_key()
        usable = key if key is None or not isinstance(_load(*key), CalendarFileInvalid) else None
    except CalendarFileInvalid:
        usable = None
    return _is_workday(d, usable)


@functools.lru_cache(maxsize=8192)
def _is_workday(d: date, key: _Key | None) -> tuple[bool, bool]:
    loaded = _load(*key) if key is not None else {}
    year = loaded.get(d.year) if isinstance(loaded, dict) else None
    if year is not None:
        return d in year.workdays or (d.weekday() < 5 and d not in year.holidays), False
    try:  # chinese-calendar scans its tables per call (~20 us): hence the cache
        return bool(chinese_calendar.is_workday(d)), False
    except NotImplementedError:
        return d.weekday() < 5, True


def covered(d: date) -> bool:
    return not is_workday(d)[1]


def gap(start: date, days: int = 60) -> date | None:
    """The first day in [start, start + days) that no calendar source covers, or None.
    Raises CalendarFileInvalid while the operator's file is broken (callers say so)."""
    overrides()
    return first_uncovered(start, days)


def first_uncovered(start: date, days: int) -> date | None:
    """The first day in [start, start + days) no calendar source covers."""
    for i in range(days):
        d = start + timedelta(days=i)
        if not covered(d):
            return d
    return None


@register("baomi", deploy=True)  # `check --deploy`: not on every command's start-up
def calendar_check(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    try:
        first = gap(timezone.localdate(now()))
    except CalendarFileInvalid as exc:
        return [Error(str(exc), hint="fix or unset BAOMI_WORKDAY_CALENDAR", id="baomi.E101")]
    if first is None:
        return []
    return [
        Warning(
            f"the working-day calendar has no data from {first.isoformat()}: SLA due dates "
            "after it assume Monday–Friday and are marked estimated",
            hint=(
                f"add the State Council holiday schedule for {first.year} to the file named "
                "by BAOMI_WORKDAY_CALENDAR (docs/rights.md), or upgrade chinese-calendar"
            ),
            id="baomi.W101",
        )
    ]


def sla_working_days() -> int:
    """Working days to answer a rights request (R-F1: at most 15; env
    BAOMI_RIGHTS_SLA_WORKING_DAYS). Here, beside the calendar, because the privacy notice
    (consent) states it and the rights workflow counts it (issue #10 §2)."""
    return int(
        getattr(
            settings,
            "BAOMI_RIGHTS_SLA_WORKING_DAYS",
            os.environ.get("BAOMI_RIGHTS_SLA_WORKING_DAYS", "15"),
        )
    )
