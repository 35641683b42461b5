"""`baomi <command>`: one console script over Django management commands."""

from __future__ import annotations

import os
import sys

ALIASES = {"serve": "serve", "import": "import_data"}


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "baomi.settings.dev")
    args = list(sys.argv if argv is None else argv)
    if len(args) > 1 and args[1] in ALIASES:
        args[1] = ALIASES[args[1]]
    from django.core.management import execute_from_command_line

    from baomi.audit.refusals import boundary

    # refusals of a command whose transaction rolled back still reach the audit log
    with boundary():
        execute_from_command_line(["baomi", *args[1:]])


if __name__ == "__main__":
    main()
