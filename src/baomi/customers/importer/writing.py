"""Writing (stage 4): a batch's new and merged customers, in the batch's transaction.

The customer rows are this app's table (raw `executemany`, built from the model's own
columns); everything the vault owns — data keys, sealing, blind-index rows — goes through
the vault's bulk API (`vault.seal_new_subjects`, `seal_existing_subjects`,
`add_index_rows`, `replace_index_rows`), so the importer never holds a data key and never
writes a vault table (decision 0022)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db import connection

from baomi.catalog import fields as catalog
from baomi.core.errors import Gone
from baomi.core.sql import db_converter, db_value, insert_sql
from baomi.vault import services as vault

from ..models import Customer
from ..services import index_values
from .matching import Profile

SEALED = tuple(catalog.CUSTOMER_FIELDS)
_CUSTOMER_COLS = ("id", *SEALED, "lineage", "primary_channel", "created_at", "updated_at")


def _lineage(channel: str, values: Iterable[str], at: str) -> dict[str, Any]:
    return {code: {"channel": channel, "at": at} for code in values}


def write_new(
    new: list[Profile],
    channel: str,
    now: Any,
    bucket: Callable[[str, str], int],
    *,
    crypto: bool = True,
) -> None:
    """Insert new customers: a data key each, every field sealed, blind-index rows.
    `crypto=False` is the benchmark baseline only (values stored as bytes, no keys, no
    index rows; `benchmarks/bench_ingest.py`), never `baomi import`."""
    if not new:
        return
    at = now.isoformat()
    created = db_value(Customer, "created_at", now)
    id_db = db_converter(Customer, "id")
    if crypto:
        sealed_rows = vault.seal_new_subjects(
            "customer",
            [(p.id, [(code, p.values.get(code)) for code in SEALED]) for p in new],
            created_at=now,
        )
    else:
        sealed_rows = [
            [None if (v := p.values.get(c)) is None else v.encode() for c in SEALED] for p in new
        ]
    customers: list[tuple[Any, ...]] = []
    index: list[tuple[str, int, Any]] = []
    lineages: dict[tuple[str, ...], Any] = {}  # same channel and time for the batch
    for p, sealed in zip(new, sealed_rows, strict=True):
        codes = tuple(p.values)
        lineage = lineages.get(codes)
        if lineage is None:
            lineage = lineages[codes] = db_value(Customer, "lineage", _lineage(channel, codes, at))
        customers.append((id_db(p.id), *sealed, lineage, channel, created, created))
        if crypto:
            index.extend((f, bucket(f, v), p.id) for f, v in index_values(p.values).items())
    with connection.cursor() as cur:
        cur.executemany(insert_sql(Customer, _CUSTOMER_COLS), customers)
    vault.add_index_rows(index)


def write_merged(
    merged: list[Profile], channel: str, now: Any, bucket: Callable[[str, str], int]
) -> None:
    """Write the merged profiles' fields under each stored customer's own key."""
    if not merged:
        return
    at = now.isoformat()
    ids = [p.id for p in merged]
    lineage: dict[Any, dict[str, Any]] = {}
    for n in range(0, len(ids), 500):
        rows = (
            Customer.objects.select_for_update()
            .filter(id__in=ids[n : n + 500], erased_at__isnull=True)
            .values_list("id", "lineage")
        )
        lineage.update({cid: dict(lin or {}) for cid, lin in rows})
    live = [p for p in merged if p.id in lineage]
    if len(live) != len(merged):  # erased meanwhile: never resurrect
        raise Gone("a matching customer was erased during the import; run it again")
    codes_of = [tuple(c for c in SEALED if c in p.values) for p in live]
    sealed_rows = vault.seal_existing_subjects(
        "customer",
        [
            (p.id, [(c, p.values[c]) for c in codes])
            for p, codes in zip(live, codes_of, strict=True)
        ],
    )
    updated = db_value(Customer, "updated_at", now)
    id_db = db_converter(Customer, "id")
    qn = connection.ops.quote_name
    updates: dict[tuple[str, ...], list[list[Any]]] = {}
    index: list[tuple[str, int, Any]] = []
    for p, codes, sealed in zip(live, codes_of, sealed_rows, strict=True):
        if sealed is None:  # key destroyed meanwhile (erased): never resurrect
            raise Gone("a matching customer was erased during the import; run it again")
        lin = lineage[p.id]
        lin.update(_lineage(channel, p.values, at))
        updates.setdefault(codes, []).append(
            [*sealed, db_value(Customer, "lineage", lin), updated, id_db(p.id)]
        )
        index.extend((f, bucket(f, v), p.id) for f, v in index_values(p.values).items())
    table = qn(Customer._meta.db_table)
    with connection.cursor() as cur:
        for codes, params in updates.items():
            sets = ", ".join(f"{qn(c)} = %s" for c in (*codes, "lineage", "updated_at"))
            # column names come from the model, values are parameters
            sql = f"UPDATE {table} SET {sets} WHERE {qn('id')} = %s"  # noqa: S608
            cur.executemany(sql, params)
    vault.replace_index_rows(index)
