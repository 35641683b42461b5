"""`baomi restore FILE --yes`: replace the database with a backup, then replay the erasure
journal so no customer erased after the backup comes back (R-C5).

The journal is read first from the database being replaced (tombstones, vault shred
journal) and from the journal file beside the keys; it is replayed after the restore:
data keys destroyed again, blind-index rows deleted, personal columns cleared, tombstones
recreated. Prints a JSON summary.
"""

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from baomi.core.errors import BaomiError
from baomi.rights.backup import restore


class Command(BaseCommand):
    help = "Restore a backup and replay the erasure journal (erased customers stay erased)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="a file written by `baomi backup`")
        parser.add_argument(
            "--yes", action="store_true", help="confirm: the current database is replaced"
        )
        parser.add_argument(
            "--no-verify", action="store_true", help="skip the sha256 check against FILE.json"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["yes"]:
            raise CommandError("this replaces the current database; add --yes to confirm")
        try:
            summary = restore(Path(options["file"]), check_manifest=not options["no_verify"])
        except BaomiError as exc:
            raise CommandError(exc.detail) from None
        self.stdout.write(json.dumps(summary))
