"""`baomi restore FILE --yes`: replace the database with a backup, then replay the erasure
journal so no customer erased after the backup comes back (R-C5).

The journal is read first from the database being replaced (tombstones, vault shred
journal) and from the journal file beside the keys; it is replayed after the restore:
data keys destroyed again, blind-index rows deleted, personal columns cleared, tombstones
recreated. Prints a JSON summary.

The manifest FILE.json written by `baomi backup` is required and must match (sha256,
engine); a file that is not a database of this engine is refused with a one-line error,
before anything is replaced. The restore is logged as `system.restored` and checkpointed;
`baomi audit verify` reports the rollback against the witness until it is acknowledged
(`baomi audit acknowledge-restore`).
"""

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from baomi.access.management import emergency
from baomi.core.errors import BaomiError
from baomi.rights.backup import restore


class Command(BaseCommand):
    help = "Restore a backup and replay the erasure journal (erased customers stay erased)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="a file written by `baomi backup`")
        parser.add_argument(
            "--yes", action="store_true", help="confirm: the current database is replaced"
        )
        emergency.add_arguments(parser)  # a break-glass operation (issue #9 §2)

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["yes"]:
            raise CommandError("this replaces the current database; add --yes to confirm")
        category, reason = emergency.require(options, "restore")
        try:
            summary = restore(Path(options["file"]))
        except BaomiError as exc:
            raise CommandError(exc.detail) from None
        # recorded in the restored database (the one that stays), for the auditor's review
        emergency.record("restore", {"file": Path(options["file"]).name[:100]}, category, reason)
        self.stdout.write(json.dumps(summary))
        behind = summary.get("events_behind_witness")
        if behind:
            self.stderr.write(
                f"note: the restored audit log is {behind} event(s) behind the witnessed one; "
                "`baomi audit verify` reports this rollback until it is acknowledged "
                "(`baomi audit acknowledge-restore --by NAME --reason TEXT --yes`)."
            )
