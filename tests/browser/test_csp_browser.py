"""The pages under the strict Content-Security-Policy, in Debian's Chromium with the
network cut off (issue #9 §4; ASVS 5.0 V3.4.3): the API docs load Swagger UI from
baomi's own static files (no CDN) and render offline; the console and the portal work at
1280 and 390 px with no CSP violation and no request leaving the machine."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

import pytest

from baomi.customers import services

from .helpers import choose_purpose, mfa_staff, shot, sign_in

FULL_ID = "11010519491231002X"


@pytest.fixture
def watched(page: Any) -> tuple[Any, list[str], list[str]]:
    """The page, the CSP violations its console reported, and every request that tried
    to leave the machine (each one aborted: the browser is offline)."""
    violations: list[str] = []
    external: list[str] = []
    host = urlparse(page.context.pages[0].url or "http://localhost").hostname

    def route(r: Any) -> None:
        url = urlparse(r.request.url)
        if url.scheme in ("data", "blob") or url.hostname in {host, "localhost", "127.0.0.1"}:
            r.continue_()
        else:
            external.append(r.request.url)
            r.abort()

    page.context.route("**/*", route)
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.on("pageerror", lambda e: violations.append(f"pageerror: {e}"))
    return page, violations, external


def test_api_docs_render_offline_from_the_package(watched: Any) -> None:
    page, violations, external = watched
    r = page.goto("/api/v1/docs")
    assert r is not None and r.status == 200
    csp = r.headers["content-security-policy"]
    assert "'unsafe-inline'" not in csp and "object-src 'none'" in csp
    page.locator(".swagger-ui .info .title").wait_for()
    assert "baomi API" in page.locator(".swagger-ui .info .title").inner_text()
    page.locator(".opblock-tag-section").first.wait_for()
    assert page.locator(".opblock").count() > 10  # the operations are listed
    html = page.content()
    assert "cdn.jsdelivr" not in html and "unpkg" not in html
    shot(page, "baomi-api-docs.png")
    assert not external, external
    assert not violations, violations


@pytest.mark.parametrize("width", [1280, 390])
def test_console_and_portal_work_under_the_csp(
    watched: Any, make_customer: Any, make_staff: Any, synth: Any, width: int
) -> None:
    page, violations, external = watched
    page.set_viewport_size({"width": width, "height": 900})
    c = make_customer(
        phone="13812345678",
        id_type="cn_resident_id",
        id_number=FULL_ID,
        birth_date="1949-12-31",
    )
    services.add_record(make_staff("front_desk"), "reception", c.id, "booking", synth.booking())
    for path in ("/privacy", "/portal/", "/login/"):
        r = page.goto(path)
        assert r is not None and r.status == 200, path
        assert "content-security-policy" in r.headers and "permissions-policy" in r.headers
    sign_in(page, mfa_staff("front_desk"))
    choose_purpose(page, "reception")
    page.get_by_test_id("search-form").locator("input[name=phone]").fill("13812345678")
    page.get_by_test_id("search-submit").click()
    page.get_by_test_id("open-customer").first.click()
    page.wait_for_url("**/customers/*-*/")
    assert page.get_by_test_id("value-id_number").inner_text() == "****002X"
    # the stylesheet applied (a blocked stylesheet would leave the page unstyled)
    assert page.evaluate("getComputedStyle(document.querySelector('header.top')).display") == "flex"
    shot(page, f"baomi-360-csp-{width}.png")
    page.goto("/portal/")
    shot(page, f"baomi-portal-csp-{width}.png")
    assert not external, external
    assert not violations, violations
