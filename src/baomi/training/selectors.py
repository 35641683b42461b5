"""Reads of the training domain: lists for HR and managers, my training. Staff only —
these lists never name a customer."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet

from baomi.access.services import require_role
from baomi.catalog.enums import Role
from baomi.core.errors import FieldIssue, ValidationFailed

from . import standing as standing_mod
from .enums import AssignmentState
from .models import Agreement, Assignment, AssignmentRule, Certificate, Course, Employment
from .services import active_staff


def courses() -> QuerySet[Course]:
    return Course.objects.annotate(n_questions=Count("questions", filter=Q(questions__active=True)))


def course_json(c: Course) -> dict[str, Any]:
    n = getattr(c, "n_questions", None)
    return {
        "id": c.pk,
        "code": c.code,
        "kind": c.kind,
        "version": c.version,
        "title_zh": c.title_zh,
        "title_en": c.title_en,
        "pass_mark": c.pass_mark,
        "questions_per_exam": c.questions_per_exam,
        "classification_questions": c.classification_questions,
        "max_attempts": c.max_attempts,
        "certificate_months": c.certificate_months,
        "required": c.required,
        "active": c.active,
        "questions": n if n is not None else c.questions.filter(active=True).count(),
    }


def rules() -> QuerySet[AssignmentRule]:
    return AssignmentRule.objects.select_related("course").order_by("course__code", "pk")


def rule_json(r: AssignmentRule) -> dict[str, Any]:
    return {
        "id": r.pk,
        "course": r.course.code,
        "event": r.event,
        "role": r.role,
        "department": r.department,
        "due_days": r.due_days,
        "active": r.active,
    }


def _with_counts(qs: QuerySet[Assignment]) -> QuerySet[Assignment]:
    return qs.select_related("course", "staff").annotate(
        used=Count("attempts", filter=Q(attempts__submitted_at__isnull=False))
    )


def assignments_json(rows: Any) -> list[dict[str, Any]]:
    rows = list(rows)
    ids = [a.pk for a in rows if not hasattr(a, "used")]
    if ids:  # freshly created rows: count their attempts in one query
        used = dict(
            Assignment.objects.filter(pk__in=ids)
            .annotate(n=Count("attempts", filter=Q(attempts__submitted_at__isnull=False)))
            .values_list("pk", "n")
        )
        for a in rows:
            if not hasattr(a, "used"):
                a.used = used.get(a.pk, 0)
    today = standing_mod.today()
    return [
        {
            "id": a.pk,
            "staff": a.staff.username,
            "course": a.course.code,
            "title_zh": a.course.title_zh,
            "title_en": a.course.title_en,
            "occasion": a.occasion,
            "state": a.state,
            "due_on": a.due_on.isoformat(),
            "overdue": a.state == AssignmentState.OPEN and a.due_on < today,
            "attempts_left": max(0, a.course.max_attempts - a.used),
            "completed_at": a.completed_at.isoformat() if a.completed_at else None,
        }
        for a in rows
    ]


def team_of(manager: Any) -> Q | None:
    """A manager's team: the staff of their department (Employment); a manager with no
    department on file sees everyone (a one-team business). None: no restriction."""
    dept = Employment.objects.filter(staff_id=manager.pk).values_list("department", flat=True)
    d = dept.first()
    if not d:
        return None
    return Q(staff__employment__department=d)


def team_members(actor: Any) -> list[Any]:
    """Active staff an HR officer (everyone) or a manager (their team) reports on."""
    qs = active_staff().order_by("username")
    if actor.role_code == Role.MANAGER:
        team = team_of(actor)
        if team is not None:
            d = Employment.objects.filter(staff_id=actor.pk).values_list("department", flat=True)
            qs = qs.filter(employment__department=d.first())
    return list(qs)


def visible_assignments(
    actor: Any, *, overdue: bool = False, state: str | None = None
) -> QuerySet[Assignment]:
    require_role(actor, Role.HR, Role.MANAGER)
    qs = Assignment.objects.all()
    if actor.role_code == Role.MANAGER:
        team = team_of(actor)
        if team is not None:
            qs = qs.filter(team)
    if state is not None:
        if state not in AssignmentState.values:
            raise ValidationFailed(
                [FieldIssue("state", "state_unknown", "unknown state", "未知的状态")]
            )
        qs = qs.filter(state=state)
    if overdue:
        qs = qs.filter(state=AssignmentState.OPEN, due_on__lt=standing_mod.today())
    return _with_counts(qs).order_by("due_on", "staff__username", "pk")


def standing_json(st: standing_mod.Standing) -> dict[str, Any]:
    return {
        "applies": st.applies,
        "current": st.current,
        "withheld": st.withheld,
        "reason": standing_mod.REASON if st.withheld else None,
        "grace_ends": st.grace_ends,
        "required": list(st.required),
        "missing": [m.code for m in st.missing],
    }


REMIND_DAYS = 7


def due_soon(actor: Any) -> dict[str, int]:
    """My open assignments overdue, and due within `REMIND_DAYS` (one query)."""
    today = standing_mod.today()
    rows = Assignment.objects.filter(
        staff_id=actor.pk,
        state=AssignmentState.OPEN,
        due_on__lte=today + timedelta(days=REMIND_DAYS),
    ).values_list("due_on", flat=True)
    days = list(rows)
    return {
        "overdue": sum(1 for d in days if d < today),
        "soon": sum(1 for d in days if d >= today),
    }


def my_assignments(actor: Any) -> QuerySet[Assignment]:
    return _with_counts(Assignment.objects.filter(staff_id=actor.pk)).order_by(
        "state", "due_on", "pk"
    )


def me(actor: Any) -> dict[str, Any]:
    certs = (
        Certificate.objects.filter(staff_id=actor.pk)
        .select_related("course")
        .order_by("-issued_on", "-pk")
    )
    return {
        "username": actor.username,
        "standing": standing_json(standing_mod.standing(actor)),
        "assignments": assignments_json(my_assignments(actor)),
        "certificates": [
            {
                "course": c.course.code,
                "version": c.course_version,
                "source": c.source,
                "issued_on": c.issued_on,
                "expires_on": c.expires_on,
            }
            for c in certs
        ],
        "agreements": [
            {"version": a.version, "signed_on": a.signed_on.isoformat()}
            for a in Agreement.objects.filter(staff_id=actor.pk).order_by("-signed_on")
        ],
    }
