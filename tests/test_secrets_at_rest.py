"""Secrets the database holds are useless to whoever reads it (issue #9 §4; R-C2; ASVS 5.0
V7.2, V13.3.1): console session keys are stored as digests, TOTP seeds sealed under the
vault's key-encryption key. The attack replayed: read the rows, try to use them."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from baomi.access.sessions import stored_key
from conftest import PASSWORD, console_sign_in

pytestmark = pytest.mark.django_db


_REASON = ("--reason-category", "approved_change", "--reason", "seed rewrap test run")


def test_session_keys_in_the_database_cannot_be_used(make_staff: Any) -> None:
    from baomi.access.services import create_staff_with_mfa

    staff = create_staff_with_mfa(None, "desk_sess", "front_desk", PASSWORD).staff
    c = Client()
    console_sign_in(c, staff)
    cookie = c.cookies["sessionid"].value
    assert c.get("/").status_code == 200
    rows = list(Session.objects.values_list("session_key", flat=True))
    assert cookie not in rows  # the cookie's key is nowhere in the table
    assert stored_key(cookie) in rows  # only its digest
    assert all(not r or cookie not in r for r in rows)
    # the attacker with a copy of the table: every stored key, presented as a cookie
    for stolen in rows:
        thief = Client()
        thief.cookies["sessionid"] = stolen
        r = thief.get("/")
        assert r.status_code == 302 and r["Location"].startswith("/login/"), stolen
    # signing out removes the row (looked up by digest)
    c.post("/logout/")
    assert stored_key(cookie) not in set(Session.objects.values_list("session_key", flat=True))


def test_session_key_is_cycled_at_sign_in_and_the_old_row_goes(make_staff: Any) -> None:
    from baomi.access.services import create_staff_with_mfa

    staff = create_staff_with_mfa(None, "desk_cycle", "front_desk", PASSWORD).staff
    c = Client()
    c.get("/login/")
    c.post("/login/", {"username": staff.username, "password": PASSWORD})
    before = c.cookies["sessionid"].value
    console_sign_in(c, staff)
    after = c.cookies["sessionid"].value
    assert before != after
    assert not Session.objects.filter(session_key=stored_key(before)).exists()
    assert Session.objects.filter(session_key=stored_key(after)).exists()


# -- TOTP seeds ---------------------------------------------------------------------------------
def _raw_seed_column(staff: Any) -> str:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT key FROM otp_totp_totpdevice WHERE user_id = %s", [staff.pk])
        return str(cur.fetchone()[0])


def test_totp_seed_is_sealed_and_sign_in_still_works(monkeypatch: Any) -> None:
    """`baomi createstaff` prints the secret once (as before); the database holds neither
    it nor its hex form, only a sealed blob — and that secret signs in."""
    import base64
    import io
    import json
    import sys

    from django.core.management import call_command
    from django_otp.oath import totp

    out = io.StringIO()
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
    call_command(
        "createstaff",
        "--username",
        "seed_desk",
        "--role",
        "front_desk",
        "--password-stdin",
        stdout=out,
    )
    printed = json.loads(out.getvalue().strip().splitlines()[-1])["totp_secret"]
    seed = base64.b32decode(printed + "=" * (-len(printed) % 8))
    from baomi.access.models import Staff

    staff = Staff.objects.get(username="seed_desk")
    stored = _raw_seed_column(staff)
    assert stored.startswith("k") and ":" in stored
    for leak in (seed.hex(), seed.hex().upper(), printed):
        assert leak not in stored
    c = Client()
    r = c.post(
        "/api/v1/auth/token",
        {"username": "seed_desk", "password": PASSWORD, "otp": f"{totp(seed):06d}"},
        content_type="application/json",
    )
    assert r.status_code == 200, r.content


def test_console_enrolment_works_with_sealed_seeds(make_staff: Any) -> None:
    """First sign-in without an authenticator: enrol from the page's secret, confirm with a
    code made from it, and the stored seed is sealed."""
    import re

    from django_otp.oath import totp

    staff = make_staff("front_desk")
    c = Client()
    r = c.post("/login/", {"username": staff.username, "password": PASSWORD})
    assert r.status_code == 302 and r["Location"] == "/login/enrol/", r
    page = c.get("/login/enrol/").content.decode()
    secret = re.search(r'data-secret="([A-Z2-7]+)"', page)
    assert secret, page[:2000]
    import base64

    b32 = secret.group(1)
    seed = base64.b32decode(b32 + "=" * (-len(b32) % 8))
    assert seed.hex() not in _raw_seed_column(staff)
    r = c.post("/login/enrol/", {"code": f"{totp(seed):06d}"})
    assert r.status_code in (200, 302)
    from baomi.access.models import SealedTOTPDevice

    assert SealedTOTPDevice.objects.filter(user=staff, confirmed=True).exists()


def test_a_sealed_seed_moved_to_another_account_does_not_open(make_staff: Any) -> None:
    from baomi.access import mfa, seeds
    from baomi.core.errors import IntegrityFailure

    a, b = make_staff("front_desk"), make_staff("front_desk")
    mfa.start_enrolment(a, confirmed=True)
    stolen = _raw_seed_column(a)
    with pytest.raises(IntegrityFailure):
        seeds.open_seed(b.pk, stolen)


def test_migration_seals_seeds_stored_in_the_clear(make_staff: Any) -> None:
    """A row as django-otp wrote it before this change (hex seed) is sealed by the
    migration, and the same authenticator keeps working."""
    import importlib

    from django.apps import apps
    from django_otp.oath import totp

    from baomi.access import mfa
    from baomi.access.models import SealedTOTPDevice

    staff = make_staff("front_desk")
    mfa.start_enrolment(staff, confirmed=True)
    device = SealedTOTPDevice.objects.get(user=staff)
    seed = device.bin_key
    # the pre-migration state: the seed in clear, as django-otp stores it
    SealedTOTPDevice.objects.filter(pk=device.pk).update(key=seed.hex())
    migration = importlib.import_module("baomi.access.migrations.0010_sealed_totp_seeds")
    migration.seal_existing(apps, None)
    stored = _raw_seed_column(staff)
    assert stored.startswith("k") and seed.hex() not in stored
    assert mfa.verify(staff, f"{totp(seed):06d}").ok


def test_rewrap_moves_seeds_and_retire_refuses_a_version_that_seals_one(
    make_staff: Any,
) -> None:
    import io
    import json

    from django.core.management import call_command
    from django.core.management.base import CommandError
    from django_otp.oath import totp

    from baomi.access import mfa
    from baomi.access.models import SealedTOTPDevice

    staff = make_staff("front_desk")
    mfa.start_enrolment(staff, confirmed=True)
    seed = SealedTOTPDevice.objects.get(user=staff).bin_key
    call_command("keys", "rotate", *_REASON, stdout=io.StringIO())
    with pytest.raises(CommandError, match=r"TOTP"):
        call_command("keys", "retire", "1", *_REASON, stdout=io.StringIO())
    out = io.StringIO()
    call_command("keys", "rewrap", stdout=out)
    assert json.loads(out.getvalue())["totp_seeds"] >= 1
    assert _raw_seed_column(staff).startswith("k2:")
    call_command("keys", "retire", "1", *_REASON, stdout=io.StringIO())
    assert mfa.verify(staff, f"{totp(seed):06d}").ok
