"""SLA clock cost: prints one JSON object (docs/performance.md, "Working-day clocks").

    .venv/bin/python benchmarks/bench_workdays.py [--n 2000]

Due dates (15 working days, `rights.sla.add_working_days`) per second through
`baomi.core.workdays`, without and with an operator calendar file, against a baseline
measured in the same run: the same walk asking chinese-calendar directly for every day
(what the clocks did before the cache). No database, no personal data.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "baomi.settings.test")

import django

django.setup()

import chinese_calendar  # noqa: E402
from django.conf import settings  # noqa: E402

from baomi.rights import sla  # noqa: E402


def rate(n: int, walk: Callable[[date], object]) -> float:
    start = date(2026, 12, 1)
    t = time.perf_counter()
    for i in range(n):
        walk(start + timedelta(days=i % 30))
    return n / (time.perf_counter() - t)


def uncached(start: date) -> date:
    d, left = start, 15
    while left:
        d += timedelta(days=1)
        try:
            left -= bool(chinese_calendar.is_workday(d))
        except NotImplementedError:
            left -= d.weekday() < 5
    return d


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=2000)
    n = ap.parse_args().n
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as fh:
        fh.write("2027:\n  holidays: [2027-01-01]\n")
    try:
        base = rate(n, uncached)
        settings.BAOMI_WORKDAY_CALENDAR = ""
        plain = rate(n, lambda d: sla.add_working_days(d, 15))
        settings.BAOMI_WORKDAY_CALENDAR = fh.name
        with_file = rate(n, lambda d: sla.add_working_days(d, 15))
    finally:
        os.unlink(fh.name)
    print(
        json.dumps(
            {
                "bench": "workdays",
                "due_dates": n,
                "baseline_uncached_per_s": round(base),
                "cached_per_s": round(plain),
                "cached_with_file_per_s": round(with_file),
                "ratio_cached": round(plain / base, 2),
                "ratio_with_file": round(with_file / base, 2),
                "loadavg": os.getloadavg(),
            }
        )
    )


if __name__ == "__main__":
    main()
