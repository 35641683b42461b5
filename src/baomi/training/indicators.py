"""Training indicators (issue #14 §4; R-I1, R-I2), registered through the contract
indicator registry. Drill-downs list staff (username, role), never a customer.

* yearly_coverage — share of staff on the books at the period's reading day who completed
  a course (a certificate issued: exam or attendance) in the year; target 100 %.
* quarterly_trained — share of staff bound by required training who, at the quarter's
  reading day, hold a current certificate of every required course and an agreement
  (`standing.Standing.current`); target ≥ 95 %.
* exam_pass_rate — of the assignments with an exam attempt graded in the quarter, the
  share passed by the quarter's end; target ≥ 90 %.
* overdue_assignments — assignments due before the reading day and not completed by then
  (month); target 0.
* agreements_signed — share of staff on the books with a confidentiality agreement signed
  by the reading day (month); target 100 %.

"On the books" at day D: the account existed by D, was not deactivated by D, and is
active (pending and refused accounts never worked here)."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from baomi.catalog.enums import Role
from baomi.contract.kpis import (
    AT_LEAST,
    AT_MOST,
    MONTH,
    QUARTER,
    YEAR,
    Drill,
    DrillRow,
    Indicator,
    Measurement,
    Period,
    as_of,
    share,
)
from baomi.core.i18n import half

from .enums import AssignmentState
from .models import Agreement, Assignment, Attempt, Certificate
from .standing import standing_many

Staff = get_user_model()
COLUMNS = (("staff", "员工", "Staff"), ("role", "岗位", "Role"), ("detail", "说明", "Detail"))
NO_STAFF = ("no_staff", "期末没有在职员工", "No staff on the books at the period's end")


def _day(period: Period) -> date:
    d = as_of(period)
    assert d is not None  # evaluate() answers future periods itself
    return d


def _end_of(d: date) -> datetime:
    return timezone.make_aware(datetime.combine(d, time.max))


def staff_on(d: date) -> list[Any]:
    end = _end_of(d)
    return list(
        Staff.objects.filter(is_active=True, date_joined__lte=end)
        .filter(Q(deactivated_at__isnull=True) | Q(deactivated_at__gt=end))
        .order_by("username")
    )


def _row(s: Any, counts: bool, detail: str = "") -> DrillRow:
    return DrillRow(
        s.username,
        {"staff": s.username, "role": half(Role(s.role_code).label), "detail": detail},
        counts=counts,
    )


def _groups(rows: list[DrillRow]) -> list[dict[str, Any]]:
    by: dict[str, list[int]] = {}
    for r in rows:
        cell = by.setdefault(str(r.cells["role"]), [0, 0])
        cell[0] += 1
        cell[1] += int(r.counts)
    return [{"group": k, "label": k, "total": t, "counted": c} for k, (t, c) in sorted(by.items())]


# -- yearly coverage -------------------------------------------------------------------------
def _coverage(period: Period) -> list[DrillRow]:
    d = _day(period)
    people = staff_on(d)
    done = set(
        Certificate.objects.filter(
            staff_id__in=[s.pk for s in people],
            issued_on__gte=period.start.date(),
            issued_on__lte=d,
        ).values_list("staff_id", flat=True)
    )
    return [_row(s, s.pk in done) for s in people]


def yearly_coverage(period: Period) -> Measurement:
    rows = _coverage(period)
    return share(sum(r.counts for r in rows), len(rows), "no_staff")


# -- quarterly trained and passed ------------------------------------------------------------
def _trained(period: Period) -> list[DrillRow]:
    d = _day(period)
    people = staff_on(d)
    st = standing_many(people, d)
    return [
        _row(s, st[s.pk].current, "、".join(m.code for m in st[s.pk].missing))
        for s in people
        if st[s.pk].applies
    ]


def quarterly_trained(period: Period) -> Measurement:
    rows = _trained(period)
    return share(sum(r.counts for r in rows), len(rows), "no_required_training")


# -- exam pass rate --------------------------------------------------------------------------
def _examined(period: Period) -> list[DrillRow]:
    ids = set(
        Attempt.objects.filter(
            submitted_at__gte=period.start, submitted_at__lt=period.end
        ).values_list("assignment_id", flat=True)
    )
    passed = set(
        Attempt.objects.filter(
            assignment_id__in=ids, passed=True, submitted_at__lt=period.end
        ).values_list("assignment_id", flat=True)
    )
    rows = Assignment.objects.filter(pk__in=ids).select_related("staff", "course").order_by("pk")
    return [_row(a.staff, a.pk in passed, a.course.code) for a in rows]


def exam_pass_rate(period: Period) -> Measurement:
    rows = _examined(period)
    return share(sum(r.counts for r in rows), len(rows), "no_attempts")


# -- overdue ---------------------------------------------------------------------------------
def _overdue(period: Period) -> list[Assignment]:
    d = _day(period)
    end = _end_of(d)
    return list(
        Assignment.objects.filter(due_on__lt=d, assigned_at__lte=end)
        .filter(Q(completed_at__isnull=True) | Q(completed_at__gt=end))
        .exclude(state=AssignmentState.FAILED, completed_at__lte=end)
        .select_related("staff", "course")
        .order_by("due_on", "pk")
    )


def overdue_assignments(period: Period) -> Measurement:
    n = len(_overdue(period))
    return Measurement(float(n), numerator=n)


def overdue_drill(period: Period) -> Drill:
    rows = [_row(a.staff, False, f"{a.course.code} · {a.due_on}") for a in _overdue(period)]
    return Drill(_groups(rows), rows)


# -- agreements ------------------------------------------------------------------------------
def _agreements(period: Period) -> list[DrillRow]:
    d = _day(period)
    people = staff_on(d)
    signed = set(
        Agreement.objects.filter(staff_id__in=[s.pk for s in people], signed_on__lte=d).values_list(
            "staff_id", flat=True
        )
    )
    return [_row(s, s.pk in signed) for s in people]


def agreements_signed(period: Period) -> Measurement:
    rows = _agreements(period)
    return share(sum(r.counts for r in rows), len(rows), "no_staff")


def _drill(rows_of: Any) -> Any:
    def drill(period: Period) -> Drill:
        rows = rows_of(period)
        return Drill(_groups(rows), rows)

    return drill


INDICATORS = (
    Indicator(
        code="training.yearly_coverage",
        name_zh="年度培训覆盖率",
        name_en="Yearly training coverage",
        requirement="R-I1",
        target=100.0,
        direction=AT_LEAST,
        unit="%",
        period=YEAR,
        compute=yearly_coverage,
        drill=_drill(_coverage),
        columns=COLUMNS,
        reasons=(NO_STAFF,),
        description_zh="年内完成至少一门课程（考试通过或现场签到）的在职员工占比，目标 100%。",
        description_en="Staff on the books who completed a course (exam or attendance) in "
        "the year; target 100 %.",
    ),
    Indicator(
        code="training.quarterly_trained",
        name_zh="季度培训合格率",
        name_en="Trained and passed (quarter)",
        requirement="R-I1",
        target=95.0,
        direction=AT_LEAST,
        unit="%",
        period=QUARTER,
        compute=quarterly_trained,
        drill=_drill(_trained),
        columns=COLUMNS,
        reasons=(
            (
                "no_required_training",
                "没有员工需完成必修培训",
                "No member of staff is bound by required training",
            ),
        ),
        description_zh="受必修培训约束的员工中，季末持有全部必修课程有效证书并签署保密协议的占比，"
        "目标 ≥ 95%。",
        description_en="Of the staff bound by required training, the share holding a current "
        "certificate of every required course and an agreement at the quarter's end; ≥ 95 %.",
    ),
    Indicator(
        code="training.exam_pass_rate",
        name_zh="考核通过率",
        name_en="Exam pass rate",
        requirement="R-I1",
        target=90.0,
        direction=AT_LEAST,
        unit="%",
        period=QUARTER,
        compute=exam_pass_rate,
        drill=_drill(_examined),
        columns=COLUMNS,
        reasons=(("no_attempts", "本期没有考试记录", "No exam was taken in the period"),),
        description_zh="本期参加考试的培训任务中，期末前考试通过的占比，目标 ≥ 90%。",
        description_en="Of the assignments examined in the period, the share passed by its "
        "end; target ≥ 90 %.",
    ),
    Indicator(
        code="training.overdue_assignments",
        name_zh="逾期培训任务",
        name_en="Overdue training assignments",
        requirement="R-I1",
        target=0.0,
        direction=AT_MOST,
        unit="count",
        period=MONTH,
        compute=overdue_assignments,
        drill=overdue_drill,
        columns=COLUMNS,
        description_zh="截至期末已过截止日期仍未完成的培训任务，目标为 0。",
        description_en="Assignments past their due day and not completed at the period's "
        "reading day; target 0.",
    ),
    Indicator(
        code="training.agreements_signed",
        name_zh="保密协议签署率",
        name_en="Confidentiality agreements signed",
        requirement="R-I2",
        target=100.0,
        direction=AT_LEAST,
        unit="%",
        period=MONTH,
        compute=agreements_signed,
        drill=_drill(_agreements),
        columns=COLUMNS,
        reasons=(NO_STAFF,),
        description_zh="在职员工中已签署保密协议的占比，目标 100%。",
        description_en="Staff on the books with a signed confidentiality agreement; 100 %.",
    ),
)
