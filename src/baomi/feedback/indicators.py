"""Indicators of the feedback domain (issue #15 §4; R-J1, R-J2, R-F2), from its records.
A figure that cannot be computed says why (a reason code with words), never 0 or 100 %.

* first_response — tickets received in the period whose first response is given or due:
  the share answered by the due time (24 h; an office-hours team's business hours).
* satisfaction — ratings (1–5) given in the period: the share of 4 and 5 (≥ 90 %).
* service_survey / privacy_survey — answers to the quarterly service survey / half-yearly
  privacy survey submitted in the period: the share scoring overall satisfaction 4 or 5
  (≥ 85 %); no figure below the surveys' minimum group size k.
* compliance — checks of the evaluations made in the period: the share passed (≥ 95 %).
* rectification — rectification items opened in the period and due by its end (or
  today): the share closed (100 %).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from django.db.models import Q
from django.urls import reverse

from baomi.contract.kpis import (
    AT_LEAST,
    HALF,
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
from baomi.core import clock as core_clock
from baomi.core.i18n import half

from .enums import Channel, ItemState, State, SurveyScope, Topic
from .models import Check, Rectification, SurveyResponse, Ticket


def _now() -> datetime:
    return core_clock.now()


# -- first response -----------------------------------------------------------------------
def _due_tickets(period: Period) -> list[Ticket]:
    now = _now()
    return [
        t
        for t in Ticket.objects.filter(
            received_at__gte=period.start, received_at__lt=period.end
        ).only(
            "id",
            "channel",
            "topic",
            "site",
            "received_at",
            "first_response_at",
            "first_response_due",
            "state",
        )
        # a held ticket's stored due time moves when the pause ends: not due while held
        if t.first_response_at is not None
        or (t.state != State.ON_HOLD and t.first_response_due <= now)
    ]


def _in_time(t: Ticket) -> bool:
    return t.first_response_at is not None and t.first_response_at <= t.first_response_due


def first_response(period: Period) -> Measurement:
    rows = _due_tickets(period)
    return share(sum(_in_time(t) for t in rows), len(rows), "no_tickets_due")


def first_response_drill(period: Period) -> Drill:
    rows = _due_tickets(period)
    by: dict[str, Counter[str]] = {}
    for t in rows:
        c = by.setdefault(t.channel, Counter())
        c["tickets"] += 1
        c["in_time"] += _in_time(t)
    return Drill(
        groups=[
            {"channel": half(Channel(ch).label), "tickets": c["tickets"], "in_time": c["in_time"]}
            for ch, c in sorted(by.items())
        ],
        rows=[
            DrillRow(
                str(t.pk),
                {
                    "ticket": t.pk,
                    "channel": half(Channel(t.channel).label),
                    "topic": half(Topic(t.topic).label),
                    "received": t.received_at.date().isoformat(),
                },
                counts=_in_time(t),
                href=reverse("feedback:ticket", args=[t.pk]),
            )
            for t in rows
        ],
    )


# -- ratings --------------------------------------------------------------------------------
def _rated(period: Period) -> list[Ticket]:
    return list(
        Ticket.objects.filter(rated_at__gte=period.start, rated_at__lt=period.end).only(
            "id", "channel", "topic", "rating", "rated_at"
        )
    )


def satisfaction(period: Period) -> Measurement:
    rows = _rated(period)
    return share(sum((t.rating or 0) >= 4 for t in rows), len(rows), "no_ratings")


def satisfaction_drill(period: Period) -> Drill:
    rows = _rated(period)
    by = Counter((t.topic, (t.rating or 0) >= 4) for t in rows)
    topics = sorted({t for t, _ in by})
    return Drill(
        groups=[
            {
                "topic": half(Topic(t).label),
                "satisfied": by[(t, True)],
                "not_satisfied": by[(t, False)],
            }
            for t in topics
        ],
        rows=[
            DrillRow(
                str(t.pk),
                {"ticket": t.pk, "topic": half(Topic(t.topic).label), "rating": t.rating},
                counts=(t.rating or 0) >= 4,
                href=reverse("feedback:ticket", args=[t.pk]),
            )
            for t in rows
        ],
    )


# -- surveys --------------------------------------------------------------------------------
def _survey(scope: SurveyScope, period: Period) -> Measurement:
    rows = list(
        SurveyResponse.objects.filter(
            survey__scope=scope, submitted_at__gte=period.start, submitted_at__lt=period.end
        )
        .select_related("survey")
        .only("overall", "survey__min_group")
    )
    if not rows:
        return Measurement(None, "no_survey_responses")
    k = max(r.survey.min_group for r in rows)
    if len(rows) < k:
        return Measurement(None, "below_min_group", detail={"k": k})
    return share(sum(r.overall >= 4 for r in rows), len(rows), "no_survey_responses")


def _survey_drill(scope: SurveyScope, period: Period) -> Drill:
    """Groups by channel, each below k suppressed (no size either); no record rows — the
    answers are people's, only their aggregates are shown."""
    rows = list(
        SurveyResponse.objects.filter(
            survey__scope=scope, submitted_at__gte=period.start, submitted_at__lt=period.end
        )
        .select_related("survey")
        .only("overall", "channel", "survey__min_group")
    )
    if not rows:
        return Drill(groups=[], rows=[])
    k = max(r.survey.min_group for r in rows)
    by: dict[str, list[int]] = {}
    for r in rows:
        by.setdefault(r.channel or "-", []).append(r.overall)
    groups: list[dict[str, Any]] = []
    for ch, scores in sorted(by.items()):
        name = half(Channel(ch).label) if ch in Channel.values else ch
        if len(scores) < k:
            groups.append({"channel": name, "answers": "—", "satisfied_share": "—"})
        else:
            share_ = round(100 * sum(x >= 4 for x in scores) / len(scores), 2)
            groups.append({"channel": name, "answers": len(scores), "satisfied_share": share_})
    hidden = [g for g in groups if g["answers"] == "—"]
    if len(hidden) == 1 and len(groups) > 1:  # the others and the total would give it away
        shown = [g for g in groups if g["answers"] != "—"]
        smallest = min(shown, key=lambda g: int(g["answers"]))
        smallest.update({"answers": "—", "satisfied_share": "—"})
    return Drill(groups=groups, rows=[])


def service_survey(period: Period) -> Measurement:
    return _survey(SurveyScope.SERVICE, period)


def privacy_survey(period: Period) -> Measurement:
    return _survey(SurveyScope.PRIVACY, period)


# -- standards ------------------------------------------------------------------------------
def _checks(period: Period) -> list[Check]:
    return list(
        Check.objects.filter(
            evaluation__on__gte=period.start.date(), evaluation__on__lt=period.end.date()
        ).select_related("evaluation", "standard")
    )


def compliance(period: Period) -> Measurement:
    rows = _checks(period)
    return share(sum(c.passed for c in rows), len(rows), "no_evaluations")


def compliance_drill(period: Period) -> Drill:
    rows = _checks(period)
    by: dict[str, Counter[str]] = {}
    for c in rows:
        key = c.evaluation.site or c.evaluation.team
        by.setdefault(key, Counter())["checks"] += 1
        by[key]["passed"] += c.passed
    return Drill(
        groups=[
            {"site": k, "checks": v["checks"], "passed": v["passed"]} for k, v in sorted(by.items())
        ],
        rows=[
            DrillRow(
                str(c.pk),
                {
                    "evaluation": c.evaluation_id,
                    "site": c.evaluation.site or c.evaluation.team,
                    "standard": c.standard.code,
                    "criterion": c.criterion,
                    "on": c.evaluation.on.isoformat(),
                },
                counts=c.passed,
                href=reverse("feedback:standards"),
            )
            for c in rows
            if not c.passed
        ],
    )


def _items(period: Period) -> list[Rectification]:
    day = as_of(period)
    if day is None:
        return []
    return list(
        Rectification.objects.filter(opened_at__gte=period.start, opened_at__lt=period.end)
        .filter(Q(due_on__lte=day) | Q(state=ItemState.CLOSED))
        .select_related("check_row__evaluation", "check_row__standard")
    )


def rectification(period: Period) -> Measurement:
    rows = _items(period)
    return share(sum(r.state == ItemState.CLOSED for r in rows), len(rows), "no_rectifications_due")


def rectification_drill(period: Period) -> Drill:
    rows = _items(period)
    return Drill(
        groups=[
            {"state": s, "items": n} for s, n in sorted(Counter(r.state for r in rows).items())
        ],
        rows=[
            DrillRow(
                str(r.pk),
                {
                    "item": r.pk,
                    "site": r.check_row.evaluation.site or r.check_row.evaluation.team,
                    "standard": r.check_row.standard.code,
                    "due": r.due_on.isoformat(),
                },
                counts=r.state == ItemState.CLOSED,
                href=reverse("feedback:standards"),
            )
            for r in rows
        ],
    )


SURVEY_REASONS = (
    ("no_survey_responses", "期内没有调查答卷", "No survey answers in the period"),
    (
        "below_min_group",
        "答卷少于最小分组人数，不予显示",
        "Fewer answers than the minimum group size",
    ),
)

INDICATORS = (
    Indicator(
        code="feedback.first_response",
        name_zh="反馈 24 小时内首次答复率",
        name_en="Feedback answered within 24 h",
        requirement="R-J1",
        target=100.0,
        direction=AT_LEAST,
        unit="%",
        period=MONTH,
        compute=first_response,
        drill=first_response_drill,
        columns=(
            ("ticket", "反馈编号", "Ticket"),
            ("channel", "渠道", "Channel"),
            ("topic", "主题", "Topic"),
            ("received", "收到日期", "Received"),
        ),
        reasons=(
            (
                "no_tickets_due",
                "期内没有已到期或已答复的反馈",
                "No ticket answered or due in the period",
            ),
        ),
        description_zh=(
            "期内收到、已答复或已到期的反馈中，"
            "按时（24 小时；工作时间班组按其工作时间）首次答复的比例。"
        ),
        description_en=(
            "Of tickets received in the period and answered or due, the share first answered in "
            "time (24 h; an office-hours team's business hours)."
        ),
    ),
    Indicator(
        code="feedback.satisfaction",
        name_zh="投诉处理满意度",
        name_en="Satisfaction with handling",
        requirement="R-J1",
        target=90.0,
        direction=AT_LEAST,
        unit="%",
        period=MONTH,
        compute=satisfaction,
        drill=satisfaction_drill,
        columns=(
            ("ticket", "反馈编号", "Ticket"),
            ("topic", "主题", "Topic"),
            ("rating", "评分", "Rating"),
        ),
        reasons=(("no_ratings", "期内没有客户评分", "No rating given in the period"),),
        description_zh="期内客户对已关闭反馈的评分（1–5）中 4 分和 5 分的比例。",
        description_en=(
            "Share of 4 and 5 among the customers' ratings (1–5) of closed tickets in the period."
        ),
    ),
    Indicator(
        code="feedback.service_survey",
        name_zh="季度满意度调查",
        name_en="Quarterly satisfaction survey",
        requirement="R-J1",
        target=85.0,
        direction=AT_LEAST,
        unit="%",
        period=QUARTER,
        compute=service_survey,
        drill=lambda p: _survey_drill(SurveyScope.SERVICE, p),
        reasons=SURVEY_REASONS,
        description_zh=(
            "期内服务满意度调查答卷中总体满意度 4 分和 5 分的比例（答卷少于 k 时不显示）。"
        ),
        description_en=(
            "Share of overall-satisfaction scores of 4 or 5 in the service survey answers (hidden "
            "below k answers)."
        ),
    ),
    Indicator(
        code="feedback.privacy_survey",
        name_zh="半年度隐私保护满意度",
        name_en="Half-yearly privacy satisfaction",
        requirement="R-F2",
        target=85.0,
        direction=AT_LEAST,
        unit="%",
        period=HALF,
        compute=privacy_survey,
        drill=lambda p: _survey_drill(SurveyScope.PRIVACY, p),
        reasons=SURVEY_REASONS,
        description_zh=(
            "期内隐私保护满意度调查答卷中总体满意度 4 分和 5 分的比例（答卷少于 k 时不显示）。"
        ),
        description_en=(
            "Share of overall-satisfaction scores of 4 or 5 in the privacy survey answers (hidden "
            "below k answers)."
        ),
    ),
    Indicator(
        code="feedback.compliance",
        name_zh="服务质量达标率",
        name_en="Service-quality compliance",
        requirement="R-J2",
        target=95.0,
        direction=AT_LEAST,
        unit="%",
        period=YEAR,
        compute=compliance,
        drill=compliance_drill,
        columns=(
            ("evaluation", "评估编号", "Evaluation"),
            ("site", "门店或班组", "Site or team"),
            ("standard", "服务标准", "Standard"),
            ("criterion", "检查项", "Criterion"),
            ("on", "评估日期", "Evaluated on"),
        ),
        reasons=(("no_evaluations", "期内没有服务质量评估", "No evaluation in the period"),),
        description_zh="期内服务质量评估各检查项中达标的比例。",
        description_en="Share of passed checks in the service evaluations of the period.",
    ),
    Indicator(
        code="feedback.rectification",
        name_zh="整改关闭率",
        name_en="Rectifications closed",
        requirement="R-J2",
        target=100.0,
        direction=AT_LEAST,
        unit="%",
        period=YEAR,
        compute=rectification,
        drill=rectification_drill,
        columns=(
            ("item", "整改编号", "Item"),
            ("site", "门店或班组", "Site or team"),
            ("standard", "服务标准", "Standard"),
            ("due", "整改期限", "Due"),
        ),
        reasons=(
            (
                "no_rectifications_due",
                "期内没有到期的整改项",
                "No rectification item due in the period",
            ),
        ),
        description_zh="期内因评估不达标开立、已到期（或已关闭）的整改项中已关闭的比例。",
        description_en=(
            "Of rectification items opened in the period and due (or closed), the share closed."
        ),
    ),
)
