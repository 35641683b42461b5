"""Insights API (issue #18): `GET /insights/segments`, `GET /insights/segments/{code}`
(aggregates, k-suppressed), `POST /insights/runs`, `GET|POST /campaigns`,
`POST /campaigns/{id}/send`, `GET /campaigns/{id}/results`. Aggregates only: no answer
names or lists a customer. Thin: parse, call a service, shape."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from baomi.access.services import require_role
from baomi.api.auth import bearer
from baomi.catalog.enums import Role
from baomi.customers import gate

from . import selectors, services
from .models import Campaign

router = Router(tags=["insights"], auth=bearer)


class CampaignIn(Schema):
    name: str
    segment: str
    channel: str
    template_zh: str
    template_en: str = ""
    window_days: int = 30
    purpose: str = "marketing"


READERS = (Role.MARKETING, Role.MANAGER, Role.PRIVACY_OFFICER)


def _reader(request: HttpRequest) -> Any:
    actor = request.staff  # type: ignore[attr-defined]
    require_role(actor, *READERS)
    return actor


def _marketer(request: HttpRequest) -> Any:
    actor = request.staff  # type: ignore[attr-defined]
    require_role(actor, Role.MARKETING)
    gate.check_purpose(actor, request.headers.get("X-Purpose"))
    return actor


@router.get("/insights/segments", response=dict[str, Any])
def list_segments(request: HttpRequest, period: str | None = None) -> dict[str, Any]:
    """Every segment definition with its size in the latest run of `period` (a month,
    default now); sizes below k, or that would single people out by subtraction, are
    `null` with `suppressed: true` and a reason."""
    _reader(request)
    return selectors.segments(selectors.period_of(period))


@router.get("/insights/segments/{code}", response=dict[str, Any])
def get_segment(request: HttpRequest, code: str) -> dict[str, Any]:
    """One segment: its rule, version and size per month (last 12), suppressed as above."""
    _reader(request)
    return selectors.segment(code)


@router.get("/insights/recommendations", response=dict[str, Any])
def get_recommendations(request: HttpRequest, period: str | None = None) -> dict[str, Any]:
    """Next-best product (co-occurrence, trained in the latest run of `period` on consented
    histories only): per product bought by at least k customers, the products the same
    customers booked, with counts of at least k. Aggregates only."""
    _reader(request)
    return selectors.recommendations(selectors.period_of(period))


@router.post("/insights/runs", response={201: dict[str, Any]})
def start_run(request: HttpRequest) -> tuple[int, dict[str, Any]]:
    """Run every segment now over the customers whose profiling consent is current (read
    through the gate under `marketing`). Answers counts only."""
    actor = _marketer(request)
    r = services.run(actor)
    return 201, selectors.run_json(r)


@router.get("/campaigns", response=list[dict[str, Any]])
def list_campaigns(request: HttpRequest) -> list[dict[str, Any]]:
    _reader(request)
    return [selectors.campaign_json(c) for c in Campaign.objects.all()[:200]]


@router.post("/campaigns", response={201: dict[str, Any]})
def create_campaign(request: HttpRequest, payload: CampaignIn) -> tuple[int, dict[str, Any]]:
    """`{name, segment, channel, template_zh, template_en?, window_days?, purpose?}` — a
    draft; `POST /campaigns/{id}/send` resolves the audience through consent and sends."""
    actor = _marketer(request)
    c = services.create_campaign(actor, payload.dict())
    return 201, selectors.campaign_json(c)


@router.post("/campaigns/{campaign_id}/send", response=dict[str, Any])
def send_campaign(request: HttpRequest, campaign_id: str) -> dict[str, Any]:
    actor = _marketer(request)
    return selectors.campaign_json(services.send_campaign(actor, campaign_id))


@router.get("/campaigns/{campaign_id}/results", response=dict[str, Any])
def campaign_results(request: HttpRequest, campaign_id: str) -> dict[str, Any]:
    """Recipients, conversions (a booking, stay or shipment within the window after the
    send) and the rate — suppressed when a group is smaller than k."""
    _reader(request)
    return selectors.campaign_json(services.get_campaign(campaign_id))
