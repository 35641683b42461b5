"""R-B2: the privacy notice visible on every platform, and every platform updated within 3
months of a change — a register of platforms and postings, and two indicators computed
from it as of the period's end."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from baomi.audit.models import AuditEvent
from baomi.consent import platforms, services
from baomi.consent.models import PrivacyNotice
from baomi.contract import kpis
from baomi.core import clock

pytestmark = pytest.mark.django_db


def _post(c: Any, h: dict[str, str], url: str, body: dict[str, Any]) -> Any:
    return c.post(url, body, content_type="application/json", headers=h)


def _value(code: str, period: kpis.Period) -> Any:
    ind = kpis.get(code)
    assert ind is not None
    return kpis.evaluate(ind, period).measurement


def test_visibility_and_updates_follow_the_register(
    api_client: Any, make_staff: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    v1 = services.current_notice()
    month = kpis.current_period(kpis.MONTH)
    assert _value("consent.notice_visibility", month).reason == "no_platforms"
    c, h = api_client("privacy_officer")
    for code, channel, name in (("web", "web", "官网"), ("wx", "wechat", "微信公众号")):
        r = _post(
            c,
            h,
            "/api/v1/privacy-notice/platforms",
            {"code": code, "channel": channel, "name": name},
        )
        assert r.status_code == 201, r.content
    dup = _post(
        c, h, "/api/v1/privacy-notice/platforms", {"code": "web", "channel": "web", "name": "x"}
    )
    assert dup.status_code == 409
    r = _post(
        c,
        h,
        "/api/v1/privacy-notice/publications",
        {"platform": "web", "evidence": "https://example.cn/privacy"},
    )
    assert r.status_code == 201 and r.json()["version"] == v1.version
    assert len(c.get("/api/v1/privacy-notice/platforms", headers=h).json()) == 2
    no_evidence = _post(
        c, h, "/api/v1/privacy-notice/publications", {"platform": "wx", "evidence": ""}
    )
    assert no_evidence.status_code == 422
    m = _value("consent.notice_visibility", month)
    assert (m.value, m.numerator, m.denominator) == (50.0, 1, 2)
    # wx shows nothing yet, but the version came out today: it has 3 months
    assert _value("consent.notice_updated", month).value == 100.0
    _post(
        c,
        h,
        "/api/v1/privacy-notice/publications",
        {"platform": "wx", "evidence": "推文 2026-12-07"},
    )
    assert _value("consent.notice_updated", month).value == 100.0
    # the notice changes: both platforms have 3 months to show the new version
    v2 = PrivacyNotice.objects.create(
        version=v1.version + 1, digest="0" * 64, published_at=clock.now(), content=v1.content
    )
    assert _value("consent.notice_updated", month).value == 100.0  # within 3 months
    later = clock.now() + timedelta(days=100)
    monkeypatch.setattr(clock, "now", lambda: later)
    future = kpis.current_period(kpis.MONTH, later)
    assert _value("consent.notice_updated", future).value == 0.0  # both late now
    assert _value("consent.notice_visibility", future).value == 100.0  # still visible
    platforms.record_posting(  # the API token expired in these 100 days: the service
        make_staff("privacy_officer"),
        platform="web",
        version=v2.version,
        evidence="https://example.cn/privacy?v=2",
    )
    assert _value("consent.notice_updated", future).value == 50.0
    listed = {s.platform.code: s.up_to_date for s in platforms.standing()}
    assert listed == {"web": True, "wx": False}
    assert AuditEvent.objects.filter(action="notice.posted").count() == 3


def test_roles_and_the_console_page(api_client: Any, staff_client: Any) -> None:
    d, dh = api_client("front_desk")
    r = _post(
        d, dh, "/api/v1/privacy-notice/platforms", {"code": "x", "channel": "web", "name": "x"}
    )
    assert r.status_code == 403
    assert d.get("/api/v1/privacy-notice/platforms", headers=dh).status_code == 403
    c, _ = staff_client("privacy_officer")
    r = c.post(
        "/privacy/platforms/",
        {"op": "add", "code": "store-posters", "channel": "store", "name": "门店公告栏"},
    )
    assert r.status_code == 302
    r = c.post(
        "/privacy/platforms/",
        {"op": "post", "platform": "store-posters", "evidence": "照片 IMG_0042"},
    )
    assert r.status_code == 302
    page = c.get("/privacy/platforms/").content.decode()
    assert "门店公告栏" in page and "已公示现行版本" in page and "store<" not in page
    fd, _ = staff_client("front_desk")
    assert fd.get("/privacy/platforms/").status_code == 403
