"""Satisfaction surveys (issue #15 §2, R-J1, R-F2): definitions per quarter / half-year,
invitations only to customers whose consent allows contact (through the outbox), answered
once through a one-time link without signing in, comments sealed, results by channel /
site / topic with groups below k suppressed."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client

from baomi.audit.models import AuditEvent
from baomi.consent import services as consent
from baomi.contract import kpis
from baomi.customers import gate
from baomi.feedback import messages as outbox
from baomi.feedback.models import Invitation, Message, SurveyResponse
from baomi.feedback.services import surveys

QUESTIONS = [
    {"code": "overall", "kind": "scale", "text_zh": "总体满意度", "text_en": "Overall"},
    {"code": "staff", "kind": "scale", "text_zh": "员工服务", "text_en": "Staff"},
    {"code": "comment", "kind": "text", "text_zh": "其他意见", "text_en": "Anything else"},
]


def _quarter() -> str:
    return kpis.current_period(kpis.QUARTER).code


def _survey(c: Any, h: dict[str, str], **over: Any) -> Any:
    body = {
        "code": "Q-SAT",
        "title_zh": "季度满意度调查",
        "title_en": "Quarterly satisfaction survey",
        "scope": "service",
        "period": _quarter(),
        "questions": QUESTIONS,
        "target_sample": 300,
        **over,
    }
    return c.post("/api/v1/surveys", body, content_type="application/json", headers=h)


def _consenting(make_customer: Any, n: int) -> list[Any]:
    out = []
    for _ in range(n):
        cust = make_customer()
        consent.give(
            gate.DataSubject(cust.id), cust.id, "marketing", channel="web", method="checkbox"
        )
        out.append(cust)
    return out


def test_a_survey_is_sent_only_with_consent_and_answered_once_by_link(
    cs: Any, make_customer: Any
) -> None:
    c, h = cs
    r = _survey(c, h)
    assert r.status_code == 201, r.content
    sid = r.json()["id"]
    yes = _consenting(make_customer, 2)
    no = make_customer()
    audience = [{"customer_id": str(x.id), "channel": "wechat", "site": "H1"} for x in [*yes, no]]
    r = c.post(
        f"/api/v1/surveys/{sid}/invitations",
        {"audience": audience},
        content_type="application/json",
        headers=h,
    )
    assert r.status_code == 200, r.content
    assert r.json() == {"invited": 2, "skipped": {"no_consent": 1}}
    assert not Invitation.objects.filter(customer_id=no.id).exists()
    msgs = list(Message.objects.filter(kind="survey_invitation"))
    assert len(msgs) == 2 and all(m.status == "sent" for m in msgs)
    token = outbox.link_token(msgs[0].pk)
    assert token and not Invitation.objects.filter(token_digest=token).exists()  # HMAC only
    # again: nobody is invited twice
    r = c.post(
        f"/api/v1/surveys/{sid}/invitations",
        {"audience": audience},
        content_type="application/json",
        headers=h,
    )
    assert r.json()["skipped"] == {"no_consent": 1, "invited": 2}
    # answered without signing in, once
    anon = Client()
    body = {
        "token": token,
        "answers": {"overall": 5, "staff": 4},
        "comment": "前台王经理很热情 13900001111",
    }
    r = anon.post(f"/api/v1/surveys/{sid}/responses", body, content_type="application/json")
    assert r.status_code == 201, r.content
    resp = SurveyResponse.objects.get()
    assert resp.overall == 5 and resp.channel == "wechat" and resp.site == "H1"
    with connection.cursor() as cur:
        cur.execute("SELECT comment FROM feedback_survey_response")
        assert b"13900001111" not in bytes(cur.fetchone()[0])
    r = anon.post(f"/api/v1/surveys/{sid}/responses", body, content_type="application/json")
    assert r.status_code == 410 and r.json()["code"] == "link_invalid"
    r = anon.post(
        f"/api/v1/surveys/{sid}/responses",
        {**body, "token": "x" * 43},
        content_type="application/json",
    )
    assert r.status_code == 410
    assert AuditEvent.objects.filter(action="survey.refused").count() == 2


def test_the_one_time_link_page_works_without_sign_in(cs: Any, make_customer: Any) -> None:
    c, h = cs
    sid = _survey(c, h).json()["id"]
    (cust,) = _consenting(make_customer, 1)
    sent = surveys.send(_actor(h), sid, [{"customer_id": str(cust.id)}])
    token = sent.invited[0][1]
    page = Client()
    r = page.get(f"/feedback/survey/{token}/")
    assert r.status_code == 200 and "季度满意度调查" in r.content.decode()
    r = page.post(f"/feedback/survey/{token}/", {"overall": "2", "staff": "3", "comment": "一般"})
    assert r.status_code == 200 and 'data-testid="survey-done"' in r.content.decode()
    assert SurveyResponse.objects.get().overall == 2
    r = page.get(f"/feedback/survey/{token}/")
    assert r.status_code == 410 and 'data-testid="survey-gone"' in r.content.decode()


def _actor(h: dict[str, str]) -> Any:
    import hashlib

    from baomi.access.models import ApiToken

    token = h["Authorization"].split()[1]
    return ApiToken.objects.get(digest=hashlib.sha256(token.encode()).hexdigest()).staff


@pytest.mark.parametrize(
    "over,field,code",
    [
        ({"scope": "privacy"}, "period", "period_granularity"),  # privacy runs per half-year
        ({"period": "2026-11"}, "period", "period_granularity"),
        ({"questions": QUESTIONS[1:]}, "questions", "overall_required"),
        ({"questions": []}, "questions", "questions_list"),
        ({"min_group": 1}, "min_group", "out_of_range"),
        ({"scope": "gossip"}, "scope", "invalid_choice"),
    ],
)
def test_bad_definitions_are_refused(cs: Any, over: Any, field: str, code: str) -> None:
    c, h = cs
    r = _survey(c, h, **over)
    assert r.status_code == 422, r.content
    assert (r.json()["errors"][0]["field"], r.json()["errors"][0]["code"]) == (field, code)


def test_results_suppress_groups_below_k(cs: Any, make_customer: Any) -> None:
    c, h = cs
    sid = _survey(c, h, min_group=3).json()["id"]
    people = _consenting(make_customer, 8)
    audience = [
        {"customer_id": str(p.id), "channel": "wechat" if i < 6 else "portal", "topic": "stay"}
        for i, p in enumerate(people)
    ]
    sent = surveys.send(_actor(h), sid, audience)
    for i, (_, token) in enumerate(sent.invited):
        surveys.answer(token, {"overall": 5 if i % 2 == 0 else 3})
    whole = c.get(f"/api/v1/surveys/{sid}/results", headers=h).json()
    assert whole["overall"] == {
        "respondents": 8,
        "suppressed": False,
        "satisfied_share": 50.0,
        "means": {"overall": 4.0},
    }
    by = c.get(f"/api/v1/surveys/{sid}/results?by=channel", headers=h).json()
    groups = {g["key"]: g for g in by["groups"]}
    assert groups["portal"] == {"key": "portal", "respondents": None, "suppressed": True}
    # with one group hidden, the only other group would give it away: hidden too
    assert groups["wechat"]["suppressed"] is True and groups["wechat"]["respondents"] is None
    tiny = _survey(c, h, code="Q-TINY").json()["id"]
    sent = surveys.send(_actor(h), tiny, [{"customer_id": str(people[0].id)}])
    surveys.answer(sent.invited[0][1], {"overall": 5})
    assert c.get(f"/api/v1/surveys/{tiny}/results", headers=h).json()["overall"] == {
        "respondents": None,
        "suppressed": True,
    }
    m, mh = c, h
    assert m.get(f"/api/v1/surveys/{sid}/results?by=weather", headers=mh).status_code == 422


def test_bad_answers_and_erasure(cs: Any, make_customer: Any, make_staff: Any) -> None:
    from baomi.rights import services as rights

    c, h = cs
    sid = _survey(c, h).json()["id"]
    (cust,) = _consenting(make_customer, 1)
    token = surveys.send(_actor(h), sid, [{"customer_id": str(cust.id)}]).invited[0][1]
    for answers in ({"overall": 6}, {"overall": "5"}, {"staff": 4}, {"overall": 4, "mood": 3}):
        r = Client().post(
            f"/api/v1/surveys/{sid}/responses",
            {"token": token, "answers": answers},
            content_type="application/json",
        )
        assert r.status_code == 422, answers
    surveys.answer(token, {"overall": 4}, "隔壁太吵")
    rights.erase_customer(make_staff("privacy_officer"), cust.id, basis="test")
    resp = SurveyResponse.objects.get()
    assert resp.comment is None and resp.customer_id is None and resp.overall == 4


def test_an_audience_with_unknown_groups_is_refused(cs: Any, make_customer: Any) -> None:
    c, h = cs
    sid = _survey(c, h).json()["id"]
    (p,) = _consenting(make_customer, 1)
    body = {"audience": [{"customer_id": str(p.id), "channel": "carrier-pigeon"}]}
    r = c.post(
        f"/api/v1/surveys/{sid}/invitations", body, content_type="application/json", headers=h
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "audience.0.channel"
    assert not Invitation.objects.exists()
