"""Incident console pages in Chromium at 1280 and 390 px (zh-Hans): readable, no sideways
scrolling, the clocks in Beijing time. BAOMI_SCREENSHOT_DIR=dir keeps screenshots."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

import pytest

from baomi.access.enums import Role
from baomi.core import clock
from baomi.customers import gate

from .helpers import SCREENSHOT_DIR, mfa_staff, sign_in


@pytest.fixture
def case(make_customer: Any, make_staff: Any) -> Any:
    from baomi.audit import monitoring
    from baomi.incidents import notices, scoping, services

    officer = make_staff(Role.PRIVACY_OFFICER)
    suspect = make_staff(Role.FRONT_DESK)
    people = [make_customer() for _ in range(3)]
    for p in people:
        gate.access_customer(suspect, "reception", p.id, related=False)
    inc = services.open_incident(
        officer,
        title="前台账号被盗用，客户资料被批量查询",
        kind="unauthorised_access",
        severity="medium",
        detected_at=clock.now() - timedelta(hours=20),
    )
    now = clock.now()
    scoping.scope_incident(
        officer,
        inc.pk,
        scoping.ScopeMethod.ACCOUNT,
        scoping.account_params(suspect.pk, now - timedelta(hours=1), now + timedelta(seconds=1)),
    )
    services.set_notice_texts(
        officer,
        inc.pk,
        notice_what="员工账号被盗用后查询了客户资料。",
        notice_measures="已停用账号并报告网信部门。",
        notice_advice="请警惕冒充本公司的电话。",
        notice_contact="隐私保护办公室 400-000-0000",
    )
    services.add_containment(officer, inc.pk, "停用被盗账号，重置密码", "信息安全部")
    notices.prepare(officer, inc.pk)
    monitoring.raise_alerts(
        [
            monitoring.Finding(
                "off_hours", "medium", "b:1", "非工作时间批量查询", suspect.pk, suspect.username, 1
            )
        ]
    )
    return inc


def _shot(page: Any, name: str) -> None:
    if SCREENSHOT_DIR:
        os.makedirs(SCREENSHOT_DIR, exist_ok=True)
        page.screenshot(path=os.path.join(SCREENSHOT_DIR, name), full_page=True)


@pytest.mark.parametrize("width", [1280, 390])
def test_incident_pages_fit_and_speak_chinese(page: Any, case: Any, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, mfa_staff("privacy_officer"))
    for path, name, heading in [
        ("/incidents/", "dashboard", "事件应急"),
        (f"/incidents/{case.pk}/", "detail", case.reference),
        (f"/incidents/{case.pk}/report/regulator/", "report", "网络安全事件报告"),
        ("/incidents/assessments/", "assessments", "安全评估"),
        ("/incidents/plan/", "plan", "应急预案"),
    ]:
        page.goto(path)
        assert heading in page.locator("h1").first.inner_text()
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{path} scrolls sideways by {overflow}px at {width}px"
        _shot(page, f"incidents-{name}-{width}.png")
    page.goto("/incidents/")
    assert page.get_by_test_id("open-from-alert").count() == 1
