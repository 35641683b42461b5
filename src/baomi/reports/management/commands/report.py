"""`baomi report --period 2026Q4|2026H2|2026 --kind management|quarterly|inspection|privacy
--format pdf|xlsx|html --out FILE [--lang zh|en]` (issue #19 §3): generate a report from
the system's own records; prints `{file, sha256, tree_size, root_hash}`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from baomi.audit.services import SYSTEM
from baomi.core.errors import BaomiError
from baomi.reports import render


class Command(BaseCommand):
    help = "Generate a report (management, quarterly, inspection, privacy) as PDF/XLSX/HTML."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--period", required=True, help="2026Q4, 2026H2 or 2026")
        parser.add_argument(
            "--kind", required=True, choices=["management", "quarterly", "inspection", "privacy"]
        )
        parser.add_argument("--format", default="pdf", choices=["pdf", "xlsx", "html"])
        parser.add_argument("--lang", default="zh", choices=["zh", "en"])
        parser.add_argument("--out", required=True, help="the file to write")

    def handle(self, *args: Any, **opts: Any) -> None:
        out = Path(opts["out"])
        if out.exists() and out.is_dir():
            raise CommandError(f"{out} is a directory")
        if not out.parent.exists():
            raise CommandError(f"no such directory: {out.parent}")
        try:
            body, _, run = render.generate(
                SYSTEM, opts["kind"], opts["period"], opts["format"], opts["lang"]
            )
        except BaomiError as exc:
            raise CommandError(f"{exc.code}: {exc.detail}") from None
        tmp = out.with_name(out.name + ".part")
        tmp.write_bytes(body)
        tmp.replace(out)  # never a half-written report under the asked name
        self.stdout.write(
            json.dumps(
                {
                    "file": str(out),
                    "sha256": run.sha256,
                    "tree_size": run.tree_size,
                    "root_hash": run.root_hash,
                }
            )
        )
