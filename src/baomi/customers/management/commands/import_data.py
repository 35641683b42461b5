"""`baomi import FILE --channel CHANNEL [--mapping MAP.yaml] [--industry …]`."""

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from baomi.audit.services import SYSTEM
from baomi.catalog.enums import Channel, Industry
from baomi.core.errors import BaomiError
from baomi.customers.importer import ColumnExtension, ImportSummary, count_rows, import_file


def _extensions() -> tuple[ColumnExtension, ...]:
    """Columns other domains take from an import row: every app's registered intake columns
    (participant contract, generalising decision 0007). The importer names no domain."""
    from baomi.contract import participants

    return participants.intake_extensions()


class Command(BaseCommand):
    help = (
        "Import customers from CSV or XLSX (column headers = catalogue field names unless "
        "--mapping says otherwise). Consent columns (consent.<purpose> = yes/no, "
        "consent_method, consent_evidence) go to the consent ledger. Industry records, at "
        "most one of each kind per row, attach to the row's customer: stays (stay.reference, "
        "stay.check_in, stay.check_out required; stay.room, stay.spend, "
        "stay.special_requests, stay.site = a hotel's site code), bookings "
        "(booking.reference, booking.start_date, booking.end_date required; booking.product, "
        "booking.destination, booking.travellers, booking.amount), shipments "
        "(shipment.waybill_no, shipment.recipient_name, shipment.recipient_address required; "
        "shipment.sender_*, shipment.recipient_phone, shipment.item_type, shipment.status); "
        "a record already stored (same reference for the customer, same waybill number) is "
        "not imported again. Rejected rows go to "
        "FILE.rejects.csv with reasons (row number, field, code — never the values). "
        "Prints a JSON summary (rows, created, merged, held, rejected, then per column kind: "
        "consents; stays / stays_present, bookings / bookings_present, shipments / "
        "shipments_present / shipments_conflict; seconds). Exit status: 0 every row "
        "imported; 3 some rows rejected (summary still printed, reasons in the rejects "
        "file); 1 nothing imported (no data rows, or every row rejected) or an error (the "
        "file or mapping refused)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file")
        parser.add_argument("--channel", required=True, choices=Channel.values)
        parser.add_argument("--mapping", help="YAML file: source column → field name")
        parser.add_argument(
            "--industry",
            choices=[*Industry.values, "all"],
            default="all",
            help="take only this industry's record columns: hotel = stay.*, travel = "
            "booking.*, courier = shipment.*; a record column of another industry refuses "
            "the file (exit 1, nothing written). Default: all",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=2000,
            help="rows per transaction (a killed import loses at most one batch, whole)",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="validation processes (default: one per spare core, for files of 20,000+ rows)",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        path = Path(opts["file"])
        total = count_rows(path) if path.exists() else None
        try:
            with Progress(
                TextColumn("import"),
                BarColumn(),
                TextColumn("{task.completed} rows"),
                TimeRemainingColumn(),
                disable=not self.stderr.isatty(),
            ) as progress:
                task = progress.add_task("import", total=total)
                summary = import_file(
                    SYSTEM,
                    None,
                    path,
                    opts["channel"],
                    mapping=opts.get("mapping"),
                    progress=lambda n: progress.advance(task, n),
                    batch_size=opts["batch_size"],
                    workers=opts["workers"],
                    extensions=_extensions(),
                    industry=None if opts["industry"] == "all" else opts["industry"],
                )
        except BaomiError as exc:
            raise CommandError(f"{exc.code}: {exc.detail}") from None
        self.stdout.write(json.dumps(summary.as_dict()))
        if summary.rejects_file:
            self.stderr.write(f"rejected rows and reasons: {summary.rejects_file}")
        if summary.held:
            self.stderr.write(
                f"{summary.held} rows disagreed with a stored customer's identity or confirmed "
                "values: held for the data steward (console /quality/duplicates/); a row held "
                "whole (identity conflict) lands none of its consent or record columns either "
                "— import those rows again once the steward has decided"
            )
        status = exit_status(summary)
        if status == EXIT_NOTHING:
            why = "every row was rejected" if summary.rows else "the file has no data rows"
            raise CommandError(f"nothing imported: {why}", returncode=EXIT_NOTHING)
        if status == EXIT_SOME_REJECTED:
            raise CommandError(
                f"{summary.rejected} of {summary.rows} rows rejected", returncode=EXIT_SOME_REJECTED
            )


EXIT_ALL_IN, EXIT_NOTHING, EXIT_SOME_REJECTED = 0, 1, 3


def exit_status(summary: ImportSummary) -> int:
    """INTERFACES.md: 0 every row in, 3 some rows rejected, 1 nothing imported / error. A
    row held for the data steward is in (it waits in the steward's queue)."""
    if summary.created + summary.merged + summary.held == 0:
        return EXIT_NOTHING
    return EXIT_SOME_REJECTED if summary.rejected else EXIT_ALL_IN
