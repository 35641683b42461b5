"""`baomi backup [--output FILE]`: a consistent snapshot of the database (ciphertext only).

SQLite: online backup API; PostgreSQL: pg_dump (custom format). Writes FILE and
FILE.json (sha256, size, engine) and prints that JSON. The keys are not in the backup:
back up BAOMI_KEY_DIR (and the erasure journal in it) separately — see docs/rights.md.
"""

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from baomi.core.errors import BaomiError
from baomi.rights.backup import backup


class Command(BaseCommand):
    help = "Back up the database (ciphertext only; keys are backed up separately)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--output", "-o", help="backup file (default var/backups/…)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = backup(Path(options["output"]) if options.get("output") else None)
        except BaomiError as exc:
            raise CommandError(exc.detail) from None
        self.stdout.write(json.dumps(result.as_dict()))
