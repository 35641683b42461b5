"""The working-day calendar behind the SLA clocks (R-F1): chinese-calendar's data, the
operator's calendar file for years it does not cover yet, and the coverage check."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from baomi.core import workdays

SCHEDULE_2031 = """\
# a made-up schedule for a year no package covers
2031:
  holidays: [2031-06-02, 2031-06-03]
  workdays: [2031-06-07]
"""


@pytest.fixture(autouse=True)
def _look_at_the_file_every_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """The file is looked at once a second in production; these tests edit it faster."""
    monkeypatch.setattr(workdays, "RECHECK_SECONDS", 0.0)


@pytest.fixture
def calendar_file(tmp_path: Path, settings: Any) -> Path:
    path = tmp_path / "workdays.yaml"
    path.write_text(SCHEDULE_2031, encoding="utf-8")
    settings.BAOMI_WORKDAY_CALENDAR = str(path)
    return path


def test_packaged_calendar_knows_adjusted_working_days() -> None:
    assert workdays.is_workday(date(2025, 9, 28)) == (True, False)  # a Sunday, 调休上班
    assert workdays.is_workday(date(2025, 10, 3)) == (False, False)  # National Day week
    assert workdays.is_workday(date(2031, 6, 2)) == (True, True)  # no data: Mon–Fri guess


def test_operator_file_covers_a_year_the_package_lacks(calendar_file: Path) -> None:
    assert workdays.is_workday(date(2031, 6, 2)) == (False, False)  # a Monday, holiday
    assert workdays.is_workday(date(2031, 6, 4)) == (True, False)  # an ordinary Wednesday
    assert workdays.is_workday(date(2031, 6, 7)) == (True, False)  # a Saturday worked
    assert workdays.is_workday(date(2031, 6, 8)) == (False, False)  # an ordinary Sunday
    assert workdays.is_workday(date(2032, 6, 2)) == (True, True)  # other years: estimated
    # edits are picked up without a restart (re-read when the file changes)
    calendar_file.write_text(SCHEDULE_2031.replace("2031-06-03]", "2031-06-03, 2031-06-04]"))
    assert workdays.is_workday(date(2031, 6, 4)) == (False, False)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2031: [2031-06-02]", "needs only"),
        ("2031:\n  holidays: 2031-06-02\n", "must be a list"),
        ("2031:\n  holidays: [2030-06-02]\n", "is not in 2031"),
        ("2031:\n  holidays: [notadate]\n", "is not a date"),
        ("2031:\n  holidays: [2031-06-02]\n  workdays: [2031-06-02]\n", "holiday and a working"),
        ("next:\n  holidays: []\n", "is not a year"),
        ("2031: {holidays: [", "not valid YAML"),
    ],
)
def test_invalid_calendar_file_is_refused_with_the_reason(
    tmp_path: Path, settings: Any, text: str, message: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    settings.BAOMI_WORKDAY_CALENDAR = str(path)
    with pytest.raises(workdays.CalendarFileInvalid, match=message):
        workdays.overrides()
    # the clocks keep going on the package and estimates (marked), not on the broken file
    assert workdays.is_workday(date(2031, 6, 2)) == (True, True)
    assert workdays.is_workday(date(2025, 10, 3)) == (False, False)


def test_check_warns_before_the_calendar_runs_out(
    calendar_file: Path, settings: Any, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.setattr(workdays, "now", lambda: datetime(2031, 12, 1, 4, 0, tzinfo=UTC))
    warnings = workdays.calendar_check()
    assert [w.id for w in warnings] == ["baomi.W101"]
    assert "2032-01-01" in warnings[0].msg and "2032" in warnings[0].hint
    monkeypatch.setattr(workdays, "now", lambda: datetime(2031, 6, 1, 4, 0, tzinfo=UTC))
    assert workdays.calendar_check() == []  # 60 days ahead all inside the file's year
    settings.BAOMI_WORKDAY_CALENDAR = str(calendar_file.parent / "missing.yaml")
    assert [e.id for e in workdays.calendar_check()] == ["baomi.E101"]
    monkeypatch.setattr(workdays, "now", lambda: datetime(2025, 3, 1, 4, 0, tzinfo=UTC))
    settings.BAOMI_WORKDAY_CALENDAR = ""
    call_command("check", "--deploy", "--tag", "baomi")  # covered by the package: silent
    assert "W101" not in capsys.readouterr().err


def test_the_officer_dashboard_says_when_the_calendar_runs_out(
    staff_client: Any, calendar_file: Path, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.utils import timezone

    c, _ = staff_client("privacy_officer")
    monkeypatch.setattr(timezone, "localdate", lambda *a: date(2031, 12, 1))
    body = c.get("/rights/").content.decode()
    assert 'data-testid="calendar-gap"' in body and "2032-01-01" in body
    monkeypatch.setattr(timezone, "localdate", lambda *a: date(2031, 6, 1))
    assert 'data-testid="calendar-gap"' not in c.get("/rights/").content.decode()
    calendar_file.write_text("2031: [broken", encoding="utf-8")
    r = c.get("/rights/")
    assert r.status_code == 200 and 'data-testid="calendar-gap"' in r.content.decode()
    assert "BAOMI_WORKDAY_CALENDAR" in r.content.decode()


def test_a_change_is_seen_within_the_recheck_interval(
    calendar_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Clocks ask about dozens of days per request: the file is stat-ed at most once per
    RECHECK_SECONDS, and an edit is seen once that has passed."""
    import os

    monkeypatch.setattr(workdays, "RECHECK_SECONDS", 3600.0)
    assert workdays.is_workday(date(2031, 6, 4)) == (True, False)
    calendar_file.write_text(SCHEDULE_2031.replace("2031-06-03]", "2031-06-03, 2031-06-04]"))
    os.utime(calendar_file, ns=(1, 1))  # a different mtime, even on a coarse clock
    assert workdays.is_workday(date(2031, 6, 4)) == (True, False)  # not looked at yet
    monkeypatch.setattr(workdays, "RECHECK_SECONDS", 0.0)
    assert workdays.is_workday(date(2031, 6, 4)) == (False, False)
