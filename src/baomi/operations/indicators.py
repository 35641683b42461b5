"""Indicators of the operations domain (R-M1, R-M3), from the waybill register.

* lost_waybills — waybills recorded lost in the period (blank forms missing at a count,
  parcels lost), target 0. Null (`no_waybills_issued`) while no range was issued by the
  period's end: nothing to lose is not "none lost".
"""

from __future__ import annotations

from collections import Counter

from django.urls import reverse

from baomi.consent.i18n import half
from baomi.contract.kpis import AT_MOST, MONTH, Drill, DrillRow, Indicator, Measurement, Period

from .enums import VoidReason, WaybillState
from .models import Waybill, WaybillRange

REASON_LABELS = {"no_waybills_issued": ("期末前尚未发放运单号段", "No waybill range issued yet")}


def _lost(period: Period) -> list[Waybill]:
    return list(
        Waybill.objects.select_related("range__site")
        .filter(
            state=WaybillState.LOST,
            changed_at__gte=period.start,
            changed_at__lt=period.end,
        )
        .order_by("number")
    )


def lost_waybills(period: Period) -> Measurement:
    if not WaybillRange.objects.filter(issued_at__lt=period.end).exists():
        return Measurement(None, "no_waybills_issued")
    return Measurement(float(len(_lost(period))))


def lost_drill(period: Period) -> Drill:
    rows = _lost(period)
    by_site = Counter(w.range.site.code for w in rows)
    return Drill(
        groups=[{"outlet": code, "lost": n} for code, n in sorted(by_site.items())],
        rows=[
            DrillRow(
                w.no,
                {
                    "waybill": w.no,
                    "outlet": w.range.site.code,
                    "reason": half(VoidReason(w.reason).label) if w.reason else "—",
                    "at": w.changed_at.date().isoformat(),
                },
                counts=False,
                href=reverse("operations:parcel", args=[w.no]),
            )
            for w in rows
        ],
    )


LOST_WAYBILLS = Indicator(
    code="operations.lost_waybills",
    name_zh="遗失运单数",
    name_en="Waybills lost",
    requirement="R-M1",
    target=0.0,
    direction=AT_MOST,
    unit="count",
    period=MONTH,
    compute=lost_waybills,
    drill=lost_drill,
    columns=(
        ("waybill", "运单号", "Waybill"),
        ("outlet", "网点", "Outlet"),
        ("reason", "原因", "Reason"),
        ("at", "登记日期", "Recorded on"),
    ),
    description_zh="期内登记遗失的运单（空白运单清点缺失或快件遗失），目标为 0。",
    description_en=(
        "Waybills recorded lost in the period (blank forms missing, parcels lost); target 0."
    ),
)

INDICATORS = (LOST_WAYBILLS,)
