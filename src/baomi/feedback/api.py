"""Feedback REST API (issue #15): tickets, surveys, service standards and evaluations.
Thin: parse, call a service, shape. Ticket texts are read only through the gate."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status

from baomi.api.auth import bearer

from .messages import deliver_links
from .services import standards, surveys, tickets
from .services.common import require_role

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


class TeamIn(Schema):
    code: str
    name_zh: str
    name_en: str
    hours: str = "calendar"
    shifts: list[list[str]] = []
    first_response_hours: int = 24
    resolution_hours: int = 72
    escalate_percent: int = 75
    default: bool = False


@router.post("/feedback-teams", response=dict[str, Any])
def set_team(request: HttpRequest, body: TeamIn) -> Any:
    """Create or change a customer-service team: `hours` calendar (24 h a day) or office
    (its `shifts`, e.g. [["09:00","12:00"],["13:00","18:00"]], on mainland working days);
    budgets in those hours; escalation when `escalate_percent` of a budget is used."""
    t = tickets.set_team(
        _staff(request),
        body.code,
        name_zh=body.name_zh,
        name_en=body.name_en,
        hours=body.hours,
        shifts=body.shifts,
        first_response_hours=body.first_response_hours,
        resolution_hours=body.resolution_hours,
        escalate_percent=body.escalate_percent,
        default=body.default,
    )
    return {"code": t.code, "hours": t.hours, "shifts": t.shifts, "default": t.is_default}


# -- surveys ----------------------------------------------------------------------------------
class QuestionIn(Schema):
    code: str
    kind: str = "scale"
    text_zh: str
    text_en: str


class SurveyIn(Schema):
    code: str
    title_zh: str
    title_en: str
    scope: str
    period: str
    questions: list[dict[str, Any]]
    target_sample: int = 0
    min_group: int = 10


class SurveyOut(Schema):
    id: int
    code: str
    scope: str
    period: str
    state: str
    target_sample: int
    min_group: int


class AudienceIn(Schema):
    audience: list[dict[str, Any]]


class SentOut(Schema):
    invited: int
    skipped: dict[str, int]


class ResponseIn(Schema):
    token: str
    answers: dict[str, Any]
    comment: str | None = None


class ResponseOut(Schema):
    id: int
    survey: str


def _survey_out(s: Any) -> dict[str, Any]:
    return {
        "id": s.pk,
        "code": s.code,
        "scope": s.scope,
        "period": s.period,
        "state": s.state,
        "target_sample": s.target_sample,
        "min_group": s.min_group,
    }


@router.post("/surveys", response={201: SurveyOut})
def create_survey(request: HttpRequest, body: SurveyIn) -> Any:
    """A survey definition: `scope` service (per quarter, `2026Q4`) or privacy (per
    half-year, `2026H2`); questions `{code, kind: scale|text, text_zh, text_en}` with one
    scale question `overall` (1–5); `min_group` k (default 10) suppresses small groups."""
    s = surveys.create(
        _staff(request),
        code=body.code,
        title_zh=body.title_zh,
        title_en=body.title_en,
        scope=body.scope,
        period=body.period,
        questions=body.questions,
        target_sample=body.target_sample,
        min_group=body.min_group,
    )
    return Status(201, _survey_out(s))


@router.post("/surveys/{survey_id}/invitations", response=SentOut)
def send_survey(request: HttpRequest, survey_id: int, body: AudienceIn) -> Any:
    """Invite customers (`{customer_id, channel?, site?, topic?}`) through the outbox —
    only those whose consent allows contact; each gets a one-time link."""
    sent = surveys.send(_staff(request), survey_id, body.audience)
    deliver_links(sent)
    return {"invited": len(sent.invited), "skipped": sent.skipped}


@router.post("/surveys/{survey_id}/responses", response={201: ResponseOut}, auth=None)
def answer_survey(request: HttpRequest, survey_id: int, body: ResponseIn) -> Any:
    """Answer a survey with the one-time link's `token` (no sign-in; once): scale answers
    1–5 by question code, an optional comment (sealed at once)."""
    inv = surveys.invitation(body.token)
    if inv.survey_id != survey_id:
        raise surveys.LinkRefused("this link belongs to another survey")
    r = surveys.answer(body.token, body.answers, body.comment or "")
    return Status(201, {"id": r.pk, "survey": inv.survey.code})


@router.get("/surveys/{survey_id}/results", response=dict[str, Any])
def survey_results(request: HttpRequest, survey_id: int, by: str | None = None) -> Any:
    """Aggregates only (groups below k suppressed): overall and by channel, site or topic."""
    actor = _staff(request)
    require_role(actor, surveys.RESULT_ROLES, "feedback_survey")
    return surveys.results(surveys.get(survey_id), by)


# -- standards and evaluations --------------------------------------------------------------
class StandardIn(Schema):
    code: str
    step: str
    title_zh: str
    title_en: str
    criteria: list[dict[str, Any]]


class EvaluationIn(Schema):
    kind: str
    on: str
    site: str = ""
    team: str = ""
    checks: list[dict[str, Any]]
    owner_id: int | None = None
    due_on: str | None = None
    trainees: list[str] = []  # staff to retrain for the failures (else the owner)


class EvaluationOut(Schema):
    id: int
    checks: int
    passed: int
    compliance: float | None
    score: float | None
    rectifications: list[int]
    retraining: list[int]


class CloseIn(Schema):
    evidence: str


@router.post("/service-standards", response={201: dict[str, Any]})
def set_standard(request: HttpRequest, body: StandardIn) -> Any:
    s = standards.set_standard(
        _staff(request),
        code=body.code,
        step=body.step,
        title_zh=body.title_zh,
        title_en=body.title_en,
        criteria=body.criteria,
    )
    return Status(201, {"id": s.pk, "code": s.code, "step": s.step, "criteria": len(s.criteria)})


@router.post("/service-evaluations", response={201: EvaluationOut})
def evaluate(request: HttpRequest, body: EvaluationIn) -> Any:
    """Record an evaluation; every failed check opens a rectification item and a
    retraining action."""
    ev = standards.evaluate(
        _staff(request),
        kind=body.kind,
        on=body.on,
        site=body.site,
        team=body.team,
        checks=body.checks,
        owner_id=body.owner_id,
        due_on=body.due_on,
        trainees=body.trainees,
    )
    failed = list(ev.checks.filter(passed=False).select_related("rectification", "retraining"))
    return Status(
        201,
        {
            "id": ev.pk,
            "checks": ev.checks_total,
            "passed": ev.checks_passed,
            "compliance": ev.compliance,
            "score": ev.score,
            "rectifications": [c.rectification.pk for c in failed],
            "retraining": [c.retraining.pk for c in failed],
        },
    )


@router.post("/rectifications/{item_id}/close", response=dict[str, Any])
def close_rectification(request: HttpRequest, item_id: int, body: CloseIn) -> Any:
    r = standards.close_rectification(_staff(request), item_id, body.evidence)
    return {
        "id": r.pk,
        "state": r.state,
        "closed_at": r.closed_at.isoformat() if r.closed_at else None,
    }
