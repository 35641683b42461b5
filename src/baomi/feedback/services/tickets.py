"""Feedback and complaints from every channel (issue #15 §1; R-J1, R-F2, R-A4).

A ticket is received from the portal (the customer), the counter, the call centre, WeChat
or an OTA review import (staff), routed to a customer-service team, and moves
new → assigned → in progress (first response given) ⇄ on hold → resolved → closed.
Each move is audited; the free text, the first response and the resolution are sealed at
once and opened only by the gate. A privacy complaint of a known customer also opens a
rights request (the 15-working-day clock runs there). The customer is told when the
ticket is answered and resolved (the feedback outbox, `Message`), may rate the handling
1–5 once it is closed.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from baomi import audit
from baomi.catalog.enums import Purpose, Role
from baomi.core import clock as core_clock
from baomi.core.errors import Conflict, Forbidden, Gone, NotFound
from baomi.customers import gate
from baomi.customers.models import Booking, Shipment, Stay
from baomi.portal.senders import get_sender
from baomi.rights import services as rights
from baomi.rights.models import Via
from baomi.vault import services as vault

from .. import sla
from ..enums import (
    OPEN_STATES,
    RIGHTS_CHANNEL,
    Channel,
    FeedbackAction,
    HoursMode,
    Kind,
    MessageKind,
    MessageStatus,
    PauseReason,
    RecordKind,
    State,
    Topic,
)
from ..models import Message, Pause, Team, Ticket
from .common import (
    HANDLERS,
    INTAKE_ROLES,
    PRIVACY_ROLES,
    as_int,
    choice,
    clean_text,
    invalid,
    live_customer,
    require_role,
    role,
)

TABLE = "feedback_ticket"
CASE = "feedback_ticket"  # the case-key kind of anonymous tickets
TEXTS = ("text", "response", "resolution")
MAX_TEXT = 4000
RECORDS: dict[RecordKind, Any] = {
    RecordKind.BOOKING: Booking,
    RecordKind.STAY: Stay,
    RecordKind.SHIPMENT: Shipment,
}
# who reads the text of a ticket without a customer (its case key)
CASE_READERS = frozenset({Role.CUSTOMER_SERVICE.value, Role.PRIVACY_OFFICER.value})
TEAM_ADMINS = frozenset({Role.MANAGER, Role.CUSTOMER_SERVICE})


# -- teams ------------------------------------------------------------------------------------
def default_team() -> Team:
    team = Team.objects.filter(is_default=True).first()
    if team is None:
        team, _ = Team.objects.get_or_create(
            code="CS",
            defaults={"name_zh": "客服中心", "name_en": "Customer service", "is_default": True},
        )
    return team


@transaction.atomic
def set_team(
    actor: Any,
    code: object,
    *,
    name_zh: object,
    name_en: object,
    hours: object = HoursMode.CALENDAR,
    shifts: Iterable[Any] = (),
    first_response_hours: int = 24,
    resolution_hours: int = 72,
    escalate_percent: int = 75,
    default: bool = False,
) -> Team:
    """Create or change a team and how its clocks count (tickets already received keep
    their due times)."""
    require_role(actor, TEAM_ADMINS, "feedback_team")
    key = clean_text(code, "code", 16).upper()
    mode = choice(HoursMode, hours, "hours", "计时方式")
    rows = [list(s) for s in shifts or ()]
    if mode is HoursMode.OFFICE:
        try:
            sla.parse_shifts(rows)
        except (ValueError, TypeError) as exc:
            raise invalid("shifts", "shifts_invalid", str(exc), "班次设置无效") from None
    for name, value, top in (
        ("first_response_hours", first_response_hours, 24 * 30),
        ("resolution_hours", resolution_hours, 24 * 90),
        ("escalate_percent", escalate_percent, 99),
    ):
        if not isinstance(value, int) or not 1 <= value <= top:
            raise invalid(name, "out_of_range", f"1 to {top}", f"应为 1 到 {top}")
    if default:
        Team.objects.filter(is_default=True).update(is_default=False)
    team, _ = Team.objects.update_or_create(
        code=key,
        defaults={
            "name_zh": clean_text(name_zh, "name_zh", 80),
            "name_en": clean_text(name_en, "name_en", 80),
            "hours": mode.value,
            "shifts": rows if mode is HoursMode.OFFICE else [],
            "first_response_hours": first_response_hours,
            "resolution_hours": resolution_hours,
            "escalate_percent": escalate_percent,
            "is_default": default,
        },
    )
    audit.record(
        FeedbackAction.TEAM_SET,
        actor,
        object_type="feedback_team",
        object_id=team.pk,
        detail={"code": team.code, "hours": team.hours, "shifts": team.shifts},
    )
    return team


def _team(code: object) -> Team:
    if not code:
        return default_team()
    team = Team.objects.filter(code=str(code).strip().upper()).first()
    if team is None:
        raise NotFound("no such team", code="team_unknown")
    return team


# -- clocks -----------------------------------------------------------------------------------
def _pauses(ticket: Ticket) -> list[tuple[datetime, datetime | None]]:
    return [(p.started_at, p.ended_at) for p in ticket.pauses.all()]


def _dues(ticket: Ticket, now: datetime | None = None) -> tuple[datetime, datetime]:
    team, hours = ticket.team, sla.Hours.of(ticket.team)
    pauses = _pauses(ticket)
    return (
        sla.due(ticket.received_at, team.first_response_hours, hours, pauses, now),
        sla.due(ticket.received_at, team.resolution_hours, hours, pauses, now),
    )


@dataclass(frozen=True)
class Clocks:
    first_response: sla.Clock
    resolution: sla.Clock

    @property
    def escalate(self) -> bool:
        return any(c.near_due or c.overdue for c in (self.first_response, self.resolution))


def clocks(ticket: Ticket, now: datetime | None = None) -> Clocks:
    """Both clocks as of `now` (an open pause holds the due times at `now`)."""
    now = now or core_clock.now()
    team, hours = ticket.team, sla.Hours.of(ticket.team)
    paused = ticket.state == State.ON_HOLD
    fr_due, res_due = (
        _dues(ticket, now) if paused else (ticket.first_response_due, ticket.resolution_due)
    )
    resolved = ticket.resolved_at or ticket.closed_at
    return Clocks(
        sla.clock(
            fr_due,
            ticket.first_response_at,
            team.first_response_hours,
            hours,
            team.escalate_percent,
            paused=paused,
            now=now,
        ),
        sla.clock(
            res_due,
            resolved,
            team.resolution_hours,
            hours,
            team.escalate_percent,
            paused=paused,
            now=now,
        ),
    )


# -- intake -----------------------------------------------------------------------------------
def _intake(actor: Any, customer_id: object, channel: object) -> tuple[uuid.UUID | None, Channel]:
    """Who files for whom: the portal customer for themself on the portal channel; staff
    of the intake roles for a known customer or anonymously."""
    given = customer_id not in (None, "")
    if isinstance(actor, gate.DataSubject):
        if given and str(customer_id) != str(actor.customer_id):
            raise Forbidden("a customer files feedback only for themself", code="subject_scope")
        if str(channel or Channel.PORTAL) != Channel.PORTAL:
            raise invalid("channel", "invalid_choice", "the portal files on `portal`", "渠道无效")
        return live_customer(actor.customer_id), Channel.PORTAL
    require_role(actor, INTAKE_ROLES, TABLE)
    ch = choice(Channel, channel, "channel", "渠道")
    return (live_customer(customer_id) if given else None), ch


def _record(kind: object, record_id: object, cid: uuid.UUID | None) -> tuple[str, uuid.UUID | None]:
    if not kind and not record_id:
        return "", None
    rk = choice(RecordKind, kind, "record_kind", "关联记录类型")
    if cid is None:
        raise invalid(
            "record_id",
            "record_needs_customer",
            "a booking, stay or shipment links only to a known customer",
            "匿名反馈不能关联订单、住宿或寄件",
        )
    try:
        rid = uuid.UUID(str(record_id))
    except ValueError:
        raise NotFound("no such record", code="record_unknown") from None
    if not RECORDS[rk].objects.filter(pk=rid, customer_id=cid).exists():
        raise NotFound("no such record of this customer", code="record_unknown")
    return rk.value, rid


def _seal(ticket: Ticket, field: str, text: str) -> bytes:
    """Under the customer's data key (erasing the customer shreds it); a ticket without a
    customer under its own case key (decision 0034: `vault.seal_case`)."""
    if ticket.customer_id is None:
        sealed = vault.seal_case(CASE, ticket.pk, [(TABLE, field, text, ticket.pk)])[0]
        if sealed is None:  # texts here are never empty
            raise Gone("this ticket's texts were destroyed")
        return sealed
    blob = vault.seal_for([(ticket.customer_id, TABLE, field, text, ticket.pk)])
    got = blob.get((str(ticket.customer_id), ticket.pk))
    if got is None:
        raise Gone("this customer's data has been erased")
    return got


@transaction.atomic
def receive(
    actor: Any,
    *,
    customer_id: object = None,
    channel: object,
    kind: object,
    topic: object,
    text: object,
    team: object = None,
    record_kind: object = None,
    record_id: object = None,
    site: object = "",
) -> Ticket:
    """A ticket from any channel; anonymous when no customer is given (staff intake)."""
    cid, ch = _intake(actor, customer_id, channel)
    forced = isinstance(actor, gate.DataSubject)
    k = choice(Kind, kind, "kind", "反馈类型")
    t = choice(Topic, topic, "topic", "主题")
    body = clean_text(text, "text", MAX_TEXT)
    rk, rid = _record(record_kind, record_id, cid)
    tm = _team(team)
    now = core_clock.now()
    hours = sla.Hours.of(tm)
    ticket = Ticket(
        customer_id=cid,
        channel=ch.value,
        kind=k.value,
        topic=t.value,
        record_kind=rk,
        record_id=rid,
        site=clean_text(site, "site", 16, required=False).upper(),
        team=tm,
        state=State.NEW,
        received_at=now,
        first_response_due=sla.due(now, tm.first_response_hours, hours),
        resolution_due=sla.due(now, tm.resolution_hours, hours),
        created_by_id=getattr(actor, "pk", None),
        created_by_role=role(actor),
    )
    ticket.save(force_insert=True)
    ticket.text = _seal(ticket, "text", body)
    if cid is not None and t is Topic.PRIVACY and k is Kind.COMPLAINT:
        req = rights.create_request(
            actor,
            cid,
            "complaint",
            detail=body[: rights.MAX_DETAIL],
            via=Via.PORTAL if forced else Via.API,
            channel=RIGHTS_CHANNEL[ch],
        )
        ticket.rights_request_id = req.pk
    ticket.save(update_fields=["text", "rights_request_id"])
    audit.record(
        FeedbackAction.RECEIVED,
        actor,
        object_type=TABLE,
        object_id=ticket.pk,
        detail={
            "customer": str(cid) if cid else "",
            "channel": ch.value,
            "kind": k.value,
            "topic": t.value,
            "team": tm.code,
            "rights_request": ticket.rights_request_id,
        },
    )
    return ticket


# -- who sees and moves what --------------------------------------------------------------
def visible(actor: Any) -> QuerySet[Ticket]:
    """Customer service: every ticket; the privacy officer: privacy ones; the customer:
    their own; anyone else: none."""
    qs = Ticket.objects.select_related("team")
    if isinstance(actor, gate.DataSubject):
        return qs.filter(customer_id=actor.customer_id)
    r = role(actor)
    if r in {x.value for x in HANDLERS}:
        return qs
    if r in {x.value for x in PRIVACY_ROLES}:
        return qs.filter(topic=Topic.PRIVACY)
    return qs.none()


def get(actor: Any, ticket_id: object, *, lock: bool = False) -> Ticket:
    qs = visible(actor)
    if lock:
        qs = qs.select_for_update(of=("self",))
    t = qs.filter(pk=as_int(ticket_id, "ticket")).first()
    if t is None:
        raise NotFound("no such ticket", code="ticket_unknown")
    return t


def purpose_of(actor: Any) -> Purpose:
    if isinstance(actor, gate.DataSubject) or role(actor) in {x.value for x in PRIVACY_ROLES}:
        return Purpose.RIGHTS_REQUEST
    return Purpose.CUSTOMER_SERVICE


def open_texts(actor: Any, tickets: Iterable[Ticket]) -> dict[int, dict[str, str]]:
    """The tickets' texts through the gate: a customer's under their key
    (`open_attached_many`, one call per customer, one audit event per ticket), anonymous
    ones under their case keys (`open_case_texts`, customer service only). An erased
    customer's texts, a shredded case's: empty."""
    by_customer: dict[uuid.UUID, list[Ticket]] = defaultdict(list)
    anonymous: list[Ticket] = []
    for t in tickets:
        if all(getattr(t, c) is None for c in TEXTS):
            continue
        if t.customer_id is None:
            anonymous.append(t)
        else:
            by_customer[t.customer_id].append(t)
    out: dict[int, dict[str, str]] = {}
    p = purpose_of(actor)
    for cid, rows in by_customer.items():
        try:
            opened = gate.open_attached_many(actor, p, cid, [_blobs(t) for t in rows])
        except Gone:
            continue
        for t, values in zip(rows, opened, strict=True):
            out[t.pk] = {k: str(v or "") for k, v in values.items()}
    if anonymous:
        cases = [(t.pk, *_blobs(t)) for t in anonymous]
        for t, values in zip(
            anonymous, gate.open_case_texts(actor, CASE, CASE_READERS, cases), strict=True
        ):
            if any(v is not None for v in values.values()):
                out[t.pk] = {k: str(v or "") for k, v in values.items()}
    return out


def _blobs(t: Ticket) -> tuple[str, object, dict[str, Any]]:
    return (TABLE, t.pk, {c: getattr(t, c) for c in TEXTS if getattr(t, c) is not None})


# -- moves ------------------------------------------------------------------------------------
MOVES: dict[str, frozenset[str]] = {
    State.NEW: frozenset({State.ASSIGNED, State.IN_PROGRESS, State.ON_HOLD}),
    State.ASSIGNED: frozenset({State.ASSIGNED, State.IN_PROGRESS, State.ON_HOLD}),
    State.IN_PROGRESS: frozenset({State.ON_HOLD, State.RESOLVED}),
    State.ON_HOLD: frozenset({State.ASSIGNED, State.IN_PROGRESS}),
    State.RESOLVED: frozenset({State.CLOSED, State.IN_PROGRESS}),
    State.CLOSED: frozenset(),
}


def _notify(ticket: Ticket, kind: MessageKind, now: datetime) -> None:
    """Tell the customer (the feedback outbox); anonymous feedback has nobody to tell."""
    if ticket.customer_id is None:
        return
    outbox = get_sender().name == "outbox"  # the row is the delivery (as incident notices)
    Message.objects.create(
        customer_id=ticket.customer_id,
        kind=kind,
        ticket=ticket,
        created_at=now,
        status=MessageStatus.SENT if outbox else MessageStatus.QUEUED,
        sent_at=now if outbox else None,
    )


@transaction.atomic
def transition(
    actor: Any,
    ticket_id: object,
    to: object,
    *,
    text: object = None,
    reason: object = None,
    assignee_id: object = None,
) -> Ticket:
    if isinstance(actor, gate.DataSubject):
        raise Forbidden("customer service moves tickets", code="role_required")
    require_role(actor, HANDLERS | PRIVACY_ROLES, TABLE)
    ticket = get(actor, ticket_id, lock=True)
    target = choice(State, to, "to", "目标状态")
    if target.value not in MOVES[ticket.state]:
        raise Conflict(
            f"a {ticket.state} ticket cannot move to {target.value}", code="transition_invalid"
        )
    now = core_clock.now()
    before = ticket.state
    detail: dict[str, Any] = {"from": before, "to": target.value}
    fields = ["state"]
    if before == State.ON_HOLD:
        pause = ticket.pauses.filter(ended_at__isnull=True).first()
        if pause is not None:
            pause.ended_at, pause.ended_by_id = now, getattr(actor, "pk", None)
            pause.save(update_fields=["ended_at", "ended_by_id"])
            ticket.first_response_due, ticket.resolution_due = _dues(ticket, now)
            fields += ["first_response_due", "resolution_due"]
            audit.record(
                FeedbackAction.RESUMED,
                actor,
                object_type=TABLE,
                object_id=ticket.pk,
                detail={"reason": pause.reason},
            )
    if target is State.ASSIGNED:
        if before == State.ON_HOLD and ticket.first_response_at is not None:
            raise Conflict("an answered ticket resumes in progress", code="transition_invalid")
        who = as_int(assignee_id, "assignee") if assignee_id not in (None, "") else actor.pk
        ticket.assignee_id, ticket.assigned_at = who, now
        fields += ["assignee_id", "assigned_at"]
        detail["assignee"] = who
    elif target is State.ON_HOLD:
        why = choice(PauseReason, reason, "reason", "暂停原因")
        Pause.objects.create(
            ticket=ticket, reason=why, started_at=now, started_by_id=getattr(actor, "pk", None)
        )
        detail["reason"] = why.value
    elif target is State.IN_PROGRESS:
        if ticket.first_response_at is None:
            words = clean_text(text, "text", MAX_TEXT)
            ticket.response = _seal(ticket, "response", words)
            ticket.first_response_at = now
            fields += ["response", "first_response_at"]
            if ticket.assignee_id is None:
                ticket.assignee_id, ticket.assigned_at = actor.pk, now
                fields += ["assignee_id", "assigned_at"]
            _notify(ticket, MessageKind.ANSWERED, now)
            detail["first_response"] = True
    elif target is State.RESOLVED:
        words = clean_text(text, "text", MAX_TEXT)
        ticket.resolution = _seal(ticket, "resolution", words)
        ticket.resolved_at = now
        fields += ["resolution", "resolved_at"]
        _notify(ticket, MessageKind.RESOLVED, now)
    elif target is State.CLOSED:
        ticket.closed_at = now
        fields.append("closed_at")
    if before == State.RESOLVED and target is State.IN_PROGRESS:  # reopened
        ticket.resolved_at = None
        fields.append("resolved_at")
    ticket.state = target.value
    ticket.save(update_fields=list(dict.fromkeys(fields)))
    audit.record(
        FeedbackAction.PAUSED if target is State.ON_HOLD else FeedbackAction.MOVED,
        actor,
        object_type=TABLE,
        object_id=ticket.pk,
        detail=detail,
    )
    return ticket


@transaction.atomic
def rate(actor: Any, ticket_id: object, score: object) -> Ticket:
    """The customer rates the handling of a closed ticket, once (1–5): in the portal, or
    customer service records it (a call-back)."""
    if not isinstance(actor, gate.DataSubject):
        require_role(actor, HANDLERS, TABLE)
    ticket = get(actor, ticket_id, lock=True)
    if ticket.state != State.CLOSED:
        raise Conflict("only a closed ticket is rated", code="ticket_not_closed")
    if ticket.rating is not None:
        raise Conflict("this ticket is already rated", code="already_rated")
    if ticket.customer_id is None:
        raise Conflict("anonymous feedback has nobody to rate it", code="anonymous_ticket")
    if not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 5:
        raise invalid("score", "out_of_range", "a score from 1 to 5", "评分应为 1 到 5")
    ticket.rating, ticket.rated_at = score, core_clock.now()
    ticket.save(update_fields=["rating", "rated_at"])
    audit.record(
        FeedbackAction.RATED,
        actor,
        object_type=TABLE,
        object_id=ticket.pk,
        detail={
            "score": score,
            "via": "portal" if isinstance(actor, gate.DataSubject) else "staff",
        },
    )
    return ticket


def escalate_due(now: datetime | None = None) -> list[Ticket]:
    """Flag open tickets near or past a due time (once each, audited): the queue shows the
    flag; a scheduled `baomi feedback escalate` or the queue page runs this."""
    now = now or core_clock.now()
    flagged = []
    for t in Ticket.objects.select_related("team").filter(
        state__in=OPEN_STATES, escalated_at__isnull=True
    ):
        c = clocks(t, now)
        if not c.escalate:
            continue
        Ticket.objects.filter(pk=t.pk, escalated_at__isnull=True).update(escalated_at=now)
        t.escalated_at = now
        audit.record(
            FeedbackAction.ESCALATED,
            None,
            object_type=TABLE,
            object_id=t.pk,
            detail={
                "first_response": c.first_response.badge(),
                "resolution": c.resolution.badge(),
            },
        )
        flagged.append(t)
    return flagged


def erase(customer_id: uuid.UUID) -> dict[str, int]:
    """The customer's tickets lose their texts (their key is shredded with the profile
    too) and their link to the customer; kind, topic, channel and clock stamps stay for
    the indicators. Their messages go."""
    n = Ticket.objects.filter(customer_id=customer_id).update(
        text=None, response=None, resolution=None, record_id=None, record_kind=""
    )
    m, _ = Message.objects.filter(customer_id=customer_id).delete()
    out = {"feedback_ticket": n} if n else {}
    if m:
        out["feedback_message"] = m
    return out


RETENTION_DAYS = 3 * 365


def expire(now: datetime, dry_run: bool) -> int:
    """Retention (R-C5): texts of tickets closed more than 3 years ago are destroyed — an
    anonymous ticket's case key is shredded, every such ticket's sealed columns cleared;
    the ticket's codes and clock stamps stay for the indicators."""
    old = Ticket.objects.filter(
        closed_at__lt=now - timedelta(days=RETENTION_DAYS), text__isnull=False
    )
    if dry_run:
        return old.count()
    n = 0
    with transaction.atomic():
        for pk, cid in old.values_list("pk", "customer_id"):
            if cid is None:
                vault.shred_case(CASE, pk, "retention: 3 years after closing")
            n += 1
        old.update(text=None, response=None, resolution=None)
    return n
