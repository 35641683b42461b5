"""Blind indexes: truncated HMAC-SHA256 over normalised values, one derived key per field.

Keys: HKDF-SHA256(index root key, info="baomi/blind-index/v1/<field>") — the index root is a
separate secret from the KEK, so an index key leak reveals no ciphertext.

Planner (CipherSweet's rule): with N expected subjects and b bits, a bucket holds on average
N / 2^b subjects. We want at least 2 (so a bucket never pins one person) and fewer than √N
(so lookups stay cheap). `plan_bits` picks b = floor(log2(N / 4)), i.e. 4–8 per bucket,
plus one bit when that bucket would not be smaller than √N (only for 16 ≤ N < 32, where
4–8 ≥ √N): so for every N ≥ 16, 2 ≤ N / 2^b < √N. Below 16 the plan is the one for 16.
Leakage trade-off: more bits = fewer false candidates to decrypt, but a bucket closer to
identifying one person; fewer bits = more decrypts per lookup. See docs/vault.md.
"""

from __future__ import annotations

import hashlib
import hmac

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MAX_BITS = 62  # stays within a signed 64-bit integer column


def plan_bits(expected: int) -> int:
    n = max(int(expected), 16)
    bits = (n // 4).bit_length() - 1  # floor(log2(n / 4)), exact in integers at any size
    if n >= 4**bits:  # n / 2^bits >= sqrt(n): only for 16 <= n < 32, where 4-8 >= sqrt(n)
        bits += 1
    return max(2, min(MAX_BITS, bits))


def derive_field_key(index_root: bytes, field: str) -> bytes:
    hkdf = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=None,
        info=f"baomi/blind-index/v1/{field}".encode(),
    )
    return hkdf.derive(index_root)


class FieldIndexer:
    """Computes the bucket of normalised values for one field."""

    __slots__ = ("_base", "bits", "field")

    def __init__(self, field: str, key: bytes, bits: int) -> None:
        self.field = field
        self.bits = bits
        self._base = hmac.new(key, digestmod=hashlib.sha256)

    def bucket(self, normalised: str) -> int:
        h = self._base.copy()
        h.update(normalised.encode())
        return int.from_bytes(h.digest()[:8], "big") >> (64 - self.bits)
