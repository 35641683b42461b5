"""Console staff security (issue #3 §2–§4), through the Django test client.

Sign-in with a second factor and no path around it (ASVS V6.3.3/V6.3.4), enrolment with
recovery codes (V6.5.1), lock-out page (V6.3.1), forced and voluntary password change
(V6.2.2/V6.2.3, R-D5), session rotation and expiry notices (V7.2.4, V7.3), staff
management, four-eyes approvals, break-glass and its review, offboarding review and the
access review report (R-D4, R-D6), each page only for the roles that may use it.
"""

from __future__ import annotations

import base64
import csv
import io
import re
import time
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from django_otp.oath import TOTP, totp

from baomi.access import mfa
from baomi.access import services as access
from baomi.access.models import ApprovalRequest, ApprovalState, BreakGlassGrant, Staff
from baomi.access.models import SealedTOTPDevice as TOTPDevice
from baomi.audit.models import Action, AuditEvent, Outcome
from baomi.core import clock
from baomi.core.errors import ValidationFailed
from baomi.customers import gate
from conftest import PASSWORD, current_otp

pytestmark = pytest.mark.django_db

FULL_ID = "11010519491231002X"
MASKED_ID = "****002X"
NAME = "王小明"
PHONE = "13812345678"
NEW_PASSWORD = "amber-lantern-orchard-velvet-71"


def html(response: Any) -> str:
    return response.content.decode()


def events(action: Action, **filters: Any) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action, **filters).order_by("seq"))


def mfa_staff(role: str, username: str | None = None) -> Staff:
    return access.create_staff_with_mfa(
        None, username or f"{role}_{time.time_ns()}", role, PASSWORD
    ).staff


def otp_ahead(staff: Staff, steps: int) -> str:
    """The code of a later time step (accepted within django-otp's ±1 step tolerance)."""
    device = TOTPDevice.objects.get(user=staff, confirmed=True)
    t = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    t.time = time.time() + steps * device.step
    return f"{t.token():06d}"


def code_from_secret(secret: str) -> str:
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    return f"{totp(key):06d}"


def password_step(c: Client, username: str, password: str = PASSWORD, nxt: str = "") -> Any:
    data = {"username": username, "password": password}
    if nxt:
        data["next"] = nxt
    return c.post("/login/", data)


def sign_in(c: Client, staff: Staff, code: str | None = None, password: str = PASSWORD) -> Any:
    r = password_step(c, staff.username, password)
    assert r.status_code == 302 and r["Location"] == "/login/code/", r
    r = c.post("/login/code/", {"code": code or current_otp(staff)})
    assert r.status_code == 302, html(r)
    return r


@pytest.fixture
def signed_in() -> Any:
    def make(role: str) -> tuple[Client, Staff]:
        staff = mfa_staff(role)
        c = Client()
        r = sign_in(c, staff)
        assert r["Location"] == "/"
        return c, staff

    return make


@pytest.fixture
def customer(make_customer: Any) -> Any:
    return make_customer(
        name=NAME,
        phone=PHONE,
        id_type="cn_resident_id",
        id_number=FULL_ID,
        birth_date="1949-12-31",
        address="北京市朝阳区建国路88号",
    )


@pytest.fixture
def no_throttle(settings: Any) -> None:
    """django-otp delays a device after each wrong code; tests that go on with a right code
    immediately switch that delay off (the throttle itself is django-otp's, tested there)."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


# -- sign-in: two steps, no way around the second --------------------------------------------------
def test_two_step_sign_in_rotates_the_session_and_is_audited() -> None:
    staff = mfa_staff("front_desk")
    c = Client()
    c.get("/login/")
    key0 = c.session.session_key
    r = password_step(c, staff.username)
    assert r.status_code == 302 and r["Location"] == "/login/code/"
    key1 = c.session.session_key
    assert key1 != key0
    assert "_auth_user_id" not in c.session  # not signed in yet
    assert not events(Action.LOGIN)
    body = html(c.get("/login/code/"))
    assert 'autocomplete="one-time-code"' in body and "一次性验证码" in body
    r = c.post("/login/code/", {"code": current_otp(staff)})
    assert r.status_code == 302 and r["Location"] == "/"
    assert c.session.session_key not in (key0, key1)  # rotated again by login()
    assert c.session["_auth_user_id"] == str(staff.pk)
    assert "_baomi_pending" not in c.session
    [ev] = events(Action.LOGIN, actor_id=staff.pk)
    assert ev.detail == {"via": "console", "mfa": "totp"}
    assert c.get("/").status_code == 200
    staff.refresh_from_db()
    assert staff.last_login is not None


def test_a_password_alone_opens_no_page(customer: Any) -> None:
    staff = mfa_staff("front_desk")
    c = Client()
    password_step(c, staff.username)
    for path in ("/", "/customers/", f"/customers/{customer.id}/", "/password/", "/staff/"):
        r = c.get(path)
        assert r.status_code == 302 and r["Location"].startswith("/login/?next="), path
    assert c.post("/purpose/", {"purpose": "reception"}).status_code == 302
    # the later stages are not reachable out of order
    assert c.get("/login/password/")["Location"] == "/login/code/"
    assert c.get("/login/enrol/")["Location"] == "/login/code/"
    assert not events(Action.CUSTOMER_READ) and not events(Action.PURPOSE_SELECTED)


def test_the_code_step_needs_the_password_step_first() -> None:
    for path in ("/login/code/", "/login/enrol/", "/login/password/"):
        r = Client().get(path)
        assert r.status_code == 302 and r["Location"] == "/login/", path
    staff = mfa_staff("finance")
    r = Client().post("/login/code/", {"code": current_otp(staff)})
    assert r["Location"] == "/login/"
    assert not events(Action.LOGIN)


def test_a_wrong_code_is_refused_and_audited(no_throttle: None) -> None:
    staff = mfa_staff("customer_service")
    c = Client()
    password_step(c, staff.username)
    r = c.post("/login/code/", {"code": "000000" if current_otp(staff) != "000000" else "111111"})
    assert r.status_code == 200
    assert 'data-testid="code-error"' in html(r) and "验证码未被接受" in html(r)
    assert "_auth_user_id" not in c.session
    [ev] = events(Action.MFA_FAILED, actor_id=staff.pk)
    assert ev.outcome == Outcome.DENIED
    sign_in_ok = c.post("/login/code/", {"code": current_otp(staff)})
    assert sign_in_ok["Location"] == "/"


def test_five_wrong_codes_send_the_person_back_to_the_password(no_throttle: None) -> None:
    staff = mfa_staff("finance")
    c = Client()
    password_step(c, staff.username)
    wrong = "123456" if current_otp(staff) != "123456" else "654321"
    for _ in range(4):
        assert c.post("/login/code/", {"code": wrong}).status_code == 200
    r = c.post("/login/code/", {"code": wrong}, follow=True)
    assert r.redirect_chain[-1][0] == "/login/"
    assert "错误的验证码次数过多" in html(r)
    assert c.post("/login/code/", {"code": current_otp(staff)})["Location"] == "/login/"
    assert not events(Action.LOGIN)


def test_a_code_is_accepted_only_once() -> None:
    staff = mfa_staff("privacy_officer")
    code = current_otp(staff)
    assert code is not None
    sign_in(Client(), staff, code)
    c2 = Client()
    password_step(c2, staff.username)
    r = c2.post("/login/code/", {"code": code})
    assert r.status_code == 200 and 'data-testid="code-error"' in html(r)
    assert "_auth_user_id" not in c2.session
    assert len(events(Action.LOGIN, actor_id=staff.pk)) == 1


def test_a_recovery_code_signs_in_once(no_throttle: None) -> None:
    staff = mfa_staff("front_desk")
    codes = mfa.new_recovery_codes(staff)
    c = Client()
    password_step(c, staff.username)
    r = c.post("/login/code/", {"code": codes[0].lower()}, follow=True)
    assert r.redirect_chain[-1][0] == "/"
    assert "还剩 9 个" in html(r)
    [ev] = events(Action.LOGIN, actor_id=staff.pk)
    assert ev.detail["mfa"] == "recovery"
    assert len(events(Action.RECOVERY_CODE_USED, actor_id=staff.pk)) == 1
    c2 = Client()
    password_step(c2, staff.username)
    r = c2.post("/login/code/", {"code": codes[0]})
    assert r.status_code == 200 and 'data-testid="code-error"' in html(r)
    assert c2.post("/login/code/", {"code": codes[1]})["Location"] == "/"


def test_next_is_kept_through_both_steps_and_never_leaves_the_site(customer: Any) -> None:
    staff = mfa_staff("front_desk")
    c = Client()
    password_step(c, staff.username, nxt="/customers/new/")
    assert c.post("/login/code/", {"code": current_otp(staff)})["Location"] == "/customers/new/"
    c2 = Client()
    password_step(c2, staff.username, nxt="https://evil.example/")
    assert c2.post("/login/code/", {"code": otp_ahead(staff, 1)})["Location"] == "/"


def test_login_form_is_password_typed_and_a_failure_is_generic() -> None:
    body = html(Client().get("/login/"))
    assert 'name="password" type="password"' in body
    assert 'autocomplete="current-password"' in body
    staff = mfa_staff("finance")
    # issue #9 §6: a wrong password goes on to the code page like a right one, and no code
    # is accepted there (tests/test_signin_throttle.py compares the pages)
    c = Client()
    assert password_step(c, staff.username, "not-the-password-123")["Location"] == "/login/code/"
    r = c.post("/login/code/", {"code": current_otp(staff)})
    assert r.status_code == 200 and 'data-testid="code-error"' in html(r)
    assert "not-the-password-123" not in html(r)
    c = Client()
    assert password_step(c, "nobody-here", PASSWORD)["Location"] == "/login/code/"
    assert 'data-testid="code-error"' in html(c.post("/login/code/", {"code": "123456"}))


def test_an_inactive_account_cannot_start_signing_in() -> None:
    staff = mfa_staff("finance")
    Staff.objects.filter(pk=staff.pk).update(is_active=False)
    c = Client()
    assert password_step(c, staff.username)["Location"] == "/login/code/"
    r = c.post("/login/code/", {"code": current_otp(staff)})
    assert r.status_code == 200 and 'data-testid="code-error"' in html(r)
    assert "_auth_user_id" not in c.session


def test_a_password_reset_between_the_steps_voids_the_pending_sign_in() -> None:
    staff = mfa_staff("finance")
    admin = mfa_staff("security_admin")
    c = Client()
    password_step(c, staff.username)
    access.reset_password(admin, staff.pk, "forgotten")
    r = c.post("/login/code/", {"code": current_otp(staff)})
    assert r["Location"] == "/login/"
    assert "_auth_user_id" not in c.session


# -- lock-out --------------------------------------------------------------------------------------
def test_five_failures_show_a_translated_lock_out_page_not_json() -> None:
    staff = mfa_staff("front_desk")
    c = Client()
    for _ in range(4):
        r = password_step(c, staff.username, "wrong-password-0000")
        assert r.status_code == 302  # on to the code page, as a right password would
    r = password_step(c, staff.username, "wrong-password-0000")
    assert r.status_code == 429
    assert r["Content-Type"].startswith("text/html")
    body = html(r)
    assert 'data-testid="locked-out"' in body and "登录已锁定" in body and "15" in body
    assert "locked_out" not in body  # no problem document
    # the right password does not help while locked
    r = password_step(c, staff.username, PASSWORD)
    assert r.status_code == 429 and 'data-testid="locked-out"' in html(r)
    assert "_baomi_pending" not in c.session
    assert events(Action.LOCKED_OUT)
    c.post("/i18n/setlang/", {"language": "en"})
    assert "Sign-in locked" in html(password_step(c, staff.username, PASSWORD))


def test_the_api_lock_out_stays_a_problem_document() -> None:
    staff = mfa_staff("front_desk")
    c = Client()
    for _ in range(5):
        r = c.post(
            "/api/v1/auth/token",
            {"username": staff.username, "password": "wrong-password-0000"},
            content_type="application/json",
        )
    assert r.status_code == 429 and r.json()["code"] == "locked_out"


# -- enrolment at first sign-in --------------------------------------------------------------------
def test_a_new_user_enrols_an_authenticator_and_gets_ten_recovery_codes(
    make_staff: Any, no_throttle: None
) -> None:
    staff = make_staff("security_auditor")  # no TOTP device yet
    assert not mfa.has_confirmed_device(staff)
    c = Client()
    r = password_step(c, staff.username)
    assert r["Location"] == "/login/enrol/"
    assert c.get("/login/code/")["Location"] == "/login/enrol/"
    body = html(c.get("/login/enrol/"))
    assert "<svg" in body and 'data-testid="totp-qr"' in body
    secret = re.search(r'data-secret="([A-Z2-7]+)"', body).group(1)  # type: ignore[union-attr]
    assert len(secret) == 32
    assert secret in html(c.get("/login/enrol/"))  # the same key until confirmed
    r = c.post("/login/enrol/", {"code": "000000" if code_from_secret(secret) != "000000" else "1"})
    assert r.status_code == 200 and 'data-testid="code-error"' in html(r)
    assert not mfa.has_confirmed_device(staff)
    r = c.post("/login/enrol/", {"code": code_from_secret(secret)})
    assert r.status_code == 200
    body = html(r)
    codes = re.findall(r"<li><code>([A-Z0-9-]+)</code></li>", body)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert "只显示这一次" in body and r["Cache-Control"] == "no-store"
    assert mfa.has_confirmed_device(staff)
    assert c.session["_auth_user_id"] == str(staff.pk)  # signed in
    assert 'href="/"' in body and c.get("/").status_code == 200
    [ev] = events(Action.MFA_ENROLLED, actor_id=staff.pk)
    assert ev.detail == {"via": "console"}
    [login] = events(Action.LOGIN, actor_id=staff.pk)
    assert login.detail["mfa"] == "enrolled"
    for code in codes:
        assert code not in str(dict(c.session.items()))  # never stored in the session
    # a recovery code from the list works once, on the normal code step
    c2 = Client()
    assert password_step(c2, staff.username)["Location"] == "/login/code/"
    assert c2.post("/login/code/", {"code": codes[3]})["Location"] == "/"


def test_enrolment_is_not_offered_to_someone_who_has_a_device() -> None:
    staff = mfa_staff("finance")
    c = Client()
    password_step(c, staff.username)
    assert c.get("/login/enrol/")["Location"] == "/login/code/"
    assert c.post("/login/enrol/", {"code": "123456"})["Location"] == "/login/code/"


# -- passwords -------------------------------------------------------------------------------------
def test_an_expired_password_is_changed_before_anything_else(
    monkeypatch: Any, customer: Any
) -> None:
    staff = mfa_staff("front_desk")
    later = clock.now() + timedelta(days=91)
    monkeypatch.setattr(clock, "now", lambda: later)
    c = Client()
    password_step(c, staff.username)
    r = c.post("/login/code/", {"code": current_otp(staff)})
    assert r["Location"] == "/login/password/"
    assert "_auth_user_id" not in c.session
    for path in ("/", "/customers/", f"/customers/{customer.id}/"):
        assert c.get(path)["Location"].startswith("/login/?next="), path
    assert c.get("/login/code/")["Location"] == "/login/password/"
    body = html(c.get("/login/password/"))
    assert 'data-testid="password-due"' in body and "定期更换" in body
    assert body.count('type="password"') == 3
    bad = {"old_password": "wrong-old-password-1", "new_password": NEW_PASSWORD}
    r = c.post("/login/password/", {**bad, "confirm_password": NEW_PASSWORD})
    assert r.status_code == 422 and "当前密码错误" in html(r)
    r = c.post(
        "/login/password/",
        {"old_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm_password": "x"},
    )
    assert r.status_code == 422 and 'data-testid="error-confirm_password"' in html(r)
    same = {"old_password": PASSWORD, "new_password": PASSWORD, "confirm_password": PASSWORD}
    r = c.post("/login/password/", same)
    assert r.status_code == 422 and "最近 5 次" in html(r)
    short = {"old_password": PASSWORD, "new_password": "short", "confirm_password": "short"}
    r = c.post("/login/password/", short)
    assert r.status_code == 422 and 'data-testid="error-new_password"' in html(r)
    assert "_auth_user_id" not in c.session
    good = {"old_password": PASSWORD, "new_password": NEW_PASSWORD}
    r = c.post("/login/password/", {**good, "confirm_password": NEW_PASSWORD})
    assert r.status_code == 302 and r["Location"] == "/"
    assert c.session["_auth_user_id"] == str(staff.pk)
    assert len(events(Action.PASSWORD_CHANGED, actor_id=staff.pk)) == 1
    [ev] = events(Action.LOGIN, actor_id=staff.pk)
    assert ev.detail["mfa"] == "totp"
    assert "密码已修改" in html(c.get("/"))


def test_an_administrator_reset_password_must_be_replaced_at_sign_in() -> None:
    staff = mfa_staff("customer_service")
    admin = mfa_staff("security_admin")
    temp = access.reset_password(admin, staff.pk, "forgot it at the counter").temporary_password
    assert temp
    c = Client()
    assert password_step(c, staff.username, temp)["Location"] == "/login/code/"
    r = c.post("/login/code/", {"code": current_otp(staff)})
    assert r["Location"] == "/login/password/"
    body = html(c.get("/login/password/"))
    assert "由管理员签发" in body
    data = {"old_password": temp, "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD}
    assert c.post("/login/password/", data)["Location"] == "/"
    staff.refresh_from_db()
    assert not staff.must_change_password


def test_a_password_falling_due_during_a_session_sends_console_pages_to_the_change_form(
    signed_in: Any, monkeypatch: Any
) -> None:
    c, _ = signed_in("front_desk")
    later = clock.now() + timedelta(days=91)
    monkeypatch.setattr(clock, "now", lambda: later)
    for path in ("/", "/customers/", "/customers/new/"):
        assert c.get(path)["Location"] == "/password/", path
    assert c.post("/purpose/", {"purpose": "reception"})["Location"] == "/password/"
    assert 'data-testid="password-due"' in html(c.get("/password/"))


def test_the_session_ends_when_the_password_falls_due(settings: Any) -> None:
    staff = mfa_staff("finance")
    Staff.objects.filter(pk=staff.pk).update(
        password_changed_at=clock.now() - timedelta(days=90) + timedelta(hours=2)
    )
    c = Client()
    sign_in(c, staff)
    due = clock.now() + timedelta(hours=2)
    assert abs((c.session.get_expiry_date() - due).total_seconds()) < 60


def test_everyone_can_change_their_password_and_other_sessions_end(signed_in: Any) -> None:
    c, staff = signed_in("marketing")
    other = Client()
    other.force_login(staff)
    assert other.get("/").status_code == 200
    r = c.get("/password/")
    assert r.status_code == 200 and html(r).count('type="password"') == 3
    assert 'data-testid="password-due"' not in html(r)
    key = c.session.session_key
    data = {"old_password": "not-my-password-1", "new_password": NEW_PASSWORD}
    r = c.post("/password/", {**data, "confirm_password": NEW_PASSWORD})
    assert r.status_code == 422 and 'data-testid="error-old_password"' in html(r)
    data["old_password"] = PASSWORD
    r = c.post("/password/", {**data, "confirm_password": NEW_PASSWORD})
    assert r.status_code == 302 and r["Location"] == "/"
    assert c.get("/").status_code == 200  # this session goes on, under a new key
    assert c.session.session_key != key
    assert other.get("/").status_code == 302  # the other one ended
    staff.refresh_from_db()
    assert staff.check_password(NEW_PASSWORD)
    assert len(events(Action.PASSWORD_CHANGED, actor_id=staff.pk)) == 1


def test_password_change_needs_csrf(make_staff: Any) -> None:
    staff = make_staff("finance")
    c = Client(enforce_csrf_checks=True)
    c.force_login(staff)
    data = {"old_password": PASSWORD, "new_password": NEW_PASSWORD}
    r = c.post("/password/", {**data, "confirm_password": NEW_PASSWORD})
    assert r.status_code == 403
    staff.refresh_from_db()
    assert staff.check_password(PASSWORD)


# -- sessions --------------------------------------------------------------------------------------
def test_an_idle_session_ends_with_a_notice_on_the_sign_in_page(
    signed_in: Any, monkeypatch: Any
) -> None:
    c, _ = signed_in("front_desk")
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 16 * 60)
    r = c.get("/customers/")
    assert r.status_code == 302 and r["Location"].startswith("/login/?next=")
    body = html(c.get(r["Location"]))
    assert 'data-testid="session-expired"' in body and "15 分钟无操作" in body
    assert 'data-testid="session-expired"' not in html(c.get("/login/"))  # shown once


def test_a_session_past_eight_hours_ends_with_its_own_notice(signed_in: Any) -> None:
    c, _ = signed_in("front_desk")
    session = c.session
    session["_baomi_started"] = int(time.time()) - 8 * 3600 - 5
    session.save()
    r = c.get("/")
    assert r.status_code == 302
    body = html(c.get("/login/"))
    assert 'data-testid="session-expired"' in body and "8 小时" in body


def test_signing_out_ends_a_half_finished_sign_in_too() -> None:
    staff = mfa_staff("finance")
    c = Client()
    password_step(c, staff.username)
    c.post("/logout/")
    assert c.post("/login/code/", {"code": current_otp(staff)})["Location"] == "/login/"
    c2 = Client()
    password_step(c2, staff.username)
    c2.post("/login/cancel/")
    assert "_baomi_pending" not in c2.session


# -- staff management (security_admin) -------------------------------------------------------------
def test_a_new_account_needs_a_second_security_admin_and_signs_in_with_its_secrets(
    signed_in: Any,
) -> None:
    c1, sa1 = signed_in("security_admin")
    c2, _ = signed_in("security_admin")
    r = c1.post("/staff/new/", {"username": "new_clerk", "role": "front_desk"})
    assert r.status_code == 201
    body = html(r)
    password = re.search(r'data-testid="secret-password">([^<]+)<', body).group(1)  # type: ignore[union-attr]
    assert "data-secret" not in body  # issue #9 §2: the person enrols their own authenticator
    assert 'data-testid="shown-once"' in body and "只显示这一次" in body
    who = body.split('data-testid="who"')[1].split("</span></span>")[0]
    assert sa1.username in who and "安全管理员" in who  # the header still shows the admin
    assert password not in str(dict(c1.session.items()))
    new = Staff.objects.get(username="new_clerk")
    assert not new.is_active
    req = ApprovalRequest.objects.get(state=ApprovalState.REQUESTED)
    # the account cannot sign in yet
    c0 = Client()
    assert password_step(c0, "new_clerk", password)["Location"] == "/login/code/"
    assert 'data-testid="code-error"' in html(c0.post("/login/code/", {"code": "123456"}))
    listing = html(c1.get("/staff/"))
    assert "new_clerk" in listing and "待审批" in listing
    # four eyes: the requester cannot approve
    r = c1.post(f"/approvals/{req.pk}/decide/", {"decision": "approve"}, follow=True)
    assert "双人审批" in html(r)
    req.refresh_from_db()
    assert req.state == ApprovalState.REQUESTED
    assert 'data-testid="own-request"' in html(c1.get("/approvals/"))
    r = c2.post(f"/approvals/{req.pk}/decide/", {"decision": "approve", "note": "checked HR"})
    assert r.status_code == 302
    new.refresh_from_db()
    assert new.is_active and new.role == "front_desk"
    assert new.credentials_set_by == [sa1.pk]
    # the newcomer: password, their own authenticator, then their own password
    c = Client()
    assert password_step(c, "new_clerk", password)["Location"] == "/login/enrol/"
    secret = re.search(r'data-secret="([A-Z2-7]+)"', html(c.get("/login/enrol/"))).group(1)  # type: ignore[union-attr]
    r = c.post("/login/enrol/", {"code": code_from_secret(secret)})
    assert 'data-testid="recovery-codes"' in html(r) or r.status_code == 200
    data = {"old_password": password, "new_password": NEW_PASSWORD}
    r = c.post("/login/password/", {**data, "confirm_password": NEW_PASSWORD})
    assert r["Location"] == "/"
    assert c.get("/").status_code == 200
    new.refresh_from_db()
    assert new.credentials_set_by == []  # both set by the person: the taint is gone


def test_creating_an_account_reports_errors_in_the_form(signed_in: Any) -> None:
    c, _ = signed_in("security_admin")
    mfa_staff("finance", "taken_name")
    r = c.post("/staff/new/", {"username": "taken_name", "role": "finance"})
    assert r.status_code == 400 and "该用户名已被使用" in html(r)
    r = c.post("/staff/new/", {"username": "someone", "role": "janitor"})
    assert r.status_code == 422 and "角色代码无效" in html(r)
    assert not Staff.objects.filter(username="someone").exists()


def test_the_staff_list_shows_role_status_mfa_and_last_sign_in(
    signed_in: Any, make_staff: Any
) -> None:
    c, sa = signed_in("security_admin")
    plain = make_staff("finance", "no_device_user")
    r = c.get("/staff/")
    assert r.status_code == 200
    body = html(r)
    row = body.split(f'data-username="{sa.username}"')[1].split("</tr>")[0]
    assert "安全管理员" in row and "已启用" in row and "已设置" in row
    assert timezone.localtime(Staff.objects.get(pk=sa.pk).last_login).strftime("%Y-%m-%d") in row
    row = body.split(f'data-username="{plain.username}"')[1].split("</tr>")[0]
    assert "未设置" in row and "从未" in row


def test_deactivation_ends_access_and_shows_the_offboarding_review_count(
    signed_in: Any, customer: Any, make_customer: Any
) -> None:
    c, _ = signed_in("security_admin")
    leaver_client, leaver = signed_in("front_desk")
    gate.access_customer(leaver, "reception", customer.id)
    gate.access_customer(leaver, "reception", make_customer().id)
    r = c.post(f"/staff/{leaver.pk}/deactivate/", {"reason": ""}, follow=True)
    assert "请填写理由" in html(r)
    r = c.post(f"/staff/{leaver.pk}/deactivate/", {"reason": "left the company"})
    assert r.status_code == 200
    body = html(r)
    assert 'data-testid="review-count"' in body and "2 位客户" in body
    leaver.refresh_from_db()
    assert not leaver.is_active
    assert leaver_client.get("/").status_code == 302
    assert NAME not in body and PHONE not in body


def test_reset_mfa_lets_only_the_person_enrol_a_new_authenticator(signed_in: Any) -> None:
    """Issue #9 §2: the administrator never sees the new TOTP key; the person enrols it at
    the next sign-in, within 24 h."""
    c, _ = signed_in("security_admin")
    target_client, target = signed_in("finance")
    old_device = TOTPDevice.objects.get(user=target)
    r = c.post(f"/staff/{target.pk}/reset-mfa/", {"reason": ""}, follow=True)
    assert "须填写理由" in html(r)
    r = c.post(f"/staff/{target.pk}/reset-mfa/", {"reason": "lost phone, ID checked"})
    assert r.status_code == 200
    body = html(r)
    assert "<svg" not in body and "data-secret" not in body
    assert 'data-testid="enrol-by"' in body
    assert not TOTPDevice.objects.filter(pk=old_device.pk).exists()
    assert target_client.get("/").status_code == 302  # sessions ended
    assert len(events(Action.MFA_RESET)) == 1
    n = Client()
    assert password_step(n, target.username)["Location"] == "/login/enrol/"
    secret = re.search(r'data-secret="([A-Z2-7]+)"', html(n.get("/login/enrol/"))).group(1)  # type: ignore[union-attr]
    assert n.post("/login/enrol/", {"code": code_from_secret(secret)}).status_code == 200
    target.refresh_from_db()
    assert target.mfa_self_enrolled


def test_the_enrolment_window_closes_after_24_hours(signed_in: Any, monkeypatch: Any) -> None:
    _c, admin = signed_in("security_admin")
    target = mfa_staff("finance")
    access.reset_mfa(admin, target.pk, "lost phone")
    later = clock.now() + timedelta(hours=25)
    monkeypatch.setattr(clock, "now", lambda: later)
    n = Client()
    assert password_step(n, target.username)["Location"] == "/login/enrol/"
    r = n.get("/login/enrol/", follow=True)
    assert "重新申请重置" in html(r) and "data-secret" not in html(r)
    assert not TOTPDevice.objects.filter(user=target).exists()


def test_reset_password_shows_a_temporary_password_once(signed_in: Any) -> None:
    c, _ = signed_in("security_admin")
    target = mfa_staff("marketing")
    r = c.post(f"/staff/{target.pk}/reset-password/", {"reason": "forgotten"})
    assert r.status_code == 200
    temp = re.search(r'data-testid="secret-password">([^<]+)<', html(r)).group(1)  # type: ignore[union-attr]
    target.refresh_from_db()
    assert target.check_password(temp) and target.must_change_password
    assert "24 小时" in html(r)


def test_resetting_a_privileged_account_is_a_four_eyes_request(signed_in: Any) -> None:
    """Issue #9 §2 in the console: the reset of a security administrator waits for a second
    one, who gets the temporary password; the requester never sees it."""
    c1, sa1 = signed_in("security_admin")
    c3, sa3 = signed_in("security_admin")
    target = mfa_staff("security_admin")
    assert "另一位安全管理员批准" in html(c1.get(f"/staff/{target.pk}/"))
    r = c1.post(f"/staff/{target.pk}/reset-password/", {"reason": "forgotten"}, follow=True)
    assert 'data-testid="secret-password"' not in html(r) and "申请" in html(r)
    target.refresh_from_db()
    assert target.check_password(PASSWORD)  # nothing changed yet
    req = ApprovalRequest.objects.get(kind="credential_reset")
    assert f'action="/approvals/{req.pk}/decide/"' not in html(c1.get("/approvals/"))
    r = c3.post(f"/approvals/{req.pk}/decide/", {"decision": "approve", "note": "ID checked"})
    assert r.status_code == 200
    temp = re.search(r'data-testid="secret-password">([^<]+)<', html(r)).group(1)  # type: ignore[union-attr]
    target.refresh_from_db()
    assert target.check_password(temp) and sorted(target.credentials_set_by) == sorted(
        [sa1.pk, sa3.pk]
    )


def test_terminate_sessions_keeps_the_account(signed_in: Any) -> None:
    c, _ = signed_in("security_admin")
    target_client, target = signed_in("customer_service")
    r = c.post(f"/staff/{target.pk}/sessions/", follow=True)
    assert "会话和 API 令牌均已终止" in html(r)
    assert target_client.get("/").status_code == 302
    target.refresh_from_db()
    assert target.is_active
    assert len(events(Action.SESSIONS_TERMINATED)) == 1


def test_a_role_change_is_a_four_eyes_request(signed_in: Any) -> None:
    c1, _ = signed_in("security_admin")
    c2, _ = signed_in("security_admin")
    target = mfa_staff("front_desk")
    r = c1.post(f"/staff/{target.pk}/role/", {"role": "finance", "reason": "moved to billing"})
    assert r.status_code == 302
    target.refresh_from_db()
    assert target.role == "front_desk"
    req = ApprovalRequest.objects.get()
    pending = html(c2.get("/approvals/"))
    assert f'data-testid="approval-{req.pk}"' in pending and target.username in pending
    assert "角色变更" in pending and "财务" in pending and "<code>finance</code>" in pending
    c2.post(f"/approvals/{req.pk}/decide/", {"decision": "approve"})
    target.refresh_from_db()
    assert target.role == "finance"


def test_nobody_changes_their_own_account(signed_in: Any) -> None:
    c, sa = signed_in("security_admin")
    body = html(c.get(f"/staff/{sa.pk}/"))
    assert 'data-testid="self-note"' in body and 'data-testid="reset-mfa-form"' not in body
    for action in ("reset-mfa", "reset-password", "deactivate", "role", "sessions"):
        r = c.post(f"/staff/{sa.pk}/{action}/", {"reason": "x", "role": "finance"}, follow=True)
        assert r.status_code == 200
        assert "不能以这种方式更改自己" in html(r), action
    sa.refresh_from_db()
    assert sa.is_active and sa.role == "security_admin"


def test_unknown_staff_is_a_404(signed_in: Any) -> None:
    c, _ = signed_in("security_admin")
    assert c.get("/staff/999999/").status_code == 404
    r = c.post("/staff/999999/reset-password/", {"reason": "x"})
    assert r.status_code == 404 and "没有该员工" in html(r)


ADMIN_PAGES = ["/staff/", "/staff/1/", "/access-review/", "/access-review.csv"]
AUDITOR_PAGES = ["/reviews/break-glass/", "/reviews/offboarding/"]


@pytest.mark.parametrize(
    "role", ["front_desk", "finance", "marketing", "courier", "privacy_officer", "system_admin"]
)
def test_roles_without_the_duty_get_403_on_security_pages(signed_in: Any, role: str) -> None:
    c, staff = signed_in(role)
    pages = [*ADMIN_PAGES, *AUDITOR_PAGES]
    if role == "privacy_officer":  # sees the emergency grants read-only (issue #9 §3)
        pages.remove("/reviews/break-glass/")
    for path in pages:
        r = c.get(path)
        assert r.status_code == 403, (role, path)
        assert "您的角色不能使用此页面或操作" in html(r)
    posts = [
        "/staff/new/",
        f"/staff/{staff.pk}/deactivate/",
        f"/staff/{staff.pk}/reset-mfa/",
        f"/staff/{staff.pk}/reset-password/",
        f"/staff/{staff.pk}/sessions/",
        "/approvals/1/decide/",
        "/reviews/break-glass/1/",
        "/reviews/offboarding/1/",
    ]
    for path in posts:
        assert c.post(path, {"reason": "x", "note": "x", "decision": "approve"}).status_code == 403
    staff.refresh_from_db()
    assert staff.is_active


def test_security_admin_cannot_use_the_auditor_queues_and_vice_versa(signed_in: Any) -> None:
    sa, _ = signed_in("security_admin")
    aud, _ = signed_in("security_auditor")
    for path in AUDITOR_PAGES:
        assert sa.get(path).status_code == 403
        assert aud.get(path).status_code == 200
    assert aud.get("/staff/").status_code == 403
    assert aud.get("/access-review/").status_code == 200


def test_anonymous_visitors_are_sent_to_sign_in_from_every_security_page() -> None:
    for path in [*ADMIN_PAGES, *AUDITOR_PAGES, "/approvals/", "/password/"]:
        r = Client().get(path)
        assert r.status_code == 302 and r["Location"].startswith("/login/?next="), path


def test_security_forms_need_csrf(make_staff: Any) -> None:
    admin = make_staff("security_admin")
    c = Client(enforce_csrf_checks=True)
    c.force_login(admin)
    assert c.post("/staff/new/", {"username": "x_user", "role": "finance"}).status_code == 403
    assert not Staff.objects.filter(username="x_user").exists()
    target = make_staff("finance")
    assert c.post(f"/staff/{target.pk}/deactivate/", {"reason": "x"}).status_code == 403
    target.refresh_from_db()
    assert target.is_active


# -- approvals -------------------------------------------------------------------------------------
def test_a_policy_override_needs_another_person_and_then_applies(
    signed_in: Any, customer: Any
) -> None:
    po, officer = signed_in("privacy_officer")
    sa, _ = signed_in("security_admin")
    desk, _ = signed_in("front_desk")
    desk.post("/purpose/", {"purpose": "reception"})
    assert MASKED_ID in html(desk.get(f"/customers/{customer.id}/"))
    body = html(po.get("/approvals/"))
    assert 'data-testid="policy-form"' in body and 'data-testid="key-form"' in body
    assert (
        'value="security_admin"'
        not in body.split('data-testid="policy-form"')[1].split("</form>")[0]
    )
    data = {
        "role": "front_desk",
        "purpose": "reception",
        "field": "customer.id_number",
        "treatment": "plain",
        "reason": "check-in registration (公安 rules)",
    }
    r = po.post("/approvals/policy/", data)
    assert r.status_code == 302
    req = ApprovalRequest.objects.get()
    mine = html(po.get("/approvals/"))
    assert f'data-testid="approval-{req.pk}"' in mine and 'data-testid="approve-' not in mine
    assert po.post(f"/approvals/{req.pk}/decide/", {"decision": "approve"}).status_code == 403
    pending = html(sa.get("/approvals/"))
    assert "证件号码" in pending and "<code>customer.id_number</code>" in pending
    assert re.search(r'data-testid="time-left">\s*2[34] 小时', pending)
    assert FULL_ID not in pending
    r = sa.post(f"/approvals/{req.pk}/decide/", {"decision": "approve", "note": "per law"})
    assert r.status_code == 302
    body = html(desk.get(f"/customers/{customer.id}/"))
    assert FULL_ID in body
    assert events(Action.POLICY_CHANGED)
    decided = html(po.get("/approvals/"))
    assert f'data-testid="decided-{req.pk}"' in decided and 'data-state="approved"' in decided
    assert officer.pk != req.decided_by_id


def test_a_policy_request_the_service_refuses_shows_its_reason(signed_in: Any) -> None:
    po, _ = signed_in("privacy_officer")
    data = {
        "role": "courier",
        "purpose": "billing",
        "field": "customer.id_number",
        "treatment": "plain",
        "reason": "x",
    }
    r = po.post("/approvals/policy/", data)
    assert r.status_code == 422 and "该角色不能使用此用途" in html(r)
    r = po.post("/approvals/policy/", {**data, "purpose": "delivery", "reason": ""})
    assert r.status_code == 422 and "须填写理由" in html(r)
    assert not ApprovalRequest.objects.exists()


def test_key_rotation_request_and_rejection_with_a_note(signed_in: Any) -> None:
    sysadm, _ = signed_in("system_admin")
    sa, _ = signed_in("security_admin")
    aud, _ = signed_in("security_auditor")
    r = sysadm.post("/approvals/key-rotation/", {"reason": "yearly rotation"})
    assert r.status_code == 302
    req = ApprovalRequest.objects.get(kind="key_rotation")
    auditor_view = html(aud.get("/approvals/"))
    assert f'data-testid="approval-{req.pk}"' in auditor_view
    assert (
        'data-testid="decide-' not in auditor_view and 'data-testid="key-form"' not in auditor_view
    )
    r = sa.post(f"/approvals/{req.pk}/decide/", {"decision": "reject", "note": "not this week"})
    assert r.status_code == 302
    req.refresh_from_db()
    assert req.state == ApprovalState.REJECTED and req.decision_note == "not this week"
    assert not events(Action.KEY_ROTATED)
    r = sa.post(f"/approvals/{req.pk}/decide/", {"decision": "approve"}, follow=True)
    assert "该请求已审批完毕" in html(r)
    assert "not this week" in html(sysadm.get("/approvals/"))


def test_an_expired_request_cannot_be_approved(signed_in: Any, monkeypatch: Any) -> None:
    sysadm, _ = signed_in("system_admin")
    sa, _ = signed_in("security_admin")
    sysadm.post("/approvals/key-rotation/", {"reason": "rotation"})
    req = ApprovalRequest.objects.get()
    later = clock.now() + timedelta(hours=25)
    monkeypatch.setattr(clock, "now", lambda: later)
    r = sa.post(f"/approvals/{req.pk}/decide/", {"decision": "approve"}, follow=True)
    assert "已过期" in html(r)
    req.refresh_from_db()
    assert req.state == ApprovalState.EXPIRED


# -- break-glass -----------------------------------------------------------------------------------
def test_break_glass_from_the_360_page_then_the_auditor_reviews_it(
    signed_in: Any, customer: Any
) -> None:
    desk, staff = signed_in("front_desk")
    desk.post("/purpose/", {"purpose": "reception"})
    body = html(desk.get(f"/customers/{customer.id}/"))
    assert FULL_ID not in body
    assert 'data-testid="break-glass-form"' in body and 'data-testid="break-glass"' not in body
    assert 'data-testid="break-glass-category"' in body and "公安机关现场核查" in body
    url = f"/customers/{customer.id}/break-glass/"
    r = desk.post(url, {"reason": "urgent", "reason_category": "life_or_health"})
    assert r.status_code == 422 and "至少10个字符" in html(r)
    r = desk.post(url, {"reason": "guest collapsed, ambulance needs the ID"})
    assert r.status_code == 422 and "请选择紧急情况类别" in html(r)
    assert not BreakGlassGrant.objects.exists()
    data = {
        "reason": "guest collapsed, ambulance needs the ID",
        "reason_category": "life_or_health",
    }
    r = desk.post(url, data, follow=True)
    assert r.redirect_chain[-1][0] == f"/customers/{customer.id}/"
    body = html(r)
    assert 'data-testid="break-glass"' in body and "已开启紧急访问" in body
    assert FULL_ID in body and NAME in body and "+8613812345678" in body
    assert 'data-testid="break-glass-form"' not in body
    [ev] = events(Action.BREAK_GLASS, actor_id=staff.pk)
    assert ev.object_id == str(customer.id) and ev.purpose == "reception"
    aud, auditor = signed_in("security_auditor")
    grant = BreakGlassGrant.objects.get()
    queue = html(aud.get("/reviews/break-glass/"))
    assert f'data-testid="grant-{grant.pk}"' in queue and staff.username in queue
    assert "ambulance" in queue and "人身安全" in queue
    assert FULL_ID not in queue and NAME not in queue
    r = aud.post(f"/reviews/break-glass/{grant.pk}/", {"note": " "}, follow=True)
    assert "须填写审查意见" in html(r)
    r = aud.post(f"/reviews/break-glass/{grant.pk}/", {"note": "confirmed with dispatch"})
    assert r.status_code == 302
    grant.refresh_from_db()
    assert grant.reviewed_by_id == auditor.pk
    assert 'data-testid="queue-empty"' in html(aud.get("/reviews/break-glass/"))
    assert aud.post("/reviews/break-glass/999999/", {"note": "x"}).status_code == 404


def test_a_courier_is_offered_no_break_glass(signed_in: Any, customer: Any) -> None:
    """Issue #9 §3: a courier got the full ID, card and room this way on main."""
    courier, _ = signed_in("courier")
    courier.post("/purpose/", {"purpose": "delivery"})
    body = html(courier.get(f"/customers/{customer.id}/"))
    assert "王**" in body and 'data-testid="break-glass-form"' not in body
    url = f"/customers/{customer.id}/break-glass/"
    assert courier.get(url).status_code == 403
    data = {
        "reason": "parcel of medicine, recipient unreachable",
        "reason_category": "life_or_health",
    }
    r = courier.post(url, data)
    assert r.status_code == 403 and "不能开通紧急访问" in html(r)
    assert not BreakGlassGrant.objects.exists()


def test_no_break_glass_over_a_missing_consent(signed_in: Any, customer: Any) -> None:
    mkt, _ = signed_in("marketing")
    mkt.post("/purpose/", {"purpose": "marketing"})
    body = html(mkt.get(f"/customers/{customer.id}/"))
    assert 'data-testid="nothing-shown"' in body
    assert 'data-testid="break-glass-form"' not in body and "不能替代客户的同意" in body


def test_break_glass_is_open_on_a_page_that_shows_little(signed_in: Any, customer: Any) -> None:
    fin, _ = signed_in("finance")
    fin.post("/purpose/", {"purpose": "billing"})
    body = html(fin.get(f"/customers/{customer.id}/"))
    assert 'data-testid="break-glass-form"' in body


def test_administrator_roles_cannot_break_glass(signed_in: Any, customer: Any) -> None:
    for role in ("security_admin", "system_admin", "security_auditor"):
        c, _ = signed_in(role)
        r = c.post(f"/customers/{customer.id}/break-glass/", {"reason": "I really need this"})
        assert r.status_code == 403
    assert not BreakGlassGrant.objects.exists()


# -- offboarding review ----------------------------------------------------------------------------
def test_the_auditor_reviews_an_offboarding_with_a_note(signed_in: Any, customer: Any) -> None:
    leaver = mfa_staff("front_desk")
    gate.access_customer(leaver, "reception", customer.id)
    admin = mfa_staff("security_admin")
    review = access.deactivate_staff(admin, leaver.pk, "left")
    aud, auditor = signed_in("security_auditor")
    body = html(aud.get("/reviews/offboarding/"))
    assert f'data-testid="offboarding-{review.pk}"' in body and leaver.username in body
    assert "1 位客户" in body and str(customer.id) in body
    assert NAME not in body and PHONE not in body and MASKED_ID not in body
    r = aud.post(f"/reviews/offboarding/{review.pk}/", {"note": ""}, follow=True)
    assert "须填写审查意见" in html(r)
    r = aud.post(f"/reviews/offboarding/{review.pk}/", {"note": "reads match her shifts"})
    assert r.status_code == 302
    review.refresh_from_db()
    assert review.reviewed_by_id == auditor.pk and review.review_note == "reads match her shifts"
    assert len(events(Action.OFFBOARDING_REVIEWED)) == 1
    assert 'data-testid="queue-empty"' in html(aud.get("/reviews/offboarding/"))


# -- access review report --------------------------------------------------------------------------
def test_access_review_page_and_csv_carry_no_customer_value(signed_in: Any, customer: Any) -> None:
    desk_client, desk = signed_in("front_desk")
    desk_client.post("/purpose/", {"purpose": "reception"})
    desk_client.get(f"/customers/{customer.id}/")
    with pytest.raises(ValidationFailed):  # a formula cannot even be a username (#9 §6)
        mfa_staff("finance", "=HYPERLINK(1)")
    for role in ("security_admin", "security_auditor"):
        c, _ = signed_in(role)
        page = c.get("/access-review/?days=30")
        assert page.status_code == 200
        body = html(page)
        row = body.split(f'data-username="{desk.username}"')[1].split("</tr>")[0]
        assert re.search(r'class="num">1</td><td class="num">1</td>', row)
        r = c.get("/access-review.csv?days=30")
        assert r.status_code == 200
        assert r["Content-Type"].startswith("text/csv")
        assert r["Cache-Control"] == "no-store"
        today = timezone.localdate().isoformat()
        assert f'filename="baomi-access-review-{today}-30d.csv"' in r["Content-Disposition"]
        text = r.content.decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text)))
        assert rows[0] == [
            "username",
            "role",
            "active",
            "mfa",
            "last_login",
            "last_read",
            "customer_reads",
            "sensitive_reads",
        ]
        mine = next(x for x in rows if x[0] == desk.username)
        assert mine[1] == "front_desk" and mine[6] == "1" and mine[7] == "1"
        assert all(not x[0].startswith(("=", "+", "-", "@")) for x in rows)
        for value in (NAME, PHONE, "+8613812345678", FULL_ID, MASKED_ID, str(customer.id)):
            assert value not in text and value not in body


# -- navigation and language -----------------------------------------------------------------------
NAV = {
    "front_desk": {
        "nav-customers",
        "nav-new-customer",
        "nav-disclose",
        "nav-desk",
        "nav-find",
        "nav-feedback-new",
    },
    "courier": {
        "nav-customers",
        "nav-disclose",
        "nav-deliveries",
        "nav-find",
        "nav-waybills",
    },
    "privacy_officer": {
        "nav-customers",
        "nav-new-customer",
        "nav-approvals",
        "nav-rights",
        "nav-break-glass",
        "nav-kpis",
        "nav-sharing",
        "nav-lawful",
        "nav-incidents",
        "nav-feedback",
        "nav-service-quality",
    },
    "legal": {"nav-sharing", "nav-lawful"},
    "manager": {"nav-kpis", "nav-waybills", "nav-service-quality", "nav-insights"},
    "inspector": {"nav-kpis", "nav-service-quality"},
    "hr": set(),
    "security_admin": {
        "nav-staff",
        "nav-approvals",
        "nav-access-review",
        "nav-alerts",
        "nav-incidents",
    },
    "system_admin": {"nav-approvals"},
    "security_auditor": {
        "nav-approvals",
        "nav-break-glass",
        "nav-offboarding",
        "nav-access-review",
        "nav-audit",
        "nav-incidents",
    },
}
# issue #14: everyone reaches My training; HR runs training, a manager sees the team's; the
# responsibility matrix (R-D7) for HR, the privacy officer, managers and inspectors
TRAINING_NAV = {
    "hr": {"nav-training-admin", "nav-duties"},
    "manager": {"nav-training-team", "nav-duties"},
    "privacy_officer": {"nav-duties"},
    "inspector": {"nav-duties"},
}
NAV = {r: items | {"nav-training"} | TRAINING_NAV.get(r, set()) for r, items in NAV.items()}
# issue #16 §3: retention and destruction for the privacy officer and legal (and the data
# steward, who is not in this table)
for _role in ("privacy_officer", "legal"):
    NAV[_role] = NAV[_role] | {"nav-retention"}
# R-B2: the privacy notice's publication register, for the privacy officer
NAV["privacy_officer"] = NAV["privacy_officer"] | {"nav-notice-platforms"}
# issue #19: supervision and reports for the inspector, the manager and the privacy officer
for _role in ("inspector", "manager", "privacy_officer"):
    if _role in NAV:
        NAV[_role] = NAV[_role] | {"nav-supervision"}
PURPOSE = {"front_desk": "reception", "courier": "delivery", "privacy_officer": "rights_request"}


@pytest.mark.parametrize("role", sorted(NAV))
def test_navigation_offers_only_the_pages_the_role_may_use(signed_in: Any, role: str) -> None:
    c, _ = signed_in(role)
    if role in PURPOSE:
        c.post("/purpose/", {"purpose": PURPOSE[role]})
    body = html(c.get("/"))
    nav = body.split('data-testid="main-nav"')[1].split("</nav>")[0]
    shown = set(re.findall(r'data-testid="(nav-[a-z-]+)"', nav))
    from django.urls import NoReverseMatch, reverse

    expected = set(NAV[role])
    for name, testid in (("audit:events", "nav-audit"), ("audit:alerts", "nav-alerts")):
        try:
            reverse(name)
        except NoReverseMatch:
            expected.discard(testid)
    try:
        reverse("rights:dashboard")
    except NoReverseMatch:
        expected.discard("nav-rights")
    assert shown == expected
    assert 'data-testid="nav-password"' in body and 'data-testid="logout"' in body
    for link in re.findall(r'<a href="([^"]+)" data-testid="nav-', nav):
        assert c.get(link).status_code == 200, (role, link)


SECURITY_PAGES = {
    "security_admin": ["/staff/", "/approvals/", "/access-review/", "/password/"],
    "security_auditor": ["/reviews/break-glass/", "/reviews/offboarding/", "/approvals/"],
}


@pytest.mark.parametrize("role", sorted(SECURITY_PAGES))
def test_security_pages_are_translated(signed_in: Any, role: str) -> None:
    c, _ = signed_in(role)
    english = re.compile(r">\s*[A-Z][a-z]+(?: [a-z]+){2,}[^<]*<")
    for path in SECURITY_PAGES[role]:
        body = html(c.get(path))
        body = re.sub(r"<(script|style|svg)[^>]*>.*?</\1>", "", body, flags=re.S)
        assert not english.findall(body), (path, english.findall(body)[:3])
    c.post("/i18n/setlang/", {"language": "en"})
    assert "Approvals" in html(c.get("/approvals/"))


def test_sign_in_pages_are_translated(make_staff: Any) -> None:
    english = re.compile(r">\s*[A-Z][a-z]+(?: [a-z]+){2,}[^<]*<")
    staff = make_staff("finance")
    c = Client()
    pages = [html(c.get("/login/"))]
    password_step(c, staff.username)
    pages.append(html(c.get("/login/enrol/")))
    for body in pages:
        body = re.sub(r"<(script|style|svg)[^>]*>.*?</\1>", "", body, flags=re.S)
        assert not english.findall(body), english.findall(body)[:3]
    c.post("/i18n/setlang/", {"language": "en"})
    assert "Set up two-step sign-in" in html(c.get("/login/enrol/"))
