"""What a scanned QR code says the booking is (issue #17 §1 "a QR code (e-ticket, WeChat)
fills a booking reference"). A keyboard-wedge scanner, or a phone's scanner app, types the
code's payload into a field, then Enter. The payloads seen at counters:

* the bare reference: `BK3F9A12C0DE` (often with a trailing CR / LF / tab);
* a link: `https://trip.example.cn/e-ticket?ref=BK3F9A12C0DE&lang=zh`, a WeChat
  mini-program path `pages/order/detail?orderNo=…`, or a `scene` parameter that itself
  holds `ref=…` (URL-encoded);
* a JSON object: `{"type":"eticket","booking_ref":"BK3F9A12C0DE"}` (one level of nesting
  under `data`, `order`, `booking` is followed);
* and the scanner's own noise: an AIM symbology prefix (`]Q1`), full-width characters
  from a Chinese input method (`ＢＫ３Ｆ…`), surrounding spaces or quotes.

`reference_of(payload)` answers the reference (upper case) or None when the payload names
none; `read(payload)` also says which shape it was. Pure: no database, no network — the
reference is then searched like a typed one (`selectors.by_reference`). A scanned link is
never opened."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

MAX_PAYLOAD = 2048  # a QR code holds at most ~2.9 kB; longer is not a scan
REFERENCE = re.compile(r"^[A-Z0-9][A-Z0-9._/-]{1,31}$")
# keys that carry the booking reference, compared without case, "_" or "-"
KEYS = (
    "ref",
    "reference",
    "bookingref",
    "bookingreference",
    "booking",
    "bookingno",
    "bookingid",
    "order",
    "orderno",
    "ordernumber",
    "orderid",
    "ticketno",
    "pnr",
)
NESTED = ("data", "order", "booking", "ticket", "params")
_AIM = re.compile(r"^\][A-Za-z][0-9A-Za-z]")  # ]Q1, ]d2, ]C0 … (ISO/IEC 15424)


@dataclass(frozen=True)
class Scan:
    reference: str
    shape: str  # plain | url | json


def _key(name: str) -> str:
    return re.sub(r"[_\-\s]", "", name).lower()


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).strip().strip("\"'“”‘’").strip()
    return _AIM.sub("", text, count=1).strip() if _AIM.match(text) else text


def _as_reference(value: Any) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return None
    ref = unicodedata.normalize("NFKC", value).strip().upper()
    return ref if REFERENCE.match(ref) else None


def _from_pairs(pairs: list[tuple[str, Any]], depth: int = 0) -> str | None:
    by_key = {_key(k): v for k, v in pairs}
    for k in KEYS:
        if k in by_key and (ref := _as_reference(by_key[k])):
            return ref
    if depth == 0 and "scene" in by_key:  # WeChat: scene=ref%3DBK… (already decoded once)
        scene = unquote(str(by_key["scene"]))
        if "=" in scene:
            return _from_pairs(parse_qsl(scene.replace(",", "&")), depth + 1)
        return _as_reference(scene)
    return None


def _from_url(text: str) -> str | None:
    parts = urlsplit(text)
    for query in (parts.query, parts.fragment.partition("?")[2], parts.fragment):
        if query and "=" in query:
            ref = _from_pairs(parse_qsl(query, keep_blank_values=False))
            if ref:
                return ref
    return None


def _from_json(obj: Any, depth: int = 0) -> str | None:
    if not isinstance(obj, dict) or depth > 1:
        return None
    ref = _from_pairs([(str(k), v) for k, v in obj.items() if isinstance(v, str | int)])
    if ref:
        return ref
    for k, v in obj.items():
        if _key(str(k)) in NESTED and (ref := _from_json(v, depth + 1)):
            return ref
    return None


def read(payload: object) -> Scan | None:
    """The reference a scanned payload carries, and its shape; None if it names none."""
    if not isinstance(payload, str) or not payload.strip() or len(payload) > MAX_PAYLOAD:
        return None
    text = _clean(payload)
    if text.startswith("{"):
        try:
            ref = _from_json(json.loads(text))
        except ValueError:
            return None
        return Scan(ref, "json") if ref else None
    if "://" in text or "?" in text:  # a link, or a mini-program path with a query
        ref = _from_url(text)
        return Scan(ref, "url") if ref else None
    ref = _as_reference(text)
    return Scan(ref, "plain") if ref else None


def reference_of(payload: object) -> str | None:
    scan = read(payload)
    return scan.reference if scan else None


def looks_scanned(payload: str) -> bool:
    """A payload that is clearly a link or a JSON object (so "no reference in it" is the
    thing to say, not "no record has this number")."""
    text = _clean(payload)
    return text.startswith("{") or "://" in text or "?" in text
