"""Feedback REST API (issue #15): tickets, surveys, service standards and evaluations.
Thin: parse, call a service, shape. Ticket texts are read only through the gate."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status

from baomi.api.auth import bearer

from .services import tickets

router = Router(tags=["feedback"], auth=bearer)


def _staff(request: HttpRequest) -> Any:
    return request.staff  # type: ignore[attr-defined]


class TicketIn(Schema):
    customer_id: str | None = None
    channel: str
    kind: str
    topic: str
    text: str
    team: str | None = None
    record_kind: str | None = None
    record_id: str | None = None
    site: str | None = None


class DueOut(Schema):
    first_response: str
    resolution: str


class TicketOut(Schema):
    id: int
    state: str
    due: DueOut


class ClockOut(Schema):
    due_at: str
    seconds_left: int
    overdue: bool
    near_due: bool
    met: bool | None


class TicketDetailOut(TicketOut):
    customer_id: str | None
    channel: str
    kind: str
    topic: str
    site: str
    team: str
    assignee_id: int | None
    received_at: str
    first_response_at: str | None
    resolved_at: str | None
    closed_at: str | None
    rights_request_id: int | None
    rating: int | None
    escalate: bool
    clocks: dict[str, ClockOut]
    texts: dict[str, str]


class TransitionIn(Schema):
    to: str
    text: str | None = None
    reason: str | None = None
    assignee_id: int | None = None


class RatingIn(Schema):
    score: Any = None


def _out(t: Any) -> dict[str, Any]:
    return {
        "id": t.pk,
        "state": t.state,
        "due": {
            "first_response": t.first_response_due.isoformat(),
            "resolution": t.resolution_due.isoformat(),
        },
    }


def _iso(v: Any) -> str | None:
    return v.isoformat() if v else None


def _detail(actor: Any, t: Any, texts: dict[str, str] | None = None) -> dict[str, Any]:
    c = tickets.clocks(t)
    return _out(t) | {
        "customer_id": str(t.customer_id) if t.customer_id else None,
        "channel": t.channel,
        "kind": t.kind,
        "topic": t.topic,
        "site": t.site,
        "team": t.team.code,
        "assignee_id": t.assignee_id,
        "received_at": t.received_at.isoformat(),
        "first_response_at": _iso(t.first_response_at),
        "resolved_at": _iso(t.resolved_at),
        "closed_at": _iso(t.closed_at),
        "rights_request_id": t.rights_request_id,
        "rating": t.rating,
        "escalate": c.escalate,
        "clocks": {
            "first_response": c.first_response.as_dict(),
            "resolution": c.resolution.as_dict(),
        },
        "texts": texts or {},
    }


@router.post("/feedback", response={201: TicketOut})
def create_ticket(request: HttpRequest, body: TicketIn) -> Any:
    """Receive feedback from any channel (portal, counter, call_centre, wechat, ota).
    Without `customer_id` the ticket is anonymous. Answers the due times of the first
    response and the resolution."""
    t = tickets.receive(
        _staff(request),
        customer_id=body.customer_id,
        channel=body.channel,
        kind=body.kind,
        topic=body.topic,
        text=body.text,
        team=body.team,
        record_kind=body.record_kind,
        record_id=body.record_id,
        site=body.site or "",
    )
    return Status(201, _out(t))


@router.get("/feedback", response=list[TicketDetailOut])
def list_tickets(request: HttpRequest, state: str | None = None) -> Any:
    """The queue the caller may see (customer service: all; privacy officer: privacy
    topics), most urgent first. No texts here: open one ticket to read them."""
    qs = tickets.visible(_staff(request)).order_by("first_response_due", "id")
    if state:
        qs = qs.filter(state=state)
    return [_detail(_staff(request), t) for t in qs[:500]]


@router.get("/feedback/{ticket_id}", response=TicketDetailOut)
def get_ticket(request: HttpRequest, ticket_id: int) -> Any:
    """One ticket with its texts, opened by the gate (audited)."""
    actor = _staff(request)
    t = tickets.get(actor, ticket_id)
    return _detail(actor, t, tickets.open_texts(actor, [t]).get(t.pk, {}))


@router.post("/feedback/{ticket_id}/transition", response=TicketDetailOut)
def move_ticket(request: HttpRequest, ticket_id: int, body: TransitionIn) -> Any:
    """Move a ticket: `assigned` (assignee_id), `in_progress` (first response: `text`),
    `on_hold` (`reason`: awaiting_customer / awaiting_partner / awaiting_evidence),
    `resolved` (`text`), `closed`."""
    actor = _staff(request)
    t = tickets.transition(
        actor, ticket_id, body.to, text=body.text, reason=body.reason, assignee_id=body.assignee_id
    )
    return _detail(actor, t)


@router.post("/feedback/{ticket_id}/rating", response=TicketDetailOut)
def rate_ticket(request: HttpRequest, ticket_id: int, body: RatingIn) -> Any:
    """Record the customer's rating (1–5) of a closed ticket, once."""
    actor = _staff(request)
    return _detail(actor, tickets.rate(actor, ticket_id, body.score))
