"""The self-service portal in a real browser (Debian's Chromium via Playwright), as a new
user would use it on a phone: ask for a code, read it from the outbox (service layer),
sign in, see their own data unmasked, download a copy (JSON and HTML), ask for deletion;
the privacy officer completes it in the console, the portal then says the data is erased,
nothing decryptable is left and the audit log verifies (R-F1, R-C5)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from baomi.customers.models import Customer
from baomi.portal import selectors as outbox
from baomi.rights.models import RequestState, RightsRequest
from baomi.vault.models import BlindIndexEntry, DataKey

from .helpers import choose_purpose, mfa_staff, sign_in

pytestmark = pytest.mark.browser

PHONE = "13812345678"
FULL_ID = "11010519491231002X"


@pytest.fixture
def customer(make_customer: Any) -> Any:
    return make_customer(
        name="王小明",
        phone=PHONE,
        id_type="cn_resident_id",
        id_number=FULL_ID,
        birth_date="1949-12-31",
        address="北京市朝阳区建国路88号",
    )


@pytest.fixture
def phone(browser: Any, live_server: Any, flushable_audit: None) -> Any:
    context = browser.new_context(
        base_url=live_server.url,
        locale="zh-CN",
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        accept_downloads=True,
    )
    context.set_default_timeout(15_000)
    p = context.new_page()
    try:
        yield p
    finally:
        context.close()


def test_portal_copy_and_deletion(
    phone: Any, customer: Any, browser: Any, live_server: Any, tmp_path: Path
) -> None:
    page = phone
    page.goto("/portal/")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.get_by_test_id("start-form").locator("input[name=address]").fill(PHONE)
    page.get_by_test_id("send-code").click()
    page.wait_for_url("**/portal/verify/")
    assert "138****5678" in page.get_by_test_id("sent-to").inner_text()

    code = outbox.latest_code("138****5678")  # the outbox, through the service layer
    assert code is not None
    page.locator("input[name=code]").fill(code)
    page.get_by_test_id("verify-code").click()
    page.wait_for_url("**/portal/me/")
    profile = page.get_by_test_id("my-profile")
    assert profile.locator("[data-field=id_number]").inner_text() == FULL_ID  # unmasked
    assert profile.locator("[data-field=name]").inner_text() == "王小明"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    with page.expect_download() as dl:
        page.get_by_test_id("copy-json").click()
    path = tmp_path / "copy.json"
    dl.value.save_as(path)
    copy = json.loads(path.read_text())
    assert copy["profile"]["id_number"] == FULL_ID and copy["customer_id"] == str(customer.id)
    assert copy["access_log"]["by_role"], "the copy says who read the data (by role)"

    with page.expect_download() as dl:
        page.get_by_test_id("copy-html").click()
    html = tmp_path / "copy.html"
    dl.value.save_as(html)
    assert FULL_ID in html.read_text() and "谁查阅过您的信息" in html.read_text()

    page.get_by_test_id("erase-confirm").check()
    page.get_by_test_id("erase-submit").click()
    page.get_by_test_id("erase-pending").wait_for()
    req = RightsRequest.objects.get(customer_id=customer.id, kind="erase")
    assert req.state == RequestState.VERIFIED and req.via == "portal"
    assert RightsRequest.objects.filter(kind="access", state=RequestState.COMPLETED).count() == 2

    # the privacy officer, at a desk: dashboard with the consent KPI and the SLA clock, then
    # the request moved to in progress and completed in the console (R-F1)
    desk = browser.new_context(base_url=live_server.url, locale="zh-CN")
    desk.set_default_timeout(15_000)
    console = desk.new_page()
    try:
        sign_in(console, mfa_staff("privacy_officer"))
        choose_purpose(console, "rights_request")
        console.goto("/rights/")
        assert console.get_by_test_id("consent-kpi").is_visible()
        assert console.get_by_test_id("open-count").inner_text() == "1"
        row = console.locator(f"[data-testid=queue-row][data-id='{req.pk}']")
        row.get_by_test_id("open-request").click()
        console.wait_for_url(f"**/rights/{req.pk}/")
        assert "个工作日" in console.get_by_test_id("sla-left").inner_text()
        for to in ("in_progress", "completed"):
            console.get_by_test_id(f"to-{to}").click()
            console.wait_for_url(f"**/rights/{req.pk}/")
            assert console.get_by_test_id("request-facts").get_attribute("data-state") == to
        console.get_by_test_id("certificate").click()
        cert = console.get_by_test_id("erasure-certificate")
        assert cert.get_by_test_id("certificate-no").inner_text().startswith("EC-")
        assert "密码学销毁" in cert.inner_text()
    finally:
        desk.close()

    page.goto("/portal/me/")
    assert "您的信息已删除" in page.locator("h1").inner_text()
    # nothing decryptable is left: no data key, no index rows, no sealed column; the audit
    # log still verifies
    c = Customer.objects.get(id=customer.id)
    assert c.erased_at is not None and c.name is None and c.id_number is None
    key = DataKey.objects.get(subject_id=customer.id)  # the row stays as evidence, emptied
    assert key.destroyed_at is not None and bytes(key.wrapped) == b""
    assert not BlindIndexEntry.objects.filter(subject_id=customer.id).exists()
    call_command("audit", "verify", stdout=io.StringIO())
