"""Vault services: per-subject data keys, blind-index rows, rewrap and crypto-shredding.

This is the only module that unwraps data keys. Field plaintext is produced only by the
access gate (baomi.customers.gate), which asks for keys here.
"""

from __future__ import annotations

import hashlib
import os
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from baomi.core import clock
from baomi.core.errors import Gone
from baomi.core.sql import Loader, col, db_converter, db_value, insert_sql, statement

from .blind import FieldIndexer, derive_field_key, plan_bits
from .crypto import SubjectKey, dek_aad
from .keys import get_keyring
from .models import BlindIndexEntry, BlindIndexPlan, DataKey, ShredJournal

_CACHE_SIZE = 4096
WRAP_ROTATE_AT = 2**30  # wraps under one KEK version before `keys status` recommends rotation
_cache: OrderedDict[str, SubjectKey] = OrderedDict()
_cache_lock = threading.Lock()
_indexers: dict[tuple[str, str], FieldIndexer] = {}


def clear_caches() -> None:
    with _cache_lock:
        _cache.clear()
    _indexers.clear()


def _remember(key: SubjectKey) -> None:
    with _cache_lock:
        _cache[key.subject_id] = key
        _cache.move_to_end(key.subject_id)
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)


# -- data keys -------------------------------------------------------------------------
def new_data_key(subject_id: uuid.UUID) -> tuple[DataKey, SubjectKey]:
    """A fresh DEK for a new subject; the DataKey row is returned unsaved (for bulk inserts)."""
    raw = os.urandom(32)
    sid = str(subject_id)
    version, wrapped = get_keyring().wrap(raw, dek_aad(sid, 1))
    row = DataKey(subject_id=subject_id, dek_version=1, kek_version=version, wrapped=wrapped)
    key = SubjectKey(sid, 1, raw)
    _remember(key)
    return row, key


def create_data_key(subject_id: uuid.UUID) -> SubjectKey:
    row, key = new_data_key(subject_id)
    row.save(force_insert=True)
    return key


def _unwrap(row: DataKey) -> SubjectKey:
    sid = str(row.subject_id)
    if row.destroyed_at is not None or not row.wrapped:
        raise Gone("subject data key destroyed (erased)")
    raw = get_keyring().unwrap(row.kek_version, bytes(row.wrapped), dek_aad(sid, row.dek_version))
    return SubjectKey(sid, row.dek_version, raw)


def subject_keys(subject_ids: Iterable[uuid.UUID]) -> dict[str, SubjectKey]:
    """Unwrapped keys for many subjects, with one query.

    The DataKey rows are read every time, also for keys in this process's cache: a key
    shredded by another process (a worker, a CLI erasure job) must stop decrypting here at
    once (R-F1, R-C5), not when the LRU evicts it. The cache only saves the unwrap."""
    wanted = list(dict.fromkeys(str(s) for s in subject_ids))
    found: dict[str, SubjectKey] = {}
    if not wanted:
        return found
    # plain tuples, not model instances (a bulk caller asks for 500 at a time): the row is
    # built only when its key must be unwrapped
    rows = DataKey.objects.filter(subject_id__in=wanted).values_list(
        "subject_id", "dek_version", "kek_version", "wrapped", "destroyed_at"
    )
    for subject_id, dek_version, kek_version, wrapped, destroyed_at in rows:
        sid = str(subject_id)
        if destroyed_at is not None:
            with _cache_lock:
                _cache.pop(sid, None)
            continue
        with _cache_lock:
            k = _cache.get(sid)
        if k is None or k.dek_version != dek_version:
            k = _unwrap(
                DataKey(
                    subject_id=subject_id,
                    dek_version=dek_version,
                    kek_version=kek_version,
                    wrapped=wrapped,
                )
            )
        _remember(k)
        found[sid] = k
    return found


# -- keys fetched by a reader's own query (the gate's one query per read; decision 0040) ---
KEY_COLUMNS = ("dek_version", "kek_version", "wrapped", "destroyed_at")


def key_join(alias: str, subject: str) -> tuple[str, str]:
    """The data key's columns (`KEY_COLUMNS`, in that order) and the `LEFT JOIN` that
    brings them for the subject whose id column is `subject`: a reader fetches its rows
    and their wrapped keys in one statement and hands the columns to `key_of`."""
    qn = connection.ops.quote_name
    opts = DataKey._meta
    cols = ", ".join(f"{alias}.{col(DataKey, c)}" for c in KEY_COLUMNS)
    sid = col(DataKey, "subject_id")
    return cols, f"LEFT JOIN {qn(opts.db_table)} {alias} ON {alias}.{sid} = {subject}"


def key_of(subject_id: uuid.UUID | str, columns: Sequence[Any]) -> SubjectKey | None:
    """The unwrapped key from the `KEY_COLUMNS` a reader's join fetched (as `subject_keys`:
    the row is read every time, the process cache only saves the unwrap); None when the
    subject has no key or it was destroyed (erased)."""
    dek_version, kek_version, wrapped, destroyed_at = columns
    sid = str(subject_id)
    if dek_version is None:
        return None
    if destroyed_at is not None or not wrapped:
        with _cache_lock:
            _cache.pop(sid, None)
        return None
    with _cache_lock:
        k = _cache.get(sid)
    if k is None or k.dek_version != dek_version:
        raw = get_keyring().unwrap(int(kek_version), bytes(wrapped), dek_aad(sid, dek_version))
        k = SubjectKey(sid, int(dek_version), raw)
    _remember(k)
    return k


def seal_for(
    items: Iterable[tuple[uuid.UUID | str, str, str, str, object]],
) -> dict[tuple[str, object], bytes]:
    """Seal new texts under their subjects' data keys, without handing a key out: for a
    domain that keeps personal text beside the profile (a breach notice, …) and opens it
    only through the gate (`open_attached`). `items` are (subject, table, field, text, row
    id); the answer maps (subject, row id) to the ciphertext. A subject without a live key
    (erased) is left out — there is nothing to seal for them."""
    rows = list(items)
    keys = subject_keys([uuid.UUID(str(r[0])) for r in rows])
    out: dict[tuple[str, object], bytes] = {}
    for subject, table, field, text, row_id in rows:
        key = keys.get(str(subject))
        if key is not None:
            out[(str(subject), row_id)] = key.seal(table, field, text, row_id)
    return out


# -- case keys: staff-written text about a case, not about one customer -------------------
# A whistle-blowing report, an incident's summary, a ticket without a customer: the text
# may name people, so it is sealed too — under a data key of its own per case (a subject
# id derived from the case), so the case's text is shredded with that key when its life
# ends, and opened only by the gate (`open_case_texts`), which checks the role and audits.
CASE_NAMESPACE = uuid.UUID("0f8b3c52-6a0e-4c55-9b8e-2d7f1c9a4e61")


def case_subject(kind: str, case_id: object) -> uuid.UUID:
    """The data-key subject of one case (`kind` is the domain's table, e.g. "incident")."""
    return uuid.uuid5(CASE_NAMESPACE, f"{kind}:{case_id}")


def seal_case(
    kind: str,
    case_id: object,
    items: Iterable[tuple[str, str, str, object]],
    *,
    key_created_at: Any = None,
) -> list[bytes | None]:
    """Seal texts of one case under its own data key, created on first use. `items` are
    (table, field, text, row id); an empty text seals to None (nothing to keep). A case
    whose key was shredded takes no new text (Gone). `key_created_at` replaces the key
    row's creation time (an anonymous report keeps the day only: the exact second could
    be matched against the reporter's sign-ins)."""
    rows = list(items)
    if not any(text for _, _, text, _ in rows):
        return [None for _ in rows]
    sid = case_subject(kind, case_id)
    key = subject_keys([sid]).get(str(sid))
    if key is None:
        if DataKey.objects.filter(subject_id=sid).exists():
            raise Gone("this case's texts were destroyed")
        key = create_data_key(sid)
        if key_created_at is not None:
            DataKey.objects.filter(subject_id=sid).update(created_at=key_created_at)
    return [key.seal(t, f, text, row) if text else None for t, f, text, row in rows]


def live_case_keys(cases: Iterable[tuple[str, object]]) -> list[tuple[str, object]]:
    """The cases of `cases` whose key exists and is not destroyed (one query per 500)."""
    by_subject = {str(case_subject(k, c)): (k, c) for k, c in cases}
    subjects = list(by_subject)
    live: set[str] = set()
    for i in range(0, len(subjects), IN_SIZE):
        part = subjects[i : i + IN_SIZE]
        rows = DataKey.objects.filter(subject_id__in=part, destroyed_at__isnull=True)
        live.update(str(s) for s in rows.values_list("subject_id", flat=True))
    return [case for s, case in by_subject.items() if s in live]


def shred_case(kind: str, case_id: object, basis: str) -> None:
    """Destroy a case's texts by destroying its key (retention, R-C5)."""
    sid = case_subject(kind, case_id)
    if DataKey.objects.filter(subject_id=sid, destroyed_at__isnull=True).exists():
        shred(sid, basis)


def subject_key(subject_id: uuid.UUID) -> SubjectKey:
    key = subject_keys([subject_id]).get(str(subject_id))
    if key is None:
        raise Gone("subject data key destroyed or missing")
    return key


# -- blind indexes -----------------------------------------------------------------------
def indexer(field: str) -> FieldIndexer:
    ring = get_keyring()
    cache_key = (str(ring.directory), field)
    ix = _indexers.get(cache_key)
    if ix is None:
        plan = BlindIndexPlan.objects.filter(field=field).first()
        if plan is None:
            expected = settings.BAOMI_EXPECTED_CUSTOMERS
            plan, _ = BlindIndexPlan.objects.get_or_create(
                field=field, defaults={"bits": plan_bits(expected), "planned_for": expected}
            )
        ix = FieldIndexer(field, derive_field_key(ring.index_root(), field), plan.bits)
        _indexers[cache_key] = ix
    return ix


def index_entries(subject_id: uuid.UUID, values: dict[str, str]) -> list[BlindIndexEntry]:
    """Unsaved blind-index rows for a subject's normalised values (field → value)."""
    return [
        BlindIndexEntry(field=f, bucket=indexer(f).bucket(v), subject_id=subject_id)
        for f, v in values.items()
        if v
    ]


def replace_index(subject_id: uuid.UUID, values: dict[str, str]) -> None:
    BlindIndexEntry.objects.filter(subject_id=subject_id, field__in=list(values)).delete()
    BlindIndexEntry.objects.bulk_create(index_entries(subject_id, values))


_SUBJECT = Loader(BlindIndexEntry, ["subject_id"])


def candidates(field: str, normalised: str) -> list[uuid.UUID]:
    """Subjects in the value's blind-index bucket: one prepared statement on the
    (field, bucket) index (decision 0040: an exact lookup's first query)."""
    bucket = indexer(field).bucket(normalised)
    ld = _SUBJECT

    def build() -> str:
        qn = connection.ops.quote_name
        opts = BlindIndexEntry._meta
        return (  # names from the model; values are parameters
            f"SELECT DISTINCT {ld.columns('b')} FROM {qn(opts.db_table)} b "  # noqa: S608
            f"WHERE b.{col(BlindIndexEntry, 'field')} = %s "
            f"AND b.{col(BlindIndexEntry, 'bucket')} = %s"
        )

    sql = statement(("candidates",), build)
    with connection.cursor() as cur:
        cur.execute(sql, [field, bucket])
        return [ld.values(r)[0] for r in cur.fetchall()]


def candidates_many(field: str, values: Iterable[str]) -> dict[int, list[uuid.UUID]]:
    """Bucket → subject ids, for batch de-duplication during import."""
    ix = indexer(field)
    buckets = {ix.bucket(v) for v in values if v}
    out: dict[int, list[uuid.UUID]] = {}
    if not buckets:
        return out
    rows = BlindIndexEntry.objects.filter(field=field, bucket__in=buckets).values_list(
        "bucket", "subject_id"
    )
    for bucket, sid in rows:
        out.setdefault(bucket, []).append(sid)
    return out


# -- bulk writes (the importer; decision 0022) ------------------------------------------------
# The vault's tables (data keys, blind-index rows) are written only here: a bulk caller hands
# over subjects and plaintexts and gets ciphertexts back; it never holds a data key and never
# builds SQL for a vault table. Statements are prepared `executemany` inserts built from the
# models' own columns (one SQL text per shape, so SQLite prepares each once).
_DATAKEY_COLS = ("subject_id", "dek_version", "kek_version", "wrapped", "created_at")
_INDEX_COLS = ("field", "bucket", "subject_id")
IN_SIZE = 500  # IN lists always this long (padded): one prepared statement per query shape


def _padded(values: list[Any]) -> list[Any]:
    return values + [values[-1]] * (IN_SIZE - len(values)) if values else values


def seal_new_subjects(
    table: str,
    items: Sequence[tuple[uuid.UUID, Sequence[tuple[str, str | None]]]],
    *,
    created_at: object,
) -> list[list[bytes | None]]:
    """A fresh data key per new subject (wrapped by the KEK, inserted in one statement) and
    each (field, plaintext) sealed under it; None stays None. Inside the caller's
    transaction, so a subject's key lands with its sealed row or not at all."""

    ring = get_keyring()
    rows: list[tuple[Any, ...]] = []
    out: list[list[bytes | None]] = []
    created = db_value(DataKey, "created_at", created_at)
    to_db = db_converter(DataKey, "subject_id")
    for subject_id, fields in items:
        raw = os.urandom(32)
        sid = str(subject_id)
        version, wrapped = ring.wrap(raw, dek_aad(sid, 1))
        rows.append((to_db(subject_id), 1, version, wrapped, created))
        key = SubjectKey(sid, 1, raw)
        # kept in this process's cache (as `new_data_key` does): the batch's records are
        # sealed under it next (`seal_rows`) without unwrapping it again. A rolled-back
        # batch leaves an entry no DataKey row matches: `subject_keys` never returns it.
        _remember(key)
        out.append([None if v is None else key.seal(table, f, v) for f, v in fields])
    if rows:
        with connection.cursor() as cur:
            cur.executemany(insert_sql(DataKey, _DATAKEY_COLS), rows)
    return out


def seal_existing_subjects(
    table: str, items: Sequence[tuple[uuid.UUID, Sequence[tuple[str, str]]]]
) -> list[list[bytes] | None]:
    """`seal_for` for many stored subjects, one key fetch per 500: each (field, plaintext)
    sealed under its subject's live key; None for a subject whose key is destroyed."""
    keys: dict[str, SubjectKey] = {}
    ids = list(dict.fromkeys(s for s, _ in items))
    for n in range(0, len(ids), IN_SIZE):
        keys.update(subject_keys(ids[n : n + IN_SIZE]))
    out: list[list[bytes] | None] = []
    for subject_id, fields in items:
        key = keys.get(str(subject_id))
        out.append(None if key is None else [key.seal(table, f, v) for f, v in fields])
    return out


def _live_keys(subject_ids: Iterable[uuid.UUID]) -> dict[str, SubjectKey]:
    """`subject_keys` for a bulk writer: the live (not destroyed) key version of each
    subject read with one padded statement per 500 — no model instances, no wrapped key
    fetched — and the cached key used when its version matches (the keys `seal_new_subjects`
    just made in this batch always do); the others through `subject_keys` (unwrapped)."""
    ids = list(dict.fromkeys(str(s) for s in subject_ids))
    to_db = db_converter(DataKey, "subject_id")
    qn = connection.ops.quote_name
    live: dict[str, int] = {}
    with connection.cursor() as cur:
        for n in range(0, len(ids), IN_SIZE):
            part = _padded([to_db(s) for s in ids[n : n + IN_SIZE]])
            cur.execute(
                f"SELECT {qn('subject_id')}, {qn('dek_version')} FROM "  # noqa: S608 (model names)
                f"{qn(DataKey._meta.db_table)} WHERE {qn('destroyed_at')} IS NULL AND "
                f"{qn('subject_id')} IN ({', '.join(['%s'] * len(part))})",
                part,
            )
            for sid, version in cur.fetchall():
                live[str(sid if isinstance(sid, uuid.UUID) else uuid.UUID(str(sid)))] = version
    found: dict[str, SubjectKey] = {}
    missing: list[uuid.UUID] = []
    with _cache_lock:
        for sid, version in live.items():
            k = _cache.get(sid)
            if k is not None and k.dek_version == version:
                found[sid] = k
            else:
                missing.append(uuid.UUID(sid))
    for n in range(0, len(missing), IN_SIZE):
        found.update(subject_keys(missing[n : n + IN_SIZE]))
    return found


def seal_rows(
    table: str,
    items: Sequence[tuple[uuid.UUID, object, Sequence[tuple[str, str | None]]]],
) -> list[list[bytes | None] | None]:
    """Seal the fields of rows that belong to stored subjects but are not the subject's
    own row — a customer's stays, bookings, shipments (the importer's record columns,
    decision 0039): each item is (subject, row id, [(field, plaintext or None)]), sealed
    under the subject's live key with the row id in the associated data, as
    `SubjectKey.seal(table, field, text, row_id)` binds it. One key fetch per 500
    subjects; None for a subject whose key is destroyed (erased)."""
    keys = _live_keys([s for s, _, _ in items])
    out: list[list[bytes | None] | None] = []
    for subject_id, row_id, fields in items:
        key = keys.get(str(subject_id))
        row = str(row_id)  # once per row, not once per field
        out.append(
            None
            if key is None
            else [None if v is None else key.seal(table, f, v, row) for f, v in fields]
        )
    return out


def add_index_rows(rows: Iterable[tuple[str, int, uuid.UUID]]) -> None:
    """Insert blind-index rows (field, bucket, subject) in one statement."""

    to_db = db_converter(BlindIndexEntry, "subject_id")
    params = [(f, b, to_db(s)) for f, b, s in rows]
    if params:
        with connection.cursor() as cur:
            cur.executemany(insert_sql(BlindIndexEntry, _INDEX_COLS), params)


def replace_index_rows(rows: Sequence[tuple[str, int, uuid.UUID]]) -> None:
    """For each (field, bucket, subject): drop the subject's rows of that field, then insert
    the new ones (a merge re-indexes the fields it changed)."""

    if not rows:
        return
    qn = connection.ops.quote_name
    bidx = qn(BlindIndexEntry._meta.db_table)
    to_db = db_converter(BlindIndexEntry, "subject_id")
    gone = list(dict.fromkeys((to_db(s), f) for f, _, s in rows))
    with connection.cursor() as cur:
        cur.executemany(
            f"DELETE FROM {bidx} WHERE {qn('subject_id')} = %s AND {qn('field')} = %s",  # noqa: S608
            gone,
        )
    add_index_rows(rows)


def bucket_members(field: str, buckets: Iterable[int]) -> dict[int, list[object]]:
    """Bucket → subject ids (as the database returns them: str on SQLite, UUID on
    PostgreSQL) for many buckets of one field: the bulk de-duplication's candidates, with
    no ORM conversion per row."""
    wanted = sorted(set(buckets))
    out: dict[int, list[object]] = {}
    qn = connection.ops.quote_name
    with connection.cursor() as cur:
        for n in range(0, len(wanted), IN_SIZE):
            part = _padded(list(wanted[n : n + IN_SIZE]))
            cur.execute(
                f"SELECT {qn('bucket')}, {qn('subject_id')} FROM "  # noqa: S608 (model names)
                f"{qn(BlindIndexEntry._meta.db_table)} WHERE {qn('field')} = %s AND "
                f"{qn('bucket')} IN ({', '.join(['%s'] * len(part))})",
                [field, *part],
            )
            for bucket, sid in cur.fetchall():
                out.setdefault(bucket, []).append(sid)
    return out


# -- identity locks (decision 0014) -------------------------------------------------------------
# PostgreSQL runs transactions READ COMMITTED: two creates of the same person could both
# find no duplicate and both insert (issue #11: up to 8 × 201 for 8 clients). Whoever checks
# for a duplicate and then writes holds a transaction-scoped advisory lock on the blind-index
# buckets that decide the duplicate (the ID number's, the phone's: same phone + name always
# share the phone bucket), after a shared lock on the "identity" namespace; a bulk import
# takes that namespace lock exclusively per batch (thousands of buckets per batch would
# exhaust the lock table). Waiting on a lock ends when its holder commits, and the
# duplicate check's next statement then sees the holder's rows. SQLite needs none of it:
# every transaction is BEGIN IMMEDIATE, so writers are already one at a time.
_IDENTITY_NAMESPACE = int.from_bytes(
    hashlib.sha256(b"baomi/identity").digest()[:8], "big", signed=True
)


def _lock_key(field: str, bucket: int) -> int:
    digest = hashlib.sha256(f"baomi/identity/{field}/{bucket}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _require_transaction() -> None:
    if not connection.in_atomic_block:
        raise RuntimeError("identity locks are transaction-scoped: call inside transaction.atomic")


def lock_identities(values: dict[str, str]) -> None:
    """Serialise duplicate-check-then-write for these normalised indexed values (field →
    value; the fields that decide a duplicate: id_number, phone) until the transaction
    ends. Locks are taken in one sorted order, so two callers never deadlock."""
    if connection.vendor != "postgresql":
        return
    _require_transaction()
    keys = sorted({_lock_key(f, indexer(f).bucket(v)) for f, v in values.items() if v})
    with connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock_shared(%s)", [_IDENTITY_NAMESPACE])
        for k in keys:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", [k])


def lock_all_identities() -> None:
    """The whole identity namespace until the transaction ends (an import batch): waits for
    every create in flight to commit and holds new ones back until this batch commits."""
    if connection.vendor != "postgresql":
        return
    _require_transaction()
    with connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(%s)", [_IDENTITY_NAMESPACE])


# -- crypto-shredding ------------------------------------------------------------------------
def shred(subject_id: uuid.UUID, basis: str) -> None:
    """Destroy a subject's DEK and blind-index rows: all its ciphertexts become noise."""
    with transaction.atomic():
        DataKey.objects.filter(subject_id=subject_id).update(wrapped=b"", destroyed_at=clock.now())
        BlindIndexEntry.objects.filter(subject_id=subject_id).delete()
        ShredJournal.objects.get_or_create(subject_id=subject_id, defaults={"basis": basis[:200]})
    with _cache_lock:
        _cache.pop(str(subject_id), None)


def replay_shred_journal(subject_ids: Iterable[uuid.UUID]) -> int:
    """After a restore: re-shred every subject the (newer) journal lists."""
    n = 0
    for sid in subject_ids:
        DataKey.objects.filter(subject_id=sid).update(wrapped=b"", destroyed_at=clock.now())
        BlindIndexEntry.objects.filter(subject_id=sid).delete()
        ShredJournal.objects.get_or_create(subject_id=sid, defaults={"basis": "replayed"})
        n += 1
    clear_caches()
    return n


# -- rotation ----------------------------------------------------------------------------------
def key_status() -> dict[str, object]:
    ring = get_keyring()
    counts: dict[int, int] = {}
    for v in DataKey.objects.filter(destroyed_at__isnull=True).values_list(
        "kek_version", flat=True
    ):
        counts[v] = counts.get(v, 0) + 1
    return {
        "key_dir": str(ring.directory),
        "primary": ring.primary_version(),
        "versions": [
            {
                "version": kv.version,
                "state": kv.state,
                "created_at": kv.created_at,
                "wrapped_keys": counts.get(kv.version, 0),
            }
            for kv in ring.versions()
        ],
        "stale_keys": sum(c for v, c in counts.items() if v != ring.primary_version()),
        # AES-GCM with random 96-bit nonces: stay far below 2^32 encryptions per key.
        "rotate_recommended": counts.get(ring.primary_version(), 0) >= WRAP_ROTATE_AT,
        "shredded": DataKey.objects.filter(destroyed_at__isnull=False).count(),
    }


def rewrap(batch: int = 500, progress: Callable[[int], None] | None = None) -> int:
    """Move every live DEK to the primary KEK version. Each batch commits on its own, so a
    killed run loses nothing and a re-run resumes with the keys still on old versions."""
    ring = get_keyring()
    primary = ring.primary_version()
    done = 0
    while True:
        with transaction.atomic():
            rows = list(
                DataKey.objects.select_for_update()
                .filter(destroyed_at__isnull=True)
                .exclude(kek_version=primary)
                .order_by("subject_id")[:batch]
            )
            if not rows:
                return done
            for row in rows:
                aad = dek_aad(str(row.subject_id), row.dek_version)
                raw = ring.unwrap(row.kek_version, bytes(row.wrapped), aad)
                row.kek_version, row.wrapped = ring.wrap(raw, aad)
            DataKey.objects.bulk_update(rows, ["kek_version", "wrapped"])
        done += len(rows)
        if progress:
            progress(len(rows))


# -- blind-index rows for the duplicate queue (issue #16) ----------------------------------------
def index_rows_of(subject_id: uuid.UUID) -> list[tuple[str, int]]:
    """A subject's blind-index rows (field, bucket): kept by a merge so an unmerge puts
    them back exactly."""
    return [
        (f, int(b))
        for f, b in BlindIndexEntry.objects.filter(subject_id=subject_id).values_list(
            "field", "bucket"
        )
    ]


def restore_index_rows(subject_id: uuid.UUID, rows: Iterable[tuple[str, int]]) -> None:
    """Replace all of a subject's blind-index rows with `rows` (an unmerge)."""
    BlindIndexEntry.objects.filter(subject_id=subject_id).delete()
    BlindIndexEntry.objects.bulk_create(
        BlindIndexEntry(field=f, bucket=b, subject_id=subject_id) for f, b in rows
    )


def drop_index_fields(subject_id: uuid.UUID, fields: Iterable[str]) -> None:
    """Remove a subject's blind-index rows of these fields (the value was removed)."""
    BlindIndexEntry.objects.filter(subject_id=subject_id, field__in=list(fields)).delete()


def bucket_groups(fields: Iterable[str]) -> dict[tuple[str, int], list[uuid.UUID]]:
    """(field, bucket) → subjects sharing it, for these fields: blocking keys of the
    duplicate scan (keyed hashes; nothing is decrypted)."""
    out: dict[tuple[str, int], list[uuid.UUID]] = {}
    rows = BlindIndexEntry.objects.filter(field__in=list(fields)).values_list(
        "field", "bucket", "subject_id"
    )
    for f, b, sid in rows.iterator(chunk_size=10_000):
        out.setdefault((f, int(b)), []).append(sid)
    return out
