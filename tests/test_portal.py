"""Self-service portal (R-F1, R-F2, R-B3): one-time code sign-in (6 digits, 10 minutes,
5 attempts, rate limits per address and IP, nothing stored in clear), then the data
subject's own data unmasked, a copy (JSON + HTML), correction, deletion, consents and
complaints — each a rights request, audited — and the privacy officer's console pages."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from baomi.audit.models import Action, AuditEvent
from baomi.consent.models import ConsentState
from baomi.core import clock
from baomi.customers.models import Customer
from baomi.portal import selectors as outbox
from baomi.portal import services
from baomi.portal.models import Challenge, OutboxMessage
from baomi.portal.senders import outbox_code
from baomi.rights.models import RequestState, RightsRequest

pytestmark = pytest.mark.django_db
PHONE = "13812345678"
FULL_ID = "11010519491231002X"


@pytest.fixture
def customer(make_customer: Any) -> Customer:
    return make_customer(
        name="王小明",
        phone=PHONE,
        email="xiaoming@example.com",
        id_type="cn_resident_id",
        id_number=FULL_ID,
        birth_date="1949-12-31",
        address="北京市朝阳区建国路88号",
    )


def visitor(ip: str = "203.0.113.7") -> Client:
    return Client(REMOTE_ADDR=ip)


def sign_in(c: Client, address: str = PHONE) -> None:
    r = c.post("/portal/", {"address": address})
    assert r.status_code == 302 and r["Location"].endswith("/portal/verify/")
    code = outbox.latest_code(OutboxMessage.objects.latest("id").destination_masked)
    assert code and re.fullmatch(r"\d{6}", code)
    r = c.post("/portal/verify/", {"code": code})
    assert r.status_code == 302 and r["Location"].endswith("/portal/me/"), r.content


@pytest.fixture
def me(customer: Customer) -> Client:
    c = visitor()
    sign_in(c)
    return c


@pytest.fixture
def officer_client(make_staff: Any) -> tuple[Client, Any]:
    staff = make_staff("privacy_officer")
    c = Client()
    c.force_login(staff)
    assert c.post("/purpose/", {"purpose": "rights_request"}).status_code == 302
    return c, staff


# -- sign-in --------------------------------------------------------------------------------
def test_code_is_sent_masked_and_never_stored_in_clear(customer: Customer) -> None:
    sent = services.request_code("138 1234 5678", "198.51.100.1")
    assert sent.destination_masked == "138****5678"
    msg = OutboxMessage.objects.get()
    assert (msg.destination_masked, msg.status, msg.sender) == ("138****5678", "sent", "outbox")
    code = outbox_code(msg.pk)
    assert code and len(code) == 6
    ch = Challenge.objects.get()
    stored = json.dumps(
        list(Challenge.objects.values().get().values())
        + list(OutboxMessage.objects.values().get().values()),
        default=str,
    )
    assert code not in stored.replace(ch.code_digest, "") and PHONE not in stored
    assert ch.expires_at - ch.created_at == timedelta(minutes=10)
    ev = AuditEvent.objects.get(action=Action.PORTAL_CODE_SENT)
    assert ev.object_id == str(customer.id) and PHONE not in json.dumps(ev.detail)


def test_unknown_address_gets_the_same_answer_and_no_message(customer: Customer) -> None:
    c = visitor()
    r = c.post("/portal/", {"address": "13900009999"})
    assert r.status_code == 302
    assert "139****9999" in c.get("/portal/verify/").content.decode()
    assert not OutboxMessage.objects.exists()
    r = c.post("/portal/verify/", {"code": "123456"})
    assert r.status_code == 400


def test_invalid_address_is_refused(customer: Customer) -> None:
    r = visitor().post("/portal/", {"address": "not-a-phone"})
    assert r.status_code == 422 and "请输入手机号码或电子邮箱" in r.content.decode()
    assert not Challenge.objects.exists()


def test_sign_in_and_see_own_data_unmasked(me: Client, customer: Customer) -> None:
    page = me.get("/portal/me/").content.decode()
    assert FULL_ID in page and "王小明" in page and "北京市朝阳区建国路88号" in page
    ev = AuditEvent.objects.filter(action=Action.CUSTOMER_READ, actor_role="data_subject")
    assert ev.filter(purpose="rights_request", object_id=str(customer.id)).exists()
    assert AuditEvent.objects.filter(action=Action.PORTAL_SIGNED_IN).count() == 1
    r = me.post("/portal/sign-out/")
    assert r.status_code == 302
    assert me.get("/portal/me/").status_code == 302


def test_five_wrong_codes_burn_the_code(customer: Customer) -> None:
    c = visitor()
    c.post("/portal/", {"address": PHONE})
    good = outbox_code(OutboxMessage.objects.get().pk)
    wrong = "000000" if good != "000000" else "111111"
    for i in range(5):
        r = c.post("/portal/verify/", {"code": wrong})
        assert r.status_code == 400
    r = c.post("/portal/verify/", {"code": good})
    assert r.status_code == 400 and "/portal/me/" not in r.get("Location", "")
    assert Challenge.objects.get().attempts == 5
    assert AuditEvent.objects.filter(action=Action.PORTAL_SIGN_IN_FAILED).count() == 6


def test_code_expires_after_ten_minutes(
    customer: Customer, monkeypatch: pytest.MonkeyPatch
) -> None:
    c = visitor()
    c.post("/portal/", {"address": PHONE})
    code = outbox_code(OutboxMessage.objects.get().pk)
    later = timezone.now() + timedelta(minutes=11)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert c.post("/portal/verify/", {"code": code}).status_code == 400


def test_a_code_works_once(customer: Customer) -> None:
    c = visitor()
    c.post("/portal/", {"address": PHONE})
    token = Challenge.objects.get().token
    code = outbox_code(OutboxMessage.objects.get().pk)
    assert services.verify_code(token, code, "1.2.3.4").customer_id == customer.id
    with pytest.raises(services.CodeRejected):
        services.verify_code(token, code, "1.2.3.4")


def test_rate_limits_per_address_and_per_ip(customer: Customer, settings: Any) -> None:
    settings.BAOMI_PORTAL_CODES_PER_ADDRESS = 3
    settings.BAOMI_PORTAL_CODES_PER_ADDRESS_ALL_IPS = 5
    settings.BAOMI_PORTAL_CODES_PER_IP = 5
    for _ in range(3):  # someone who knows the customer's number, from one network
        services.request_code(PHONE, "203.0.113.7")
    with pytest.raises(services.RateLimited):
        services.request_code(PHONE, "203.0.113.7")
    # ... has not used up the customer's own requests from another network
    services.request_code(PHONE, "10.0.0.1")
    services.request_code(PHONE, "10.0.0.2")
    # but one address receives at most 5 codes an hour, whoever asks (SMS flooding)
    with pytest.raises(services.RateLimited):
        services.request_code(PHONE, "10.0.0.3")
    r = visitor("10.0.0.9").post("/portal/", {"address": PHONE})
    assert r.status_code == 429
    for i in range(2):
        services.request_code(f"1390000000{i}", "192.0.2.1")
    # the IP limit counts every address asked from it (5 per hour here)
    for i in range(3):
        services.request_code(f"1370000000{i}", "192.0.2.1")
    with pytest.raises(services.RateLimited):
        services.request_code("13600000000", "192.0.2.1")
    assert (
        AuditEvent.objects.filter(action=Action.PORTAL_CODE_REFUSED, outcome="denied").count() >= 2
    )


def test_behind_the_proxy_limits_count_each_visitor_not_the_proxy(
    customer: Customer, settings: Any
) -> None:
    """Behind the TLS proxy every request comes from the proxy's address: the per-IP limits
    must count the client address the trusted proxy forwards, or one visitor stops code
    requests for everyone."""
    settings.BAOMI_PROXY_COUNT = 1
    settings.BAOMI_PORTAL_CODES_PER_IP = 2

    def ask(client_ip: str) -> int:
        c = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=f"198.51.100.9, {client_ip}")
        return c.post("/portal/", {"address": "13900000001"}).status_code

    assert [ask("203.0.113.1") for _ in range(3)] == [302, 302, 429]  # 2 an hour each
    assert ask("203.0.113.2") == 302  # another visitor through the same proxy is not held up
    # without BAOMI_PROXY_COUNT the forwarded header is not trusted (a client could forge
    # it): every visitor is the proxy's one address, so they share one allowance
    settings.BAOMI_PROXY_COUNT = 0
    assert [ask(f"203.0.113.{i}") for i in (3, 4, 5)] == [302, 302, 429]


def test_email_sign_in(customer: Customer) -> None:
    c = visitor()
    sign_in(c, "XiaoMing@Example.com")
    assert OutboxMessage.objects.get().destination_masked == "x***@example.com"


# -- self-service actions ----------------------------------------------------------------------
def test_download_copy_json_and_html(me: Client, customer: Customer) -> None:
    r = me.get("/portal/me/copy.json")
    assert r.status_code == 200 and "attachment" in r["Content-Disposition"]
    copy = json.loads(r.content)
    assert copy["profile"]["id_number"] == FULL_ID and copy["format"] == "baomi.access-copy/1"
    h = me.get("/portal/me/copy.html")
    assert h.status_code == 200 and FULL_ID in h.content.decode()
    reqs = RightsRequest.objects.filter(customer_id=customer.id, kind="access")
    assert reqs.count() == 2 and all(r.state == RequestState.COMPLETED for r in reqs)
    assert all(r.via == "portal" for r in reqs)
    assert (
        AuditEvent.objects.filter(action=Action.RIGHTS_COPY, actor_role="data_subject").count() == 2
    )


def test_consents_from_the_portal(me: Client, customer: Customer) -> None:
    r = me.post("/portal/me/consents/", {"purpose": "marketing", "decision": "give"})
    assert r.status_code == 302
    assert ConsentState.objects.get(customer_id=customer.id, purpose="marketing").given
    me.post("/portal/me/consents/", {"purpose": "marketing", "decision": "withdraw"})
    assert not ConsentState.objects.get(customer_id=customer.id, purpose="marketing").given
    req = RightsRequest.objects.get(customer_id=customer.id, kind="withdraw_consent")
    assert req.state == RequestState.COMPLETED and req.outcome == {"withdrawn": ["marketing"]}
    page = me.get("/portal/me/").content.decode()
    assert 'data-testid="give-marketing"' in page


def test_rectify_complaint_and_erasure_requests(me: Client, customer: Customer) -> None:
    me.post(
        "/portal/me/rectify/",
        {"name": "王小明", "phone": "13900001111", "email": "", "address": "", "detail": ""},
    )
    rect = RightsRequest.objects.get(kind="rectify")
    assert rect.state == RequestState.VERIFIED and rect.via == "portal"
    me.post("/portal/me/complaint/", {"detail": "有人用我的信息注册了会员"})
    comp = RightsRequest.objects.get(kind="complaint")
    assert comp.state == RequestState.VERIFIED
    r = me.post("/portal/me/erase/", {"detail": ""})  # no confirmation: nothing filed
    assert not RightsRequest.objects.filter(kind="erase").exists()
    r = me.post("/portal/me/erase/", {"detail": "不再使用", "confirm": "yes"})
    assert r.status_code == 302
    me.post("/portal/me/erase/", {"confirm": "yes"})  # a second click files nothing new
    erase = RightsRequest.objects.get(kind="erase")
    assert erase.state == RequestState.VERIFIED
    page = me.get("/portal/me/").content.decode()
    assert 'data-testid="erase-pending"' in page and 'data-kind="rectify"' in page


def test_officer_completes_a_portal_erasure_in_the_console(
    me: Client, customer: Customer, officer_client: Any
) -> None:
    me.post("/portal/me/erase/", {"confirm": "yes", "detail": "please"})
    req = RightsRequest.objects.get(kind="erase")
    oc, _ = officer_client
    dash = oc.get("/rights/").content.decode()
    assert f'data-id="{req.pk}"' in dash and 'data-testid="consent-kpi"' in dash
    detail = oc.get(f"/rights/{req.pk}/").content.decode()
    assert "please" in detail and 'data-testid="to-in_progress"' in detail
    for to in ("in_progress", "completed"):
        r = oc.post(f"/rights/{req.pk}/transition/", {"to": to})
        assert r.status_code == 302
    req.refresh_from_db()
    assert req.state == RequestState.COMPLETED
    cert = oc.get(f"/rights/{req.pk}/certificate/").content.decode()
    assert 'data-testid="certificate-no"' in cert
    assert me.get("/portal/me/").status_code == 410
    r = visitor("203.0.113.99").post("/portal/", {"address": PHONE})
    assert r.status_code == 302 and not Challenge.objects.filter(customer__isnull=False).exists()


def test_request_text_needs_the_rights_request_purpose(me: Client, make_staff: Any) -> None:
    me.post("/portal/me/complaint/", {"detail": "前台把我的房号告诉了陌生人"})
    req = RightsRequest.objects.get(kind="complaint")
    c = Client()
    c.force_login(make_staff("privacy_officer"))
    page = c.get(f"/rights/{req.pk}/").content.decode()
    assert 'data-testid="need-rights-purpose"' in page and "房号" not in page
    c.post("/purpose/", {"purpose": "investigation"})
    assert "房号" not in c.get(f"/rights/{req.pk}/").content.decode()
    c.post("/purpose/", {"purpose": "rights_request"})
    assert "前台把我的房号告诉了陌生人" in c.get(f"/rights/{req.pk}/").content.decode()
    read = AuditEvent.objects.filter(action=Action.CUSTOMER_READ, object_type="rights_request")
    assert read.get().purpose == "rights_request"


def test_console_refusal_needs_a_reason(me: Client, officer_client: Any) -> None:
    me.post("/portal/me/complaint/", {"detail": "x"})
    req = RightsRequest.objects.get(kind="complaint")
    oc, _ = officer_client
    oc.post(f"/rights/{req.pk}/transition/", {"to": "refused"})
    req.refresh_from_db()
    assert req.state == RequestState.VERIFIED
    oc.post(f"/rights/{req.pk}/transition/", {"to": "refused", "reason": "not a privacy matter"})
    req.refresh_from_db()
    assert req.state == RequestState.REFUSED
    page = me.get("/portal/me/").content.decode()
    assert "not a privacy matter" in page


def test_console_pages_are_for_the_privacy_officer(make_staff: Any, customer: Customer) -> None:
    c = Client()
    c.force_login(make_staff("front_desk"))
    assert c.get("/rights/").status_code == 403
    assert c.get("/rights/outbox/").status_code == 403
    r = c.post(
        "/rights/new/", {"customer_id": str(customer.id), "kind": "access", "channel": "store"}
    )
    assert r.status_code == 302  # front desk may enter a counter request
    assert RightsRequest.objects.get().via == "console"
    assert Client().get("/rights/").status_code == 302  # sign in first


def test_outbox_page_shows_masked_rows_and_valid_codes(
    customer: Customer, officer_client: Any
) -> None:
    services.request_code(PHONE, "10.1.1.1")
    code = outbox_code(OutboxMessage.objects.get().pk)
    oc, _ = officer_client
    page = oc.get("/rights/outbox/").content.decode()
    assert "138****5678" in page and f">{code}<" in page and PHONE not in page


def test_console_access_copy_for_an_access_request(customer: Customer, officer_client: Any) -> None:
    from baomi.rights import services as rights

    oc, officer = officer_client
    req = rights.create_request(officer, customer.id, "access", channel="call_center")
    for to in ("verified", "in_progress"):
        oc.post(f"/rights/{req.pk}/transition/", {"to": to})
    r = oc.get(f"/rights/{req.pk}/copy.html")
    assert r.status_code == 200 and FULL_ID in r.content.decode()
    assert json.loads(oc.get(f"/rights/{req.pk}/copy.json").content)["profile"]["name"] == "王小明"


def test_portal_speaks_english(customer: Customer) -> None:
    c = visitor()
    c.post("/i18n/setlang/", {"language": "en", "next": "/portal/"})
    page = c.get("/portal/").content.decode()
    assert "Send me a code" in page and 'lang="en"' in page
    zh = visitor().get("/portal/").content.decode()
    assert "获取验证码" in zh and 'name="viewport"' in zh


def test_chinese_pages_have_no_english_sentences(
    me: Client, customer: Customer, officer_client: Any
) -> None:
    me.post("/portal/me/erase/", {"confirm": "yes"})
    me.post("/portal/me/consents/", {"purpose": "marketing", "decision": "give"})
    req = RightsRequest.objects.get(kind="erase")
    oc, _ = officer_client
    english = re.compile(r">\s*[A-Z][a-z]+(?: [a-z]+){2,}[^<]*<")
    pages = [(me, "/portal/me/"), (me, "/privacy"), (visitor(), "/portal/")]
    pages += [
        (oc, p) for p in ("/rights/", f"/rights/{req.pk}/", "/rights/outbox/", "/rights/new/")
    ]
    for c, path in pages:
        body = re.sub(
            r"<(script|style)[^>]*>.*?</\1>", "", c.get(path).content.decode(), flags=re.S
        )
        assert not english.findall(body), (path, english.findall(body)[:3])


def test_consent_is_asked_neutrally_and_a_refusal_is_not_a_withdrawal(
    me: Client, customer: Customer, make_staff: Any
) -> None:
    """Issue #17 §5: a question never answered offers "agree" and "refuse" alike (no primary
    button); a "no" never preceded by a "yes" — at the counter or here — shows as refused,
    in the portal and in the access copy; a "no" after a "yes" is a withdrawal."""
    from baomi.consent import services as consent

    page = me.get("/portal/me/").content.decode()
    give = page.split('data-testid="give-marketing"')[0].rsplit("<button", 1)[1]
    refuse = page.split('data-testid="refuse-marketing"')[0].rsplit("<button", 1)[1]
    assert 'class="secondary"' in give and 'class="secondary"' in refuse
    desk = make_staff("front_desk")
    consent.record(
        desk,
        customer.id,
        "profiling",
        False,
        channel="store",
        method="signature",
        staff_purpose="reception",
    )
    r = me.post("/portal/me/consents/", {"purpose": "partner_sharing", "decision": "refuse"})
    assert r.status_code == 302
    assert not RightsRequest.objects.filter(kind="withdraw_consent").exists()  # not a withdrawal
    me.post("/portal/me/consents/", {"purpose": "marketing", "decision": "give"})
    me.post("/portal/me/consents/", {"purpose": "marketing", "decision": "withdraw"})
    page = me.get("/portal/me/").content.decode()

    def state(purpose: str) -> str:
        item = page.split(f'data-purpose="{purpose}"')[1]
        return item.split('data-testid="consent-state">')[1].split("<")[0]

    assert state("profiling") == "已拒绝" and state("partner_sharing") == "已拒绝"
    assert state("marketing") == "已撤回"
    copy = me.get("/portal/me/copy.html").content.decode()
    assert "已拒绝" in copy and "已撤回" in copy
