"""`baomi training assign [--as USERNAME]` — apply the standing assignment rules (on hire,
yearly, quarterly) to every active member of staff (issue #14; for a daily cron).
`baomi training retrain USERNAME --reason TEXT [--ref EVALUATION]` — assign retraining
after a failed service-quality evaluation (R-J2). Both print JSON."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from baomi.access.models import Staff
from baomi.core.errors import BaomiError
from baomi.training import services


class Command(BaseCommand):
    help = "Training: apply the assignment rules, or assign retraining."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        a = sub.add_parser("assign", help="apply the standing rules now")
        a.add_argument("--as", dest="username", default="", help="the HR account (audit)")
        r = sub.add_parser("retrain", help="assign retraining to a member of staff")
        r.add_argument("staff")
        r.add_argument("--reason", required=True)
        r.add_argument("--ref", default="")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            if opts["action"] == "assign":
                actor = None
                if opts["username"]:
                    actor = Staff.objects.filter(username=opts["username"], is_active=True).first()
                    if actor is None:
                        raise CommandError(f"no active staff account {opts['username']!r}")
                made = services.run_rules(actor)
            else:
                staff = Staff.objects.filter(username=opts["staff"]).first()
                if staff is None:
                    raise CommandError(f"no staff account {opts['staff']!r}")
                made = services.assign_retraining(staff, opts["reason"], ref=opts["ref"])
        except BaomiError as exc:
            raise CommandError(f"{exc.code}: {exc.detail}") from None
        self.stdout.write(
            json.dumps(
                {
                    "assigned": len(made),
                    "assignments": [
                        {
                            "staff": a.staff.username,
                            "course": a.course.code,
                            "due_on": str(a.due_on),
                        }
                        for a in made
                    ],
                }
            )
        )
