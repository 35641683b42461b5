"""Issue #9 access pages in a real browser at 1280 and 390 px (zh-Hans, no raw codes, no
sideways scrolling): the break-glass form with its reason category, the privacy officer's
emergency alert and read-only list, and the four-eyes reset page of a privileged account."""

from __future__ import annotations

from typing import Any

import pytest

from .helpers import at, choose_purpose, mfa_staff, shot, sign_in

pytestmark = pytest.mark.browser
WIDTHS = (1280, 390)
RAW_CODES = ("life_or_health", "public_security", "break_glass", "reason_category", "four_eyes")


def _fits(page: Any, width: int) -> None:
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width + 1, (width, scroll)
    text = page.locator("main").inner_text()
    assert not any(code in text for code in RAW_CODES), text


def test_break_glass_form_and_the_privacy_officers_alert(page: Any, make_customer: Any) -> None:
    cust = make_customer(
        id_type="cn_resident_id", id_number="11010519491231002X", birth_date="1949-12-31"
    )
    desk = mfa_staff("front_desk")
    sign_in(page, desk)
    choose_purpose(page, "reception")
    page.goto(f"/customers/{cust.id}/")
    box = page.get_by_test_id("break-glass-box")
    box.locator("summary").click()
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        _fits(page, width)
        shot(page, f"baomi-break-glass-form-{width}.png")
    page.get_by_test_id("break-glass-category").select_option("life_or_health")
    page.get_by_test_id("break-glass-reason").fill("客人在大堂晕倒，急救人员需要身份证号")
    page.get_by_test_id("break-glass-submit").click()
    page.get_by_test_id("break-glass").wait_for()
    assert "11010519491231002X" in page.locator("main").inner_text()
    page.context.clear_cookies()
    po = mfa_staff("privacy_officer")
    sign_in(page, po)
    alert = page.get_by_test_id("break-glass-alert")
    assert "紧急访问：1 条新告警" in alert.inner_text()
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        _fits(page, width)
        shot(page, f"baomi-po-break-glass-alert-{width}.png")
    alert.locator("a").click()
    page.wait_for_url(at("/reviews/break-glass/"))
    assert "人身安全" in page.locator("main").inner_text()
    assert page.locator("form.decide").count() == 0  # read-only for the privacy officer
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        _fits(page, width)
        shot(page, f"baomi-po-break-glass-list-{width}.png")


def test_resetting_a_privileged_account_asks_a_second_admin(page: Any) -> None:
    admin = mfa_staff("security_admin")
    target = mfa_staff("privacy_officer")
    sign_in(page, admin)
    page.goto(f"/staff/{target.pk}/")
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        _fits(page, width)
        shot(page, f"baomi-staff-privileged-{width}.png")
    form = page.get_by_test_id("reset-password-form")
    form.locator("input[name=reason]").fill("忘记密码，已核实身份")
    page.get_by_test_id("reset-password").click()
    page.wait_for_url(at(f"/staff/{target.pk}/"))
    assert "须由另一位安全管理员批准" in page.locator("main").inner_text()
    page.goto("/approvals/")
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        shot(page, f"baomi-approvals-reset-{width}.png")
    assert "重置特权账号凭据" in page.locator("main").inner_text()
