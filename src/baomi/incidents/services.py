"""Incident register services (R-H2, R-E3): every state change of a case happens here, in
one transaction with its audit event. Clocks are computed (incidents.clocks); regulator
duties come from `ReportingRule` rows (incidents.rules)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction

from baomi.access.enums import Role
from baomi.audit.models import Alert
from baomi.core import clock
from baomi.core.errors import Conflict, NotFound

from . import rules, texts
from .enums import (
    STAMP,
    TRANSITIONS,
    AuthorityKind,
    IncidentAction,
    Kind,
    NoticeDecision,
    NoticeStatus,
    ObligationStatus,
    Severity,
    Source,
    State,
    Step,
    WhistleState,
)
from .inputs import (
    CASE_ROLES,
    OPEN_ROLES,
    _choice,
    _text,
    current_plan,
    default_duties,
    event,
    get,
    invalid,
    parse_instant,
    pk,
    require,
)
from .models import (
    AuthorityContact,
    ContainmentAction,
    Incident,
    IncidentTransition,
    Obligation,
    PlanVersion,
    WhistleReport,
)

FUTURE_SKEW = timedelta(minutes=5)


def _owners(plan: PlanVersion | None) -> dict[str, Any]:
    duties = dict(plan.duties) if plan else {}
    return {s.value: duties.get(s.value, default_duties()[s.value]) for s in Step}


@transaction.atomic
def open_incident(
    actor: Any,
    *,
    title: object,
    kind: object,
    severity: object,
    detected_at: object,
    summary: object = "",
    alert_id: object = None,
    whistle_id: object = None,
    partner: object = "",
    drill: bool = False,
) -> Incident:
    """Open a case by hand, from an audit alert (linked; one case per alert), from a
    whistle-blowing report, or from a partner's report. Its clocks start at `detected_at`."""
    require(actor, OPEN_ROLES)
    now = clock.now()
    alert = None
    whistle = None
    source = Source.MANUAL
    if alert_id not in (None, ""):
        try:
            alert = Alert.objects.select_for_update().filter(pk=pk(alert_id)).first()
        except ValueError:
            alert = None
        if alert is None:
            raise NotFound("no such alert", code="alert_not_found")
        existing = Incident.objects.filter(alert=alert).first()
        if existing is not None:
            raise Conflict(
                "this alert already has an incident",
                code="alert_has_incident",
                incident_id=existing.pk,
            )
        source = Source.ALERT
    if whistle_id not in (None, ""):
        whistle = WhistleReport.objects.select_for_update().filter(pk=pk(whistle_id)).first()
        if whistle is None:
            raise NotFound("no such whistle-blowing report", code="whistle_not_found")
        source = Source.WHISTLE
    partner_name = _text(partner, "partner", 120, "合作方名称", required=False)
    if partner_name and source is Source.MANUAL:
        source = Source.PARTNER
    if alert is not None and not str(title or "").strip():
        title = alert.summary
    if alert is not None and not severity:
        severity = alert.severity
    if alert is not None and not detected_at:
        detected_at = alert.created_at
    title_s = _text(title, "title", 200, "标题")
    kind_v = _choice(Kind, kind, "kind", "事件类型")
    sev = _choice(Severity, severity, "severity", "事件分级")
    when = parse_instant(detected_at, "detected_at")
    if when > now + FUTURE_SKEW:
        raise invalid(
            "detected_at", "in_future", "detection time is in the future", "发现时间晚于当前时间"
        )
    plan = current_plan()
    inc = Incident(
        title=title_s,
        kind=kind_v,
        severity=sev,
        source=source,
        drill=bool(drill),
        alert=alert,
        whistle=whistle,
        partner=partner_name,
        detected_at=when,
        reported_at=now,
        plan=plan,
        owners=_owners(plan),
        created_by_id=getattr(actor, "pk", None),
        created_by_role=getattr(actor, "role_code", ""),
    )
    summary_s = _text(summary, "summary", 4000, "概述", required=False)
    try:
        with transaction.atomic():
            inc.save()
    except IntegrityError:  # a concurrent request opened the alert's case first
        raise Conflict("this alert already has an incident", code="alert_has_incident") from None
    texts.seal_summary(inc, summary_s)
    if whistle is not None:
        whistle.state = WhistleState.INCIDENT
        whistle.reviewed_at = now
        whistle.reviewed_by_id = getattr(actor, "pk", None)
        whistle.save(update_fields=["state", "reviewed_at", "reviewed_by_id"])
    IncidentTransition.objects.create(
        incident=inc,
        from_state="",
        to_state=State.REPORTED,
        at=now,
        actor_id=getattr(actor, "pk", None),
        actor_role=getattr(actor, "role_code", ""),
    )
    created = rules.sync_obligations(inc, now)
    event(
        IncidentAction.OPENED,
        actor,
        inc,
        kind=inc.kind,
        severity=inc.severity,
        source=inc.source,
        drill=inc.drill,
        alert=alert.pk if alert else None,
        whistle=whistle.pk if whistle else None,
        detected_at=inc.detected_at.isoformat(),
        obligations=created,
    )
    return inc


@transaction.atomic
def transition(actor: Any, incident_id: object, to: object, note: object = "") -> Incident:
    """Move a case along its state machine (enums.TRANSITIONS), stamping the time. Guards:
    `notified` needs every prepared notice handed over; `closed` needs the customer notice
    done or decided not required, and no regulator duty left pending; `not_breach` needs a
    note saying why."""
    require(actor, CASE_ROLES)
    inc = get(incident_id, lock=True)
    target = _choice(State, to, "to", "目标状态")
    current = State(inc.state)
    if target not in TRANSITIONS[current]:
        raise Conflict(
            f"an incident cannot go from {current.value} to {target.value}",
            code="transition_not_allowed",
            allowed=sorted(t.value for t in TRANSITIONS[current]),
        )
    text = _text(note, "note", 2000, "说明", required=target is State.NOT_BREACH)
    _guard(inc, target)
    now = clock.now()
    setattr(inc, STAMP[target], now)
    inc.state = target
    inc.save(update_fields=["state", STAMP[target]])
    if target is State.NOT_BREACH:
        for ob in inc.obligations.filter(status=ObligationStatus.PENDING):
            rules.decide_not_required(ob, actor, "not a breach: " + text, now)
    move = IncidentTransition.objects.create(
        incident=inc,
        from_state=current,
        to_state=target,
        at=now,
        actor_id=getattr(actor, "pk", None),
        actor_role=getattr(actor, "role_code", ""),
    )
    texts.seal_note(move, text)
    event(IncidentAction.TRANSITIONED, actor, inc, **{"from": current.value, "to": target.value})
    return inc


def _guard(inc: Incident, target: State) -> None:
    if target is State.NOTIFIED:
        if inc.notice_decision == NoticeDecision.NOT_REQUIRED:
            raise Conflict(
                "customer notice was decided not required: close the case instead",
                code="notice_not_required",
            )
        notices = inc.notices.all()
        if not notices.exists():
            raise Conflict("no customer notices were prepared", code="notices_missing")
        if notices.filter(status=NoticeStatus.PREPARED).exists():
            raise Conflict("some notices have not been sent yet", code="notices_unsent")
    if target is State.CLOSED:
        if inc.state != State.NOTIFIED and inc.notice_decision != NoticeDecision.NOT_REQUIRED:
            raise Conflict(
                "notify the customers first, or decide (with a reason) that no notice is needed",
                code="notice_undecided",
            )
        if inc.obligations.filter(status=ObligationStatus.PENDING).exists():
            raise Conflict(
                "a regulator report is still pending: file it or decide it is not required",
                code="obligation_pending",
            )


@transaction.atomic
def set_severity(actor: Any, incident_id: object, severity: object, note: object) -> Incident:
    """Re-grade a case. New reporting duties may arise (their due times count from
    detection); pending duties that no longer apply are decided not required."""
    require(actor, CASE_ROLES)
    inc = get(incident_id, lock=True)
    if not inc.is_open:
        raise Conflict("the case is closed", code="incident_closed")
    sev = _choice(Severity, severity, "severity", "事件分级")
    why = _text(note, "note", 2000, "说明")
    before = inc.severity
    inc.severity = sev
    inc.save(update_fields=["severity"])
    now = clock.now()
    created = rules.sync_obligations(inc, now, actor=actor, why=why)
    event(
        IncidentAction.UPDATED,
        actor,
        inc,
        severity={"from": before, "to": sev.value},
        obligations=created,
    )
    return inc


@transaction.atomic
def decide_notice(
    actor: Any, incident_id: object, decision: object, reason: object = ""
) -> Incident:
    """Customer notice: required, or not required — a decision with its reason (e.g. the
    data were sealed and the keys not exposed; nobody was affected)."""
    require(actor, (Role.PRIVACY_OFFICER,))
    inc = get(incident_id, lock=True)
    if not inc.is_open:
        raise Conflict("the case is closed", code="incident_closed")
    d = _choice(NoticeDecision, decision, "decision", "通知决定")
    if d is NoticeDecision.UNDECIDED:
        raise invalid("decision", "required", "decide required or not_required", "请选择是否通知")
    why = _text(reason, "reason", 2000, "理由", required=d is NoticeDecision.NOT_REQUIRED)
    inc.notice_decision = d
    inc.notice_reason = why
    inc.notice_decided_at = clock.now()
    inc.save(update_fields=["notice_decision", "notice_reason", "notice_decided_at"])
    event(IncidentAction.NOTICE_DECIDED, actor, inc, decision=d.value)
    return inc


@transaction.atomic
def set_notice_texts(actor: Any, incident_id: object, **texts: object) -> Incident:
    """What the customer notice says: what happened, what we did, what they can do, whom to
    contact. Incident-level texts: no customer's data goes here (each notice adds the
    customer's own fields when it is prepared)."""
    require(actor, (Role.PRIVACY_OFFICER,))
    inc = get(incident_id, lock=True)
    labels = {
        "notice_what": ("发生了什么", 2000),
        "notice_measures": ("我们采取的措施", 2000),
        "notice_advice": ("客户可以做什么", 2000),
        "notice_contact": ("联系方式", 200),
    }
    changed = []
    for name, (zh, limit) in labels.items():
        if name in texts and texts[name] is not None:
            setattr(inc, name, _text(texts[name], name, limit, zh, required=False))
            changed.append(name)
    inc.save(update_fields=changed or None)
    event(IncidentAction.UPDATED, actor, inc, texts=changed)
    return inc


@transaction.atomic
def add_containment(
    actor: Any, incident_id: object, action: object, owner: object, done_at: object = None
) -> ContainmentAction:
    require(actor, CASE_ROLES)
    inc = get(incident_id, lock=True)
    now = clock.now()
    when = now if done_at in (None, "") else parse_instant(done_at, "done_at")
    if when > now + FUTURE_SKEW:
        raise invalid("done_at", "in_future", "time is in the future", "时间晚于当前时间")
    row = ContainmentAction.objects.create(
        incident=inc,
        action=_text(action, "action", 300, "处置措施"),
        owner=_text(owner, "owner", 120, "责任人"),
        done_at=when,
        created_at=now,
        created_by_id=getattr(actor, "pk", None),
    )
    event(IncidentAction.CONTAINMENT, actor, inc, action=row.pk, done_at=when.isoformat())
    return row


@transaction.atomic
def add_authority_contact(
    actor: Any,
    incident_id: object,
    *,
    kind: object,
    authority: object,
    contact: object = "",
    reference: object = "",
    note: object = "",
    at: object = None,
) -> AuthorityContact:
    require(actor, CASE_ROLES)
    inc = get(incident_id, lock=True)
    now = clock.now()
    when = now if at in (None, "") else parse_instant(at, "at")
    row = AuthorityContact.objects.create(
        incident=inc,
        kind=_choice(AuthorityKind, kind, "kind", "类型"),
        authority=_text(authority, "authority", 120, "机关名称"),
        contact=_text(contact, "contact", 120, "联系人", required=False),
        reference=_text(reference, "reference", 120, "文号", required=False),
        at=when,
        created_by_id=getattr(actor, "pk", None),
    )
    texts.seal_note(row, _text(note, "note", 2000, "备注", required=False))
    event(IncidentAction.AUTHORITY, actor, inc, contact=row.pk, kind=row.kind)
    return row


@transaction.atomic
def file_obligation(
    actor: Any, obligation_id: object, *, reference: object = "", filed_at: object = None
) -> Obligation:
    """Record a regulator report as filed: its due time is frozen from now on."""
    require(actor, CASE_ROLES)
    ob = rules.get_obligation(obligation_id)
    if ob.status != ObligationStatus.PENDING:
        raise Conflict("this duty is already decided", code="obligation_decided")
    now = clock.now()
    when = now if filed_at in (None, "") else parse_instant(filed_at, "filed_at")
    if when > now + FUTURE_SKEW:
        raise invalid("filed_at", "in_future", "time is in the future", "时间晚于当前时间")
    ob.status = ObligationStatus.FILED
    ob.filed_at = when
    ob.reference = _text(reference, "reference", 120, "报告编号", required=False)
    ob.decided_at = now
    ob.decided_by_id = getattr(actor, "pk", None)
    ob.save(update_fields=["status", "filed_at", "reference", "decided_at", "decided_by_id"])
    AuthorityContact.objects.create(
        incident_id=ob.incident_id,
        kind=AuthorityKind.REPORT,
        authority=ob.recipient_zh,
        reference=ob.reference,
        at=when,
        created_by_id=getattr(actor, "pk", None),
    )
    event(
        IncidentAction.OBLIGATION_DECIDED,
        actor,
        ob,
        status=ob.status,
        rule=ob.rule.code,
        on_time=when <= ob.due_at,
    )
    return ob


@transaction.atomic
def obligation_not_required(actor: Any, obligation_id: object, reason: object) -> Obligation:
    require(actor, CASE_ROLES)
    ob = rules.get_obligation(obligation_id)
    if ob.status != ObligationStatus.PENDING:
        raise Conflict("this duty is already decided", code="obligation_decided")
    why = _text(reason, "reason", 2000, "理由")
    rules.decide_not_required(ob, actor, why, clock.now())
    return ob
