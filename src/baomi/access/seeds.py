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

__all__ = ["is_sealed", "open_seed", "rewrap", "seal", "sealed_under", "version_of"]


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


def rewrap(primary: int) -> int:
    """Re-seal every TOTP seed not under the primary KEK version; returns how many."""
    from django.db import transaction

    from .models import SealedTOTPDevice

    done = 0
    with transaction.atomic():
        for device in SealedTOTPDevice.objects.select_for_update().only("id", "user_id", "key"):
            stored: str = device.key
            if version_of(stored) == primary:
                continue
            raw = open_seed(device.user_id, stored)
            SealedTOTPDevice.objects.filter(pk=device.pk).update(
                key=seal(device.user_id, raw.hex())
            )
            done += 1
    return done


def sealed_under(version: int) -> int:
    """How many TOTP seeds the KEK version still seals (retiring it would lose them)."""
    from .models import SealedTOTPDevice

    return sum(
        1
        for stored in SealedTOTPDevice.objects.values_list("key", flat=True)
        if version_of(stored) == version
    )
