"""Inspections and privacy working meetings (issue #19 §2; R-N1, R-D7).

A half-yearly inspection is planned by the supervision group (`inspector`): its checklist is
drawn from the programme itself — one item per registered indicator (its value and target
when planned are the starting evidence) plus the programme checks below — each recorded
pass / fail / not applicable with evidence references. A failed item raises a finding with
an owner and a due date; findings move open → rectified (what was done) → verified or
reopened at re-check. Meetings record decisions; their actions are findings too. Every
step is audited; the plan records the audit log's size and root when it was made."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from baomi import audit
from baomi.access.enums import Role
from baomi.access.models import Staff
from baomi.audit import services as log
from baomi.contract import kpis
from baomi.core import clock
from baomi.core.errors import Conflict, Forbidden, NotFound
from baomi.core.inputs import invalid, iso_date, text

from .enums import (
    FINDING_MOVES,
    CheckResult,
    FindingState,
    InspectionState,
    ReportsAction,
    Severity,
)
from .models import Finding, Inspection, InspectionCheck, Meeting

INSPECTORS = frozenset({Role.INSPECTOR.value})
MEETING_ROLES = frozenset({Role.PRIVACY_OFFICER.value, Role.INSPECTOR.value, Role.MANAGER.value})
VIEWERS = frozenset({Role.INSPECTOR.value, Role.PRIVACY_OFFICER.value, Role.MANAGER.value})

# programme checks an indicator does not measure (code, R-ID, 中文, English)
PROGRAMME_CHECKS = (
    (
        "access_review",
        "R-D6",
        "访问权限已定期复核，离职账号已停用",
        "Access reviewed; leavers' accounts disabled",
    ),
    (
        "mfa",
        "R-D3",
        "接触敏感数据的员工均启用多因素认证",
        "MFA on for every staff member with sensitive access",
    ),
    (
        "separation_of_duties",
        "R-D4",
        "三员分立：系统、安全、审计管理员由不同人担任",
        "Separation of duties held",
    ),
    (
        "audit_verified",
        "R-E2",
        "审计日志完整性已验证（默克尔树）",
        "Audit log verified (Merkle tree)",
    ),
    ("keys_rotated", "R-C2", "数据加密密钥按期轮换", "Encryption keys rotated on schedule"),
    (
        "backup_restore",
        "R-C5",
        "备份恢复已演练且未恢复已删除客户",
        "Restore tested; no erased customer came back",
    ),
    (
        "notice_published",
        "R-B2",
        "隐私政策已在所有渠道公示并及时更新",
        "Privacy notice published and current everywhere",
    ),
    (
        "paper_records",
        "R-C9",
        "纸质档案上锁保管、专人负责、借阅有记录",
        "Paper records locked, kept, loans logged",
    ),
)


def _role(actor: Any) -> str:
    return str(getattr(actor, "role_code", ""))


def require(actor: Any, roles: frozenset[str]) -> None:
    if _role(actor) not in roles:
        raise Forbidden("your role may not do this", code="role_required")


def _staff(username: object, field: str) -> Staff:
    staff = Staff.objects.filter(username=str(username or "").strip(), is_active=True).first()
    if staff is None:
        raise invalid(field, "unknown_account", "no active staff account", "没有这个在职员工账号")
    return staff


def _pk(value: object, code: str) -> int:
    try:
        return int(str(value))
    except ValueError:
        raise NotFound("not found", code=code) from None


@transaction.atomic
def plan(actor: Any, *, period: object, scope: object) -> Inspection:
    """A half-yearly inspection with its checklist (one plan per half-year)."""
    require(actor, INSPECTORS)
    p = kpis.parse_period(str(period or ""))
    if p.granularity != kpis.HALF:
        raise invalid("period", "half_year", "a half-year such as 2026H2", "应为半年度，如 2026H2")
    if Inspection.objects.filter(period=p.code).exists():
        raise Conflict("this half-year already has an inspection", code="inspection_exists")
    size = log.tree_size()
    insp = Inspection.objects.create(
        period=p.code,
        scope=text(scope, "scope", "检查范围", 300),
        state=InspectionState.PLANNED,
        lead=actor,
        planned_at=clock.now(),
        tree_size=size,
        root_hash=log.root_at(size).hex() if size else "",
    )
    checks = []
    for ind in kpis.registered():
        r = kpis.evaluate(ind, kpis.current_period(ind.period))
        d = r.as_dict("en")
        checks.append(
            InspectionCheck(
                inspection=insp,
                code=ind.code,
                requirement=ind.requirement,
                title_zh=ind.name_zh[:200],
                title_en=ind.name_en[:200],
                measured={
                    k: d.get(k) for k in ("period", "value", "target", "direction", "met", "reason")
                },
            )
        )
    for code, req, zh, en in PROGRAMME_CHECKS:
        checks.append(
            InspectionCheck(inspection=insp, code=code, requirement=req, title_zh=zh, title_en=en)
        )
    InspectionCheck.objects.bulk_create(checks)
    audit.record(
        ReportsAction.INSPECTION_PLANNED,
        actor,
        object_type="inspection",
        object_id=insp.pk,
        detail={"period": insp.period, "checks": len(checks), "tree_size": size},
    )
    return insp


@transaction.atomic
def record_check(
    actor: Any, check_id: object, *, result: object, evidence: object = ""
) -> InspectionCheck:
    require(actor, INSPECTORS)
    chk = (
        InspectionCheck.objects.select_for_update()
        .select_related("inspection")
        .filter(pk=_pk(check_id, "check_not_found"))
        .first()
    )
    if chk is None:
        raise NotFound("no such check", code="check_not_found")
    if chk.inspection.state == InspectionState.CLOSED:
        raise Conflict("the inspection is closed", code="inspection_closed")
    if str(result) not in (CheckResult.PASS, CheckResult.FAIL, CheckResult.NOT_APPLICABLE):
        raise invalid(
            "result", "invalid_choice", "pass, fail or na", "结果应为符合、不符合或不适用"
        )
    chk.result = str(result)
    chk.evidence = text(evidence, "evidence", "证据", 500, required=chk.result == CheckResult.FAIL)
    chk.checked_at = clock.now()
    chk.checked_by_id = getattr(actor, "pk", None)
    chk.save(update_fields=["result", "evidence", "checked_at", "checked_by_id"])
    if chk.inspection.state == InspectionState.PLANNED:
        chk.inspection.state = InspectionState.IN_PROGRESS
        chk.inspection.save(update_fields=["state"])
    audit.record(
        ReportsAction.INSPECTION_CHECKED,
        actor,
        object_type="inspection",
        object_id=chk.inspection_id,
        detail={"check": chk.code, "result": chk.result},
    )
    return chk


@transaction.atomic
def raise_finding(
    actor: Any,
    *,
    inspection_id: object = None,
    meeting_id: object = None,
    check_id: object = None,
    title: object,
    severity: object,
    owner: object,
    due_on: object,
) -> Finding:
    """A finding of an inspection (the inspector) or an action of a meeting."""
    insp = meeting = chk = None
    if inspection_id not in (None, ""):
        require(actor, INSPECTORS)
        insp = Inspection.objects.filter(pk=_pk(inspection_id, "inspection_not_found")).first()
        if insp is None:
            raise NotFound("no such inspection", code="inspection_not_found")
        if check_id not in (None, ""):
            chk = insp.checks.filter(pk=_pk(check_id, "check_not_found")).first()
            if chk is None:
                raise NotFound("no such check", code="check_not_found")
    elif meeting_id not in (None, ""):
        require(actor, MEETING_ROLES)
        meeting = Meeting.objects.filter(pk=_pk(meeting_id, "meeting_not_found")).first()
        if meeting is None:
            raise NotFound("no such meeting", code="meeting_not_found")
    else:
        raise invalid("inspection_id", "required", "an inspection or a meeting", "请指定检查或会议")
    if str(severity) not in Severity.values:
        raise invalid("severity", "invalid_choice", "low, medium or high", "严重程度无效")
    due = iso_date(due_on, "due_on")
    if due < timezone.localdate(clock.now()):
        raise invalid("due_on", "in_past", "a due date in the past", "整改期限早于今天")
    f = Finding.objects.create(
        inspection=insp,
        meeting=meeting,
        checklist_item=chk,
        title=text(title, "title", "问题", 200),
        severity=str(severity),
        owner=_staff(owner, "owner"),
        due_on=due,
        state=FindingState.OPEN,
        raised_at=clock.now(),
    )
    audit.record(
        ReportsAction.FINDING_RAISED,
        actor,
        object_type="finding",
        object_id=f.pk,
        detail={
            "inspection": insp.pk if insp else None,
            "meeting": meeting.pk if meeting else None,
            "owner": f.owner_id,
            "due_on": due.isoformat(),
        },
    )
    return f


@transaction.atomic
def move_finding(actor: Any, finding_id: object, to: object, note: object = "") -> Finding:
    """The owner reports it rectified (with what was done); the inspector verifies or
    reopens it at re-check."""
    f = Finding.objects.select_for_update().filter(pk=_pk(finding_id, "finding_not_found")).first()
    if f is None:
        raise NotFound("no such finding", code="finding_not_found")
    try:
        target = FindingState(str(to))
    except ValueError:
        raise invalid(
            "to", "invalid_choice", "rectified, verified or reopened", "状态无效"
        ) from None
    if target not in FINDING_MOVES[FindingState(f.state)]:
        raise Conflict(f"a finding cannot go from {f.state} to {target}", code="move_not_allowed")
    if target is FindingState.RECTIFIED:
        if getattr(actor, "pk", None) != f.owner_id and _role(actor) not in INSPECTORS:
            raise Forbidden("only the owner reports a rectification", code="not_owner")
        f.rectification = text(note, "note", "整改说明", 500)
        f.rectified_at = clock.now()
    else:
        require(actor, INSPECTORS)
        if target is FindingState.VERIFIED:
            f.verified_at = clock.now()
    f.state = target
    f.save()
    audit.record(
        ReportsAction.FINDING_MOVED,
        actor,
        object_type="finding",
        object_id=f.pk,
        detail={"to": target.value},
    )
    return f


@transaction.atomic
def close(actor: Any, inspection_id: object) -> Inspection:
    """Close an inspection once every checklist item is recorded."""
    require(actor, INSPECTORS)
    insp = (
        Inspection.objects.select_for_update()
        .filter(pk=_pk(inspection_id, "inspection_not_found"))
        .first()
    )
    if insp is None:
        raise NotFound("no such inspection", code="inspection_not_found")
    if insp.state == InspectionState.CLOSED:
        raise Conflict("already closed", code="inspection_closed")
    left = insp.checks.filter(result=CheckResult.OPEN).count()
    if left:
        raise Conflict(f"{left} checks not recorded", code="checks_open", open=left)
    insp.state = InspectionState.CLOSED
    insp.closed_at = clock.now()
    insp.save(update_fields=["state", "closed_at"])
    audit.record(
        ReportsAction.INSPECTION_CLOSED,
        actor,
        object_type="inspection",
        object_id=insp.pk,
        detail={"findings": insp.findings.count()},
    )
    return insp


@transaction.atomic
def record_meeting(actor: Any, data: dict[str, Any]) -> Meeting:
    require(actor, MEETING_ROLES)
    names = data.get("attendees") or []
    if isinstance(names, str):
        names = [n for n in names.replace("，", ",").split(",") if n.strip()]
    attendees = [_staff(n, "attendees").username for n in names]
    if not attendees:
        raise invalid("attendees", "required", "who attended", "请填写参会人员")
    m = Meeting.objects.create(
        held_on=iso_date(data.get("held_on"), "held_on"),
        title=text(data.get("title"), "title", "会议主题", 200),
        attendees=attendees,
        decisions=text(data.get("decisions"), "decisions", "会议决定", 4000),
        recorded_by_id=getattr(actor, "pk", None),
        recorded_at=clock.now(),
    )
    audit.record(
        ReportsAction.MEETING_RECORDED,
        actor,
        object_type="meeting",
        object_id=m.pk,
        detail={"attendees": len(attendees)},
    )
    return m


def overdue_findings(owner_id: int | None = None) -> list[Finding]:
    qs = Finding.objects.filter(
        state__in=(FindingState.OPEN, FindingState.REOPENED),
        due_on__lt=timezone.localdate(clock.now()),
    )
    if owner_id is not None:
        qs = qs.filter(owner_id=owner_id)
    return list(qs)
