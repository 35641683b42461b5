"""Django's own account commands are refused: they would create or change staff accounts
with no audit event, no MFA and no four-eyes approval (R-D4, R-D5, DESIGN.md §3 rule 3)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command, get_commands

from baomi.audit.models import Action, AuditEvent

pytestmark = pytest.mark.django_db


def test_baomi_commands_take_precedence_over_django_auth() -> None:
    assert get_commands()["createsuperuser"] == "baomi.core"
    assert get_commands()["changepassword"] == "baomi.core"


def test_createsuperuser_is_refused_and_creates_nothing() -> None:
    before = get_user_model().objects.count()
    with pytest.raises(CommandError, match="baomi createstaff"):
        call_command("createsuperuser", "--noinput", "--username", "root", "--email", "r@x.cn")
    assert get_user_model().objects.count() == before
    # the attempt is evidence for the security auditor
    ev = AuditEvent.objects.get(action=Action.ACCESS_DENIED, object_id="createsuperuser")
    assert ev.object_type == "cli" and ev.outcome == "denied"


def test_changepassword_is_refused_and_changes_nothing(make_staff: Any) -> None:
    staff = make_staff("system_admin")
    hashed = staff.password
    with pytest.raises(CommandError, match="security_admin resets"):
        call_command("changepassword", staff.username)
    staff.refresh_from_db()
    assert staff.password == hashed
