"""Bulk import of CSV / XLSX into the one profile per customer (R-A1, R-A3, R-B4, R-K1, R-C4).

Streams rows (flat memory), validates each through the catalogue, merges exact duplicates
(same ID number, or same phone and name) into the existing profile with lineage, and writes
each batch in one transaction: wrapped data keys, sealed columns, blind-index rows and the
batch's audit events. A killed import loses at most the batch in flight, whole; a re-run
merges what already landed.

The package follows the import's seams:

- `reading`    — the file (CSV / XLSX, limits), rows as a stream, cells, mapping, header;
- `validation` — each row through the catalogue and the column extensions (pure; may run
                 in worker processes);
- `matching`   — duplicates against stored customers and earlier rows; the merge policy
                 (`matching.merge_into`);
- `writing`    — the batch's customer rows; keys, sealing and blind indexes through the
                 vault's bulk API (the importer writes no vault table);
- `reporting`  — the summary, the rejects file (never a value), the audit events;
- `pipeline`   — `Importer` / `import_file`: the stages wired together, one transaction
                 per batch.

Speed: docs/performance.md.
"""

from __future__ import annotations

from baomi.core.errors import FieldIssue

from .base import ColumnExtension, ImportRefused
from .pipeline import Importer, import_file
from .reading import (
    check_size,
    check_xlsx,
    count_rows,
    is_cvv_header,
    load_mapping,
    read_rows,
)
from .reporting import ImportSummary

__all__ = [
    "ColumnExtension",
    "FieldIssue",
    "ImportRefused",
    "ImportSummary",
    "Importer",
    "check_size",
    "check_xlsx",
    "count_rows",
    "import_file",
    "is_cvv_header",
    "load_mapping",
    "read_rows",
]
