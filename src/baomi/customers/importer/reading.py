"""Reading and parsing (stage 1): the file (CSV / XLSX, limits checked before parsing),
its rows as a stream, cells as text, the optional column mapping, and the header checked
against the data catalogue before any row is read."""

from __future__ import annotations

import codecs
import csv
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from baomi.catalog import deployment, validators
from baomi.catalog import fields as catalog

from ..validation import CUSTOMER_INPUT
from .base import ColumnExtension, ImportRefused

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


def cell_text(v: Any) -> str:
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


@dataclass
class Columns:
    """The checked header: which positions hold which catalogue field, and which columns
    an extension claims."""

    columns: list[tuple[int, str]]  # (position in row, catalogue field)
    width: int  # header width
    ext_columns: list[tuple[int, str, int]] = field(default_factory=list)  # (pos, col, ext)
    # columns an extension reads without owning them (`ColumnExtension.reads`)
    ext_reads: list[tuple[int, str, int]] = field(default_factory=list)  # (pos, col, ext)
    # the extensions as their `check_header` answered (prepared for this file)
    extensions: tuple[ColumnExtension, ...] = ()


def _industry_refusal(header: list[str], mapped: list[str], industry: str | None) -> None:
    """Refuse a column whose catalogue entity belongs to another industry pack
    (`catalog.industry_of`: `stay.*` hotel, `booking.*` travel, `shipment.*` courier) than
    `--industry X`, or — with `all` (None) — to a pack this deployment does not run
    (`BAOMI_INDUSTRIES`: a hotel deployment collects no parcels, R-B1), naming each column
    and its pack — before anything else is checked or written."""
    runs = {str(i) for i in deployment.industries()}
    allowed = ({industry} if industry else runs) & runs
    other = []
    for h, m in zip(header, mapped, strict=True):
        pack = catalog.industry_of(m) if h else None
        if pack is not None and pack not in allowed:
            other.append(f"{h} ({pack})" if h == m else f"{h} → {m} ({pack})")
    if not other:
        return
    if industry and industry in runs:
        why = f"--industry {industry} takes only {industry} records"
        fix = "remove them, or import with --industry all (or theirs)"
    else:
        why = f"this deployment runs {', '.join(sorted(runs))} (BAOMI_INDUSTRIES)"
        fix = "remove them (nothing an industry pack the deployment does not run is collected)"
    raise ImportRefused(
        f"{why}; the file has columns of another industry: {', '.join(other[:10])} — {fix}",
        code="column_industry",
    )


def check_header(
    header: list[str],
    mapping: dict[str, str],
    extensions: Sequence[ColumnExtension],
    industry: str | None = None,
) -> Columns:
    """Refuse the whole file before any row is read: CVV columns (R-C4), columns of
    another industry pack than `industry` (None: all), columns outside the catalogue,
    duplicated columns, or no name column. Nothing is written."""
    mapped = [mapping.get(h, h) for h in header]
    if any(is_cvv_header(h) or is_cvv_header(m) for h, m in zip(header, mapped, strict=True)):
        raise _cvv_refusal()
    _industry_refusal(header, mapped, industry)
    owner = {
        i: k
        for i, m in enumerate(mapped)
        for k, ext in enumerate(extensions)
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
    prepared = list(extensions)
    for k, ext in enumerate(extensions):
        ready = ext.check_header([mapped[i] for i, o in owner.items() if o == k])
        if ready is not None:
            prepared[k] = ready
    ext_columns = [(i, mapped[i], k) for i, k in owner.items()]
    ext_reads = [
        (i, mapped[i], k)
        for k, ext in enumerate(extensions)
        if (reads := getattr(ext, "reads", None)) is not None
        for i, m in enumerate(mapped)
        if header[i] != "" and owner.get(i) != k and m != "ignore" and reads(m)
    ]
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
    return Columns(columns, len(header), ext_columns, ext_reads, tuple(prepared))
