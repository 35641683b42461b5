"""Who is trained (issue #14 §2, R-I1, R-I2; decision 0030): the rule the gate asks through
the training app's staff withholder.

A member of staff is bound by the rule once the organisation has at least one active,
required course with an active standing rule (on hire, yearly, quarterly) for their role
and department — a fresh install, and every deployment before HR publishes its first
required course, behaves as before. A bound member of staff is *current* when they hold
an unexpired certificate of every such course and a confidentiality agreement (保密协议).
Whatever is missing is forgiven for a grace period (`BAOMI_TRAINING_GRACE_DAYS`, default
30) counted from the latest of: the hire day, the day the course became required for them
(the rule's creation), the expiry of their last certificate. Past it, the gate withholds
every sensitive-class field from them with the reason `training_required`; basic and
preference fields keep the role's treatment, so basic work continues.

Cost: one query when no required course applies to the role (the common case), four
otherwise — per read, never per customer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

from baomi.catalog.enums import FieldClass
from baomi.core import clock
from baomi.core.sql import Loader, col, in_marks, statement

from .enums import STANDING_EVENTS
from .models import Agreement, AssignmentRule, Certificate, Course, Employment

REASON = "training_required"
WITHHELD_CLASSES = frozenset({FieldClass.SENSITIVE})


def grace_days() -> int:
    return int(getattr(settings, "BAOMI_TRAINING_GRACE_DAYS", 30))


def today() -> date:
    return timezone.localdate(clock.now())


@dataclass(frozen=True)
class Missing:
    course_id: int | None  # None: the confidentiality agreement
    code: str  # course code, or "agreement"
    grace_ends: date


@dataclass(frozen=True)
class Standing:
    applies: bool  # some required course applies to this member of staff
    required: tuple[str, ...] = ()  # codes of the required courses
    missing: tuple[Missing, ...] = ()  # not current (never passed, expired, no agreement)
    on: date = field(default_factory=today)

    @property
    def current(self) -> bool:
        return not self.missing

    @property
    def withheld(self) -> bool:
        """Past the grace period for something missing: sensitive fields are withheld."""
        return any(m.grace_ends < self.on for m in self.missing)

    @property
    def grace_ends(self) -> date | None:
        return min((m.grace_ends for m in self.missing), default=None)


def hired_on(staff: Any) -> date:
    row = Employment.objects.filter(staff_id=staff.pk).values_list("hired_on", flat=True).first()
    if row is not None:
        return row
    joined = getattr(staff, "date_joined", None)
    return timezone.localdate(joined) if joined is not None else today()


def _department(staff: Any) -> tuple[str, date]:
    row = Employment.objects.filter(staff_id=staff.pk).values_list("department", "hired_on").first()
    if row is not None:
        return row[0], row[1]
    joined = getattr(staff, "date_joined", None)
    return "", timezone.localdate(joined) if joined is not None else today()


Rows = list[tuple[int, str, str, Any]]


_RULE = Loader(AssignmentRule, ["course", "department", "created_at"])


def _rules(role: str) -> Rows:
    """Active required courses' standing rules for this role (or every role): asked on
    every gate read, so one statement prepared once (decision 0040), not an ORM query."""
    events = [e.value for e in STANDING_EVENTS]

    def build() -> str:
        qn = connection.ops.quote_name
        r, c = AssignmentRule._meta, Course._meta
        rc = {n: f"r.{col(AssignmentRule, n)}" for n in ("course", "role", "event", "active")}
        return (  # names from the models; values are parameters
            f"SELECT {_RULE.columns('r')}, k.{col(Course, 'code')} "  # noqa: S608
            f"FROM {qn(r.db_table)} r JOIN {qn(c.db_table)} k "
            f"ON k.{qn(c.pk.column)} = {rc['course']} "
            f"WHERE {rc['active']} = %s AND k.{col(Course, 'active')} = %s "
            f"AND k.{col(Course, 'required')} = %s "
            f"AND {rc['event']} IN ({in_marks(len(events))}) AND {rc['role']} IN (%s, %s)"
        )

    sql = statement(("training_rules",), build)
    with connection.cursor() as cur:
        cur.execute(sql, [True, True, True, *events, role, ""])
        raw = cur.fetchall()
    out: Rows = []
    for row in raw:
        course_id, department, created_at = _RULE.values(row)
        out.append((course_id, row[_RULE.width], department, created_at))
    return out


def required_rules(
    role: str, department: str | None = None, rows: Rows | None = None
) -> dict[int, tuple[str, date]]:
    """Required courses with a standing rule for this role (and department when given):
    course id → (code, the day it first became required)."""
    rows = _rules(role) if rows is None else rows
    out: dict[int, tuple[str, date]] = {}
    for cid, code, dept, created in rows:
        if department is not None and dept not in ("", department):
            continue
        since = timezone.localdate(created)
        if cid not in out or since < out[cid][1]:
            out[cid] = (code, since)
    return out


def standing(staff: Any, on: date | None = None) -> Standing:
    on = on or today()
    role = str(getattr(staff, "role_code", "") or "")
    if getattr(staff, "pk", None) is None or not role:
        return Standing(False, on=on)
    rows = _rules(role)
    if not rows:  # one query: the common case of no required course
        return Standing(False, on=on)
    department, hired = _department(staff)
    courses = required_rules(role, department, rows)
    if not courses:
        return Standing(False, on=on)
    best: dict[int, date] = {}
    for cid, expires_on in Certificate.objects.filter(
        staff_id=staff.pk, course_id__in=list(courses)
    ).values_list("course_id", "expires_on"):
        if cid not in best or expires_on > best[cid]:
            best[cid] = expires_on
    grace = timedelta(days=grace_days())
    missing: list[Missing] = []
    for cid, (code, since) in sorted(courses.items(), key=lambda kv: kv[1][0]):
        last = best.get(cid)
        if last is not None and last >= on:
            continue
        start = max(hired, since, last or hired)
        missing.append(Missing(cid, code, start + grace))
    if not Agreement.objects.filter(staff_id=staff.pk, signed_on__lte=on).exists():
        start = max(hired, min(since for _, since in courses.values()))
        missing.append(Missing(None, "agreement", start + grace))
    return Standing(True, tuple(c for c, _ in courses.values()), tuple(missing), on)


def withholds(staff: Any) -> frozenset[FieldClass]:
    """The staff withholder the gate asks (participant contract): sensitive fields are
    withheld from a member of staff past the grace period of missing training."""
    return WITHHELD_CLASSES if standing(staff).withheld else frozenset()


def standing_many(staff: list[Any], on: date | None = None) -> dict[Any, Standing]:
    """`standing` for many members of staff in four queries (reports, indicators)."""
    on = on or today()
    ids = [s.pk for s in staff]
    rows = list(
        AssignmentRule.objects.filter(
            active=True,
            course__active=True,
            course__required=True,
            event__in=[e.value for e in STANDING_EVENTS],
        ).values_list("role", "course_id", "course__code", "department", "created_at")
    )
    jobs = {
        sid: (dept, hired)
        for sid, dept, hired in Employment.objects.filter(staff_id__in=ids).values_list(
            "staff_id", "department", "hired_on"
        )
    }
    best: dict[tuple[Any, int], date] = {}
    for sid, cid, expires_on in Certificate.objects.filter(
        staff_id__in=ids, issued_on__lte=on
    ).values_list("staff_id", "course_id", "expires_on"):
        if (sid, cid) not in best or expires_on > best[sid, cid]:
            best[sid, cid] = expires_on
    signed = set(
        Agreement.objects.filter(staff_id__in=ids, signed_on__lte=on).values_list(
            "staff_id", flat=True
        )
    )
    grace = timedelta(days=grace_days())
    out: dict[Any, Standing] = {}
    for s in staff:
        role = str(getattr(s, "role_code", "") or "")
        joined = getattr(s, "date_joined", None)
        dept, hired = jobs.get(s.pk, ("", timezone.localdate(joined) if joined is not None else on))
        mine = [(c, code, d, at) for r, c, code, d, at in rows if r in ("", role)]
        courses = required_rules(role, dept, mine)
        if not courses:
            out[s.pk] = Standing(False, on=on)
            continue
        missing: list[Missing] = []
        for cid, (code, since) in sorted(courses.items(), key=lambda kv: kv[1][0]):
            last = best.get((s.pk, cid))
            if last is not None and last >= on:
                continue
            missing.append(Missing(cid, code, max(hired, since, last or hired) + grace))
        if s.pk not in signed:
            start = max(hired, min(since for _, since in courses.values()))
            missing.append(Missing(None, "agreement", start + grace))
        out[s.pk] = Standing(True, tuple(c for c, _ in courses.values()), tuple(missing), on)
    return out
