"""`baomi backup` / `baomi restore` respect erasure (R-C5, R-C2), end to end through the CLI
in separate processes: backup → erase → restore → the customer is still erased, no search
finds them, the raw database holds nothing decryptable; also when the database itself was
lost and only the backup and the key directory (with its erasure journal) remain.

Runs on SQLite (a file database) and, when BAOMI_TEST_DATABASE_URL points at PostgreSQL,
on a scratch PostgreSQL database with pg_dump / pg_restore.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

pytestmark = pytest.mark.slow

SEED = """
import json
from baomi.access.services import create_staff
from baomi.customers import services
desk, _ = create_staff(None, "desk_bk", "front_desk", "correct-horse-battery-staple-42")
po, _ = create_staff(None, "po_bk", "privacy_officer", "correct-horse-battery-staple-42")
a = services.create_customer(desk, "reception", {"name": "王小明", "phone": "13812345678",
    "email": "xiaoming@example.com"}, channel="store")
b = services.create_customer(desk, "reception", {"name": "李雷", "phone": "13900001111"},
    channel="web")
services.add_record(desk, "reception", a.id, "booking", {"product": "黄山三日游",
    "destination": "黄山", "start_date": "2026-05-01", "end_date": "2026-05-03",
    "amount": "1999.00"})
print(json.dumps({"a": str(a.id), "b": str(b.id)}))
"""

ERASE = """
import json
from baomi.access.models import Staff
from baomi.rights import services
po = Staff.objects.get(username="po_bk")
r = services.create_request(po, "{cid}", "erase", detail="请删除")
for to in ("verified", "in_progress", "completed"):
    r = services.transition(po, r.pk, to)
print(json.dumps({{"state": r.state}}))
"""

CHECK = """
import json
from baomi.access.models import Staff
from baomi.core.errors import Gone
from baomi.customers import gate, services
from baomi.customers.models import Customer
from baomi.rights.models import Tombstone
from baomi.vault.models import DataKey
desk = Staff.objects.get(username="desk_bk")
out = {{}}
try:
    gate.access_customer(desk, "reception", "{a}")
    out["a_read"] = "ok"
except Gone:
    out["a_read"] = "gone"
queries = ({{"phone": "13812345678"}}, {{"name": "王小明"}}, {{"email": "xiaoming@example.com"}})
out["a_search"] = [services.search_customers(desk, "reception", q).total for q in queries]
out["b_name"] = gate.access_customer(desk, "reception", "{b}").fields.get("name")
out["a_key"] = bytes(DataKey.objects.get(subject_id="{a}").wrapped).hex()
out["tombstone"] = Tombstone.objects.filter(customer_id="{a}").exists()
out["a_erased"] = Customer.objects.get(id="{a}").erased_at is not None
print(json.dumps(out))
"""

# `baomi restore` is a break-glass operation (issue #9 §2)
EMERGENCY = ("--reason-category", "disaster_recovery", "--reason", "disk failure, restore drill")


def _env(tmp: Path, db_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BAOMI_", "DJANGO_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="baomi.settings.dev",
        BAOMI_DEBUG="false",
        BAOMI_DATABASE_URL=db_url,
        BAOMI_KEY_DIR=str(tmp / "keys"),
        BAOMI_HOME=str(tmp),
        BAOMI_SECRET_KEY="backup-test-" + "s" * 50,
        BAOMI_EXPECTED_CUSTOMERS="1000",
    )
    return env


def baomi(env: dict[str, str], *args: str) -> str:
    r = subprocess.run(
        [sys.executable, "-m", "baomi.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def last_json(out: str) -> Any:
    return json.loads(out.strip().splitlines()[-1])


def _check(env: dict[str, str], ids: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = last_json(baomi(env, "shell", "-c", CHECK.format(**ids)))
    return out


def _scenario(env: dict[str, str], tmp: Path, lose_database: Any) -> dict[str, Any]:
    baomi(env, "migrate", "--noinput")
    ids = last_json(baomi(env, "shell", "-c", SEED))
    backup = tmp / "backups" / "before.bak"
    info = json.loads(baomi(env, "backup", "--output", str(backup)))
    assert info["keys_included"] is False and backup.exists()
    assert json.loads((tmp / "backups" / "before.bak.json").read_text())["sha256"] == info["sha256"]
    assert last_json(baomi(env, "shell", "-c", ERASE.format(cid=ids["a"])))["state"] == "completed"
    erased = _check(env, ids)
    assert erased["a_read"] == "gone" and erased["a_key"] == ""
    journal = (tmp / "keys" / "erasure-journal.jsonl").read_text()
    assert ids["a"] in journal
    if lose_database is not None:
        lose_database()
        baomi(env, "migrate", "--noinput")  # an empty database, as after a disk loss
    summary = json.loads(baomi(env, "restore", str(backup), "--yes", *EMERGENCY))
    assert summary["re_erased"] == 1
    after = _check(env, ids)
    assert after == {
        "a_read": "gone",
        "a_search": [0, 0, 0],
        "b_name": "李雷",
        "a_key": "",
        "tombstone": True,
        "a_erased": True,
    }
    return ids


def _raw_sqlite_holds_nothing(db: Path, cid: str) -> None:
    con = sqlite3.connect(db)
    try:
        hexid = uuid.UUID(cid).hex
        row = con.execute(
            "SELECT name, phone, email, id_number, address, preferences FROM customers_customer"
            " WHERE id = ?",
            (hexid,),
        ).fetchone()
        assert row is not None and all(v is None for v in row)
        (wrapped,) = con.execute(
            "SELECT wrapped FROM vault_data_key WHERE subject_id = ?", (hexid,)
        ).fetchone()
        assert bytes(wrapped) == b""
        booking = con.execute(
            "SELECT product, destination, amount FROM customers_booking WHERE customer_id = ?",
            (hexid,),
        ).fetchall()
        assert booking and all(v is None for r in booking for v in r)
        assert not con.execute(
            "SELECT 1 FROM vault_blind_index WHERE subject_id = ?", (hexid,)
        ).fetchall()
        dump = "\n".join(con.iterdump())
        assert "王小明" not in dump and "13812345678" not in dump
    finally:
        con.close()


@pytest.mark.parametrize("lose", [False, True], ids=["replace", "database-lost"])
def test_sqlite_backup_erase_restore(tmp_path: Path, lose: bool) -> None:
    db = tmp_path / "baomi.sqlite3"
    env = _env(tmp_path, f"sqlite:///{db}")

    def lose_database() -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)

    ids = _scenario(env, tmp_path, lose_database if lose else None)
    _raw_sqlite_holds_nothing(db, ids["a"])


def _pg_url() -> str | None:
    url = os.environ.get("BAOMI_TEST_DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else None


@pytest.mark.skipif(_pg_url() is None, reason="PostgreSQL not configured")
@pytest.mark.parametrize("lose", [False, True], ids=["replace", "database-lost"])
def test_postgres_backup_erase_restore(tmp_path: Path, lose: bool) -> None:
    import psycopg

    base = _pg_url()
    assert base is not None
    u = urlparse(base)
    name = f"baomi_bk_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = psycopg.connect(base, autocommit=True)

    def create() -> None:
        admin.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    create()
    try:
        url = u._replace(path=f"/{name}").geturl()
        env = _env(tmp_path, url)

        def lose_database() -> None:
            drop()
            create()

        ids = _scenario(env, tmp_path, lose_database if lose else None)
        with psycopg.connect(url) as con:
            row = con.execute(
                "SELECT name, phone, email, id_number FROM customers_customer WHERE id = %s",
                (ids["a"],),
            ).fetchone()
            assert row is not None and all(v is None for v in row)
            (wrapped,) = con.execute(
                "SELECT wrapped FROM vault_data_key WHERE subject_id = %s", (ids["a"],)
            ).fetchone()
            assert bytes(wrapped) == b""
    finally:
        drop()
        admin.close()
