"""Bulk import of CSV / XLSX into the one profile per customer (R-A1, R-A3, R-B4, R-K1, R-C4).

Streams rows (flat memory), validates each through the catalogue, merges exact duplicates
(same ID number, or same phone and name) into the existing profile with lineage, and writes
each batch in one transaction: wrapped data keys, sealed columns, blind-index rows and one
audit event per customer created or row merged. A killed import loses at most the batch in
flight, whole; a re-run merges what already landed.

Duplicates are judged as if the rows were imported one at a time: against the stored
profiles (blind index → candidates → exact compare in the gate) and against the rows before
it in the same file. The ID number decides first, then phone and name together. A merge
overwrites the fields the row carries and records their channel and time in the lineage.

The rejects file lists row number, field, error code and message — never the rejected
values (plaintext never rests); the row number is the spreadsheet row (header = row 1).

Speed (docs/performance.md): rows are read with `csv.reader`, the stored-duplicate check
is two index queries and one bulk exact compare per batch, and the inserts are raw
`executemany` statements built from the models' own column definitions.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import multiprocessing
import os
import time
import uuid
import zipfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import yaml
from django.db import connection, transaction

from baomi import audit
from baomi.audit.models import Action, Outcome
from baomi.audit.services import SystemActor, build, record_many
from baomi.catalog import fields as catalog
from baomi.catalog import validators
from baomi.catalog.enums import Gender, IdType, Purpose
from baomi.core import clock, csvsafe
from baomi.core.errors import BaomiError, FieldIssue, Gone, ValidationFailed
from baomi.core.sql import db_value, insert_sql
from baomi.vault import services as vault
from baomi.vault.models import BlindIndexEntry, DataKey

from . import gate
from .models import Customer
from .services import _check_write, index_values
from .validation import CUSTOMER_INPUT, clean_customer
from .validation import channel as clean_channel


class ImportRefused(BaomiError):
    code = "import_refused"
    title = "Import refused"


@dataclass
class ImportSummary:
    rows: int = 0
    created: int = 0
    merged: int = 0
    rejected: int = 0
    seconds: float = 0.0
    rejects_file: str | None = None
    reasons: dict[str, int] = field(default_factory=dict)
    extra: dict[str, int] = field(default_factory=dict)  # per column extension: records

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "created": self.created,
            "merged": self.merged,
            "rejected": self.rejected,
            **self.extra,
            "seconds": round(self.seconds, 3),
        }


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


# Column headers that name a card security code (R-C4), compared after removing case,
# spaces, "-" and "_"; a header containing one of the stems is refused too ("card_cvv").
_CVV_STEMS = ("cvv", "cvc", "cvn", "安全码", "验证码", "校验码")
_CVV_NAMES = frozenset(k.replace("_", "") for k in validators.CVV_KEYS)
# Catalogue input keys an import file may not carry: cards never come by file (a PAN
# column would put card numbers in a file on disk); the channel is the --channel option.
# Refused rather than silently dropped: cards are taken at the counter or through the API.
# Consent columns are taken by the consent ledger's column extension (consent.imports),
# which `baomi import` passes; an importer built without it refuses them too.
_NOT_IMPORTABLE = {"payment_card": "column_not_importable", "consent": "column_not_importable"}
_DROPPED = {"channel"}  # the channel is given once for the whole file (--channel)
_CODES = frozenset({*IdType.values, *Gender.values})  # choice codes may appear in messages


def is_cvv_header(name: str) -> bool:
    s = "".join(name.split()).lower().replace("-", "").replace("_", "")
    return bool(s) and (s in _CVV_NAMES or any(stem in s for stem in _CVV_STEMS))


def load_mapping(
    path: str | Path | None, extensions: Sequence[ColumnExtension] = ()
) -> dict[str, str]:
    """YAML mapping of source column → catalogue field or an extension's column
    (`columns:` key optional)."""
    if not path:
        return {}
    p = Path(path)
    if not p.exists():
        raise ImportRefused(f"mapping file not found: {p.name}", code="mapping_missing")
    try:
        doc = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError):
        raise ImportRefused("mapping is not valid UTF-8 YAML", code="mapping_invalid") from None
    cols = doc.get("columns", doc) if isinstance(doc, dict) else None
    if not isinstance(cols, dict):
        raise ImportRefused(
            "mapping must be a YAML object of column: field", code="mapping_invalid"
        )
    out = {str(k).strip(): str(v).strip() for k, v in cols.items()}
    cvv = [k for k, v in out.items() if is_cvv_header(k) or is_cvv_header(v)]
    if cvv:
        raise _cvv_refusal()
    bad = [
        v
        for v in out.values()
        if v not in CUSTOMER_INPUT and v != "ignore" and not any(e.claims(v) for e in extensions)
    ]
    if bad:
        raise ImportRefused(
            f"mapping names unknown fields: {', '.join(map(str, bad))}",
            code="mapping_unknown_field",
        )
    return out


def _cvv_refusal() -> ImportRefused:
    return ImportRefused(
        "the file has a card security code (CVV/CVC) column; such codes are never "
        "accepted or stored (R-C4). Remove the column and import again.",
        code="cvv_forbidden",
    )


def count_rows(path: Path) -> int | None:
    """Rows to expect (for the progress bar): data lines of a CSV, used range of an XLSX."""
    suffix = path.suffix.lower()
    if suffix in {".xlsx", ".xlsm"}:
        try:
            check_xlsx(path)
            from openpyxl import load_workbook

            wb = load_workbook(path, read_only=True)
            try:
                n = wb.worksheets[0].max_row
            finally:
                wb.close()
            return max(0, (n or 1) - 1)
        except Exception:
            return None
    if suffix != ".csv":
        return None
    n = 0
    last = b"\n"
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            n += chunk.count(b"\n")
            last = chunk[-1:]
    if last != b"\n":
        n += 1  # no newline after the last row
    return max(0, n - 1)


# -- file limits (ASVS 5.0 V5.2.1, V5.2.3) ---------------------------------------------------
# An XLSX is a zip: openpyxl inflates and keeps the whole shared-strings part in memory even
# in read-only mode, so a 99 KB file holding one 100 MB string took the import to 483 MB of
# RSS. The zip directory states each member's uncompressed size: check it BEFORE parsing.
MAX_FILE_BYTES = 200 * 1024 * 1024  # any import file, as stored on disk
MAX_XLSX_UNCOMPRESSED = 1024 * 1024 * 1024  # all members together, inflated
MAX_XLSX_SHARED_STRINGS = 64 * 1024 * 1024  # xl/sharedStrings.xml, inflated (held in memory)
MAX_XLSX_MEMBERS = 1000
MAX_XLSX_RATIO = 200  # inflated / compressed, per member above 1 MiB (a zip bomb's mark)
MAX_CELL_CHARS = 32_767  # Excel's own limit for one cell; longer cells reject their row


def _limit(name: str, default: int) -> int:
    from django.conf import settings

    return int(getattr(settings, name, default))


def check_size(path: Path) -> None:
    size = path.stat().st_size
    limit = _limit("BAOMI_IMPORT_MAX_FILE_BYTES", MAX_FILE_BYTES)
    if size > limit:
        raise ImportRefused(
            f"the file is {size // (1 << 20)} MiB; at most {limit // (1 << 20)} MiB can be "
            "imported at once — split it",
            code="file_too_large",
        )


def check_xlsx(path: Path) -> None:
    """Refuse an XLSX whose zip directory announces more than the import can hold, before
    any part is inflated: too many members, too much inflated data, a shared-strings part
    over its cap, or a member compressed beyond any spreadsheet's ratio (a zip bomb)."""
    check_size(path)
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise ImportRefused("the XLSX file cannot be read", code="file_unreadable") from None
    if len(infos) > MAX_XLSX_MEMBERS:
        raise ImportRefused(
            f"the XLSX file has {len(infos)} parts (at most {MAX_XLSX_MEMBERS})",
            code="xlsx_too_large",
        )
    total = sum(i.file_size for i in infos)
    if total > _limit("BAOMI_IMPORT_MAX_XLSX_UNCOMPRESSED", MAX_XLSX_UNCOMPRESSED):
        raise ImportRefused(
            f"the XLSX file inflates to {total // (1 << 20)} MiB; split it into smaller files",
            code="xlsx_too_large",
        )
    cap = _limit("BAOMI_IMPORT_MAX_XLSX_SHARED_STRINGS", MAX_XLSX_SHARED_STRINGS)
    for i in infos:
        if i.filename.lower().endswith("sharedstrings.xml") and i.file_size > cap:
            raise ImportRefused(
                f"the XLSX file's text table inflates to {i.file_size // (1 << 20)} MiB "
                f"(at most {cap // (1 << 20)} MiB): a cell is far too long, or split the file",
                code="xlsx_too_large",
            )
        if i.file_size > (1 << 20) and i.file_size > MAX_XLSX_RATIO * max(1, i.compress_size):
            ratio = i.file_size // max(1, i.compress_size)
            raise ImportRefused(
                f"a part of the XLSX file is compressed {ratio} to 1, beyond any real "
                "spreadsheet: refused as a zip bomb",
                code="xlsx_too_large",
            )


def _csv_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM); Chinese spreadsheet exports are often GB18030."""
    with path.open("rb") as fh:
        head = fh.read(1 << 20)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8-sig"


def read_rows(path: Path) -> tuple[list[str], Iterator[Sequence[Any]]]:
    """Header and a streaming iterator of row value lists, for CSV or XLSX."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        check_size(path)
        fh = path.open(encoding=_csv_encoding(path), newline="")
        reader = csv.reader(fh)
        try:
            header = [h.strip() for h in next(reader, [])]
        except (csv.Error, UnicodeDecodeError):
            fh.close()
            raise ImportRefused("the CSV header cannot be read", code="file_unreadable") from None

        def it_csv() -> Iterator[Sequence[Any]]:
            with fh:
                try:
                    yield from reader
                except (csv.Error, UnicodeDecodeError):
                    raise ImportRefused(
                        f"the CSV cannot be read after line {reader.line_num}",
                        code="file_unreadable",
                    ) from None

        return header, it_csv()
    if suffix in {".xlsx", ".xlsm"}:
        from openpyxl import load_workbook

        check_xlsx(path)
        try:
            wb = load_workbook(path, read_only=True, data_only=True)
        except Exception:
            raise ImportRefused("the XLSX file cannot be read", code="file_unreadable") from None
        ws = wb.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        header = [str(c).strip() if c is not None else "" for c in next(rows, ())]

        def it_xlsx() -> Iterator[Sequence[Any]]:
            try:
                yield from rows
            finally:
                wb.close()

        return header, it_xlsx()
    raise ImportRefused("only .csv and .xlsx files can be imported", code="file_type")


def _cell(v: Any) -> str:
    """A cell as text: spreadsheet numbers lose their ".0", dates become ISO dates."""
    if v is None:
        return ""
    if isinstance(v, str):
        return v.strip()
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if hasattr(v, "isoformat"):
        return str(v.isoformat())[:10]
    return str(v).strip()


# -- validation stage: pure (no database), so it can run in worker processes -------------
@dataclass(frozen=True)
class _Spec:
    """What the validation stage needs to know of the header (sent to the workers)."""

    columns: list[tuple[int, str]]  # (position, catalogue field)
    width: int  # header width
    ext_columns: list[tuple[int, str, int]] = field(default_factory=list)  # (pos, col, ext)
    extensions: tuple[ColumnExtension, ...] = ()


# (profile values, one payload per extension, issues or None)
_Result = tuple[dict[str, str], list[Any], list[FieldIssue] | None]
_TOO_LONG = FieldIssue(
    "*", "row_too_long", "more values than columns in the header", "数据列数多于表头列数"
)
_CELL_TOO_LONG = FieldIssue(
    "*",
    "cell_too_long",
    f"a cell is longer than {MAX_CELL_CHARS} characters",
    f"有单元格超过 {MAX_CELL_CHARS} 个字符",
)


def _validate_chunk(spec: _Spec, chunk: list[tuple[int, Sequence[Any]]]) -> list[_Result]:
    columns, width, exts = spec.columns, spec.width, spec.extensions
    out: list[_Result] = []
    for _, raw in chunk:
        if len(raw) > width and any(_cell(v) for v in raw[width:]):
            out.append(({}, [], [_TOO_LONG]))
            continue
        if any(isinstance(v, str) and len(v) > MAX_CELL_CHARS for v in raw):
            out.append(({}, [], [_CELL_TOO_LONG]))
            continue
        values: dict[str, str] = {}
        m = len(raw)
        for i, code in columns:
            if i < m:
                v = _cell(raw[i])
                if v:
                    values[code] = v
        issues: list[FieldIssue] = []
        try:
            values = clean_customer(values)
        except ValidationFailed as exc:
            values = {}
            issues.extend(exc.issues)
        payloads: list[Any] = []
        if exts:
            cells: list[dict[str, str]] = [{} for _ in exts]
            for i, col, k in spec.ext_columns:
                if i < m:
                    v = _cell(raw[i])
                    if v:
                        cells[k][col] = v
            for ext, c in zip(exts, cells, strict=True):
                payload, problems = ext.parse(c)
                payloads.append(payload)
                issues.extend(problems)
        out.append((values, payloads, issues or None))
    return out


def _validated(
    spec: _Spec, chunks: Iterator[list[tuple[int, Sequence[Any]]]], workers: int
) -> Iterator[tuple[list[tuple[int, Sequence[Any]]], list[_Result]]]:
    """Each chunk with its validation results, in file order.

    With workers > 0 the chunks are validated in a process pool while this process seals
    and writes the previous ones; at most 2 chunks per worker are in flight, so memory
    stays flat however long the file is. Values cross to the workers through a pipe in
    memory only; nothing is written to disk there."""
    if workers <= 0 or "fork" not in multiprocessing.get_all_start_methods():
        for chunk in chunks:
            yield chunk, _validate_chunk(spec, chunk)
        return
    # fork: the workers start at once and never touch the database (they validate only;
    # they leave through os._exit, so the inherited connection is never closed by them)
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        pending: deque[tuple[list[tuple[int, Sequence[Any]]], Any]] = deque()
        for chunk in chunks:
            pending.append((chunk, pool.apply_async(_validate_chunk, (spec, chunk))))
            if len(pending) > 2 * workers:
                done, res = pending.popleft()
                yield done, res.get()
        while pending:
            done, res = pending.popleft()
            yield done, res.get()


# IN lists always have this many parameters (padded with a repeat of the last value): one
# SQL text per query shape, so SQLite prepares it once and its statement cache cannot grow
# with every differently sized last chunk (that cost ~180 bytes of RSS per imported row).
_IN_SIZE = 500


def _padded(values: list[Any]) -> list[Any]:
    return values + [values[-1]] * (_IN_SIZE - len(values)) if values else values


def _uuid(raw: Any) -> uuid.UUID:
    return raw if isinstance(raw, uuid.UUID) else uuid.UUID(str(raw))


class _PlainSealer:
    """Benchmark baseline only (`baomi bench ingest`): measures the importer's cost without
    encryption on synthetic data in a throwaway database. Never used by `baomi import`."""

    def __init__(self, sid: str) -> None:
        self.subject_id = sid

    def seal(self, table: str, code: str, plaintext: str, row_id: object = None) -> bytes:
        return plaintext.encode()


_SEALED = tuple(catalog.CUSTOMER_FIELDS)
_CUSTOMER_COLS = ("id", *_SEALED, "lineage", "primary_channel", "created_at", "updated_at")
_DATAKEY_COLS = ("subject_id", "dek_version", "kek_version", "wrapped", "created_at")
_INDEX_COLS = ("field", "bucket", "subject_id")


@dataclass
class _Profile:
    """A customer touched by this batch: created here (`new`) or stored before."""

    id: uuid.UUID
    new: bool
    values: dict[str, str] = field(default_factory=dict)
    first_row: int = 0


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
        self._ix: dict[str, Any] = {}
        self._buckets: dict[tuple[str, str], int] = {}
        self.crypto = _crypto
        self.columns: list[tuple[int, str]] = []  # (position in row, catalogue field)
        self.width = 0
        self.extensions = tuple(extensions)
        self.ext_columns: list[tuple[int, str, int]] = []  # (position, column, extension)

    # -- header ---------------------------------------------------------------------------
    def check_header(self, header: list[str]) -> None:
        """Refuse the whole file before any row is read: CVV columns (R-C4), columns outside
        the catalogue, duplicated columns, or no name column. Nothing is written."""
        mapped = [self.mapping.get(h, h) for h in header]
        if any(is_cvv_header(h) or is_cvv_header(m) for h, m in zip(header, mapped, strict=True)):
            raise _cvv_refusal()
        owner = {
            i: k
            for i, m in enumerate(mapped)
            for k, ext in enumerate(self.extensions)
            if header[i] != "" and ext.claims(m)
        }
        unknown = [
            h or "(blank)"
            for i, (h, m) in enumerate(zip(header, mapped, strict=True))
            if m not in CUSTOMER_INPUT and m != "ignore" and h != "" and i not in owner
        ]
        if unknown:
            raise ImportRefused(
                f"columns not in the data catalogue: {', '.join(unknown[:10])} — map them "
                "with --mapping or remove them (nothing outside the catalogue is collected)",
                code="column_unknown",
            )
        refused = [
            h
            for i, (h, m) in enumerate(zip(header, mapped, strict=True))
            if m in _NOT_IMPORTABLE and i not in owner
        ]
        if refused:
            raise ImportRefused(
                f"columns that cannot be imported from a file: {', '.join(refused)} (payment "
                "cards are added at the counter or through the API; consent columns are "
                "taken by `baomi import`, or recorded through /api/v1/consents)",
                code="column_not_importable",
            )
        for k, ext in enumerate(self.extensions):
            ext.check_header([mapped[i] for i, o in owner.items() if o == k])
        self.ext_columns = [(i, mapped[i], k) for i, k in owner.items()]
        claimed = {mapped[i] for i in owner}
        twice = sorted(
            {m for i, m in enumerate(mapped) if i in owner and mapped.count(m) > 1} & claimed
        )
        if twice:
            raise ImportRefused(
                f"more than one column maps to: {', '.join(twice)}", code="column_duplicate"
            )
        columns = [
            (i, m)
            for i, (h, m) in enumerate(zip(header, mapped, strict=True))
            if h != "" and m != "ignore" and m not in _DROPPED and i not in owner
        ]
        seen: set[str] = set()
        dupes: set[str] = set()
        for _, m in columns:
            (dupes if m in seen else seen).add(m)
        if dupes:
            raise ImportRefused(
                f"more than one column maps to: {', '.join(sorted(dupes))}",
                code="column_duplicate",
            )
        if "name" not in seen:
            raise ImportRefused("the file needs a name column", code="column_missing")
        self.columns = columns
        self.width = len(header)

    # -- the run ----------------------------------------------------------------------------
    def run(self, path: Path, progress: Callable[[int], None] | None = None) -> ImportSummary:
        started = time.perf_counter()
        header, rows = read_rows(path)
        self.check_header(header)
        summary = ImportSummary()
        rejects_path = Path(str(path) + ".rejects.csv")
        audit.record(
            Action.IMPORT_STARTED,
            self.actor,
            purpose=self.purpose,
            object_type="import",
            fields=[c for _, c in self.columns] + [c for _, c, _ in self.ext_columns],
            detail={"channel": self.channel, "file_type": path.suffix.lower()},
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
                spec = _Spec(self.columns, self.width, self.ext_columns, self.extensions)
                for k in sorted({k for _, _, k in self.ext_columns}):
                    summary.extra[self.extensions[k].name] = 0  # reported even when 0
                for chunk, results in _validated(spec, self._chunks(rows), workers):
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
                            self._reject(rej, n, issues, raw, summary)
                    if valid:
                        self._flush(valid, attached, summary)
                    if progress:
                        progress(len(chunk))
        except BaseException:
            summary.seconds = time.perf_counter() - started
            with contextlib.suppress(Exception):  # never mask the reason the import stopped
                audit.record(
                    Action.IMPORT_FINISHED,
                    self.actor,
                    purpose=self.purpose,
                    object_type="import",
                    outcome=Outcome.FAILED,
                    detail={**summary.as_dict(), "reasons": summary.reasons},
                )
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
        audit.record(
            Action.IMPORT_FINISHED,
            self.actor,
            purpose=self.purpose,
            object_type="import",
            detail={**summary.as_dict(), "reasons": summary.reasons},
        )
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

    @staticmethod
    def _reject(
        rej: Any,
        n: int,
        issues: list[FieldIssue],
        raw: Sequence[Any],
        summary: ImportSummary,
    ) -> None:
        # Messages never echo values by contract; check anyway, since the file is on disk.
        values = [s for s in (_cell(v) for v in raw) if len(s) >= 3 and s not in _CODES]
        for i in issues:
            msg = f"{i.en} / {i.zh}"
            if any(v in msg for v in values):
                msg = i.code
            rej.writerow([n, i.field, i.code, msg])
            summary.reasons[i.code] = summary.reasons.get(i.code, 0) + 1

    # -- one batch, one transaction ----------------------------------------------------------
    def _flush(
        self,
        batch: list[tuple[int, dict[str, str]]],
        attached: dict[int, list[Any]],
        summary: ImportSummary,
    ) -> None:
        self._buckets = {}
        created, merged, extra = summary.created, summary.merged, dict(summary.extra)
        try:
            with transaction.atomic():
                self._flush_batch(batch, attached, summary)
        except BaseException:
            # rolled back: not counted
            summary.created, summary.merged, summary.extra = created, merged, extra
            raise

    def _bucket(self, field: str, normalised: str) -> int:
        """Blind-index bucket, computed once per value and batch (memo cleared per batch)."""
        b = self._buckets.get((field, normalised))
        if b is None:
            ix = self._ix.get(field)
            if ix is None:
                ix = self._ix[field] = vault.indexer(field)
            b = self._buckets[field, normalised] = ix.bucket(normalised)
        return b

    @staticmethod
    def _keys(values: Mapping[str, str]) -> tuple[str | None, str | None]:
        """De-dup keys: the ID number; phone + name (name compared as its index key)."""
        idk = "id:" + values["id_number"] if values.get("id_number") else None
        pnk = (
            "pn:" + values["phone"] + "|" + validators.name_key(values["name"])
            if values.get("phone") and values.get("name")
            else None
        )
        return idk, pnk

    def _candidates(self, field: str, values: list[str]) -> dict[int, list[Any]]:
        """Bucket → subject ids (as the database returns them) for these values' buckets:
        `vault.candidates_many` without the ORM's per-row conversion (thousands per batch
        once the store holds ~N/2^bits customers per bucket)."""
        buckets = sorted({self._bucket(field, v) for v in values})
        out: dict[int, list[Any]] = {}
        qn = connection.ops.quote_name
        with connection.cursor() as cur:
            for n in range(0, len(buckets), _IN_SIZE):
                part = _padded(buckets[n : n + _IN_SIZE])
                cur.execute(
                    f"SELECT {qn('bucket')}, {qn('subject_id')} FROM "  # noqa: S608 (model names)
                    f"{qn(BlindIndexEntry._meta.db_table)} WHERE {qn('field')} = %s AND "
                    f"{qn('bucket')} IN ({', '.join(['%s'] * len(part))})",
                    [field, *part],
                )
                for bucket, sid in cur.fetchall():
                    out.setdefault(bucket, []).append(sid)
        return out

    def _stored_matches(
        self, batch: list[tuple[int, dict[str, str]]]
    ) -> tuple[dict[int, uuid.UUID], dict[int, uuid.UUID]]:
        """Row → stored profile with the same ID number; row → same phone and name.

        Two blind-index queries per field for the whole batch, then one bulk exact compare
        in the gate (candidates are decrypted there, only ids come back)."""
        if not self.crypto:
            return {}, {}
        with_id = [(n, v) for n, v in batch if v.get("id_number")]
        with_pn = [(n, v) for n, v in batch if v.get("phone") and v.get("name")]
        by_id = self._candidates("id_number", [v["id_number"] for _, v in with_id])
        by_phone = self._candidates("phone", [v["phone"] for _, v in with_pn])
        by_name = (
            self._candidates("name", [validators.name_key(v["name"]) for _, v in with_pn])
            if by_phone
            else {}
        )
        queries: list[tuple[dict[str, str], list[uuid.UUID]]] = []
        owners: list[tuple[str, int]] = []
        for n, v in with_id:
            cands = by_id.get(self._bucket("id_number", v["id_number"]))
            if cands:
                queries.append(({"id_number": v["id_number"]}, [_uuid(c) for c in cands]))
                owners.append(("id", n))
        for n, v in with_pn:
            cands = by_phone.get(self._bucket("phone", v["phone"]))
            if not cands:
                continue
            names = set(by_name.get(self._bucket("name", validators.name_key(v["name"])), ()))
            both = [c for c in cands if c in names]
            if both:
                queries.append(({"phone": v["phone"], "name": v["name"]}, [_uuid(c) for c in both]))
                owners.append(("pn", n))
        id_hits: dict[int, uuid.UUID] = {}
        pn_hits: dict[int, uuid.UUID] = {}
        if queries:
            for (kind, n), hits in zip(owners, gate.match_exact_many(queries), strict=True):
                if hits:
                    (id_hits if kind == "id" else pn_hits)[n] = min(hits)  # lowest id: stable
        return id_hits, pn_hits

    def _flush_batch(
        self,
        batch: list[tuple[int, dict[str, str]]],
        attached: dict[int, list[Any]],
        summary: ImportSummary,
    ) -> None:
        now = clock.now()
        at = now.isoformat()
        if self.crypto:
            # no API create (nor another import) may slip a duplicate in between this
            # batch's duplicate check and its commit (decision 0008; SQLite: no-op)
            vault.lock_all_identities()
        id_hits, pn_hits = self._stored_matches(batch)
        profiles: dict[uuid.UUID, _Profile] = {}
        seen: dict[str, _Profile] = {}  # de-dup key → profile, as rows before this one left it
        events = []
        ext_items: list[list[tuple[uuid.UUID, Any]]] = [[] for _ in self.extensions]
        for n, values in batch:
            idk, pnk = self._keys(values)
            target = None
            if idk:
                target = seen.get(idk) or self._stored(id_hits.get(n), profiles)
            if target is None and pnk:
                target = seen.get(pnk) or self._stored(pn_hits.get(n), profiles)
            if target is None:
                target = _Profile(uuid.uuid4(), new=True, first_row=n)
                profiles[target.id] = target
                summary.created += 1
                action = Action.CUSTOMER_CREATED
            else:
                summary.merged += 1
                action = Action.CUSTOMER_MERGED
            target.values.update(values)
            for k in self._keys(target.values):
                if k:
                    seen[k] = target
            events.append(
                build(
                    action,
                    self.actor,
                    purpose=self.purpose,
                    object_type="customer",
                    object_id=target.id,
                    fields=list(values),
                    detail={"channel": self.channel, "via": "import", "row": n},
                )
            )
            for i, payload in enumerate(attached.get(n, ())):
                if payload is not None:
                    ext_items[i].append((target.id, payload))
        self._write_new([p for p in profiles.values() if p.new], now, at)
        self._write_merged([p for p in profiles.values() if not p.new], now, at)
        record_many(events)
        for ext, items in zip(self.extensions, ext_items, strict=True):
            if items:
                wrote = ext.write(self.actor, self.purpose, self.channel, items)
                summary.extra[ext.name] = summary.extra.get(ext.name, 0) + wrote

    @staticmethod
    def _stored(cid: uuid.UUID | None, profiles: dict[uuid.UUID, _Profile]) -> _Profile | None:
        if cid is None:
            return None
        if cid not in profiles:
            profiles[cid] = _Profile(cid, new=False)
        return profiles[cid]

    def _lineage(self, values: Iterable[str], at: str) -> dict[str, Any]:
        return {code: {"channel": self.channel, "at": at} for code in values}

    def _write_new(self, new: list[_Profile], now: Any, at: str) -> None:
        if not new:
            return
        created = db_value(Customer, "created_at", now)
        channel = self.channel
        customers: list[tuple[Any, ...]] = []
        keys: list[tuple[Any, ...]] = []
        index: list[tuple[Any, ...]] = []
        lineages: dict[tuple[str, ...], Any] = {}  # same channel and time for the batch
        for p in new:
            cid = db_value(Customer, "id", p.id)  # the same column type in all three tables
            if self.crypto:
                row, key = vault.new_data_key(p.id)
                keys.append(
                    (
                        cid,
                        row.dek_version,
                        row.kek_version,
                        row.wrapped,
                        created,
                    )
                )
            else:
                key = _PlainSealer(str(p.id))  # type: ignore[assignment]
            sealed = [
                key.seal("customer", code, p.values[code]) if code in p.values else None
                for code in _SEALED
            ]
            codes = tuple(p.values)
            lineage = lineages.get(codes)
            if lineage is None:
                lineage = lineages[codes] = db_value(Customer, "lineage", self._lineage(codes, at))
            customers.append(
                (
                    cid,
                    *sealed,
                    lineage,
                    channel,
                    created,
                    created,
                )
            )
            if self.crypto:
                index.extend(
                    (f, self._bucket(f, v), cid) for f, v in index_values(p.values).items()
                )
        with connection.cursor() as cur:
            if keys:
                cur.executemany(insert_sql(DataKey, _DATAKEY_COLS), keys)
            cur.executemany(insert_sql(Customer, _CUSTOMER_COLS), customers)
            if index:
                cur.executemany(insert_sql(BlindIndexEntry, _INDEX_COLS), index)

    def _write_merged(self, merged: list[_Profile], now: Any, at: str) -> None:
        """Overwrite the fields the rows carried, under each stored customer's own key."""
        if not merged:
            return
        ids = [p.id for p in merged]
        lineage: dict[uuid.UUID, dict[str, Any]] = {}
        for n in range(0, len(ids), 500):
            rows = (
                Customer.objects.select_for_update()
                .filter(id__in=ids[n : n + 500], erased_at__isnull=True)
                .values_list("id", "lineage")
            )
            lineage.update({cid: dict(lin or {}) for cid, lin in rows})
        keys = vault.subject_keys(list(lineage))
        updated = db_value(Customer, "updated_at", now)
        qn = connection.ops.quote_name
        updates: dict[tuple[str, ...], list[list[Any]]] = {}
        unindex: list[tuple[Any, str]] = []
        index: list[tuple[Any, ...]] = []
        for p in merged:
            key = keys.get(str(p.id))
            if key is None or p.id not in lineage:  # erased meanwhile: never resurrect
                raise Gone("a matching customer was erased during the import; run it again")
            codes = tuple(c for c in _SEALED if c in p.values)
            lin = lineage[p.id]
            lin.update(self._lineage(p.values, at))
            cid = db_value(Customer, "id", p.id)
            updates.setdefault(codes, []).append(
                [
                    *(key.seal("customer", c, p.values[c]) for c in codes),
                    db_value(Customer, "lineage", lin),
                    updated,
                    cid,
                ]
            )
            sid = db_value(BlindIndexEntry, "subject_id", p.id)
            for f, v in index_values(p.values).items():
                unindex.append((sid, f))
                index.append((f, self._bucket(f, v), sid))
        table = qn(Customer._meta.db_table)
        bidx = qn(BlindIndexEntry._meta.db_table)
        with connection.cursor() as cur:
            for codes, params in updates.items():
                sets = ", ".join(f"{qn(c)} = %s" for c in (*codes, "lineage", "updated_at"))
                # column names come from the model, values are parameters
                sql = f"UPDATE {table} SET {sets} WHERE {qn('id')} = %s"  # noqa: S608
                cur.executemany(sql, params)
            if unindex:
                cur.executemany(
                    f"DELETE FROM {bidx} WHERE {qn('subject_id')} = %s AND {qn('field')} = %s",  # noqa: S608
                    unindex,
                )
                cur.executemany(insert_sql(BlindIndexEntry, _INDEX_COLS), index)


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
    )
    return imp.run(p, progress)


__all__ = [
    "ColumnExtension",
    "FieldIssue",
    "ImportRefused",
    "ImportSummary",
    "Importer",
    "import_file",
]
