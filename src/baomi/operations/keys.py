"""Keyed digests that find a stay by hotel × day or hotel × room without a plain date or
room in the database (decision 0025).

HMAC-SHA256 under a key derived (HKDF, `baomi/blind-index/v1/operations.<kind>`) from the
blind-index root — separate from the encryption keys — over `site code|value`, cut to 128
bits (no shared buckets: these are lookups, not identity indexes). What a database reader
learns: which stays of one hotel share an arrival day, a departure day or a room, never
which day or room. Erasure blanks them (participant eraser).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from functools import lru_cache

from baomi.catalog import validators
from baomi.vault.blind import derive_field_key
from baomi.vault.keys import get_keyring


@lru_cache(maxsize=8)
def _key(kind: str, directory: str) -> bytes:
    return derive_field_key(get_keyring().index_root(), f"operations.{kind}")


def digest(kind: str, site: str, value: str) -> str:
    key = _key(kind, str(get_keyring().directory))
    return hmac.new(key, f"{site}|{value}".encode(), hashlib.sha256).hexdigest()[:32]


def day_key(kind: str, site: str, day: dt.date | str) -> str:
    text = day.isoformat() if isinstance(day, dt.date) else str(day)
    return digest(kind, site, text)


def room_key(site: str, room: str) -> str:
    return digest("room", site, normal_room(room))


def normal_room(room: object) -> str:
    return validators.short_text(room).strip().upper()
