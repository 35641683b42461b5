"""`baomi createstaff --username U --role ROLE [--password-stdin]` → JSON."""

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from baomi.access.enums import PRIVILEGED_ROLES, Role
from baomi.access.management import emergency
from baomi.access.services import create_staff_with_mfa
from baomi.core.errors import BaomiError, ValidationFailed


class Command(BaseCommand):
    help = "Create a staff account with one role; prints JSON (password shown once if generated)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--username", required=True)
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument(
            "--password-stdin", action="store_true", help="read the password from standard input"
        )
        emergency.add_arguments(parser)  # needed for a privileged role (issue #9 §2)

    def handle(self, *args: Any, **opts: Any) -> None:
        privileged = opts["role"] in PRIVILEGED_ROLES
        if privileged:
            category, reason = emergency.require(opts, "createstaff")
        password = sys.stdin.readline().rstrip("\n") if opts["password_stdin"] else None
        try:
            new = create_staff_with_mfa(None, opts["username"], opts["role"], password)
        except ValidationFailed as exc:
            raise CommandError("; ".join(f"{i.field}: {i.en}" for i in exc.issues)) from None
        except BaomiError as exc:
            raise CommandError(exc.detail) from None
        if privileged:
            detail = {"staff_id": new.staff.pk, "role": opts["role"]}
            emergency.record("createstaff", detail, category, reason)
        out: dict[str, Any] = {
            "username": new.staff.username,
            "role": new.staff.role,
            "totp_secret": new.totp_secret,
        }
        if not opts["password_stdin"]:
            out["password"] = new.password
        self.stdout.write(json.dumps(out))
