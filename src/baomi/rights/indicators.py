"""R-F1 as an indicator: the share of rights requests answered within the deadline (15
working days, `BAOMI_RIGHTS_SLA_DAYS`) among those whose deadline fell in the period.

A request counts when its due date lies in the period and it is either closed (completed
or refused — a reasoned refusal is an answer) or already overdue; an open request not yet
due is undecided and left out. No request due: no value (`no_requests_due`), never 0."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.urls import reverse
from django.utils import timezone

from baomi.contract.kpis import (
    AT_LEAST,
    MONTH,
    Drill,
    DrillRow,
    Indicator,
    Measurement,
    Period,
    share,
)
from baomi.core import clock

from . import sla
from .models import RequestKind, RequestState, RightsRequest

# 15 working days never span more than ~45 calendar days (Spring Festival included)
_LOOKBACK = timedelta(days=60)
_SEALED = ("detail", "changes", "refusal_reason", "resolution")


def _due_in(period: Period) -> list[tuple[RightsRequest, sla.Clock]]:
    now = clock.now()
    rows = RightsRequest.objects.filter(
        received_at__gte=period.start - _LOOKBACK, received_at__lt=period.end
    ).defer(*_SEALED)
    out = []
    for r in rows.order_by("received_at", "id"):
        c = sla.clock(r, now)
        if period.contains(c.due_at) and (c.met is not None or c.overdue):
            out.append((r, c))
    return out


def answered_in_time(period: Period) -> Measurement:
    rows = _due_in(period)
    return share(
        sum(1 for _, c in rows if c.met),
        len(rows),
        "no_requests_due",
        detail={"estimated": any(c.estimated for _, c in rows)} if rows else None,
    )


def _day(at: datetime | None) -> str | None:
    return timezone.localtime(at).date().isoformat() if at else None


def drill(period: Period) -> Drill:
    rows = _due_in(period)
    kinds: dict[str, list[int]] = {}
    for r, c in rows:
        kinds.setdefault(r.kind, [0, 0])
        kinds[r.kind][0] += 1
        kinds[r.kind][1] += 1 if c.met else 0
    return Drill(
        groups=[
            {"group": kind, "label": RequestKind(kind).label, "total": t, "counted": m}
            for kind, (t, m) in sorted(kinds.items())
        ],
        rows=[
            DrillRow(
                id=str(r.pk),
                cells={
                    "kind": RequestKind(r.kind).label,
                    "state": RequestState(r.state).label,
                    "received_at": _day(r.received_at),
                    "due_at": _day(c.due_at),
                    "closed_at": _day(r.completed_at or r.refused_at),
                },
                counts=bool(c.met),
                href=reverse("rights:detail", args=[r.pk]),
            )
            for r, c in rows
        ],
    )


ANSWERED_IN_TIME = Indicator(
    code="rights.answered_in_time",
    name_zh="权利请求按期答复率（15 个工作日内）",
    name_en="Rights requests answered within 15 working days",
    requirement="R-F1",
    target=100.0,
    direction=AT_LEAST,
    unit="%",
    period=MONTH,
    compute=answered_in_time,
    drill=drill,
    columns=(
        ("kind", "类型", "Kind"),
        ("state", "状态", "State"),
        ("received_at", "提出日期", "Received"),
        ("due_at", "截止日期", "Due"),
        ("closed_at", "办结日期", "Closed"),
    ),
    description_zh="截止日在本期内、已答复或已逾期的请求中，按期答复（完成或附理由拒绝）的比例。",
    description_en="Of the requests due in the period that were answered or are overdue, the "
    "share answered (completed, or refused with a reason) by the deadline.",
    reasons=(("no_requests_due", "本期没有到期的请求", "No request fell due in this period"),),
)
