"""Insights indicators (issue #18 §4, R-L2): marketing conversion, repurchase rate and
segment coverage. The travel document names conversion (精准营销转化率) and repurchase
(复购率) without a number: their target is 0 (tracked, not judged) until the business
sets one. Counts only; definitions in docs/insights.md §4."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Min

from baomi.contract.kpis import AT_LEAST, MONTH, Drill, Indicator, Measurement, Period, share
from baomi.customers.models import Booking, Shipment, Stay

from .models import Campaign, InsightRun
from .services import conversion, results

RECORDS = (Booking, Stay, Shipment)


def _conversion(period: Period) -> Measurement:
    sent = Campaign.objects.filter(sent_at__gte=period.start, sent_at__lt=period.end)
    n = conv = 0
    for c in sent:
        a, b = conversion(c)
        n, conv = n + a, conv + b
    if not sent.exists():
        return Measurement(None, "no_campaign_sent")
    return share(conv, n, "no_recipients", detail={"campaigns": sent.count()})


def _conversion_drill(period: Period) -> Drill:
    """Per campaign sent in the period: recipients, converted and the rate — each hidden
    ("—") where the campaign's own results are suppressed. No record rows: the
    recipients are people; only their counts are shown."""
    groups: list[dict[str, Any]] = []
    for c in Campaign.objects.filter(sent_at__gte=period.start, sent_at__lt=period.end):
        res = results(c)
        groups.append(
            {
                "campaign": c.name,
                "segment": c.segment,
                "recipients": "—" if res.recipients is None else res.recipients,
                "converted": "—" if res.converted is None else res.converted,
                "rate": "—" if res.rate is None else res.rate,
            }
        )
    return Drill(groups=groups, rows=[])


def _repurchase(period: Period) -> Measurement:
    """Of the customers with a booking, stay or shipment created in the period, the share
    who had one before (an earlier record, in the period or before it)."""
    buyers: dict[uuid.UUID, int] = {}
    first: dict[uuid.UUID, object] = {}
    for model in RECORDS:
        rows = model.objects.filter(
            created_at__gte=period.start,
            created_at__lt=period.end,
            customer__erased_at__isnull=True,
        ).values_list("customer_id", flat=True)
        for cid in rows:
            buyers[cid] = buyers.get(cid, 0) + 1
        for cid, at in (
            model.objects.filter(customer_id__in=list(buyers), created_at__lt=period.start)
            .values("customer_id")
            .annotate(m=Min("created_at"))
            .values_list("customer_id", "m")
        ):
            first[cid] = at
    repeat = sum(1 for cid, n in buyers.items() if n >= 2 or cid in first)
    return share(repeat, len(buyers), "no_purchases")


def _coverage(period: Period) -> Measurement:
    r = (
        InsightRun.objects.filter(started_at__gte=period.start, started_at__lt=period.end)
        .order_by("-started_at", "-id")
        .first()
    )
    if r is None:
        return Measurement(None, "no_run")
    return share(
        r.segmented,
        r.profiling,
        "no_consented_customers",
        detail={"run": r.pk, "analysed": r.analysed},
    )


CONVERSION = Indicator(
    code="R-L2.marketing_conversion",
    name_zh="精准营销转化率",
    name_en="Marketing conversion rate",
    requirement="R-L2",
    target=0.0,
    direction=AT_LEAST,
    unit="%",
    period=MONTH,
    compute=_conversion,
    drill=_conversion_drill,
    description_zh="本期发送的营销活动中，在活动窗口内产生预订、入住或寄件的收件人占比（未设数值目标）。",
    description_en="Of the recipients of campaigns sent in the period, the share with a booking, "
    "stay or shipment within the campaign's window (no numbered target yet).",
    reasons=(
        ("no_campaign_sent", "本期未发送营销活动", "No campaign was sent in the period"),
        ("no_recipients", "本期营销活动没有收件人", "The period's campaigns had no recipients"),
    ),
)
REPURCHASE = Indicator(
    code="R-L2.repurchase_rate",
    name_zh="复购率",
    name_en="Repurchase rate",
    requirement="R-L2",
    target=0.0,
    direction=AT_LEAST,
    unit="%",
    period=MONTH,
    compute=_repurchase,
    description_zh="本期有预订、入住或寄件的客户中，此前或本期内已有过记录的客户占比（未设数值目标）。",
    description_en="Of the customers with a booking, stay or shipment in the period, the share "
    "who had another one before it (no numbered target yet).",
    reasons=(
        ("no_purchases", "本期没有预订、入住或寄件", "No booking, stay or shipment in the period"),
    ),
)
COVERAGE = Indicator(
    code="R-L1.segment_coverage",
    name_zh="客户分群覆盖率",
    name_en="Segment coverage",
    requirement="R-L1",
    target=0.0,
    direction=AT_LEAST,
    unit="%",
    period=MONTH,
    compute=_coverage,
    description_zh="本期最近一次分群计算中，已同意个性化推荐的客户被归入至少一个分群的占比。",
    description_en="In the period's latest segment run, the share of customers with current "
    "profiling consent placed in at least one segment.",
    reasons=(
        ("no_run", "本期尚未进行分群计算", "No segment run in the period"),
        ("no_consented_customers", "没有同意个性化推荐的客户", "No customer has profiling consent"),
    ),
)
INDICATORS = (CONVERSION, REPURCHASE, COVERAGE)
