"""The indicator board (issue #10 §3) as the console and the API read it: who may look,
one indicator with its trend and drill-down, and the audit of record-level drill-downs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import models

from baomi import audit
from baomi.contract import kpis
from baomi.core.errors import Forbidden, NotFound


def board(actor: Any, period_code: str | None) -> list[kpis.Result]:
    require_viewer(actor)
    return kpis.board(period_code)


# -- reading the board (API and console share these) --------------------------------------
class KpiAction(models.TextChoices):
    RECORDS_VIEWED = "kpi.records_viewed", "查看指标明细 / indicator records viewed"


def require_viewer(actor: Any) -> None:
    if not kpis.may_view(getattr(actor, "role_code", "")):
        raise Forbidden(
            "indicators are for the privacy officer, management and the supervision group",
            code="role_required",
        )


def get_or_404(code: str) -> kpis.Indicator:
    ind = kpis.get(code)
    if ind is None:
        raise NotFound("no such indicator")
    return ind


@dataclass(frozen=True)
class Detail:
    result: kpis.Result
    trend: list[kpis.Result]
    drill: kpis.Drill | None  # rows only for RECORD_VIEWERS


def detail(actor: Any, code: str, period_code: str | None, n: int = 6) -> Detail:
    """One indicator with its trend and drill-down. Aggregates for every viewer; the records
    behind the figure (ids, codes, dates — personal values open through the gate on the
    record's own page) for the privacy officer only, and that viewing is audited."""
    require_viewer(actor)
    ind = get_or_404(code)
    period = kpis.period_for(ind, period_code)
    n = max(1, min(int(n), 24))
    series = kpis.trend(ind, period, n)
    result = series[-1]
    drill = ind.drill(period) if ind.drill is not None else None
    if drill is not None and not kpis.may_open_records(actor.role_code):
        drill = kpis.Drill(drill.groups, [])
    elif drill is not None and drill.rows:
        audit.record(
            KpiAction.RECORDS_VIEWED,
            actor,
            object_type="indicator",
            object_id=ind.code,
            detail={"period": period.code, "rows": len(drill.rows)},
        )
    return Detail(result, series, drill)
