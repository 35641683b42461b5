"""Staff security (issue #3): password policy, lock-out, MFA, four-eyes approvals,
separation of duties, break-glass, offboarding and access review (R-D1..R-D6, R-D3)."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from tests.conftest import PASSWORD, current_otp

from baomi.access import mfa, services
from baomi.access.enums import Role
from baomi.audit.models import AuditEvent
from baomi.core import clock
from baomi.core.errors import Conflict, Forbidden, ValidationFailed

pytestmark = pytest.mark.django_db


def _token(client: Client, staff: Any, password: str = PASSWORD, **extra: Any) -> Any:
    body = {"username": staff.username, "password": password, **extra}
    return client.post("/api/v1/auth/token", body, content_type="application/json")


def _auth(client: Client, staff: Any) -> dict[str, str]:
    r = _token(client, staff, otp=current_otp(staff))
    assert r.status_code == 200, r.content
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _mfa_staff(role: str, name: str | None = None) -> Any:
    return services.create_staff_with_mfa(None, name or f"{role}_x", role, PASSWORD).staff


# -- passwords (R-D5) ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "password",
    ["short-pw-1", "x" * 129, "password1234", "Baomi-Hotel-1"],
    ids=["too_short", "too_long", "common", "context_words"],
)
def test_weak_passwords_refused(password: str) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.create_staff(None, "weakling", "finance", password)
    assert exc.value.issues[0].code == "password_weak"


def test_all_digit_passphrase_allowed() -> None:
    """ASVS V6.2.5: no composition rules — a long all-digit password is acceptable."""
    services.create_staff(None, "digits", "finance", "8302957164028375")


def test_password_similar_to_username_refused() -> None:
    with pytest.raises(ValidationFailed):
        services.create_staff(None, "zhangwei-frontdesk", "front_desk", "zhangwei-frontdesk1")


def test_last_five_passwords_not_reusable(make_staff: Any, monkeypatch: Any) -> None:
    staff = make_staff("finance")
    history = [PASSWORD] + [f"Unique-passphrase-{i}-horse" for i in range(5)]
    start = clock.now()
    for day, (old, new) in enumerate(itertools.pairwise(history)):
        # a day apart: the minimum password age (issue #9 §6)
        monkeypatch.setattr(clock, "now", lambda d=day: start + timedelta(days=d))
        services.change_password(staff, old, new)
    monkeypatch.setattr(clock, "now", lambda: start + timedelta(days=10))
    current = history[-1]
    for reused in history[1:]:  # the last five (incl. the current one) are refused
        with pytest.raises(ValidationFailed) as exc:
            services.change_password(staff, current, reused)
        assert "recently" in exc.value.issues[0].en
    services.change_password(staff, current, PASSWORD)  # the sixth-oldest is allowed again
    assert AuditEvent.objects.filter(action="auth.password_changed").count() == 6


def test_password_change_revokes_tokens(client: Client) -> None:
    staff = _mfa_staff("customer_service")
    h = _auth(client, staff)
    services.change_password(staff, PASSWORD, "Another-long-passphrase-7")
    assert client.get("/api/v1/auth/tokens", headers=h).status_code == 401


def test_expired_password_blocks_api(client: Client, monkeypatch: Any) -> None:
    staff = _mfa_staff("privacy_officer")
    later = clock.now() + timedelta(days=91)
    monkeypatch.setattr(clock, "now", lambda: later)
    r = _token(client, staff, otp=current_otp(staff))
    assert r.status_code == 403 and r.json()["code"] == "password_expired"


# -- lock-out (django-axes) --------------------------------------------------------------------
def test_lockout_after_five_failures_per_username_and_ip(client: Client) -> None:
    staff = _mfa_staff("customer_service")
    for _ in range(4):
        assert _token(client, staff, "wrong-password").status_code == 401
    assert _token(client, staff, "wrong-password").status_code == 429  # the 5th locks
    r = _token(client, staff, otp=current_otp(staff))  # even the right password now
    assert r.status_code == 429 and r.json()["code"] == "locked_out"
    assert AuditEvent.objects.filter(action="auth.locked_out").exists()
    other_ip = Client(REMOTE_ADDR="10.9.9.9")
    assert _token(other_ip, staff, otp=current_otp(staff)).status_code == 200


# -- MFA (R-D3) ------------------------------------------------------------------------------
def test_mfa_required_for_every_role_by_default() -> None:
    assert all(mfa.requires_mfa(r.value) for r in Role)


def test_mfa_business_minimum_when_not_all_roles(settings: Any) -> None:
    settings.BAOMI_MFA_ALL_ROLES = False
    needs = {r.value for r in Role if mfa.requires_mfa(r.value)}
    assert needs == {
        "front_desk",
        "finance",
        "customer_service",
        "privacy_officer",
        "data_steward",  # masked ID numbers under data_quality
        "security_admin",
        "system_admin",
        "security_auditor",
    }


def test_createstaff_prints_totp_secret_only_when_needed(capsys: Any, settings: Any) -> None:
    settings.BAOMI_MFA_ALL_ROLES = False
    import json

    from django.core.management import call_command

    call_command("createstaff", "--username", "fd1", "--role", "front_desk")
    out = json.loads(capsys.readouterr().out)
    assert out["username"] == "fd1" and out["role"] == "front_desk"
    assert len(out["totp_secret"]) >= 16 and out["password"]
    call_command("createstaff", "--username", "mk1", "--role", "marketing")
    assert json.loads(capsys.readouterr().out)["totp_secret"] is None


def test_wrong_enrolment_code_refused(make_staff: Any) -> None:
    staff = make_staff("finance")
    mfa.start_enrolment(staff)
    assert mfa.confirm_enrolment(staff, "000000") == []
    assert not mfa.has_confirmed_device(staff)


def test_enrolment_and_single_use_recovery_codes(client: Client, make_staff: Any) -> None:
    from django_otp.oath import totp

    staff = make_staff("finance")
    assert _token(client, staff).json()["code"] == "bad_credentials"  # no oracle (issue #9 §6)
    assert AuditEvent.objects.filter(action="auth.mfa_failed", detail__reason="not_enrolled")
    enrol = mfa.start_enrolment(staff)
    assert enrol.otpauth_uri.startswith("otpauth://totp/") and "<svg" in enrol.qr_svg
    from baomi.access.models import SealedTOTPDevice as TOTPDevice

    dev = TOTPDevice.objects.get(user=staff)
    codes = mfa.confirm_enrolment(staff, f"{totp(dev.bin_key):06d}")
    assert len(codes) == 10 and len(set(codes)) == 10
    assert _token(client, staff, otp=codes[0]).status_code == 200
    assert AuditEvent.objects.filter(action="auth.recovery_code_used").exists()
    assert _token(client, staff, otp=codes[0]).status_code == 401  # single use


def test_mfa_not_required_for_marketing_when_configured(
    client: Client, make_staff: Any, settings: Any
) -> None:
    settings.BAOMI_MFA_ALL_ROLES = False
    staff = make_staff("marketing")
    assert _token(client, staff).status_code == 200


# -- separation of duties and four-eyes approvals (R-D4) ---------------------------------------
def test_role_change_needs_a_second_security_admin(client: Client, make_staff: Any) -> None:
    admin1, admin2 = _mfa_staff("security_admin", "sa1"), _mfa_staff("security_admin", "sa2")
    clerk = _mfa_staff("front_desk", "clerk")
    clerk_h = _auth(Client(), clerk)
    h1 = _auth(client, admin1)
    r = client.post(
        "/api/v1/approvals",
        {
            "kind": "role_change",
            "reason": "moved to billing",
            "payload": {"staff_id": clerk.pk, "role": "finance"},
        },
        content_type="application/json",
        headers=h1,
    )
    assert r.status_code == 201, r.content
    aid = r.json()["id"]
    r = client.post(
        f"/api/v1/approvals/{aid}/decision",
        {"approve": True},
        content_type="application/json",
        headers=h1,
    )
    assert r.status_code == 403 and r.json()["code"] == "four_eyes"
    c2 = Client()
    r = c2.post(
        f"/api/v1/approvals/{aid}/decision",
        {"approve": True, "note": "ok"},
        content_type="application/json",
        headers=_auth(c2, admin2),
    )
    assert r.status_code == 200 and r.json()["state"] == "approved"
    clerk.refresh_from_db()
    assert clerk.role == "finance"
    assert Client().get("/api/v1/auth/tokens", headers=clerk_h).status_code == 401
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"approval.requested", "approval.decided", "staff.role_changed"} <= actions


def test_nobody_changes_their_own_role() -> None:
    admin = _mfa_staff("security_admin")
    with pytest.raises(Forbidden):
        services.request_approval(
            admin, "role_change", {"staff_id": admin.pk, "role": "privacy_officer"}, "promote"
        )


def test_only_security_admin_approves_and_expiry(monkeypatch: Any) -> None:
    req_by = _mfa_staff("system_admin", "sys")
    auditor = _mfa_staff("security_auditor", "aud")
    admin = _mfa_staff("security_admin", "sa")
    a = services.request_approval(req_by, "key_rotation", {}, "yearly rotation")
    with pytest.raises(Forbidden):
        services.decide_approval(auditor, a.pk, True)
    later = clock.now() + timedelta(hours=25)
    monkeypatch.setattr(clock, "now", lambda: later)
    with pytest.raises(Conflict):
        services.decide_approval(admin, a.pk, True)
    a.refresh_from_db()
    assert a.state == "expired"


def test_key_rotation_through_approval(_keys: Any) -> None:
    a = services.request_approval(_mfa_staff("system_admin", "sys"), "key_rotation", {}, "rotate")
    services.decide_approval(_mfa_staff("security_admin", "sa"), a.pk, True)
    from baomi.vault.keys import get_keyring

    assert get_keyring().primary_version() == 2


def test_policy_override_via_approval(api_client: Any, make_customer: Any) -> None:
    cust = make_customer(
        id_type="cn_resident_id", id_number="11010519491231002X", birth_date="1949-12-31"
    )
    c, h = api_client("front_desk", "reception")
    assert c.get(f"/api/v1/customers/{cust.id}", headers=h).json()["id_number"] == "****002X"
    po = _mfa_staff("privacy_officer", "po")
    a = services.request_approval(
        po,
        "policy_change",
        {
            "role": "front_desk",
            "purpose": "reception",
            "field": "customer.id_number",
            "treatment": "plain",
        },
        "public-security check-in registration",
    )
    services.decide_approval(_mfa_staff("security_admin", "sa"), a.pk, True)
    assert c.get(f"/api/v1/customers/{cust.id}", headers=h).json()["id_number"] == (
        "11010519491231002X"
    )
    h2 = {**h, "X-Purpose": "customer_service"}  # the override is for reception only
    assert "id_number" in c.get(f"/api/v1/customers/{cust.id}", headers=h2).json()["withheld"]
    assert AuditEvent.objects.filter(action="policy.changed").count() == 1


def test_policy_override_refused_for_admin_roles() -> None:
    po = _mfa_staff("privacy_officer", "po")
    with pytest.raises(ValidationFailed):
        services.request_approval(
            po,
            "policy_change",
            {
                "role": "system_admin",
                "purpose": "reception",
                "field": "customer.name",
                "treatment": "plain",
            },
            "x",
        )


# -- break-glass -----------------------------------------------------------------------------
def test_break_glass_grants_flags_and_expires(
    settings: Any, client: Client, make_customer: Any, monkeypatch: Any
) -> None:
    settings.BAOMI_TOKEN_IDLE_SECONDS = 24 * 3600  # the test jumps 61 minutes ahead
    cust = make_customer(
        id_type="cn_resident_id", id_number="11010519491231002X", birth_date="1949-12-31"
    )
    desk = _mfa_staff("front_desk", "desk")
    h = {**_auth(client, desk), "X-Purpose": "reception"}
    r = client.post(
        "/api/v1/break-glass",
        {
            "customer_id": str(cust.id),
            "purpose": "reception",
            "reason_category": "public_security",
            "reason": "police on site, warrant 2026-118",
        },
        content_type="application/json",
        headers=h,
    )
    assert r.status_code == 201, r.content
    body = client.get(f"/api/v1/customers/{cust.id}", headers=h).json()
    assert body["id_number"] == "11010519491231002X" and body["masked"] == []
    ev = AuditEvent.objects.filter(action="customer.read").latest("seq")
    assert ev.detail["break_glass"] == r.json()["id"]
    auditor = _mfa_staff("security_auditor", "aud")
    ca = Client()
    ha = _auth(ca, auditor)
    queue = ca.get("/api/v1/break-glass", headers=ha).json()
    assert [g["customer_id"] for g in queue] == [str(cust.id)]
    assert client.get("/api/v1/break-glass", headers=h).status_code == 403
    later = clock.now() + timedelta(minutes=61)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert "*" in client.get(f"/api/v1/customers/{cust.id}", headers=h).json()["id_number"]
    r = ca.post(
        f"/api/v1/break-glass/{queue[0]['id']}/review",
        {"note": "warrant checked"},
        content_type="application/json",
        headers=ha,
    )
    assert r.status_code == 200 and r.json()["reviewed"]


def test_break_glass_refused_for_admins_and_vague_reasons(make_customer: Any) -> None:
    cust = make_customer()
    with pytest.raises(Forbidden):
        services.break_glass(
            _mfa_staff("system_admin", "s"), str(cust.id), "reception", "need to look at this"
        )
    with pytest.raises(ValidationFailed):
        services.break_glass(
            _mfa_staff("front_desk", "d"), str(cust.id), "reception", "x", "public_security"
        )


# -- offboarding and access review (R-D6) ---------------------------------------------------------
def test_deactivation_revokes_access_and_produces_review(
    client: Client, make_customer: Any
) -> None:
    c1, c2 = make_customer(), make_customer()
    leaver = _mfa_staff("customer_service", "leaver")
    h = {**_auth(client, leaver), "X-Purpose": "customer_service"}
    for c in (c1, c1, c2):
        assert client.get(f"/api/v1/customers/{c.id}", headers=h).status_code == 200
    console = Client()
    console.force_login(leaver)
    admin = _mfa_staff("security_admin", "sa")
    ca = Client()
    r = ca.post(
        f"/api/v1/staff/{leaver.pk}/deactivate",
        {"reason": "left the company"},
        content_type="application/json",
        headers=_auth(ca, admin),
    )
    assert r.status_code == 200, r.content
    reads = {x["customer"]: x["reads"] for x in r.json()["customers"]}
    assert reads == {str(c1.id): 2, str(c2.id): 1}
    assert client.get(f"/api/v1/customers/{c1.id}", headers=h).status_code == 401
    assert console.get("/customers/").status_code == 302  # session killed
    assert _token(Client(), leaver, otp=current_otp(leaver)).status_code == 401


def test_dormant_accounts_disabled(monkeypatch: Any) -> None:
    idle = _mfa_staff("finance", "idle")
    later = clock.now() + timedelta(days=91)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert services.disable_dormant() == [idle.pk]
    idle.refresh_from_db()
    assert not idle.is_active


def test_access_review_report(api_client: Any, make_customer: Any) -> None:
    cust = make_customer()
    c, h = api_client("front_desk", "reception")
    c.get(f"/api/v1/customers/{cust.id}", headers=h)
    mk, mh = api_client("marketing", "marketing")
    mk.get(f"/api/v1/customers/{cust.id}", headers=mh)
    rows: dict[str, dict[str, Any]] = {}
    for r in services.access_review():
        if r["customer_reads"] or r["role"] not in rows:
            rows[r["role"]] = r
    assert rows["front_desk"]["customer_reads"] == 1
    assert rows["front_desk"]["sensitive_reads"] == 1  # masked ID counts as sensitive
    assert rows["marketing"]["customer_reads"] == 1
    assert rows["marketing"]["sensitive_reads"] == 0  # sensitive withheld
    admin = _mfa_staff("security_admin", "sa")
    ca = Client()
    r = ca.get("/api/v1/staff/access-review", headers=_auth(ca, admin))
    assert r.status_code == 200 and len(r.json()) >= 3
    assert c.get("/api/v1/staff/access-review", headers=h).status_code == 403


# -- sessions (ASVS V7) -----------------------------------------------------------------
def test_console_session_idle_timeout(make_staff: Any, monkeypatch: Any) -> None:
    import time as _time

    staff = make_staff("marketing")
    c = Client()
    c.force_login(staff)
    assert c.get("/").status_code == 200
    real = _time.time
    monkeypatch.setattr(_time, "time", lambda: real() + 16 * 60)
    assert c.get("/").status_code == 302


def test_api_token_at_most_eight_hours(api_client: Any, settings: Any) -> None:
    from baomi.access.models import ApiToken

    settings.BAOMI_TOKEN_TTL_SECONDS = 48 * 3600
    api_client("marketing")
    t = ApiToken.objects.latest("id")
    assert t.expires_at - t.created_at <= timedelta(hours=8, seconds=5)


# -- round two: ASVS gaps (docs/security.md) -------------------------------------------------
def test_recovery_codes_are_stored_hashed_with_120_bits(make_staff: Any) -> None:
    from baomi.access.models import RecoveryCode

    staff = make_staff("finance")
    codes = mfa.new_recovery_codes(staff)
    stored = set(RecoveryCode.objects.filter(staff=staff).values_list("digest", flat=True))
    assert len(stored) == 10
    for c in codes:
        assert len(c.replace("-", "")) == 24  # 24 symbols × 5 bits
        assert c not in stored and c.replace("-", "") not in stored


def test_generated_password_must_be_changed_first(client: Client) -> None:
    admin = _mfa_staff("security_admin", "sa")
    new = services.create_staff_with_mfa(admin, "newbie", "customer_service")  # generated pw
    staff = new.staff
    r = _token(client, staff, new.password, otp=current_otp(staff))
    assert r.status_code == 403 and r.json()["code"] == "password_expired"
    r = client.post(
        "/api/v1/auth/password",
        {
            "username": "newbie",
            "old_password": new.password,
            "new_password": "My-own-long-passphrase-9",
            "otp": current_otp(staff),
        },
        content_type="application/json",
    )
    assert r.status_code == 401  # the same TOTP step cannot be used twice
    staff.refresh_from_db()
    services.change_password(staff, new.password, "My-own-long-passphrase-9")
    staff.refresh_from_db()
    assert not staff.must_change_password


def test_change_password_endpoint(client: Client) -> None:
    staff = _mfa_staff("customer_service", "cs")
    r = client.post(
        "/api/v1/auth/password",
        {
            "username": "cs",
            "old_password": PASSWORD,
            "new_password": "Fresh-long-passphrase-42",
            "otp": current_otp(staff),
        },
        content_type="application/json",
    )
    assert r.status_code == 204, r.content
    staff.refresh_from_db()
    assert staff.check_password("Fresh-long-passphrase-42")


def test_admin_account_creation_needs_second_admin(client: Client) -> None:
    a1, a2 = _mfa_staff("security_admin", "sa1"), _mfa_staff("security_admin", "sa2")
    h1 = _auth(client, a1)
    r = client.post(
        "/api/v1/staff",
        {"username": "aud2", "role": "security_auditor"},
        content_type="application/json",
        headers=h1,
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["active"] is False and body["totp_secret"] is None  # enrolled by the person
    from baomi.access.models import Staff

    new = Staff.objects.get(username="aud2")
    assert _token(Client(), new, body["password"]).status_code == 401  # disabled
    c2 = Client()
    r = c2.post(
        f"/api/v1/approvals/{body['approval_id']}/decision",
        {"approve": True},
        content_type="application/json",
        headers=_auth(c2, a2),
    )
    assert r.status_code == 200, r.content
    new.refresh_from_db()
    assert new.is_active and new.role == "security_auditor"


def test_reset_mfa_and_password_and_terminate(client: Client) -> None:
    admin = _mfa_staff("security_admin", "sa")
    user = _mfa_staff("finance", "fin")
    uh = _auth(Client(), user)
    h = _auth(client, admin)
    r = client.post(
        f"/api/v1/staff/{user.pk}/reset-mfa",
        {"reason": "phone lost"},
        content_type="application/json",
        headers=h,
    )
    assert r.status_code == 200 and r.json()["state"] == "done" and r.json()["enrol_by"]
    assert "totp_secret" not in r.json()  # nobody but the person sees the new key
    assert Client().get("/api/v1/auth/tokens", headers=uh).status_code == 401
    r = client.post(
        f"/api/v1/staff/{user.pk}/reset-password",
        {"reason": "forgotten"},
        content_type="application/json",
        headers=h,
    )
    temp = r.json()["temporary_password"]
    user.refresh_from_db()
    assert user.check_password(temp) and user.must_change_password
    r = client.post(
        f"/api/v1/staff/{admin.pk}/reset-mfa",
        {"reason": "x"},
        content_type="application/json",
        headers=h,
    )
    assert r.status_code == 403  # not on yourself
    assert client.post(f"/api/v1/staff/{user.pk}/terminate-sessions", headers=h).status_code == 204
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"auth.mfa_reset", "auth.password_reset", "auth.sessions_terminated"} <= actions


def test_token_idle_timeout_and_revoke_all(client: Client, settings: Any, monkeypatch: Any) -> None:
    staff = _mfa_staff("finance", "fin")
    h = _auth(client, staff)
    assert client.get("/api/v1/auth/tokens", headers=h).status_code == 200
    later = clock.now() + timedelta(seconds=settings.BAOMI_TOKEN_IDLE_SECONDS + 5)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert client.get("/api/v1/auth/tokens", headers=h).status_code == 401
    monkeypatch.undo()
    staff2 = _mfa_staff("finance", "fin2")
    h2 = _auth(client, staff2)
    assert client.delete("/api/v1/auth/tokens", headers=h2).status_code == 204
    assert client.get("/api/v1/auth/tokens", headers=h2).status_code == 401


def test_chinese_context_words_refused() -> None:
    with pytest.raises(ValidationFailed):
        services.create_staff(None, "zh1", "finance", "保密保密酒店酒店密码密码")


def test_lockout_uses_forwarded_client_behind_proxy(settings: Any) -> None:
    """With one trusted proxy, two clients behind it are locked out separately (V6.1.1)."""
    settings.BAOMI_PROXY_COUNT = 1
    staff = _mfa_staff("customer_service", "behind")
    a = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7")
    for _ in range(5):
        _token(a, staff, "wrong-password")
    assert _token(a, staff, otp=current_otp(staff)).status_code == 429
    b = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.9")
    assert _token(b, staff, otp=current_otp(staff)).status_code == 200
    ev = AuditEvent.objects.filter(action="auth.token_issued").latest("seq")
    assert ev.client_ip == "198.51.100.9"
