"""CSV files a spreadsheet can open safely (CWE-1236, ASVS 5.0 V1.2.10).

Every CSV baomi writes for people to open — console exports, the import rejects file,
audit exports — goes through `writer()`, which neutralises EVERY cell (header included),
not only the first column: a cell whose first visible character is a formula trigger
(`= + - @`, tab, CR, LF, NUL, or their full-width forms) gets a leading `'`. Leading
spaces and invisible characters do not hide a trigger (LibreOffice trims spaces; a
zero-width space renders as nothing). Quoting follows RFC 4180 (csv module, QUOTE_MINIMAL).

Plain `csv.writer` is for machine-to-machine files only (benchmark inputs): a test scans
the source for it (docs/dangerous-constructs.md).
"""

from __future__ import annotations

import csv
import unicodedata
from collections.abc import Iterable
from typing import Any, Protocol

_TRIGGERS = frozenset("=+-@\t\r\n\x00")


class _Writable(Protocol):
    def write(self, s: str, /) -> Any: ...


def cell(value: object) -> str:
    """The text of one cell, with a `'` in front when a spreadsheet could run it."""
    text = "" if value is None else str(value)
    for ch in text:
        if ch in _TRIGGERS:
            return "'" + text
        if ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Zs"):
            continue  # invisible: look at the next character
        if unicodedata.normalize("NFKC", ch) in _TRIGGERS:  # full-width ＝ ＋ － ＠
            return "'" + text
        return text
    return text


class SafeWriter:
    """`csv.writer` whose rows are neutralised cell by cell."""

    def __init__(self, fh: _Writable, **kwargs: Any) -> None:
        self._w = csv.writer(fh, **kwargs)

    def writerow(self, row: Iterable[object]) -> Any:
        return self._w.writerow([cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(fh: _Writable, **kwargs: Any) -> SafeWriter:
    return SafeWriter(fh, **kwargs)
