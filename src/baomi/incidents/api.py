"""Incidents API (INTERFACES.md): cases, clocks, scoping, notices, reporting duties,
whistle-blowing, plan, drills and assessments. Thin: parse, authorise, call, shape."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from baomi.access.enums import Role
from baomi.core.errors import NotFound

from . import clocks, inputs, notices, programme, rules, scoping, selectors, services, texts
from .enums import ScopeMethod
from .models import Incident, ReportingRule, Scope

router = Router(tags=["incidents"])
whistle_router = Router(tags=["incidents"])
VIEW_ROLES = (Role.PRIVACY_OFFICER, Role.SECURITY_ADMIN, Role.SECURITY_AUDITOR)


def _staff(request: HttpRequest) -> Any:
    return request.staff  # type: ignore[attr-defined]


class IncidentIn(Schema):
    title: str = ""
    kind: str
    severity: str = ""
    detected_at: str = ""
    alert_id: int | None = None
    summary: str = ""
    partner: str = ""
    whistle_id: int | None = None
    drill: bool = False


class TransitionIn(Schema):
    to: str
    note: str | None = None


class ScopeIn(Schema):
    actor: str | None = None
    partner_id: int | None = None
    from_: str | None = Field(None, alias="from")
    to: str | None = None
    token_id: int | None = None
    customer_ids: list[str] | None = None
    fields: list[str] | None = None


class SeverityIn(Schema):
    severity: str
    note: str


class DecisionIn(Schema):
    decision: str
    reason: str = ""


class NoticeTextsIn(Schema):
    notice_what: str | None = None
    notice_measures: str | None = None
    notice_advice: str | None = None
    notice_contact: str | None = None


class ContainmentIn(Schema):
    action: str
    owner: str
    done_at: str | None = None


class AuthorityIn(Schema):
    kind: str
    authority: str
    contact: str = ""
    reference: str = ""
    note: str = ""
    at: str | None = None


class FileIn(Schema):
    reference: str = ""
    filed_at: str | None = None


class ReasonIn(Schema):
    reason: str


class WhistleIn(Schema):
    summary: str
    text: str
    anonymous: bool = True


def shape(inc: Incident, *, reader: Any = None) -> dict[str, Any]:
    """The case; with `reader`, in full — its sealed texts opened through the gate."""
    r = selectors.row(inc)
    out: dict[str, Any] = {
        "id": inc.pk,
        "reference": inc.reference,
        "title": inc.title,
        "kind": inc.kind,
        "severity": inc.severity,
        "source": inc.source,
        "drill": inc.drill,
        "alert_id": inc.alert_id,
        "whistle_id": inc.whistle_id,
        "state": inc.state,
        "detected_at": clocks.iso(inc.detected_at),
        "due": clocks.due(inc),
        "clocks": {"initial_handling": r.initial.as_dict(), "customer_notice": r.notice.as_dict()},
        "overdue": r.overdue,
        "near_due": r.near_due,
    }
    if reader is None:
        return out
    moves, contacts = list(inc.moves.all()), list(inc.contacts.all())
    summary, move_notes, contact_notes = texts.case_texts(reader, inc, moves, contacts)
    out.update(
        {
            "summary": summary,
            "partner": inc.partner,
            "owners": inc.owners,
            "plan_version": inc.plan.version if inc.plan else None,
            "timestamps": {
                s: clocks.iso(getattr(inc, s))
                for s in (
                    "reported_at",
                    "triaged_at",
                    "contained_at",
                    "notified_at",
                    "closed_at",
                    "dismissed_at",
                )
            },
            "notice": {
                "decision": inc.notice_decision or None,
                "reason": inc.notice_reason,
                "what": inc.notice_what,
                "measures": inc.notice_measures,
                "advice": inc.notice_advice,
                "contact": inc.notice_contact,
            },
            "obligations": [
                {
                    "id": o.pk,
                    "rule": o.rule.code,
                    "regime": o.rule.regime,
                    "recipient": o.recipient_en,
                    "recipient_zh": o.recipient_zh,
                    "due_at": clocks.iso(o.due_at),
                    "status": o.status,
                    "filed_at": clocks.iso(o.filed_at),
                    "reference": o.reference,
                    "reason": o.reason,
                    "clock": c.as_dict(),
                }
                for o, c in r.obligations
            ],
            "transitions": [
                {
                    "from": m.from_state,
                    "to": m.to_state,
                    "at": clocks.iso(m.at),
                    "actor_role": m.actor_role,
                    "note": move_notes[m.pk],
                }
                for m in moves
            ],
            "containment": [
                {"id": a.pk, "action": a.action, "owner": a.owner, "done_at": clocks.iso(a.done_at)}
                for a in inc.actions.all()
            ],
            "authorities": [
                {
                    "id": a.pk,
                    "kind": a.kind,
                    "authority": a.authority,
                    "contact": a.contact,
                    "reference": a.reference,
                    "note": contact_notes[a.pk],
                    "at": clocks.iso(a.at),
                }
                for a in contacts
            ],
            "scopes": [scope_summary(s) for s in inc.scopes.all()],
            "notices": notice_counts(inc),
        }
    )
    return out


def scope_summary(s: Scope) -> dict[str, Any]:
    return {
        "id": s.pk,
        "method": s.method,
        "params": s.params,
        "tree_size": s.tree_size,
        "root_hash": s.root_hash,
        "digest": s.digest,
        "affected_count": s.affected,
        "events": s.events,
        "field_counts": s.field_counts,
        "seconds": s.seconds,
        "computed_at": clocks.iso(s.computed_at),
        "reproved_at": clocks.iso(s.reproved_at),
        "reproved_ok": s.reproved_ok,
    }


def notice_counts(inc: Incident) -> dict[str, int]:
    from django.db.models import Count

    rows = inc.notices.values("status").annotate(n=Count("id"))
    return {r["status"]: r["n"] for r in rows}


def _viewer(request: HttpRequest) -> Any:
    actor = _staff(request)
    inputs.require(actor, VIEW_ROLES)
    return actor


@router.post("", response={201: dict[str, Any]})
def open_incident(request: HttpRequest, body: IncidentIn) -> Status[dict[str, Any]]:
    """Open a case (by hand, from an audit alert with `alert_id`, from a whistle-blowing
    report, or a partner's report). Its clocks run from `detected_at` (ISO 8601; without an
    offset, Asia/Shanghai). From an alert, title, severity and detection time default to
    the alert's."""
    inc = services.open_incident(
        _staff(request),
        title=body.title,
        kind=body.kind,
        severity=body.severity,
        detected_at=body.detected_at,
        summary=body.summary,
        alert_id=body.alert_id,
        whistle_id=body.whistle_id,
        partner=body.partner,
        drill=body.drill,
    )
    return Status(201, shape(inc))


@router.get("", response=list[dict[str, Any]])
def list_incidents(request: HttpRequest, include_closed: bool = False) -> list[dict[str, Any]]:
    """Open cases with their clocks, most urgent first (drills included, flagged)."""
    _viewer(request)
    return [shape(r.incident) for r in selectors.cases(include_closed=include_closed, drills=None)]


@router.get("/{int:incident_id}", response=dict[str, Any])
def get_incident(request: HttpRequest, incident_id: int) -> dict[str, Any]:
    _viewer(request)
    return shape(services.get(incident_id), reader=_staff(request))


@router.post("/{int:incident_id}/transition", response=dict[str, Any])
def transition(request: HttpRequest, incident_id: int, body: TransitionIn) -> dict[str, Any]:
    """reported → triaged → contained → notified → closed, or not_breach (with a note)."""
    inc = services.transition(_staff(request), incident_id, body.to, body.note or "")
    return shape(inc, reader=_staff(request))


@router.post("/{int:incident_id}/severity", response=dict[str, Any])
def severity(request: HttpRequest, incident_id: int, body: SeverityIn) -> dict[str, Any]:
    inc = services.set_severity(_staff(request), incident_id, body.severity, body.note)
    return shape(inc, reader=_staff(request))


@router.post("/{int:incident_id}/scope", response=dict[str, Any])
def scope(request: HttpRequest, incident_id: int, body: ScopeIn) -> dict[str, Any]:
    """Who was affected, from the audit log: `{actor, from, to}` (every customer that account
    was shown in the window), `{partner_id, from, to}` (every customer disclosed to that
    partner in the window), `{token_id}` (a compromised API token), or `{customer_ids,
    fields?}` (an imported list). Stored with the tree size and root it was computed at."""
    if body.customer_ids is not None:
        method, params = (
            ScopeMethod.IMPORT,
            scoping.import_params(body.customer_ids, body.fields or []),
        )
    elif body.token_id is not None:
        method, params = ScopeMethod.TOKEN, scoping.token_params(body.token_id)
    elif body.partner_id is not None:
        method = ScopeMethod.PARTNER
        params = scoping.partner_params(body.partner_id, body.from_, body.to)
    else:
        method = ScopeMethod.ACCOUNT
        params = scoping.account_params(body.actor, body.from_, body.to)
    s = scoping.scope_incident(_staff(request), incident_id, method, params)
    members = list(s.members.values_list("customer_id", "fields"))
    return {
        **scope_summary(s),
        "affected": [str(c) for c, _ in members],
        "fields": {str(c): f for c, f in members},
    }


@router.post("/scopes/{scope_id}/reprove", response=dict[str, Any])
def reprove(request: HttpRequest, scope_id: str) -> dict[str, Any]:
    """Re-run a stored scope at its tree size and prove it against the stored root."""
    return scoping.reprove(_staff(request), scope_id).as_dict()


@router.post("/{int:incident_id}/notice-decision", response=dict[str, Any])
def notice_decision(request: HttpRequest, incident_id: int, body: DecisionIn) -> dict[str, Any]:
    inc = services.decide_notice(_staff(request), incident_id, body.decision, body.reason)
    return shape(inc, reader=_staff(request))


@router.post("/{int:incident_id}/notice-texts", response=dict[str, Any])
def notice_texts(request: HttpRequest, incident_id: int, body: NoticeTextsIn) -> dict[str, Any]:
    inc = services.set_notice_texts(_staff(request), incident_id, **body.dict())
    return shape(inc, reader=_staff(request))


@router.post("/{int:incident_id}/notices/prepare", response=dict[str, Any])
def prepare_notices(request: HttpRequest, incident_id: int) -> dict[str, Any]:
    """One sealed notice per affected customer (zh-Hans or English), through the gate."""
    return notices.prepare(_staff(request), incident_id).as_dict()


@router.post("/{int:incident_id}/notices/send", response=dict[str, Any])
def send_notices(request: HttpRequest, incident_id: int) -> dict[str, Any]:
    """Hand the prepared notices to the configured sender; each delivery is recorded.
    A drill's notices are never sent."""
    return notices.send(_staff(request), incident_id).as_dict()


@router.post("/{int:incident_id}/containment", response={201: dict[str, Any]})
def containment(request: HttpRequest, incident_id: int, body: ContainmentIn) -> Status[Any]:
    a = services.add_containment(
        _staff(request), incident_id, body.action, body.owner, body.done_at
    )
    return Status(201, {"id": a.pk, "done_at": clocks.iso(a.done_at)})


@router.post("/{int:incident_id}/authorities", response={201: dict[str, Any]})
def authorities(request: HttpRequest, incident_id: int, body: AuthorityIn) -> Status[Any]:
    a = services.add_authority_contact(_staff(request), incident_id, **body.dict())
    return Status(201, {"id": a.pk, "at": clocks.iso(a.at)})


@router.post("/obligations/{obligation_id}/file", response=dict[str, Any])
def file_obligation(request: HttpRequest, obligation_id: str, body: FileIn) -> dict[str, Any]:
    o = services.file_obligation(
        _staff(request), obligation_id, reference=body.reference, filed_at=body.filed_at
    )
    return {
        "id": o.pk,
        "status": o.status,
        "due_at": clocks.iso(o.due_at),
        "filed_at": clocks.iso(o.filed_at),
        "on_time": bool(o.filed_at and o.filed_at <= o.due_at),
    }


@router.post("/obligations/{obligation_id}/not-required", response=dict[str, Any])
def obligation_not_required(request: HttpRequest, obligation_id: str, body: ReasonIn) -> Any:
    o = services.obligation_not_required(_staff(request), obligation_id, body.reason)
    return {"id": o.pk, "status": o.status, "reason": o.reason}


@router.get("/rules", response=list[dict[str, Any]])
def list_rules(request: HttpRequest) -> list[dict[str, Any]]:
    _viewer(request)
    return [
        {
            "code": r.code,
            "regime": r.regime,
            "name": r.name_en,
            "name_zh": r.name_zh,
            "recipient": r.recipient_en,
            "min_severity": r.min_severity,
            "operator_class": r.operator_class,
            "minutes": r.minutes,
            "effective_from": r.effective_from.isoformat(),
            "active": r.active,
            "applies_to_us": r.operator_class in ("any", rules.operator_class()),
        }
        for r in ReportingRule.objects.all()
    ]


@whistle_router.post("", response={201: dict[str, Any]})
def whistle(request: HttpRequest, body: WhistleIn) -> Status[dict[str, Any]]:
    """Report a suspected leak (any staff member). `anonymous` (default): no link to your
    account is stored. The privacy officer and the security auditor see it."""
    r = programme.report_leak(
        _staff(request), summary=body.summary, text=body.text, anonymous=body.anonymous
    )
    return Status(201, {"id": r.pk, "anonymous": r.anonymous, "received_on": r.received_on})


# -- plan, drills, assessments (R-H1, R-C6) ----------------------------------------------------
class PlanIn(Schema):
    title: str
    body: str
    duties: dict[str, dict[str, str]] | None = None


class DrillIn(Schema):
    held_on: str
    kind: str
    scenario: str
    participants: list[str]
    initial_handling_minutes: int | None = None
    notice_minutes: int | None = None
    lessons: str = ""
    actions: str = ""
    incident_id: int | None = None


class AssessmentIn(Schema):
    kind: str
    title: str
    performed_on: str
    performer: str = ""
    summary: str = ""
    next_due_on: str | None = None


class StorageIn(Schema):
    manual: dict[str, bool] = {}


class FindingIn(Schema):
    title: str
    severity: str
    owner: str
    due_on: str


class FindingMoveIn(Schema):
    to: str
    note: str = ""


def _plan(plan: Any) -> dict[str, Any]:
    return {
        "version": plan.version,
        "title": plan.title,
        "body": plan.body,
        "duties": plan.duties,
        "published_at": clocks.iso(plan.published_at),
    }


@router.get("/plan", response=dict[str, Any])
def get_plan(request: HttpRequest) -> dict[str, Any]:
    """The current response plan (any staff member) and whether you acknowledged it."""
    plan = services.current_plan()
    if plan is None:
        raise NotFound("no plan has been published", code="plan_missing")
    acked = programme.PlanAcknowledgement.objects.filter(
        plan=plan, staff_id=_staff(request).pk
    ).exists()
    return {**_plan(plan), "acknowledged": acked}


@router.post("/plan", response={201: dict[str, Any]})
def publish_plan(request: HttpRequest, body: PlanIn) -> Status[dict[str, Any]]:
    plan = programme.publish_plan(
        _staff(request), title=body.title, body=body.body, duties=body.duties
    )
    return Status(201, _plan(plan))


@router.post("/plan/ack", response=dict[str, Any])
def acknowledge_plan(request: HttpRequest) -> dict[str, Any]:
    ack = programme.acknowledge_plan(_staff(request))
    return {"version": ack.plan.version, "at": clocks.iso(ack.at)}


@router.post("/drills", response={201: dict[str, Any]})
def record_drill(request: HttpRequest, body: DrillIn) -> Status[dict[str, Any]]:
    d = programme.record_drill(_staff(request), **body.dict())
    return Status(201, {"id": d.pk, "held_on": d.held_on.isoformat()})


@router.post("/assessments", response={201: dict[str, Any]})
def record_assessment(request: HttpRequest, body: AssessmentIn) -> Status[dict[str, Any]]:
    a = programme.record_assessment(_staff(request), **body.dict())
    return Status(201, {"id": a.pk, "kind": a.kind})


@router.post("/assessments/storage", response={201: dict[str, Any]})
def storage_check(request: HttpRequest, body: StorageIn) -> Status[dict[str, Any]]:
    """Run baomi's own storage-security checks, record them with the manual ones given."""
    a = programme.storage_assessment(_staff(request), body.manual)
    checks = list(a.checks.all())
    return Status(
        201,
        {
            "id": a.pk,
            "checks": [
                {"code": c.code, "passed": c.passed, "automatic": c.automatic, "detail": c.detail}
                for c in checks
            ],
            "passed": sum(c.passed for c in checks),
            "total": len(checks),
        },
    )


@router.post("/assessments/{int:assessment_id}/findings", response={201: dict[str, Any]})
def add_finding(request: HttpRequest, assessment_id: int, body: FindingIn) -> Status[Any]:
    f = programme.add_finding(_staff(request), assessment_id, **body.dict())
    return Status(201, {"id": f.pk, "state": f.state, "due_on": f.due_on.isoformat()})


@router.post("/findings/{int:finding_id}/transition", response=dict[str, Any])
def move_finding(request: HttpRequest, finding_id: int, body: FindingMoveIn) -> dict[str, Any]:
    f = programme.move_finding(_staff(request), finding_id, body.to, body.note)
    return {"id": f.pk, "state": f.state}
