"""Supervision and reports API (issue #19): inspections, findings, meetings, report files.
Thin: parse, call, shape; the services check roles and audit."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema, Status

from baomi.core.downloads import attachment
from baomi.core.errors import NotFound

from . import inspections as svc
from . import render
from .enums import ReportFormat
from .models import Finding, Inspection, Meeting

inspections_router = Router(tags=["supervision"])
findings_router = Router(tags=["supervision"])
meetings_router = Router(tags=["supervision"])
reports_router = Router(tags=["supervision"])


def _staff(request: HttpRequest) -> Any:
    return request.staff  # type: ignore[attr-defined]


class PlanIn(Schema):
    period: str
    scope: str


class CheckIn(Schema):
    result: str
    evidence: str = ""


class FindingIn(Schema):
    title: str
    severity: str
    owner: str
    due_on: str
    check_id: int | None = None


class MoveIn(Schema):
    to: str
    note: str = ""


class MeetingIn(Schema):
    held_on: str
    title: str
    attendees: list[str]
    decisions: str


def finding_json(f: Finding) -> dict[str, Any]:
    return {
        "id": f.pk,
        "inspection_id": f.inspection_id,
        "meeting_id": f.meeting_id,
        "check_id": f.checklist_item_id,
        "title": f.title,
        "severity": f.severity,
        "owner": f.owner.username,
        "due_on": f.due_on.isoformat(),
        "state": f.state,
        "rectification": f.rectification,
    }


def inspection_json(i: Inspection, *, full: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": i.pk,
        "period": i.period,
        "scope": i.scope,
        "state": i.state,
        "lead": i.lead.username,
        "tree_size": i.tree_size,
        "root_hash": i.root_hash,
    }
    if full:
        out["checks"] = [
            {
                "id": c.pk,
                "code": c.code,
                "requirement": c.requirement,
                "title": c.title_en,
                "title_zh": c.title_zh,
                "measured": c.measured,
                "result": c.result,
                "evidence": c.evidence,
            }
            for c in i.checks.all()
        ]
        out["findings"] = [finding_json(f) for f in i.findings.select_related("owner")]
    return out


def _viewer(request: HttpRequest) -> Any:
    actor = _staff(request)
    svc.require(actor, svc.VIEWERS)
    return actor


@inspections_router.post("", response={201: dict[str, Any]})
def plan(request: HttpRequest, body: PlanIn) -> Status[dict[str, Any]]:
    """Plan the half-year's inspection (`inspector`): its checklist is drawn from every
    registered indicator plus the programme checks."""
    i = svc.plan(_staff(request), period=body.period, scope=body.scope)
    return Status(201, inspection_json(i, full=True))


@inspections_router.get("", response=list[dict[str, Any]])
def list_inspections(request: HttpRequest) -> list[dict[str, Any]]:
    _viewer(request)
    return [inspection_json(i) for i in Inspection.objects.select_related("lead")[:100]]


@inspections_router.get("/{int:inspection_id}", response=dict[str, Any])
def one(request: HttpRequest, inspection_id: int) -> dict[str, Any]:
    _viewer(request)
    i = Inspection.objects.select_related("lead").filter(pk=inspection_id).first()
    if i is None:
        raise NotFound("no such inspection", code="inspection_not_found")
    return inspection_json(i, full=True)


@inspections_router.post("/{int:inspection_id}/checks/{int:check_id}", response=dict[str, Any])
def check(request: HttpRequest, inspection_id: int, check_id: int, body: CheckIn) -> dict[str, Any]:
    c = svc.record_check(_staff(request), check_id, result=body.result, evidence=body.evidence)
    if c.inspection_id != inspection_id:
        raise NotFound("no such check", code="check_not_found")
    return {"id": c.pk, "code": c.code, "result": c.result, "evidence": c.evidence}


@inspections_router.post("/{int:inspection_id}/findings", response={201: dict[str, Any]})
def finding(request: HttpRequest, inspection_id: int, body: FindingIn) -> Status[dict[str, Any]]:
    f = svc.raise_finding(
        _staff(request),
        inspection_id=inspection_id,
        check_id=body.check_id,
        title=body.title,
        severity=body.severity,
        owner=body.owner,
        due_on=body.due_on,
    )
    return Status(201, finding_json(f))


@inspections_router.post("/{int:inspection_id}/close", response=dict[str, Any])
def close(request: HttpRequest, inspection_id: int) -> dict[str, Any]:
    return inspection_json(svc.close(_staff(request), inspection_id))


@findings_router.post("/{int:finding_id}/transition", response=dict[str, Any])
def move(request: HttpRequest, finding_id: int, body: MoveIn) -> dict[str, Any]:
    """`rectified` (the owner, with what was done), `verified` or `reopened` (inspector)."""
    return finding_json(svc.move_finding(_staff(request), finding_id, body.to, body.note))


@meetings_router.post("", response={201: dict[str, Any]})
def meeting(request: HttpRequest, body: MeetingIn) -> Status[dict[str, Any]]:
    m = svc.record_meeting(_staff(request), body.dict())
    return Status(201, {"id": m.pk, "held_on": m.held_on.isoformat(), "attendees": m.attendees})


@meetings_router.post("/{int:meeting_id}/actions", response={201: dict[str, Any]})
def action(request: HttpRequest, meeting_id: int, body: FindingIn) -> Status[dict[str, Any]]:
    f = svc.raise_finding(
        _staff(request),
        meeting_id=meeting_id,
        title=body.title,
        severity=body.severity,
        owner=body.owner,
        due_on=body.due_on,
    )
    return Status(201, finding_json(f))


@meetings_router.get("", response=list[dict[str, Any]])
def meetings(request: HttpRequest) -> list[dict[str, Any]]:
    _viewer(request)
    return [
        {"id": m.pk, "held_on": m.held_on.isoformat(), "title": m.title, "attendees": m.attendees}
        for m in Meeting.objects.all()[:100]
    ]


@reports_router.get("/{kind}")
def report(
    request: HttpRequest, kind: str, period: str, format: str = "pdf", lang: str = "zh"
) -> HttpResponse:
    """A generated report (management | quarterly | inspection | privacy) for `period`
    (2026Q4, 2026H2, 2026) as pdf, xlsx or html, with the audit tree size and root."""
    body, name, run = render.generate(_staff(request), kind, period, format, lang)
    resp = HttpResponse(body, content_type=render.MIME[ReportFormat(run.format)])
    resp["Content-Disposition"] = attachment(name)
    resp["X-Baomi-Audit-Tree-Size"] = str(run.tree_size)
    resp["X-Baomi-Report-Sha256"] = run.sha256
    return resp
