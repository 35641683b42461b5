"""What every stage of the import shares: its refusal and the column-extension contract."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from baomi.core.errors import BaomiError, FieldIssue


class ImportRefused(BaomiError):
    code = "import_refused"
    title = "Import refused"


class ColumnExtension(Protocol):
    """Columns outside the customer profile that another domain takes from each import row
    (the consent ledger's consent columns, decision 0007; the industry records, decision
    0039). The importer depends on no domain app: its caller passes the extensions. An
    extension must be picklable (it is sent to the validation worker processes) and keep no
    state between calls.

    Optional, looked up with `getattr` (an extension without them works as before):

    - `reads(column) -> bool`: columns another extension (or the profile) owns whose cells
      this one needs to see too, read-only (operations' `stay.site` reads the stay's
      reference and dates; its waybill register reads `shipment.waybill_no`); routed to
      `parse` with the claimed cells; an extension that owns or reads a column of the file
      parses its rows (one that claims nothing may still write what it read);
    - `counts: tuple[str, ...]`: the summary keys `write` answers, reported as 0 when a
      file with this extension's columns writes nothing (default: `(name,)`)."""

    name: str  # its count's key in the summary

    def claims(self, column: str) -> bool:
        """Whether a (mapped) column name is this extension's."""
        ...

    def check_header(self, columns: Sequence[str]) -> ColumnExtension | None:
        """Refuse the file (ImportRefused) for a claimed column it cannot take. Runs once,
        in the importing process, before any row is read: it may read the database (codes a
        row must name) and answer the extension to use for this file — e.g. a copy holding
        that reference data for `parse` — or None to be used as it is."""
        ...

    def parse(self, cells: Mapping[str, str]) -> tuple[Any, list[FieldIssue]]:
        """A row's non-empty claimed (and read) cells → (payload or None, issues). Pure: no
        database. Any issue rejects the whole row."""
        ...

    def write(
        self, actor: Any, purpose: Any, channel: str, items: list[tuple[uuid.UUID, Any]]
    ) -> int | Mapping[str, int]:
        """Store the payloads for the customers the rows landed on, inside the batch's
        transaction (extensions write in registration order); returns how many records it
        wrote, or named counts (`{"stays": 3, "stays_present": 1}`) added to the summary."""
        ...
