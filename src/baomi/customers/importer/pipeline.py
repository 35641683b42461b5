"""The import run: stages wired together, one transaction per batch.

read (`reading`) → validate (`validation`, in worker processes for large files) → match
(`matching`) → write (`writing`) → report (`reporting`). A killed import loses at most the
batch in flight, whole; a re-run merges what already landed."""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from django.db import connection, transaction

from baomi.audit.services import SystemActor
from baomi.catalog.enums import Purpose
from baomi.core import clock, csvsafe
from baomi.vault import services as vault

from .. import survivorship
from ..services import _check_write
from ..signals import merge_held
from ..validation import channel as clean_channel
from . import matching, reporting, writing
from .base import ColumnExtension, ImportRefused
from .reading import check_header, count_rows, load_mapping, read_rows
from .reporting import ImportSummary
from .validation import Spec, validated


class Importer:
    def __init__(
        self,
        actor: Any,
        purpose: Purpose | str | None,
        channel: str,
        *,
        mapping: Mapping[str, str] | None = None,
        batch_size: int = 2000,
        workers: int | None = None,
        extensions: Sequence[ColumnExtension] = (),
        industry: str | None = None,
        _crypto: bool = True,
    ) -> None:
        self.actor = actor
        # The CLI runs as the system actor (an operator on the server); staff go through
        # the role × purpose check like any other write.
        self.purpose: Purpose | str = (
            (purpose or "") if isinstance(actor, SystemActor) else _check_write(actor, purpose, [])
        )
        self.channel = clean_channel(channel)
        self.mapping = dict(mapping or {})
        self.batch_size = max(1, batch_size)
        self.workers = workers  # validation processes; None = auto (large files only)
        self.bucket = matching.Buckets()
        self.crypto = _crypto
        self.columns: list[tuple[int, str]] = []  # (position in row, catalogue field)
        self.width = 0
        self.extensions = tuple(extensions)
        self.ext_columns: list[tuple[int, str, int]] = []  # (position, column, extension)
        self.ext_reads: list[tuple[int, str, int]] = []  # read by an extension, not owned
        self.industry = industry or None  # one industry pack's columns only (None: all)
        self.run_id = ""
        self.source = "import"

    # -- header ---------------------------------------------------------------------------
    def check_header(self, header: list[str]) -> None:
        """Refuse the whole file before any row is read (`reading.check_header`)."""
        cols = check_header(header, self.mapping, self.extensions, self.industry)
        self.columns, self.width, self.ext_columns = cols.columns, cols.width, cols.ext_columns
        self.ext_reads, self.extensions = cols.ext_reads, cols.extensions

    # -- the run ----------------------------------------------------------------------------
    def run(self, path: Path, progress: Callable[[int], None] | None = None) -> ImportSummary:
        started = time.perf_counter()
        header, rows = read_rows(path)
        self.check_header(header)
        summary = ImportSummary()
        rejects_path = Path(str(path) + ".rejects.csv")
        self.run_id = str(uuid.uuid4())  # names this run's events (started, batches, finished)
        self.source = f"import:{path.name}"
        reporting.started(
            self.actor,
            self.purpose,
            self.run_id,
            [c for _, c in self.columns] + [c for _, c, _ in self.ext_columns],
            self.channel,
            path.suffix.lower(),
        )
        cache_size = None
        if connection.vendor == "sqlite":
            # the de-dup queries seek all over the blind-index B-tree: give this connection
            # a 64 MiB page cache instead of SQLite's 2 MiB default (durability unchanged)
            with connection.cursor() as cur:
                cur.execute("PRAGMA cache_size")
                cache_size = int(cur.fetchone()[0])
                cur.execute("PRAGMA cache_size = -65536")
        workers = self.workers
        if workers is None:  # auto: worth a process pool only for large files
            expected = count_rows(path) or 0
            workers = min(3, max(1, (os.cpu_count() or 1) - 1)) if expected >= 20_000 else 0
        try:
            with rejects_path.open("w", encoding="utf-8", newline="") as rej_fh:
                rej = csvsafe.writer(rej_fh)
                rej.writerow(["row", "field", "code", "message"])
                spec = Spec(
                    self.columns, self.width, self.ext_columns, self.extensions, self.ext_reads
                )
                for k in sorted({k for _, _, k in self.ext_columns}):
                    ext = self.extensions[k]
                    for key in getattr(ext, "counts", (ext.name,)):
                        summary.extra[key] = 0  # reported even when 0
                for chunk, results in validated(spec, self._chunks(rows), workers):
                    valid = []
                    attached: dict[int, list[Any]] = {}
                    for (n, raw), (values, payloads, issues) in zip(chunk, results, strict=True):
                        summary.rows += 1
                        if issues is None:
                            valid.append((n, values))
                            if any(p is not None for p in payloads):
                                attached[n] = payloads
                        else:
                            summary.rejected += 1
                            reporting.reject(rej, n, issues, raw, summary)
                    if valid:
                        self._flush(valid, attached, summary)
                    if progress:
                        progress(len(chunk))
        except BaseException:
            summary.seconds = time.perf_counter() - started
            with contextlib.suppress(Exception):  # never mask the reason the import stopped
                reporting.finished(self.actor, self.purpose, self.run_id, summary, failed=True)
            raise
        finally:
            if cache_size is not None:
                with contextlib.suppress(Exception), connection.cursor() as cur:
                    cur.execute(f"PRAGMA cache_size = {cache_size:d}")
        if summary.rejected == 0:
            rejects_path.unlink()
        else:
            summary.rejects_file = str(rejects_path)
        summary.seconds = time.perf_counter() - started
        reporting.finished(self.actor, self.purpose, self.run_id, summary)
        return summary

    def _chunks(self, rows: Iterator[Sequence[Any]]) -> Iterator[list[tuple[int, Sequence[Any]]]]:
        chunk: list[tuple[int, Sequence[Any]]] = []
        for n, raw in enumerate(rows, start=2):  # row 1 is the header
            if not any(raw):
                continue  # blank line / empty spreadsheet row: not a row
            chunk.append((n, raw))
            if len(chunk) >= self.batch_size:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    # -- one batch, one transaction ----------------------------------------------------------
    def _flush(
        self,
        batch: list[tuple[int, dict[str, str]]],
        attached: dict[int, list[Any]],
        summary: ImportSummary,
    ) -> None:
        self.bucket.clear()
        created, merged, extra = summary.created, summary.merged, dict(summary.extra)
        try:
            with transaction.atomic():
                self._flush_batch(batch, attached, summary)
        except BaseException:
            # rolled back: not counted
            summary.created, summary.merged, summary.extra = created, merged, extra
            raise

    def _flush_batch(
        self,
        batch: list[tuple[int, dict[str, str]]],
        attached: dict[int, list[Any]],
        summary: ImportSummary,
    ) -> None:
        now = clock.now()
        if self.crypto:
            # no API create (nor another import) may slip a duplicate in between this
            # batch's duplicate check and its commit (decision 0014; SQLite: no-op)
            vault.lock_all_identities()
            id_hits, pn_hits = matching.stored_matches(batch, self.bucket)
        else:
            id_hits, pn_hits = {}, {}
        profiles, landings = matching.assign(batch, id_hits, pn_hits)
        held = matching.survive(batch, landings, self.source) if self.crypto else []
        ext_items: list[list[tuple[uuid.UUID, Any]]] = [[] for _ in self.extensions]
        for land in landings:
            if land.held:
                summary.held += 1
            if land.held == survivorship.IDENTITY_CONFLICT:
                continue  # maybe another person: nothing of the row lands, records neither
            if land.created:
                summary.created += 1
            else:
                summary.merged += 1
            for i, payload in enumerate(attached.get(land.row, ())):
                if payload is not None:
                    ext_items[i].append((land.profile.id, payload))
        writing.write_new(
            [p for p in profiles.values() if p.new],
            self.channel,
            now,
            self.bucket,
            crypto=self.crypto,
        )
        writing.write_merged(
            [p for p in profiles.values() if not p.new and p.values], self.channel, now, self.bucket
        )
        if held:  # to the steward's queue, in this batch's transaction (rolls back with it)
            merge_held.send(
                sender=Importer,
                actor=self.actor,
                purpose=self.purpose,
                channel=self.channel,
                items=held,
            )
        reporting.record_batch(
            [reporting.batch_event(self.actor, self.purpose, self.channel, self.run_id, landings)]
        )
        for ext, items in zip(self.extensions, ext_items, strict=True):
            if items:
                wrote = ext.write(self.actor, self.purpose, self.channel, items)
                counts = {ext.name: wrote} if isinstance(wrote, int) else wrote
                for key, n in counts.items():
                    summary.extra[key] = summary.extra.get(key, 0) + n


def import_file(
    actor: Any,
    purpose: Purpose | str | None,
    path: str | Path,
    channel: str,
    *,
    mapping: str | Path | None = None,
    progress: Callable[[int], None] | None = None,
    batch_size: int = 2000,
    workers: int | None = None,
    extensions: Sequence[ColumnExtension] = (),
    industry: str | None = None,
) -> ImportSummary:
    p = Path(path)
    if not p.exists():
        raise ImportRefused(f"file not found: {p.name}", code="file_missing")
    imp = Importer(
        actor,
        purpose,
        channel,
        mapping=load_mapping(mapping, extensions),
        batch_size=batch_size,
        workers=workers,
        extensions=extensions,
        industry=industry,
    )
    return imp.run(p, progress)
