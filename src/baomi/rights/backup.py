"""Consistent database backups and restores that respect erasure (R-C5).

* Backup: SQLite through the online backup API (a consistent snapshot while the app runs),
  PostgreSQL through `pg_dump --format=custom`. The database holds ciphertext only; the keys
  (BAOMI_KEY_DIR) are NOT in the backup and are backed up separately (docs/rights.md).
* Restore: the erasure journal — tombstones and the vault's shred journal of the database
  being replaced, plus the journal file kept beside the keys — is read *before* the restore
  and replayed after it, so a customer erased after the backup was taken stays erased.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, transaction

from baomi import audit
from baomi.audit import checkpoints, witness
from baomi.audit.models import Action
from baomi.audit.services import tree_size
from baomi.core import clock
from baomi.core.errors import BaomiError
from baomi.vault import services as vault


class BackupError(BaomiError):
    status = 500
    code = "backup_failed"
    title = "Backup or restore failed"


def _engine() -> str:
    return "sqlite" if connection.vendor == "sqlite" else connection.vendor


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def default_path() -> Path:
    stamp = datetime.now().strftime("%Y%m%dT%H%M%S")
    ext = "sqlite3" if _engine() == "sqlite" else "pgdump"
    return Path(settings.PROJECT_DIR) / "var" / "backups" / f"baomi-{stamp}.{ext}"


def _pg_env() -> tuple[dict[str, str], str]:
    db = settings.DATABASES["default"]
    env = dict(os.environ)
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER")):
        if db.get(key):
            env[var] = str(db[key])
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return env, str(connection.settings_dict["NAME"])


def _run(cmd: list[str], env: dict[str, str]) -> None:
    exe = shutil.which(cmd[0])
    if exe is None:
        raise BackupError(f"{cmd[0]} is not installed")
    # fixed programs (pg_dump / pg_restore), arguments from settings and the CLI, no shell
    r = subprocess.run([exe, *cmd[1:]], env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if r.returncode != 0:
        raise BackupError(f"{cmd[0]} failed: {r.stderr.strip()[:500]}")


@dataclass(frozen=True)
class BackupResult:
    path: Path
    engine: str
    sha256: str
    bytes: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": str(self.path),
            "engine": self.engine,
            "sha256": self.sha256,
            "bytes": self.bytes,
            "keys_included": False,
        }


def backup(path: Path | None = None) -> BackupResult:
    out = Path(path or default_path())
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    engine = _engine()
    if engine == "sqlite":
        connection.ensure_connection()
        src: Any = connection.connection
        dst = sqlite3.connect(tmp)
        try:
            src.backup(dst)
        finally:
            dst.close()
    elif engine == "postgresql":
        env, name = _pg_env()
        _run(
            ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "-f", str(tmp), name],
            env,
        )
    else:
        raise BackupError(f"no backup method for {engine}")
    os.chmod(tmp, 0o600)
    os.replace(tmp, out)
    result = BackupResult(out, engine, _sha256(out), out.stat().st_size)
    manifest = result.as_dict() | {"created_at": clock.now().isoformat()}
    out.with_name(out.name + ".json").write_text(json.dumps(manifest, indent=1))
    audit.record(
        Action.BACKUP_CREATED,
        None,
        object_type="backup",
        detail={"engine": engine, "sha256": result.sha256, "bytes": result.bytes},
    )
    return result


def _journal_before_restore() -> list[dict[str, Any]]:
    from .services import erasure_journal, read_journal_file

    try:
        return erasure_journal()
    except DatabaseError:  # the live database is gone or damaged: the file still has it
        connection.close()
        return read_journal_file()


SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"
# tables every baomi database has: a file without them is not a baomi backup
_REQUIRED_TABLES = {"django_migrations", "audit_event", "audit_node", "customers_customer"}


def _read_manifest(src_path: Path, engine: str) -> dict[str, Any]:
    """`FILE.json`, written by `baomi backup`: required, and the file must match it."""
    manifest = src_path.with_name(src_path.name + ".json")
    if not manifest.is_file():
        raise BackupError(
            f"no manifest {manifest.name} beside the backup: without it the file cannot be "
            "checked, so it is not restored (copy the manifest written by `baomi backup`)",
            code="backup_manifest_missing",
        )
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
        expected = str(data["sha256"])
    except (OSError, ValueError, KeyError, TypeError):
        raise BackupError(
            f"{manifest.name} is not a backup manifest (JSON with sha256)",
            code="backup_manifest_invalid",
        ) from None
    made_by = data.get("engine")
    if made_by and made_by != engine:
        raise BackupError(
            f"this backup was made from {made_by}; the database here is {engine}",
            code="backup_engine_mismatch",
        )
    if expected != _sha256(src_path):
        raise BackupError(
            "the backup file does not match its manifest (sha256): damaged or replaced",
            code="backup_checksum_mismatch",
        )
    return dict(data)


def _check_sqlite_file(src_path: Path) -> None:
    """A readable, undamaged SQLite database with baomi's tables — checked read-only,
    before anything is replaced."""
    with src_path.open("rb") as fh:
        magic = fh.read(len(SQLITE_MAGIC))
    if magic != SQLITE_MAGIC:
        raise BackupError(
            f"{src_path.name} is not a SQLite database (`baomi backup` on SQLite writes one)",
            code="backup_not_sqlite",
        )
    try:
        con = sqlite3.connect(src_path.resolve().as_uri() + "?mode=ro", uri=True)
        try:
            (check,) = con.execute("PRAGMA quick_check").fetchone()
            tables = {
                r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
        finally:
            con.close()
    except sqlite3.Error as exc:
        raise BackupError(
            f"{src_path.name} cannot be read as a SQLite database ({exc})", code="backup_not_sqlite"
        ) from None
    if check != "ok":
        raise BackupError(f"{src_path.name} is damaged: {str(check)[:200]}", code="backup_damaged")
    missing = _REQUIRED_TABLES - tables
    if missing:
        raise BackupError(
            f"{src_path.name} is not a baomi database (no {', '.join(sorted(missing))})",
            code="backup_not_baomi",
        )


def _check_pgdump_file(src_path: Path) -> None:
    with src_path.open("rb") as fh:
        if fh.read(len(PGDUMP_MAGIC)) != PGDUMP_MAGIC:
            raise BackupError(
                f"{src_path.name} is not a pg_dump custom-format file "
                "(`baomi backup` on PostgreSQL writes one)",
                code="backup_not_pgdump",
            )


def _witness_before_restore() -> dict[str, Any]:
    """Before the database is replaced: sign (and witness) the tree it holds, when it can
    still be read, so the witness shows what the restore is about to roll back; and note
    the newest witnessed tree. Never stops the restore (the database may be lost)."""
    out: dict[str, Any] = {}
    try:
        cp = checkpoints.make_checkpoint("pre-restore")
        out["replaced_tree_size"] = cp.tree_size
    except Exception:  # the database being replaced may be gone or damaged
        connection.close()
    entries = [e for e in witness.read_entries() if e.note is not None]
    if entries:
        out["witnessed_tree_size"] = max(e.tree_size for e in entries)
    return out


def restore(path: Path) -> dict[str, Any]:
    """Replace the database with a backup (the service behind `baomi restore`).

    Refused, before anything is touched, when the manifest `FILE.json` is missing or does
    not match, or when the file is not a database of this engine. Afterwards the erasure
    journal is replayed, `system.restored` is logged and a checkpoint is signed and
    witnessed; `baomi audit verify` then reports the rollback against the witness until an
    operator acknowledges it (`baomi audit acknowledge-restore`)."""
    src_path = Path(path)
    if not src_path.is_file():
        raise BackupError(f"no such backup file: {src_path}", code="backup_not_found")
    engine = _engine()
    manifest = _read_manifest(src_path, engine)
    if engine == "sqlite":
        _check_sqlite_file(src_path)
    elif engine == "postgresql":
        _check_pgdump_file(src_path)
    else:
        raise BackupError(f"no restore method for {engine}")
    entries = _journal_before_restore()
    before = _witness_before_restore()
    connection.close()
    if engine == "sqlite":
        target = str(connection.settings_dict["NAME"])
        src = sqlite3.connect(src_path.resolve().as_uri() + "?mode=ro", uri=True)
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        except sqlite3.Error as exc:
            raise BackupError(f"the restore failed: {exc}") from None
        finally:
            src.close()
            dst.close()
    else:
        env, name = _pg_env()
        _run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--no-privileges",
                "--single-transaction",
                "-d",
                name,
                str(src_path),
            ],
            env,
        )
    from .services import replay_erasures

    vault.clear_caches()
    replayed = replay_erasures(entries)
    restored_size = tree_size()
    detail = {
        "engine": engine,
        "sha256": manifest["sha256"],
        "backup_created_at": str(manifest.get("created_at", ""))[:40],
        "restored_tree_size": restored_size,
        **before,
        **replayed,
    }
    witnessed = before.get("witnessed_tree_size")
    if witnessed is not None:
        detail["events_behind_witness"] = max(0, witnessed - restored_size)
    with transaction.atomic():
        audit.record(Action.RESTORED, None, object_type="backup", detail=detail)
        cp = checkpoints.make_checkpoint("restore")
    return {
        "restored_from": str(src_path),
        "engine": engine,
        "restored_tree_size": restored_size,
        **{k: v for k, v in before.items()},
        "events_behind_witness": detail.get("events_behind_witness"),
        "checkpoint": cp.tree_size,
        **replayed,
    }
