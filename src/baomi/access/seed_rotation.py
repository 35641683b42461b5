"""Re-sealing staff TOTP seeds when the vault's KEK rotates (`baomi keys rewrap|retire`).
Apart from `access.seeds` (the sealing itself, which the model uses) so that the model
and these table-wide operations do not import each other (issue #10 §2)."""

from __future__ import annotations

from django.db import transaction

from baomi.vault.secrets import version_of

from .models import SealedTOTPDevice
from .seeds import open_seed, seal


def rewrap(primary: int) -> int:
    """Re-seal every TOTP seed not under the primary KEK version; returns how many."""
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
    return sum(
        1
        for stored in SealedTOTPDevice.objects.values_list("key", flat=True)
        if version_of(stored) == version
    )
