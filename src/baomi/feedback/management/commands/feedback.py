"""`baomi feedback escalate`: flag open tickets near or past a due time (each once,
audited) and print how many, as JSON. For cron; the console queue runs the same."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from baomi.feedback.services import tickets


class Command(BaseCommand):
    help = "Feedback: escalate tickets near or past their due times."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("escalate", help="flag open tickets near or past due (audited)")

    def handle(self, *args: Any, **opts: Any) -> None:
        flagged = tickets.escalate_due()
        self.stdout.write(json.dumps({"escalated": [t.pk for t in flagged]}))
