"""Training API (INTERFACES.md): `POST /training/courses`, `POST /training/assignments`,
`POST /training/attempts` `{assignment_id, answers}` → `{score, passed,
certificate_expires_on}`, `GET /training/me`; plus the exam draw, rules, attendance,
agreements, employment and the HR lists. Thin: parse, call a service, shape. No customer
data anywhere here."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest
from ninja import Body, Router, Schema, Status

from baomi.access.services import require_role
from baomi.api.auth import bearer
from baomi.catalog.enums import Role

from . import duties, exams, selectors, services
from .services import QuestionData

router = Router(tags=["training"], auth=bearer)


def _actor(request: HttpRequest) -> Any:
    return request.staff  # type: ignore[attr-defined]


class OptionIn(Schema):
    zh: str
    en: str


class QuestionIn(Schema):
    kind: str
    text_zh: str
    text_en: str
    options: list[OptionIn]
    correct: list[int]


class LinkIn(Schema):
    title: str = ""
    url: str


class CourseIn(Schema):
    code: str
    kind: str
    title_zh: str
    title_en: str
    body_zh: str = ""
    body_en: str = ""
    links: list[LinkIn] = []
    pass_mark: int = 80
    questions_per_exam: int = 10
    classification_questions: int = 0
    max_attempts: int = 3
    certificate_months: int = 12
    required: bool = True
    active: bool = True
    questions: list[QuestionIn] | None = None


class CourseOut(Schema):
    id: int
    code: str
    kind: str
    version: int
    title_zh: str
    title_en: str
    pass_mark: int
    questions_per_exam: int
    classification_questions: int
    max_attempts: int
    certificate_months: int
    required: bool
    active: bool
    questions: int


class RuleIn(Schema):
    course: str
    event: str
    role: str = ""
    department: str = ""
    due_days: int = 30


class RuleOut(Schema):
    id: int
    course: str
    event: str
    role: str
    department: str
    due_days: int
    active: bool


class AssignIn(Schema):
    course: str
    staff: list[str]
    due_on: date | None = None
    reason: str = ""


class AssignmentOut(Schema):
    id: int
    staff: str
    course: str
    title_zh: str
    title_en: str
    occasion: str
    state: str
    due_on: str
    overdue: bool
    attempts_left: int
    completed_at: str | None


class OptionOut(Schema):
    zh: str
    en: str


class QuestionOut(Schema):
    key: str
    kind: str
    text_zh: str
    text_en: str
    options: list[OptionOut]


class ExamOut(Schema):
    assignment_id: int
    attempt: int
    pass_mark: int
    questions: list[QuestionOut]


class AttemptIn(Schema):
    assignment_id: int
    answers: dict[str, list[int]]


class AttemptOut(Schema):
    score: float
    passed: bool
    certificate_expires_on: date | None
    attempt: int
    attempts_left: int


class CertificateOut(Schema):
    course: str
    version: int
    source: str
    issued_on: date
    expires_on: date


class StandingOut(Schema):
    applies: bool
    current: bool
    withheld: bool
    reason: str | None
    grace_ends: date | None
    required: list[str]
    missing: list[str]


class MeOut(Schema):
    username: str
    standing: StandingOut
    assignments: list[AssignmentOut]
    certificates: list[CertificateOut]
    agreements: list[dict[str, str]]


class AttendanceIn(Schema):
    csv: str


class AttendanceOut(Schema):
    recorded: int
    duplicates: int
    certified: int


class AgreementIn(Schema):
    staff: str
    version: str
    signed_on: date


class EmploymentIn(Schema):
    staff: str
    department: str = ""
    site: str = ""
    hired_on: date | None = None


@router.post("/courses", response={201: CourseOut})
def save_course(request: HttpRequest, body: CourseIn = Body(...)) -> Status:  # noqa: B008
    """Create or revise a course (HR). A change of content raises its version;
    `questions` replaces the question bank."""
    data = body.dict()
    qs = data.pop("questions")
    course = services.save_course(
        _actor(request),
        **data,
        questions=None if qs is None else [QuestionData(**q) for q in qs],
    )
    return Status(201, selectors.course_json(course))


@router.get("/courses", response=list[CourseOut])
def list_courses(request: HttpRequest) -> list[dict[str, Any]]:
    require_role(_actor(request), Role.HR, Role.MANAGER)
    return [selectors.course_json(c) for c in selectors.courses()]


@router.post("/rules", response={201: RuleOut})
def save_rule(request: HttpRequest, body: RuleIn = Body(...)) -> Status:  # noqa: B008
    """An assignment rule (HR): standing rules (hire, yearly, quarterly) apply at once."""
    rule = services.save_rule(_actor(request), **body.dict())
    return Status(201, selectors.rule_json(rule))


@router.get("/rules", response=list[RuleOut])
def list_rules(request: HttpRequest) -> list[dict[str, Any]]:
    require_role(_actor(request), Role.HR)
    return [selectors.rule_json(r) for r in selectors.rules()]


@router.post("/rules/run", response=list[AssignmentOut])
def run_rules(request: HttpRequest) -> list[dict[str, Any]]:
    """Apply every standing rule now (also run daily by `baomi training assign`)."""
    actor = _actor(request)
    require_role(actor, Role.HR)
    return selectors.assignments_json(services.run_rules(actor))


@router.post("/assignments", response={201: list[AssignmentOut]})
def assign(request: HttpRequest, body: AssignIn = Body(...)) -> Status:  # noqa: B008
    """Assign a course by hand to named staff (HR)."""
    made = services.assign(
        _actor(request), body.course, body.staff, due_on=body.due_on, reason=body.reason
    )
    return Status(201, selectors.assignments_json(made))


@router.get("/assignments", response=list[AssignmentOut])
def list_assignments(
    request: HttpRequest, overdue: bool = False, state: str | None = None
) -> list[dict[str, Any]]:
    """HR: everyone's; a manager: their team's (same department). Staff only — never a
    customer."""
    rows = selectors.visible_assignments(_actor(request), overdue=overdue, state=state)
    return selectors.assignments_json(rows)


@router.post("/assignments/{assignment_id}/exam", response=ExamOut)
def start_exam(request: HttpRequest, assignment_id: int) -> dict[str, Any]:
    """Draw the questions of a new attempt (or show the open one) of my assignment."""
    att = exams.start(_actor(request), assignment_id)
    return {
        "assignment_id": att.assignment_id,
        "attempt": att.number,
        "pass_mark": att.assignment.course.pass_mark,
        "questions": exams.visible(att),
    }


@router.post("/attempts", response=AttemptOut)
def submit(request: HttpRequest, body: AttemptIn = Body(...)) -> dict[str, Any]:  # noqa: B008
    """Answer my open attempt: `answers` maps each question key to the chosen option
    indexes. A pass issues the certificate at once."""
    r = exams.submit(_actor(request), body.assignment_id, body.answers)
    return {
        "score": r.score,
        "passed": r.passed,
        "certificate_expires_on": r.certificate_expires_on,
        "attempt": r.attempt.number,
        "attempts_left": r.attempts_left,
    }


@router.get("/me", response=MeOut)
def me(request: HttpRequest) -> dict[str, Any]:
    """My training: standing (am I trained? is anything withheld from me?), assignments,
    certificates, agreements."""
    return selectors.me(_actor(request))


@router.post("/attendance", response=AttendanceOut)
def attendance(request: HttpRequest, body: AttendanceIn = Body(...)) -> dict[str, Any]:  # noqa: B008
    """Import a sign-in sheet (CSV `username,course,date`), all rows or none (HR)."""
    r = services.import_attendance(_actor(request), body.csv)
    return {"recorded": r.recorded, "duplicates": r.duplicates, "certified": r.certified}


@router.post("/agreements", response={201: dict[str, str]})
def agreement(request: HttpRequest, body: AgreementIn = Body(...)) -> Status:  # noqa: B008
    """Record a signed confidentiality agreement (保密协议) (HR)."""
    a = services.record_agreement(_actor(request), body.staff, body.version, body.signed_on)
    return Status(
        201, {"staff": a.staff.username, "version": a.version, "signed_on": str(a.signed_on)}
    )


@router.post("/employment", response=dict[str, str])
def employment(request: HttpRequest, body: EmploymentIn = Body(...)) -> dict[str, str]:  # noqa: B008
    """Department, site and hire day of a member of staff (HR)."""
    e = services.save_employment(
        _actor(request),
        body.staff,
        department=body.department,
        site=body.site,
        hired_on=body.hired_on,
    )
    return {
        "staff": e.staff.username,
        "department": e.department,
        "site": e.site,
        "hired_on": str(e.hired_on),
    }


class DutyIn(Schema):
    step: str
    unit: str = ""
    owner: str
    deputy: str | None = None


class DutyCellOut(Schema):
    step: str
    unit: str
    owner: str
    deputy: str
    gap: bool
    departed: bool
    no_deputy: bool


class DutiesOut(Schema):
    gaps: int
    departed: int
    cells: list[DutyCellOut]


def _duties() -> dict[str, Any]:
    flags = duties.flags()
    cells = [c.__dict__ for row in duties.matrix() for c in row]
    return {**flags, "cells": cells}


@router.get("/duties", response=DutiesOut)
def list_duties(request: HttpRequest) -> dict[str, Any]:
    """The responsibility matrix (R-D7): every lifecycle step × unit (`*` = the whole
    organisation) with its owner and deputy; gaps and departed owners flagged."""
    require_role(_actor(request), Role.HR, Role.PRIVACY_OFFICER, Role.MANAGER, Role.INSPECTOR)
    return _duties()


@router.post("/duties", response=DutiesOut)
def set_duty(request: HttpRequest, body: DutyIn = Body(...)) -> dict[str, Any]:  # noqa: B008
    """Name the owner (and deputy) of a step at a unit (HR, privacy officer)."""
    duties.set_duty(_actor(request), body.step, body.unit, body.owner, body.deputy)
    return _duties()
