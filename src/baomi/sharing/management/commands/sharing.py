"""`baomi sharing sweep|transparency|notify`.

* ``sweep``          record lapsed agreements, expire overdue packages and void those of
                     partners out of standing (idempotent; run daily). JSON summary.
* ``transparency``   the yearly lawful-request report (counts by authority type and
                     outcome, no personal data), JSON (``--year``, default this year).
* ``notify``         partners still to be told of a withdrawal or an erasure, JSON lines.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from baomi.audit.services import SYSTEM

from ... import selectors
from ...services import partners


class Command(BaseCommand):
    help = "Third parties: sweep lapsed agreements and packages, transparency report, notices."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("sweep", help="record lapsed agreements; expire and void packages")
        t = sub.add_parser("transparency", help="yearly lawful-request counts (JSON)")
        t.add_argument("--year", type=int, default=None)
        sub.add_parser("notify", help="partners still to be told (JSON lines)")

    def handle(self, *args: Any, **opts: Any) -> None:
        action = opts["action"]
        if action == "sweep":
            self.stdout.write(json.dumps(partners.sweep(SYSTEM)))
        elif action == "transparency":
            year = opts["year"] or selectors.today().year
            self.stdout.write(json.dumps(selectors.transparency(year), ensure_ascii=False))
        else:
            for t in selectors.to_notify():
                line = {
                    "partner_id": t.partner.pk,
                    "customer_id": str(t.customer_id),
                    "cause": t.cause.value,
                    "since": t.since.isoformat(),
                }
                self.stdout.write(json.dumps(line))
