"""Feedback tickets through the API (issue #15 §1; R-J1, R-F2, R-A4): a ticket from each
channel lands in the customer-service queue with its clocks; the text is sealed and read
only through the gate (audited); moves, pauses with a reason, the customer told when
answered (outbox), ratings once after closing; a privacy complaint opens a rights
request; the privacy officer sees privacy tickets only; anonymous feedback."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import connection

from baomi.audit.models import AuditEvent
from baomi.core import clock
from baomi.customers import gate
from baomi.feedback.models import Message, Ticket
from baomi.feedback.services import tickets
from baomi.rights.models import RightsRequest
from baomi.vault import services as vault

CHANNELS = ["portal", "counter", "call_center", "wechat", "ota"]
TEXT = "房间空调坏了，前台甄小姐态度冷淡 13800138000"


def post(c: Any, h: dict[str, str], url: str, body: dict[str, Any]) -> Any:
    return c.post(url, body, content_type="application/json", headers=h)


def _new(c: Any, h: dict[str, str], **over: Any) -> Any:
    body = {"channel": "call_center", "kind": "complaint", "topic": "stay", "text": TEXT, **over}
    return post(c, h, "/api/v1/feedback", body)


def _at(s: str) -> datetime:
    return datetime.fromisoformat(s)


def test_a_ticket_from_each_channel_lands_in_the_queue_with_24_hour_clocks(
    cs: Any, make_customer: Any
) -> None:
    c, h = cs
    guest = make_customer()
    ids = []
    for ch in CHANNELS:
        before = clock.now()
        r = _new(c, h, channel=ch, customer_id=str(guest.id))
        assert r.status_code == 201, r.content
        body = r.json()
        assert set(body) == {"id", "state", "due"} and body["state"] == "new"
        fr = _at(body["due"]["first_response"])
        assert before + timedelta(hours=24) <= fr <= clock.now() + timedelta(hours=24)
        assert _at(body["due"]["resolution"]) - fr == timedelta(hours=48)
        ids.append(body["id"])
    r = c.get("/api/v1/feedback", headers=h)
    assert r.status_code == 200
    queue = r.json()
    assert [t["id"] for t in queue] == ids  # most urgent first
    assert {t["channel"] for t in queue} == set(CHANNELS)
    assert all(t["texts"] == {} and t["clocks"]["first_response"]["met"] is None for t in queue)


def test_the_text_is_sealed_and_read_through_the_gate(cs: Any, make_customer: Any) -> None:
    c, h = cs
    guest = make_customer()
    tid = _new(c, h, customer_id=str(guest.id)).json()["id"]
    with connection.cursor() as cur:
        cur.execute("SELECT text FROM feedback_ticket WHERE id = %s", [tid])
        blob = bytes(cur.fetchone()[0])
    assert b"13800138000" not in blob and "空调".encode() not in blob
    r = c.get(f"/api/v1/feedback/{tid}", headers=h)
    assert r.status_code == 200 and r.json()["texts"]["text"] == TEXT
    ev = AuditEvent.objects.filter(object_type="feedback_ticket", object_id=str(tid))
    read = ev.filter(action="customer.read").get()
    assert read.purpose == "customer_service" and read.fields == {"text": "plain"}
    assert TEXT not in str(read.detail)


def test_moves_pause_with_reason_answer_tells_the_customer_and_rating_once(
    cs: Any, make_customer: Any, make_staff: Any
) -> None:
    c, h = cs
    guest = make_customer()
    tid = _new(c, h, customer_id=str(guest.id), channel="wechat").json()["id"]
    url = f"/api/v1/feedback/{tid}/transition"
    r = post(c, h, url, {"to": "on_hold"})
    assert r.status_code == 422 and r.json()["code"] == "validation_failed"  # needs a reason
    r = post(c, h, url, {"to": "on_hold", "reason": "awaiting_customer"})
    assert r.status_code == 200 and r.json()["state"] == "on_hold"
    assert AuditEvent.objects.filter(action="feedback.paused", object_id=str(tid)).exists()
    r = post(c, h, url, {"to": "in_progress"})
    assert r.status_code == 422  # the first response needs its words
    r = post(c, h, url, {"to": "in_progress", "text": "已安排维修，稍后回电"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["state"] == "in_progress" and body["clocks"]["first_response"]["met"] is True
    assert Message.objects.filter(ticket_id=tid, kind="ticket_answered").count() == 1
    r = post(c, h, url, {"to": "closed"})
    assert r.status_code == 409 and r.json()["code"] == "transition_invalid"
    r = post(c, h, f"/api/v1/feedback/{tid}/rating", {"score": 5})
    assert r.status_code == 409 and r.json()["code"] == "ticket_not_closed"
    assert post(c, h, url, {"to": "resolved", "text": "已维修，赠送早餐"}).status_code == 200
    assert Message.objects.filter(ticket_id=tid, kind="ticket_resolved").count() == 1
    assert post(c, h, url, {"to": "closed"}).status_code == 200
    for bad in (0, 6, "5", None, True):
        r = post(c, h, f"/api/v1/feedback/{tid}/rating", {"score": bad})
        assert r.status_code == 422, bad
    r = post(c, h, f"/api/v1/feedback/{tid}/rating", {"score": 4})
    assert r.status_code == 200 and r.json()["rating"] == 4
    r = post(c, h, f"/api/v1/feedback/{tid}/rating", {"score": 5})
    assert r.status_code == 409 and r.json()["code"] == "already_rated"
    texts = c.get(f"/api/v1/feedback/{tid}", headers=h).json()["texts"]
    assert texts == {
        "text": TEXT,
        "response": "已安排维修，稍后回电",
        "resolution": "已维修，赠送早餐",
    }


def test_a_pause_moves_the_due_times(make_staff: Any, make_customer: Any, monkeypatch: Any) -> None:
    agent = make_staff("customer_service")
    real = clock.now()
    t0 = tickets.receive(
        agent,
        customer_id=make_customer().id,
        channel="counter",
        kind="inquiry",
        topic="booking",
        text="改签？",
    )
    monkeypatch.setattr(clock, "now", lambda: real + timedelta(hours=2))
    tickets.transition(agent, t0.pk, "on_hold", reason="awaiting_evidence")
    later = real + timedelta(hours=7)
    held = tickets.clocks(Ticket.objects.get(pk=t0.pk), later)
    assert held.first_response.due_at - t0.first_response_due == timedelta(hours=5)
    assert not held.escalate  # a held ticket is not escalated
    monkeypatch.setattr(clock, "now", lambda: later)
    tickets.transition(agent, t0.pk, "assigned")
    t1 = Ticket.objects.get(pk=t0.pk)
    assert t1.state == "assigned" and t1.assignee_id == agent.pk
    assert t1.first_response_due - t0.first_response_due == timedelta(hours=5)
    assert t1.resolution_due - t0.resolution_due == timedelta(hours=5)
    assert AuditEvent.objects.filter(action="feedback.resumed", object_id=str(t0.pk)).exists()


def test_an_office_hours_team_counts_its_shifts(
    make_staff: Any, office_team: Any, monkeypatch: Any
) -> None:
    from zoneinfo import ZoneInfo

    sh = ZoneInfo("Asia/Shanghai")
    desk = make_staff("front_desk")
    for received, due in (
        (datetime(2026, 11, 6, 22, 0, tzinfo=sh), datetime(2026, 11, 11, 14, 0, tzinfo=sh)),
        (datetime(2026, 9, 30, 20, 0, tzinfo=sh), datetime(2026, 10, 10, 12, 0, tzinfo=sh)),
    ):
        monkeypatch.setattr(clock, "now", lambda at=received: at)
        t = tickets.receive(
            desk, channel="counter", kind="complaint", topic="stay", text="太吵", team="desk"
        )
        assert t.team == office_team and t.first_response_due == due


def test_a_privacy_complaint_opens_a_rights_request_and_the_officer_sees_only_privacy(
    cs: Any, api_client: Any, make_customer: Any
) -> None:
    c, h = cs
    guest = make_customer()
    privacy = _new(c, h, customer_id=str(guest.id), topic="privacy", text="未经同意给我发营销短信")
    other = _new(c, h, customer_id=str(guest.id))
    assert privacy.status_code == 201 and other.status_code == 201
    t = Ticket.objects.get(pk=privacy.json()["id"])
    req = RightsRequest.objects.get(pk=t.rights_request_id)
    assert req.kind == "complaint" and req.customer_id == guest.id and req.channel == "call_center"
    assert Ticket.objects.get(pk=other.json()["id"]).rights_request_id is None
    po, ph = api_client("privacy_officer", "rights_request")
    r = po.get("/api/v1/feedback", headers=ph)
    assert [x["id"] for x in r.json()] == [t.pk]
    r = po.get(f"/api/v1/feedback/{t.pk}", headers=ph)
    assert r.json()["texts"]["text"] == "未经同意给我发营销短信"
    assert po.get(f"/api/v1/feedback/{other.json()['id']}", headers=ph).status_code == 404
    r = post(po, ph, f"/api/v1/feedback/{t.pk}/transition", {"to": "assigned"})
    assert r.status_code == 200


@pytest.mark.parametrize("role", ["marketing", "courier", "manager", "security_admin"])
def test_other_roles_neither_see_nor_file(api_client: Any, role: str) -> None:
    c, h = api_client(role)
    assert c.get("/api/v1/feedback", headers=h).json() == []
    r = _new(c, h)
    assert r.status_code == 403 and r.json()["code"] == "role_required"
    assert not Ticket.objects.exists()


def test_anonymous_feedback_is_sealed_under_its_own_key(cs: Any) -> None:
    c, h = cs
    r = _new(c, h, channel="ota", kind="suggestion", topic="service", text="早餐种类可以更多")
    assert r.status_code == 201
    t = Ticket.objects.get(pk=r.json()["id"])
    assert t.customer_id is None and t.text is not None
    assert "早餐".encode() not in bytes(t.text)
    from baomi.vault.models import DataKey

    assert DataKey.objects.filter(subject_id=vault.case_subject("feedback_ticket", t.pk)).exists()
    assert (
        c.get(f"/api/v1/feedback/{t.pk}", headers=h).json()["texts"]["text"] == "早餐种类可以更多"
    )
    r = post(
        c,
        h,
        "/api/v1/feedback",
        {"channel": "ota", "kind": "complaint", "topic": "privacy", "text": "x"},
    )
    assert r.status_code == 201  # no customer: no rights request to open
    assert Ticket.objects.get(pk=r.json()["id"]).rights_request_id is None


@pytest.mark.parametrize(
    "over,field,code",
    [
        ({"channel": "fax"}, "channel", "invalid_choice"),
        ({"kind": "rant"}, "kind", "invalid_choice"),
        ({"topic": "weather"}, "topic", "invalid_choice"),
        ({"text": "   "}, "text", "required"),
        ({"text": "x" * 4001}, "text", "too_long"),
        ({"text": "bad\x07"}, "text", "control_chars"),
        (
            {"record_kind": "stay", "record_id": "3f0c6a2e-0000-4000-8000-000000000000"},
            "record_id",
            "record_needs_customer",
        ),
    ],
)
def test_bad_input_is_a_422_with_nothing_written(cs: Any, over: Any, field: str, code: str) -> None:
    c, h = cs
    r = _new(c, h, **over)
    assert r.status_code == 422, r.content
    issue = r.json()["errors"][0]
    assert issue["field"] == field and issue["code"] == code
    assert not Ticket.objects.exists()


def test_unknown_and_erased_customers(cs: Any, make_customer: Any, make_staff: Any) -> None:
    from baomi.rights import services as rights

    c, h = cs
    r = _new(c, h, customer_id="3f0c6a2e-0000-4000-8000-000000000000")
    assert r.status_code == 404
    guest = make_customer()
    tid = _new(c, h, customer_id=str(guest.id)).json()["id"]
    officer = make_staff("privacy_officer")
    rights.erase_customer(officer, guest.id, basis="test")
    assert Ticket.objects.get(pk=tid).text is None
    assert c.get(f"/api/v1/feedback/{tid}", headers=h).json()["texts"] == {}
    assert _new(c, h, customer_id=str(guest.id)).status_code == 410


def test_the_portal_customer_files_for_themself(make_customer: Any) -> None:
    guest, other = make_customer(), make_customer()
    me = gate.DataSubject(guest.id)
    t = tickets.receive(me, channel="portal", kind="praise", topic="service", text="服务很好")
    assert t.channel == "portal" and t.customer_id == guest.id
    assert tickets.open_texts(me, [t])[t.pk]["text"] == "服务很好"
    with pytest.raises(Exception) as exc:
        tickets.receive(
            me, customer_id=other.id, channel="portal", kind="praise", topic="service", text="x"
        )
    assert getattr(exc.value, "code", "") == "subject_scope"
    assert list(tickets.visible(me)) == [t]


def test_escalation_flags_tickets_near_due_once(
    cs: Any, make_customer: Any, monkeypatch: Any
) -> None:
    c, h = cs
    real = clock.now()
    tid = _new(c, h, customer_id=str(make_customer().id)).json()["id"]
    assert tickets.escalate_due(real + timedelta(hours=10)) == []
    flagged = tickets.escalate_due(real + timedelta(hours=19))
    assert [t.pk for t in flagged] == [tid]
    assert tickets.escalate_due(real + timedelta(hours=20)) == []
    assert AuditEvent.objects.filter(action="feedback.escalated", object_id=str(tid)).count() == 1


def test_an_anonymous_ticket_read_is_audited_and_its_text_goes_with_its_case_key(
    make_staff: Any,
) -> None:
    agent = make_staff("customer_service")
    t = tickets.receive(
        agent, channel="wechat", kind="complaint", topic="service", text="保安态度差"
    )
    assert tickets.open_texts(agent, [t])[t.pk]["text"] == "保安态度差"
    ev = AuditEvent.objects.filter(action="case_text.read", object_id=str(t.pk)).get()
    assert ev.actor_id == agent.pk and "保安" not in str(ev.detail)
    vault.shred_case("feedback_ticket", t.pk, "retention")
    assert tickets.open_texts(agent, [Ticket.objects.get(pk=t.pk)]) == {}


def test_retention_destroys_texts_three_years_after_closing(
    make_staff: Any, monkeypatch: Any
) -> None:
    agent = make_staff("customer_service")
    t = tickets.receive(agent, channel="ota", kind="complaint", topic="stay", text="房间有异味")
    for to, text in (("in_progress", "抱歉"), ("resolved", "已换房"), ("closed", None)):
        tickets.transition(agent, t.pk, to, text=text)
    later = clock.now() + timedelta(days=3 * 365 + 1)
    assert tickets.expire(later - timedelta(days=2), dry_run=True) == 0
    assert tickets.expire(later, dry_run=True) == 1
    assert tickets.expire(later, dry_run=False) == 1
    row = Ticket.objects.get(pk=t.pk)
    assert row.text is None and row.response is None and row.kind == "complaint"
    from baomi.vault.models import DataKey

    key = DataKey.objects.get(subject_id=vault.case_subject("feedback_ticket", t.pk))
    assert key.destroyed_at is not None


def test_the_access_copy_lists_the_customers_tickets_and_the_escalate_command(
    make_staff: Any, make_customer: Any, monkeypatch: Any
) -> None:
    import io
    import json

    from django.core.management import call_command

    from baomi.rights import services as rights

    guest = make_customer()
    agent = make_staff("customer_service")
    t = tickets.receive(
        agent, customer_id=guest.id, channel="wechat", kind="praise", topic="stay", text="早餐很好"
    )
    copy = rights.access_copy(gate.DataSubject(guest.id), guest.id)
    section = copy["feedback"] if "feedback" in copy else copy["sections"]["feedback"]
    assert section[0]["id"] == t.pk and section[0]["text"] == "早餐很好"
    real = clock.now()
    monkeypatch.setattr(clock, "now", lambda: real + timedelta(hours=23))
    out = io.StringIO()
    call_command("feedback", "escalate", stdout=out)
    assert json.loads(out.getvalue()) == {"escalated": [t.pk]}
