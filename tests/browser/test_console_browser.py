"""The console in a real browser (Debian's Chromium via Playwright): a new user enrols an
authenticator at first sign-in and lands signed in; everyone else signs in with password
and one-time code; a front-desk clerk sees a masked ID number, a courier sees masked
recipient details, a security administrator gets no customer page at all (R-A4, R-D2,
R-D3, R-D4, R-M2; ASVS V6.3.3)."""

from __future__ import annotations

import base64
import re
from typing import Any

import pytest
from django_otp.oath import totp

from baomi.customers import services

from .helpers import at, choose_purpose, mfa_staff, password_step, shot, sign_in

pytestmark = pytest.mark.browser

FULL_ID = "11010519491231002X"
MASKED_ID = "****002X"
NAME = "王小明"
PHONE = "13812345678"
SHIPMENT = {
    "sender_name": "赵六",
    "sender_phone": "13700002222",
    "sender_address": "广州市天河区体育西路1号",
    "recipient_name": "李四",
    "recipient_phone": "13900001111",
    "recipient_address": "上海市徐汇区漕溪北路1号",
    "item_type": "文件",
}


@pytest.fixture
def customer(make_customer: Any, make_staff: Any, synth: Any) -> Any:
    c = make_customer(
        name=NAME,
        phone=PHONE,
        id_type="cn_resident_id",
        id_number=FULL_ID,
        birth_date="1949-12-31",
        address="北京市朝阳区建国路88号",
        preferences={"language": "zh", "seat": "window", "meal": "vegetarian"},
    )
    desk = make_staff("front_desk")
    services.add_record(desk, "reception", c.id, "booking", synth.booking())
    services.add_record(desk, "reception", c.id, "stay", synth.stay())
    services.add_record(desk, "reception", c.id, "shipment", SHIPMENT)
    return c


def open_by_phone(page: Any, phone: str) -> None:
    page.get_by_test_id("search-form").locator("input[name=phone]").fill(phone)
    page.get_by_test_id("search-submit").click()
    rows = page.get_by_test_id("result-row")
    rows.first.wait_for()
    assert rows.count() == 1
    rows.first.get_by_test_id("open-customer").click()
    page.wait_for_url("**/customers/*-*/")


def test_front_desk_sees_a_masked_id_number(page: Any, customer: Any) -> None:
    sign_in(page, mfa_staff("front_desk"))
    choose_purpose(page, "reception")
    open_by_phone(page, "138 1234 5678")

    assert page.get_by_test_id("value-id_number").inner_text() == MASKED_ID
    assert page.locator("tr[data-field=id_number]").get_attribute("data-treatment") == "masked"
    assert page.get_by_test_id("value-name").inner_text() == NAME
    content = page.content()
    assert FULL_ID not in content and "19491231" not in content
    assert page.get_by_test_id("active-purpose").is_visible()
    shot(page, "baomi-360-front-desk.png")


def test_courier_sees_masked_recipient_name_and_phone(page: Any, customer: Any) -> None:
    sign_in(page, mfa_staff("courier"))
    choose_purpose(page, "delivery")
    open_by_phone(page, PHONE)

    shipment = page.get_by_test_id("records-shipment")
    assert shipment.locator("td[data-field=recipient_name]").inner_text().strip() == "李*"
    phone_cell = shipment.locator("td[data-field=recipient_phone]")
    assert phone_cell.inner_text().strip() == "139****1111"
    assert phone_cell.get_attribute("data-treatment") == "masked"
    assert SHIPMENT["recipient_address"] in shipment.inner_text()
    content = page.content()
    for secret in ("李四", "13900001111", NAME, PHONE, FULL_ID, MASKED_ID):
        assert secret not in content, secret
    shot(page, "baomi-360-courier.png")


def test_security_admin_has_no_customer_page(page: Any, customer: Any) -> None:
    sign_in(page, mfa_staff("security_admin"))
    assert page.get_by_test_id("no-customer-access").is_visible()
    assert page.get_by_test_id("purpose-form").count() == 0
    for path in ("/customers/", f"/customers/{customer.id}/", "/customers/new/"):
        response = page.goto(path)
        assert response is not None and response.status == 403, path
        assert page.get_by_test_id("no-customer-access").is_visible()
        assert NAME not in page.content() and MASKED_ID not in page.content()


def test_language_switch_keeps_the_masking(page: Any, customer: Any) -> None:
    sign_in(page, mfa_staff("front_desk"))
    choose_purpose(page, "reception")
    page.goto(f"/customers/{customer.id}/")
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    page.get_by_test_id("lang-en").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert "ID number" in page.get_by_test_id("profile").inner_text()
    assert page.get_by_test_id("value-id_number").inner_text() == MASKED_ID
    assert FULL_ID not in page.content()
    shot(page, "baomi-360-en.png")


def test_a_new_user_enrols_an_authenticator_and_lands_signed_in(page: Any, make_staff: Any) -> None:
    newcomer = make_staff("front_desk")  # an account without an authenticator yet
    password_step(page, newcomer.username)
    page.wait_for_url(at("/login/enrol/"))
    assert page.locator("[data-testid=totp-qr] svg").is_visible()
    secret = page.get_by_test_id("totp-secret").get_attribute("data-secret")
    assert secret and re.fullmatch(r"[A-Z2-7]{32}", secret)
    shown = page.get_by_test_id("totp-secret").inner_text().replace(" ", "")
    assert shown == secret
    shot(page, "baomi-enrol.png")
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    page.get_by_test_id("code-input").fill(f"{totp(key):06d}")
    page.get_by_test_id("enrol-submit").click()
    codes = page.get_by_test_id("recovery-codes").locator("li")
    codes.first.wait_for()
    assert codes.count() == 10
    assert all(re.fullmatch(r"[A-Z2-9]{4}(-[A-Z2-9]{4}){5}", c) for c in codes.all_inner_texts())
    shot(page, "baomi-recovery-codes.png")
    page.get_by_test_id("continue").click()
    page.wait_for_url(at("/"))
    assert page.get_by_test_id("who").inner_text().startswith(newcomer.username)
    assert page.get_by_test_id("purpose-form").is_visible()
    # signed out, the same person now needs a code from the app
    page.get_by_test_id("logout").click()
    page.wait_for_url(at("/login/"))
    password_step(page, newcomer.username)
    page.wait_for_url(at("/login/code/"))
    shot(page, "baomi-login-code.png")


def test_security_admin_sees_the_staff_and_approval_pages(page: Any) -> None:
    admin = mfa_staff("security_admin")
    other = mfa_staff("front_desk")
    sign_in(page, admin)
    page.get_by_test_id("nav-staff").click()
    page.wait_for_url(at("/staff/"))
    assert page.locator(f"[data-username='{other.username}']").is_visible()
    form = page.get_by_test_id("staff-form")
    form.locator("input[name=username]").fill("new_courier")
    form.locator("select[name=role]").select_option("courier")
    page.get_by_test_id("staff-create").click()
    page.get_by_test_id("shown-once").wait_for()
    assert page.get_by_test_id("secret-password").inner_text()
    assert page.get_by_test_id("secret-totp").count() == 0  # the person enrols their own
    shot(page, "baomi-staff-created.png")
    page.get_by_test_id("nav-approvals").click()
    page.wait_for_url(at("/approvals/"))
    assert page.get_by_test_id("own-request").is_visible()
    shot(page, "baomi-approvals.png")


def test_front_desk_records_consent_with_a_new_customer(page: Any) -> None:
    """R-B3 at the counter: the clerk fills the new-customer form with the customer's
    answers (given, refused, not asked), the method and the form number; one save writes the
    customer and exactly those ledger rows."""
    from baomi.consent.models import ConsentEvent
    from baomi.customers.models import Customer

    staff = mfa_staff("front_desk")
    sign_in(page, staff)
    choose_purpose(page, "reception")
    page.get_by_test_id("nav-new-customer").click()
    page.wait_for_url(at("/customers/new/"))
    form = page.get_by_test_id("customer-form")
    form.locator("input[name=name]").fill("周杰")
    form.locator("input[name=phone]").fill("136 0000 1234")
    form.locator("select[name=channel]").select_option("store")
    consent = page.get_by_test_id("consent-fieldset")
    assert consent.get_by_test_id("separate-partner_sharing").is_visible()
    assert consent.get_by_test_id("consent_marketing-not_asked").is_checked()
    consent.get_by_test_id("consent_marketing-given").check()
    consent.get_by_test_id("consent_partner_sharing-refused").check()
    consent.get_by_test_id("consent_method-checkbox").check()
    consent.locator("input[name=consent_evidence]").fill("FORM-2026-0042")
    shot(page, "baomi-new-customer-consent.png")
    page.get_by_test_id("save-customer").click()
    page.wait_for_url("**/customers/*-*/")
    assert page.get_by_test_id("value-name").inner_text() == "周杰"
    cid = page.get_by_test_id("customer-id").inner_text().strip()
    assert Customer.objects.filter(id=cid).exists()
    rows = ConsentEvent.objects.filter(customer_id=cid)
    assert {(e.purpose, e.given, e.method, e.evidence, e.channel) for e in rows} == {
        ("marketing", True, "checkbox", "FORM-2026-0042", "store"),
        ("partner_sharing", False, "checkbox", "FORM-2026-0042", "store"),
    }
    assert {e.operator_id for e in rows} == {staff.pk}


def test_front_desk_records_a_consent_withdrawal_on_the_360_page(page: Any, customer: Any) -> None:
    """R-A4, R-B3 by phone: the 360 page shows the customer's consents; the clerk records the
    withdrawal the customer states, and the panel shows it at once, on top of its history."""
    from baomi.consent import services as consents
    from baomi.consent.models import ConsentEvent
    from baomi.customers.gate import DataSubject

    subject = DataSubject(customer_id=customer.id)
    consents.give(subject, customer.id, "marketing", channel="web", method="portal")
    staff = mfa_staff("front_desk")
    sign_in(page, staff)
    choose_purpose(page, "reception")
    page.goto(f"/customers/{customer.id}/")
    assert page.get_by_test_id("consent-row-marketing").get_attribute("data-state") == "given"
    page.get_by_test_id("consent-decision-box").locator("summary").click()
    form = page.get_by_test_id("consent-decision-form")
    form.locator("select[name=consent]").select_option("marketing")
    form.get_by_test_id("decision-refused").check()
    form.locator("select[name=channel]").select_option("call_center")
    form.locator("select[name=consent_method]").select_option("verbal_recorded")
    form.locator("input[name=consent_evidence]").fill("REC-2026-0815")
    form.get_by_test_id("consent-decision-submit").click()
    page.wait_for_url(re.compile(r"/customers/[0-9a-f-]+/#consents$"))
    assert page.get_by_test_id("consent-row-marketing").get_attribute("data-state") == "withdrawn"
    history = page.get_by_test_id("consent-history-marketing")
    history.locator("summary").click()
    events = history.get_by_test_id("consent-event")
    assert [events.nth(i).get_attribute("data-state") for i in range(events.count())] == [
        "withdrawn",
        "given",
    ]
    assert "REC-2026-0815" in history.inner_text() and "员工：前台" in history.inner_text()
    shot(page, "baomi-360-consents.png")
    latest = ConsentEvent.objects.filter(customer_id=customer.id).latest("id")
    assert (latest.given, latest.channel, latest.method, latest.operator_id) == (
        False,
        "call_center",
        "verbal_recorded",
        staff.pk,
    )


@pytest.mark.parametrize("width", [1280, 390])
def test_indicator_dashboard_with_trend_and_drill_down(
    page: Any, make_customer: Any, width: int
) -> None:
    """Issue #10 §3: the privacy officer's dashboard lists every registered indicator with
    its trend, in Chinese, usable at 1280 px and 390 px; a tile opens its drill-down."""
    make_customer()
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, mfa_staff("privacy_officer"))
    page.get_by_test_id("nav-kpis").click()
    page.wait_for_url(at("/kpis/"))
    tiles = page.get_by_test_id("kpi-tile")
    assert tiles.count() >= 3
    assert page.get_by_test_id("kpi-trend").first.is_visible()
    assert "客户知情同意确认率" in page.content()
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width + 1, scroll  # no sideways scrolling
    shot(page, f"kpis-{width}.png")
    page.locator('[data-code="consent.confirmed_share"] h2 a').click()
    page.wait_for_url(at("/kpis/consent.confirmed_share/"))
    assert page.get_by_test_id("kpi-record").count() == 1
    shot(page, f"kpi-detail-{width}.png")


def test_auditor_sees_the_witness_on_the_checkpoint_page_at_both_widths(page: Any) -> None:
    """Issue #9 §5: the checkpoint page says whether the log still holds what was witnessed
    outside the database; readable at 1280 px and 390 px (no sideways scrolling)."""
    from baomi.audit import checkpoints

    auditor = mfa_staff("security_auditor")
    checkpoints.make_checkpoint()  # a real commit here: witnessed at once
    sign_in(page, auditor)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto("/audit/checkpoints/")
        box = page.get_by_test_id("witness")
        assert box.get_attribute("data-state") == "ok"
        assert "仍完整保存在日志中" in box.inner_text()
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 1, f"{overflow}px sideways scroll at {width}px"
        shot(page, f"baomi-audit-witness-{width}.png")
