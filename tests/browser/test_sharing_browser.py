"""The third-party pages in Chromium at 1280 and 390 px (zh-Hans): legal registers a
partner through the form and sees the register; front desk is refused a field outside the
agreement and then prepares a package; the lawful-request desk. At 390 px nothing is wider
than the screen (R-G1, R-G2)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pyrage import x25519

from baomi.access.enums import Role

from .helpers import mfa_staff, shot, sign_in

pytestmark = pytest.mark.browser


def _fits(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"] + 1, f"page is {width}px wide"


def test_register_disclose_and_lawful_desk(page: Any, make_customer: Any) -> None:
    from baomi.consent import services as consent
    from baomi.sharing.services import lawful

    legal = mfa_staff(Role.LEGAL.value)
    key = x25519.Identity.generate()
    sign_in(page, legal)
    page.goto("/sharing/partners/new/")
    form = page.get_by_test_id("partner-form")
    form.locator("input[name=name]").fill("东方航空示例")
    form.locator("select[name=kind]").select_option("airline")
    form.locator("input[name=public_key]").fill(str(key.to_public()))
    form.locator("input[name=incident_contact]").fill("安全事件热线 400-000-0000")
    form.locator("input[name=document_ref]").fill("DPA-2026-001")
    today = dt.date.today()
    form.locator("input[name=signed_on]").fill((today - dt.timedelta(days=10)).isoformat())
    form.locator("input[name=expires_on]").fill((today + dt.timedelta(days=20)).isoformat())
    form.locator("textarea[name=signatories]").fill("甲方：法务部\n乙方：法务部")
    form.locator("input[name=purposes][value=reception]").check()
    form.locator("input[name=fields][value='customer.name']").check()
    form.locator("input[name=fields][value='customer.phone']").check()
    form.locator("textarea[name=obligations]").fill("仅用于约定目的\n事件24小时内通报")
    shot(page, "sharing-partner-new-1280.png")
    form.get_by_test_id("partner-submit").click()
    page.wait_for_url("**/sharing/partners/*/")
    assert page.get_by_test_id("standing").get_attribute("data-standing") == "active"
    shot(page, "sharing-partner-1280.png")
    page.goto("/sharing/")
    assert page.get_by_test_id("partner-row").count() == 1
    assert "即将到期" in page.get_by_test_id("register").inner_text()
    shot(page, "sharing-dashboard-1280.png")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "sharing-dashboard-390.png")
    _fits(page)
    page.goto(page.url.replace("/sharing/", "/sharing/partners/1/"))
    shot(page, "sharing-partner-390.png")
    _fits(page)

    # front desk: a refusal in words, then a package
    desk = mfa_staff(Role.FRONT_DESK.value)
    customer = make_customer()
    consent.record(
        desk,
        customer.id,
        "partner_sharing",
        True,
        channel="store",
        method="signature",
        staff_purpose="reception",
    )
    page.context.clear_cookies()
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, desk)
    page.goto("/")
    page.get_by_test_id("purpose-reception").check()
    page.get_by_test_id("purpose-submit").click()
    page.wait_for_url("**/customers/")
    page.goto("/sharing/disclose/")
    form = page.get_by_test_id("disclose-form")
    form.locator("textarea[name=customer_ids]").fill(str(customer.id))
    form.locator("input[name=fields][value='customer.name']").check()
    form.locator("input[name=fields][value='customer.email']").check()
    form.get_by_test_id("disclose-submit").click()
    errors = page.get_by_test_id("form-errors").inner_text()
    assert "不在协议约定范围内" in errors and "电子邮箱" in errors
    shot(page, "sharing-disclose-refused-1280.png")
    page.get_by_test_id("disclose-form").locator(
        "input[name=fields][value='customer.email']"
    ).uncheck()
    page.get_by_test_id("disclose-submit").click()
    assert page.get_by_test_id("included-count").inner_text() == "1"
    assert page.get_by_test_id("download-token").inner_text()
    shot(page, "sharing-disclose-1280.png")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "sharing-disclose-390.png")
    _fits(page)

    # the 360 page shows the disclosure to whoever may read the customer
    page.goto(f"/customers/{customer.id}/")
    panel = page.get_by_test_id("disclosures-panel")
    assert "东方航空示例" in panel.inner_text()
    panel.scroll_into_view_if_needed()
    shot(page, "sharing-360-panel-390.png")
    box = panel.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 390 + 1  # the panel fits the phone

    # the lawful-request desk, as the privacy officer sees it
    officer = mfa_staff(Role.PRIVACY_OFFICER.value)
    lawful.register(
        legal,
        {
            "authority_type": "public_security",
            "authority_name": "某市公安局某分局",
            "officers": [
                {"name": "王警官", "badge_no": "012345"},
                {"name": "李警官", "badge_no": "012346"},
            ],
            "document_type": "调取证据通知书",
            "document_no": "某公调字〔2026〕118号",
            "legal_basis": "《刑事诉讼法》第五十四条",
            "customer_ids": [str(customer.id)],
            "fields": ["customer.name"],
            "deadline": (today + dt.timedelta(days=3)).isoformat(),
            "handler_id": legal.pk,
        },
    )
    page.context.clear_cookies()
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, officer)
    page.goto("/sharing/lawful/")
    assert page.get_by_test_id("lawful-row").count() == 1
    shot(page, "sharing-lawful-1280.png")
    with page.expect_navigation():  # is_visible does not wait: read the new page, not the list
        page.get_by_test_id("lawful-row").locator("a").click()
    assert page.get_by_test_id("decision-form").is_visible()
    shot(page, "sharing-lawful-detail-1280.png")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "sharing-lawful-detail-390.png")
    _fits(page)
    page.goto("/sharing/lawful/new/")
    shot(page, "sharing-lawful-new-390.png")
    _fits(page)
