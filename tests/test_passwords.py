"""Password strength and minimum age (issue #9 §6, R-D5; ASVS 5.0 V6.2.4, V6.2.11, V6.2.12).

On main `aaaaaaaaaaaa`, `123456789012` and `P@ssw0rd2024!` were accepted, and the history of
five passwords could be cycled in a minute to get back to the old one."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from baomi.access import services
from baomi.core import clock
from conftest import PASSWORD, console_sign_in, current_otp

pytestmark = pytest.mark.django_db
WEAK = ["aaaaaaaaaaaa", "123456789012", "P@ssw0rd2024!"]
FRESH = ["Violet-ember-canyon-73", "Saffron-glacier-piano-19", "Cobalt-meadow-lantern-64"]


def _change(c: Client, staff: Any, old: str, new: str) -> Any:
    body = {
        "username": staff.username,
        "old_password": old,
        "new_password": new,
        "otp": current_otp(staff),
    }
    return c.post("/api/v1/auth/password", body, content_type="application/json")


def _otp_ahead(staff: Any) -> str:
    import time

    from django_otp.oath import TOTP

    from baomi.access.models import SealedTOTPDevice as TOTPDevice

    device = TOTPDevice.objects.get(user=staff, confirmed=True)
    t = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    t.time = time.time() + device.step
    return f"{t.token():06d}"


def _later(monkeypatch: Any, hours: float) -> None:
    at = clock.now() + timedelta(hours=hours)
    monkeypatch.setattr(clock, "now", lambda: at)


def _staff(role: str = "finance") -> Any:
    return services.create_staff_with_mfa(None, f"pw_{role}", role, PASSWORD).staff


@pytest.mark.parametrize("weak", WEAK)
def test_guessable_passwords_are_refused_by_the_api(weak: str) -> None:
    staff = _staff()
    r = _change(Client(), staff, PASSWORD, weak)
    assert r.status_code == 422, r.content
    assert r.json()["errors"][0]["code"] == "password_weak"
    staff.refresh_from_db()
    assert staff.check_password(PASSWORD)


@pytest.mark.parametrize("weak", WEAK)
def test_guessable_passwords_are_refused_in_the_console(weak: str) -> None:
    staff = _staff("customer_service")
    c = Client()
    console_sign_in(c, staff)
    data = {"old_password": PASSWORD, "new_password": weak, "confirm_password": weak}
    r = c.post("/password/", data)
    assert r.status_code == 422
    body = r.content.decode()
    assert any(t in body for t in ("太容易被猜中", "过于常见", "太常见", "容易猜")), body
    staff.refresh_from_db()
    assert staff.check_password(PASSWORD)


def test_each_weak_password_names_its_rule_in_chinese() -> None:
    with pytest.raises(Exception) as exc:
        services.create_staff(None, "weakling", "finance", "aaaaaaaaaaaa")
    issue = exc.value.issues[0]  # type: ignore[attr-defined]
    assert "太容易被猜中" in issue.zh and "guess" in issue.en


def test_the_history_cannot_be_cycled_in_a_minute(monkeypatch: Any) -> None:
    staff = _staff()
    c = Client()
    assert _change(c, staff, PASSWORD, FRESH[0]).status_code == 204  # the first change is free
    staff.refresh_from_db()
    body = {
        "username": staff.username,
        "old_password": FRESH[0],
        "new_password": FRESH[1],
        "otp": _otp_ahead(staff),  # a code works once per time step
    }
    r = c.post("/api/v1/auth/password", body, content_type="application/json")
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "password_too_recent"
    assert "24" in r.json()["errors"][0]["message"]
    _later(monkeypatch, 24.5)
    staff.refresh_from_db()
    services.change_password(staff, FRESH[0], FRESH[1])  # a day later: fine


def test_an_administrator_reset_is_exempt_but_forces_a_change(monkeypatch: Any) -> None:
    staff = _staff()
    services.change_password(staff, PASSWORD, FRESH[0])
    admin = services.create_staff_with_mfa(None, "pw_admin", "security_admin", PASSWORD).staff
    temp = services.reset_password(admin, staff.pk, "forgot").temporary_password
    staff.refresh_from_db()
    assert staff.must_change_password and temp
    services.change_password(staff, temp, FRESH[1])  # at once: exempt
    staff.refresh_from_db()
    assert not staff.must_change_password
    with pytest.raises(Exception) as exc:
        services.change_password(staff, FRESH[1], FRESH[2])
    assert exc.value.issues[0].code == "password_too_recent"  # type: ignore[attr-defined]


def test_the_console_says_why_a_change_came_too_soon() -> None:
    staff = _staff("customer_service")
    c = Client()
    console_sign_in(c, staff)
    data = {"old_password": PASSWORD, "new_password": FRESH[0], "confirm_password": FRESH[0]}
    assert c.post("/password/", data).status_code == 302  # the first change is free
    data = {"old_password": FRESH[0], "new_password": FRESH[1], "confirm_password": FRESH[1]}
    r = c.post("/password/", data)
    assert r.status_code == 422 and "24 小时" in r.content.decode()
