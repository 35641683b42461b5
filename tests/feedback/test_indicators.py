"""The feedback indicators in GET /api/v1/kpis (issue #15 §4): first response in time,
satisfaction, the quarterly and half-yearly surveys, compliance and rectification — each
with a value from the records, or no value with a reason (never a made-up 0 or 100 %)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from baomi.consent import services as consent
from baomi.contract import kpis
from baomi.core import clock
from baomi.customers import gate
from baomi.feedback.services import standards, surveys, tickets

CODES = {
    "feedback.first_response",
    "feedback.satisfaction",
    "feedback.service_survey",
    "feedback.privacy_survey",
    "feedback.compliance",
    "feedback.rectification",
}


def _board(api_client: Any) -> dict[str, dict[str, Any]]:
    c, h = api_client("manager")
    r = c.get("/api/v1/kpis", headers=h)
    assert r.status_code == 200, r.content
    return {k["code"]: k for k in r.json() if k["code"] in CODES}


def test_with_no_records_every_indicator_says_why(api_client: Any) -> None:
    got = _board(api_client)
    assert set(got) == CODES
    for k in got.values():
        assert k["value"] is None and k["met"] is None and k["reason"] and k["reason_text"]
        assert k["reason_text"] != k["reason"]  # words, not the code


def test_ratings_survey_answers_and_evaluations_produce_the_figures(
    api_client: Any, make_staff: Any, make_customer: Any, monkeypatch: Any
) -> None:
    # mid-month (periods would split the figures on the 1st of a month)
    real = datetime(2026, 11, 15, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    monkeypatch.setattr(clock, "now", lambda: real)
    agent, boss = make_staff("customer_service"), make_staff("manager")
    # 4 tickets: 3 answered in time, 1 late; ratings 5, 4, 2 → 66.67 %
    rated = []
    for i in range(4):
        monkeypatch.setattr(clock, "now", lambda: real - timedelta(hours=30))
        t = tickets.receive(
            agent,
            customer_id=make_customer().id,
            channel="wechat",
            kind="complaint",
            topic="stay",
            text=f"第{i}条",
        )
        late = i == 3
        monkeypatch.setattr(
            clock, "now", lambda late=late: real - timedelta(hours=5 if late else 29)
        )
        tickets.transition(agent, t.pk, "in_progress", text="收到")
        monkeypatch.setattr(clock, "now", lambda: real - timedelta(hours=1))
        tickets.transition(agent, t.pk, "resolved", text="已处理")
        tickets.transition(agent, t.pk, "closed")
        rated.append(t)
    monkeypatch.setattr(clock, "now", lambda: real)
    for t, score in zip(rated, (5, 4, 2), strict=False):
        tickets.rate(agent, t.pk, score)
    # a quarterly survey with k = 2: answers 5, 5, 4, 1 → 75 %
    s = surveys.create(
        agent,
        code="Q1",
        title_zh="季度调查",
        title_en="Quarterly",
        scope="service",
        period=kpis.current_period(kpis.QUARTER).code,
        questions=[{"code": "overall", "kind": "scale", "text_zh": "总体", "text_en": "Overall"}],
        min_group=2,
    )
    people = [make_customer() for _ in range(4)]
    for p in people:
        consent.give(gate.DataSubject(p.id), p.id, "marketing", channel="web", method="checkbox")
    sent = surveys.send(agent, s.pk, [{"customer_id": str(p.id)} for p in people])
    for (_, token), score in zip(sent.invited, (5, 5, 4, 1), strict=True):
        surveys.answer(token, {"overall": score})
    # an evaluation: 19 of 20 checks pass → 95 %; its one failure's item is not due yet
    standards.set_standard(
        boss,
        code="S1",
        step="delivery",
        title_zh="派送",
        title_en="Delivery",
        criteria=[
            {"code": "call", "text_zh": "提前致电", "text_en": "Call ahead", "measure": "yes/no"}
        ],
    )
    today = clock.now().date()
    standards.evaluate(
        boss,
        kind="ad_hoc",
        on=today,
        site="O1",
        checks=[{"standard": "S1", "criterion": "call", "passed": i != 0} for i in range(20)],
    )
    got = _board(api_client)
    assert (
        got["feedback.first_response"]["value"],
        got["feedback.first_response"]["denominator"],
    ) == (75.0, 4)
    assert (
        got["feedback.satisfaction"]["value"] == 66.67
        and got["feedback.satisfaction"]["met"] is False
    )
    assert got["feedback.service_survey"]["value"] == 75.0
    assert got["feedback.privacy_survey"]["reason"] == "no_survey_responses"
    assert got["feedback.compliance"]["value"] == 95.0 and got["feedback.compliance"]["met"] is True
    assert got["feedback.rectification"]["reason"] == "no_rectifications_due"
    c, h = api_client("privacy_officer")
    d = c.get("/api/v1/kpis/feedback.service_survey", headers=h).json()
    assert d["records"] == [] and d["groups"] == [
        {"channel": "-", "answers": 4, "satisfied_share": 75.0}
    ]
    d = c.get("/api/v1/kpis/feedback.first_response", headers=h).json()
    assert len(d["records"]) == 4 and sum(not r["counts"] for r in d["records"]) == 1


def test_a_survey_below_k_has_no_figure(
    make_staff: Any, make_customer: Any, api_client: Any
) -> None:
    agent = make_staff("privacy_officer")
    s = surveys.create(
        agent,
        code="H1",
        title_zh="隐私满意度",
        title_en="Privacy satisfaction",
        scope="privacy",
        period=kpis.current_period(kpis.HALF).code,
        questions=[{"code": "overall", "kind": "scale", "text_zh": "总体", "text_en": "Overall"}],
    )
    p = make_customer()
    consent.give(gate.DataSubject(p.id), p.id, "marketing", channel="web", method="checkbox")
    surveys.answer(
        surveys.send(agent, s.pk, [{"customer_id": str(p.id)}]).invited[0][1], {"overall": 5}
    )
    k = _board(api_client)["feedback.privacy_survey"]
    assert k["value"] is None and k["reason"] == "below_min_group"
