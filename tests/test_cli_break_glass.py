"""The CLI is no way around four-eyes (issue #9 §2, R-D4; ASVS 5.0 V8.2.1, V16 security
events): `baomi keys rotate|retire`, `baomi restore` and `baomi createstaff` for a privileged
role are break-glass operations — refused without a reason category and a reason, and each
run is recorded, alerted to the security auditor and queued for review
(docs/decisions/0017-cli-break-glass.md). On main they ran silently."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from baomi.access.models import BreakGlassOperation, Staff
from baomi.audit.models import Alert, AuditEvent, InboxMessage
from conftest import console_sign_in

pytestmark = pytest.mark.django_db
WHY = ("--reason-category", "key_compromise", "--reason", "key file copied to a laptop, INC-7")


def test_key_rotation_on_the_host_needs_a_reason_and_is_recorded_and_alerted() -> None:
    from baomi.vault.keys import get_keyring

    with pytest.raises(CommandError, match="break-glass"):
        call_command("keys", "rotate", stdout=io.StringIO())
    with pytest.raises(CommandError, match="break-glass"):
        call_command("keys", "rotate", "--reason-category", "key_compromise", "--reason", "x")
    assert get_keyring().primary_version() == 1 and not BreakGlassOperation.objects.exists()
    out = io.StringIO()
    call_command("keys", "rotate", *WHY, stdout=out)
    assert json.loads(out.getvalue()) == {"primary": 2}
    [op] = BreakGlassOperation.objects.all()
    assert op.command == "keys rotate" and op.reason_category == "key_compromise"
    assert op.detail == {"version": 2} and op.reviewed_at is None
    ev = AuditEvent.objects.get(action="system.break_glass_operation")
    assert ev.detail["command"] == "keys rotate" and ev.detail["category"] == "key_compromise"
    alert = Alert.objects.get(rule="watched_action", first_seq=ev.seq)
    assert alert.severity == "high"
    assert InboxMessage.objects.filter(alert=alert, recipient_role="security_auditor").exists()


def test_createstaff_of_a_privileged_role_is_a_break_glass_operation() -> None:
    with pytest.raises(CommandError, match="break-glass"):
        call_command("createstaff", "--username", "sa_boot", "--role", "security_admin")
    assert not Staff.objects.filter(username="sa_boot").exists()
    out = io.StringIO()
    call_command(
        "createstaff",
        "--username",
        "sa_boot",
        "--role",
        "security_admin",
        "--reason-category",
        "bootstrap",
        "--reason",
        "first security administrator",
        stdout=out,
    )
    new = Staff.objects.get(username="sa_boot")
    [op] = BreakGlassOperation.objects.all()
    assert op.command == "createstaff" and op.detail == {
        "staff_id": new.pk,
        "role": "security_admin",
    }
    call_command("createstaff", "--username", "clerk", "--role", "front_desk", stdout=io.StringIO())
    assert BreakGlassOperation.objects.count() == 1  # an ordinary role is not one


def test_restore_without_a_reason_is_refused_before_anything_happens(tmp_path: Any) -> None:
    with pytest.raises(CommandError, match="break-glass"):
        call_command("restore", str(tmp_path / "missing.baomi"), "--yes")
    assert not BreakGlassOperation.objects.exists()


def test_the_auditor_reviews_host_operations_in_the_console(make_staff: Any) -> None:
    from baomi.access.services import create_staff_with_mfa
    from conftest import PASSWORD

    call_command("keys", "rotate", *WHY, stdout=io.StringIO())
    op = BreakGlassOperation.objects.get()
    auditor = create_staff_with_mfa(None, "aud", "security_auditor", PASSWORD).staff
    c = Client()
    console_sign_in(c, auditor)
    page = c.get("/reviews/break-glass/").content.decode()
    assert f'data-testid="operation-{op.pk}"' in page and "密钥疑似泄露" in page
    assert "key file copied" in page and "key_compromise" not in page
    r = c.post(
        f"/reviews/break-glass/operations/{op.pk}/", {"note": "INC-7 confirmed, key replaced"}
    )
    assert r.status_code == 302
    op.refresh_from_db()
    assert op.reviewed_by_id == auditor.pk
    assert AuditEvent.objects.filter(action="system.break_glass_op_reviewed").count() == 1
    assert 'data-testid="operations-empty"' in c.get("/reviews/break-glass/").content.decode()
