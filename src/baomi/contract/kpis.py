"""The indicator registry (issue #10 §3, R-N2, R-L2): every numeric target of the business
documents, owned and computed by the domain whose records it counts.

A domain registers `Indicator(...)` in its participant; `GET /api/v1/kpis?period=` and the
console dashboard (`/kpis/`) list them all, with their trend over the last periods and a
drill-down to the records behind the figure. A value that cannot be computed is `None`
with a `reason` code — never 0 and never a made-up number. Each indicator declares the
reason codes it can answer with their words in both languages (`Indicator.reasons`);
`baomi check` (baomi.E203) refuses a reason code its domain returns but does not label,
so the console and the API name no domain's reasons themselves.

Periods: `2026-11` (month), `2026Q4` (quarter), `2026H2` (half-year), `2026` (year), in the
configured time zone (Asia/Shanghai), half-open [start, end).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings

from baomi.catalog.enums import Role
from baomi.core import clock
from baomi.core.errors import FieldIssue, ValidationFailed

MONTH, QUARTER, HALF, YEAR = "month", "quarter", "half_year", "year"
GRANULARITIES = (MONTH, QUARTER, HALF, YEAR)
AT_LEAST, AT_MOST = "at_least", "at_most"

# Reason codes the registry itself answers (not a domain's): code -> (中文, English)
COMMON_REASONS: dict[str, tuple[str, str]] = {
    "period_in_future": ("期间尚未开始", "The period has not started"),
}

# who sees indicators (figures only) and who may open the records behind them
VIEWERS = frozenset({Role.PRIVACY_OFFICER, Role.MANAGER, Role.INSPECTOR})
RECORD_VIEWERS = frozenset({Role.PRIVACY_OFFICER})


@dataclass(frozen=True)
class Period:
    code: str
    granularity: str
    start: datetime  # aware, inclusive
    end: datetime  # aware, exclusive

    def previous(self, n: int = 1) -> Period:
        months = _MONTHS[self.granularity]
        y, m = self.start.year, self.start.month
        idx = y * 12 + (m - 1) - months * n
        return _make(self.granularity, idx // 12, idx % 12 + 1)

    def contains(self, at: datetime) -> bool:
        return self.start <= at < self.end


_MONTHS = {MONTH: 1, QUARTER: 3, HALF: 6, YEAR: 12}
_PATTERNS = (
    (re.compile(r"^(\d{4})-(\d{2})$"), MONTH),
    (re.compile(r"^(\d{4})Q([1-4])$"), QUARTER),
    (re.compile(r"^(\d{4})H([12])$"), HALF),
    (re.compile(r"^(\d{4})$"), YEAR),
)


def _tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _make(granularity: str, year: int, first_month: int) -> Period:
    months = _MONTHS[granularity]
    start = datetime(year, first_month, 1, tzinfo=_tz())
    idx = year * 12 + first_month - 1 + months
    end = datetime(idx // 12, idx % 12 + 1, 1, tzinfo=_tz())
    if granularity == MONTH:
        code = f"{year}-{first_month:02d}"
    elif granularity == QUARTER:
        code = f"{year}Q{(first_month - 1) // 3 + 1}"
    elif granularity == HALF:
        code = f"{year}H{(first_month - 1) // 6 + 1}"
    else:
        code = f"{year}"
    return Period(code, granularity, start, end)


def parse_period(code: str) -> Period:
    """`2026-11`, `2026Q4`, `2026H2` or `2026`; anything else is a 422 with code
    `period_invalid` (bilingual message)."""
    text = (code or "").strip().upper()
    for pattern, granularity in _PATTERNS:
        m = pattern.match(text)
        if not m:
            continue
        year = int(m.group(1))
        n = int(m.group(2)) if m.lastindex and m.lastindex > 1 else 1
        if granularity == MONTH and not 1 <= n <= 12:
            break
        if not 2000 <= year <= 2100:
            break
        first = {MONTH: n, QUARTER: 3 * (n - 1) + 1, HALF: 6 * (n - 1) + 1, YEAR: 1}[granularity]
        return _make(granularity, year, first)
    raise ValidationFailed(
        [
            FieldIssue(
                "period",
                "period_invalid",
                "a period is 2026-11, 2026Q4, 2026H2 or 2026",
                "期间格式应为 2026-11、2026Q4、2026H2 或 2026",
            )
        ]
    )


def current_period(granularity: str, at: datetime | None = None) -> Period:
    now = (at or clock.now()).astimezone(_tz())
    months = _MONTHS[granularity]
    first = (now.month - 1) // months * months + 1
    return _make(granularity, now.year, first)


@dataclass(frozen=True)
class Measurement:
    """What a compute function answers. `value` None needs a `reason` code (e.g.
    `no_customers`, `no_requests_due`, `no_history`): the endpoint never shows 0 for
    "nothing to measure". `numerator`/`denominator` explain a share."""

    value: float | None
    reason: str | None = None
    numerator: int | None = None
    denominator: int | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.value is None and not self.reason:
            raise ValueError("an indicator without a value must say why (reason)")


def share(
    numerator: int,
    denominator: int,
    empty: str,
    *,
    digits: int = 2,
    detail: dict[str, Any] | None = None,
) -> Measurement:
    """The usual ratio indicator: `numerator / denominator` as a percentage (0–100) with
    both counts, or no value with the reason `empty` when there is nothing to divide by
    (never 0 for "nothing to measure")."""
    if not denominator:
        return Measurement(None, empty, numerator=numerator or None, detail=dict(detail or {}))
    return Measurement(
        round(100 * numerator / denominator, digits),
        numerator=numerator,
        denominator=denominator,
        detail=dict(detail or {}),
    )


def as_of(period: Period) -> date | None:
    """The day a standing figure (a register, a catalogue) is read for `period`: its last
    day, or today while it runs; None when the period has not started."""
    today = clock.now().astimezone(_tz()).date()
    if period.start.date() > today:
        return None
    return min(period.end.date() - timedelta(days=1), today)


def is_current(period: Period) -> bool:
    """True while `period` runs (a figure that exists only as of now answers for it)."""
    return period.contains(clock.now())


@dataclass(frozen=True)
class DrillRow:
    """One record behind a figure: non-personal columns only (ids, codes, dates). Cell
    values are display text: a "中文 / English" label (enum `.label`) is shown in the
    viewer's language. `href` links to the record's page, which reads personal values
    through the gate."""

    id: str
    cells: dict[str, Any]
    counts: bool  # counts towards the target (True) or against it (False)
    href: str = ""


@dataclass(frozen=True)
class Drill:
    groups: list[dict[str, Any]]  # aggregates (every viewer)
    rows: list[DrillRow]  # records (RECORD_VIEWERS only)


@dataclass(frozen=True)
class Indicator:
    code: str  # "R-B3.consent_share"
    name_zh: str
    name_en: str
    requirement: str  # R-ID
    target: float
    direction: str  # AT_LEAST / AT_MOST
    unit: str  # "%" (value 0..100), "days", "count", "hours"
    period: str  # natural granularity (MONTH...)
    compute: Callable[[Period], Measurement]
    drill: Callable[[Period], Drill] | None = None
    columns: tuple[tuple[str, str, str], ...] = ()  # drill cells: (key, 中文, English)
    description_zh: str = ""
    description_en: str = ""
    # every reason code `compute` may answer with no value: (code, 中文, English)
    reasons: tuple[tuple[str, str, str], ...] = ()

    def reason_text(self, code: str | None, lang: str = "en") -> str:
        """The words for a reason code in `lang` (zh or en); the code itself when neither
        the indicator nor the registry labels it (baomi.E203 keeps that from shipping)."""
        if not code:
            return ""
        words = {c: (zh, en) for c, zh, en in self.reasons}.get(code) or COMMON_REASONS.get(code)
        if words is None:
            return code
        return words[0] if lang.startswith("zh") else words[1]

    def met(self, value: float | None) -> bool | None:
        if value is None:
            return None
        return value >= self.target if self.direction == AT_LEAST else value <= self.target


@dataclass(frozen=True)
class Result:
    indicator: Indicator
    period: Period
    measurement: Measurement
    updated_at: datetime

    def as_dict(self, lang: str = "en") -> dict[str, Any]:
        ind, m = self.indicator, self.measurement
        out: dict[str, Any] = {
            "code": ind.code,
            "name": ind.name_zh if lang.startswith("zh") else ind.name_en,
            "requirement": ind.requirement,
            "target": ind.target,
            "direction": ind.direction,
            "unit": ind.unit,
            "period": self.period.code,
            "value": m.value,
            "met": ind.met(m.value),
            "updated_at": self.updated_at.isoformat(),
            "numerator": m.numerator,
            "denominator": m.denominator,
        }
        if m.value is None:
            out["reason"] = m.reason
            out["reason_text"] = ind.reason_text(m.reason, lang)
        return out


def registered() -> list[Indicator]:
    from . import participants

    return participants.indicators()


def get(code: str) -> Indicator | None:
    return next((i for i in registered() if i.code == code), None)


def evaluate(ind: Indicator, period: Period) -> Result:
    future = period.start > clock.now()
    m = Measurement(None, "period_in_future") if future else ind.compute(period)
    return Result(ind, period, m, clock.now())


def period_for(ind: Indicator, code: str | None) -> Period:
    return parse_period(code) if code else current_period(ind.period)


def board(code: str | None = None) -> list[Result]:
    """Every registered indicator for `code` (or each over its own current period)."""
    return [evaluate(i, period_for(i, code)) for i in registered()]


def trend(ind: Indicator, period: Period, n: int = 6) -> list[Result]:
    """This period and the n-1 before it, oldest first."""
    return [evaluate(ind, period.previous(k)) for k in range(n - 1, -1, -1)]


def may_view(role: str) -> bool:
    return role in VIEWERS


def may_open_records(role: str) -> bool:
    return role in RECORD_VIEWERS


def day_range(p: Period) -> tuple[date, date]:
    return p.start.date(), p.end.date()
