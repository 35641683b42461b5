"""Issue #9 §5 and §6 through the CLI, in separate processes as an operator runs it:

* `baomi restore` refuses a backup without its manifest (it used to skip the checksum),
  and a file that is not a database gives a one-line error, never a traceback — before
  anything is replaced;
* `migrate` leaves a witnessed checkpoint; a real restore of an older backup logs
  `system.restored`, and `baomi audit verify` then reports the rollback (exit 2) instead
  of passing, until `baomi audit acknowledge-restore` records that it was intended.

SQLite (a file database) and, when BAOMI_TEST_DATABASE_URL points at PostgreSQL, a
scratch PostgreSQL database (pg_dump / pg_restore).
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from tests.test_rights_backup import SEED, _env

pytestmark = pytest.mark.slow

# `baomi restore` is a break-glass operation (issue #9 §2)
EMERGENCY = ("--reason-category", "disaster_recovery", "--reason", "disk failure, restore drill")


def run(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    r = subprocess.run(
        [sys.executable, "-m", "baomi.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return r.returncode, r.stdout, r.stderr


def ok(env: dict[str, str], *args: str) -> str:
    code, out, err = run(env, *args)
    assert code == 0, out + err
    return out


def witness_lines(tmp: Path) -> list[dict[str, Any]]:
    p = tmp / "witness" / "checkpoints.jsonl"  # default: beside BAOMI_KEY_DIR (tmp/keys)
    return [json.loads(x) for x in p.read_text().splitlines() if x.strip()]


def with_manifest(path: Path, data: bytes, engine: str) -> Path:
    path.write_bytes(data)
    sha = hashlib.sha256(data).hexdigest()
    path.with_name(path.name + ".json").write_text(json.dumps({"sha256": sha, "engine": engine}))
    return path


def _tree_size(env: dict[str, str]) -> int:
    out = ok(env, "audit", "witness", "--json")
    return int(json.loads(out)["latest"]["tree_size"])


def _scenario(env: dict[str, str], tmp: Path, engine: str) -> None:
    ok(env, "migrate", "--noinput")
    assert witness_lines(tmp)[-1]["trigger"] == "migrate"  # anchored from the first day
    ok(env, "shell", "-c", SEED)
    backup = tmp / "backups" / "day1.bak"
    ok(env, "backup", "--output", str(backup))
    for _ in range(3):  # the log moves on after the backup, and is witnessed
        ok(env, "audit", "checkpoint")
    witnessed = _tree_size(env)

    # -- refusals: before anything is replaced, one clear line, no traceback --
    bare = tmp / "backups" / "copied-without-manifest.bak"
    bare.write_bytes(backup.read_bytes())
    code, out, err = run(env, "restore", str(bare), "--yes", *EMERGENCY)
    assert code == 1 and "no manifest" in err and "Traceback" not in err + out
    garbage = with_manifest(tmp / "backups" / "notes.bak", b"this is not a database\n" * 50, engine)
    code, out, err = run(env, "restore", str(garbage), "--yes", *EMERGENCY)
    expected = "is not a SQLite database" if engine == "sqlite" else "is not a pg_dump"
    assert code == 1 and expected in err and "Traceback" not in err + out, err
    if engine == "sqlite":
        other = tmp / "backups" / "other.sqlite3"
        con = sqlite3.connect(other)
        con.execute("CREATE TABLE t (x)")
        con.commit()
        con.close()
        with_manifest(other, other.read_bytes(), engine)
        code, out, err = run(env, "restore", str(other), "--yes", *EMERGENCY)
        assert code == 1 and "not a baomi database" in err and "Traceback" not in err + out
    tampered = tmp / "backups" / "tampered.bak"
    tampered.write_bytes(backup.read_bytes() + b"\0")
    tampered.with_name(tampered.name + ".json").write_text(
        backup.with_name(backup.name + ".json").read_text()
    )
    code, out, err = run(env, "restore", str(tampered), "--yes", *EMERGENCY)
    assert code == 1 and "does not match its manifest" in err
    code, out, _ = run(env, "audit", "verify")
    assert code == 0, out  # nothing was replaced by the refused restores

    # -- the real restore of the older backup --
    code, out, err = run(env, "restore", str(backup), "--yes", *EMERGENCY)
    assert code == 0, out + err
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["events_behind_witness"] > 0 and "acknowledge-restore" in err
    assert summary["restored_tree_size"] < witnessed
    assert [x["trigger"] for x in witness_lines(tmp)[-2:]] == ["pre-restore", "restore"]

    code, out, err = run(env, "audit", "verify")
    assert code == 2, out + err
    assert out.startswith("ROLLED BACK") and "[rollback]" in out and "system.restored" in out

    code, out, err = run(env, "audit", "acknowledge-restore", "--by", "ops.zhang", "--reason", "x")
    assert code == 1 and "10-300" in err
    ack = ok(
        env,
        "audit",
        "acknowledge-restore",
        "--by",
        "ops.zhang",
        "--reason",
        "restore drill, change ticket CHG-2291",
        "--yes",
    )
    assert "superseded" in ack
    code, out, err = run(env, "audit", "verify")
    assert code == 0, out + err
    assert "superseded: witnessed tree" in out and "ops.zhang" in out
    assert witness_lines(tmp)[-1]["trigger"] == "verify"


def test_sqlite_restore_refusals_and_rollback(tmp_path: Path) -> None:
    env = _env(tmp_path, f"sqlite:///{tmp_path / 'baomi.sqlite3'}")
    _scenario(env, tmp_path, "sqlite")


def _pg_url() -> str | None:
    url = os.environ.get("BAOMI_TEST_DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else None


@pytest.fixture
def pg_database() -> Iterator[str]:
    import psycopg

    base = _pg_url()
    assert base is not None
    name = f"baomi_wit_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = psycopg.connect(base, autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlparse(base)._replace(path=f"/{name}").geturl()
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.mark.skipif(_pg_url() is None, reason="PostgreSQL not configured")
def test_postgres_restore_refusals_and_rollback(tmp_path: Path, pg_database: str) -> None:
    _scenario(_env(tmp_path, pg_database), tmp_path, "postgresql")
