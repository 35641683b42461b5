"""The day's work in Chromium, in Chinese, at 1280 and 390 px (issue #17; R-A4, R-A6,
R-D2, R-M1, R-M2): a front desk records a stay from the customer page, checks the guest in
with a room, changes room and checks out; a courier on a phone opens a parcel by waybill
number, sees the masked recipient, the full address and a relay number, and delivers it
with proof; a manager issues a waybill range. Each step goes through the gate (audit
events checked) and nothing on the pages is wider than the screen or left in English."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from baomi.audit.models import AuditEvent

from .helpers import choose_purpose, mfa_staff, shot, sign_in

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
ENGLISH = re.compile(
    r"\b(reserved|in_house|checked_out|issued|used|delivered|voided|lost|"
    r"pickup|sorting|transport|delivery|signature|photo|locker|None)\b"
)


def _fits(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"] + 1, f"page is {width}px wide"


def _no_codes(page: Any) -> None:
    text = page.locator("main").inner_text()
    assert not ENGLISH.search(text), ENGLISH.search(text)


def _sites() -> None:
    from baomi.operations.services import sites

    sites.create_site(None, "SH-BUND", "hotel", "外滩酒店", "Bund Hotel", "上海市")
    sites.create_site(None, "SH-JA", "outlet", "静安网点", "Jing'an outlet", "上海市")


def test_front_desk_checks_a_guest_in_and_out(page: Any, make_customer: Any) -> None:
    from baomi.operations.services import sites

    _sites()
    desk = mfa_staff("front_desk")
    sites.post_staff(None, desk, "SH-BUND")
    guest = make_customer(name="王小明", phone="13812345678")
    sign_in(page, desk)
    page.goto("/customers/")
    choose_purpose(page, "reception")
    page.goto(f"/customers/{guest.id}/")
    page.get_by_test_id("add-stay").click()
    form = page.get_by_test_id("record-form")
    from django.utils import timezone

    today = timezone.localdate()
    form.locator("input[name=check_in]").fill(today.isoformat())
    form.locator("input[name=check_out]").fill((today + dt.timedelta(days=2)).isoformat())
    form.locator("input[name=special_requests]").fill("高楼层")
    shot(page, "ops-stay-new-1280.png")
    form.get_by_test_id("save-record").click()
    page.wait_for_url("**/ops/stays/*/")
    assert page.get_by_test_id("stay-state").get_attribute("data-state") == "reserved"
    page.goto("/ops/desk/")
    assert page.get_by_test_id("stay-row").count() == 1
    assert "王小明" in page.get_by_test_id("stay-list").inner_text()
    shot(page, "ops-desk-arrivals-1280.png")
    _no_codes(page)
    page.get_by_test_id("stay-row").locator("a").first.click()
    page.get_by_test_id("check-in-room").fill("1208")
    page.get_by_test_id("check-in").click()
    page.wait_for_selector("[data-state=in_house]")
    assert page.get_by_test_id("stay-room").inner_text() == "1208"
    assert page.get_by_test_id("stay-check_in").inner_text() == today.isoformat()
    shot(page, "ops-stay-in-house-1280.png")
    page.set_viewport_size(PHONE)
    _fits(page)
    shot(page, "ops-stay-in-house-390.png")
    page.get_by_test_id("new-room").fill("1510")
    page.get_by_test_id("change-room").click()
    page.wait_for_selector("text=已换房")
    assert page.get_by_test_id("stay-room").inner_text() == "1510"
    page.goto("/ops/desk/?kind=in_house")
    _fits(page)
    _no_codes(page)
    shot(page, "ops-desk-in-house-390.png")
    page.get_by_test_id("stay-row").locator("a").first.click()
    page.get_by_test_id("spend").fill("2380")
    page.get_by_test_id("check-out").click()
    page.wait_for_selector("[data-state=checked_out]")
    _no_codes(page)
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"stay.booked", "stay.checked_in", "stay.room_changed", "stay.checked_out"} <= actions
    assert AuditEvent.objects.filter(action="customer.read", object_type="stay").exists()


def test_courier_delivers_on_a_phone(page: Any, make_customer: Any) -> None:
    from baomi.operations.services import sites, waybills

    _sites()
    manager = mfa_staff("manager")
    courier = mfa_staff("courier")
    sites.post_staff(None, courier, "SH-JA")
    sign_in(page, manager)
    page.goto("/ops/waybills/")
    page.get_by_test_id("range-start").fill("730000000001")
    page.get_by_test_id("range-count").fill("50")
    page.get_by_test_id("range-issue").click()
    page.wait_for_selector("[data-testid=range-row]")
    assert page.get_by_test_id("range-row").get_attribute("data-accounted") == "50"
    _no_codes(page)
    shot(page, "ops-waybill-register-1280.png")
    customer = make_customer()
    ship = waybills.create_shipment(
        courier,
        "delivery",
        customer.id,
        {
            "recipient_name": "李四海",
            "recipient_phone": "13900001111",
            "recipient_address": "上海市徐汇区漕溪北路1号2单元301室",
            "item_type": "文件",
        },
    )
    for stage in ("pickup", "sorting", "transport", "delivery"):
        waybills.scan(courier, ship.waybill_no, stage, "SH-JA")
    page.context.clear_cookies()
    page.set_viewport_size(PHONE)
    sign_in(page, courier)
    page.goto("/ops/deliveries/")
    assert page.get_by_test_id("purpose-delivery").is_visible()  # no purpose yet: asked
    page.goto("/customers/")
    choose_purpose(page, "delivery")
    page.goto("/ops/deliveries/")
    _fits(page)
    assert page.get_by_test_id("delivery-item").count() == 1
    shot(page, "ops-deliveries-390.png")
    page.get_by_test_id("waybill-input").fill(ship.waybill_no)
    page.get_by_test_id("waybill-open").click()
    page.wait_for_url(f"**/ops/waybills/{ship.waybill_no}/")
    card = page.get_by_test_id("parcel-card").inner_text()
    assert "李**" in card and "李四海" not in card
    assert "13900001111" not in card and "139****1111" in card
    assert "漕溪北路1号2单元301室" in card
    assert page.get_by_test_id("relay").inner_text().startswith("95013-")
    box = page.get_by_test_id("parcel-card").bounding_box()
    assert box["y"] < 420  # the parcel comes first (under the header), not below a table
    _fits(page)
    _no_codes(page)
    shot(page, "ops-parcel-390.png")
    page.get_by_test_id("proof-kind").select_option("photo")
    page.get_by_test_id("proof-ref").fill("IMG-0042")
    page.get_by_test_id("deliver").click()
    page.wait_for_url("**/ops/deliveries/")
    assert page.get_by_test_id("no-deliveries").is_visible()
    assert AuditEvent.objects.filter(action="parcel.delivered").exists()
    assert AuditEvent.objects.filter(
        action="customer.read", object_type="shipment", actor_id=courier.pk
    ).exists()


def test_travel_counter_books_a_trip_with_two_travellers(
    page: Any, make_customer: Any, synth: Any
) -> None:
    """Issue #17 §2: a booking from the customer page, then a companion found by ID number
    and a new one registered with their own consent — at 1280 and on a phone."""
    desk = mfa_staff("front_desk")
    lead = make_customer(name="赵丽", phone="13812340001")
    known = synth.customer(foreign_share=0)
    friend = make_customer(**{**known, "name": "钱进"})
    sign_in(page, desk)
    page.goto("/customers/")
    choose_purpose(page, "reception")
    page.goto(f"/customers/{lead.id}/")
    page.get_by_test_id("add-booking").click()
    form = page.get_by_test_id("record-form")
    form.locator("input[name=product]").fill("云南六日游")
    form.locator("input[name=start_date]").fill("2027-01-10")
    form.locator("input[name=end_date]").fill("2027-01-15")
    form.get_by_test_id("save-record").click()
    page.wait_for_url("**/ops/bookings/*/")
    assert "赵丽" in page.get_by_test_id("lead").inner_text()
    existing = page.get_by_test_id("traveller-existing")
    existing.locator("input[name=lookup_id_number]").fill(known["id_number"])
    existing.get_by_test_id("add-existing").click()
    page.wait_for_selector("[data-testid=traveller]")
    page.locator("summary", has_text="登记新旅客").click()
    new = synth.customer(foreign_share=0)
    form = page.get_by_test_id("traveller-new")
    form.locator("input[name=name]").fill("孙悦")
    form.locator("input[name=phone]").fill(new["phone"])
    form.locator("select[name=id_type]").select_option("cn_resident_id")
    form.locator("input[name=id_number]").fill(new["id_number"])
    form.get_by_test_id("consent-travel_companions-yes").check()
    form.get_by_test_id("consent-marketing-no").check()
    shot(page, "ops-booking-travellers-new-1280.png")
    form.get_by_test_id("add-new").click()
    page.wait_for_function("document.querySelectorAll('[data-testid=traveller]').length === 2")
    listed = page.get_by_test_id("travellers").inner_text()
    assert "钱进" in listed and "孙悦" in listed
    _no_codes(page)
    shot(page, "ops-booking-travellers-1280.png")
    page.set_viewport_size(PHONE)
    page.reload()
    _fits(page)
    shot(page, "ops-booking-travellers-390.png")
    added = AuditEvent.objects.filter(action="booking.traveller_added")
    assert added.count() == 2
    assert {e.detail["customer"] for e in added} >= {str(friend.id)}


def test_travel_counter_sees_its_own_bookings_in_full(page: Any, make_customer: Any) -> None:
    """Decision 0041 §7: an agent posted at a travel counter records a trip from the
    customer page; 本柜台订单 lists it (today's departures) with product, destination and
    dates in full, one tap opens the booking — at 1280 and 390 px, in Chinese. Another
    counter's agent sees the same booking masked, as before."""
    from django.utils import timezone

    from baomi.operations.services import sites

    sites.create_site(None, "SH-RMGC", "counter", "人民广场门店", "People's Square", "上海市")
    sites.create_site(None, "HZ-WL", "counter", "武林门店", "Wulin", "杭州市")
    agent = mfa_staff("customer_service")
    sites.post_staff(None, agent, "SH-RMGC")
    lead = make_customer(name="赵丽", phone="13812340001")
    today = timezone.localdate()
    back = (today + dt.timedelta(days=4)).isoformat()
    sign_in(page, agent)
    page.goto("/customers/")
    choose_purpose(page, "customer_service")
    page.goto(f"/customers/{lead.id}/")
    page.get_by_test_id("add-booking").click()
    form = page.get_by_test_id("record-form")
    assert "人民广场门店" in page.locator("main").inner_text()
    form.locator("input[name=product]").fill("三亚五日自由行")
    form.locator("input[name=destination]").fill("海南三亚")
    form.locator("input[name=start_date]").fill(today.isoformat())
    form.locator("input[name=end_date]").fill(back)
    form.locator("input[name=travellers]").fill("2")
    form.get_by_test_id("save-record").click()
    page.wait_for_url("**/ops/bookings/*/")
    booking_url = page.url
    cells = page.get_by_test_id("booking-fields").inner_text()
    assert "海南三亚" in cells and "三亚五日自由行" in cells and back in cells
    page.get_by_test_id("nav-counter").click()
    page.wait_for_url("**/ops/counter/")
    row = page.get_by_test_id("counter-row")
    assert row.count() == 1
    text = row.inner_text()
    assert "海南三亚" in text and today.isoformat() in text and back in text and "赵" in text

    def chinese_only() -> None:
        words = re.sub(r"BK[0-9A-F]{10}", "", page.locator("main").inner_text())
        assert not re.search(r"[A-Za-z]{3,}", words), re.search(r"[A-Za-z]{3,}", words)

    chinese_only()
    _no_codes(page)
    _fits(page)
    shot(page, "ops-counter-bookings-1280.png")
    page.set_viewport_size(PHONE)
    page.reload()
    _fits(page)
    chinese_only()
    shot(page, "ops-counter-bookings-390.png")
    page.get_by_test_id("counter-row").locator("a").click()
    page.wait_for_url(booking_url)
    _fits(page)
    assert "海南三亚" in page.get_by_test_id("booking-fields").inner_text()
    shot(page, "ops-counter-booking-390.png")
    reads = AuditEvent.objects.filter(action="customer.read", object_type="booking")
    assert reads.exists() and all("destination" in e.detail.get("opened", []) for e in reads)

    # another counter's agent: the same booking, today's masks
    other = mfa_staff("customer_service")
    sites.post_staff(None, other, "HZ-WL")
    page.context.clear_cookies()
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, other)
    page.goto("/customers/")
    choose_purpose(page, "customer_service")
    page.goto(booking_url)
    cells = page.get_by_test_id("booking-fields").inner_text()
    assert "海南三亚" not in cells and "三亚五日自由行" not in cells and back not in cells
    page.goto("/ops/counter/")
    page.get_by_test_id("no-bookings").wait_for()
