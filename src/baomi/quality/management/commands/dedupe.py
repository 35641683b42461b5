"""`baomi dedupe --as USERNAME` — refresh the duplicate queue (issue #16 §4; for cron).

Runs the scan as a named data steward (the reads are theirs, under `data_quality`, in the
audit log): blocking keys of changed customers, candidate pairs from keyed hashes, scores,
new pairs queued; pairs once dismissed or merged stay decided. Prints a JSON summary
`{customers, candidates, queued, updated, remembered, trained}`."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from baomi.access.models import Staff
from baomi.core.errors import BaomiError
from baomi.quality.services import duplicates


class Command(BaseCommand):
    help = "Refresh the duplicate queue (probabilistic matching over the stored customers)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--as", dest="username", required=True, help="the data steward running the scan"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        actor = Staff.objects.filter(username=opts["username"], is_active=True).first()
        if actor is None:
            raise CommandError(f"no active staff account {opts['username']!r}")
        try:
            result = duplicates.scan(actor)
        except BaomiError as exc:
            raise CommandError(f"{exc.code}: {exc.detail}") from None
        self.stdout.write(json.dumps(result.as_dict()))
