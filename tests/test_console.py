"""The staff console (Django test client): sign-in, purpose, search, 360 view, new customer.

R-A4 (360 view as the role allows), R-C4 (no CVV), R-D1/R-D2/R-D4 (least privilege, the
administrator roles never read customer data), R-E1 (sign-in, purpose and denials audited),
zh-Hans by default with English on request.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from django.test import Client

from baomi.access.services import create_staff_with_mfa
from baomi.audit.models import Action, AuditEvent, Outcome
from baomi.customers import services
from baomi.customers.models import Customer, PaymentMethod
from conftest import PASSWORD, current_otp

pytestmark = pytest.mark.django_db

FULL_ID = "11010519491231002X"
MASKED_ID = "****002X"
NAME = "王小明"
PHONE = "13812345678"
ADDRESS = "北京市朝阳区建国路88号"
RECIPIENT = {
    "sender_name": "赵六",
    "sender_phone": "13700002222",
    "sender_address": "广州市天河区体育西路1号",
    "recipient_name": "李四",
    "recipient_phone": "13900001111",
    "recipient_address": "上海市徐汇区漕溪北路1号",
    "item_type": "文件",
}


def html(response: Any) -> str:
    return response.content.decode()


def events(action: Action, **filters: Any) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action, **filters).order_by("seq"))


@pytest.fixture
def customer(make_customer: Any) -> Customer:
    return make_customer(
        name=NAME,
        phone=PHONE,
        id_type="cn_resident_id",
        id_number=FULL_ID,
        birth_date="1949-12-31",
        address=ADDRESS,
        preferences={"language": "en", "meal": "vegetarian"},
    )


@pytest.fixture
def with_records(customer: Customer, make_staff: Any, synth: Any) -> Customer:
    desk = make_staff("front_desk")
    services.add_record(desk, "reception", customer.id, "booking", synth.booking())
    services.add_record(desk, "reception", customer.id, "stay", synth.stay())
    services.add_record(desk, "reception", customer.id, "shipment", RECIPIENT)
    return customer


# -- sign-in and sign-out ---------------------------------------------------------------
def test_login_page_is_chinese_by_default(client: Client) -> None:
    r = client.get("/login/")
    assert r.status_code == 200
    body = html(r)
    assert 'lang="zh-Hans"' in body
    assert "员工登录" in body and "Staff sign-in" not in body


def test_login_success_is_audited_and_lands_on_the_purpose_choice(db: Any) -> None:
    staff = create_staff_with_mfa(None, "desk_login", "front_desk", PASSWORD).staff
    c = Client()
    r = c.post("/login/", {"username": staff.username, "password": PASSWORD})
    assert r.status_code == 302 and r["Location"] == "/login/code/"
    assert not events(Action.LOGIN)  # the password alone signs nobody in
    r = c.post("/login/code/", {"code": current_otp(staff)})
    assert r.status_code == 302 and r["Location"] == "/"
    [ev] = events(Action.LOGIN, actor_id=staff.pk)
    assert ev.detail == {"via": "console", "mfa": "totp"}
    body = html(c.get("/"))
    assert 'data-testid="purpose-form"' in body
    assert 'value="reception"' in body and 'value="marketing"' not in body


def test_login_failure_is_audited_with_a_generic_message(make_staff: Any) -> None:
    staff = make_staff("front_desk")
    c = Client()
    r = c.post("/login/", {"username": staff.username, "password": "wrong-password-123"})
    assert r.status_code == 302 and r["Location"] == "/login/code/"  # issue #9 §6: no oracle
    body = html(c.post("/login/code/", {"code": "123456"}))
    assert 'data-testid="code-error"' in body and "验证码未被接受" in body
    assert "wrong-password-123" not in body
    assert len(events(Action.LOGIN_FAILED, outcome=Outcome.FAILED)) == 1
    assert not events(Action.LOGIN)


def test_logout_needs_post_is_audited_and_ends_the_session(staff_client: Any) -> None:
    c, staff = staff_client("front_desk", "reception")
    assert c.get("/logout/").status_code == 405
    r = c.post("/logout/")
    assert r.status_code == 302 and r["Location"] == "/login/"
    assert len(events(Action.LOGOUT, actor_id=staff.pk)) == 1
    r = c.get("/customers/")
    assert r.status_code == 302 and r["Location"].startswith("/login/")


@pytest.mark.parametrize("path", ["/", "/customers/", "/customers/new/"])
def test_anonymous_visitors_are_sent_to_sign_in(client: Client, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 302 and r["Location"].startswith("/login/?next=")


def test_customer_page_redirects_anonymous_without_reading(client: Client, customer: Any) -> None:
    r = client.get(f"/customers/{customer.id}/")
    assert r.status_code == 302
    assert not events(Action.CUSTOMER_READ)


# -- purpose -------------------------------------------------------------------------------
def test_choosing_a_purpose_is_audited_and_shown_on_every_page(
    staff_client: Any, customer: Any
) -> None:
    c, staff = staff_client("front_desk")
    r = c.post("/purpose/", {"purpose": "reception"})
    assert r.status_code == 302 and r["Location"] == "/customers/"
    [ev] = events(Action.PURPOSE_SELECTED, actor_id=staff.pk)
    assert ev.purpose == "reception"
    for path in ("/", "/customers/", "/customers/new/", f"/customers/{customer.id}/"):
        body = html(c.get(path))
        assert 'data-testid="active-purpose" data-purpose="reception"' in body, path
        assert "接待" in body


def test_a_refused_purpose_shows_an_error_and_is_audited(staff_client: Any) -> None:
    c, staff = staff_client("front_desk")
    r = c.post("/purpose/", {"purpose": "marketing"}, follow=True)
    body = html(r)
    assert "您的角色不能以该用途工作" in body
    assert 'data-testid="no-purpose"' in body
    [ev] = events(Action.ACCESS_DENIED, actor_id=staff.pk)
    assert ev.outcome == Outcome.DENIED and ev.purpose == "marketing"
    assert ev.detail["reason"] == "purpose_not_allowed_for_role"
    assert c.get("/customers/").status_code == 428


def test_an_unknown_purpose_is_refused(staff_client: Any) -> None:
    c, _ = staff_client("front_desk")
    body = html(c.post("/purpose/", {"purpose": "gossip"}, follow=True))
    assert "该用途不存在" in body
    assert not events(Action.PURPOSE_SELECTED)


def test_purpose_next_cannot_redirect_off_site(staff_client: Any) -> None:
    c, _ = staff_client("front_desk")
    r = c.post("/purpose/", {"purpose": "reception", "next": "https://evil.example/x"})
    assert r["Location"] == "/customers/"
    r = c.post("/purpose/", {"purpose": "reception", "next": "/customers/new/"})
    assert r["Location"] == "/customers/new/"


def test_customer_pages_ask_for_a_purpose_first(staff_client: Any, customer: Any) -> None:
    c, _ = staff_client("front_desk")
    r = c.get(f"/customers/{customer.id}/")
    assert r.status_code == 428
    body = html(r)
    assert 'data-testid="purpose-form"' in body
    assert f'name="next" value="/customers/{customer.id}/"' in body
    assert NAME not in body and not events(Action.CUSTOMER_READ)


def test_a_stale_session_purpose_is_not_trusted(staff_client: Any, customer: Any) -> None:
    c, _ = staff_client("courier")
    session = c.session
    session["purpose"] = "rights_request"  # not a courier purpose
    session.save()
    assert c.get(f"/customers/{customer.id}/").status_code == 428
    session["purpose"] = "no-such-purpose"
    session.save()
    assert c.get("/customers/").status_code == 428


# -- search --------------------------------------------------------------------------------
def test_search_by_phone_finds_the_customer_and_is_audited(
    staff_client: Any, customer: Any, make_customer: Any
) -> None:
    make_customer()
    c, staff = staff_client("front_desk", "reception")
    r = c.get("/customers/")
    assert r.status_code == 200
    assert 'method="post"' in html(r)  # criteria never travel in the URL
    r = c.post("/customers/", {"phone": "138 1234 5678"})
    assert r.status_code == 200
    body = html(r)
    assert body.count('data-testid="result-row"') == 1
    assert f'href="/customers/{customer.id}/"' in body
    assert NAME in body and "+8613812345678" in body
    [ev] = events(Action.CUSTOMER_SEARCHED, actor_id=staff.pk)
    assert ev.fields == {"names": ["phone"]} and ev.detail["results"] == 1


def _marketing_consent(customer: Any) -> None:
    from baomi.consent import services as consent

    consent.give(None, customer.id, "marketing", channel="store", method="checkbox")


def test_search_results_are_masked_for_marketing(staff_client: Any, customer: Any) -> None:
    _marketing_consent(customer)
    c, _ = staff_client("marketing", "marketing")
    body = html(c.post("/customers/", {"phone": PHONE}))
    assert "王**" in body and "138****5678" in body
    assert NAME not in body and "+8613812345678" not in body


def test_search_without_criteria_or_with_a_bad_phone_shows_errors(staff_client: Any) -> None:
    c, _ = staff_client("front_desk", "reception")
    r = c.post("/customers/", {})
    assert r.status_code == 422
    assert 'data-testid="search-error"' in html(r)
    r = c.post("/customers/", {"phone": "12"})
    assert r.status_code == 422
    body = html(r)
    assert 'aria-invalid="true"' in body and 'class="field-error"' in body
    assert not events(Action.CUSTOMER_SEARCHED)


def test_search_by_a_field_the_purpose_withholds_is_refused(
    staff_client: Any, customer: Any
) -> None:
    c, _ = staff_client("courier", "delivery")
    r = c.post("/customers/", {"id_number": FULL_ID})
    assert r.status_code == 403
    assert "不能使用其中某个字段" in html(r)


def test_search_query_strings_are_ignored(staff_client: Any, customer: Any) -> None:
    c, _ = staff_client("front_desk", "reception")
    body = html(c.get(f"/customers/?phone={PHONE}"))
    assert 'data-testid="results"' not in body
    assert not events(Action.CUSTOMER_SEARCHED)


def test_search_is_paginated(settings: Any, staff_client: Any, make_customer: Any) -> None:
    settings.BAOMI_PAGE_SIZE = 2
    for i in range(5):
        make_customer(name="陈静", phone=f"1390000{i:04d}", id_number=None, id_type=None)
    c, _ = staff_client("front_desk", "reception")
    r = c.post("/customers/", {"name": "陈静"})
    body = html(r)
    assert body.count('data-testid="result-row"') == 2
    assert 'data-testid="pager"' in body and 'data-testid="page-next"' in body
    assert 'data-testid="page-prev"' not in body
    assert "5" in re.search(r'data-testid="result-count">([^<]*)<', body).group(1)
    ids = set(re.findall(r'href="/customers/([0-9a-f-]{36})/"', body))
    body3 = html(c.post("/customers/", {"name": "陈静", "page": "3"}))
    assert body3.count('data-testid="result-row"') == 1
    assert 'data-testid="page-prev"' in body3 and 'data-testid="page-next"' not in body3
    body2 = html(c.post("/customers/", {"name": "陈静", "page": "2"}))
    ids |= set(re.findall(r'href="/customers/([0-9a-f-]{36})/"', body2))
    ids |= set(re.findall(r'href="/customers/([0-9a-f-]{36})/"', body3))
    assert len(ids) == 5
    assert c.post("/customers/", {"name": "陈静", "page": "x"}).status_code == 200


# -- the 360 page, role by role ---------------------------------------------------------
def test_front_desk_sees_a_masked_id_number(staff_client: Any, customer: Any) -> None:
    c, staff = staff_client("front_desk", "reception")
    r = c.get(f"/customers/{customer.id}/")
    assert r.status_code == 200
    assert r["Cache-Control"] == "no-store"
    body = html(r)
    assert MASKED_ID in body and FULL_ID not in body
    assert 'data-field="id_number" data-treatment="masked"' in body
    assert 'data-testid="value-id_number">****002X<' in body
    assert NAME in body and ADDRESS in body  # basic fields in full
    assert 'data-field="name" data-treatment="plain"' in body
    assert "敏感信息" in body and "基础信息" in body  # field classes
    assert "门店柜台" in body  # source channel of each value
    assert "素食" in body  # preferences, labelled
    [ev] = events(Action.CUSTOMER_READ, actor_id=staff.pk)
    assert ev.purpose == "reception" and ev.fields["id_number"] == "masked"


def test_privacy_officer_sees_the_full_id_number(staff_client: Any, customer: Any) -> None:
    c, _ = staff_client("privacy_officer", "rights_request")
    body = html(c.get(f"/customers/{customer.id}/"))
    assert FULL_ID in body and MASKED_ID not in body
    assert 'data-field="id_number" data-treatment="plain"' in body


def test_courier_sees_masked_name_and_phone_plain_address_no_id(
    staff_client: Any, with_records: Any
) -> None:
    c, _ = staff_client("courier", "delivery")
    r = c.get(f"/customers/{with_records.id}/")
    assert r.status_code == 200
    body = html(r)
    assert "王**" in body and NAME not in body
    assert "138****5678" in body and "13812345678" not in body
    assert ADDRESS in body
    # no birth date (a random 12-digit waybill number may well contain "1949")
    assert FULL_ID not in body and MASKED_ID not in body
    assert "1949-12-31" not in body and "19491231" not in body
    assert 'data-field="id_number" data-treatment="withheld"' in body
    # the shipment: recipient name and phone masked, address plain
    assert "李*" in body and "李四" not in body
    assert "139****1111" in body and "13900001111" not in body
    assert RECIPIENT["recipient_address"] in body
    # bookings and stays are not for the courier at all
    section = body.split('data-testid="records-booking"')[1].split("</section>")[0]
    assert "withheld-note" in section and "<table" not in section


def test_marketing_sees_masked_contact_and_preferences_only(
    staff_client: Any, with_records: Any
) -> None:
    _marketing_consent(with_records)
    c, _ = staff_client("marketing", "marketing")
    body = html(c.get(f"/customers/{with_records.id}/"))
    assert "王**" in body and NAME not in body
    assert "138****5678" in body
    assert FULL_ID not in body and MASKED_ID not in body and ADDRESS not in body
    assert "素食" in body
    assert "139****1111" not in body and "李*" not in body  # shipments withheld
    assert 'data-testid="nothing-shown"' not in body


def test_marketing_sees_nothing_without_marketing_consent(staff_client: Any, customer: Any) -> None:
    c, _ = staff_client("marketing", "marketing")
    body = html(c.get(f"/customers/{customer.id}/"))
    assert 'data-testid="nothing-shown"' in body
    for value in ("王**", NAME, "138****5678", "素食", MASKED_ID):
        assert value not in body


def test_front_desk_sees_bookings_and_stays_but_no_payment_cards(
    staff_client: Any, make_customer: Any, make_staff: Any, synth: Any
) -> None:
    cust = make_customer(payment_card={"number": "6222020200112233446", "expiry": "12/29"})
    desk = make_staff("front_desk")
    booking = {
        "product": "云南六日游",
        "destination": "昆明",
        "start_date": "2026-05-01",
        "end_date": "2026-05-06",
        "travellers": "2",
        "amount": "5000.00",
    }
    services.add_record(desk, "reception", cust.id, "booking", booking)
    services.add_record(desk, "reception", cust.id, "stay", synth.stay())
    c, _ = staff_client("front_desk", "reception")
    body = html(c.get(f"/customers/{cust.id}/"))
    section = body.split('data-testid="records-booking"')[1].split("</section>")[0]
    # the product name repeats the masked destination: masked too (issue #9 §3)
    assert 'data-field="product" data-treatment="masked"' in section
    assert "云南六日游" not in section and "云****" in section
    assert 'data-field="destination" data-treatment="masked"' in section  # a movement track
    assert "昆明" not in section
    assert "2026-**-**" in section and "2026-05-01" not in section
    assert "5000.00" not in section and "金额" not in section  # amount: not for reception
    stays = body.split('data-testid="records-stay"')[1].split("</section>")[0]
    assert "<table" in stays and 'data-field="room" data-treatment="masked"' in stays
    pay = body.split('data-testid="records-payment_method"')[1].split("</section>")[0]
    assert "withheld-note" in pay
    # no card digits: neither BIN nor last 4 as a number of their own (ids and tokens on
    # the page are random alphanumerics that may contain the same digits)
    assert not re.search(r"(?<![0-9A-Za-z])(622202|3446)(?![0-9A-Za-z])", body)


def test_finance_sees_the_card_as_first6_last4(staff_client: Any, make_customer: Any) -> None:
    cust = make_customer(payment_card={"number": "6222020200112233446", "expiry": "12/29"})
    c, _ = staff_client("finance", "billing")
    body = html(c.get(f"/customers/{cust.id}/"))
    assert "622202******3446" in body and "6222020200112233446" not in body


@pytest.mark.parametrize("role", ["security_admin", "system_admin", "security_auditor"])
def test_administrator_roles_get_no_customer_page(
    staff_client: Any, customer: Any, role: str
) -> None:
    c, staff = staff_client(role)
    home = html(c.get("/"))
    assert 'data-testid="no-customer-access"' in home
    assert 'href="/customers/"' not in home and 'data-testid="purpose-form"' not in home
    for path in ("/customers/", f"/customers/{customer.id}/", "/customers/new/"):
        r = c.get(path)
        assert r.status_code == 403, path
        assert NAME not in html(r) and 'data-testid="no-customer-access"' in html(r)
    assert c.post("/customers/", {"phone": PHONE}).status_code == 403
    for purpose in ("investigation", "legal_request", "reception"):
        c.post("/purpose/", {"purpose": purpose})
        assert c.get(f"/customers/{customer.id}/").status_code == 403
    assert len(events(Action.ACCESS_DENIED, actor_id=staff.pk)) == 3
    assert not events(Action.CUSTOMER_READ) and not events(Action.PURPOSE_SELECTED)


def test_unknown_customer_gets_a_clean_404(staff_client: Any) -> None:
    c, _ = staff_client("front_desk", "reception")
    r = c.get(f"/customers/{uuid.uuid4()}/")
    assert r.status_code == 404
    body = html(r)
    assert 'data-testid="error-code">not_found<' in body and "Traceback" not in body
    r = c.get("/customers/not-a-uuid/")
    assert r.status_code == 404 and "Traceback" not in html(r)


def test_a_server_error_shows_no_trace_and_no_value(
    staff_client: Any, customer: Any, monkeypatch: Any
) -> None:
    from baomi.customers import gate

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"decrypt failed for {PHONE} {FULL_ID}")

    monkeypatch.setattr(gate, "access_customer", boom)
    c, _ = staff_client("front_desk", "reception")
    c.raise_request_exception = False
    r = c.get(f"/customers/{customer.id}/")
    assert r.status_code == 500
    body = html(r)
    assert "出错了" in body
    for secret in (PHONE, FULL_ID, "Traceback", "RuntimeError", "decrypt"):
        assert secret not in body


# -- CSRF and caching ---------------------------------------------------------------------
def _csrf(c: Client, path: str) -> str:
    c.get(path)
    return c.cookies["csrftoken"].value


def test_csrf_is_enforced_on_every_post(db: Any, synth: Any) -> None:
    staff = create_staff_with_mfa(None, "desk_csrf", "front_desk", PASSWORD).staff
    c = Client(enforce_csrf_checks=True)
    r = c.post("/login/", {"username": staff.username, "password": PASSWORD})
    assert r.status_code == 403 and "表单已失效" in html(r)
    token = _csrf(c, "/login/")
    r = c.post(
        "/login/", {"username": staff.username, "password": PASSWORD, "csrfmiddlewaretoken": token}
    )
    assert r.status_code == 302 and r["Location"] == "/login/code/"
    assert c.post("/login/code/", {"code": current_otp(staff)}).status_code == 403
    assert not events(Action.LOGIN)
    token = _csrf(c, "/login/code/")
    r = c.post("/login/code/", {"code": current_otp(staff), "csrfmiddlewaretoken": token})
    assert r.status_code == 302 and r["Location"] == "/"
    assert c.post("/purpose/", {"purpose": "reception"}).status_code == 403
    assert not events(Action.PURPOSE_SELECTED)
    token = _csrf(c, "/")
    r = c.post("/purpose/", {"purpose": "reception", "csrfmiddlewaretoken": token})
    assert r.status_code == 302
    data = {k: v for k, v in synth.customer().items() if v is not None}
    assert c.post("/customers/new/", data).status_code == 403
    assert Customer.objects.count() == 0
    assert c.post("/customers/", {"phone": PHONE}).status_code == 403
    assert c.post("/i18n/setlang/", {"language": "en"}).status_code == 403
    assert c.post("/logout/").status_code == 403
    assert not events(Action.LOGOUT)
    token = _csrf(c, "/customers/new/")
    r = c.post("/customers/new/", {**data, "csrfmiddlewaretoken": token})
    assert r.status_code == 302 and Customer.objects.count() == 1


def test_pages_are_never_cached(staff_client: Any, customer: Any) -> None:
    c, _ = staff_client("front_desk", "reception")
    for r in (
        c.get("/"),
        c.get("/customers/"),
        c.post("/customers/", {"phone": PHONE}),
        c.get(f"/customers/{customer.id}/"),
        c.get("/customers/new/"),
    ):
        assert r["Cache-Control"] == "no-store"


# -- languages ---------------------------------------------------------------------------
def test_chinese_by_default_english_through_the_language_switch(
    staff_client: Any, customer: Any
) -> None:
    c, _ = staff_client("front_desk", "reception")
    body = html(c.get(f"/customers/{customer.id}/"))
    assert "证件号码" in body and "当前用途" in body and "脱敏" in body
    r = c.post("/i18n/setlang/", {"language": "en", "next": f"/customers/{customer.id}/"})
    assert r.status_code == 302 and r["Location"] == f"/customers/{customer.id}/"
    body = html(c.get(f"/customers/{customer.id}/"))
    assert 'lang="en"' in body
    assert "ID number" in body and "Active purpose" in body and "Reception" in body
    assert "Sensitive" in body and "Store" in body and "Vegetarian" in body
    assert "证件号码" not in body and "当前用途" not in body
    assert MASKED_ID in body and FULL_ID not in body
    c.post("/i18n/setlang/", {"language": "zh-hans"})
    assert "证件号码" in html(c.get(f"/customers/{customer.id}/"))


def test_every_console_page_is_translated(staff_client: Any, customer: Any) -> None:
    """No English sentence leaks into a Chinese page (spot-check of the .mo file)."""
    c, _ = staff_client("front_desk", "reception")
    english = re.compile(r">\s*[A-Z][a-z]+(?: [a-z]+){2,}[^<]*<")
    for path in ("/", "/customers/", "/customers/new/", f"/customers/{customer.id}/"):
        body = html(c.get(path))
        body = re.sub(r"<(script|style)[^>]*>.*?</\1>", "", body, flags=re.S)
        assert not english.findall(body), (path, english.findall(body)[:3])


# -- new customer ----------------------------------------------------------------------
def _new_customer_data(synth: Any) -> dict[str, str]:
    data = synth.customer()
    data.update(
        name="周杰",
        phone="13600001234",
        id_type="cn_resident_id",
        id_number=FULL_ID,
        birth_date="1949-12-31",
        channel="call_center",
    )
    return {k: v for k, v in data.items() if v is not None}


def test_new_customer_form_has_no_cvv_field(staff_client: Any) -> None:
    c, _ = staff_client("front_desk", "reception")
    r = c.get("/customers/new/")
    assert r.status_code == 200
    body = html(r).lower()
    assert "card_number" in body
    names = re.findall(r'name="([^"]+)"', body)
    assert not [n for n in names if re.search(r"cvv|cvc|security", n)]


def test_new_customer_is_saved_and_opens_its_360_page(staff_client: Any, synth: Any) -> None:
    c, staff = staff_client("front_desk", "reception")
    data = _new_customer_data(synth)
    data.update(pref_meal="vegetarian", pref_interests="徒步, 摄影")
    r = c.post("/customers/new/", data)
    assert r.status_code == 302
    cust = Customer.objects.get()
    assert r["Location"] == f"/customers/{cust.id}/"
    assert cust.primary_channel == "call_center"
    [ev] = events(Action.CUSTOMER_CREATED, actor_id=staff.pk)
    assert ev.object_id == str(cust.id)
    body = html(c.get(r["Location"]))
    assert "客户已保存" in body
    assert MASKED_ID in body and FULL_ID not in body and "周杰" in body
    assert "呼叫中心" in body and "素食" in body and "摄影" in body


@pytest.mark.parametrize(
    "extra",
    [
        {"cvv": "123"},
        {"card_cvv": "123"},
        {"card_cvc": "123"},
        {"security_code": "123"},
        {"card_cvv": ""},
        {"CVC2": "1234"},
    ],
)
def test_a_cvv_is_refused_and_nothing_is_written(
    staff_client: Any, synth: Any, extra: dict[str, str]
) -> None:
    c, _ = staff_client("front_desk", "reception")
    data = _new_customer_data(synth)
    data.update(card_number="4111111111111111", card_expiry="12/29", **extra)
    r = c.post("/customers/new/", data)
    assert r.status_code == 422
    body = html(r)
    assert "不接受也不存储银行卡安全码（CVV/CVC）" in body
    assert 'data-testid="general-error">银行卡安全码: ' in body
    assert "4111111111111111" not in body  # card inputs are never echoed back
    assert Customer.objects.count() == 0 and PaymentMethod.objects.count() == 0
    assert not events(Action.CUSTOMER_CREATED) and not events(Action.PAYMENT_ADDED)


def test_invalid_input_shows_per_field_errors_and_writes_nothing(
    staff_client: Any,
) -> None:
    c, _ = staff_client("front_desk", "reception")
    data = {
        "name": "",
        "phone": "12345",
        "email": "not-an-email",
        "id_type": "cn_resident_id",
        "id_number": "110105194912310021",
        "card_number": "4111111111111112",
        "card_expiry": "13/99",
        "channel": "store",
    }
    r = c.post("/customers/new/", data)
    assert r.status_code == 422
    body = html(r)
    for field in ("name", "phone", "email", "id_number"):
        assert f'data-testid="error-{field}"' in body, field
    assert "必填" in body
    assert 'value="12345"' in body  # the form keeps what was typed (except card inputs)
    assert Customer.objects.count() == 0 and PaymentMethod.objects.count() == 0
    assert not events(Action.CUSTOMER_CREATED)
    c.post("/i18n/setlang/", {"language": "en"})
    body = html(c.post("/customers/new/", data))
    assert "is required" in body and "必填" not in body
    # card problems are reported against the card inputs
    good = {"name": "周杰", "phone": "13600001234", "channel": "store"}
    r = c.post("/customers/new/", {**good, "card_number": "4111111111111112", "card_expiry": "x"})
    assert r.status_code == 422
    body = html(r)
    assert 'data-testid="error-card_number"' in body and 'data-testid="error-card_expiry"' in body
    assert "4111111111111112" not in body
    assert Customer.objects.count() == 0


def test_unknown_form_fields_are_refused(staff_client: Any, synth: Any) -> None:
    c, _ = staff_client("front_desk", "reception")
    data = _new_customer_data(synth)
    data["religion"] = "x"
    r = c.post("/customers/new/", data)
    assert r.status_code == 422
    assert "未在数据目录中声明的字段" in html(r)
    assert Customer.objects.count() == 0


def test_a_duplicate_customer_is_refused(staff_client: Any, customer: Any, synth: Any) -> None:
    c, _ = staff_client("front_desk", "reception")
    data = _new_customer_data(synth)
    r = c.post("/customers/new/", data)
    assert r.status_code == 409
    assert "已存在" in html(r)
    assert Customer.objects.count() == 1


def test_a_card_added_with_a_new_customer_is_kept_as_first6_last4(
    staff_client: Any, synth: Any
) -> None:
    c, _ = staff_client("front_desk", "reception")
    data = _new_customer_data(synth)
    data.update(card_number="6222 0202 0011 2233 446", card_expiry="12/29", card_holder="周杰")
    assert c.post("/customers/new/", data).status_code == 302
    pm = PaymentMethod.objects.get()
    assert pm.brand
    finance, _ = staff_client("finance", "billing")
    body = html(finance.get(f"/customers/{pm.customer_id}/"))
    assert "622202******3446" in body


@pytest.mark.parametrize(("role", "purpose"), [("marketing", "marketing"), ("courier", "delivery")])
def test_roles_that_may_not_write_get_no_form(
    staff_client: Any, synth: Any, role: str, purpose: str
) -> None:
    c, staff = staff_client(role, purpose)
    assert 'href="/customers/new/"' not in html(c.get("/"))
    assert c.get("/customers/new/").status_code == 403
    r = c.post("/customers/new/", _new_customer_data(synth))
    assert r.status_code == 403 and "write_forbidden" in html(r)
    assert Customer.objects.count() == 0
    [ev] = events(Action.ACCESS_DENIED, actor_id=staff.pk)
    assert ev.detail["reason"] == "write_not_allowed"


# -- presentation details ----------------------------------------------------------------
def test_page_numbers_offer_first_last_and_a_window() -> None:
    from baomi.console.presenters import page_numbers

    assert page_numbers(1, 0, 20) == (1, [1])
    assert page_numbers(1, 45, 20) == (3, [1, 2, 3])
    assert page_numbers(10, 1000, 20) == (50, [1, 8, 9, 10, 11, 12, 50])


def test_an_emergency_read_is_flagged_and_shows_every_record_column() -> None:
    from django.template.loader import render_to_string

    from baomi.catalog.enums import Purpose
    from baomi.console.presenters import customer_page
    from baomi.customers.gate import CustomerView

    view = CustomerView(
        id=str(uuid.uuid4()),
        purpose=Purpose.DELIVERY,
        fields={"name": NAME, "id_number": FULL_ID},
        masked=[],
        withheld=[],
        lineage={},
        primary_channel="store",
        created_at="2026-01-02T03:04:05+00:00",
        updated_at="2026-01-02T03:04:05+00:00",
        records={"booking": [], "stay": [], "shipment": [], "payment_method": []},
    )
    view.break_glass = True  # set by the gate under an emergency grant
    page = customer_page("courier", view)
    assert page.break_glass
    assert all(t.available for t in page.records)
    body = render_to_string("console/customer_detail.html", {"c": page})
    assert 'data-testid="break-glass"' in body and FULL_ID in body
    view.break_glass = False
    page = customer_page("courier", view)
    assert [t.entity for t in page.records if t.available] == ["shipment"]


@pytest.mark.parametrize(
    ("role", "separation_of_duties"),
    [("system_admin", True), ("security_auditor", True), ("manager", False), ("hr", False)],
)
def test_home_explains_no_customer_access_by_the_role_it_is(
    staff_client: Any, role: str, separation_of_duties: bool
) -> None:
    """Aggregate-only roles (#10 §4) are not told they are administrators (R-D4)."""
    c, _ = staff_client(role)
    home = html(c.get("/"))
    assert 'data-testid="no-customer-access"' in home
    assert ("三员分立" in home) is separation_of_duties
    assert ("不查看任何单个客户的个人信息" in home) is not separation_of_duties
