"""Canonical bytes of an audit event: what its Merkle leaf hash covers (format v1).

    leaf bytes = b"baomi.audit.v1\\n" + UTF-8( JSON array, separators "," and ":",
                 non-ASCII as is ) of, in this order:
      seq, at, actor_id, actor_username, actor_role, action, purpose, object_type,
      object_id, fields, outcome, request_id, client_ip, user_agent, detail

* ``at`` is UTC as text ``YYYY-MM-DD HH:MM:SS.ffffff`` (always six fraction digits);
* ``actor_id`` is an integer or null, ``seq`` an integer; other columns are strings;
* ``fields`` and ``detail`` enter as *strings*: their canonical JSON text, i.e.
  ``json.dumps(value, sort_keys=True)`` with Python's default separators (", " and ": ")
  and ASCII escapes. Values are normalised before they are stored (JSON types only, keys
  sorted, floats ≥ 1e16 as integers, no NUL or lone surrogates) so that both SQLite (which
  keeps the text as written) and PostgreSQL (which re-encodes jsonb) give the same bytes back.

Every column is covered: changing, adding or removing any byte of any column changes the
leaf hash. The version prefix lets a later format coexist with this one.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

PREFIX = b"baomi.audit.v1\n"
COLUMNS = (
    "seq",
    "at",
    "actor_id",
    "actor_username",
    "actor_role",
    "action",
    "purpose",
    "object_type",
    "object_id",
    "fields",
    "outcome",
    "request_id",
    "client_ip",
    "user_agent",
    "detail",
)
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_json_text = json.JSONEncoder(sort_keys=True).encode


def clean_text(s: str) -> str:
    """Strings as both databases store them: no NUL, no lone surrogates."""
    s = str(s)
    if "\x00" in s:
        s = s.replace("\x00", "\ufffd")
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        s = s.encode("utf-8", "replace").decode("utf-8")
    return s


def normalise(value: Any) -> Any:
    """A JSON-native copy of `value` whose text survives a jsonb round trip unchanged."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        return int(value) if abs(value) >= 1e16 else value
    if isinstance(value, Mapping):
        items = [(clean_text(str(k)), normalise(v)) for k, v in value.items()]
        return dict(sorted(items, key=lambda kv: kv[0]))
    if isinstance(value, (list, tuple)):
        return [normalise(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((normalise(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    if isinstance(value, datetime):
        return value.isoformat()
    return clean_text(str(value))


def json_text(value: Any) -> str:
    """Canonical JSON text of an already normalised value (also what SQLite stores)."""
    return _json_text(value)


def json_text_from_db(value: Any) -> str:
    """Canonical JSON text from what the database returns (text or decoded jsonb)."""
    if isinstance(value, (str, bytes, bytearray)):
        value = json.loads(value)
    return _json_text(value)


def time_text(at: datetime) -> str:
    if at.tzinfo is not None:
        at = at.astimezone(UTC).replace(tzinfo=None)
    return at.strftime("%Y-%m-%d %H:%M:%S.%f")


def time_text_from_sqlite(raw: str) -> str:
    """Django stores UTC as ``str(naive datetime)``: the fraction is missing when zero."""
    if len(raw) == 26:
        return raw
    if len(raw) == 19:
        return raw + ".000000"
    return time_text(datetime.fromisoformat(raw))


def leaf_bytes(row: Sequence[Any]) -> bytes:
    """Canonical bytes from a row already in canonical column form (see module doc)."""
    return PREFIX + _encode(list(row)).encode("utf-8")
