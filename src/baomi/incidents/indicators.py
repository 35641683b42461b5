"""The incidents domain's indicators (R-H1, R-H2, R-H3, R-C6), computed from its own
records. Definitions (docs/incidents.md):

* initial_handling_24h — of the real cases (drills excluded) detected in the period whose
  24 h clock has run out or stopped, the share triaged (or found not a breach) within 24 h.
* customer_notice_72h — of the real cases detected in the period that need a customer
  notice (not "not a breach", not decided "not required") and whose 72 h clock has run out
  or stopped, the share whose customers were notified within 72 h.
* handling_efficiency — of the real cases detected in the period whose every clock has run
  out or stopped, the share where every deadline was met: initial handling 24 h, customer
  notice 72 h when required, and every regulator report (filed by its due time or decided
  not required). Target ≥ 90 %.
* incidents_yoy — real breaches (not "not a breach") detected this year against last year,
  as a percentage change; target −50 % (R-H3). Null while last year had none.
* drills_per_year — drills held in the year; target ≥ 1.
* plan_awareness — active staff who acknowledged the current plan version / active staff.
* storage_security — checks passed / checks run in the latest storage assessment (≥ 98 %).
* findings_past_due — findings open or awaiting re-test past their due date (target 0).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.urls import reverse

from baomi.access.models import Staff
from baomi.core import clock

from . import clocks, selectors
from .enums import Kind, State
from .inputs import current_plan, local_zone
from .models import Assessment, Drill, Finding, Incident, PlanAcknowledgement


@dataclass(frozen=True)
class Figure:
    """A figure and the records behind it. `value` None carries a `reason` code, never 0
    for "nothing to measure". `rows`: (record id, counts towards the target)."""

    value: float | None
    reason: str = ""
    numerator: int | None = None
    denominator: int | None = None
    rows: tuple[tuple[int, bool], ...] = ()

    @property
    def records(self) -> tuple[int, ...]:
        return tuple(r for r, _ in self.rows)


@dataclass(frozen=True)
class Indicator:
    code: str
    name_zh: str
    name_en: str
    requirement: str
    target: float
    direction: str  # ">=" or "<="
    unit: str  # "%", "count"
    period: str  # "month" | "quarter" | "year" | "now"
    compute: Callable[[datetime, datetime], Figure]

    def met(self, value: float | None) -> bool | None:
        if value is None:
            return None
        return value >= self.target if self.direction == ">=" else value <= self.target


def _real(start: datetime, end: datetime) -> list[Incident]:
    return list(
        Incident.objects.filter(
            drill=False, detected_at__gte=start, detected_at__lt=end
        ).prefetch_related("obligations")
    )


def _share(hits: list[int], base: list[int], empty: str) -> Figure:
    if not base:
        return Figure(None, empty)
    met = set(hits)
    return Figure(
        round(100.0 * len(hits) / len(base), 1),
        numerator=len(hits),
        denominator=len(base),
        rows=tuple((pk, pk in met) for pk in base),
    )


def initial_handling(start: datetime, end: datetime) -> Figure:
    now = clock.now()
    base, hits = [], []
    for inc in _real(start, end):
        c = clocks.initial_handling(inc, now)
        if c.done_at is None and not c.overdue:
            continue  # still running
        base.append(inc.pk)
        if c.met:
            hits.append(inc.pk)
    return _share(hits, base, "no_cases_due")


def customer_notice(start: datetime, end: datetime) -> Figure:
    now = clock.now()
    base, hits = [], []
    for inc in _real(start, end):
        c = clocks.customer_notice(inc, now)
        if not c.required or (c.done_at is None and not c.overdue):
            continue
        base.append(inc.pk)
        if c.met:
            hits.append(inc.pk)
    return _share(hits, base, "no_notices_due")


def handling_efficiency(start: datetime, end: datetime) -> Figure:
    now = clock.now()
    base, hits = [], []
    for inc in _real(start, end):
        cs = [clocks.initial_handling(inc, now), clocks.customer_notice(inc, now)]
        cs += [clocks.obligation(o, inc, now) for o in inc.obligations.all()]
        live = [c for c in cs if c.required]
        if any(c.done_at is None and not c.overdue for c in live):
            continue  # a clock still running: not judged yet
        base.append(inc.pk)
        if all(c.met for c in live):
            hits.append(inc.pk)
    return _share(hits, base, "no_cases_judged")


def incidents_yoy(start: datetime, end: datetime) -> Figure:
    local = start.astimezone(local_zone())  # the year runs on Beijing time
    this_start = local.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    last_start = this_start.replace(year=this_start.year - 1)
    qs = Incident.objects.filter(drill=False).exclude(state=State.NOT_BREACH)
    this = list(
        qs.filter(
            detected_at__gte=this_start,
            detected_at__lt=this_start.replace(year=this_start.year + 1),
        ).values_list("pk", flat=True)
    )
    last = qs.filter(detected_at__gte=last_start, detected_at__lt=this_start).count()
    rows = tuple((pk, True) for pk in this)
    if last == 0:
        return Figure(None, "no_history", numerator=len(this), rows=rows)
    change = round(100.0 * (len(this) - last) / last, 1)
    return Figure(change, numerator=len(this), denominator=last, rows=rows)


def drills_per_year(start: datetime, end: datetime) -> Figure:
    year = start.astimezone(local_zone()).year
    ids = tuple(Drill.objects.filter(held_on__year=year).values_list("pk", flat=True))
    return Figure(float(len(ids)), numerator=len(ids), rows=tuple((i, True) for i in ids))


def plan_awareness(start: datetime, end: datetime) -> Figure:
    plan = current_plan()
    if plan is None:
        return Figure(None, "no_plan")
    active = set(Staff.objects.filter(is_active=True).values_list("pk", flat=True))
    if not active:
        return Figure(None, "no_staff")
    acked = set(
        PlanAcknowledgement.objects.filter(plan=plan, staff_id__in=active).values_list(
            "staff_id", flat=True
        )
    )
    rows = tuple((pk, pk in acked) for pk in sorted(active))
    share = round(100.0 * len(acked) / len(active), 1)
    return Figure(share, numerator=len(acked), denominator=len(active), rows=rows)


def storage_security(start: datetime, end: datetime) -> Figure:
    a = selectors.latest_storage_assessment()
    passed, total = selectors.storage_share(a)
    if a is None or total == 0:
        return Figure(None, "no_assessment")
    share = round(100.0 * passed / total, 1)
    return Figure(share, numerator=passed, denominator=total, rows=((a.pk, share >= 98.0),))


def findings_past_due(start: datetime, end: datetime) -> Figure:
    rows = selectors.open_findings_past_due()
    return Figure(float(len(rows)), numerator=len(rows), rows=tuple((f.pk, False) for f in rows))


INDICATORS: tuple[Indicator, ...] = (
    Indicator(
        "incidents.initial_handling_24h",
        "24小时内完成初步处置",
        "Initial handling within 24 h",
        "R-H2",
        100.0,
        ">=",
        "%",
        "quarter",
        initial_handling,
    ),
    Indicator(
        "incidents.customer_notice_72h",
        "72小时内通知客户",
        "Customers notified within 72 h",
        "R-H2",
        100.0,
        ">=",
        "%",
        "quarter",
        customer_notice,
    ),
    Indicator(
        "incidents.handling_efficiency",
        "事件处置效率",
        "Incident handling efficiency",
        "R-H2",
        90.0,
        ">=",
        "%",
        "quarter",
        handling_efficiency,
    ),
    Indicator(
        "incidents.yoy_change",
        "泄露事件同比变化",
        "Leak incidents, change year on year",
        "R-H3",
        -50.0,
        "<=",
        "%",
        "year",
        incidents_yoy,
    ),
    Indicator(
        "incidents.drills",
        "年度应急演练次数",
        "Breach-response drills this year",
        "R-H1",
        1.0,
        ">=",
        "count",
        "year",
        drills_per_year,
    ),
    Indicator(
        "incidents.plan_awareness",
        "应急预案知晓率",
        "Staff who know the response plan",
        "R-H1",
        100.0,
        ">=",
        "%",
        "now",
        plan_awareness,
    ),
    Indicator(
        "incidents.storage_security",
        "存储安全达标率",
        "Storage security checks passed",
        "R-C6",
        98.0,
        ">=",
        "%",
        "now",
        storage_security,
    ),
    Indicator(
        "incidents.findings_past_due",
        "逾期未整改的安全问题",
        "Findings open past due",
        "R-C6",
        0.0,
        "<=",
        "count",
        "now",
        findings_past_due,
    ),
)


# Every reason code these indicators answer with no value, in both languages: the
# console and the API show these words (baomi.E203 checks none is missing).
REASONS = (
    ("no_cases_due", "本期没有到期的事件", "No incident fell due in this period"),
    ("no_cases_judged", "本期没有已判定的事件", "No incident judged in this period"),
    ("no_history", "缺少上年数据，无法比较", "No previous year to compare with"),
    ("no_notices_due", "本期没有到期的客户通知", "No customer notice fell due in this period"),
    ("no_plan", "尚未发布应急预案", "No response plan published"),
    ("no_staff", "没有在职员工", "No active staff"),
    ("no_assessment", "尚无安全评估", "No security assessment yet"),
)


# -- drill-down: the records behind a figure (ids, codes and dates only) --------------------
RECORDS = {
    "incidents.initial_handling_24h": "incident",
    "incidents.customer_notice_72h": "incident",
    "incidents.handling_efficiency": "incident",
    "incidents.yoy_change": "incident",
    "incidents.drills": "drill",
    "incidents.plan_awareness": "staff",
    "incidents.storage_security": "assessment",
    "incidents.findings_past_due": "finding",
}
COLUMNS = (("record", "记录", "Record"), ("what", "内容", "What"), ("date", "日期", "Date"))


def describe(code: str, ids: list[int]) -> dict[int, tuple[dict[str, str], str]]:
    """Cells and link of each record behind indicator `code` (one query)."""

    kind = RECORDS.get(code)
    out: dict[int, tuple[dict[str, str], str]] = {}
    if kind == "incident":
        for i in Incident.objects.filter(pk__in=ids):
            cells = {
                "record": i.reference,
                "what": str(Kind(i.kind).label),
                "date": i.detected_at.astimezone(local_zone()).date().isoformat(),
            }
            out[i.pk] = (cells, reverse("incidents:detail", args=[i.pk]))
    elif kind == "drill":
        for d in Drill.objects.filter(pk__in=ids):
            out[d.pk] = (
                {"record": f"#{d.pk}", "what": d.scenario[:60], "date": d.held_on.isoformat()},
                reverse("incidents:drills"),
            )
    elif kind == "staff":
        for st in Staff.objects.filter(pk__in=ids):
            out[st.pk] = ({"record": st.username, "what": str(st.role), "date": ""}, "")
    elif kind == "assessment":
        for a in Assessment.objects.filter(pk__in=ids):
            out[a.pk] = (
                {"record": f"#{a.pk}", "what": a.title, "date": a.performed_on.isoformat()},
                reverse("incidents:assessments"),
            )
    elif kind == "finding":
        for f in Finding.objects.filter(pk__in=ids):
            out[f.pk] = (
                {"record": f"#{f.pk}", "what": f.title, "date": f.due_on.isoformat()},
                reverse("incidents:assessments"),
            )
    return out
