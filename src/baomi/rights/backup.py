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
from django.db import DatabaseError, connection

from baomi import audit
from baomi.audit.models import Action
from baomi.core import clock
from baomi.core.errors import BaomiError


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


def restore(path: Path, *, check_manifest: bool = True) -> dict[str, Any]:
    src_path = Path(path)
    if not src_path.exists():
        raise BackupError("no such backup file")
    manifest = src_path.with_name(src_path.name + ".json")
    if check_manifest and manifest.exists():
        expected = json.loads(manifest.read_text()).get("sha256")
        if expected and expected != _sha256(src_path):
            raise BackupError("the backup file does not match its manifest (sha256)")
    entries = _journal_before_restore()
    engine = _engine()
    connection.close()
    if engine == "sqlite":
        target = str(connection.settings_dict["NAME"])
        src = sqlite3.connect(f"file:{src_path}?mode=ro", uri=True)
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            src.close()
            dst.close()
    elif engine == "postgresql":
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
    else:
        raise BackupError(f"no restore method for {engine}")
    from baomi.vault import services as vault

    from .services import replay_erasures

    vault.clear_caches()
    replayed = replay_erasures(entries)
    audit.record(
        Action.BACKUP_RESTORED,
        None,
        object_type="backup",
        detail={"engine": engine, "sha256": _sha256(src_path), **replayed},
    )
    return {"restored_from": str(src_path), "engine": engine, **replayed}
