"""`baomi quality metrics --as USERNAME` — compute the data-quality metrics (for cron).

Refreshes the facts of the customers changed since the last run (decrypted in the gate's
bulk path under `data_quality`, as the named data steward), counts every metric per field
and channel, and prints the run as JSON (counts and shares only)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from baomi.access.models import Staff
from baomi.core.errors import BaomiError
from baomi.quality.api import run_json
from baomi.quality.services import metrics


class Command(BaseCommand):
    help = "Data quality: compute the metrics (completeness, validity, accuracy, ...)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        m = sub.add_parser("metrics", help="compute the metrics now and print them as JSON")
        m.add_argument("--as", dest="username", required=True, help="the data steward")

    def handle(self, *args: Any, **opts: Any) -> None:
        actor = Staff.objects.filter(username=opts["username"], is_active=True).first()
        if actor is None:
            raise CommandError(f"no active staff account {opts['username']!r}")
        try:
            run = metrics.compute(actor)
        except BaomiError as exc:
            raise CommandError(f"{exc.code}: {exc.detail}") from None
        self.stdout.write(json.dumps(run_json(run), ensure_ascii=False))
