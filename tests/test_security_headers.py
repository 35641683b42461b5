"""Content-Security-Policy and Permissions-Policy on every response (issue #9 §4; ASVS
5.0 V3.4.3). The browser side — pages still working under the policy, Swagger UI offline —
is tests/browser/test_csp_browser.py."""

from __future__ import annotations

import re
from typing import Any

import pytest

pytestmark = pytest.mark.django_db


def _csp(r: Any) -> dict[str, str]:
    return {
        part.strip().split(" ", 1)[0]: part.strip().split(" ", 1)[1]
        for part in r["Content-Security-Policy"].split(";")
        if part.strip()
    }


@pytest.mark.parametrize(
    "path",
    [
        "/login/",  # console page
        "/portal/",  # public portal
        "/privacy",  # privacy notice
        "/api/v1/health",  # API JSON
        "/api/v1/customers",  # API problem+json (401)
        "/api/v1/docs",  # API docs
        "/no-such-page/",  # 404 page
    ],
)
def test_every_response_carries_a_strict_csp_and_permissions_policy(client: Any, path: str) -> None:
    r = client.get(path)
    csp = _csp(r)
    assert csp["default-src"] == "'self'"
    assert csp["object-src"] == "'none'" and csp["base-uri"] == "'none'"
    assert csp["frame-ancestors"] == "'none'" and csp["form-action"] == "'self'"
    for directive in ("script-src", "style-src"):
        assert "'unsafe-inline'" not in csp[directive] and "'unsafe-eval'" not in csp[directive]
        assert re.fullmatch(r"'self' 'nonce-[A-Za-z0-9_-]{24}'", csp[directive])
    assert "http" not in r["Content-Security-Policy"]  # no third-party origin at all
    pp = r["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in pp


def test_nonce_is_fresh_per_response_and_used_by_inline_blocks(client: Any) -> None:
    a, b = client.get("/login/"), client.get("/login/")
    assert _csp(a)["script-src"] != _csp(b)["script-src"]


def test_no_template_uses_inline_styles_or_scripts_without_the_nonce() -> None:
    """A style attribute or an inline <script>/<style> without the nonce would be blocked
    by the policy: templates use classes and static files instead."""
    from pathlib import Path

    import baomi

    root = Path(baomi.__file__).parent
    bad = []
    # a generated report is a standalone document, downloaded (Content-Disposition:
    # attachment) and opened from disk — never a console page under this policy
    standalone = {"reports/templates/reports/report.html"}
    for tpl in root.rglob("templates/**/*.html"):
        if str(tpl.relative_to(root)) in standalone:
            continue
        text = tpl.read_text(encoding="utf-8")
        if re.search(r"\sstyle=\"", text) or re.search(r"\son[a-z]+=\"", text):
            bad.append(f"{tpl.relative_to(root)}: style/on* attribute")
        for tag in re.findall(r"<(?:script|style)\b[^>]*>", text):
            if "src=" not in tag and "nonce=" not in tag and "application/json" not in tag:
                bad.append(f"{tpl.relative_to(root)}: {tag}")
    assert not bad, bad


def test_api_docs_load_swagger_from_the_package(client: Any) -> None:
    html = client.get("/api/v1/docs").content.decode()
    srcs = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any(s.endswith("/static/ninja/swagger-ui-bundle.js") for s in srcs), srcs
    assert any(s.endswith("/static/ninja/swagger-ui.css") for s in srcs), srcs
    assert not [s for s in srcs if s.startswith(("http:", "https:", "//"))], srcs
