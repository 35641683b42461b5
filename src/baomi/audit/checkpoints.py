"""Signed checkpoints (tree heads): tree size, root hash, time — Ed25519-signed.

Text form is a C2SP signed note carrying a tlog checkpoint, so it can be handed to a
witness, mailed, or written to a file as an external anchor::

    baomi.local/audit
    1234
    <base64 root hash>
    time 2026-11-25T12:00:00.000000Z

    — baomi.local/audit <base64(4-byte key hash || 64-byte signature)>

The signature covers the body (everything before the blank line). The key hash is
SHA-256(name || "\\n" || 0x01 || public key)[:4] as in the signed-note spec; the verifier
key string is ``name+<key hash hex>+base64(0x01 || public key)``.

The signing key is `audit-signing.key` in BAOMI_KEY_DIR (mode 0600, directory 0700),
created on first use. It is separate from the vault's keys.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.db import connection, transaction

from baomi.core import clock
from baomi.core.errors import BaomiError
from baomi.vault.keys import check_private, write_private

from . import conf, merkle, tree
from .models import Checkpoint

KEY_FILE = "audit-signing.key"
DASH = "\u2014"
_lock = threading.Lock()
_cache: dict[str, Ed25519PrivateKey] = {}


@dataclass
class Hooks:
    """`after_signed(checkpoint, trigger, extra)`: the witness (audit.witness) writes each
    checkpoint outside the database; wired by `AuditConfig.ready` (no import circle)."""

    after_signed: Callable[[Checkpoint, str, dict[str, Any] | None], Any] | None = None


hooks = Hooks()


class SigningKeyInsecure(BaomiError):
    status = 500
    code = "audit_key_insecure"
    title = "The audit signing key is readable by other users"


class NoteInvalid(BaomiError):
    code = "checkpoint_invalid"
    title = "Not a valid signed checkpoint"


# -- the signing key --
def _key_path() -> Path:
    return Path(settings.BAOMI_KEY_DIR) / KEY_FILE


def signing_key(create: bool = True) -> Ed25519PrivateKey:
    """The checkpoint signing key, created (0600) when missing and `create` is true."""
    path = _key_path()
    cached = _cache.get(str(path))
    if cached is not None:
        check_signing_key()  # the mode as it is now, not as it was when first loaded
        return cached
    with _lock:
        if not path.exists():
            if not create:
                raise BaomiError("no audit signing key", code="audit_key_missing")
            path.parent.mkdir(parents=True, exist_ok=True)
            os.chmod(path.parent, 0o700)
            raw = Ed25519PrivateKey.generate().private_bytes_raw()
            with contextlib.suppress(FileExistsError):  # another process just made it
                write_private(path, base64.b64encode(raw) + b"\n")
        check_private(path.parent, SigningKeyInsecure)
        check_private(path, SigningKeyInsecure)
        key = Ed25519PrivateKey.from_private_bytes(base64.b64decode(path.read_bytes().strip()))
        _cache[str(path)] = key
        return key


def check_signing_key() -> None:
    """Refuse (SigningKeyInsecure) a signing key file or key directory that group or others
    can reach; nothing to check before the key exists (`baomi migrate` creates it 0600)."""
    path = _key_path()
    if path.exists():
        check_private(path.parent, SigningKeyInsecure)
        check_private(path, SigningKeyInsecure)


def public_key(create: bool = True) -> Ed25519PublicKey:
    return signing_key(create).public_key()


def _raw_public(pub: Ed25519PublicKey) -> bytes:
    return pub.public_bytes(Encoding.Raw, PublicFormat.Raw)


def origin() -> str:
    return str(conf.get("BAOMI_AUDIT_ORIGIN"))


def key_hash(name: str, pub: Ed25519PublicKey) -> bytes:
    return hashlib.sha256(name.encode() + b"\n\x01" + _raw_public(pub)).digest()[:4]


def verifier_key(pub: Ed25519PublicKey | None = None) -> str:
    pub = pub or public_key()
    name = origin()
    return f"{name}+{key_hash(name, pub).hex()}+" + base64.b64encode(
        b"\x01" + _raw_public(pub)
    ).decode("ascii")


def parse_verifier_key(vkey: str) -> tuple[str, bytes, Ed25519PublicKey]:
    try:
        name, khash, b64 = vkey.strip().split("+", 2)
        raw = base64.b64decode(b64, validate=True)
        if raw[:1] != b"\x01" or len(raw) != 33:
            raise ValueError("not an Ed25519 key")
        pub = Ed25519PublicKey.from_public_bytes(raw[1:])
        if key_hash(name, pub).hex() != khash:
            raise ValueError("key hash does not match")
    except (ValueError, TypeError) as exc:
        raise NoteInvalid(f"bad verifier key: {exc}", code="verifier_key_invalid") from None
    return name, bytes.fromhex(khash), pub


# -- the note --
def time_text(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def note_body(name: str, size: int, root: bytes, at: datetime) -> str:
    return f"{name}\n{size}\n{base64.b64encode(root).decode('ascii')}\ntime {time_text(at)}\n"


def note_text(body: str, name: str, khash: bytes, signature: bytes) -> str:
    return f"{body}\n{DASH} {name} {base64.b64encode(khash + signature).decode('ascii')}\n"


@dataclass(frozen=True)
class Note:
    origin: str
    tree_size: int
    root_hash: bytes
    time: datetime | None
    body: str
    signatures: list[tuple[str, bytes, bytes]]  # (name, key hash, signature)


def parse_note(text: str) -> Note:
    text = text.replace("\r\n", "\n")
    if "\n\n" not in text:
        raise NoteInvalid("no blank line between body and signatures")
    body, _, sigs = text.partition("\n\n")
    body += "\n"
    lines = body.split("\n")[:-1]
    if len(lines) < 3:
        raise NoteInvalid("a checkpoint has origin, size and root hash lines")
    try:
        size = int(lines[1])
        root = base64.b64decode(lines[2], validate=True)
    except ValueError:
        raise NoteInvalid("bad tree size or root hash line") from None
    if size < 0 or len(root) != merkle.HASH_SIZE or str(size) != lines[1]:
        raise NoteInvalid("bad tree size or root hash")
    when = None
    for extra in lines[3:]:
        if extra.startswith("time "):
            try:
                when = datetime.strptime(extra[5:], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
            except ValueError:
                raise NoteInvalid("bad time line") from None
    signatures = []
    for line in sigs.strip("\n").split("\n"):
        if not line.startswith(DASH + " "):
            raise NoteInvalid("signature lines start with an em dash")
        try:
            name, b64 = line[2:].rsplit(" ", 1)
            blob = base64.b64decode(b64, validate=True)
        except ValueError:
            raise NoteInvalid("bad signature line") from None
        if len(blob) < 5:
            raise NoteInvalid("signature too short")
        signatures.append((name, blob[:4], blob[4:]))
    if not signatures:
        raise NoteInvalid("the checkpoint is not signed")
    return Note(lines[0], size, root, when, body, signatures)


def verify_note(text: str, vkey: str | None = None) -> Note:
    """Parse a checkpoint note and check its signature (our key unless `vkey` is given)."""
    note = parse_note(text)
    if vkey:
        name, khash, pub = parse_verifier_key(vkey)
    else:
        pub = public_key(create=False)
        name = origin()
        khash = key_hash(name, pub)
    for sname, shash, sig in note.signatures:
        if sname == name and shash == khash:
            try:
                pub.verify(sig, note.body.encode("utf-8"))
            except InvalidSignature:
                raise NoteInvalid("the signature does not verify", code="signature_bad") from None
            if note.origin != name:
                raise NoteInvalid("the note's origin is not the key's name")
            return note
    raise NoteInvalid("not signed by the audit key", code="signature_missing")


def signature_ok(cp: Checkpoint, pub: Ed25519PublicKey | None = None) -> bool:
    """Does the stored checkpoint carry a valid signature over exactly its columns?"""
    try:
        pub = pub or public_key(create=False)
    except BaomiError:
        return False
    body = note_body(cp.origin, cp.tree_size, bytes(cp.root_hash), cp.created_at)
    if key_hash(cp.origin, pub).hex() != cp.key_id:
        return False
    if cp.text != note_text(body, cp.origin, bytes.fromhex(cp.key_id), bytes(cp.signature)):
        return False
    try:
        pub.verify(bytes(cp.signature), body.encode("utf-8"))
    except InvalidSignature:
        return False
    return True


# -- making checkpoints --
def _sign(
    head: tree.Head, at: datetime, trigger: str, extra: dict[str, Any] | None = None
) -> Checkpoint:
    key = signing_key()
    name = origin()
    root = head.frontier.root()
    at = at.astimezone(UTC)
    body = note_body(name, head.size, root, at)
    khash = key_hash(name, key.public_key())
    sig = key.sign(body.encode("utf-8"))
    cp = Checkpoint.objects.create(
        tree_size=head.size,
        root_hash=root,
        created_at=at,
        origin=name,
        key_id=khash.hex(),
        signature=sig,
        text=note_text(body, name, khash, sig),
    )
    head.checkpoint_size = head.size
    head.checkpoint_at = at
    if hooks.after_signed is not None:  # audit.witness: outside the database, once committed
        hooks.after_signed(cp, trigger, extra)
    return cp


def make_checkpoint(trigger: str = "manual", *, extra: dict[str, Any] | None = None) -> Checkpoint:
    """Sign the current tree head now (also when nothing was appended since the last one)."""
    cp = _make(trigger, False, extra)
    assert cp is not None
    return cp


def checkpoint_if_changed(trigger: str) -> Checkpoint | None:
    """Sign only when events were appended since the last checkpoint (or there is none)."""
    return _make(trigger, True, None)


def _make(trigger: str, only_if_changed: bool, extra: dict[str, Any] | None) -> Checkpoint | None:
    with transaction.atomic(), connection.cursor() as cur:
        head = tree.lock_head(cur, connection.vendor)
        if only_if_changed and head.checkpoint_at is not None and head.size == head.checkpoint_size:
            return None
        cp = _sign(head, clock.now(), trigger, extra)
        tree.write_head(cur, connection.vendor, head)
    return cp


def auto_checkpoint(cursor: Any, vendor: str, head: tree.Head) -> Checkpoint | None:
    """Called by every append under the head lock: sign when a checkpoint is due — after
    BAOMI_AUDIT_CHECKPOINT_EVERY events, or on the first append once the last checkpoint is
    BAOMI_AUDIT_CHECKPOINT_SECONDS old (or when the log has never been checkpointed)."""
    every = int(conf.get("BAOMI_AUDIT_CHECKPOINT_EVERY") or 0)
    seconds = int(conf.get("BAOMI_AUDIT_CHECKPOINT_SECONDS") or 0)
    grown = head.size - head.checkpoint_size
    if grown <= 0:
        return None
    now = clock.now()
    due = (every and grown >= every) or (
        seconds
        and (head.checkpoint_at is None or now - head.checkpoint_at >= timedelta(seconds=seconds))
    )
    if not due:
        return None
    try:
        signing_key()
    except (BaomiError, OSError, ValueError):
        import logging

        logging.getLogger("baomi.audit").warning("automatic checkpoint skipped: no signing key")
        return None
    return _sign(head, now, "auto")


def latest() -> Checkpoint | None:
    return Checkpoint.objects.order_by("-id").first()
