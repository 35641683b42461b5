"""TOTP seeds sealed under the vault's key-encryption key (issue #9 §4; R-C2; ASVS 5.0
V13.3.1: "keys and seeds for time-based tokens" belong in the secrets store).

django-otp keeps a device's seed as hex in `otp_totp_totpdevice.key`; whoever could read
the database could mint every staff member's codes. The column now holds
`k<KEK version>:<base64(nonce | AES-256-GCM ciphertext | tag)>`, wrapped by the keyring
(`vault.keys`) with associated data binding it to the staff account, so a sealed seed
copied to another account does not open. `baomi keys rewrap` moves seeds to the primary
KEK with the data keys, and `baomi keys retire` refuses a version that still seals one.
"""

from __future__ import annotations

from baomi.vault import secrets
from baomi.vault.secrets import is_sealed, version_of

__all__ = ["is_sealed", "open_seed", "seal", "version_of"]


def _label(user_id: object) -> str:
    return f"baomi/totp-seed/v1/staff:{user_id}"


def seal(user_id: object, hex_seed: str) -> str:
    return secrets.seal(_label(user_id), bytes.fromhex(hex_seed))


def open_seed(user_id: object, stored: str) -> bytes:
    """The raw seed. A seed not sealed yet (a row written before the migration) is read
    as django-otp wrote it."""
    if not is_sealed(stored):
        return bytes.fromhex(stored)
    return secrets.open_sealed(_label(user_id), stored)
