"""AES-256-GCM field sealing with associated data (table, field, subject id, key version).

A ciphertext moved to another row or field, or with any flipped bit, fails the GCM tag
check and raises IntegrityFailure: never plaintext, never partial data.

Format: 0x01 | nonce (12) | ciphertext | tag (16)
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from baomi.core.errors import IntegrityFailure

FORMAT_V1 = b"\x01"
NONCE_LEN = 12


def field_aad(table: str, field: str, subject_id: str, row_id: str, dek_version: int) -> bytes:
    return f"baomi|{table}|{field}|{subject_id}|{row_id}|{dek_version}".encode()


def dek_aad(subject_id: str, dek_version: int) -> bytes:
    return f"baomi-dek|{subject_id}|{dek_version}".encode()


class SubjectKey:
    """An unwrapped per-subject DEK, able to seal and open that subject's fields."""

    __slots__ = ("_aead", "dek_version", "subject_id")

    def __init__(self, subject_id: str, dek_version: int, key: bytes) -> None:
        self.subject_id = subject_id
        self.dek_version = dek_version
        self._aead = AESGCM(key)

    def seal(self, table: str, field: str, plaintext: str, row_id: object = None) -> bytes:
        """Encrypt one value; `row_id` defaults to the subject (the customer row itself)."""
        nonce = os.urandom(NONCE_LEN)
        row = self.subject_id if row_id is None else str(row_id)
        aad = field_aad(table, field, self.subject_id, row, self.dek_version)
        return FORMAT_V1 + nonce + self._aead.encrypt(nonce, plaintext.encode(), aad)

    def open(self, table: str, field: str, sealed: bytes, row_id: object = None) -> str:
        data = bytes(sealed)
        row = self.subject_id if row_id is None else str(row_id)
        if len(data) < 1 + NONCE_LEN + 16 or data[:1] != FORMAT_V1:
            raise IntegrityFailure(f"{table}.{field}: malformed ciphertext")
        aad = field_aad(table, field, self.subject_id, row, self.dek_version)
        try:
            return self._aead.decrypt(data[1 : 1 + NONCE_LEN], data[1 + NONCE_LEN :], aad).decode()
        except InvalidTag as exc:
            raise IntegrityFailure(f"{table}.{field}: ciphertext failed authentication") from exc
