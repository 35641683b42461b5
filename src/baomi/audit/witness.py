"""Signed checkpoints kept outside the database (issue #9 §5, docs/audit.md §4).

Whoever can write the database can rewrite the events, the stored tree, the head *and*
the checkpoint rows so that everything inside the database agrees. What they cannot do
without the key directory is sign a checkpoint, or reach copies kept elsewhere. So every
signed checkpoint is also written, after its transaction commits, to

* the **witness directory** (`BAOMI_AUDIT_WITNESS_DIR`, default `witness` beside
  `BAOMI_KEY_DIR`): `checkpoints.jsonl`, one JSON object per line, appended only
  (O_APPEND, an exclusive lock, fsync), file 0600 in a 0700 directory; and
* an optional **HTTP witness** (`BAOMI_AUDIT_WITNESS_URL`) speaking the C2SP
  tlog-witness protocol: `POST <url>/add-checkpoint` with `old <size>`, the RFC 6962
  consistency proof from that size, and the signed note. A push that fails is written to
  the witness file and logged as `audit.witness_failed` (which raises an alert); it never
  blocks or undoes the write that triggered it.

`baomi audit verify` reads the witness file back (`read_entries`) and checks that the log
still contains every witnessed tree (`verification._check_witness`).

Line kinds: ``checkpoint`` (a signed note and what made it: migrate, auto, verify, manual,
console, cron, pre-restore, restore), ``restore_ack`` (a signed note made by `baomi audit
acknowledge-restore`, with who and why; witnessed trees before it that the log no longer
holds are then *superseded*, not tampered) and ``push`` (outcome of an HTTP push).
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import logging
import os
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from baomi.core import clock

from . import checkpoints, conf, merkle, tree
from .models import Action, Outcome
from .services import consistency_proof, record, tree_size

FILE = "checkpoints.jsonl"
log = logging.getLogger("baomi.audit")
_known_sizes: dict[str, int] = {}  # per witness URL: the size it last accepted from us


def directory() -> Path | None:
    """The witness directory, or None when switched off (setting "")."""
    value = conf.get("BAOMI_AUDIT_WITNESS_DIR")
    if value is None:
        return Path(settings.BAOMI_KEY_DIR).parent / "witness"
    text = str(value).strip()
    if not text or text.lower() in ("off", "none"):
        return None
    return Path(text)


def path() -> Path | None:
    d = directory()
    return d / FILE if d is not None else None


def url() -> str:
    return str(conf.get("BAOMI_AUDIT_WITNESS_URL") or "").strip()


# -- writing --
def _now_text() -> str:
    return checkpoints.time_text(clock.now())


def append_line(obj: dict[str, Any]) -> None:
    """Append one JSON line to the witness file (created 0600 in a 0700 directory)."""
    target = path()
    if target is None:
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(OSError):
        os.chmod(target.parent, 0o700)
    line = (json.dumps(obj, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")
    fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)  # closing releases the lock


def after_commit(cp: Any, trigger: str, extra: dict[str, Any] | None = None) -> None:
    """Witness checkpoint `cp` once its transaction has committed (never a tree that was
    rolled back). Runs at once outside a transaction."""
    text, size, root = cp.text, int(cp.tree_size), bytes(cp.root_hash).hex()
    transaction.on_commit(lambda: publish(text, size, root, trigger, extra))


def publish(
    note_text: str, size: int, root_hex: str, trigger: str, extra: dict[str, Any] | None = None
) -> None:
    """Write the checkpoint to the witness directory and push it to the HTTP witness.
    Failures are written down and logged, never raised: the log itself is already safe."""
    kind = "restore_ack" if trigger == "acknowledge" else "checkpoint"
    obj = {
        "v": 1,
        "kind": kind,
        "trigger": trigger,
        "written_at": _now_text(),
        "tree_size": size,
        "root_hash": root_hex,
        "note": note_text,
        **(extra or {}),
    }
    try:
        append_line(obj)
    except OSError as exc:
        log.error("audit witness directory not written: %s", exc.strerror or exc)
        _record_failure("directory", size, error=type(exc).__name__)
    if url():
        result = push(note_text, size)
        with contextlib.suppress(OSError):
            append_line({"v": 1, "kind": "push", "written_at": _now_text(), **result.as_dict()})
        if not result.ok:
            _record_failure("http", size, status=result.status, error=result.error)


def _record_failure(target: str, size: int, **detail: Any) -> None:
    try:
        with transaction.atomic():
            record(
                Action.WITNESS_FAILED,
                None,
                object_type="audit_log",
                outcome=Outcome.FAILED,
                detail={"target": target, "tree_size": size, **detail},
            )
    except Exception as exc:  # the database may be the thing that is down
        log.error("could not log the witness failure: %s", exc)


# -- HTTP witness (C2SP tlog-witness) --
@dataclass
class PushResult:
    ok: bool
    url: str
    tree_size: int
    status: int | None = None
    error: str = ""
    cosignatures: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "url": _safe_url(self.url),
            "tree_size": self.tree_size,
            "status": self.status,
            "error": self.error,
            "cosignatures": self.cosignatures,
        }


def _safe_url(u: str) -> str:
    """The URL without credentials or query (it is written to files and shown)."""
    p = urllib.parse.urlsplit(u)
    host = p.hostname or ""
    if p.port:
        host += f":{p.port}"
    return urllib.parse.urlunsplit((p.scheme, host, p.path, "", ""))


def _proof(old: int, size: int) -> list[bytes]:
    if old <= 0 or old >= size:
        return []
    return consistency_proof(old, size).proof


def _post(endpoint: str, body: bytes) -> tuple[int, str]:
    req = urllib.request.Request(  # noqa: S310 - scheme checked by push()
        endpoint, data=body, method="POST", headers={"Content-Type": "text/plain; charset=utf-8"}
    )
    timeout = float(conf.get("BAOMI_AUDIT_WITNESS_TIMEOUT") or 5)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310
            return int(resp.status), resp.read(64 * 1024).decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read(64 * 1024).decode("utf-8", "replace")


def push(note_text: str, size: int) -> PushResult:
    """Send a checkpoint to the HTTP witness with a consistency proof from the size it last
    accepted (learnt from a 409 answer when unknown). Never raises."""
    target = url()
    result = PushResult(False, target, size)
    if urllib.parse.urlsplit(target).scheme not in ("http", "https"):
        result.error = "bad_url"
        return result
    endpoint = target.rstrip("/") + "/add-checkpoint"
    old = min(_known_sizes.get(target, 0), size)
    try:
        for _attempt in range(2):
            proof = "".join(base64.b64encode(h).decode("ascii") + "\n" for h in _proof(old, size))
            body = f"old {old}\n{proof}\n{note_text}".encode()
            status, text = _post(endpoint, body)
            result.status = status
            if status == 200:
                _known_sizes[target] = size
                result.ok = True
                result.cosignatures = [ln for ln in text.splitlines() if ln.strip()][:8]
                return result
            if status == 409 and _attempt == 0 and text.strip().isdigit():
                old = int(text.strip())  # the witness tells us the size it holds
                if old > size:
                    result.error = f"witness_holds_larger_tree:{old}"
                    return result
                continue
            result.error = f"http_{status}:{text.strip()[:120]}"
            return result
    except (OSError, ValueError) as exc:  # refused, timed out, DNS, TLS
        result.error = f"{type(exc).__name__}:{str(exc)[:120]}"
    except Exception as exc:  # a proof that cannot be built (damaged tree) and the like
        result.error = f"{type(exc).__name__}:{str(exc)[:120]}"
    return result


# -- reading --
@dataclass
class Entry:
    line: int
    kind: str
    trigger: str
    written_at: str
    note: checkpoints.Note | None = None
    error: str = ""
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def tree_size(self) -> int:
        return self.note.tree_size if self.note else -1

    @property
    def root(self) -> bytes:
        return self.note.root_hash if self.note else b""

    @property
    def signed_at(self) -> datetime | None:
        return self.note.time if self.note else None


def read_entries(file: Path | None = None, tail: int | None = None) -> list[Entry]:
    """Checkpoint and acknowledgement lines of the witness file, each with its signature
    checked against our key (a line that does not verify carries `error`); `tail`: only
    the last so many lines (the status views; `verify` reads them all)."""
    target = file or path()
    if target is None or not target.exists():
        return []
    out: list[Entry] = []
    with target.open("r", encoding="utf-8", errors="replace") as fh:
        numbered = list(enumerate(fh, 1))
    if tail is not None:
        numbered = numbered[-tail:]
    for n, line in numbered:
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            kind = str(obj.get("kind", ""))
        except (ValueError, AttributeError):
            out.append(Entry(n, "?", "", "", error="not a JSON line"))
            continue
        if kind == "push":
            continue
        e = Entry(n, kind, str(obj.get("trigger", "")), str(obj.get("written_at", "")), raw=obj)
        if kind not in ("checkpoint", "restore_ack"):
            e.error = f"unknown kind {kind!r}"
        else:
            try:
                e.note = checkpoints.verify_note(str(obj.get("note", "")))
            except checkpoints.NoteInvalid as exc:
                e.error = str(exc.detail)
            except Exception as exc:  # no signing key at all
                e.error = str(getattr(exc, "detail", exc))
        out.append(e)
    return out


def _count_checkpoint_lines() -> int:
    target = path()
    if target is None or not target.exists():
        return 0
    with target.open("r", encoding="utf-8", errors="replace") as fh:
        return sum(1 for ln in fh if '"kind": "checkpoint"' in ln or '"kind": "restore_ack"' in ln)


def last_push() -> dict[str, Any] | None:
    target = path()
    if target is None or not target.exists():
        return None
    found = None
    with target.open("r", encoding="utf-8", errors="replace") as fh:
        for line in fh:
            if '"push"' in line:
                with contextlib.suppress(ValueError):
                    obj = json.loads(line)
                    if obj.get("kind") == "push":
                        found = obj
    return found


STATUS_CHECKS = 200  # distinct witnessed trees the status view compares (verify: all)


def status() -> dict[str, Any]:
    """For the console, the API and `baomi audit witness`: where checkpoints are
    witnessed, the newest witnessed tree, and whether the stored tree still holds the
    recent witnessed trees (their roots recomputed from the stored nodes — a quick check of
    up to STATUS_CHECKS trees since the last acknowledged restore, not a full `verify`)."""
    d = directory()
    entries = read_entries(tail=2 * STATUS_CHECKS) if d is not None else []
    valid = [e for e in entries if e.note is not None]
    latest = valid[-1] if valid else None
    size = tree_size()
    state = "disabled" if d is None else ("none" if latest is None else "ok")
    if valid:
        recent: dict[tuple[int, bytes], Entry] = {}
        for e in reversed(valid):
            recent.setdefault((e.tree_size, e.root), e)
            if len(recent) >= STATUS_CHECKS:
                break
        held_sizes = [s for s, _ in recent if s <= size]
        terms = {s: merkle.root_term(s) for s in held_sizes}
        from django.db import connection

        with connection.cursor() as cur:
            nodes = tree.read_nodes(cur, merkle.term_ids(list(terms.values())))
        roots: dict[int, bytes] = {}
        for s, t in terms.items():
            with contextlib.suppress(KeyError):  # a node is missing: not held
                roots[s] = merkle.resolve(t, nodes)
        held = {k: roots.get(k[0]) == k[1] for k in recent}
        acks = [k for k, e in recent.items() if e.kind == "restore_ack" and held[k]]
        # trees witnessed before the newest acknowledged restore are superseded
        cut = max((recent[k].line for k in acks), default=0)
        bad = [k for k, ok in held.items() if not ok and recent[k].line > cut]
        if bad:
            state = "shorter" if any(s > size for s, _ in bad) else "different"
    if any(e.error for e in entries) and state == "ok":
        state = "invalid"
    push_info = last_push()
    return {
        "directory": str(d) if d is not None else None,
        "entries": _count_checkpoint_lines(),
        "invalid_entries": sum(1 for e in entries if e.error),
        "state": state,
        "latest": (
            {
                "tree_size": latest.tree_size,
                "root_hash": latest.root.hex(),
                "signed_at": latest.signed_at.astimezone(UTC) if latest.signed_at else None,
                "trigger": latest.trigger,
            }
            if latest
            else None
        ),
        "url": _safe_url(url()) if url() else None,
        "last_push": push_info,
    }


# -- acknowledging a legitimate restore --
