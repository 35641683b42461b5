"""The data-quality indicators (issue #16 §4; R-K1, R-K2, R-K3), from the latest metrics
run in the period (counts only) and the duplicate queue. Definitions: docs/quality.md §4
and `services/metrics.py`. Default target ≥ 95 % for every share (the issue's default
quality compliance); open duplicate pairs ≤ 0."""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Q

from baomi.catalog import fields as catalog
from baomi.catalog.enums import Channel
from baomi.contract.kpis import AT_LEAST, AT_MOST, MONTH, Drill, Indicator, Measurement, Period

from .enums import PairState
from .models import DuplicatePair
from .services import metrics

NAMES = {
    "completeness": ("客户资料完整率", "Profile completeness", "R-K2"),
    "validity": ("客户资料有效率", "Values valid under today's rules", "R-K3"),
    "accuracy": ("客户资料准确率（经客户或证件确认）", "Values confirmed (accuracy)", "R-K2"),
    "timeliness": ("联系信息及时率", "Contact details up to date (timeliness)", "R-K2"),
    "consistency": ("身份信息一致率", "Gender and birth date agree with the ID", "R-K3"),
    "uniqueness": ("客户唯一率（无待审重复）", "Customers in no open duplicate pair", "R-K1"),
    "compliance": ("数据质量达标率", "Quality compliance", "R-K2"),
}


def _run(period: Period) -> metrics.MetricsRun | None:
    return metrics.latest(before=period.end, after=period.start)


def _compute(metric: str) -> Callable[[Period], Measurement]:
    def compute(period: Period) -> Measurement:
        run = _run(period)
        if run is None:
            return Measurement(None, "no_metrics_run")
        cell = run.totals.get(metric)
        value = metrics.share(cell)
        if value is None or cell is None:
            return Measurement(None, "no_customers")
        return Measurement(
            value,
            numerator=cell["num"],
            denominator=cell["den"],
            detail={"computed_at": run.computed_at.isoformat(), "customers": run.customers},
        )

    return compute


def _drill(metric: str) -> Callable[[Period], Drill]:
    """Per field and per channel: counts only (no customer is listed)."""

    def drill(period: Period) -> Drill:
        run = _run(period)
        if run is None:
            return Drill([], [])
        groups = []
        for f, cells in run.by_field.items():
            cell = cells.get(metric)
            if cell:
                spec = catalog.spec("customer", f)
                groups.append(
                    {
                        "group": f"field:{f}",
                        "label": f"{spec.label_zh} / {spec.label_en}",
                        "total": cell["den"],
                        "counted": cell["num"],
                    }
                )
        labels = dict(Channel.choices)
        for ch, cells in run.by_channel.items():
            cell = cells.get(metric)
            if cell:
                groups.append(
                    {
                        "group": f"channel:{ch}",
                        "label": str(labels.get(ch, ch)),
                        "total": cell["den"],
                        "counted": cell["num"],
                    }
                )
        return Drill(groups, [])

    return drill


def open_duplicates(period: Period) -> Measurement:
    """Duplicate pairs found before the period's end and not decided by then."""
    n = (
        DuplicatePair.objects.filter(found_at__lt=period.end)
        .filter(Q(state__in=(PairState.OPEN, PairState.DEFERRED)) | Q(decided_at__gte=period.end))
        .count()
    )
    return Measurement(float(n), numerator=n)


INDICATORS = (
    *(
        Indicator(
            code=f"quality.{m}",
            name_zh=NAMES[m][0],
            name_en=NAMES[m][1],
            requirement=NAMES[m][2],
            target=95.0,
            direction=AT_LEAST,
            unit="%",
            period=MONTH,
            compute=_compute(m),
            drill=_drill(m),
            reasons=(
                ("no_metrics_run", "本期尚未计算数据质量", "No data-quality run in this period"),
                ("no_customers", "期末没有在册客户", "No customers on file at the period's end"),
            ),
            description_zh="最近一次数据质量计算（本期内）的结果，只含计数。",
            description_en="The latest data-quality run in the period; counts only.",
        )
        for m in metrics.METRICS
    ),
    Indicator(
        code="quality.open_duplicates",
        name_zh="待审重复客户对",
        name_en="Open duplicate pairs",
        requirement="R-K1",
        target=0.0,
        direction=AT_MOST,
        unit="count",
        period=MONTH,
        compute=open_duplicates,
    ),
)
