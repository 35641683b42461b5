"""Validation (stage 2): each row's cells through the catalogue (`clean_customer`) and the
column extensions' parsers. Pure — no database, no disk — so chunks of rows can be
validated in worker processes while the main process writes the previous ones."""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from baomi.catalog import validators
from baomi.core.errors import FieldIssue, ValidationFailed

from ..validation import clean_customer
from .base import ColumnExtension
from .reading import MAX_CELL_CHARS, cell_text


@dataclass(frozen=True)
class Spec:
    """What the validation stage needs to know of the header (sent to the workers)."""

    columns: list[tuple[int, str]]  # (position, catalogue field)
    width: int  # header width
    ext_columns: list[tuple[int, str, int]] = field(default_factory=list)  # (pos, col, ext)
    extensions: tuple[ColumnExtension, ...] = ()
    ext_reads: list[tuple[int, str, int]] = field(default_factory=list)  # read, not owned


# (profile values, one payload per extension, issues or None)
Result = tuple[dict[str, str], list[Any], list[FieldIssue] | None]
_TOO_LONG = FieldIssue(
    "*", "row_too_long", "more values than columns in the header", "数据列数多于表头列数"
)
_CELL_TOO_LONG = FieldIssue(
    "*",
    "cell_too_long",
    f"a cell is longer than {MAX_CELL_CHARS} characters",
    f"有单元格超过 {MAX_CELL_CHARS} 个字符",
)


def validate_chunk(spec: Spec, chunk: list[tuple[int, Sequence[Any]]]) -> list[Result]:
    columns, width, exts = spec.columns, spec.width, spec.extensions
    routed = (*spec.ext_columns, *spec.ext_reads)
    active = sorted({k for _, _, k in routed})  # owns or reads a column of this file
    out: list[Result] = []
    for _, raw in chunk:
        if len(raw) > width and any(cell_text(v) for v in raw[width:]):
            out.append(({}, [], [_TOO_LONG]))
            continue
        if any(isinstance(v, str) and len(v) > MAX_CELL_CHARS for v in raw):
            out.append(({}, [], [_CELL_TOO_LONG]))
            continue
        values: dict[str, str] = {}
        m = len(raw)
        for i, code in columns:
            if i < m:
                v = cell_text(raw[i])
                if v:
                    values[code] = v
        issues: list[FieldIssue] = []
        try:
            # keys: the header's catalogue fields, vetted by `reading.check_header`
            values = clean_customer(values, keys_checked=True)
        except ValidationFailed as exc:
            values = {}
            issues.extend(exc.issues)
        payloads: list[Any] = []
        if active:
            cells: list[dict[str, str]] = [{} for _ in exts]
            for i, col, k in routed:
                if i < m:
                    v = cell_text(raw[i])
                    if v:
                        cells[k][col] = v
            payloads = [None] * len(exts)
            for k in active:  # an extension with no column in this file has nothing to parse
                payloads[k], problems = exts[k].parse(cells[k])
                issues.extend(problems)
        out.append((values, payloads, issues or None))
    return out


def validated(
    spec: Spec, chunks: Iterator[list[tuple[int, Sequence[Any]]]], workers: int
) -> Iterator[tuple[list[tuple[int, Sequence[Any]]], list[Result]]]:
    """Each chunk with its validation results, in file order.

    With workers > 0 the chunks are validated in a process pool while this process seals
    and writes the previous ones; at most 2 chunks per worker are in flight, so memory
    stays flat however long the file is. Values cross to the workers through a pipe in
    memory only; nothing is written to disk there."""
    if workers <= 0 or "fork" not in multiprocessing.get_all_start_methods():
        for chunk in chunks:
            yield chunk, validate_chunk(spec, chunk)
        return
    # fork: the workers start at once and never touch the database (they validate only;
    # they leave through os._exit, so the inherited connection is never closed by them).
    # The validators' tables are loaded first, once, and inherited by every worker.
    validators.preload()
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        pending: deque[tuple[list[tuple[int, Sequence[Any]]], Any]] = deque()
        for chunk in chunks:
            pending.append((chunk, pool.apply_async(validate_chunk, (spec, chunk))))
            if len(pending) > 2 * workers:
                done, res = pending.popleft()
                yield done, res.get()
        while pending:
            done, res = pending.popleft()
            yield done, res.get()
