"""The standing programme around incidents: the response plan and its acknowledgements,
drills (R-H1), whistle-blowing (R-D8) and security assessments with findings and storage
checks (R-C6). Every change is audited in its own transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import transaction

from baomi.access.enums import Role
from baomi.audit.models import VerificationRun
from baomi.audit.services import append, build
from baomi.core import clock
from baomi.core.errors import Conflict, NotFound
from baomi.vault.fields import SealedField
from baomi.vault.keys import KeyFilesInsecure, KeysMissing, LocalKeyring

from . import texts
from .enums import (
    AssessmentKind,
    DrillKind,
    FindingState,
    IncidentAction,
    Severity,
    Step,
    WhistleState,
)
from .inputs import (
    WHISTLE_READERS,
    _choice,
    _text,
    current_plan,
    default_duties,
    event,
    get,
    invalid,
    local_today,
    pk,
    require,
)
from .models import (
    Assessment,
    Drill,
    Finding,
    PlanAcknowledgement,
    PlanVersion,
    StorageCheck,
    WhistleReport,
)

ASSESS_ROLES = (Role.SECURITY_ADMIN, Role.PRIVACY_OFFICER)


def _date(value: object, field: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value or "").strip())
    except ValueError:
        raise invalid(
            field, "invalid_date", "expected YYYY-MM-DD", "日期格式应为 YYYY-MM-DD"
        ) from None


# -- whistle-blowing (R-D8) -------------------------------------------------------------------
@transaction.atomic
def report_leak(actor: Any, *, summary: object, text: object, anonymous: bool) -> WhistleReport:
    """A staff report of a suspected leak. Anonymous: neither the account nor the exact time
    is stored, and the audit event names no actor, request, address or browser."""
    if getattr(actor, "pk", None) is None:
        raise invalid(
            "actor", "staff_only", "staff report through their account", "请登录员工账号后举报"
        )
    today = local_today()
    summary_s = _text(summary, "summary", 200, "标题")
    text_s = _text(text, "text", 8000, "内容")
    report = WhistleReport.objects.create(
        anonymous=bool(anonymous), reporter_id=None if anonymous else actor.pk, received_on=today
    )
    texts.seal_whistle(report, summary_s, text_s)
    ev = build(
        IncidentAction.WHISTLE,
        None if anonymous else actor,
        object_type="incident_whistle",
        object_id=report.pk,
        detail={"anonymous": bool(anonymous)},
    )
    if anonymous:
        ev.request_id = ev.client_ip = ev.user_agent = ""
        ev.at = clock.now().replace(minute=0, second=0, microsecond=0)
    append([ev])
    return report


@transaction.atomic
def review_whistle(actor: Any, report_id: object, to: object) -> WhistleReport:
    require(actor, WHISTLE_READERS)
    report = WhistleReport.objects.select_for_update().filter(pk=pk(report_id)).first()
    if report is None:
        raise NotFound("no such report", code="whistle_not_found")
    target = _choice(WhistleState, to, "to", "处理结果")
    if target not in (WhistleState.REVIEWED, WhistleState.DISMISSED):
        raise invalid(
            "to",
            "invalid_choice",
            "reviewed or dismissed (open an incident instead)",
            "只能标为已审阅或不予立案（立案请使用立案功能）",
        )
    if report.state == WhistleState.INCIDENT:
        raise Conflict("an incident was opened from this report", code="whistle_has_incident")
    report.state = target
    report.reviewed_at = clock.now()
    report.reviewed_by_id = actor.pk
    report.save(update_fields=["state", "reviewed_at", "reviewed_by_id"])
    event(IncidentAction.WHISTLE_REVIEWED, actor, report, state=target.value)
    return report


# -- the response plan and awareness (R-H1, R-D7) ---------------------------------------------
@transaction.atomic
def publish_plan(
    actor: Any, *, title: object, body: object, duties: dict[str, Any] | None = None
) -> PlanVersion:
    """Publish a new version of the plan: each step's department and role. Staff must
    acknowledge it anew (awareness counts the current version only)."""
    require(actor, (Role.PRIVACY_OFFICER,))
    steps = {s.value for s in Step}
    roles = {r.value for r in Role}
    clean: dict[str, dict[str, str]] = {}
    given = duties or {}
    for step in Step:
        d = given.get(step.value) or default_duties()[step.value]
        dept = _text(d.get("department"), f"duties.{step.value}.department", 80, "部门")
        role = str(d.get("role") or "")
        if role not in roles:
            raise invalid(
                f"duties.{step.value}.role", "invalid_choice", "unknown role", "未知的岗位"
            )
        clean[step.value] = {"department": dept, "role": role}
    extra = set(given) - steps
    if extra:
        raise invalid("duties", "unknown_step", f"unknown steps: {sorted(extra)}", "未知的步骤")
    last = current_plan()
    plan = PlanVersion.objects.create(
        version=(last.version + 1) if last else 1,
        title=_text(title, "title", 200, "标题"),
        body=_text(body, "body", 20000, "正文"),
        duties=clean,
        published_at=clock.now(),
        published_by_id=actor.pk,
    )
    event(IncidentAction.PLAN_PUBLISHED, actor, plan, version=plan.version)
    return plan


@transaction.atomic
def acknowledge_plan(actor: Any, version: object = None) -> PlanAcknowledgement:
    """A staff member confirms they have read the current plan (idempotent)."""
    if getattr(actor, "pk", None) is None:
        raise invalid("actor", "staff_only", "staff acknowledge with their account", "请登录")
    plan = current_plan()
    if plan is None:
        raise NotFound("no plan has been published", code="plan_missing")
    if version not in (None, "") and str(version) != str(plan.version):
        raise Conflict(
            "that is not the current version", code="plan_outdated", current=plan.version
        )
    ack, created = PlanAcknowledgement.objects.get_or_create(
        plan=plan, staff_id=actor.pk, defaults={"at": clock.now()}
    )
    if created:
        event(IncidentAction.PLAN_ACKNOWLEDGED, actor, plan, version=plan.version)
    return ack


def has_acknowledged(staff_id: int) -> bool:
    plan = current_plan()
    return plan is None or PlanAcknowledgement.objects.filter(plan=plan, staff_id=staff_id).exists()


# -- drills (R-H1) ----------------------------------------------------------------------------
@transaction.atomic
def record_drill(
    actor: Any,
    *,
    held_on: object,
    kind: object,
    scenario: object,
    participants: list[str] | str = (),  # type: ignore[assignment]
    initial_handling_minutes: object = None,
    notice_minutes: object = None,
    lessons: object = "",
    actions: object = "",
    incident_id: object = None,
) -> Drill:
    require(actor, (Role.PRIVACY_OFFICER, Role.SECURITY_ADMIN))
    day = _date(held_on, "held_on")
    if day > local_today():
        raise invalid(
            "held_on", "in_future", "a drill is recorded after it is held", "演练须在举行后登记"
        )
    people = (
        [p.strip() for p in participants.replace("，", ",").split(",")]
        if isinstance(participants, str)
        else [str(p).strip() for p in participants]
    )
    people = [p[:80] for p in people if p]
    if not people:
        raise invalid("participants", "required", "who took part", "请填写参与部门或人员")
    inc = None
    if incident_id not in (None, ""):
        inc = get(incident_id)
        if not inc.drill:
            raise Conflict("only a simulated (drill) incident can be linked", code="not_a_drill")
    initial = _minutes(initial_handling_minutes, "initial_handling_minutes")
    notice = _minutes(notice_minutes, "notice_minutes")
    if inc is not None:  # the simulated case's own clocks say what was reached
        if initial is None and (inc.triaged_at or inc.dismissed_at):
            initial = _elapsed(inc.detected_at, inc.triaged_at or inc.dismissed_at)
        if notice is None and inc.notified_at:
            notice = _elapsed(inc.detected_at, inc.notified_at)
    drill = Drill.objects.create(
        held_on=day,
        kind=_choice(DrillKind, kind, "kind", "演练类型"),
        scenario=_text(scenario, "scenario", 4000, "场景"),
        participants=people,
        initial_handling_minutes=initial,
        notice_minutes=notice,
        lessons=_text(lessons, "lessons", 4000, "经验教训", required=False),
        actions=_text(actions, "actions", 4000, "改进措施", required=False),
        incident=inc,
        created_at=clock.now(),
        created_by_id=actor.pk,
    )
    event(
        IncidentAction.DRILL_RECORDED,
        actor,
        drill,
        held_on=day.isoformat(),
        participants=len(people),
    )
    return drill


def _elapsed(start: Any, end: Any) -> int:
    return max(0, int((end - start).total_seconds() // 60))


def _minutes(value: object, field: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        n = int(str(value))
    except ValueError:
        n = -1
    if n < 0:
        raise invalid(
            field, "invalid", "minutes, a whole number ≥ 0", "应为不小于 0 的整数（分钟）"
        )
    return n


# -- assessments, findings, storage checks (R-C6) ---------------------------------------------
@transaction.atomic
def record_assessment(
    actor: Any,
    *,
    kind: object,
    title: object,
    performed_on: object,
    performer: object = "",
    summary: object = "",
    next_due_on: object = None,
) -> Assessment:
    require(actor, ASSESS_ROLES)
    a = Assessment.objects.create(
        kind=_choice(AssessmentKind, kind, "kind", "评估类型"),
        title=_text(title, "title", 200, "标题"),
        performed_on=_date(performed_on, "performed_on"),
        next_due_on=None if next_due_on in (None, "") else _date(next_due_on, "next_due_on"),
        performer=_text(performer, "performer", 120, "执行方", required=False),
        summary=_text(summary, "summary", 4000, "摘要", required=False),
        created_at=clock.now(),
        created_by_id=actor.pk,
    )
    event(IncidentAction.ASSESSMENT, actor, a, kind=a.kind)
    return a


@transaction.atomic
def add_finding(
    actor: Any,
    assessment_id: object,
    *,
    title: object,
    severity: object,
    owner: object,
    due_on: object,
) -> Finding:
    require(actor, ASSESS_ROLES)
    a = Assessment.objects.filter(pk=pk(assessment_id)).first()
    if a is None:
        raise NotFound("no such assessment", code="assessment_not_found")
    f = Finding.objects.create(
        assessment=a,
        title=_text(title, "title", 200, "问题"),
        severity=_choice(Severity, severity, "severity", "等级"),
        owner=_text(owner, "owner", 120, "责任人"),
        due_on=_date(due_on, "due_on"),
    )
    event(IncidentAction.FINDING, actor, f, state=f.state, severity=f.severity)
    return f


FINDING_MOVES = {
    FindingState.OPEN: {FindingState.FIXED, FindingState.ACCEPTED},
    FindingState.FIXED: {FindingState.VERIFIED, FindingState.OPEN},  # re-test fails → open
    FindingState.VERIFIED: set(),
    FindingState.ACCEPTED: {FindingState.OPEN},
}


@transaction.atomic
def move_finding(actor: Any, finding_id: object, to: object, note: object = "") -> Finding:
    """open → fixed → verified (re-test passed) or back to open (re-test failed);
    accepted (risk accepted, with a note)."""
    require(actor, ASSESS_ROLES)
    f = Finding.objects.select_for_update().filter(pk=pk(finding_id)).first()
    if f is None:
        raise NotFound("no such finding", code="finding_not_found")
    target = _choice(FindingState, to, "to", "状态")
    if target not in FINDING_MOVES[FindingState(f.state)]:
        raise Conflict(
            f"a finding cannot go from {f.state} to {target.value}", code="transition_not_allowed"
        )
    why = _text(note, "note", 2000, "说明", required=target is FindingState.ACCEPTED)
    now = clock.now()
    if target is FindingState.FIXED:
        f.fixed_at = now
    if target in (FindingState.VERIFIED, FindingState.OPEN) and f.state == FindingState.FIXED:
        f.retested_at = now
    f.state = target
    f.note = why or f.note
    f.save()
    event(IncidentAction.FINDING, actor, f, state=target.value)
    return f


@dataclass(frozen=True)
class CheckResult:
    code: str
    passed: bool
    detail: str


# the named storage-security checks (R-C6); the first ones baomi runs itself
AUTOMATIC_CHECKS = (
    "encryption_at_rest",
    "key_file_modes",
    "debug_off",
    "tls_enforced",
    "deploy_check_clean",
    "audit_log_intact",
)
MANUAL_CHECKS = (
    "backups_encrypted",
    "backup_restore_tested",
    "keys_stored_offline",
    "media_disposal",
    "server_room_access",
)


def _encryption_at_rest() -> CheckResult:
    """Every sealed column holds AES-GCM ciphertext (format byte, nonce, tag) — never text."""
    bad, seen = 0, 0
    for model in apps.get_models():
        for f in model._meta.concrete_fields:
            if not isinstance(f, SealedField):
                continue
            rows = (
                model._default_manager.exclude(**{f"{f.attname}__isnull": True})
                .order_by("-pk")
                .values_list(f.attname, flat=True)[:2000]
            )
            for v in rows:
                seen += 1
                data = bytes(v)
                if len(data) < 29 or data[:1] != b"\x01":
                    bad += 1
    return CheckResult(
        "encryption_at_rest", bad == 0, f"{seen} sealed values sampled, {bad} not ciphertext"
    )


def _key_modes() -> CheckResult:
    try:
        LocalKeyring(Path(settings.BAOMI_KEY_DIR))
    except KeyFilesInsecure:
        return CheckResult("key_file_modes", False, "key files readable by group or others")
    except KeysMissing:
        return CheckResult("key_file_modes", False, "no key files")
    return CheckResult("key_file_modes", True, "key directory 0700, key files 0600")


def _tls() -> CheckResult:
    ok = bool(
        getattr(settings, "SECURE_SSL_REDIRECT", False)
        and getattr(settings, "SESSION_COOKIE_SECURE", False)
        and getattr(settings, "CSRF_COOKIE_SECURE", False)
        and int(getattr(settings, "SECURE_HSTS_SECONDS", 0) or 0) > 0
    )
    return CheckResult(
        "tls_enforced",
        ok,
        "HTTPS redirect, secure cookies and HSTS" + (" set" if ok else " not all set"),
    )


def _deploy_clean() -> CheckResult:
    from django.core import checks

    msgs = checks.run_checks(include_deployment_checks=True)
    serious = [m for m in msgs if m.level >= checks.WARNING and not m.is_silenced()]
    return CheckResult(
        "deploy_check_clean",
        not serious,
        ", ".join(sorted({str(m.id) for m in serious}))[:300] or "no warnings",
    )


def _audit_intact() -> CheckResult:
    run = VerificationRun.objects.order_by("-id").first()
    if run is None:
        return CheckResult("audit_log_intact", False, "`baomi audit verify` has never run")
    fresh = run.started_at >= clock.now() - timedelta(days=7)
    return CheckResult(
        "audit_log_intact",
        bool(run.ok and fresh),
        f"last verify {'ok' if run.ok else 'FAILED'} at size {run.tree_size}"
        + ("" if fresh else ", older than 7 days"),
    )


def run_automatic_checks() -> list[CheckResult]:
    return [
        _encryption_at_rest(),
        _key_modes(),
        CheckResult(
            "debug_off", not settings.DEBUG, "DEBUG is " + ("on" if settings.DEBUG else "off")
        ),
        _tls(),
        _deploy_clean(),
        _audit_intact(),
    ]


@transaction.atomic
def storage_assessment(
    actor: Any, manual: dict[str, bool] | None = None, performed_on: object = None
) -> Assessment:
    """Run baomi's own storage checks and record them with the manual ones given
    (check code → passed) as one storage assessment. Storage security = share passed."""
    require(actor, ASSESS_ROLES)
    manual = manual or {}
    unknown = set(manual) - set(MANUAL_CHECKS)
    if unknown:
        raise invalid(
            "manual", "unknown_check", f"unknown checks: {sorted(unknown)}", "未知的检查项"
        )
    today = local_today()
    a = Assessment.objects.create(
        kind=AssessmentKind.STORAGE,
        title="存储安全检查 / storage-security check",
        performed_on=today if performed_on in (None, "") else _date(performed_on, "performed_on"),
        performer="baomi",
        created_at=clock.now(),
        created_by_id=getattr(actor, "pk", None),
    )
    results = run_automatic_checks()
    StorageCheck.objects.bulk_create(
        [
            StorageCheck(
                assessment=a, code=r.code, passed=r.passed, automatic=True, detail=r.detail[:300]
            )
            for r in results
        ]
        + [
            StorageCheck(assessment=a, code=c, passed=bool(v), automatic=False)
            for c, v in sorted(manual.items())
        ]
    )
    passed = sum(r.passed for r in results) + sum(bool(v) for v in manual.values())
    event(
        IncidentAction.ASSESSMENT,
        actor,
        a,
        kind=a.kind,
        passed=passed,
        total=len(results) + len(manual),
    )
    return a
