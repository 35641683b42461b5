"""The feedback pages (issue #15): the customer-service queue with due badges, a ticket
(text through the gate, moves), staff intake at the counter, the customer-360 panel for
roles that see tickets, standards and survey results for managers; in the portal the
customer's own tickets (file, read the answer, rate)."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client
from django.urls import reverse

from baomi.audit.models import AuditEvent
from baomi.feedback.models import Ticket
from baomi.feedback.services import tickets
from baomi.portal import selectors as outbox
from baomi.portal.models import OutboxMessage

PHONE = "13812345678"


def _ticket(make_staff: Any, customer: Any = None, **over: Any) -> Any:
    body = {"channel": "call_center", "kind": "complaint", "topic": "stay", "text": "空调坏了"}
    body.update(over)
    return tickets.receive(make_staff("customer_service"), customer_id=customer, **body)


def test_the_queue_shows_due_badges_and_the_ticket_page_reads_through_the_gate(
    staff_client: Any, make_staff: Any, make_customer: Any
) -> None:
    guest = make_customer()
    t = _ticket(make_staff, guest.id)
    c, staff = staff_client("customer_service", "customer_service")
    r = c.get("/feedback/")
    html = r.content.decode()
    assert r.status_code == 200 and 'data-testid="feedback-queue"' in html
    assert 'data-testid="due-first"' in html and ("计时中" in html or "on time" in html)
    assert "complaint" not in html.split("<tbody>")[1]  # labels, not codes
    assert "空调" not in html  # no text in the queue
    r = c.get(f"/feedback/{t.pk}/")
    assert r.status_code == 200 and "空调坏了" in r.content.decode()
    assert AuditEvent.objects.filter(
        action="customer.read", object_id=str(t.pk), actor_id=staff.pk
    ).exists()
    r = c.post(f"/feedback/{t.pk}/move/", {"to": "in_progress", "text": "已安排工程部"})
    assert r.status_code == 302
    assert Ticket.objects.get(pk=t.pk).state == "in_progress"
    # the customer 360 page lists the ticket for customer service
    r = c.get(f"/customers/{guest.id}/")
    assert r.status_code == 200 and 'data-testid="feedback-panel"' in r.content.decode()
    assert 'data-testid="panel-ticket"' in r.content.decode()


def test_the_front_desk_records_feedback_but_sees_no_queue(staff_client: Any) -> None:
    c, _ = staff_client("front_desk", "reception")
    assert c.get("/feedback/").status_code == 403
    r = c.get("/feedback/new/")
    assert r.status_code == 200
    r = c.post(
        "/feedback/new/",
        {"channel": "counter", "kind": "praise", "topic": "service", "text": "服务好"},
    )
    assert r.status_code == 302
    t = Ticket.objects.get()
    assert (t.channel, t.customer_id, t.created_by_role) == ("counter", None, "front_desk")
    r = c.post(
        "/feedback/new/",
        {"channel": "fax", "kind": "praise", "topic": "service", "text": "x"},
        follow=True,
    )
    assert "渠道无效" in r.content.decode() or "channel must be" in r.content.decode()


def test_standards_and_survey_pages_for_managers(staff_client: Any) -> None:
    c, _ = staff_client("manager")
    assert c.get("/feedback/quality/").status_code == 200
    assert c.get("/feedback/surveys/?by=site").status_code == 200
    c2, _ = staff_client("courier", "delivery")
    assert c2.get("/feedback/quality/").status_code == 403


def _portal(make_customer: Any) -> tuple[Client, Any]:
    guest = make_customer(phone=PHONE)
    c = Client(REMOTE_ADDR="203.0.113.9")
    r = c.post("/portal/", {"address": PHONE})
    assert r.status_code == 302
    code = outbox.latest_code(OutboxMessage.objects.latest("id").destination_masked)
    assert code and re.fullmatch(r"\d{6}", code)
    assert c.post("/portal/verify/", {"code": code}).status_code == 302
    return c, guest


def test_the_customer_files_reads_the_answer_and_rates_in_the_portal(
    make_customer: Any, make_staff: Any
) -> None:
    c, guest = _portal(make_customer)
    r = c.post(
        "/feedback/mine/", {"kind": "complaint", "topic": "delivery", "text": "快递迟到两天"}
    )
    assert r.status_code == 302
    t = Ticket.objects.get()
    assert (t.customer_id, t.channel) == (guest.id, "portal")
    agent = make_staff("customer_service")
    tickets.transition(agent, t.pk, "in_progress", text="已催促网点")
    tickets.transition(agent, t.pk, "resolved", text="已送达并致歉")
    tickets.transition(agent, t.pk, "closed")
    html = c.get("/feedback/mine/").content.decode()
    assert "已催促网点" in html and 'data-testid="mine-rate"' in html
    assert c.post(f"/feedback/mine/{t.pk}/rating/", {"score": "5"}).status_code == 302
    assert Ticket.objects.get(pk=t.pk).rating == 5
    copy = c.get(reverse("portal:copy_html")).content.decode()
    assert 'data-testid="copy-feedback"' in copy and "已送达并致歉" in copy
    # someone else's ticket is not theirs
    other = _ticket(make_staff, make_customer().id)
    c.post(f"/feedback/mine/{other.pk}/rating/", {"score": "1"})
    assert Ticket.objects.get(pk=other.pk).rating is None


def test_the_portal_pages_need_a_sign_in() -> None:
    r = Client().get("/feedback/mine/")
    assert r.status_code == 302 and "/portal/" in r["Location"]


def test_the_privacy_officer_sees_the_outbox_with_a_live_survey_link(
    staff_client: Any, make_staff: Any, make_customer: Any
) -> None:
    from baomi.consent import services as consent
    from baomi.contract import kpis
    from baomi.customers import gate
    from baomi.feedback import messages as delivery
    from baomi.feedback.services import surveys

    officer = make_staff("privacy_officer")
    s = surveys.create(
        officer,
        code="H-PRIV",
        title_zh="隐私满意度",
        title_en="Privacy satisfaction",
        scope="privacy",
        period=kpis.current_period(kpis.HALF).code,
        questions=[{"code": "overall", "kind": "scale", "text_zh": "总体", "text_en": "Overall"}],
    )
    p = make_customer()
    consent.give(gate.DataSubject(p.id), p.id, "marketing", channel="web", method="checkbox")
    delivery.deliver_links(surveys.send(officer, s.pk, [{"customer_id": str(p.id)}]))
    c, _ = staff_client("privacy_officer", "rights_request")
    html = c.get("/feedback/outbox/").content.decode()
    assert 'data-testid="outbox-link"' in html
    link = re.search(r'href="(/feedback/survey/[^"]+/)" data-testid="outbox-link"', html)
    assert link and Client().get(link.group(1)).status_code == 200
    c2, _ = staff_client("customer_service", "customer_service")
    assert c2.get("/feedback/outbox/").status_code == 403


def test_teams_are_set_through_the_api(api_client: Any) -> None:
    c, h = api_client("manager")
    body = {
        "code": "night",
        "name_zh": "夜班",
        "name_en": "Night desk",
        "hours": "office",
        "shifts": [["09:00", "12:00"], ["11:00", "13:00"]],
    }
    r = c.post("/api/v1/feedback-teams", body, content_type="application/json", headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "shifts_invalid"
    body["shifts"] = [["09:00", "12:00"], ["13:00", "18:00"]]
    r = c.post("/api/v1/feedback-teams", body, content_type="application/json", headers=h)
    assert r.status_code == 200 and r.json()["hours"] == "office"
