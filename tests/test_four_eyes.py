"""Four eyes cannot be had by one person (issue #9 §2, R-D4; ASVS 5.0 V8.2.x business-logic
authorisation, V6.4.x credential recovery).

The invariant: no approval is ever decided by its requester, by the account it acts on, or
by an account whose credentials the requester set or reset (nor by one who set the
requester's) — until the reset account has changed its password and enrolled its own
authenticator. The property test drives the real services through every history a small
team of four security administrators and one clerk can have, and checks each decision
against an oracle computed from that history, not from the fields the code keeps.
"""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django_otp.oath import totp
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from baomi.access import services
from baomi.access.models import ApprovalRequest, Staff
from baomi.access.models import SealedTOTPDevice as TOTPDevice
from baomi.audit.models import AuditEvent
from baomi.core import clock
from baomi.core.errors import Forbidden
from conftest import PASSWORD, current_otp

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "quartz-meadow-lantern-harbour-58"
_n = itertools.count()


def _sa(name: str) -> Staff:
    return services.create_staff_with_mfa(None, name, "security_admin", PASSWORD).staff


def _token(c: Client, username: str, password: str, otp: str | None) -> Any:
    body = {"username": username, "password": password, "otp": otp}
    return c.post("/api/v1/auth/token", body, content_type="application/json")


def _auth(c: Client, staff: Staff) -> dict[str, str]:
    r = _token(c, staff.username, PASSWORD, current_otp(staff))
    assert r.status_code == 200, r.content
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _post(c: Client, url: str, body: dict[str, Any], h: dict[str, str]) -> Any:
    return c.post(f"/api/v1{url}", body, content_type="application/json", headers=h)


# -- the attack from the report, through the API ----------------------------------------------
def test_one_admin_cannot_reset_a_second_and_approve_as_them() -> None:
    """Observed on main: sa1 reset sa2's password and MFA (the API handed sa1 the new
    credentials), signed in as sa2 and approved sa1's own role change to privacy_officer."""
    sa1, sa2 = _sa("sa1"), _sa("sa2")
    clerk = services.create_staff_with_mfa(None, "clerk", "front_desk", PASSWORD).staff
    c1 = Client()
    h1 = _auth(c1, sa1)
    r = _post(c1, f"/staff/{sa2.pk}/reset-password", {"reason": "forgot"}, h1)
    assert r.status_code == 202 and r.json()["state"] == "requested", r.content
    assert r.json()["temporary_password"] is None
    r = _post(c1, f"/staff/{sa2.pk}/reset-mfa", {"reason": "lost phone"}, h1)
    assert r.status_code == 202 and r.json()["enrol_by"] is None
    sa2.refresh_from_db()
    assert sa2.check_password(PASSWORD) and TOTPDevice.objects.filter(user=sa2).exists()
    resets = list(ApprovalRequest.objects.filter(kind="credential_reset").order_by("id"))
    assert len(resets) == 2
    # sa1 cannot approve the resets (requester) ...
    for req in resets:
        r = _post(c1, f"/approvals/{req.pk}/decision", {"approve": True}, h1)
        assert r.status_code == 403 and r.json()["code"] == "four_eyes"
    # ... nor can sa2 (its own account), so with two administrators the reset never runs
    c2 = Client()
    h2 = _auth(c2, sa2)
    r = _post(c2, f"/approvals/{resets[0].pk}/decision", {"approve": True}, h2)
    assert r.status_code == 403 and r.json()["conflict"] == "target"
    # the role change to privacy_officer: not by its requester, not by its target
    r = _post(
        c1,
        "/approvals",
        {
            "kind": "role_change",
            "reason": "promote",
            "payload": {"staff_id": clerk.pk, "role": "privacy_officer"},
        },
        h1,
    )
    assert r.status_code == 201
    aid = r.json()["id"]
    assert _post(c1, f"/approvals/{aid}/decision", {"approve": True}, h1).status_code == 403
    clerk.refresh_from_db()
    assert clerk.role == "front_desk"
    denials = AuditEvent.objects.filter(action="access.denied", object_type="approval")
    assert denials.count() == 4 and all(e.detail["reason"] == "four_eyes" for e in denials)


def test_the_target_of_a_role_change_cannot_approve_it() -> None:
    sa1, sa2 = _sa("sa1"), _sa("sa2")
    req = services.request_approval(
        sa1, "role_change", {"staff_id": sa2.pk, "role": "privacy_officer"}, "reorganisation"
    )
    with pytest.raises(Forbidden) as exc:
        services.decide_approval(sa2, req.pk, True)
    assert exc.value.extra["conflict"] == "target"
    sa2.refresh_from_db()
    assert sa2.role == "security_admin"


def test_an_approved_reset_taints_the_account_against_both_admins() -> None:
    """With three administrators a reset of the second runs once the third approves; the
    temporary password goes to the approver only, and the reset account decides nothing
    the requester or the approver asked for until it has set its own credentials."""
    sa1, sa2, sa3 = _sa("sa1"), _sa("sa2"), _sa("sa3")
    out = services.reset_password(sa1, sa2.pk, "forgot")
    assert out.temporary_password is None and out.approval is not None
    services.reset_mfa(sa1, sa2.pk, "lost phone")
    c3 = Client()
    h3 = _auth(c3, sa3)
    reqs = ApprovalRequest.objects.filter(kind="credential_reset").order_by("id")
    r = _post(c3, f"/approvals/{reqs[0].pk}/decision", {"approve": True}, h3)
    temp = r.json()["temporary_password"]
    assert r.status_code == 200 and temp
    r = _post(c3, f"/approvals/{reqs[1].pk}/decision", {"approve": True}, h3)
    assert r.status_code == 200 and r.json()["enrol_by"] and r.json()["temporary_password"] is None
    sa2.refresh_from_db()
    assert set(sa2.credentials_set_by) == {sa1.pk, sa3.pk}
    for requester in (sa1, sa3):
        req = services.request_approval(requester, "key_rotation", {}, "yearly")
        with pytest.raises(Forbidden) as exc:
            services.decide_approval(sa2, req.pk, True)
        assert exc.value.extra["conflict"] == "credentials_set_by_requester"
    # ... and sa2's own requests are not decided by those who hold its credentials either
    req = services.request_approval(sa2, "key_rotation", {}, "yearly")
    with pytest.raises(Forbidden) as exc:
        services.decide_approval(sa3, req.pk, True)
    assert exc.value.extra["conflict"] == "requester_credentials_set_by_decider"
    # the temporary password only serves to choose a new one, once
    services.change_password(sa2, temp, NEW_PASSWORD)
    sa2.refresh_from_db()
    assert sa2.credentials_set_by  # the password alone does not lift it
    TOTPDevice.objects.filter(user=sa2).delete()
    device_code = _enrol_code(sa2)
    assert services.confirm_own_enrolment(sa2, device_code)
    sa2.refresh_from_db()
    assert sa2.credentials_set_by == []
    req = services.request_approval(sa1, "key_rotation", {}, "yearly")
    assert services.decide_approval(sa2, req.pk, True).state == "approved"
    assert not Staff.objects.get(pk=sa2.pk).check_password(temp)


def test_a_temporary_password_expires_after_24_hours(monkeypatch: Any) -> None:
    admin = _sa("sa1")
    clerk = services.create_staff_with_mfa(None, "clerk", "finance", PASSWORD).staff
    temp = services.reset_password(admin, clerk.pk, "forgot").temporary_password
    assert temp
    later = clock.now() + timedelta(hours=24, minutes=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    r = _token(Client(), "clerk", temp, current_otp(clerk))
    assert r.status_code == 401 and r.json()["code"] == "credentials_expired"
    r = Client().post(
        "/api/v1/auth/password",
        {
            "username": "clerk",
            "old_password": temp,
            "new_password": NEW_PASSWORD,
            "otp": current_otp(clerk),
        },
        content_type="application/json",
    )
    assert r.status_code == 401


def test_promoting_an_account_whose_credentials_you_set_is_refused() -> None:
    """A reset of an ordinary account runs at once; its resetter may then not ask for it to
    be made privileged (that would give them a second voice)."""
    sa1 = _sa("sa1")
    clerk = services.create_staff_with_mfa(None, "clerk", "finance", PASSWORD).staff
    services.reset_password(sa1, clerk.pk, "forgot")
    with pytest.raises(Forbidden) as exc:
        services.request_approval(
            sa1, "role_change", {"staff_id": clerk.pk, "role": "security_admin"}, "promote"
        )
    assert exc.value.code == "four_eyes"


def _enrol_code(staff: Staff) -> str:
    from baomi.access import mfa

    mfa.start_enrolment(staff)
    device = TOTPDevice.objects.get(user=staff, confirmed=False)
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


# -- the invariant, over every small history ---------------------------------------------------
ADMINS = ("A", "B", "C", "E")  # B decides; the others request, reset, approve
TARGETS = ("A", "B", "C", "E", "D", None)  # D: a clerk; None: a request about no account
B_RESETS = (None, ("A", "C"), ("C", "E"), ("E", "A"))  # (requester, approver) of B's reset
REPAIRS = ("none", "password", "mfa", "both")  # what B then set itself


class _Rollback(Exception):
    pass


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    requester=st.sampled_from(ADMINS),
    target=st.sampled_from(TARGETS),
    b_reset=st.sampled_from(B_RESETS),
    repair=st.sampled_from(REPAIRS),
    b_reset_requester=st.booleans(),
)
def test_no_approval_is_decided_by_someone_tied_to_it(
    requester: str,
    target: str | None,
    b_reset: tuple[str, str] | None,
    repair: str,
    b_reset_requester: bool,
) -> None:
    assume(requester != target)  # nobody may even ask to change their own role
    assume(not (b_reset_requester and requester == "B"))
    try:
        with transaction.atomic():
            _one_history(requester, target, b_reset, repair, b_reset_requester)
            raise _Rollback
    except _Rollback:
        pass


def _one_history(
    requester: str,
    target: str | None,
    b_reset: tuple[str, str] | None,
    repair: str,
    b_reset_requester: bool,
) -> None:
    run = next(_n)
    team = {n: _sa(f"{n}{run}") for n in ADMINS}
    team["D"] = services.create_staff_with_mfa(None, f"D{run}", "finance", PASSWORD).staff
    b = team["B"]
    # the oracle's memory: who set whose credentials, from the history alone
    set_by: dict[str, set[str]] = {n: set() for n in team}

    def reset(of: str, asked_by: str, approved_by: str) -> str | None:
        out = services.reset_password(team[asked_by], team[of].pk, "history")
        services.reset_mfa(team[asked_by], team[of].pk, "history")
        temp = None
        for req in ApprovalRequest.objects.filter(kind="credential_reset", state="requested"):
            try:
                done = services.decide_approval(team[approved_by], req.pk, True)
            except Forbidden:  # the approver is tied to the asker: not a history to test
                assume(False)
            temp = getattr(done, "issued_password", None) or temp
        assert out.approval is not None
        set_by[of] |= {asked_by, approved_by}
        for n in team:
            team[n].refresh_from_db()
        return temp

    if b_reset_requester:  # B resets the requester's credentials, a third admin approves
        third = next(n for n in ADMINS if n not in (requester, "B"))
        reset(requester, "B", third)
    if b_reset is not None:
        asked_by, approved_by = b_reset
        temp = reset("B", asked_by, approved_by)
        assert temp
        if repair in ("password", "both"):
            services.change_password(b, temp, NEW_PASSWORD)
        if repair in ("mfa", "both"):
            assert services.confirm_own_enrolment(b, _enrol_code(b))
        if repair == "both":
            set_by["B"] = set()
    if target is None:
        req = services.request_approval(team[requester], "key_rotation", {}, "rotate")
    else:
        role = "customer_service" if target == "D" else "finance"
        req = services.request_approval(
            team[requester], "role_change", {"staff_id": team[target].pk, "role": role}, "move"
        )
    forbidden = (
        requester == "B" or target == "B" or requester in set_by["B"] or "B" in set_by[requester]
    )
    b.refresh_from_db()
    if forbidden:
        with pytest.raises(Forbidden) as exc:
            services.decide_approval(b, req.pk, True)
        assert exc.value.code == "four_eyes"
        assert ApprovalRequest.objects.get(pk=req.pk).state == "requested"
    else:
        assert services.decide_approval(b, req.pk, True).state == "approved"
