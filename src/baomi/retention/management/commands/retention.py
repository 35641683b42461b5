"""`baomi retention run [--dry-run]|certificate N|holds`.

* ``run``          every registered retention rule: destroy what expired (legal holds
                   respected), record the run and its certificate; prints the JSON summary
                   `{expired, destroyed, held, certificate}`. Exit 0, or 1 when a rule
                   failed (its own changes rolled back; the others stand). For cron.
* ``certificate``  a run's certificate (JSON, with its SHA-256).
* ``holds``        the legal holds placed by hand that stand (JSON lines).
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from baomi.audit.services import SYSTEM
from baomi.core.errors import BaomiError
from baomi.retention import services
from baomi.retention.models import LegalHold, RetentionRun


class Command(BaseCommand):
    help = "Retention: destroy what expired (with a certificate), certificates, holds."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        r = sub.add_parser("run", help="run every retention rule (or --dry-run to count)")
        r.add_argument("--dry-run", action="store_true", help="count only, destroy nothing")
        c = sub.add_parser("certificate", help="a run's certificate as JSON")
        c.add_argument("run_id", type=int)
        sub.add_parser("holds", help="legal holds placed by hand that stand")

    def handle(self, *args: Any, **opts: Any) -> None:
        action = opts["action"]
        try:
            if action == "run":
                rec = services.run(SYSTEM, dry_run=opts["dry_run"])
                out = services.as_json(rec)
                self.stdout.write(json.dumps(out, ensure_ascii=False))
                if out["failed"]:
                    raise CommandError(
                        "rules failed (rolled back): " + ", ".join(out["failed"]), returncode=1
                    )
            elif action == "certificate":
                found = RetentionRun.objects.filter(pk=opts["run_id"]).first()
                if found is None:
                    raise CommandError(f"no run {opts['run_id']}")
                cert = {**found.certificate, "sha256": found.digest}
                self.stdout.write(json.dumps(cert, ensure_ascii=False, indent=2))
            else:
                for h in LegalHold.objects.filter(lifted_at__isnull=True):
                    row = {
                        "id": h.pk,
                        "customer_id": str(h.customer_id),
                        "kind": h.kind,
                        "reference": h.reference,
                        "placed_at": h.placed_at.isoformat(),
                    }
                    self.stdout.write(json.dumps(row, ensure_ascii=False))
        except BaomiError as exc:
            raise CommandError(f"{exc.code}: {exc.detail}") from None
