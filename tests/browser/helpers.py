"""Steps the browser tests share: the console's real sign-in (password, then the current
code of the authenticator), choosing a purpose, screenshots on request."""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlparse

from baomi.access.services import create_staff_with_mfa
from conftest import PASSWORD, current_otp

SCREENSHOT_DIR = os.environ.get("BAOMI_SCREENSHOT_DIR", "")


def at(path: str) -> Any:
    return lambda url: urlparse(url).path == path


def mfa_staff(role: str) -> Any:
    """An account with a confirmed authenticator, as `baomi createstaff` makes it."""
    return create_staff_with_mfa(None, f"{role}_{os.urandom(4).hex()}", role, PASSWORD).staff


def password_step(page: Any, username: str) -> None:
    page.goto("/login/")
    form = page.get_by_test_id("login-form")
    form.locator("input[name=username]").fill(username)
    form.locator("input[name=password]").fill(PASSWORD)
    form.locator("button[type=submit]").click()


def sign_in(page: Any, staff: Any) -> None:
    """The real two-step sign-in: password, then the current code of the authenticator."""
    password_step(page, staff.username)
    page.wait_for_url(at("/login/code/"))
    page.get_by_test_id("code-input").fill(current_otp(staff))
    page.get_by_test_id("code-submit").click()
    page.wait_for_url(at("/"))
    assert page.get_by_test_id("who").inner_text().startswith(staff.username)


def shot(page: Any, name: str) -> None:
    if SCREENSHOT_DIR:
        page.screenshot(path=os.path.join(SCREENSHOT_DIR, name), full_page=True)


def choose_purpose(page: Any, purpose: str) -> None:
    page.get_by_test_id(f"purpose-{purpose}").check()
    page.get_by_test_id("purpose-submit").click()
    page.wait_for_url("**/customers/")
    assert page.get_by_test_id("active-purpose").get_attribute("data-purpose") == purpose
