"""The indicator dashboard (issue #10 §3, R-N2): every registered indicator with its
trend over the last periods, and a drill-down to the records behind one figure. For the
privacy officer, management and the supervision group; records only for the officer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from baomi.contract import kpis
from baomi.core.errors import BaomiError

from . import board, labels
from .views import error_page, role_required

N_TREND = 6

REASONS = {
    "no_requests_due": ("本期没有到期的请求", "No request fell due in this period"),
    "no_customers": ("期末没有在册客户", "No customers on file at the period's end"),
    "no_notice": ("期末尚未发布隐私政策", "No privacy notice published by the period's end"),
    "snapshot_only": ("数据目录只能按当前版本计算", "The catalogue is measured as deployed now"),
    "period_in_future": ("期间尚未开始", "The period has not started"),
    "empty_catalogue": ("数据目录为空", "The catalogue is empty"),
    "no_partners_under_agreement": ("期内没有签约合作方", "No partner under agreement"),
    "no_transfers": ("期内没有对外提供", "No transfer in this period"),
    "no_assessment": ("尚无安全评估", "No security assessment yet"),
    "no_cases_due": ("本期没有到期的事件", "No incident fell due in this period"),
    "no_cases_judged": ("本期没有已判定的事件", "No incident judged in this period"),
    "no_history": ("缺少上年数据，无法比较", "No previous year to compare with"),
    "no_notices_due": ("本期没有到期的客户通知", "No customer notice fell due in this period"),
    "no_plan": ("尚未发布应急预案", "No response plan published"),
    "no_staff": ("没有在职员工", "No active staff"),
    "no_metrics_run": ("本期尚未计算数据质量", "No data-quality run in this period"),
    "no_waybills_issued": ("期末前尚未发放运单号段", "No waybill range issued yet"),
}
UNITS = {"%": "%", "days": ("天", "days"), "hours": ("小时", "hours"), "count": ("", "")}


@dataclass(frozen=True)
class Tile:
    code: str
    name: str
    requirement: str
    period: str
    value: str
    target: str
    met: bool | None
    reason: str
    ratio: str
    trend: list[dict[str, Any]]


def _num(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    u = UNITS.get(unit, unit)
    if isinstance(u, tuple):
        u = u[0] if labels.is_zh() else u[1]
    return f"{text} {u}".strip()


def _reason(code: str | None) -> str:
    if not code:
        return ""
    zh, en = REASONS.get(code, (code, code))
    return zh if labels.is_zh() else en


def _cell(value: Any) -> str:
    return "—" if value is None else labels.bilingual(value)


def _target(ind: kpis.Indicator) -> str:
    sign = "≥" if ind.direction == kpis.AT_LEAST else "≤"
    return f"{sign} {_num(ind.target, ind.unit)}"


def _name(ind: kpis.Indicator) -> str:
    return ind.name_zh if labels.is_zh() else ind.name_en


def _bars(series: list[kpis.Result]) -> list[dict[str, Any]]:
    top = max([r.measurement.value or 0 for r in series] + [r.indicator.target for r in series])
    return [
        {
            "period": r.period.code,
            "value": _num(r.measurement.value, r.indicator.unit),
            "height": 0
            if not top or r.measurement.value is None
            else max(2, round(100 * r.measurement.value / top)),
            "met": r.indicator.met(r.measurement.value),
            "missing": r.measurement.value is None,
            "reason": _reason(r.measurement.reason),
        }
        for r in series
    ]


def _tile(series: list[kpis.Result]) -> Tile:
    r = series[-1]
    m, ind = r.measurement, r.indicator
    return Tile(
        code=ind.code,
        name=_name(ind),
        requirement=ind.requirement,
        period=r.period.code,
        value=_num(m.value, ind.unit),
        target=_target(ind),
        met=ind.met(m.value),
        reason=_reason(m.reason),
        ratio=f"{m.numerator}/{m.denominator}" if m.denominator else "",
        trend=_bars(series),
    )


def _periods() -> list[tuple[str, str]]:
    """The period choices: the last 6 months, 4 quarters, 2 half-years and 2 years."""
    out = [("", labels.bilingual("各指标的本期 / each indicator's current period"))]
    for granularity, n in ((kpis.MONTH, 6), (kpis.QUARTER, 4), (kpis.HALF, 2), (kpis.YEAR, 2)):
        p = kpis.current_period(granularity)
        out += [(p.previous(k).code, p.previous(k).code) for k in range(n)]
    return out


@role_required(*kpis.VIEWERS)
def kpi_board(request: HttpRequest) -> HttpResponse:
    period = request.GET.get("period") or None
    try:
        board.require_viewer(request.user)
        tiles = []
        for ind in kpis.registered():
            p = kpis.period_for(ind, period)
            tiles.append(_tile(kpis.trend(ind, p, N_TREND)))
    except BaomiError as exc:
        return error_page(request, exc)
    ctx = {"tiles": tiles, "period": period or "", "periods": _periods()}
    return render(request, "console/kpis.html", ctx)


@role_required(*kpis.VIEWERS)
def kpi_detail(request: HttpRequest, code: str) -> HttpResponse:
    period = request.GET.get("period") or None
    try:
        d = board.detail(request.user, code, period, N_TREND)
    except BaomiError as exc:
        return error_page(request, exc)
    ind = d.result.indicator
    ctx = {
        "tile": _tile(d.trend),
        "description": ind.description_zh if labels.is_zh() else ind.description_en,
        "groups": [
            {**g, "label": labels.bilingual(g.get("label") or g["group"])}
            for g in (d.drill.groups if d.drill else [])
        ],
        "columns": [(k, zh if labels.is_zh() else en) for k, zh, en in ind.columns],
        "rows": [
            {
                "id": r.id,
                "href": r.href,
                "counts": r.counts,
                "cells": [_cell(r.cells.get(k)) for k, _zh, _en in ind.columns],
            }
            for r in (d.drill.rows if d.drill else [])
        ],
        "records_allowed": kpis.may_open_records(request.user.role_code),  # type: ignore[union-attr]
        "period": period or "",
        "periods": _periods(),
    }
    return render(request, "console/kpi_detail.html", ctx)
