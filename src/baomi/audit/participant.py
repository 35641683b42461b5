"""The audit app in the participant contract: its console pages for the auditor and the
security administrator."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from baomi.catalog.enums import Role
from baomi.contract.participants import NavEntry, Participant, register

register(
    Participant(
        app="audit",
        nav=(
            NavEntry(
                "audit:events", _("Audit log"), "nav-audit", frozenset({Role.SECURITY_AUDITOR}), 60
            ),
            NavEntry(
                "audit:alerts", _("Alerts"), "nav-alerts", frozenset({Role.SECURITY_ADMIN}), 70
            ),
        ),
        urls=(("audit/", "baomi.audit.urls"),),
    )
)
