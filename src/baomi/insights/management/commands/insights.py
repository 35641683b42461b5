"""`baomi insights run --as USERNAME` — compute every segment now (for cron).

Reads, through the gate's bulk analysis path under `marketing` and as the named
marketing staff member, the customers whose profiling consent is current; prints the run
as JSON (counts only, sizes below k suppressed)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from baomi.access.models import Staff
from baomi.core.errors import BaomiError
from baomi.insights import selectors, services


class Command(BaseCommand):
    help = "Insights: compute the customer segments (consented customers only)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        r = sub.add_parser("run", help="compute the segments now and print them as JSON")
        r.add_argument("--as", dest="username", required=True, help="a marketing staff member")

    def handle(self, *args: Any, **opts: Any) -> None:
        actor = Staff.objects.filter(username=opts["username"], is_active=True).first()
        if actor is None:
            raise CommandError(f"no active staff account {opts['username']!r}")
        try:
            run = services.run(actor)
        except BaomiError as exc:
            raise CommandError(f"{exc.code}: {exc.detail}") from None
        out = selectors.segments(selectors.period_of(run.period))
        self.stdout.write(json.dumps(out, ensure_ascii=False))
