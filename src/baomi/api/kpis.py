"""`GET /api/v1/kpis?period=` and `GET /api/v1/kpis/{code}` (issue #10 §3, INTERFACES.md):
every registered indicator; `value` is null with a `reason` code and its words in the
caller's language (`reason_text`, `?lang=zh|en` or Accept-Language) when it cannot be
computed."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import get_language_from_request
from ninja import Router, Schema

from baomi.console import board

router = Router(tags=["indicators"])


class KpiOut(Schema):
    code: str
    name: str
    requirement: str
    target: float
    direction: str
    unit: str
    period: str
    value: float | None
    met: bool | None
    updated_at: str
    numerator: int | None = None
    denominator: int | None = None
    reason: str | None = None
    reason_text: str | None = None  # the reason in words (zh or en), from the indicator


class DrillRowOut(Schema):
    id: str
    cells: dict[str, Any]
    counts: bool
    href: str


class KpiDetailOut(KpiOut):
    trend: list[KpiOut]
    groups: list[dict[str, Any]]
    records: list[DrillRowOut]


def _lang(request: HttpRequest) -> str:
    return request.GET.get("lang") or get_language_from_request(request) or "en"


@router.get("", response=list[KpiOut])
def list_kpis(request: HttpRequest, period: str | None = None) -> list[dict[str, Any]]:
    lang = _lang(request)
    results = board.board(request.auth, period)  # type: ignore[attr-defined]
    return [r.as_dict(lang) for r in results]


@router.get("/{code}", response=KpiDetailOut)
def kpi_detail(
    request: HttpRequest, code: str, period: str | None = None, trend: int = 6
) -> dict[str, Any]:
    lang = _lang(request)
    d = board.detail(request.auth, code, period, trend)  # type: ignore[attr-defined]
    return {
        **d.result.as_dict(lang),
        "trend": [r.as_dict(lang) for r in d.trend],
        "groups": d.drill.groups if d.drill else [],
        "records": [r.__dict__ for r in d.drill.rows] if d.drill else [],
    }
