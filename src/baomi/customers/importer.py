"""Bulk import of CSV / XLSX into the one profile per customer (R-A1, R-A3, R-B4, R-K1).

Streams rows (flat memory), validates each through the catalogue, merges exact duplicates
(same ID number, or same phone and name) into the existing profile with lineage, and writes
batches of new customers with bulk inserts: data keys, sealed columns, blind-index rows and
one audit event per customer, all in one transaction per batch. A killed import loses at
most the batch in flight, whole; a re-run merges what already landed.

The rejects file lists row number, field, error code and message — never the rejected
values (plaintext never rests); the row number points into the user's own source file.
"""

from __future__ import annotations

import csv
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction

from baomi import audit
from baomi.audit.models import Action
from baomi.audit.services import SystemActor, build, record_many
from baomi.catalog import validators
from baomi.catalog.enums import Purpose
from baomi.core import clock
from baomi.core.errors import BaomiError, FieldIssue, ValidationFailed
from baomi.vault import services as vault
from baomi.vault.models import BlindIndexEntry, DataKey

from . import gate
from .models import Customer
from .services import _check_write, index_values, seal_customer
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

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "created": self.created,
            "merged": self.merged,
            "rejected": self.rejected,
            "seconds": round(self.seconds, 3),
        }


def load_mapping(path: str | Path | None) -> dict[str, str]:
    """YAML mapping of source column → catalogue field (`columns:` key optional)."""
    if not path:
        return {}
    doc = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    cols = doc.get("columns", doc) if isinstance(doc, dict) else None
    if not isinstance(cols, dict):
        raise ImportRefused("mapping must be a YAML object of column: field")
    bad = [v for v in cols.values() if v not in CUSTOMER_INPUT and v != "ignore"]
    if bad:
        raise ImportRefused(
            f"mapping names unknown fields: {', '.join(map(str, bad))}",
            code="mapping_unknown_field",
        )
    return {str(k): str(v) for k, v in cols.items()}


def count_rows(path: Path) -> int | None:
    if path.suffix.lower() != ".csv":
        return None
    n = 0
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            n += chunk.count(b"\n")
    return max(0, n - 1)


def read_rows(path: Path) -> tuple[list[str], Iterator[dict[str, Any]]]:
    """Header and a streaming row iterator for CSV (UTF-8, BOM ok) or XLSX."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        fh = path.open(encoding="utf-8-sig", newline="")
        reader = csv.DictReader(fh)
        header = list(reader.fieldnames or [])

        def it_csv() -> Iterator[dict[str, Any]]:
            with fh:
                yield from reader

        return header, it_csv()
    if suffix in {".xlsx", ".xlsm"}:
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True, data_only=True)
        ws = wb.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        header = [str(c).strip() if c is not None else "" for c in next(rows, ())]

        def it_xlsx() -> Iterator[dict[str, Any]]:
            try:
                for r in rows:
                    yield {h: ("" if v is None else v) for h, v in zip(header, r, strict=False)}
            finally:
                wb.close()

        return header, it_xlsx()
    raise ImportRefused("only .csv and .xlsx files can be imported", code="file_type")


class _PlainSealer:
    """Benchmark baseline only (`baomi bench ingest`): measures the importer's cost without
    encryption on synthetic data in a throwaway database. Never used by `baomi import`."""

    def __init__(self, sid: str) -> None:
        self.subject_id = sid

    def seal(self, table: str, code: str, plaintext: str, row_id: object = None) -> bytes:
        return plaintext.encode()


class Importer:
    def __init__(
        self,
        actor: Any,
        purpose: Purpose | str | None,
        channel: str,
        *,
        mapping: Mapping[str, str] | None = None,
        batch_size: int = 1000,
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
        self.batch_size = batch_size
        self.crypto = _crypto

    def _map(self, row: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in row.items():
            if k is None:
                continue
            target = self.mapping.get(k, k)
            if target == "ignore":
                continue
            if isinstance(v, str):
                v = v.strip()
            if v in ("", None):
                continue
            out[target] = v.isoformat()[:10] if hasattr(v, "isoformat") else v
        out.pop("channel", None)
        out.pop("consent", None)  # recorded by the consent ledger (issue #5)
        return out

    def check_header(self, header: list[str]) -> None:
        mapped = [self.mapping.get(h, h) for h in header]
        cvv = [
            h
            for h, m in zip(header, mapped, strict=True)
            if m.strip().lower().replace("-", "_") in validators.CVV_KEYS
        ]
        if cvv:
            raise ImportRefused(
                "the file has a card security code (CVV/CVC) column; such codes are never "
                "accepted or stored (R-C4). Remove the column and import again.",
                code="cvv_forbidden",
            )
        unknown = [
            h
            for h, m in zip(header, mapped, strict=True)
            if m not in CUSTOMER_INPUT and m != "ignore"
        ]
        if unknown:
            raise ImportRefused(
                f"columns not in the data catalogue: {', '.join(unknown[:10])} — map them "
                "with --mapping or remove them (nothing outside the catalogue is collected)",
                code="column_unknown",
            )
        if "name" not in mapped:
            raise ImportRefused("the file needs a name column", code="column_missing")

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
            detail={"channel": self.channel, "file_type": path.suffix.lower()},
        )
        with rejects_path.open("w", encoding="utf-8", newline="") as rej_fh:
            rej = csv.writer(rej_fh)
            rej.writerow(["row", "field", "code", "message"])
            batch: list[tuple[int, dict[str, str]]] = []
            for n, raw in enumerate(rows, start=2):  # row 1 is the header
                summary.rows += 1
                try:
                    batch.append((n, clean_customer(self._map(raw))))
                except ValidationFailed as exc:
                    summary.rejected += 1
                    for i in exc.issues:
                        rej.writerow([n, i.field, i.code, f"{i.en} / {i.zh}"])
                        summary.reasons[i.code] = summary.reasons.get(i.code, 0) + 1
                if len(batch) >= self.batch_size:
                    self._flush(batch, summary)
                    if progress:
                        progress(len(batch))
                    batch = []
            if batch:
                self._flush(batch, summary)
                if progress:
                    progress(len(batch))
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

    # -- one batch, one transaction ----------------------------------------------------------
    def _flush(self, batch: list[tuple[int, dict[str, str]]], summary: ImportSummary) -> None:
        with transaction.atomic():
            self._flush_batch(batch, summary)

    def _dedup_key(self, values: Mapping[str, str]) -> list[str]:
        keys = []
        if values.get("id_number"):
            keys.append("id:" + values["id_number"])
        if values.get("phone") and values.get("name"):
            keys.append("pn:" + values["phone"] + "|" + validators.name_key(values["name"]))
        return keys

    def _existing(self, batch: list[tuple[int, dict[str, str]]]) -> dict[int, uuid.UUID]:
        """Row number → existing customer id, for rows that duplicate a stored profile."""
        if not self.crypto:
            return {}
        ids = [v["id_number"] for _, v in batch if v.get("id_number")]
        phones = [v["phone"] for _, v in batch if v.get("phone") and v.get("name")]
        by_id = vault.candidates_many("id_number", ids)
        by_phone = vault.candidates_many("phone", phones)
        if not by_id and not by_phone:
            return {}
        ix_id, ix_phone = vault.indexer("id_number"), vault.indexer("phone")
        found: dict[int, uuid.UUID] = {}
        for n, v in batch:
            if v.get("id_number"):
                cands = by_id.get(ix_id.bucket(v["id_number"]), [])
                hit = gate.match_exact({"id_number": v["id_number"]}, cands) if cands else []
                if hit:
                    found[n] = hit[0]
                    continue
            if v.get("phone") and v.get("name"):
                cands = by_phone.get(ix_phone.bucket(v["phone"]), [])
                hit = (
                    gate.match_exact({"phone": v["phone"], "name": v["name"]}, cands)
                    if cands
                    else []
                )
                if hit:
                    found[n] = hit[0]
        return found

    def _flush_batch(self, batch: list[tuple[int, dict[str, str]]], summary: ImportSummary) -> None:
        now = clock.now()
        at = now.isoformat()
        existing = self._existing(batch)
        seen: dict[str, Customer] = {}
        new: list[Customer] = []
        keys: list[DataKey] = []
        index_rows: list[BlindIndexEntry] = []
        events = []
        merges: dict[uuid.UUID, dict[str, str]] = {}
        sealers: dict[str, Any] = {}
        for n, values in batch:
            if n in existing:
                merges.setdefault(existing[n], {}).update(values)
                continue
            dup = next((seen[k] for k in self._dedup_key(values) if k in seen), None)
            if dup is not None:  # duplicate within the batch: merge into the new profile
                seal_customer(dup, sealers[str(dup.id)], values, self.channel, at)
                index_rows.extend(self._index(dup.id, values))
                summary.merged += 1
                events.append(
                    build(
                        Action.CUSTOMER_MERGED,
                        self.actor,
                        purpose=self.purpose,
                        object_type="customer",
                        object_id=dup.id,
                        fields=list(values),
                        detail={"channel": self.channel},
                    )
                )
                continue
            c = Customer(
                id=uuid.uuid4(),
                primary_channel=self.channel,
                created_at=now,
                updated_at=now,
                lineage={},
            )
            if self.crypto:
                row, key = vault.new_data_key(c.id)
                keys.append(row)
            else:
                key = _PlainSealer(str(c.id))  # type: ignore[assignment]
            sealers[str(c.id)] = key  # SubjectKey or, for the bench baseline, _PlainSealer
            seal_customer(c, key, values, self.channel, at)
            new.append(c)
            index_rows.extend(self._index(c.id, values))
            for k in self._dedup_key(values):
                seen[k] = c
            events.append(
                build(
                    Action.CUSTOMER_CREATED,
                    self.actor,
                    purpose=self.purpose,
                    object_type="customer",
                    object_id=c.id,
                    fields=list(values),
                    detail={"channel": self.channel, "via": "import"},
                )
            )
        DataKey.objects.bulk_create(keys, batch_size=500)
        Customer.objects.bulk_create(new, batch_size=500)
        if self.crypto:
            # within-batch merges may have indexed a field twice: keep one row per field
            uniq = {(r.subject_id, r.field): r for r in index_rows}  # last value wins
            BlindIndexEntry.objects.bulk_create(list(uniq.values()), batch_size=1000)
        summary.created += len(new)
        for cid, values in merges.items():
            self._merge(cid, values, at, events)
            summary.merged += sum(1 for n, _ in batch if existing.get(n) == cid)
        record_many(events)

    def _index(self, cid: uuid.UUID, values: Mapping[str, str]) -> list[BlindIndexEntry]:
        return vault.index_entries(cid, index_values(values)) if self.crypto else []

    def _merge(self, cid: uuid.UUID, values: dict[str, str], at: str, events: list[Any]) -> None:
        c = Customer.objects.select_for_update().get(id=cid)
        key = vault.subject_key(cid)
        seal_customer(c, key, values, self.channel, at)
        c.updated_at = clock.now()
        c.save()
        vault.replace_index(cid, index_values(values))
        events.append(
            build(
                Action.CUSTOMER_MERGED,
                self.actor,
                purpose=self.purpose,
                object_type="customer",
                object_id=cid,
                fields=list(values),
                detail={"channel": self.channel, "via": "import"},
            )
        )


def import_file(
    actor: Any,
    purpose: Purpose | str | None,
    path: str | Path,
    channel: str,
    *,
    mapping: str | Path | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    p = Path(path)
    if not p.exists():
        raise ImportRefused(f"file not found: {p.name}", code="file_missing")
    imp = Importer(actor, purpose, channel, mapping=load_mapping(mapping))
    return imp.run(p, progress)


__all__ = ["FieldIssue", "ImportRefused", "ImportSummary", "Importer", "import_file"]
