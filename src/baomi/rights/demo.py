"""Demo of rights requests (R-F1, issue #19), through `rights.services`: a few requests
taken by customer service in the middle of last month and answered by the privacy officer
within the 15 working days — their deadlines fall in this month, so
`rights.answered_in_time` has something to measure — and one received this week, still
open in the queue."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from baomi.contract import kpis
from baomi.contract.participants import DemoContext
from baomi.core import clock

from . import services, sla
from .models import RequestKind, RequestState

# (kind, detail, calendar days the answer took)
ANSWERED = (
    (RequestKind.ACCESS, "", 4),
    (RequestKind.COMPLAINT, "客户投诉营销短信过多", 7),
    (RequestKind.ACCESS, "", 9),
)


def _received_days_ago(now: datetime) -> list[int]:
    """Days ago a request must have come in for its deadline (15 working days, the
    service's own calendar) to fall in this month — whatever today's date."""
    month = kpis.current_period(kpis.MONTH, now)
    out = [ago for ago in range(12, 50) if month.contains(sla.due_at(now - timedelta(days=ago))[0])]
    return out[-3:] or [30]


def run(ctx: DemoContext) -> None:
    if len(ctx.customer_ids) < len(ANSWERED) + 1:
        return
    desk = ctx.staff["customer_service"]
    officer = ctx.staff["privacy_officer"]
    rng = random.Random(ctx.seed + 7)
    who = rng.sample(list(ctx.customer_ids), len(ANSWERED) + 1)
    now = clock.now()
    days = _received_days_ago(now)
    for n, ((kind, detail, took), cid) in enumerate(zip(ANSWERED, who, strict=False)):
        received = now - timedelta(days=days[n % len(days)], hours=n)
        with ctx.at(received):
            req = services.create_request(
                desk, cid, kind, detail=detail or None, channel="call_center"
            )
        with ctx.at(received + timedelta(hours=3)):
            services.transition(officer, req.pk, RequestState.VERIFIED)
        with ctx.at(received + timedelta(days=1)):
            services.transition(officer, req.pk, RequestState.IN_PROGRESS)
        with ctx.at(received + timedelta(days=took)):
            services.transition(officer, req.pk, RequestState.COMPLETED, "已答复")
    with ctx.at(now - timedelta(days=2)):
        services.create_request(desk, who[-1], RequestKind.ACCESS, channel="call_center")
