"""Audit actions are declared, not migrated (issue #10 §5): a domain registers its own
action enum; the log accepts it without an audit migration and refuses undeclared codes."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.db import models

from baomi import audit
from baomi.audit.models import AuditEvent
from baomi.contract import participants
from baomi.contract.participants import RegistryError

pytestmark = pytest.mark.django_db


class _NewDomainAction(models.TextChoices):
    DRILL_HELD = "drilltest.drill_held", "演练 / drill held"


def test_action_column_has_no_choices() -> None:
    assert not AuditEvent._meta.get_field("action").choices


def test_registering_an_action_needs_no_migration(monkeypatch: Any) -> None:
    monkeypatch.setattr(participants, "_actions", dict(participants._actions))
    participants.register_actions(_NewDomainAction)
    out = io.StringIO()
    # exits non-zero (SystemExit) if the new action asked for a migration of any app
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()
    ev = audit.record(_NewDomainAction.DRILL_HELD, None, object_type="drill", object_id=1)
    assert AuditEvent.objects.get(seq=ev.seq).action == "drilltest.drill_held"


def test_undeclared_action_is_refused() -> None:
    before = AuditEvent.objects.count()
    with pytest.raises(ValueError, match="undeclared audit action"):
        audit.record("made.up_action", None)
    with pytest.raises(RegistryError):
        participants.register_actions(["no_dot"])
    assert AuditEvent.objects.count() == before
