"""Demo of customer insights (R-L1, R-L2, issue #19), through `insights.services`: the
marketing team runs this month's segmentation (counts only, consented customers only) and
sends one campaign to the largest segment it may show. The audience is resolved by the
sender under the marketing and profiling consents; below k customers nothing is sent (with
few demo customers that can happen: the note says so)."""

from __future__ import annotations

from baomi.contract.participants import DemoContext
from baomi.core.errors import ValidationFailed

from . import services
from .models import SegmentSize


def run(ctx: DemoContext) -> None:
    marketing = ctx.staff["marketing"]
    r = services.run(marketing)
    shown = (
        SegmentSize.objects.filter(run=r, suppressed="", size__gt=0)
        .order_by("-size", "code")
        .values_list("code", flat=True)
    )
    segment = next(iter(shown), None)
    if segment is None:
        ctx.notes.append("Insights: every segment is below k — no demo campaign sent.")
        return
    c = services.create_campaign(
        marketing,
        {
            "name": "冬季回馈（演示）/ Winter thank-you (demo)",
            "segment": segment,
            "channel": "sms",
            "template_zh": "感谢您的支持，冬季入住享九折。回复 TD 退订。",
            "template_en": "Thank you: 10 % off winter stays. Reply STOP to opt out.",
            "window_days": 30,
        },
    )
    try:
        services.send_campaign(marketing, c.pk)
    except ValidationFailed:
        ctx.notes.append(
            f"Insights: the demo campaign to {segment} stays a draft — fewer than k "
            "customers consent to both profiling and marketing."
        )
