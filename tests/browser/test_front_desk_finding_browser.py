"""Finding today's guest again at the front desk, in Chromium, in Chinese, at 1280 and
390 px (issue #17 §4; R-A4, R-D2): the customer search page lists the customers the
signed-in member of staff opened lately (names as the gate shows them under the purpose)
and one tap re-opens one; nothing is wider than a phone or left in English."""

from __future__ import annotations

import os
import re
from typing import Any

import pytest

from .helpers import SCREENSHOT_DIR as SHOTS
from .helpers import choose_purpose, mfa_staff, shot, sign_in

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
LATIN = re.compile(r"[A-Za-z]{3,}")


def _fits(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"] + 1, f"page is {width}px wide"


def _chinese_only(text: str) -> None:
    assert not LATIN.search(text), LATIN.search(text)


def test_recent_customers_reopen_in_one_tap(page: Any, make_customer: Any) -> None:
    desk = mfa_staff("front_desk")
    first = make_customer(name="王小明", phone="13812345678")
    second = make_customer(name="李雷", phone="13912345678")
    sign_in(page, desk)
    page.goto("/customers/")
    choose_purpose(page, "reception")
    for c in (first, second):
        page.goto(f"/customers/{c.id}/")
    page.goto("/customers/")
    recent = page.get_by_test_id("recent-customers")
    assert recent.get_by_test_id("recent-customer").count() == 2
    text = recent.inner_text()
    assert text.index("李雷") < text.index("王小明")  # the latest first
    _chinese_only(text)
    shot(page, "recent-customers-1280.png")
    page.set_viewport_size(PHONE)
    page.goto("/customers/")
    _fits(page)
    shot(page, "recent-customers-390.png")
    link = page.get_by_test_id("recent-customer").nth(1)
    box = link.bounding_box()
    assert box is not None and box["height"] >= 44 and box["y"] + box["height"] <= 844
    link.click()
    page.wait_for_url(f"**/customers/{first.id}/")
    _fits(page)


def test_scanned_e_ticket_opens_the_booking(page: Any, make_customer: Any, make_staff: Any) -> None:
    """A keyboard-wedge scanner types the QR code's link and Enter into the 查单号 box."""
    from baomi.customers import services as customers

    ref = "BK5C0FFEE123"
    guest = make_customer(name="张伟")
    data = {"product": "黄山三日游", "destination": "黄山", "start_date": "2026-12-20"}
    booking = customers.add_record(
        make_staff("front_desk"), "reception", guest.id, "booking", data, reference=ref
    )
    desk = mfa_staff("front_desk")
    sign_in(page, desk)
    page.goto("/customers/")
    choose_purpose(page, "reception")
    page.set_viewport_size(PHONE)
    page.goto("/ops/find/")
    _fits(page)
    _chinese_only(page.locator("main").inner_text())
    shot(page, "find-scan-390.png")
    box = page.get_by_test_id("ref-input")
    assert box.evaluate("e => e === document.activeElement")  # the scanner types right here
    page.keyboard.type("https://wx.example.cn/qr?scene=ref%3Dbk5c0ffee123")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/ops/bookings/{booking.pk}/")
    page.goto("/ops/find/")
    page.keyboard.type('{"type":"wechat","msg":"hello"}')
    page.keyboard.press("Enter")
    page.get_by_test_id("scan-unreadable").wait_for()
    _fits(page)
    _chinese_only(page.locator("main").inner_text())
    page.set_viewport_size({"width": 1280, "height": 900})
    shot(page, "find-scan-unreadable-1280.png")


def test_privacy_notice_and_portal_name_the_operator(page: Any) -> None:
    """The public pages carry the deployment's operator and privacy contact (zh), not
    "baomi"; the footer fits a phone."""
    from django.conf import settings

    op = settings.BAOMI_OPERATOR
    for width, name in ((1280, "privacy-operator-1280.png"), (390, "privacy-operator-390.png")):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto("/privacy")
        _fits(page)
        assert page.get_by_test_id("operator-brand").inner_text().strip().endswith(op["short_zh"])
        footer = page.get_by_test_id("operator-footer")
        assert op["name_zh"] in footer.inner_text() and op["address_zh"] in footer.inner_text()
        contact = page.locator("section#contact").inner_text()
        assert op["email"] in contact and op["phone"] in contact
        words = page.locator("main").inner_text() + footer.inner_text()
        # the notice's own loanwords (App, CVV) and its portal path are common Chinese usage
        for ok in (op["email"], "App", "CVV", "/portal/"):
            words = words.replace(ok, "")
        _chinese_only(words)
        assert "baomi" not in page.locator("header").inner_text().lower()
        if SHOTS:
            page.locator("section#contact").screenshot(path=os.path.join(SHOTS, name))
    page.goto("/portal/")
    _fits(page)
    assert page.get_by_test_id("operator-email").get_attribute("href") == f"mailto:{op['email']}"
    shot(page, "portal-operator-390.png")


def test_hotel_deployment_new_guest_form_asks_hotel_items_only(page: Any) -> None:
    from django.test import override_settings

    desk = mfa_staff("front_desk")
    with override_settings(BAOMI_INDUSTRIES=["hotel"]):
        sign_in(page, desk)
        page.goto("/customers/")
        choose_purpose(page, "reception")
        page.set_viewport_size(PHONE)
        page.goto("/customers/new/")
        _fits(page)
        form = page.locator("main")
        assert form.locator("[name=consent_hotel_preferences]").count() > 0
        assert form.locator("[name=consent_travel_companions]").count() == 0
        assert form.locator("[name=consent_courier_address_book]").count() == 0
        if SHOTS:
            page.get_by_test_id("consent-fieldset").screenshot(
                path=os.path.join(SHOTS, "new-guest-hotel-consents-390.png")
            )


def test_guest_completes_birthday_and_preferences_in_the_portal(
    page: Any, make_customer: Any
) -> None:
    """On a phone, in Chinese: the guest sets a birthday and hotel preferences; saved at
    once as customer-confirmed; nothing wider than the screen, no English option."""
    from baomi.customers.models import Customer
    from baomi.portal import selectors as outbox

    guest = make_customer(
        phone="13712345678", id_type="passport", id_number="E2468013", birth_date=None
    )
    page.set_viewport_size(PHONE)
    page.goto("/portal/")
    page.get_by_test_id("start-form").locator("input[name=address]").fill("13712345678")
    page.get_by_test_id("send-code").click()
    page.wait_for_url("**/portal/verify/")
    page.locator("input[name=code]").fill(outbox.latest_code("137****5678") or "")
    page.get_by_test_id("verify-code").click()
    page.wait_for_url("**/portal/me/")
    form = page.get_by_test_id("own-details")
    _chinese_only(form.inner_text())
    page.get_by_test_id("own-birth-date").fill("1988-08-08")
    page.get_by_test_id("pref-floor").select_option("high")
    page.get_by_test_id("pref-pillow").select_option("buckwheat")
    _chinese_only(page.get_by_test_id("pref-pillow").inner_text())
    page.get_by_test_id("details-submit").click()
    page.wait_for_url("**/portal/me/*")
    assert page.get_by_test_id("own-birth-date").input_value() == "1988-08-08"
    assert page.get_by_test_id("pref-floor").input_value() == "high"
    _fits(page)
    if SHOTS:
        form.screenshot(path=os.path.join(SHOTS, "portal-own-details-390.png"))
    lineage = Customer.objects.get(id=guest.id).lineage
    assert lineage["birth_date"]["basis"] == lineage["preferences"]["basis"] == "customer_confirmed"


def test_front_desk_registers_a_second_guest_on_a_phone(
    page: Any, make_customer: Any, synth: Any
) -> None:
    """Check-in of a couple: the second guest registered with their own ID document and
    consent, on the stay page, at 390 px, in Chinese."""
    import datetime as dt

    from django.utils import timezone

    from baomi.audit.models import AuditEvent
    from baomi.operations.services import sites, stays

    sites.create_site(None, "SH-BUND", "hotel", "外滩酒店", "Bund Hotel", "上海市")
    desk = mfa_staff("front_desk")
    sites.post_staff(None, desk, "SH-BUND")
    holder = make_customer(name="王小明")
    day = timezone.localdate()
    dates = {"check_in": day.isoformat(), "check_out": (day + dt.timedelta(days=2)).isoformat()}
    stay = stays.book_stay(desk, "reception", holder.id, "SH-BUND", dates)
    sign_in(page, desk)
    page.goto("/customers/")
    choose_purpose(page, "reception")
    page.set_viewport_size(PHONE)
    page.goto(f"/ops/stays/{stay.pk}/")
    page.get_by_test_id("guest-new-open").click()
    form = page.get_by_test_id("guest-new")
    new = synth.customer(foreign_share=0)
    form.locator("[name=name]").fill("李红")
    form.locator("[name=id_type]").select_option("cn_resident_id")
    form.locator("[name=id_number]").fill(new["id_number"])
    page.get_by_test_id("guest-consent-hotel_preferences-yes").check()
    page.get_by_test_id("guest-document-checked").check()
    _fits(page)
    _chinese_only(page.get_by_test_id("room-guests").inner_text())
    form.get_by_test_id("add-guest-new").click()
    page.wait_for_selector("[data-testid=room-guest]")
    guests = page.get_by_test_id("room-guests")
    assert "李红" in guests.inner_text() and "证件已核验" in guests.inner_text()
    _chinese_only(guests.inner_text())
    _fits(page)
    if SHOTS:
        guests.screenshot(path=os.path.join(SHOTS, "ops-stay-guests-390.png"))
    assert AuditEvent.objects.filter(action="stay.guest_added", object_id=str(stay.pk)).exists()
