"""Shared fixtures. Data is built through the real services (factories below), never raw
ORM writes that skip the vault or the gate."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from baomi.access.enums import Role
from baomi.customers.synthetic import Synth

PASSWORD = "correct-horse-battery-staple-42"
_n = itertools.count()


@pytest.fixture(autouse=True)
def _keys(settings: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Fresh keys per test (R-C7: tests never touch production keys)."""
    from baomi.access.policy import clear_override_cache
    from baomi.vault import keys, services

    clear_override_cache()
    settings.BAOMI_KEY_DIR = tmp_path_factory.mktemp("keys")
    settings.BAOMI_AUDIT_WITNESS_DIR = tmp_path_factory.mktemp("witness")
    keys.reset_cache()
    services.clear_caches()
    ring = keys.ensure_keys()
    yield ring
    keys.reset_cache()
    services.clear_caches()


@pytest.fixture
def make_staff(db: Any) -> Any:
    from baomi.access.services import create_staff

    def make(role: str | Role, username: str | None = None) -> Any:
        role = Role(role)
        staff, _ = create_staff(None, username or f"{role.value}_{next(_n)}", role.value, PASSWORD)
        return staff

    return make


@pytest.fixture
def synth() -> Synth:
    return Synth(seed=11)


@pytest.fixture
def make_customer(db: Any, make_staff: Any, synth: Synth) -> Any:
    from baomi.customers import services

    desk = None

    def make(**overrides: Any) -> Any:
        nonlocal desk
        if desk is None:
            desk = make_staff(Role.FRONT_DESK)
        data = synth.customer()
        data.update(overrides)
        data = {k: v for k, v in data.items() if v is not None}
        return services.create_customer(desk, "reception", data, channel="store")

    return make


def current_otp(staff: Any) -> str | None:
    """The current TOTP code of a staff member's confirmed device (None without one)."""
    from django_otp.oath import totp

    from baomi.access.models import SealedTOTPDevice as TOTPDevice

    device = TOTPDevice.objects.filter(user=staff, confirmed=True).first()
    if device is None:
        return None
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


@pytest.fixture
def api_client(db: Any) -> Any:
    """Returns a function: role → (Client, auth headers). Signs in through the real API,
    with a TOTP code for roles that need MFA."""
    from baomi.access.services import create_staff_with_mfa

    def login(role: str | Role, purpose: str | None = None) -> tuple[Client, dict[str, str]]:
        role = Role(role)
        username = f"api_{role.value}_{next(_n)}"
        new = create_staff_with_mfa(None, username, role.value, PASSWORD)
        c = Client()
        body = {"username": username, "password": PASSWORD, "otp": current_otp(new.staff)}
        r = c.post("/api/v1/auth/token", body, content_type="application/json")
        assert r.status_code == 200, r.content
        headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
        if purpose:
            headers["X-Purpose"] = purpose
        return c, headers

    return login


def run_writer(
    script: str, database_url: str, key_dir: Path, *, plant_leak: bool = False
) -> tuple[dict[str, Any], str]:
    """Run a test's writer script in another process, as the product commits data, against
    `database_url` with keys in `key_dir` (the raw-file scans then read what it left).
    The script finds its test module through CANARY_TEST_DIR; CANARY_PLANT_LEAK asks it to
    plant a plaintext copy (the scans' positive control). Returns the script's last JSON
    line and everything it printed."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "baomi.settings.test",
        "BAOMI_TEST_DATABASE_URL": database_url,
        "BAOMI_TEST_KEY_DIR": str(key_dir),
        "CANARY_TEST_DIR": str(Path(__file__).parent),
        "CANARY_PLANT_LEAK": "1" if plant_leak else "",
    }
    r = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads(r.stdout.strip().splitlines()[-1]), r.stdout + r.stderr


def console_sign_in(c: Client, staff: Any) -> None:
    """The console's real two-step sign-in: password, then the current TOTP code."""
    r = c.post("/login/", {"username": staff.username, "password": PASSWORD})
    assert r.status_code == 302 and r["Location"] == "/login/code/", r
    r = c.post("/login/code/", {"code": current_otp(staff)})
    assert r.status_code == 302 and r["Location"] == "/", r


@pytest.fixture
def staff_client(db: Any) -> Any:
    """role, purpose → a Client signed in through the console (password + one-time code),
    with that purpose chosen (None: no purpose)."""
    import uuid

    from baomi.access.services import create_staff_with_mfa

    def make(role: str, purpose: str | None = None) -> tuple[Client, Any]:
        staff = create_staff_with_mfa(None, f"{role}_{uuid.uuid4().hex[:8]}", role, PASSWORD).staff
        c = Client()
        console_sign_in(c, staff)
        if purpose:
            r = c.post("/purpose/", {"purpose": purpose})
            assert r.status_code == 302, r
        return c, staff

    return make


@pytest.fixture
def fresh_notice() -> Any:
    """The privacy notice rendered anew (its cache cleared) before and after the test."""
    from baomi.consent import notice

    notice.clear_cache()
    yield
    notice.clear_cache()


@pytest.fixture
def desk(staff_client: Any) -> tuple[Client, Any]:
    """A front-desk clerk signed in to the console under `reception`."""
    c, staff = staff_client("front_desk", "reception")
    return c, staff


def import_cli(path: Path, *args: str, channel: str = "store", status: int = 0) -> dict[str, Any]:
    """`baomi import PATH --channel CHANNEL ARGS` through the management command; checks its
    exit status (0 all rows in, 3 some rejected, 1 nothing imported — INTERFACES.md) and
    returns the JSON summary it printed. A refusal with no summary is re-raised."""
    import io

    from django.core.management import CommandError, call_command

    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_data", str(path), "--channel", channel, *args, stdout=out, stderr=err)
        code = 0
    except CommandError as exc:
        if not out.getvalue().strip():
            raise
        code = exc.returncode
    assert code == status, (code, err.getvalue())
    summary: dict[str, Any] = json.loads(out.getvalue())
    return summary
