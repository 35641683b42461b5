"""Training services (issue #14): courses and their versions, assignment rules and
assignments, retraining, attendance import, confidentiality agreements, employment data.
Exams: `exams.py`; who is trained: `standing.py`; duties: `duties.py`. Every change leaves
an audit event; bad input is a 422 with codes and nothing half-written."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q

from baomi import audit
from baomi.access.services import require_role
from baomi.audit.services import build, record_many
from baomi.catalog.enums import Role
from baomi.core import clock
from baomi.core.errors import Conflict, FieldIssue, NotFound, ValidationFailed

from .enums import (
    AssignmentState,
    CertificateSource,
    CourseKind,
    QuestionKind,
    RuleEvent,
    TrainingAction,
)
from .models import (
    Agreement,
    Assignment,
    AssignmentRule,
    Attendance,
    Certificate,
    Course,
    CourseRevision,
    Employment,
    Question,
)
from .standing import hired_on, today

Staff = get_user_model()
MANAGERS = (Role.HR,)


def _issue(fld: str, code: str, en: str, zh: str) -> FieldIssue:
    return FieldIssue(fld, code, en, zh)


def _fail(*issues: FieldIssue) -> ValidationFailed:
    return ValidationFailed(list(issues))


def active_staff() -> Any:
    return Staff.objects.filter(is_active=True, deactivated_at__isnull=True)


def staff_by_username(username: str, fld: str = "staff") -> Any:
    s = Staff.objects.filter(username=username).first()
    if s is None:
        raise _fail(_issue(fld, "staff_unknown", "no such member of staff", "没有该员工"))
    return s


def course_by_ref(ref: Any, fld: str = "course") -> Course:
    q = Q(code=str(ref))
    if str(ref).isdigit():
        q |= Q(pk=int(ref))
    c = Course.objects.filter(q).first()
    if c is None:
        raise _fail(_issue(fld, "course_unknown", "no such course", "没有该课程"))
    return c


# -- courses ----------------------------------------------------------------------------------
@dataclass
class QuestionData:
    kind: str
    text_zh: str
    text_en: str
    options: list[dict[str, str]]
    correct: list[int]


def _check_question(n: int, q: QuestionData) -> list[FieldIssue]:
    f = f"questions.{n}"
    out = []
    if q.kind not in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
        out.append(_issue(f, "question_kind", "single or multiple", "应为单选或多选"))
    if not q.text_zh.strip() or not q.text_en.strip():
        out.append(_issue(f, "question_text", "text in both languages", "需要中英文题干"))
    if len(q.options) < 2 or any(not (o.get("zh") and o.get("en")) for o in q.options):
        out.append(
            _issue(
                f, "question_options", "two or more options, both languages", "至少两个中英文选项"
            )
        )
    good = sorted(set(q.correct))
    if not good or any(i < 0 or i >= len(q.options) for i in good):
        out.append(_issue(f, "question_correct", "name the right options", "请指定正确选项"))
    elif q.kind == QuestionKind.SINGLE and len(good) != 1:
        out.append(
            _issue(f, "question_correct", "exactly one right option", "单选题只有一个正确选项")
        )
    return out


def save_course(
    actor: Any,
    *,
    code: str,
    kind: str,
    title_zh: str,
    title_en: str,
    body_zh: str = "",
    body_en: str = "",
    links: Sequence[dict[str, str]] = (),
    pass_mark: int = 80,
    questions_per_exam: int = 10,
    classification_questions: int = 0,
    max_attempts: int = 3,
    certificate_months: int = 12,
    required: bool = True,
    active: bool = True,
    questions: Sequence[QuestionData] | None = None,
) -> Course:
    """Create a course, or revise it (same code): a change of title, text or links raises
    its version (the old text stays in its revisions); `questions` replaces the bank."""
    require_role(actor, *MANAGERS)
    issues: list[FieldIssue] = []
    if not code or len(code) > 64 or not all(ch.isalnum() or ch in "-_" for ch in code):
        issues.append(
            _issue("code", "code_invalid", "letters, digits, - and _", "字母、数字、-、_")
        )
    if kind not in CourseKind.values:
        issues.append(_issue("kind", "kind_unknown", "unknown course kind", "未知的课程类型"))
    if not title_zh.strip() or not title_en.strip():
        issues.append(
            _issue("title", "title_required", "a title in both languages", "需要中英文标题")
        )
    if not 0 < pass_mark <= 100:
        issues.append(_issue("pass_mark", "pass_mark_range", "1 to 100", "应为 1 到 100"))
    if not 1 <= max_attempts <= 20:
        issues.append(_issue("max_attempts", "attempts_range", "1 to 20", "应为 1 到 20"))
    if not 1 <= certificate_months <= 60:
        issues.append(_issue("certificate_months", "months_range", "1 to 60", "应为 1 到 60"))
    if not 0 <= questions_per_exam <= 100 or not 0 <= classification_questions <= 50:
        issues.append(_issue("questions_per_exam", "exam_size", "0 to 100", "题量超出范围"))
    for link in links:
        url = str(link.get("url", ""))
        if not url.startswith(("https://", "/")):
            issues.append(
                _issue("links", "link_invalid", "https:// or /path", "链接应为 https:// 或 /")
            )
    qs = list(questions or [])
    for n, q in enumerate(qs):
        issues += _check_question(n, q)
    if issues:
        raise ValidationFailed(issues)
    now = clock.now()
    content = {
        "title_zh": title_zh.strip(),
        "title_en": title_en.strip(),
        "body_zh": body_zh,
        "body_en": body_en,
        "links": [dict(x) for x in links],
    }
    settings_ = {
        "kind": kind,
        "pass_mark": pass_mark,
        "questions_per_exam": questions_per_exam,
        "classification_questions": classification_questions,
        "max_attempts": max_attempts,
        "certificate_months": certificate_months,
        "required": required,
        "active": active,
    }
    with transaction.atomic():
        course = Course.objects.select_for_update().filter(code=code).first()
        created = course is None
        if course is None:
            course = Course.objects.create(
                code=code, created_at=now, updated_at=now, created_by=actor, **content, **settings_
            )
            revised = True
        else:
            revised = any(getattr(course, k) != v for k, v in content.items())
            for k, v in {**content, **settings_}.items():
                setattr(course, k, v)
            if revised:
                course.version += 1
            course.updated_at = now
            course.save()
        if revised:
            CourseRevision.objects.create(
                course=course, version=course.version, saved_at=now, saved_by=actor, **content
            )
        if questions is not None:
            course.questions.all().update(active=False)
            Question.objects.bulk_create(
                Question(
                    course=course,
                    kind=q.kind,
                    text_zh=q.text_zh,
                    text_en=q.text_en,
                    options=[{"zh": o["zh"], "en": o["en"]} for o in q.options],
                    correct=sorted(set(q.correct)),
                )
                for q in qs
            )
        audit.record(
            TrainingAction.COURSE_SAVED,
            actor,
            object_type="training_course",
            object_id=course.pk,
            detail={
                "code": course.code,
                "version": course.version,
                "created": created,
                "questions": len(qs) if questions is not None else None,
            },
        )
    return course


# -- rules and assignments ---------------------------------------------------------------------
def save_rule(
    actor: Any,
    *,
    course: Any,
    event: str,
    role: str = "",
    department: str = "",
    due_days: int = 30,
    active: bool = True,
    apply_now: bool = True,
) -> AssignmentRule:
    require_role(actor, *MANAGERS)
    c = course if isinstance(course, Course) else course_by_ref(course)
    issues = []
    if event not in RuleEvent.values:
        issues.append(_issue("event", "event_unknown", "unknown event", "未知的触发事件"))
    if role and role not in Role.values:
        issues.append(_issue("role", "role_unknown", "unknown role", "未知的角色"))
    if not 1 <= due_days <= 365:
        issues.append(_issue("due_days", "due_days_range", "1 to 365", "应为 1 到 365"))
    if issues:
        raise ValidationFailed(issues)
    with transaction.atomic():
        rule = AssignmentRule.objects.create(
            course=c,
            event=event,
            role=role,
            department=department.strip(),
            due_days=due_days,
            active=active,
            created_at=clock.now(),
            created_by=actor,
        )
        audit.record(
            TrainingAction.RULE_SAVED,
            actor,
            object_type="training_rule",
            object_id=rule.pk,
            detail={"course": c.code, "event": event, "role": role, "department": department},
        )
        if apply_now and event in (RuleEvent.HIRE, RuleEvent.YEARLY, RuleEvent.QUARTERLY):
            run_rules(actor, rules=[rule])
    return rule


def occasion_for(event: str, on: date) -> str:
    if event == RuleEvent.YEARLY:
        return f"{on.year}"
    if event == RuleEvent.QUARTERLY:
        return f"{on.year}Q{(on.month - 1) // 3 + 1}"
    return str(event)


def _employment() -> dict[int, tuple[str, date]]:
    return {
        sid: (dept, hired)
        for sid, dept, hired in Employment.objects.values_list("staff_id", "department", "hired_on")
    }


def _matches(rule: AssignmentRule, role: str, department: str) -> bool:
    return rule.role in ("", role) and rule.department in ("", department)


def _create(
    actor: Any,
    pairs: Iterable[tuple[Any, Course, AssignmentRule | None, str, date, str]],
) -> list[Assignment]:
    """Assignments that do not exist yet (staff, course, occasion), with one audit event
    each. `pairs`: (staff, course, rule, occasion, due_on, reason)."""
    now = clock.now()
    wanted = list(pairs)
    if not wanted:
        return []
    have = set(
        Assignment.objects.filter(
            staff_id__in={s.pk for s, *_ in wanted},
            occasion__in={o for _, _, _, o, _, _ in wanted},
        ).values_list("staff_id", "course_id", "occasion")
    )
    made: list[Assignment] = []
    for staff, course, rule, occasion, due_on, reason in wanted:
        k = (staff.pk, course.pk, occasion)
        if k in have:
            continue
        have.add(k)
        made.append(
            Assignment(
                staff=staff,
                course=course,
                rule=rule,
                occasion=occasion[:80],
                reason=reason[:200],
                assigned_at=now,
                due_on=due_on,
                assigned_by=actor,
            )
        )
    Assignment.objects.bulk_create(made)
    record_many(
        [
            build(
                TrainingAction.ASSIGNED,
                actor,
                object_type="training_assignment",
                object_id=f"{a.staff_id}:{a.course.code}:{a.occasion}",
                detail={
                    "staff": a.staff.username,
                    "course": a.course.code,
                    "occasion": a.occasion,
                    "due_on": a.due_on.isoformat(),
                },
            )
            for a in made
        ]
    )
    return made


def run_rules(
    actor: Any, *, on: date | None = None, rules: Sequence[AssignmentRule] | None = None
) -> list[Assignment]:
    """Apply the standing rules (on hire, yearly, quarterly) to every active member of
    staff: a missing assignment for this occasion is created, due `due_days` after the
    hire day (on hire) or after today (yearly, quarterly). Idempotent (run daily by
    `baomi training assign`, and when HR saves a rule)."""
    on = on or today()
    rules = list(
        rules
        if rules is not None
        else AssignmentRule.objects.filter(
            active=True,
            course__active=True,
            event__in=[RuleEvent.HIRE, RuleEvent.YEARLY, RuleEvent.QUARTERLY],
        ).select_related("course")
    )
    if not rules:
        return []
    jobs = _employment()
    pairs = []
    for s in active_staff():
        dept, hired = jobs.get(s.pk, ("", None))
        hired = hired or hired_on(s)
        for r in rules:
            if not _matches(r, s.role_code, dept):
                continue
            if r.event == RuleEvent.HIRE:
                due = max(hired + timedelta(days=r.due_days), on)
            else:
                due = on + timedelta(days=r.due_days)
            pairs.append((s, r.course, r, occasion_for(r.event, on), due, r.get_event_display()))
    with transaction.atomic():
        return _create(actor, pairs)


def assign(
    actor: Any, course: Any, staff: Sequence[Any], *, due_on: date | None = None, reason: str = ""
) -> list[Assignment]:
    """HR assigns a course by hand to named staff (usernames or accounts)."""
    require_role(actor, *MANAGERS)
    c = course if isinstance(course, Course) else course_by_ref(course)
    people = [s if isinstance(s, Staff) else staff_by_username(str(s)) for s in staff]
    if not people:
        raise _fail(_issue("staff", "staff_required", "name at least one person", "请至少指定一人"))
    due = due_on or today() + timedelta(days=30)
    if due < today():
        raise _fail(_issue("due_on", "due_in_past", "the due day has passed", "截止日期已过"))
    # by hand: once per open assignment (a failed or passed one may be assigned again)
    busy = set(
        Assignment.objects.filter(
            course=c, state=AssignmentState.OPEN, staff__in=people
        ).values_list("staff_id", flat=True)
    )
    occasion = f"manual:{clock.now().strftime('%Y%m%dT%H%M%S.%f')}"
    with transaction.atomic():
        return _create(
            actor,
            [(s, c, None, occasion, due, reason or "manual") for s in people if s.pk not in busy],
        )


def assign_event(
    actor: Any, event: str, staff: Any, *, ref: str = "", reason: str = ""
) -> list[Assignment]:
    """The event-driven rules (after a failed service-quality evaluation, after a new plan
    version) for one member of staff: one assignment per matching rule and `ref` (the
    evaluation or plan version), due `due_days` from today. Without a matching rule, a
    failed evaluation assigns the active retraining courses (30 days)."""
    on = today()
    dept = (
        Employment.objects.filter(staff_id=staff.pk).values_list("department", flat=True).first()
        or ""
    )
    rules = [
        r
        for r in AssignmentRule.objects.filter(
            active=True, course__active=True, event=event
        ).select_related("course")
        if _matches(r, staff.role_code, dept)
    ]
    prefix = "retrain" if event == RuleEvent.FAILED_EVALUATION else "plan"
    occasion = f"{prefix}:{ref or on.isoformat()}"
    pairs: list[tuple[Any, Course, AssignmentRule | None, str, date, str]] = [
        (staff, r.course, r, occasion, on + timedelta(days=r.due_days), reason or event)
        for r in rules
    ]
    if not pairs and event == RuleEvent.FAILED_EVALUATION:
        pairs = [
            (staff, c, None, occasion, on + timedelta(days=30), reason or event)
            for c in Course.objects.filter(active=True, kind=CourseKind.RETRAINING)
        ]
    with transaction.atomic():
        return _create(actor, pairs)


def assign_retraining(
    user: Any, reason: str, *, ref: str = "", actor: Any = None
) -> list[Assignment]:
    """Retraining after a failed service-quality evaluation (R-J2): the `failed_evaluation`
    rules that match `user` (role, department), or else every active `retraining` course.
    `ref` names the evaluation (one assignment per course and evaluation: calling twice is
    harmless). For other apps (feedback, issue #15): call it from their service, or — if
    they rank beside training — through a contract hook."""
    return assign_event(actor, RuleEvent.FAILED_EVALUATION, user, ref=ref, reason=reason)


def assign_plan_version(version: str, *, actor: Any = None) -> list[Assignment]:
    """A new breach-plan version (R-H1): every active member of staff matching a
    `plan_version` rule gets its course."""
    out: list[Assignment] = []
    for s in active_staff():
        out += assign_event(actor, RuleEvent.PLAN_VERSION, s, ref=version, reason="plan")
    return out


# -- certificates ------------------------------------------------------------------------------


def certify(
    staff: Any, course: Course, source: str, *, attempt: Any = None, on: date | None = None
) -> Certificate:
    """A certificate valid `certificate_months` (12 by default); every open assignment of
    the course for this member of staff is completed."""
    on = on or today()
    cert = Certificate.objects.create(
        staff=staff,
        course=course,
        course_version=course.version,
        source=source,
        attempt=attempt,
        issued_on=on,
        expires_on=clock.add_months(on, course.certificate_months),
    )
    Assignment.objects.filter(staff=staff, course=course, state=AssignmentState.OPEN).update(
        state=AssignmentState.PASSED, completed_at=clock.now()
    )
    audit.record(
        TrainingAction.CERTIFIED,
        None,
        object_type="training_certificate",
        object_id=cert.pk,
        detail={
            "staff": staff.username,
            "course": course.code,
            "version": course.version,
            "source": source,
            "expires_on": cert.expires_on.isoformat(),
        },
    )
    return cert


# -- attendance (sign-in sheet) ----------------------------------------------------------------
ATTENDANCE_COLUMNS = ("username", "course", "date")


@dataclass(frozen=True)
class AttendanceResult:
    recorded: int
    duplicates: int
    certified: int


def import_attendance(actor: Any, text: str) -> AttendanceResult:
    """A sign-in sheet (CSV: `username,course,date`): every row is checked first; any
    error refuses the whole sheet (422 with the line numbers). Attendance of a course
    without an exam completes it and issues the certificate; a course with an exam still
    needs the exam."""
    require_role(actor, *MANAGERS)
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if not set(ATTENDANCE_COLUMNS) <= set(header):
        raise _fail(
            _issue(
                "csv", "header", "columns: username,course,date", "表头应为 username,course,date"
            )
        )
    users = {s.username: s for s in Staff.objects.all()}
    courses = {c.code: c for c in Course.objects.all()}
    rows: list[tuple[Any, Course, date]] = []
    issues: list[FieldIssue] = []
    for n, raw in enumerate(reader, start=2):
        row = {str(k).strip().lower(): (v or "").strip() for k, v in raw.items() if k}
        s, c = users.get(row.get("username", "")), courses.get(row.get("course", ""))
        try:
            held = date.fromisoformat(row.get("date", ""))
        except ValueError:
            held = None
        if s is None:
            issues.append(
                _issue(f"line {n}", "staff_unknown", "no such member of staff", "没有该员工")
            )
        if c is None:
            issues.append(_issue(f"line {n}", "course_unknown", "no such course", "没有该课程"))
        if held is None or held > today():
            issues.append(_issue(f"line {n}", "date_invalid", "a past date YYYY-MM-DD", "日期无效"))
        if s is not None and c is not None and held is not None:
            rows.append((s, c, held))
    if issues:
        raise ValidationFailed(issues[:50])
    if not rows:
        raise _fail(_issue("csv", "empty", "the sheet has no rows", "签到表为空"))
    recorded = dup = certified = 0
    now = clock.now()
    with transaction.atomic():
        for s, c, held in rows:
            try:
                with transaction.atomic():
                    Attendance.objects.create(
                        staff=s, course=c, held_on=held, recorded_at=now, recorded_by=actor
                    )
            except IntegrityError:
                dup += 1
                continue
            recorded += 1
            if not c.has_exam:
                certify(s, c, CertificateSource.ATTENDANCE, on=held)
                certified += 1
        audit.record(
            TrainingAction.ATTENDANCE,
            actor,
            object_type="training_attendance",
            detail={"rows": len(rows), "recorded": recorded, "duplicates": dup},
        )
    return AttendanceResult(recorded, dup, certified)


# -- agreements and employment -----------------------------------------------------------------
def record_agreement(actor: Any, staff: Any, version: str, signed_on: date) -> Agreement:
    require_role(actor, *MANAGERS)
    s = staff if isinstance(staff, Staff) else staff_by_username(str(staff))
    if not version.strip() or len(version) > 32:
        raise _fail(_issue("version", "version_invalid", "1 to 32 characters", "版本号无效"))
    if signed_on > today():
        raise _fail(_issue("signed_on", "date_future", "not in the future", "不能晚于今天"))
    with transaction.atomic():
        if Agreement.objects.filter(staff=s, version=version.strip()).exists():
            raise Conflict("this agreement version is already on file", code="agreement_exists")
        a = Agreement.objects.create(
            staff=s,
            version=version.strip(),
            signed_on=signed_on,
            recorded_at=clock.now(),
            recorded_by=actor,
        )
        audit.record(
            TrainingAction.AGREEMENT,
            actor,
            object_type="training_agreement",
            object_id=a.pk,
            detail={"staff": s.username, "version": a.version, "signed_on": signed_on.isoformat()},
        )
    return a


def save_employment(
    actor: Any, staff: Any, *, department: str = "", site: str = "", hired_on: date | None = None
) -> Employment:
    require_role(actor, *MANAGERS)
    s = staff if isinstance(staff, Staff) else staff_by_username(str(staff))
    with transaction.atomic():
        e, _ = Employment.objects.update_or_create(
            staff=s,
            defaults={
                "department": department.strip()[:64],
                "site": site.strip()[:64],
                "hired_on": hired_on or today(),
                "updated_at": clock.now(),
            },
        )
        audit.record(
            TrainingAction.EMPLOYMENT,
            actor,
            object_type="training_employment",
            object_id=e.pk,
            detail={"staff": s.username, "department": e.department, "site": e.site},
        )
    return e


def get_assignment(assignment_id: Any) -> Assignment:
    try:
        pk = int(str(assignment_id))
    except ValueError:
        raise NotFound("no such assignment") from None
    a = Assignment.objects.select_related("course", "staff").filter(pk=pk).first()
    if a is None:
        raise NotFound("no such assignment")
    return a
