"""Customer notices (R-H2): generated zh/en, prepared through the gate, sealed at rest,
sent through the outbox sender, every delivery recorded; drills reach nobody."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from baomi.access.enums import Role
from baomi.audit.models import AuditEvent
from baomi.core import clock
from baomi.customers import gate
from baomi.incidents import notices, scoping, services
from baomi.incidents.enums import NoticeStatus
from baomi.incidents.models import Notice, NoticeDelivery

TEXTS = {
    "notice_what": "一名员工账号在 3 月 2 日被他人盗用并查询了客户资料。",
    "notice_measures": "已停用该账号、重置全部密码并报告网信部门。",
    "notice_advice": "请警惕冒充本公司的电话和短信，不要透露验证码。",
    "notice_contact": "隐私保护办公室 400-000-0000",
}


@pytest.fixture
def scoped_case(make_customer: Any, make_staff: Any, open_case: Any, officer: Any) -> Any:
    def make(drill: bool = False, n: int = 3, **customer: Any) -> tuple[Any, list[Any]]:
        people = [make_customer(**customer) for _ in range(n)]
        suspect = make_staff(Role.FRONT_DESK)
        for p in people:
            gate.access_customer(suspect, "reception", p.id, related=False)
        inc = open_case(drill=drill, title="Account misuse")
        now = clock.now()
        params = scoping.account_params(
            suspect.pk, now - timedelta(hours=1), now + timedelta(seconds=1)
        )
        scoping.scope_incident(officer, inc.pk, scoping.ScopeMethod.ACCOUNT, params)
        services.set_notice_texts(officer, inc.pk, **TEXTS)
        return inc, people

    return make


def test_notices_are_prepared_sealed_sent_and_recorded(
    scoped_case: Any, officer: Any, api_client: Any, synth: Any
) -> None:
    inc, people = scoped_case()
    c, h = api_client("privacy_officer")
    r = c.post(f"/api/v1/incidents/{inc.pk}/notices/prepare", headers=h)
    assert r.status_code == 200, r.content
    assert r.json() == {"prepared": 3, "no_address": 0, "drill": 0, "skipped": 0}
    rows = list(Notice.objects.filter(incident=inc))
    assert len(rows) == 3 and all(n.status == NoticeStatus.PREPARED for n in rows)
    # sealed at rest: the stored body is ciphertext, not the text (which names the customer)
    view = gate.access_customer(officer, "investigation", people[0].id, related=False)
    n0 = next(n for n in rows if n.customer_id == people[0].id)
    assert view.fields["name"].encode() not in bytes(n0.body)
    text = notices.open_notice(officer, n0)
    assert view.fields["name"] in text and TEXTS["notice_what"] in text
    assert "涉及您的信息：" in text and "姓名" in text  # which of *their* data
    assert "***" in n0.destination_masked or "*" in n0.destination_masked
    # preparing read the contact points through the gate (audited under investigation)
    reads = AuditEvent.objects.filter(
        action="customer.read", purpose="investigation", object_type="customer"
    ).exclude(actor_id=officer.pk)
    assert reads.count() == 3  # by the officer who prepared them (through the API)
    r = c.post(f"/api/v1/incidents/{inc.pk}/notices/send", headers=h)
    assert r.status_code == 200 and r.json() == {"sent": 3, "failed": 0, "drill": 0}
    assert set(Notice.objects.filter(incident=inc).values_list("status", flat=True)) == {"sent"}
    assert (
        NoticeDelivery.objects.filter(notice__incident=inc, sender="outbox", status="sent").count()
        == 3
    )
    assert AuditEvent.objects.filter(action="incident.notice_sent").count() == 3
    # with every notice sent, the case can move to notified: the 72 h clock stops
    for to in ("triaged", "contained", "notified"):
        services.transition(officer, inc.pk, to)
    inc.refresh_from_db()
    from baomi.incidents import clocks

    assert clocks.customer_notice(inc, clock.now()).status == "met"


def test_language_follows_nationality(scoped_case: Any, officer: Any) -> None:
    inc, _ = scoped_case(n=1, nationality="GB")
    notices.prepare(officer, inc.pk)
    n = Notice.objects.get(incident=inc)
    assert n.lang == "en"
    text = notices.open_notice(officer, n)
    assert text.startswith("Dear ") and "What happened:" in text and inc.reference in text


def test_a_failing_sender_is_recorded_and_retried(
    scoped_case: Any, officer: Any, settings: Any
) -> None:
    settings.BAOMI_PORTAL_SENDER = "baomi.portal.senders.SmtpSender"
    settings.BAOMI_PORTAL_SMS_SENDER = "baomi.portal.senders.SmsSender"  # no gateway set up
    inc, _ = scoped_case(n=2)
    notices.prepare(officer, inc.pk)
    out = notices.send(officer, inc.pk)
    assert out.sent == 0 and out.failed == 2
    assert set(NoticeDelivery.objects.values_list("error", flat=True)) == {"NotImplementedError"}
    settings.BAOMI_PORTAL_SENDER = "baomi.portal.senders.OutboxSender"
    assert notices.send(officer, inc.pk).sent == 2  # the failed ones go again
    assert NoticeDelivery.objects.count() == 4


def test_drills_never_reach_real_customers(
    scoped_case: Any, officer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    inc, _ = scoped_case(drill=True)
    before = AuditEvent.objects.filter(actor_id=officer.pk, action="customer.read").count()

    def boom(*a: Any, **k: Any) -> None:
        raise AssertionError("a drill handed a notice to a sender")

    monkeypatch.setattr(notices, "_deliver", boom)
    monkeypatch.setattr(notices, "get_sender", boom)
    out = notices.prepare(officer, inc.pk)
    assert out.drill == 3 and out.prepared == 0
    assert all(n.body is None and n.status == "drill" for n in Notice.objects.filter(incident=inc))
    sent = notices.send(officer, inc.pk)
    assert sent.drill == 3 and sent.sent == 0
    assert set(NoticeDelivery.objects.values_list("sender", "status")) == {("drill", "drill")}
    # no contact point of a real customer was read for the drill
    after = AuditEvent.objects.filter(actor_id=officer.pk, action="customer.read").count()
    assert after == before


def test_preparing_needs_texts_and_a_scope(open_case: Any, officer: Any) -> None:
    from baomi.core.errors import Conflict, ValidationFailed

    inc = open_case()
    with pytest.raises(ValidationFailed):
        notices.prepare(officer, inc.pk)
    services.set_notice_texts(officer, inc.pk, **TEXTS)
    with pytest.raises(Conflict) as e:
        notices.prepare(officer, inc.pk)
    assert e.value.code == "scope_empty"
    assert not Notice.objects.exists()


def test_erasure_access_copy_and_retention(scoped_case: Any, officer: Any, at_time: Any) -> None:
    inc, people = scoped_case(n=2)
    notices.prepare(officer, inc.pk)
    notices.send(officer, inc.pk)
    copy = notices.copy_for(officer, people[0].id)
    assert len(copy) == 1 and copy[0]["incident"] == inc.reference
    assert TEXTS["notice_what"] in copy[0]["text"]
    assert notices.erase_customer(people[0].id) == 1
    assert Notice.objects.get(customer_id=people[0].id).body is None
    assert notices.copy_for(officer, people[0].id)[0]["text"] == ""
    for to in ("triaged", "contained", "notified", "closed"):
        services.transition(officer, inc.pk, to)
    later = clock.now() + timedelta(days=notices.RETENTION_DAYS + 1)
    assert notices.expire(clock.now()) == 0
    assert notices.expire(later, dry_run=True) == 1
    assert notices.expire(later) == 1 and not Notice.objects.filter(body__isnull=False).exists()
