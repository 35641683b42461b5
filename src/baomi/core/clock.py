"""One clock for the whole product so tests can control time."""

import calendar
from datetime import date as _date
from datetime import datetime
from typing import TypeVar

from django.utils import timezone


def now() -> datetime:
    return timezone.now()


_D = TypeVar("_D", bound=_date)


def add_months(value: _D, months: int) -> _D:
    """The same day `months` later — a date or a datetime — or the month's last day when
    that month is shorter (31 Jan + 1 month = 28/29 Feb)."""
    idx = value.year * 12 + value.month - 1 + months
    y, m = divmod(idx, 12)
    return value.replace(year=y, month=m + 1, day=min(value.day, calendar.monthrange(y, m + 1)[1]))
