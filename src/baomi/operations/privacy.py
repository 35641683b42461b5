"""Recipient privacy on labels and at the door (R-M2, issue #17 §3).

* The label masking profile of GB/T 41833-2022 (快递电子运单): each name hides at least one
  character, each phone at least 6 digits, the address its unit and room.
* A pluggable privacy-number (relay) provider: the courier calls a relay number, never the
  recipient's phone. `BAOMI_RELAY_PROVIDER` names a callable `(waybill_no) -> str`; the
  default is a demo that derives a stable extension of a demo hotline from the number.
"""

from __future__ import annotations

import hashlib
import re

from django.conf import settings
from django.utils.module_loading import import_string

from baomi.catalog import masking

_UNIT = re.compile(r"(\d+|[一二三四五六七八九十]+)\s*(单元|室|房|号房|层|楼|栋|幢|座|号楼)")
_LATIN_UNIT = re.compile(r"\b(unit|room|rm|apt|flat|suite|floor|fl|#)\s*[\w-]+", re.I)


def label_name(value: str | None) -> str:
    """At least one character hidden, whatever the view gave (plain or already masked)."""
    if not value:
        return "—"
    if "*" in value:
        return value
    return masking.name(value)


def label_phone(value: str | None) -> str:
    """At least 6 digits hidden: the first 3 and the last 2 of a mobile number stay
    (`138******78`); shorter numbers show only their last 2."""
    if not value:
        return "—"
    raw = value.strip()
    if raw.startswith("+86"):
        raw = raw[3:]
    chars = [c for c in raw if c.isdigit() or c == "*"]
    if len(chars) >= 11:
        return "".join(chars[:3]) + "*" * (len(chars) - 5) + "".join(chars[-2:])
    if len(chars) > 2:
        return "*" * (len(chars) - 2) + "".join(chars[-2:])
    return "*" * len(chars)


def label_address(value: str | None) -> str:
    """The unit, floor and room hidden (`3单元502室` → `*单元*室`): sorting and delivery
    need the street and building, the doorstep is asked by relay call."""
    if not value:
        return "—"
    out = _UNIT.sub(lambda m: "*" + m.group(2), value)
    return _LATIN_UNIT.sub(lambda m: m.group(1) + " *", out)


def demo_relay(waybill_no: str) -> str:
    digest = hashlib.sha256(f"relay|{waybill_no}".encode()).hexdigest()
    ext = int(digest[:8], 16) % 10000
    return f"95013-{ext:04d}"


def relay_number(waybill_no: str) -> str:
    path = getattr(settings, "BAOMI_RELAY_PROVIDER", "")
    provider = import_string(path) if path else demo_relay
    return str(provider(waybill_no))
