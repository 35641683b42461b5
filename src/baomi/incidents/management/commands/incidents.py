"""`baomi incidents overdue|rules|rule-add|storage-check`.

* ``overdue``        cases whose 24 h / 72 h clock or a regulator report is overdue or near
                     due (for cron): JSON lines; exit 0 when none is overdue, 2 when some
                     are (so cron mails it), 1 on error. ``--near`` also fails on near-due.
* ``rules``          the reporting rules (regime × recipient × grade × hours) as JSON.
* ``rule-add``       a new reporting rule (configuration, audited).
* ``storage-check``  run baomi's own storage-security checks and record them (R-C6).
"""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from baomi.audit.services import SYSTEM
from baomi.core.errors import BaomiError
from baomi.incidents import programme, rules, selectors
from baomi.incidents.models import ReportingRule


class Command(BaseCommand):
    help = "Incidents: overdue clocks (cron), reporting rules, storage-security checks."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        o = sub.add_parser("overdue", help="overdue and near-due cases (exit 2 when overdue)")
        o.add_argument("--near", action="store_true", help="exit 2 on near-due cases too")
        sub.add_parser("rules", help="the reporting rules as JSON")
        a = sub.add_parser("rule-add", help="add a reporting rule (configuration)")
        for name in (
            "code",
            "regime",
            "name-zh",
            "name-en",
            "recipient-zh",
            "recipient-en",
            "min-severity",
            "effective-from",
        ):
            a.add_argument(f"--{name}", required=True)
        a.add_argument("--minutes", type=int, required=True)
        a.add_argument("--operator-class", default="any", choices=["any", "ordinary", "cii"])
        a.add_argument("--basis", default="")
        s = sub.add_parser("storage-check", help="run the automatic storage checks")
        s.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            getattr(self, "_" + opts["action"].replace("-", "_"))(opts)
        except BaomiError as exc:
            raise CommandError(f"{exc.code}: {exc.detail}") from None

    def _overdue(self, opts: dict[str, Any]) -> None:

        rows = [r for r in selectors.cases() if r.overdue or r.near_due]
        for r in rows:
            late = [c.code for c in r.clocks if c.overdue]
            near = [c.code for c in r.clocks if c.near_due]
            self.stdout.write(
                json.dumps(
                    {
                        "id": r.incident.pk,
                        "reference": r.incident.reference,
                        "severity": r.incident.severity,
                        "state": r.incident.state,
                        "overdue": late,
                        "near_due": near,
                        "next_due": r.next_due.isoformat() if r.next_due else None,
                    },
                    ensure_ascii=False,
                )
            )
        n_overdue = sum(r.overdue for r in rows)
        n_near = len(rows) - n_overdue
        self.stderr.write(f"{n_overdue} overdue, {n_near} near due")
        if n_overdue or (opts["near"] and n_near):
            sys.exit(2)

    def _rules(self, opts: dict[str, Any]) -> None:

        for r in ReportingRule.objects.all():
            self.stdout.write(
                json.dumps(
                    {
                        "code": r.code,
                        "regime": r.regime,
                        "recipient": r.recipient_en,
                        "min_severity": r.min_severity,
                        "operator_class": r.operator_class,
                        "minutes": r.minutes,
                        "effective_from": r.effective_from.isoformat(),
                        "active": r.active,
                    },
                    ensure_ascii=False,
                )
            )

    def _rule_add(self, opts: dict[str, Any]) -> None:

        fields = {k.replace("-", "_"): v for k, v in opts.items()}
        rule = rules.add_rule(SYSTEM, **fields)
        self.stdout.write(json.dumps({"code": rule.code, "id": rule.pk}))

    def _storage_check(self, opts: dict[str, Any]) -> None:

        a = programme.storage_assessment(_Operator(), {})
        rows = list(a.checks.all())
        checks = [{"code": c.code, "passed": c.passed, "detail": c.detail} for c in rows]
        out = {
            "assessment": a.pk,
            "checks": checks,
            "passed": sum(c.passed for c in rows),
            "total": len(checks),
        }
        self.stdout.write(
            json.dumps(out, ensure_ascii=False, indent=None if not opts["json"] else 2)
        )


class _Operator:
    """The CLI runs as the system, with the security administrator's duty for this one call."""

    pk = None
    username = "system"
    role_code = "security_admin"
