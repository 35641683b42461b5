"""Small operational secrets sealed directly under the key-encryption key (issue #9 §4):
not customer data (those use per-customer data keys), but secrets the application must
read back — staff TOTP seeds (baomi.access.seeds). Text form, fits a short column:
`k<KEK version>:<base64(nonce | AES-256-GCM ciphertext | tag)>`; the associated data
names what the secret is and whose, so a sealed value copied elsewhere does not open."""

from __future__ import annotations

import base64
import re

from .keys import get_keyring

_SEALED = re.compile(r"^k(\d+):([A-Za-z0-9+/=]+)$")


def is_sealed(stored: str) -> bool:
    return bool(_SEALED.match(stored or ""))


def version_of(stored: str) -> int | None:
    m = _SEALED.match(stored or "")
    return int(m.group(1)) if m else None


def seal(label: str, raw: bytes) -> str:
    version, blob = get_keyring().wrap(raw, label.encode())
    return f"k{version}:{base64.b64encode(blob).decode()}"


def open_sealed(label: str, stored: str) -> bytes:
    m = _SEALED.match(stored or "")
    if m is None:
        raise ValueError("not a sealed secret")
    return get_keyring().unwrap(int(m.group(1)), base64.b64decode(m.group(2)), label.encode())
