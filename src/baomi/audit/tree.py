"""Storage of the Merkle tree: the head row, node rows, and canonical event rows (raw SQL).

Raw SQL because this is the hot path (every audited read, thousands of events per import
batch) and because verification must see exactly what the database holds, bypassing the
ORM's conversions. Works on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from . import canonical, merkle

EVENT_COLUMNS = ", ".join(canonical.COLUMNS)
_PLACEHOLDERS = ", ".join(["%s"] * len(canonical.COLUMNS))
_PG_PLACEHOLDERS = ", ".join(
    "%s::jsonb" if c in ("fields", "detail") else "%s" for c in canonical.COLUMNS
)
# the SQL below is built from constants only (no input reaches it)
INSERT_EVENT = {
    "sqlite": f"INSERT INTO audit_event ({EVENT_COLUMNS}) VALUES ({_PLACEHOLDERS})",  # noqa: S608
    "postgresql": f"INSERT INTO audit_event ({EVENT_COLUMNS}) VALUES ({_PG_PLACEHOLDERS})",  # noqa: S608
}
INSERT_NODE = "INSERT INTO audit_node (id, hash) VALUES (%s, %s)"
INSERT_SUBJECT = "INSERT INTO audit_event_subject (seq, subject_id) VALUES (%s, %s)"
_PG_SELECT = (
    "SELECT seq, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'), actor_id, "
    "actor_username, actor_role, action, purpose, object_type, object_id, fields::text, "
    "outcome, request_id, client_ip, user_agent, detail::text FROM audit_event"
)
# CAST: Django registers a datetime converter for SQLite; verification wants the raw text
_SQLITE_SELECT = (
    "SELECT seq, CAST(at AS TEXT), actor_id, actor_username, actor_role, action, purpose, "
    "object_type, object_id, fields, outcome, request_id, client_ip, user_agent, detail "
    "FROM audit_event"
)


class TreeCorrupt(Exception):
    """The stored tree cannot serve a request (missing nodes): run `baomi audit verify`."""


@dataclass
class Head:
    size: int
    frontier: merkle.Frontier
    checkpoint_size: int
    checkpoint_at: datetime | None


def _bytes(v: Any) -> bytes:
    return bytes(v) if v is not None else b""


def lock_head(cursor: Any, vendor: str) -> Head:
    """Read the head row, locked until the caller's transaction ends (PostgreSQL FOR
    UPDATE; SQLite transactions already hold the single write lock). Recreates a missing
    head from the stored tree (it is a cache; `verify` checks it)."""
    lock = " FOR UPDATE" if vendor == "postgresql" else ""
    sql = "SELECT size, frontier, checkpoint_size, checkpoint_at FROM audit_head WHERE id = 1"
    cursor.execute(sql + lock)
    row = cursor.fetchone()
    if row is None:
        _create_head(cursor, vendor)
        cursor.execute(sql + lock)
        row = cursor.fetchone()
    size, blob, cp_size, cp_at = row
    if isinstance(cp_at, str):
        cp_at = datetime.fromisoformat(cp_at)
    if cp_at is not None and cp_at.tzinfo is None:
        cp_at = cp_at.replace(tzinfo=UTC)
    return Head(int(size), merkle.Frontier.from_blob(int(size), _bytes(blob)), int(cp_size), cp_at)


def _create_head(cursor: Any, vendor: str) -> None:
    cursor.execute("SELECT COALESCE(MAX(seq), 0) FROM audit_event")
    size = int(cursor.fetchone()[0])
    ids = merkle.frontier_terms(size)
    nodes = read_nodes(cursor, ids)
    missing = [i for i in ids if i not in nodes]
    if missing:
        raise TreeCorrupt("the audit head is missing and the stored tree is incomplete")
    blob = b"".join(nodes[i] for i in ids)
    conflict = " ON CONFLICT (id) DO NOTHING" if vendor == "postgresql" else ""
    verb = "INSERT" if vendor == "postgresql" else "INSERT OR IGNORE"
    cursor.execute(
        f"{verb} INTO audit_head (id, size, frontier, checkpoint_size, checkpoint_at) "
        f"VALUES (1, %s, %s, 0, NULL){conflict}",
        [size, blob],
    )


def write_head(cursor: Any, vendor: str, head: Head) -> None:
    cp_at: Any = head.checkpoint_at
    if vendor == "sqlite" and cp_at is not None:
        cp_at = canonical.time_text(cp_at)
    cursor.execute(
        "UPDATE audit_head SET size = %s, frontier = %s, checkpoint_size = %s, "
        "checkpoint_at = %s WHERE id = 1",
        [head.size, head.frontier.blob(), head.checkpoint_size, cp_at],
    )


def read_head(cursor: Any) -> tuple[int, bytes] | None:
    cursor.execute("SELECT size, frontier FROM audit_head WHERE id = 1")
    row = cursor.fetchone()
    return (int(row[0]), _bytes(row[1])) if row else None


def read_nodes(cursor: Any, ids: Iterable[int]) -> dict[int, bytes]:
    ids = sorted(set(ids))
    out: dict[int, bytes] = {}
    for i in range(0, len(ids), 500):
        part = ids[i : i + 500]
        marks = ", ".join(["%s"] * len(part))
        cursor.execute(f"SELECT id, hash FROM audit_node WHERE id IN ({marks})", part)  # noqa: S608
        out.update((int(k), bytes(v)) for k, v in cursor.fetchall())
    return out


def read_node_range(cursor: Any, lo: int, hi: int) -> dict[int, bytes]:
    cursor.execute("SELECT id, hash FROM audit_node WHERE id >= %s AND id < %s", [lo, hi])
    return {int(k): bytes(v) for k, v in cursor.fetchall()}


def insert_nodes(cursor: Any, nodes: Sequence[tuple[int, bytes]]) -> None:
    if nodes:
        cursor.executemany(INSERT_NODE, nodes)


def canonical_rows(cursor: Any, vendor: str, after: int, limit: int) -> list[list[Any]]:
    """Events with seq > after, in seq order, as canonical column lists."""
    if vendor == "postgresql":
        cursor.execute(_PG_SELECT + " WHERE seq > %s ORDER BY seq LIMIT %s", [after, limit])
        rows = [list(r) for r in cursor.fetchall()]
        text = canonical.json_text_from_db
        for r in rows:
            r[9] = text(r[9])
            r[14] = text(r[14])
        return rows
    cursor.execute(_SQLITE_SELECT + " WHERE seq > %s ORDER BY seq LIMIT %s", [after, limit])
    rows = [list(r) for r in cursor.fetchall()]
    fix = canonical.time_text_from_sqlite
    for r in rows:
        if len(r[1]) != 26:
            r[1] = fix(r[1])
    return rows


# SQLite builds the canonical bytes itself (json_array writes exactly the JSON the Python
# encoder writes for these types): ~5x faster verification. A row whose bytes do not match
# its stored leaf is re-encoded in Python before it is called tampered (`canonical_rows`).
_SQLITE_LEAF_BYTES = (
    "SELECT seq, CAST('baomi.audit.v1' || char(10) || "
    "json_array(seq, CASE WHEN length(at) = 19 THEN at || '.000000' ELSE at END, actor_id, "
    "actor_username, actor_role, action, purpose, object_type, object_id, fields, outcome, "
    "request_id, client_ip, user_agent, detail) AS BLOB) FROM audit_event "
    "WHERE seq > %s AND seq <= %s ORDER BY seq"
)
assert canonical.PREFIX == b"baomi.audit.v1\n"


def leaf_bytes_rows(cursor: Any, vendor: str, after: int, upto: int) -> list[tuple[int, bytes]]:
    """(seq, canonical bytes) of events with after < seq <= upto, in seq order."""
    if vendor == "sqlite":
        cursor.execute(_SQLITE_LEAF_BYTES, [after, upto])
        return cursor.fetchall()
    rows = canonical_rows(cursor, vendor, after, upto - after)
    return [(r[0], canonical.leaf_bytes(r)) for r in rows if r[0] <= upto]


def iter_canonical_rows(cursor: Any, vendor: str, chunk: int = 50_000) -> Iterator[list[list[Any]]]:
    after = 0
    while True:
        rows = canonical_rows(cursor, vendor, after, chunk)
        if not rows:
            return
        yield rows
        after = rows[-1][0]


def rebuild_from_events(connection: Any) -> int:
    """Build nodes and the head for the events already stored (migration 0004).

    Only for a log without nodes; returns the number of leaves written."""
    vendor = connection.vendor
    with connection.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM audit_node")
        if cur.fetchone()[0]:
            raise TreeCorrupt("the tree already has nodes")
        f = merkle.Frontier()
        leaf = merkle.leaf_hash
        for rows in iter_canonical_rows(cur, vendor):
            nodes: list[tuple[int, bytes]] = []
            for r in rows:
                if r[0] != f.size + 1:
                    raise TreeCorrupt(f"event seq {r[0]} is not contiguous")
                nodes.extend(f.push(leaf(canonical.leaf_bytes(r))))
            insert_nodes(cur, nodes)
        cur.execute("DELETE FROM audit_head")
        cur.execute(
            "INSERT INTO audit_head (id, size, frontier, checkpoint_size, checkpoint_at) "
            "VALUES (1, %s, %s, 0, NULL)",
            [f.size, f.blob()],
        )
        return f.size
