"""`baomi link A.csv [B.csv] --id-column COL --out links.csv [--threshold P]` (issue #16 §2).

Record linkage over any CSV: dedupe one file, or link two. Column kinds (name, text, code,
number, date, e-mail) are guessed from the headers and values, or given with
`--field COL:KIND`. Writes `left_id,right_id,match_probability` for the pairs at or above
the threshold, best first, and prints a JSON summary. The files stay where they are: only
ids and probabilities are written, and one audit event records the run (no values)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from baomi.quality.services import linking


class Command(BaseCommand):
    help = "Record linkage over CSV files: dedupe one file or link two (Fellegi–Sunter, EM)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("left", type=Path, help="CSV file (deduplicated when alone)")
        parser.add_argument("right", type=Path, nargs="?", help="second CSV file to link to")
        parser.add_argument("--id-column", required=True, help="column holding the record id")
        parser.add_argument("--out", type=Path, required=True, help="links CSV to write")
        parser.add_argument(
            "--threshold", type=float, default=0.5, help="least match probability (0–1)"
        )
        parser.add_argument(
            "--field",
            action="append",
            default=[],
            metavar="COL:KIND",
            help="a column's kind: name, text, code, number, date, email, identifier "
            "(else guessed)",
        )
        parser.add_argument(
            "--ignore", action="append", default=[], metavar="COL", help="a column to leave out"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        if not 0.0 < opts["threshold"] <= 1.0:
            raise CommandError("--threshold must be above 0 and at most 1")
        started = time.perf_counter()
        try:
            summary = linking.link_files(
                opts["left"],
                opts["right"],
                id_column=opts["id_column"],
                out=opts["out"],
                threshold=opts["threshold"],
                kinds=linking.parse_kinds(opts["field"]),
                ignore=set(opts["ignore"]),
            )
        except linking.LinkInputError as exc:
            raise CommandError(str(exc)) from None
        summary["seconds"] = round(time.perf_counter() - started, 3)
        self.stdout.write(json.dumps(summary, ensure_ascii=False))
