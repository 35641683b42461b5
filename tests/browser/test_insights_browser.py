"""Insights in Chromium, in Chinese, at 1280 and 390 px (issue #18; R-L1, R-D2): marketing
computes the segments, sees the sizes with their bars and the hidden small groups, makes and
sends a campaign on a phone; the manager reads the same pages. Nothing is wider than the
screen, and no page shows a customer."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from .helpers import mfa_staff, shot, sign_in

pytestmark = pytest.mark.browser


def _fits(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"] + 1, f"page is {width}px wide"


def _population(make_customer: Any) -> list[Any]:
    from baomi.consent import services as consent
    from baomi.core import clock
    from baomi.customers import services as customers
    from baomi.customers.models import Booking

    desk = mfa_staff("front_desk")
    out = []
    for i in range(15):
        c = make_customer()
        for code in ("profiling", "marketing"):
            consent.give(None, c.id, code, channel="store", method="checkbox")
        days = ((200, 12000), (100, 12000), (30, 12000)) if i < 12 else ((20, 15000),)
        for ago, amount in days:
            b = customers.add_record(
                desk,
                "reception",
                c.id,
                "booking",
                {"product": "三亚自由行", "amount": f"{amount}.00"},
            )
            Booking.objects.filter(pk=b.pk).update(created_at=clock.now() - timedelta(days=ago))
        out.append(c)
    return out


def test_marketing_and_manager_pages_fit_both_widths(page: Any, make_customer: Any) -> None:
    people = _population(make_customer)
    mk = mfa_staff("marketing")
    sign_in(page, mk)
    page.goto("/insights/")
    page.get_by_test_id("insights-run").click()
    page.get_by_test_id("insights-run-summary").wait_for()
    assert page.locator('tr[data-segment="travel.potential"] [data-testid="suppressed"]').count()
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 844})
        for path in ("/insights/", "/insights/segments/travel.high_value/", "/insights/campaigns/"):
            page.goto(path)
            assert page.locator("main h1").count() == 1
            _fits(page)
            shot(page, f"insights-{path.strip('/').replace('/', '-')}-{width}.png")
    page.goto("/insights/campaigns/")
    page.locator("details.card summary").click()
    form = page.get_by_test_id("campaign-form")
    form.locator("input[name=name]").fill("冬季回访")
    form.locator("select[name=segment]").select_option("lifecycle.active")
    form.locator("textarea[name=template_zh]").fill("冬季线路九折。")
    form.locator("button[type=submit]").click()
    page.get_by_test_id("campaign-send").click()
    page.locator("tr[data-campaign]").first.wait_for()
    _fits(page)
    html = page.content()
    for c in people:
        assert str(c.id) not in html
    mgr = mfa_staff("manager")
    page.context.clear_cookies()
    page.set_viewport_size({"width": 1280, "height": 844})
    sign_in(page, mgr)
    page.goto("/insights/")
    assert page.get_by_test_id("insights-run").count() == 0
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/insights/campaigns/")
    assert page.get_by_test_id("campaign-form").count() == 0
    _fits(page)
