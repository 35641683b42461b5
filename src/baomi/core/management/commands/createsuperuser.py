"""Refused: Django's `createsuperuser` makes an all-powerful account outside the role model,
with no audit event, no four-eyes approval and no MFA (R-D4, DESIGN.md §3 rule 3)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Refused in baomi: use `baomi createstaff --username U --role ROLE` (audited)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("args", nargs="*")  # whatever was passed: refused the same way
        # Django's own options, so a script that passes them gets the refusal, not a usage error
        parser.add_argument("--noinput", "--no-input", action="store_true")
        parser.add_argument("--username")
        parser.add_argument("--email")
        parser.add_argument("--database")

    def handle(self, *args: Any, **options: Any) -> None:
        raise CommandError(
            "createsuperuser is disabled: baomi has no superuser. Create staff with "
            "`baomi createstaff --username U --role ROLE` (audited; MFA enrolment; the "
            "system_admin, security_admin and security_auditor roles are separate, R-D4)."
        )
