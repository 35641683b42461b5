"""Per-account sign-in back-off and no password oracle before the one-time code (issue #9
§6; ASVS 5.0 V6.3.1, V6.3.8), through the API token endpoint and the console sign-in.

Before: the lock-out counted (username, address) pairs only, so twelve wrong passwords
from twelve forwarded addresses never slowed anything down; and "wrong password" (401
bad_credentials, login page again) differed from "right password, no code" (401
mfa_required, the code page), so a password could be tested without the code.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from baomi.access import services as access
from baomi.access import throttle
from baomi.access.models import SignInThrottle, Staff
from baomi.audit.models import Action, AuditEvent
from baomi.core import clock
from conftest import PASSWORD, current_otp

pytestmark = pytest.mark.django_db

WRONG = "not-the-password-0000"


@pytest.fixture
def behind_proxy(settings: Any) -> None:
    settings.BAOMI_PROXY_COUNT = 1  # X-Forwarded-For is believed, as behind the TLS proxy
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


@pytest.fixture
def staff() -> Staff:
    return access.create_staff_with_mfa(None, "cs_backoff", "customer_service", PASSWORD).staff


def _token(staff: Staff, password: str, ip: str, client: Client | None = None, **extra: Any) -> Any:
    c = client or Client()
    body = {"username": staff.username, "password": password, **extra}
    return c.post(
        "/api/v1/auth/token", body, content_type="application/json", HTTP_X_FORWARDED_FOR=ip
    )


def _later(monkeypatch: Any, seconds: float) -> None:
    at = clock.now() + timedelta(seconds=seconds)
    monkeypatch.setattr(clock, "now", lambda: at)


# -- per account, whatever the address --------------------------------------------------------
def test_twelve_addresses_do_not_get_twelve_guesses(
    behind_proxy: None, staff: Staff, monkeypatch: Any
) -> None:
    answers = [_token(staff, WRONG, f"203.0.113.{i}").status_code for i in range(12)]
    free = throttle.free_attempts()
    assert answers[: free + 1] == [401] * (free + 1)  # the 9th opens the first 30 s window
    assert set(answers[free + 1 :]) == {429}
    r = _token(staff, PASSWORD, "198.51.100.7", otp=current_otp(staff))
    assert r.status_code == 429, "inside the window even the right password is not checked"
    body = r.json()
    assert body["code"] == "locked_out" and body["scope"] == "account"
    assert int(r["Retry-After"]) == body["retry_after"] <= 30
    assert AuditEvent.objects.filter(action=Action.LOCKED_OUT, detail__scope="account").exists()
    _later(monkeypatch, 31)  # a back-off, not a lock: the window ends
    r = _token(staff, PASSWORD, "198.51.100.7", otp=current_otp(staff))
    assert r.status_code == 200, r.content
    assert not SignInThrottle.objects.filter(key=throttle._key("account", "cs_backoff")).exists()


def test_the_back_off_doubles_and_is_capped(
    behind_proxy: None, staff: Staff, monkeypatch: Any
) -> None:
    windows = [throttle.backoff(n).total_seconds() for n in range(1, 20)]
    free = throttle.free_attempts()
    assert windows[:free] == [0] * free
    assert windows[free : free + 4] == [30, 60, 120, 240]
    assert max(windows) == 15 * 60  # never a lock anyone can make permanent
    for i in range(throttle.free_attempts() + 2):  # each after the previous window
        _later(monkeypatch, 3600)
        _token(staff, WRONG, f"203.0.113.{i}")
    r = _token(staff, WRONG, "203.0.113.200")
    assert r.status_code == 429 and 30 < r.json()["retry_after"] <= 60


def test_a_known_browser_is_not_held_up_by_someone_elses_failures(
    behind_proxy: None, staff: Staff
) -> None:
    """The console remembers a browser that completed a sign-in (signed cookie): an
    attacker failing under the name cannot keep its owner out."""
    own = Client()
    r = own.post("/login/", {"username": staff.username, "password": PASSWORD})
    r = own.post("/login/code/", {"code": current_otp(staff)})
    assert r.status_code == 302 and r["Location"] == "/"
    assert throttle.DEVICE_COOKIE in r.cookies and r.cookies[throttle.DEVICE_COOKIE]["httponly"]
    own.post("/logout/")
    for i in range(12):
        _token(staff, WRONG, f"203.0.113.{i}")
    assert _token(staff, PASSWORD, "198.51.100.9").status_code == 429  # a stranger waits
    r = own.post(
        "/login/",
        {"username": staff.username, "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="198.51.100.9",
    )
    assert r.status_code == 302 and r["Location"] == "/login/code/"
    forged = Client()
    forged.cookies[throttle.DEVICE_COOKIE] = "forged"
    r = forged.post("/login/", {"username": staff.username, "password": PASSWORD})
    assert r.status_code == 429 and 'data-testid="locked-out"' in r.content.decode()


def test_the_console_counts_per_account_and_says_so_in_chinese(
    behind_proxy: None, staff: Staff
) -> None:
    for i in range(12):
        r = Client().post(
            "/login/",
            {"username": staff.username, "password": WRONG},
            HTTP_X_FORWARDED_FOR=f"203.0.113.{i}",
        )
    assert r.status_code == 429
    body = r.content.decode()
    assert 'data-testid="locked-out"' in body and "登录尝试次数过多" in body
    assert "locked_out" not in body and r["Retry-After"]


def test_an_unknown_username_is_counted_like_a_real_one(behind_proxy: None) -> None:
    for i in range(12):
        r = Client().post(
            "/api/v1/auth/token",
            {"username": "nobody-at-all", "password": WRONG},
            content_type="application/json",
            HTTP_X_FORWARDED_FOR=f"203.0.113.{i}",
        )
    assert r.status_code == 429 and r.json()["scope"] == "account"
    assert not SignInThrottle.objects.filter(key__icontains="nobody").exists()  # keyed by HMAC


# -- no password oracle before the one-time code ---------------------------------------------------
def _strip(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in {"request_id", "instance"}}


def test_api_answers_the_same_whether_the_password_was_right(
    behind_proxy: None, staff: Staff
) -> None:
    wrong = _token(staff, WRONG, "203.0.113.1")
    no_code = _token(staff, PASSWORD, "203.0.113.2")
    bad_code = _token(
        staff, PASSWORD, "203.0.113.3", otp="000000" if current_otp(staff) != "000000" else "1"
    )
    assert wrong.status_code == no_code.status_code == bad_code.status_code == 401
    assert _strip(wrong.json()) == _strip(no_code.json()) == _strip(bad_code.json())
    assert wrong.json()["code"] == "bad_credentials"
    # the audit log still tells the security team which it was
    assert AuditEvent.objects.filter(action=Action.LOGIN_FAILED).count() == 1
    assert AuditEvent.objects.filter(action=Action.MFA_FAILED).count() == 2
    # a right password counts like a wrong one until the code passes: the counters are no oracle
    row = SignInThrottle.objects.get(key=throttle._key("account", staff.username))
    assert row.attempts == 3


def test_password_change_endpoint_is_no_oracle_either(behind_proxy: None, staff: Staff) -> None:
    def change(password: str) -> Any:
        return Client().post(
            "/api/v1/auth/password",
            {"username": staff.username, "old_password": password, "new_password": "x"},
            content_type="application/json",
        )

    a, b = change(WRONG), change(PASSWORD)
    assert a.status_code == b.status_code == 401 and _strip(a.json()) == _strip(b.json())


def _page(r: Any) -> str:
    """The page without what differs on every response anyway (CSP nonce, CSRF token)."""
    body = r.content.decode()
    body = re.sub(r'nonce="[^"]*"', "", body)
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", body)


def test_console_wrong_password_goes_on_to_the_same_code_page(
    behind_proxy: None, staff: Staff
) -> None:
    right, wrong = Client(), Client()
    r1 = right.post("/login/", {"username": staff.username, "password": PASSWORD})
    r2 = wrong.post("/login/", {"username": staff.username, "password": WRONG})
    assert r1.status_code == r2.status_code == 302
    assert r1["Location"] == r2["Location"] == "/login/code/"
    assert _page(right.get("/login/code/")) == _page(wrong.get("/login/code/"))
    bad = "000000" if current_otp(staff) != "000000" else "111111"
    a = _page(right.post("/login/code/", {"code": bad}))
    b = _page(wrong.post("/login/code/", {"code": bad}))
    assert a == b and 'data-testid="code-error"' in a and "验证码未被接受" in a
    r = wrong.post("/login/code/", {"code": current_otp(staff)})  # the right code does not help
    assert r.status_code == 200 and "_auth_user_id" not in wrong.session
    assert not AuditEvent.objects.filter(action=Action.LOGIN).exists()
    for _ in range(4):
        r = wrong.post("/login/code/", {"code": bad})
    assert r.status_code == 302 and r["Location"] == "/login/"
