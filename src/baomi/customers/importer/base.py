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
    (the consent ledger's consent columns, decision 0007). The importer depends on no
    domain app: its caller passes the extensions. An extension must be picklable (it is
    sent to the validation worker processes) and keep no state between calls."""

    name: str  # its count's key in the summary

    def claims(self, column: str) -> bool:
        """Whether a (mapped) column name is this extension's."""
        ...

    def check_header(self, columns: Sequence[str]) -> None:
        """Refuse the file (ImportRefused) for a claimed column it cannot take."""
        ...

    def parse(self, cells: Mapping[str, str]) -> tuple[Any, list[FieldIssue]]:
        """A row's non-empty claimed cells → (payload or None, issues). Pure: no database.
        Any issue rejects the whole row."""
        ...

    def write(
        self, actor: Any, purpose: Any, channel: str, items: list[tuple[uuid.UUID, Any]]
    ) -> int:
        """Store the payloads for the customers the rows landed on, inside the batch's
        transaction; returns how many records it wrote."""
        ...
