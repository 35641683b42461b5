"""Industry records in `baomi import` files (issue #11; R-A4, R-A6, R-C1; decision 0039).

One row is a customer's columns plus at most one record of each kind: a stay (hotel), a
booking (travel), a shipment (courier). Each kind is a column extension
(`customers.importer.ColumnExtension`) registered in this app's participant, so the
importer core names none of them; `baomi import --industry hotel|travel|courier` limits a
file to one pack's columns (the core refuses the others by the catalogue's `industry`).

Columns (headers, or targets of a `--mapping`) are the catalogue's names:

- stay (hotel): `stay.reference`, `stay.check_in`, `stay.check_out` required;
  `stay.room`, `stay.spend`, `stay.special_requests` optional (`stay.site` — the hotel's
  site code — is the operations app's own extension, `operations.imports`);
- booking (travel): `booking.reference`, `booking.start_date`, `booking.end_date`
  required; `booking.product`, `booking.destination`, `booking.travellers`,
  `booking.amount` optional;
- shipment (courier): `shipment.waybill_no`, `shipment.recipient_name`,
  `shipment.recipient_address` required; `shipment.sender_name`, `shipment.sender_phone`,
  `shipment.sender_address`, `shipment.recipient_phone`, `shipment.item_type` and
  `shipment.status` (a `ShipmentStatus` code; default `created`) optional.

A file with any column of a kind must have that kind's required columns (else the file
is refused); a row with every cell of a kind blank has no record of that kind. Values go
through the catalogue's validators (`parse`, in the validation workers); a bad value, a
blank required cell, or an end date before the start date rejects the row (the rejects
file has row, column and code — never the value).

Writing (the batch's transaction, for the customers the rows landed on; a row held whole
by survivorship lands nothing): every value sealed under the customer's data key with the
record's id in the associated data (`vault.seal_rows`), one prepared `executemany` per
kind and batch. The reference / waybill number stays in plain: a non-personal key
(catalogue `NON_PERSONAL_COLUMNS`) — never map a personal column to it. No record field is
declared `indexed` in the catalogue, so no blind-index rows are written.

Idempotent: the natural key is (customer, reference) for stays and bookings, the waybill
number (unique) for shipments. A record already stored is not written again and not
changed (`<kind>_present` in the summary); a waybill number stored for another customer is
not written (`shipments_conflict`). One `record.created` audit event per kind and batch
names its customers and lists (customer, record) ids and the field names — never a value.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from django.db import connection
from django.utils import timezone

from baomi.audit.models import Action
from baomi.audit.services import build_naming, record_many
from baomi.catalog import fields as catalog
from baomi.catalog import validators
from baomi.core import clock
from baomi.core.errors import FieldIssue, Gone
from baomi.core.sql import db_converter, db_value, insert_sql
from baomi.vault import services as vault

from .importer import ImportRefused
from .models import Booking, Shipment, ShipmentStatus, Stay

_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,31}$")
_CHUNK = 500
# a record brought in from another system's history is dated from its own first day, not
# from the import: retention's cheap pre-filter (created before the cutoff) must not keep
# a stay that ended years ago for another full period after the import
_BEGINS = {"stay": "check_in", "booking": "start_date"}


def _created(row: RecordRow, begins: str | None, now: datetime) -> datetime:
    if begins is None:
        return now
    raw = dict(row.values).get(begins)
    try:
        day = date.fromisoformat(str(raw)[:10]) if raw else None
    except ValueError:
        day = None
    if day is None:
        return now
    start = timezone.make_aware(datetime.combine(day, time.min))
    return min(start, now)


@dataclass(frozen=True)
class RecordRow:
    """One row's record: its natural key, status (shipments) and normalised values."""

    key: str
    values: tuple[tuple[str, str], ...]
    status: str = ""


def _specs(entity: str) -> tuple[catalog.FieldSpec, ...]:
    """The entity's catalogue fields, looked up once per process and catalogue size (the
    catalogue only grows, while apps load)."""
    key = (entity, len(catalog.FIELDS))
    found = _SPECS.get(key)
    if found is None:
        found = _SPECS[key] = tuple(catalog.fields_of(entity))
    return found


_SPECS: dict[tuple[str, int], tuple[catalog.FieldSpec, ...]] = {}


def _required(column: str) -> FieldIssue:
    return FieldIssue(column, "required", "is required", "必填")


@dataclass(frozen=True)
class RecordColumns:
    """One kind of industry record as a `ColumnExtension` (stateless, picklable)."""

    entity: str  # catalogue entity: "stay" | "booking" | "shipment"
    name: str  # summary key: records created
    key: str  # the natural-key column: "reference" | "waybill_no"
    required: tuple[str, ...]  # catalogue codes a record must have
    dates: tuple[str, str] | None = None  # (start, end): the end not before the start
    status: bool = False  # a `<entity>.status` column (shipments)
    key_per_customer: bool = True  # stays / bookings; a waybill number is unique

    @property
    def counts(self) -> tuple[str, ...]:
        extra = () if self.key_per_customer else (f"{self.name}_conflict",)
        return (self.name, f"{self.name}_present", *extra)

    @property
    def model(self) -> Any:
        return {"stay": Stay, "booking": Booking, "shipment": Shipment}[self.entity]

    def _col(self, code: str) -> str:
        return f"{self.entity}.{code}"

    # -- header -----------------------------------------------------------------------------
    def claims(self, column: str) -> bool:
        entity, dot, code = column.partition(".")
        if not dot or entity != self.entity:
            return False
        return (
            code == self.key
            or (self.status and code == "status")
            or catalog.BY_KEY.get(column) is not None
        )

    def check_header(self, columns: Sequence[str]) -> None:
        if not columns:
            return
        need = [self._col(c) for c in (self.key, *self.required)]
        missing = [c for c in need if c not in columns]
        if missing:
            raise ImportRefused(
                f"{self.entity} columns need {', '.join(need)} (missing: {', '.join(missing)})",
                code="column_missing",
            )

    # -- a row (pure: runs in the validation workers) ----------------------------------------
    def parse(self, cells: Mapping[str, str]) -> tuple[RecordRow | None, list[FieldIssue]]:
        if not cells:
            return None, []
        issues: list[FieldIssue] = []
        key_col = self._col(self.key)
        key = cells.get(key_col, "").strip()
        if not key:
            issues.append(_required(key_col))
        elif not _KEY.match(key):
            issues.append(
                FieldIssue(
                    key_col,
                    "reference_invalid",
                    "1–32 letters, digits or . _ / - (a reference, not a personal value)",
                    "应为 1–32 位字母、数字或 . _ / -（编号，不得填写个人信息）",
                )
            )
        values: dict[str, str] = {}
        for spec in _specs(self.entity):
            raw = cells.get(spec.key)
            if raw is None:
                if spec.code in self.required:
                    issues.append(_required(spec.key))
                continue
            try:
                values[spec.code] = (
                    spec.normalise(raw) if spec.normalise else validators.short_text(raw)
                )
            except validators.Invalid as exc:
                issues.append(FieldIssue(spec.key, exc.code, exc.en, exc.zh))
        if self.dates and all(d in values for d in self.dates):
            start, end = self.dates
            if values[end] < values[start]:  # ISO dates compare as text
                issues.append(
                    FieldIssue(
                        self._col(end),
                        "date_order",
                        f"must not be before {self._col(start)}",
                        "结束日期不得早于开始日期",
                    )
                )
        status = ""
        if self.status:
            status = cells.get(self._col("status"), "").strip().lower() or ShipmentStatus.CREATED
            if status not in ShipmentStatus.values:
                issues.append(
                    FieldIssue(
                        self._col("status"),
                        "status_unknown",
                        f"one of {', '.join(ShipmentStatus.values)}",
                        "运单状态代码无效",
                    )
                )
        if issues:
            return None, issues
        return RecordRow(key, tuple(values.items()), status), []

    # -- the batch (its transaction) -------------------------------------------------------
    def write(
        self, actor: Any, purpose: Any, channel: str, items: list[tuple[uuid.UUID, RecordRow]]
    ) -> dict[str, int]:
        """Insert the batch's new records, sealed; skip those already stored."""
        counts = dict.fromkeys(self.counts, 0)
        stored = self._stored(items)
        fresh: list[tuple[uuid.UUID, uuid.UUID, RecordRow]] = []
        seen: set[Any] = set()
        for cid, row in items:
            nk: Any = (cid, row.key) if self.key_per_customer else row.key
            owner = stored.get(nk)
            if nk in seen or owner == cid:
                counts[f"{self.name}_present"] += 1
            elif owner is not None:
                counts[f"{self.name}_conflict"] += 1  # a waybill of another customer
            else:
                seen.add(nk)
                fresh.append((cid, uuid.uuid4(), row))
        if fresh:
            self._insert(channel, fresh)
        counts[self.name] = len(fresh)
        record_many([self._event(actor, purpose, channel, fresh, counts)])
        return counts

    def _stored(self, items: list[tuple[uuid.UUID, RecordRow]]) -> dict[Any, uuid.UUID]:
        """Natural key → owning customer, for the keys of this batch already stored: by the
        key's own index (references are nearly unique across customers), one prepared
        statement per 500 keys (IN list padded: one SQL text), the customer compared here.
        Raw SQL from the model's names: the ORM's IN lookup cost ≈ 25 µs per key."""
        out: dict[Any, uuid.UUID] = {}
        keys = list(dict.fromkeys(row.key for _, row in items))
        wanted = {(cid, row.key) for cid, row in items}
        model, qn = self.model, connection.ops.quote_name
        key_col = qn(model._meta.get_field(self.key).column)
        cust_col = qn(model._meta.get_field("customer").column)
        sql = (  # names from the model, values are parameters
            f"SELECT {key_col}, {cust_col} FROM {qn(model._meta.db_table)} "  # noqa: S608
            f"WHERE {key_col} IN ({', '.join(['%s'] * _CHUNK)})"
        )
        with connection.cursor() as cur:
            for n in range(0, len(keys), _CHUNK):
                part = keys[n : n + _CHUNK]
                cur.execute(sql, part + [part[-1]] * (_CHUNK - len(part)))
                for k, c in cur.fetchall():
                    cid = _uuid(c)
                    if not self.key_per_customer:
                        out[k] = cid
                    elif (cid, k) in wanted:
                        out[(cid, k)] = cid
        return out

    def _insert(self, channel: str, fresh: list[tuple[uuid.UUID, uuid.UUID, RecordRow]]) -> None:
        model = self.model
        codes = tuple(f.code for f in _specs(self.entity))
        rows: list[tuple[uuid.UUID, uuid.UUID, list[tuple[str, str | None]]]] = []
        for cid, rid, row in fresh:
            values = dict(row.values)
            rows.append((cid, rid, [(c, values.get(c)) for c in codes]))
        sealed = vault.seal_rows(self.entity, rows)
        now = clock.now()
        begins = _BEGINS.get(self.entity)
        id_db, cust_db = db_converter(model, "id"), db_converter(model, "customer")
        cols: tuple[str, ...] = ("id", "customer", "channel", "created_at", self.key)
        cols += ("status",) if self.status else ()
        params: list[tuple[Any, ...]] = []
        for (cid, rid, row), blobs in zip(fresh, sealed, strict=True):
            if blobs is None:  # the customer was erased meanwhile: never resurrect
                raise Gone("a customer was erased during the import; run it again")
            extra = (row.status,) if self.status else ()
            created = db_value(model, "created_at", _created(row, begins, now))
            params.append((id_db(rid), cust_db(cid), channel, created, row.key, *extra, *blobs))
        with connection.cursor() as cur:
            cur.executemany(insert_sql(model, (*cols, *codes)), params)

    def _event(
        self,
        actor: Any,
        purpose: Any,
        channel: str,
        fresh: list[tuple[uuid.UUID, uuid.UUID, RecordRow]],
        counts: Mapping[str, int],
    ) -> Any:
        """ONE `record.created` event for the kind's records of this batch (decisions 0023,
        0039): customers named (their history and access copy list it), (customer, record)
        ids and field names in its detail — never a value; also when every record was
        already present (the re-run is evidence too)."""
        fields = sorted({c for _, _, row in fresh for c, _ in row.values})
        return build_naming(
            Action.RECORD_CREATED,
            actor,
            dict.fromkeys(str(cid) for cid, _, _ in fresh),
            purpose=purpose,
            object_type=f"{self.entity}_batch",
            object_id=uuid.uuid4(),
            fields=fields,
            detail={
                "via": "import",
                "channel": channel,
                "entity": self.entity,
                "created": counts[self.name],
                "present": counts[f"{self.name}_present"],
                **({} if self.key_per_customer else {"conflict": counts[f"{self.name}_conflict"]}),
                "records": [[str(cid), str(rid)] for cid, rid, _ in fresh],
            },
        )


def _uuid(raw: Any) -> uuid.UUID:
    return raw if isinstance(raw, uuid.UUID) else uuid.UUID(str(raw))


STAY_COLUMNS = RecordColumns(
    "stay", "stays", "reference", ("check_in", "check_out"), ("check_in", "check_out")
)
BOOKING_COLUMNS = RecordColumns(
    "booking", "bookings", "reference", ("start_date", "end_date"), ("start_date", "end_date")
)
SHIPMENT_COLUMNS = RecordColumns(
    "shipment",
    "shipments",
    "waybill_no",
    ("recipient_name", "recipient_address"),
    status=True,
    key_per_customer=False,
)
RECORD_COLUMNS = (STAY_COLUMNS, BOOKING_COLUMNS, SHIPMENT_COLUMNS)
