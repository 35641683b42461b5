"""Django commands that would change staff accounts around the services — no audit event,
no MFA enrolment, no four-eyes approval (R-D4, R-D5, DESIGN.md §3 rule 3) — replaced by
refusals. `baomi.core` comes first in INSTALLED_APPS so its commands of the same names
win. Each attempt is itself recorded (access.denied) for the security auditor."""

from __future__ import annotations

import contextlib
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from baomi import audit
from baomi.audit.models import Action, Outcome
from baomi.audit.services import SYSTEM


class RefusedCommand(BaseCommand):
    name = ""  # the refused command
    because = ""  # why, and what to use instead
    django_options: tuple[str, ...] = ()  # accepted so scripts get the refusal, not usage

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("args", nargs="*")
        for option in self.django_options:
            if option in ("--noinput", "--no-input"):
                parser.add_argument(option, action="store_true")
            else:
                parser.add_argument(option)

    def handle(self, *args: Any, **options: Any) -> None:
        with contextlib.suppress(Exception):  # no database yet: the refusal still stands
            audit.record(
                Action.ACCESS_DENIED,
                SYSTEM,
                object_type="cli",
                object_id=self.name,
                outcome=Outcome.DENIED,
                detail={"reason": "command_refused", "command": self.name},
            )
        raise CommandError(f"{self.name} is disabled: {self.because}")
