"""Training in Chromium, in Chinese, at 1280 and 390 px (issue #14; R-I1, R-D1, R-D7): a
front desk past the grace period sees the reason on the sensitive fields of a customer,
takes the exam in the console on a phone, passes, and sees the fields (masked, as the
front desk's policy has them) again. HR's pages and the responsibility matrix fit a phone
screen. Nothing on the pages is wider than the screen."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from .helpers import choose_purpose, mfa_staff, shot, sign_in

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def _fits(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"] + 1, f"page is {width}px wide"


def _setup(desk: Any) -> Any:
    from baomi.core import clock
    from baomi.training import services
    from baomi.training.models import AssignmentRule, Employment

    hr = mfa_staff("hr")
    course = services.save_course(
        hr,
        code="privacy-yearly",
        kind="yearly",
        title_zh="年度隐私与信息安全培训",
        title_en="Yearly privacy and information security",
        body_zh="客户信息分为基础信息、敏感信息和隐私偏好三类。",
        body_en="Customer information is basic, sensitive or preference.",
        questions_per_exam=0,
        classification_questions=4,
    )
    services.save_rule(hr, course=course, event="yearly", role="front_desk", apply_now=False)
    AssignmentRule.objects.update(created_at=clock.now() - timedelta(days=90))
    Employment.objects.create(
        staff=desk, hired_on=services.today() - timedelta(days=60), updated_at=clock.now()
    )
    services.record_agreement(hr, desk, "2026.1", services.today())
    services.run_rules(hr)
    return hr


def test_untrained_desk_takes_the_exam_on_a_phone(page: Any, make_customer: Any) -> None:
    from baomi.training.models import Attempt

    desk = mfa_staff("front_desk")
    _setup(desk)
    guest = make_customer(
        name="王小明",
        id_type="cn_resident_id",
        id_number="11010519491231002X",
        birth_date="1949-12-31",
    )
    sign_in(page, desk)
    page.goto("/customers/")
    choose_purpose(page, "reception")
    page.goto(f"/customers/{guest.id}/")
    assert page.get_by_test_id("staff-withheld").is_visible()
    row = page.locator('tr[data-field="id_number"]')
    assert row.get_attribute("data-treatment") == "withheld"
    assert "培训" in row.get_by_test_id("withheld-reason").inner_text()
    assert "002X" not in page.content()
    _fits(page)
    shot(page, "training-withheld-1280.png")
    page.set_viewport_size(PHONE)
    page.goto("/training/")
    assert page.get_by_test_id("standing").get_attribute("data-state") == "withheld"
    _fits(page)
    page.get_by_test_id("open-assignment").click()
    page.get_by_test_id("exam-start").click()
    page.get_by_test_id("exam-form").wait_for()
    _fits(page)
    shot(page, "training-exam-390.png")
    att = Attempt.objects.get(assignment__staff=desk)
    for key, right in att.answer_key.items():
        for i in right:
            page.locator(f'fieldset[data-key="{key}"] input[value="{i}"]').check()
    page.get_by_test_id("exam-submit").click()
    page.wait_for_url("**/training/")
    assert page.get_by_test_id("standing").get_attribute("data-state") == "current"
    page.goto(f"/customers/{guest.id}/")
    row = page.locator('tr[data-field="id_number"]')
    assert row.get_attribute("data-treatment") == "masked"
    assert page.get_by_test_id("staff-withheld").count() == 0
    _fits(page)


def test_hr_pages_and_the_duties_matrix_fit_a_phone(page: Any) -> None:
    desk = mfa_staff("front_desk")
    hr = _setup(desk)
    sign_in(page, hr)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 844})
        for path in ("/training/manage/", "/training/reports/", "/training/duties/"):
            page.goto(path)
            assert page.locator("main h1").count() == 1
            _fits(page)
            shot(page, f"training-{path.strip('/').replace('/', '-')}-{width}.png")
    page.goto("/training/reports/")
    assert (
        page.locator(f'tr[data-username="{desk.username}"]').get_attribute("data-withheld") == "1"
    )
