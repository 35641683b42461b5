"""Segment definitions (versioned) and the rules that place a profile in them (issue #18
§2). A profile is built in memory from one customer's records (creation dates, counts,
sealed amounts opened by the gate) and preferences, keyed by a per-run pseudonym; only
the sizes and averages of groups leave a run. Changing a rule means bumping its
`version`: sizes are stored with the version they were computed under. The rules are
written out in docs/insights.md §2 — keep both in step."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from .enums import SegmentKind

# industry → (record entity, sealed amount field or "")
INDUSTRIES: dict[str, tuple[str, str]] = {
    "travel": ("booking", "amount"),
    "hotel": ("stay", "spend"),
    "courier": ("shipment", ""),
}
INDUSTRY_LABELS = {
    "travel": ("旅行", "Travel"),
    "hotel": ("酒店", "Hotel"),
    "courier": ("快递", "Courier"),
}
YEAR = timedelta(days=365)

# value thresholds per industry (CNY over the last 365 days / per record)
HIGH_VALUE_SPEND = {"travel": Decimal(30000), "hotel": Decimal(8000)}
POTENTIAL_AVG = {"travel": Decimal(10000), "hotel": Decimal(2500)}
COURIER_HIGH, COURIER_POTENTIAL = 12, 4
# RFM score thresholds: recency (days), frequency (records in 365 days), monetary (CNY)
R_DAYS = (90, 365)  # ≤ 90 → 3, ≤ 365 → 2, else 1
F_COUNT = (2, 5)  # ≥ 5 → 3, ≥ 2 → 2, else 1
M_SPEND = {"travel": (10000, 30000), "hotel": (2500, 8000)}


def amount(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value).replace(",", "").strip()) if value not in (None, "") else None
    except InvalidOperation:
        return None


@dataclass
class Activity:
    """One industry's records of one customer."""

    first: datetime
    last: datetime
    count: int = 0
    count_year: int = 0
    spend_year: Decimal | None = None  # None: the industry has no amount


@dataclass
class Profile:
    activity: dict[str, Activity] = field(default_factory=dict)
    preferences: dict[str, Any] = field(default_factory=dict)
    products: list[str] = field(default_factory=list)  # booked products, oldest first

    @property
    def first(self) -> datetime | None:
        return min((a.first for a in self.activity.values()), default=None)

    @property
    def last(self) -> datetime | None:
        return max((a.last for a in self.activity.values()), default=None)


def build_profile(values: dict[str, Any], now: datetime) -> Profile:
    """From the gate's in-memory values of one customer (never kept)."""
    prefs = values.get("customer", {}).get("preferences")
    p = Profile(preferences=prefs if isinstance(prefs, dict) else {})
    booked = sorted(values.get("booking") or [], key=lambda r: r["created_at"])
    p.products = [str(r["product"]) for r in booked if r.get("product")]
    for industry, (entity, money) in INDUSTRIES.items():
        rows = values.get(entity) or []
        if not rows:
            continue
        dates = [r["created_at"] for r in rows]
        a = Activity(first=min(dates), last=max(dates), count=len(rows))
        recent = [r for r in rows if now - r["created_at"] <= YEAR]
        a.count_year = len(recent)
        if money:
            a.spend_year = sum((amount(r.get(money)) or Decimal(0) for r in recent), Decimal(0))
        p.activity[industry] = a
    return p


@dataclass(frozen=True)
class Segment:
    code: str
    version: int
    kind: SegmentKind
    name_zh: str
    name_en: str
    rule_zh: str
    rule_en: str
    test: Callable[[Profile, datetime], bool]
    industry: str = ""
    family: str = ""  # segments of one family never overlap (a partition of their base)


def _days(now: datetime, at: datetime | None) -> float | None:
    return None if at is None else (now - at).total_seconds() / 86400


def _lifecycle(stage: str) -> Callable[[Profile, datetime], bool]:
    def test(p: Profile, now: datetime) -> bool:
        first, last = _days(now, p.first), _days(now, p.last)
        if first is None or last is None:
            return False
        if stage == "new":
            return first <= 90
        if stage == "active":
            return first > 90 and last <= 180
        if stage == "at_risk":
            return first > 90 and 180 < last <= 365
        return first > 90 and last > 365  # lapsed

    return test


def _high_value(industry: str) -> Callable[[Profile, datetime], bool]:
    def test(p: Profile, now: datetime) -> bool:
        a = p.activity.get(industry)
        if a is None:
            return False
        if industry == "courier":
            return a.count_year >= COURIER_HIGH
        return a.count_year >= 3 and (a.spend_year or 0) >= HIGH_VALUE_SPEND[industry]

    return test


def _potential(industry: str) -> Callable[[Profile, datetime], bool]:
    def test(p: Profile, now: datetime) -> bool:
        a = p.activity.get(industry)
        if a is None or (_days(now, a.last) or 0) > 180:
            return False
        if industry == "courier":
            return COURIER_POTENTIAL <= a.count_year < COURIER_HIGH
        if not 1 <= a.count_year <= 2:
            return False
        return (a.spend_year or Decimal(0)) / a.count_year >= POTENTIAL_AVG[industry]

    return test


def _preference(key: str, value: str) -> Callable[[Profile, datetime], bool]:
    def test(p: Profile, now: datetime) -> bool:
        return str(p.preferences.get(key, "")) == value

    return test


L = SegmentKind
_STAGES = {
    "new": ("新客", "New", "首笔记录在 90 天内", "First record within the last 90 days"),
    "active": (
        "活跃",
        "Active",
        "首笔记录早于 90 天，最近记录在 180 天内",
        "First record over 90 days ago, latest within 180 days",
    ),
    "at_risk": (
        "流失风险",
        "At risk",
        "首笔记录早于 90 天，最近记录在 181–365 天前",
        "First record over 90 days ago, latest 181–365 days ago",
    ),
    "lapsed": (
        "已流失",
        "Lapsed",
        "首笔记录早于 90 天，最近记录超过 365 天",
        "First record over 90 days ago, latest over 365 days ago",
    ),
}
_PREFS = {
    ("travel_style", "family"): ("家庭出游", "Family trips", "travel"),
    ("travel_style", "independent"): ("自由行", "Independent travel", "travel"),
    ("travel_style", "group"): ("跟团游", "Group tours", "travel"),
    ("floor", "high"): ("偏好高楼层", "Prefers a high floor", "hotel"),
    ("floor", "low"): ("偏好低楼层", "Prefers a low floor", "hotel"),
    ("pillow", "soft"): ("偏好软枕", "Prefers a soft pillow", "hotel"),
    ("pillow", "firm"): ("偏好硬枕", "Prefers a firm pillow", "hotel"),
    ("delivery_window", "weekday"): ("工作日收件", "Weekday deliveries", "courier"),
    ("delivery_window", "evening"): ("晚间收件", "Evening deliveries", "courier"),
}


def _value_rules(industry: str) -> tuple[str, str, str, str]:
    if industry == "courier":
        return (
            f"365 天内运单 ≥ {COURIER_HIGH} 票",
            f"At least {COURIER_HIGH} shipments in the last 365 days",
            f"最近 180 天内有运单，365 天内 {COURIER_POTENTIAL}–{COURIER_HIGH - 1} 票",
            f"A shipment within 180 days and {COURIER_POTENTIAL}–{COURIER_HIGH - 1} "
            "in the last 365 days",
        )
    hv, pa = HIGH_VALUE_SPEND[industry], POTENTIAL_AVG[industry]
    return (
        f"365 天内 ≥ 3 笔且合计消费 ≥ ¥{hv}",
        f"At least 3 records and ¥{hv} spent in the last 365 days",
        f"最近 180 天内有记录，365 天内 1–2 笔，笔均消费 ≥ ¥{pa}",
        f"A record within 180 days, 1–2 records in 365 days, at least ¥{pa} a record",
    )


def _definitions() -> tuple[Segment, ...]:
    out: list[Segment] = []
    for stage, (zh, en, rzh, ren) in _STAGES.items():
        out.append(
            Segment(
                f"lifecycle.{stage}",
                1,
                L.LIFECYCLE,
                zh,
                en,
                rzh,
                ren,
                _lifecycle(stage),
                family="lifecycle",
            )
        )
    for industry in INDUSTRIES:
        izh, ien = INDUSTRY_LABELS[industry]
        hv_zh, hv_en, po_zh, po_en = _value_rules(industry)
        out.append(
            Segment(
                f"{industry}.high_value",
                1,
                L.VALUE,
                f"{izh}高价值客户",
                f"{ien}: high value",
                hv_zh,
                hv_en,
                _high_value(industry),
                industry,
            )
        )
        out.append(
            Segment(
                f"{industry}.potential",
                1,
                L.VALUE,
                f"{izh}潜力客户",
                f"{ien}: potential",
                po_zh,
                po_en,
                _potential(industry),
                industry,
            )
        )
    for (key, value), (zh, en, industry) in _PREFS.items():
        out.append(
            Segment(
                f"pref.{key}.{value}",
                1,
                L.PREFERENCE,
                zh,
                en,
                f"客户偏好中注明：{zh}",
                f"The customer's preferences say: {en[:1].lower()}{en[1:]}",
                _preference(key, value),
                industry,
                family=f"pref.{key}",
            )
        )
    return tuple(out)


SEGMENTS: tuple[Segment, ...] = _definitions()
BY_CODE: dict[str, Segment] = {s.code: s for s in SEGMENTS}


def rfm_scores(p: Profile, now: datetime) -> dict[str, dict[str, int]]:
    """Per industry the customer is active in: R, F (and M where amounts exist), 1–3."""
    out: dict[str, dict[str, int]] = {}
    for industry, a in p.activity.items():
        days = _days(now, a.last) or 0
        cell = {
            "r": 3 if days <= R_DAYS[0] else 2 if days <= R_DAYS[1] else 1,
            "f": 3 if a.count_year >= F_COUNT[1] else 2 if a.count_year >= F_COUNT[0] else 1,
        }
        if industry in M_SPEND and a.spend_year is not None:
            lo, hi = M_SPEND[industry]
            cell["m"] = 3 if a.spend_year >= hi else 2 if a.spend_year >= lo else 1
        out[industry] = cell
    return out
