"""Console pages for the security auditor: event search, a customer's access history, the
alert queue with its lifecycle, the checkpoint list. zh-Hans by default, English on
request; everyone else gets 403; no customer value ever appears."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from baomi import audit
from baomi.audit import checkpoints, monitoring
from baomi.audit.models import Action, Alert, AuditEvent, Checkpoint
from baomi.customers import gate

pytestmark = pytest.mark.django_db
CANARY = {"name": "甄金丝雀", "phone": "13912345678", "email": "canary.bird@example.com"}
PAGES = ["/audit/events/", "/audit/alerts/", "/audit/checkpoints/"]


def html(r: Any) -> str:
    return r.content.decode()


@pytest.fixture
def auditor(make_staff: Any) -> tuple[Client, Any]:
    staff = make_staff("security_auditor")
    c = Client()
    c.force_login(staff)
    return c, staff


@pytest.mark.parametrize("role", ["front_desk", "privacy_officer", "system_admin", "finance"])
def test_non_auditors_get_403(make_staff: Any, role: str) -> None:
    c = Client()
    c.force_login(make_staff(role))
    urls = [*PAGES, "/audit/customers/00000000-0000-0000-0000-000000000001/"]
    for url in urls:
        assert c.get(url).status_code == 403, url
    denied = AuditEvent.objects.filter(action=Action.ACCESS_DENIED, object_type="audit_log")
    assert denied.count() == len(urls)


def test_security_admin_works_alerts_but_not_the_log(make_staff: Any) -> None:
    c = Client()
    c.force_login(make_staff("security_admin"))
    assert c.get("/audit/alerts/").status_code == 200
    assert c.get("/audit/events/").status_code == 403


def test_anonymous_is_sent_to_sign_in() -> None:
    for url in PAGES:
        r = Client().get(url)
        assert r.status_code == 302 and "/login/" in r["Location"]


def test_event_search_in_chinese_and_english(auditor: Any, make_staff: Any) -> None:
    c, staff = auditor
    desk = make_staff("front_desk")
    audit.record(Action.CUSTOMER_READ, desk, object_type="customer", object_id="abc")
    body = html(c.get(f"/audit/events/?actor={desk.username}"))
    assert 'lang="zh-Hans"' in body and "审计事件日志" in body and "操作人" in body
    assert len(re.findall('data-testid="event-row"', body)) == 1
    assert "customer.read" in body
    c.post("/i18n/setlang/", {"language": "en", "next": "/audit/events/"})
    body = html(c.get("/audit/events/?action=customer.*"))
    assert "Audit event log" in body
    searched = AuditEvent.objects.filter(action=Action.AUDIT_SEARCHED, actor_id=staff.pk)
    assert searched.count() == 2
    assert searched.latest("seq").detail["filters"] == {"action": "customer.*"}


def test_customer_history_shows_who_when_why_never_values(
    auditor: Any, make_customer: Any, make_staff: Any
) -> None:
    c, _ = auditor
    customer = make_customer(**CANARY)
    desk = make_staff("front_desk")
    marketer = make_staff("customer_service")
    gate.access_customer(desk, "reception", customer.id)
    gate.access_customer(marketer, "customer_service", customer.id)
    r = c.get(f"/audit/customers/{customer.id}/")
    body = html(r)
    assert r.status_code == 200
    assert len(re.findall('data-testid="history-row"', body)) == 3  # created + 2 reads
    assert desk.username in body and marketer.username in body
    assert "reception" in body and "customer_service" in body
    assert "phone: " in body  # field treatments are shown
    for value in CANARY.values():
        assert value not in body
    # the events page links to it
    body = html(c.get(f"/audit/events/?customer={customer.id}"))
    assert f"/audit/customers/{customer.id}/" in body


def test_alert_queue_and_lifecycle(auditor: Any) -> None:
    c, _ = auditor
    [alert] = monitoring.raise_alerts(
        [monitoring.Finding("off_hours", "medium", "k", "read at 03:00", 9, "bob", 1)]
    )
    body = html(c.get("/audit/events/"))
    assert 'data-testid="unread"' in body  # the inbox badge
    body = html(c.get("/audit/alerts/"))
    assert "read at 03:00" in body and "告警队列" in body
    assert 'data-testid="unread"' not in html(c.get("/audit/events/"))  # now read
    url = f"/audit/alerts/{alert.pk}/"
    r = c.post(url, {"to": "closed", "note": ""})
    assert r.status_code == 422 and "关闭告警须填写说明" in html(r)
    assert c.post(url, {"to": "investigating"}).status_code == 302
    assert c.post(url, {"to": "closed", "note": "night shift, approved"}).status_code == 302
    alert.refresh_from_db()
    assert alert.state == "closed" and alert.closed_note == "night shift, approved"
    body = html(c.get(url))
    assert "night shift, approved" in body and 'data-testid="alert-history"' in body
    assert html(c.get("/audit/alerts/?state=closed")).count('data-testid="alert-row"') == 1
    assert Alert.objects.get().state == "closed"


def test_checkpoint_list_with_signature_and_consistency(auditor: Any) -> None:
    c, _ = auditor
    for i in range(5):
        audit.record(Action.CUSTOMER_READ, None, object_id=str(i))
    checkpoints.make_checkpoint()
    assert c.post("/audit/checkpoints/sign/").status_code == 302
    body = html(c.get("/audit/checkpoints/"))
    rows = re.findall('data-testid="checkpoint-row"', body)
    # 3: the log's first append signed one (it had none), then the two above
    assert len(rows) == 3 and "有效" in body and 'data-testid="verifier-key"' in body
    assert "无效" not in body
    cp = Checkpoint.objects.order_by("id").last()
    assert cp is not None
    r = c.get(f"/audit/checkpoints/{cp.pk}.txt")
    assert r.status_code == 200 and checkpoints.verify_note(r.content.decode()).tree_size == (
        cp.tree_size
    )
    assert AuditEvent.objects.filter(action=Action.AUDIT_CHECKPOINT).count() == 1
