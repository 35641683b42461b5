"""Data-subject requests (R-F1, R-F2): the state machine and its audit trail, the SLA clock on
the mainland working-day calendar, erasure (crypto-shredding, tombstone, certificate with
legal holds; 410 and no search hit afterwards), restriction, rectification, consent
withdrawal, the access copy, and the API for staff and the privacy officer."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import DatabaseError, transaction
from django.utils import timezone

from baomi.audit.models import Action, AuditEvent
from baomi.catalog import fields as catalog
from baomi.consent import services as consent
from baomi.consent.models import ConsentState
from baomi.core import clock
from baomi.core.errors import Conflict, Forbidden, Gone, ValidationFailed
from baomi.customers import gate
from baomi.customers import services as customers
from baomi.customers.models import ENTITY_MODELS, Customer
from baomi.rights import selectors, services, sla
from baomi.rights.models import (
    RequestState,
    Restriction,
    RightsRequest,
    RightsTransition,
    Tombstone,
)
from baomi.vault.fields import SealedField
from baomi.vault.models import BlindIndexEntry, DataKey, ShredJournal

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def officer(make_staff: Any) -> Any:
    return make_staff("privacy_officer")


@pytest.fixture
def customer(make_customer: Any, make_staff: Any, synth: Any) -> Customer:
    c = make_customer(
        name="王小明",
        phone="13812345678",
        email="xiaoming@example.com",
        id_type="cn_resident_id",
        id_number="11010519491231002X",
        birth_date="1949-12-31",
    )
    desk = make_staff("front_desk")
    customers.add_record(desk, "reception", c.id, "booking", synth.booking())
    customers.add_record(desk, "reception", c.id, "stay", synth.stay())
    return c


def walk(officer: Any, req: RightsRequest, *states: str, reason: str = "") -> RightsRequest:
    for s in states:
        req = services.transition(officer, req.pk, s, reason)
    return req


DONE = ("verified", "in_progress", "completed")


# -- SLA calendar ------------------------------------------------------------------------------
def test_working_days_follow_the_mainland_calendar() -> None:
    # National Day 2025: 1–8 Oct off; Sun 28 Sep and Sat 11 Oct are adjusted working days
    assert sla.is_workday(date(2025, 9, 28)) == (True, False)
    assert sla.is_workday(date(2025, 10, 3)) == (False, False)
    assert sla.add_working_days(date(2025, 9, 26), 15) == (date(2025, 10, 23), False)
    # Spring Festival 2026: back on 24 Feb, Sat 28 Feb is a working day
    assert sla.add_working_days(date(2026, 2, 13), 15) == (date(2026, 3, 12), False)
    assert sla.working_days_between(date(2025, 9, 30), date(2025, 10, 10)) == (2, False)


def test_beyond_the_calendar_data_the_clock_is_an_estimate() -> None:
    due, estimated = sla.add_working_days(date(2026, 12, 28), 15)
    assert estimated and due == date(2027, 1, 18)  # Monday–Friday assumed in 2027
    assert sla.is_workday(date(2031, 6, 2)) == (True, True)


def test_clock_flags_overdue_and_near_due(officer: Any, customer: Customer) -> None:
    req = services.create_request(officer, customer.id, "access")
    req.received_at = datetime(2025, 9, 26, 10, 0, tzinfo=SH)
    c = sla.clock(req, now=datetime(2025, 10, 20, 9, 0, tzinfo=SH))
    assert c.due_at == datetime(2025, 10, 23, 23, 59, 59, tzinfo=SH)
    assert (c.working_days_left, c.near_due, c.overdue) == (3, True, False)
    late = sla.clock(req, now=datetime(2025, 10, 24, 9, 0, tzinfo=SH))
    assert late.overdue and late.seconds_left < 0 and late.working_days_left == -1
    early = sla.clock(req, now=datetime(2025, 9, 29, 9, 0, tzinfo=SH))
    assert not early.near_due and not early.overdue and early.met is None


def test_sla_is_configurable(settings: Any, officer: Any, customer: Customer) -> None:
    settings.BAOMI_RIGHTS_SLA_WORKING_DAYS = 10
    req = services.create_request(officer, customer.id, "access")
    req.received_at = datetime(2025, 9, 26, 10, 0, tzinfo=SH)
    assert sla.clock(req).due_at.date() == date(2025, 10, 16)


def test_queue_sorts_by_time_left(
    officer: Any, customer: Customer, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = timezone.now()
    made = {}
    for days_ago in (1, 30, 10):
        monkeypatch.setattr(clock, "now", lambda d=days_ago: real - timedelta(days=d))
        made[days_ago] = services.create_request(officer, customer.id, "complaint", detail="x")
    monkeypatch.setattr(clock, "now", lambda: real)
    done = services.create_request(officer, customer.id, "access")
    walk(officer, done, *DONE)
    items = selectors.queue(now=real)
    assert [i.request.pk for i in items] == [made[30].pk, made[10].pk, made[1].pk]
    assert items[0].clock.overdue and not items[2].clock.overdue
    stats = selectors.stats(now=real)
    assert (stats["open"], stats["overdue"], stats["met_recent"]) == (3, 1, 1)
    assert [i.request.pk for i in selectors.queue(include_closed=True, now=real)][-1] == done.pk


# -- state machine -------------------------------------------------------------------------------
def test_transitions_are_explicit_timestamped_and_audited(officer: Any, customer: Customer) -> None:
    req = services.create_request(
        officer, customer.id, "complaint", detail="前台大声念出我的证件号"
    )
    with pytest.raises(Conflict):
        services.transition(officer, req.pk, "completed")
    with pytest.raises(ValidationFailed):
        services.transition(officer, req.pk, "refused")  # a refusal needs a reason
    with pytest.raises(ValidationFailed):
        services.transition(officer, req.pk, "teleported")
    req = walk(officer, req, "verified", "in_progress")
    req = services.transition(officer, req.pk, "completed", "staff retrained; apology sent")
    assert req.state == RequestState.COMPLETED
    assert services.texts(officer, req)["resolution"].startswith("staff")  # sealed, via gate
    assert req.verified_at <= req.started_at <= req.completed_at
    moves = list(RightsTransition.objects.filter(request=req).order_by("id"))
    assert [(m.from_state, m.to_state) for m in moves] == [
        ("", "received"),
        ("received", "verified"),
        ("verified", "in_progress"),
        ("in_progress", "completed"),
    ]
    assert all(m.actor_role == "privacy_officer" for m in moves)
    events = AuditEvent.objects.filter(action=Action.RIGHTS_TRANSITION, object_id=str(req.pk))
    assert events.count() == 3
    with pytest.raises(Conflict):
        services.transition(officer, req.pk, "refused", "too late")
    with pytest.raises(DatabaseError), transaction.atomic():
        RightsTransition.objects.filter(request=req).delete()  # history is append-only


def test_refusal_keeps_its_reason(officer: Any, customer: Customer) -> None:
    req = services.create_request(officer, customer.id, "erase")
    req = services.transition(officer, req.pk, "refused", "identity could not be verified")
    assert req.refused_at
    assert services.texts(officer, req)["refusal_reason"] == "identity could not be verified"
    assert gate.access_customer(officer, "rights_request", customer.id).fields["name"]


def test_only_the_privacy_officer_moves_requests(make_staff: Any, customer: Customer) -> None:
    cs = make_staff("customer_service")
    req = services.create_request(cs, customer.id, "access")
    with pytest.raises(Forbidden):
        services.transition(cs, req.pk, "verified")
    with pytest.raises(Forbidden):
        services.create_request(make_staff("marketing"), customer.id, "access")


def test_free_text_is_sealed_and_read_through_the_gate(officer: Any, customer: Customer) -> None:
    text = "我的手机号 13812345678 被泄露给了推销电话"
    req = services.create_request(officer, customer.id, "complaint", detail=text)
    raw = RightsRequest.objects.values_list("detail", flat=True).get(pk=req.pk)
    assert raw and text.encode() not in bytes(raw)
    assert services.texts(officer, req)["detail"] == text
    ev = AuditEvent.objects.filter(action=Action.CUSTOMER_READ, object_type="rights_request")
    assert ev.get().fields == {"detail": "plain"}


def test_free_text_keeps_chinese_punctuation(officer: Any, customer: Customer) -> None:
    """The customer's words are kept as written: full-width punctuation stays full-width
    (NFKC had turned ，（） into ASCII); a decomposed character is composed (NFC)."""
    text = "投诉：前台（张女士）把我的证件复印件放在台面上，没有收好。"
    req = services.create_request(officer, customer.id, "complaint", detail=text + "e\u0301")
    assert services.texts(officer, req)["detail"] == text + "\u00e9"


# -- erasure ---------------------------------------------------------------------------------------
def _sealed_values(cid: uuid.UUID) -> list[Any]:
    out = []
    for entity, model in ENTITY_MODELS.items():
        cols = [f.name for f in model._meta.get_fields() if isinstance(f, SealedField)]
        qs = model.objects.filter(**({"id": cid} if entity == "customer" else {"customer_id": cid}))  # type: ignore[attr-defined]
        out += [v for row in qs.values_list(*cols) for v in row]
    out += [
        v
        for row in RightsRequest.objects.filter(customer_id=cid).values_list("detail", "changes")
        for v in row
    ]
    return out


def test_completing_an_erase_request_shreds_and_certifies(
    api_client: Any, officer: Any, customer: Customer, django_capture_on_commit_callbacks: Any
) -> None:
    req = services.create_request(officer, customer.id, "erase", detail="please delete me")
    assert BlindIndexEntry.objects.filter(subject_id=customer.id).exists()
    with django_capture_on_commit_callbacks(execute=True):
        req = walk(officer, req, *DONE)
    customer.refresh_from_db()
    assert customer.erased_at is not None and customer.lineage == {}
    assert bytes(DataKey.objects.get(subject_id=customer.id).wrapped) == b""
    assert not BlindIndexEntry.objects.filter(subject_id=customer.id).exists()
    assert ShredJournal.objects.filter(subject_id=customer.id).exists()
    assert all(v is None for v in _sealed_values(customer.id))  # nothing decryptable left
    tomb = Tombstone.objects.get(customer_id=customer.id)
    cert = tomb.certificate
    assert cert["request_id"] == req.pk and "rights request" in cert["basis"]
    # every registered eraser reports what it cleared (participant contract)
    assert cert["destroyed"]["records"] == {
        "booking": 1,
        "stay": 1,
        "shipment": 0,
        "payment_method": 0,
        "rights_request": 1,
        "rights_restriction": 0,
        "portal_challenge": 0,
    }
    assert {h["entity"] for h in cert["retained"]} == {"booking", "stay"}
    assert all(h["columns"] for h in cert["retained"])
    assert req.outcome["certificate"] == cert["certificate_no"]
    # the gate answers 410, no search finds the customer, texts are gone
    cl, h = api_client("front_desk", "reception")
    assert cl.get(f"/api/v1/customers/{customer.id}", headers=h).status_code == 410
    for q in (
        {"phone": "13812345678"},
        {"name": "王小明"},
        {"email": "xiaoming@example.com"},
        {"id_number": "11010519491231002X"},
    ):
        assert cl.get("/api/v1/customers", q, headers=h).json()["total"] == 0
    with pytest.raises(Gone):
        gate.access_customer(officer, "rights_request", customer.id)
    assert services.texts(officer, RightsRequest.objects.get(pk=req.pk)) == {}
    # the journal file beside the keys has the erasure (for restores)
    lines = services.read_journal_file()
    assert [x["customer_id"] for x in lines] == [str(customer.id)]
    po, ph = api_client("privacy_officer")
    got = po.get(f"/api/v1/rights-requests/{req.pk}/certificate", headers=ph)
    assert got.status_code == 200 and got.json()["certificate_no"] == cert["certificate_no"]
    with pytest.raises(DatabaseError), transaction.atomic():
        Tombstone.objects.filter(pk=tomb.pk).delete()


def test_erasure_event_holds_no_values(officer: Any, customer: Customer) -> None:
    walk(officer, services.create_request(officer, customer.id, "erase"), *DONE)
    ev = AuditEvent.objects.get(action=Action.CUSTOMER_SHREDDED)
    blob = json.dumps([ev.fields, ev.detail], ensure_ascii=False)
    assert "王小明" not in blob and "13812345678" not in blob


def test_replay_erases_a_customer_that_a_restore_brought_back(
    officer: Any, customer: Customer, make_customer: Any
) -> None:
    """A restored backup predates an erasure: the journal entry makes it true again."""
    other = make_customer()
    services.append_journal(
        {"customer_id": str(customer.id), "erased_at": "2026-01-05T10:00:00+08:00", "basis": "b"}
    )
    out = services.replay_erasures(services.erasure_journal())
    assert out == {"journal": 1, "re_erased": 1}
    customer.refresh_from_db()
    assert customer.erased_at is not None
    assert all(v is None for v in _sealed_values(customer.id))
    assert Tombstone.objects.filter(customer_id=customer.id).exists()
    with pytest.raises(Gone):
        gate.access_customer(officer, "rights_request", customer.id)
    assert gate.access_customer(officer, "rights_request", other.id).fields["name"]
    assert services.replay_erasures(services.erasure_journal())["re_erased"] == 0  # idempotent


# -- restriction, rectification, withdrawal -----------------------------------------------------
def test_restriction_allows_only_rights_and_legal_reads(
    officer: Any, make_staff: Any, customer: Customer
) -> None:
    desk = make_staff("front_desk")
    walk(officer, services.create_request(desk, customer.id, "restrict", channel="store"), *DONE)
    with pytest.raises(Forbidden) as exc:
        gate.access_customer(desk, "reception", customer.id)
    assert exc.value.code == "customer_restricted"
    page = customers.search_customers(desk, "reception", {"phone": "13812345678"})
    assert page.total == 1 and page.results[0].fields == {}
    assert gate.access_customer(officer, "rights_request", customer.id).fields["name"] == "王小明"
    with pytest.raises(ValidationFailed):
        services.lift_restriction(officer, customer.id, "")
    services.lift_restriction(officer, customer.id, "accuracy confirmed")
    assert gate.access_customer(desk, "reception", customer.id).fields["name"] == "王小明"
    assert Restriction.objects.get().lifted_at is not None
    assert AuditEvent.objects.filter(action=Action.RESTRICTION_LIFTED).count() == 1


def test_rectification_applies_the_proposed_values(
    officer: Any, make_staff: Any, customer: Customer
) -> None:
    desk = make_staff("front_desk")
    req = services.create_request(
        desk, customer.id, "rectify", changes={"phone": "13900001111"}, channel="store"
    )
    raw = bytes(RightsRequest.objects.values_list("changes", flat=True).get(pk=req.pk))
    assert b"13900001111" not in raw
    with pytest.raises(ValidationFailed):
        services.create_request(desk, customer.id, "rectify", changes={"cvv": "123"})
    with pytest.raises(ValidationFailed):
        services.create_request(desk, customer.id, "rectify", changes={"phone": "12"})
    req = walk(officer, req, *DONE)
    assert req.outcome == {"fields_changed": ["phone"]}
    view = gate.access_customer(desk, "reception", customer.id)
    assert view.fields["phone"] == "+8613900001111"
    assert customers.search_customers(desk, "reception", {"phone": "13900001111"}).total == 1


def test_withdraw_consent_request(officer: Any, make_staff: Any, customer: Customer) -> None:
    desk = make_staff("front_desk")
    kw = {"channel": "store", "method": "signature", "staff_purpose": "reception"}
    consent.give(desk, customer.id, "marketing", **kw)
    consent.give(desk, customer.id, "profiling", **kw)
    req = services.create_request(desk, customer.id, "withdraw_consent", channel="call_center")
    req = walk(officer, req, *DONE)
    assert req.outcome == {"withdrawn": ["marketing", "profiling"]}
    assert not ConsentState.objects.filter(customer_id=customer.id, given=True).exists()
    mk = make_staff("marketing")
    assert gate.access_customer(mk, "marketing", customer.id).fields == {}


# -- the access copy ---------------------------------------------------------------------------
def test_access_copy_is_complete_and_names_roles_not_staff(
    officer: Any, make_staff: Any, customer: Customer
) -> None:
    desk = make_staff("front_desk")
    gate.access_customer(desk, "reception", customer.id)
    consent.give(
        desk,
        customer.id,
        "marketing",
        channel="store",
        method="signature",
        staff_purpose="reception",
    )
    req = walk(
        officer, services.create_request(officer, customer.id, "access"), "verified", "in_progress"
    )
    copy = services.access_copy(officer, customer.id)
    assert copy["profile"]["name"] == "王小明"
    assert copy["profile"]["id_number"] == "11010519491231002X"  # unmasked: it is theirs
    assert len(copy["records"]["booking"]) == 1 and copy["records"]["booking"][0]["fields"]
    assert copy["consents"]["history"][0]["purpose"] == "marketing"
    roles = {(a["role"], a["purpose"]) for a in copy["access_log"]["by_role"]}
    assert ("front_desk", "reception") in roles
    blob = json.dumps(copy, ensure_ascii=False)
    assert desk.username not in blob and officer.username not in blob
    assert copy["requests"][0]["id"] == req.pk
    walk(officer, req, "completed")
    assert AuditEvent.objects.filter(action=Action.RIGHTS_COPY).count() == 1


# -- the data subject in the gate -------------------------------------------------------------
def test_data_subject_reads_only_themself_under_rights_request(
    customer: Customer, make_customer: Any
) -> None:
    other = make_customer()
    me = gate.DataSubject(customer.id)
    view = gate.access_customer(me, "rights_request", customer.id)
    assert view.fields["id_number"] == "11010519491231002X" and not view.masked
    for purpose, cid in (("reception", customer.id), ("rights_request", other.id)):
        with pytest.raises(Forbidden):
            gate.access_customer(me, purpose, cid)
    with pytest.raises(Forbidden):
        gate.access_customers(me, "rights_request", [customer.id, other.id])
    denied = AuditEvent.objects.filter(action=Action.ACCESS_DENIED, actor_role="data_subject")
    assert denied.count() == 3


# -- API ----------------------------------------------------------------------------------------
def test_rights_api(api_client: Any, customer: Customer) -> None:
    cs, ch = api_client("customer_service", "customer_service")
    body = {
        "customer_id": str(customer.id),
        "kind": "complaint",
        "detail": "我的信息被泄露",
        "channel": "call_center",
    }
    r = cs.post("/api/v1/rights-requests", body, content_type="application/json", headers=ch)
    assert r.status_code == 201, r.content
    rid = r.json()["id"]
    assert r.json()["state"] == "received" and r.json()["sla"]["working_days_left"] > 0
    assert "detail" not in r.json()
    po, ph = api_client("privacy_officer", "rights_request")
    got = po.get(f"/api/v1/rights-requests/{rid}", headers=ph).json()
    assert got["detail"] == "我的信息被泄露" and got["transitions"][0]["to"] == "received"
    assert (
        cs.post(
            f"/api/v1/rights-requests/{rid}/transition",
            {"to": "verified"},
            content_type="application/json",
            headers=ch,
        ).status_code
        == 403
    )
    t = po.post(
        f"/api/v1/rights-requests/{rid}/transition",
        {"to": "refused"},
        content_type="application/json",
        headers=ph,
    )
    assert t.status_code == 422
    t = po.post(
        f"/api/v1/rights-requests/{rid}/transition",
        {"to": "verified"},
        content_type="application/json",
        headers=ph,
    )
    assert t.status_code == 200 and t.json()["state"] == "verified"
    assert po.get("/api/v1/rights-requests", headers=ph).json()[0]["id"] == rid
    bad = {**body, "kind": "sell_my_data"}
    assert (
        cs.post(
            "/api/v1/rights-requests", bad, content_type="application/json", headers=ch
        ).status_code
        == 422
    )
    gone = {**body, "customer_id": str(uuid.uuid4())}
    assert (
        cs.post(
            "/api/v1/rights-requests", gone, content_type="application/json", headers=ch
        ).status_code
        == 404
    )
    mk, mh = api_client("marketing", "marketing")
    assert (
        mk.post(
            "/api/v1/rights-requests", body, content_type="application/json", headers=mh
        ).status_code
        == 403
    )
    assert po.get("/api/v1/rights-requests/999999", headers=ph).status_code == 404
    assert cs.get(f"/api/v1/rights-requests/{rid}", headers=ch).json()["state"] == "verified"
    other, oh = api_client("customer_service", "customer_service")
    assert other.get(f"/api/v1/rights-requests/{rid}", headers=oh).status_code == 404


def test_erase_over_the_api_then_410(api_client: Any, customer: Customer) -> None:
    po, ph = api_client("privacy_officer", "rights_request")
    body = {"customer_id": str(customer.id), "kind": "erase"}
    rid = po.post(
        "/api/v1/rights-requests", body, content_type="application/json", headers=ph
    ).json()["id"]
    for to in DONE:
        r = po.post(
            f"/api/v1/rights-requests/{rid}/transition",
            {"to": to},
            content_type="application/json",
            headers=ph,
        )
        assert r.status_code == 200, r.content
    assert po.get(f"/api/v1/customers/{customer.id}", headers=ph).status_code == 410
    again = po.post("/api/v1/rights-requests", body, content_type="application/json", headers=ph)
    assert again.status_code == 410
    fields = {f.code for f in catalog.fields_of("customer")}
    assert fields == set(catalog.CUSTOMER_FIELDS)


def test_access_copy_over_the_api(api_client: Any, customer: Customer) -> None:
    po, ph = api_client("privacy_officer", "rights_request")
    rid = po.post(
        "/api/v1/rights-requests",
        {"customer_id": str(customer.id), "kind": "access"},
        content_type="application/json",
        headers=ph,
    ).json()["id"]
    assert po.get(f"/api/v1/rights-requests/{rid}/copy", headers=ph).status_code == 409
    for to in ("verified", "in_progress"):
        po.post(
            f"/api/v1/rights-requests/{rid}/transition",
            {"to": to},
            content_type="application/json",
            headers=ph,
        )
    copy = po.get(f"/api/v1/rights-requests/{rid}/copy", headers=ph).json()
    assert copy["profile"]["email"] == "xiaoming@example.com"
