"""Console pages for marketing and manager (Chinese and English), aggregates only."""

from __future__ import annotations

from typing import Any

import pytest

from baomi.insights.models import Campaign, InsightRun

from .conftest import HIGH, POTENTIAL

pytestmark = pytest.mark.django_db


def test_marketing_runs_and_reads_segments_in_both_languages(
    staff_client: Any, population: Any
) -> None:
    population(12, bookings=HIGH)
    population(3, bookings=POTENTIAL)
    c, _ = staff_client("marketing", "marketing")
    r = c.get("/insights/")
    assert r.status_code == 200 and b'data-testid="insights-none"' in r.content
    r = c.post("/insights/run/")
    assert r.status_code == 302 and InsightRun.objects.count() == 1
    body = c.get("/insights/").content.decode()
    assert 'data-segment="travel.potential"' in body and 'data-testid="suppressed"' in body
    assert 'style="' not in body and " onclick" not in body
    assert (
        "ins-bar" in body
        and "travel_style =" not in body
        and "T0" not in body.split("insights-run-summary")[1][:120]
    )
    en = c.get("/insights/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    zh = c.get("/insights/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "Customer segments" in en or "客户分群" in zh
    seg = c.get("/insights/segments/travel.potential/")
    assert seg.status_code == 200 and b'data-testid="suppressed"' in seg.content


def test_campaign_pages(staff_client: Any, population: Any) -> None:
    population(12, bookings=HIGH)
    c, _ = staff_client("marketing", "marketing")
    r = c.post(
        "/insights/campaigns/",
        {
            "name": "回头客",
            "segment": "lifecycle.active",
            "channel": "wechat",
            "template_zh": "欢迎再次出行。",
            "window_days": "30",
        },
    )
    assert r.status_code == 302
    camp = Campaign.objects.get()
    r = c.post(f"/insights/campaigns/{camp.pk}/send/")
    assert r.status_code == 302
    camp.refresh_from_db()
    assert camp.state == "sent" and camp.audience == 12
    body = c.get("/insights/campaigns/").content.decode()
    assert f'data-campaign="{camp.pk}"' in body and 'style="' not in body
    mgr, _ = staff_client("manager")
    page = mgr.get("/insights/campaigns/")
    assert page.status_code == 200 and b'data-testid="campaign-form"' not in page.content
    assert mgr.post("/insights/run/").status_code == 403


def test_other_roles_are_refused(staff_client: Any) -> None:
    c, _ = staff_client("front_desk", "reception")
    assert c.get("/insights/").status_code == 403
    assert c.get("/insights/campaigns/").status_code == 403
