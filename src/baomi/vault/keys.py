"""Key-encryption keys (KEK) and the blind-index root key, kept outside the database.

`KeyProvider` is the KMS-ready interface: the default `LocalKeyring` keeps versioned
AES-256 keys as files in BAOMI_KEY_DIR (mode 0600, directory 0700); a cloud KMS or
HashiCorp Vault transit backend implements the same five methods.
"""

from __future__ import annotations

import base64
import json
import os
import stat
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

from baomi.core.errors import BaomiError, IntegrityFailure

KEYRING_FILE = "keyring.json"
INDEX_ROOT_FILE = "index-root.key"
NONCE_LEN = 12


class KeyFilesInsecure(BaomiError):
    status = 500
    code = "key_files_insecure"
    title = "Key files are readable by other users"


class KeysMissing(BaomiError):
    status = 503
    code = "keys_missing"
    title = "Keys are not set up (run `baomi migrate`)"


@dataclass(frozen=True)
class KeyVersion:
    version: int
    created_at: str
    state: str  # "primary" | "active" | "retired"


class KeyProvider(Protocol):
    """What the vault needs from a key service (local files today, a KMS tomorrow)."""

    def primary_version(self) -> int: ...

    def wrap(self, plaintext: bytes, aad: bytes) -> tuple[int, bytes]: ...

    def unwrap(self, version: int, wrapped: bytes, aad: bytes) -> bytes: ...

    def versions(self) -> list[KeyVersion]: ...

    def index_root(self) -> bytes: ...


def check_private(path: Path, error: type[BaomiError] | None = None) -> None:
    """Refuse a key file or key directory that group or others can reach."""
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise (error or KeyFilesInsecure)(
            f"{path.name} has mode {oct(mode & 0o777)}; expected 0600/0700"
        )


def write_private(path: Path, data: bytes) -> None:
    """Write a secret file atomically with mode 0600 (temp file, fsync, rename)."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


class LocalKeyring:
    """Versioned KEKs in `keyring.json`; the index root key in its own file."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self._lock = threading.Lock()
        self._load()

    # -- set-up ---------------------------------------------------------------
    @classmethod
    def create(cls, directory: Path) -> LocalKeyring:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        os.chmod(directory, 0o700)
        ring = directory / KEYRING_FILE
        if not ring.exists():
            doc = {"primary": 1, "keys": [_new_key_entry(1)]}
            write_private(ring, json.dumps(doc, indent=1).encode())
        root = directory / INDEX_ROOT_FILE
        if not root.exists():
            write_private(root, base64.b64encode(os.urandom(32)))
        return cls(directory)

    def _load(self) -> None:
        ring = self.directory / KEYRING_FILE
        root = self.directory / INDEX_ROOT_FILE
        if not ring.exists() or not root.exists():
            raise KeysMissing(f"no keyring in {self.directory}")
        for p in (self.directory, ring, root):
            check_private(p)
        doc = json.loads(ring.read_text())
        self._primary = int(doc["primary"])
        self._entries = {int(k["version"]): k for k in doc["keys"]}
        self._aead = {
            v: AESGCM(base64.b64decode(k["key"]))
            for v, k in self._entries.items()
            if k["state"] != "retired"
        }
        self._index_root = base64.b64decode(root.read_bytes())

    def _save(self) -> None:
        doc = {"primary": self._primary, "keys": [self._entries[v] for v in sorted(self._entries)]}
        write_private(self.directory / KEYRING_FILE, json.dumps(doc, indent=1).encode())
        self._load()

    # -- KeyProvider ------------------------------------------------------------
    def primary_version(self) -> int:
        return self._primary

    def wrap(self, plaintext: bytes, aad: bytes) -> tuple[int, bytes]:
        v = self._primary
        nonce = os.urandom(NONCE_LEN)
        return v, nonce + self._aead[v].encrypt(nonce, plaintext, aad)

    def unwrap(self, version: int, wrapped: bytes, aad: bytes) -> bytes:
        aead = self._aead.get(version)
        if aead is None:
            raise IntegrityFailure(
                f"KEK version {version} is unknown or retired", code="kek_unknown"
            )
        try:
            return aead.decrypt(wrapped[:NONCE_LEN], wrapped[NONCE_LEN:], aad)
        except (InvalidTag, ValueError) as exc:
            raise IntegrityFailure("wrapped data key failed authentication") from exc

    def versions(self) -> list[KeyVersion]:
        return [
            KeyVersion(
                version=v,
                created_at=e["created_at"],
                state="primary" if v == self._primary else e["state"],
            )
            for v, e in sorted(self._entries.items())
        ]

    def index_root(self) -> bytes:
        return self._index_root

    # -- administration -----------------------------------------------------------
    def rotate(self) -> int:
        with self._lock:
            new = max(self._entries) + 1
            self._entries[new] = _new_key_entry(new)
            self._primary = new
            self._save()
            return new

    def retire(self, version: int) -> None:
        with self._lock:
            if version == self._primary:
                raise BaomiError("cannot retire the primary key version", code="kek_primary")
            entry = self._entries[version]
            entry["state"] = "retired"
            entry["key"] = ""  # the key material is destroyed, not just flagged
            self._save()


def _new_key_entry(version: int) -> dict[str, object]:
    return {
        "version": version,
        "key": base64.b64encode(AESGCM.generate_key(bit_length=256)).decode(),
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "state": "active",
    }


_provider: LocalKeyring | None = None
_provider_lock = threading.Lock()


def get_keyring() -> LocalKeyring:
    """The process-wide key provider (loaded once; refuses insecure key files)."""
    global _provider
    if _provider is None or _provider.directory != Path(settings.BAOMI_KEY_DIR):
        with _provider_lock:
            _provider = LocalKeyring(Path(settings.BAOMI_KEY_DIR))
    return _provider


def ensure_keys() -> LocalKeyring:
    """Create the key directory and keys when missing (used by `baomi migrate` and demo)."""
    global _provider
    with _provider_lock:
        _provider = LocalKeyring.create(Path(settings.BAOMI_KEY_DIR))
    return _provider


def reset_cache() -> None:
    global _provider
    _provider = None
