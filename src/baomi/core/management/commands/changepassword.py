"""Refused: Django's `changepassword` would set a staff password with no audit event and
around the password policy's history and expiry rules (R-D5, DESIGN.md §3 rule 3)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Refused in baomi: staff change their password in the console; resets are audited."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("args", nargs="*")
        # Django's own options, so a script that passes them gets the refusal, not a usage error
        parser.add_argument("--database")

    def handle(self, *args: Any, **options: Any) -> None:
        raise CommandError(
            "changepassword is disabled: staff change their own password in the console "
            "(/password/) or through POST /api/v1/auth/password; a security_admin resets a "
            "forgotten one (temporary password, audited) on the staff page or through the API."
        )
