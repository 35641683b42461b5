"""Demo of customer feedback and service quality (R-J1, R-J2, R-F2, issue #19), through
`feedback.services` only:

* tickets from every channel this month, answered within their clocks, resolved, closed
  and rated by the customer (on the portal or on a call-back);
* this quarter's service survey and this half-year's privacy survey, sent to the customers
  whose consent allows contact and answered through their one-time links — enough answers
  that the k-suppression (10) shows the figure;
* a published check-in standard and an evaluation of the demo hotel earlier this year,
  one criterion failed, its rectification closed with evidence.

Times in the past are recorded through the services' own clock (`DemoContext.at`), inside
this month / quarter / year whatever today's date, so every figure lands in its period."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from baomi.contract import kpis
from baomi.contract.participants import DemoContext
from baomi.core import clock
from baomi.customers import gate

from .enums import Channel, State, SurveyScope
from .models import Rectification, Survey
from .services import standards, surveys, tickets

# (channel, kind, topic, what the customer said)
TICKETS = (
    (Channel.COUNTER, "praise", "service", "前台服务很周到"),
    (Channel.CALL_CENTER, "complaint", "booking", "预订确认短信没收到"),
    (Channel.WECHAT, "inquiry", "stay", "能否延迟退房？"),
    (Channel.OTA, "complaint", "stay", "房间空调太吵"),
    (Channel.PORTAL, "suggestion", "delivery", "希望能预约派送时间"),
    (Channel.CALL_CENTER, "inquiry", "billing", "发票什么时候开"),
    (Channel.COUNTER, "complaint", "service", "入住排队太久"),
    (Channel.WECHAT, "praise", "delivery", "快递员很准时"),
    (Channel.OTA, "praise", "stay", "早餐很好"),
    (Channel.PORTAL, "inquiry", "booking", "如何修改入住日期"),
    (Channel.CALL_CENTER, "complaint", "delivery", "包裹外箱破损"),
    (Channel.COUNTER, "suggestion", "stay", "希望增加儿童用品"),
)
SCALE_QUESTIONS = [
    {"code": "overall", "kind": "scale", "text_zh": "总体满意度", "text_en": "Overall"},
    {"code": "staff", "kind": "scale", "text_zh": "员工服务", "text_en": "Staff"},
]
PRIVACY_QUESTIONS = [
    {"code": "overall", "kind": "scale", "text_zh": "个人信息保护总体满意度", "text_en": "Overall"},
    {"code": "clarity", "kind": "scale", "text_zh": "隐私政策是否清楚", "text_en": "Clear notice"},
]
CRITERIA = [
    {"code": "greet", "text_zh": "30 秒内问候", "text_en": "Greet within 30 s", "measure": "观察"},
    {
        "code": "id_check",
        "text_zh": "核验证件不拍照",
        "text_en": "Check ID, no photo",
        "measure": "观察",
    },
    {
        "code": "screen",
        "text_zh": "屏幕不朝向客人",
        "text_en": "Screen away from guests",
        "measure": "观察",
    },
    {
        "code": "notice",
        "text_zh": "告知隐私政策",
        "text_en": "Point to the notice",
        "measure": "询问",
    },
]


def _spread(start: datetime, now: datetime, n: int) -> list[tuple[datetime, timedelta]]:
    """n moments between `start` and `now`, each with a step that keeps its follow-ups
    (answer, resolution, closure, rating) before the next one and before now."""
    gap = (now - start) / (n + 1)
    return [(start + gap * (i + 0.5), gap / 6) for i in range(n)]


def _tickets(ctx: DemoContext, rng: random.Random, now: datetime) -> None:
    month = kpis.current_period(kpis.MONTH, now)
    start = max(month.start, now - timedelta(days=6))
    desk, cs = ctx.staff["front_desk"], ctx.staff["customer_service"]
    who = rng.sample(list(ctx.customer_ids), min(len(TICKETS), len(ctx.customer_ids)))
    for (channel, kind, topic, text), cid, (at, step) in zip(
        TICKETS, who, _spread(start, now, len(TICKETS)), strict=False
    ):
        by = (
            gate.DataSubject(cid)
            if channel is Channel.PORTAL
            else (desk if channel is Channel.COUNTER else cs)
        )
        with ctx.at(at):
            t = tickets.receive(
                by, customer_id=cid, channel=channel, kind=kind, topic=topic, text=text
            )
        with ctx.at(at + step):
            tickets.transition(cs, t.pk, State.IN_PROGRESS, text="已收到，正在处理")
        with ctx.at(at + 2 * step):
            tickets.transition(cs, t.pk, State.RESOLVED, text="已处理")
        with ctx.at(at + 3 * step):
            tickets.transition(cs, t.pk, State.CLOSED)
        with ctx.at(at + 4 * step):
            rater = by if channel is Channel.PORTAL else cs  # portal, or a call-back
            tickets.rate(rater, t.pk, rng.choice((5, 5, 4, 4, 4, 3, 5, 2)))


def _survey(ctx: DemoContext, rng: random.Random, scope: SurveyScope, granularity: str) -> None:
    period = kpis.current_period(granularity)
    code = f"DEMO-{scope.value.upper()}-{period.code}"
    if Survey.objects.filter(code=code).exists():
        return
    actor = ctx.staff["customer_service" if scope is SurveyScope.SERVICE else "privacy_officer"]
    s = surveys.create(
        actor,
        code=code,
        title_zh="满意度调查（演示）"
        if scope is SurveyScope.SERVICE
        else "隐私保护满意度调查（演示）",
        title_en="Satisfaction survey (demo)"
        if scope is SurveyScope.SERVICE
        else "Privacy satisfaction survey (demo)",
        scope=scope,
        period=period.code,
        questions=SCALE_QUESTIONS if scope is SurveyScope.SERVICE else PRIVACY_QUESTIONS,
        target_sample=len(ctx.customer_ids),
    )
    channels = (Channel.COUNTER, Channel.WECHAT, Channel.CALL_CENTER)
    audience = [
        {"customer_id": str(cid), "channel": channels[n % len(channels)], "site": "SH-BUND"}
        for n, cid in enumerate(ctx.customer_ids)
    ]
    sent = surveys.send(actor, s.pk, audience)
    second = [q["code"] for q in s.questions if q["code"] != "overall"]
    for _cid, token in sent.invited:
        if rng.random() < 0.15:
            continue  # not everyone answers
        scores = {"overall": rng.choice((5, 5, 4, 4, 4, 3, 2))}
        scores.update({c: rng.choice((5, 4, 4, 3)) for c in second})
        surveys.answer(token, scores)


def _standard(ctx: DemoContext, now: datetime) -> None:
    manager, inspector = ctx.staff["manager"], ctx.staff["inspector"]
    year = kpis.current_period(kpis.YEAR, now)
    evaluated = now - min(timedelta(days=40), (now - year.start) / 2)
    closed = evaluated + (now - evaluated) / 2
    with ctx.at(evaluated - timedelta(hours=1)):
        standards.set_standard(
            manager,
            code="CHECKIN-PRIVACY",
            step="check_in",
            title_zh="入住环节隐私保护标准",
            title_en="Privacy at check-in",
            criteria=CRITERIA,
        )
    with ctx.at(evaluated):
        ev = standards.evaluate(
            inspector,
            kind="yearly",
            on=clock.now().date(),
            site="SH-BUND",
            owner_id=manager.pk,
            checks=[
                {"standard": "CHECKIN-PRIVACY", "criterion": "greet", "passed": True, "score": 95},
                {"standard": "CHECKIN-PRIVACY", "criterion": "id_check", "passed": True},
                {
                    "standard": "CHECKIN-PRIVACY",
                    "criterion": "screen",
                    "passed": False,
                    "score": 60,
                    "finding": "2 号台屏幕朝向排队客人",
                },
                {"standard": "CHECKIN-PRIVACY", "criterion": "notice", "passed": True},
            ],
        )
    with ctx.at(closed):
        for item in Rectification.objects.filter(check_row__evaluation=ev):
            standards.close_rectification(
                manager, item.pk, "已加装防窥膜并调整屏幕方向，照片 SH-BUND-RECT-01"
            )


def run(ctx: DemoContext) -> None:
    if not ctx.customer_ids:
        return
    rng = random.Random(ctx.seed + 15)
    now = clock.now()
    _standard(ctx, now)
    _tickets(ctx, rng, now)
    _survey(ctx, rng, SurveyScope.SERVICE, kpis.QUARTER)
    _survey(ctx, rng, SurveyScope.PRIVACY, kpis.HALF)
