"""R-C2 "Done when": a stolen disk, database file or backup reveals nothing.

Canary customers (name, phone, ID number, e-mail, address, a card holder) with a booking, a
stay and a shipment are created through the services; then the stored bytes are searched for
every canary in every encoding a leak could take: UTF-8, JSON `\\uXXXX` escapes (JSONField
columns such as audit detail and lineage) and hex (pg_dump prints bytea as hex), phones in
national and E.164 form.

Two levels:
  * in-process, on the test database of this run (SQLite or PostgreSQL): every row of every
    table, read through the test connection (which sees this test's uncommitted rows);
  * at rest, as an attacker would get it: a separate process creates the same data in its own
    committed database (a real SQLite file in WAL mode / a real PostgreSQL database), then the
    raw SQLite file and its -wal file are read byte by byte (before and after
    `PRAGMA wal_checkpoint(TRUNCATE)`), or `pg_dump` output is searched.
    A separate database is needed because pytest-django keeps each test's rows in an
    uncommitted transaction: `pg_dump` (another session) or the SQLite file would never see
    them, and the test could not fail. Each scan has a positive control — a plain, non-
    personal booking reference that *must* be found — so a scan that reads nothing fails.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from stdnum.cn import ric

from baomi.audit.models import AuditEvent
from baomi.customers import services
from conftest import run_writer

ID_BODY = "11010519880808123"  # Beijing Chaoyang, 1988-08-08
CANARY_ID = ID_BODY + ric.calc_check_digit(ID_BODY + "0")
PROFILE: dict[str, Any] = {
    "name": "甄金丝雀",
    "phone": "13987654321",
    "email": "jinsique.canary@example.org",
    "id_type": "cn_resident_id",
    "id_number": CANARY_ID,
    "gender": "female",
    "birth_date": "1988-08-08",
    "nationality": "CN",
    "address": "成都市武侯区金丝雀大道1314号",
    "preferences": {"dietary": "金丝雀专属素食", "language": "zh"},
}
LATIN = {
    "name": "Quillfeather Canarywing",
    "phone": "+44 20 7946 0777",
    "email": "quill.canarywing@example.net",
    "id_type": "passport",
    "id_number": "K98765432",
    "nationality": "GB",
    "address": "77 Canarywing Mews, Cambridge",
}
CARD = {"number": "4111111111111111", "expiry": "12/29", "holder": "Holderson Canarycard"}
BOOKING = {
    "product": "金丝雀秘境七日游",
    "destination": "Kanarieninsel-Teneriffa",
    "start_date": "2026-03-01",
    "end_date": "2026-03-08",
    "travellers": "金丝雀一家三口",
    "amount": "12345.67",
}
STAY = {
    "room": "金丝雀套房8808",
    "check_in": "2026-04-01",
    "check_out": "2026-04-03",
    "spend": "2345.00",
    "special_requests": "需要安静的金丝雀鸟笼",
}
SHIPMENT = {
    "sender_name": "鲍金丝",
    "sender_phone": "13712349876",
    "sender_address": "深圳市南山区金丝雀花园9栋",
    "recipient_name": "Recipientia Canaryvale",
    "recipient_phone": "13612348765",
    "recipient_address": "杭州市西湖区金丝雀路66号",
    "item_type": "金丝雀饲料礼盒",
}
CONTROL = "PLAINCTRLREF42"  # a plain booking reference (non-personal): must be found


def canaries() -> list[str]:
    """Every personal value created above, in the forms it could be stored in."""
    values = [
        PROFILE["name"],
        PROFILE["phone"],
        "+86" + PROFILE["phone"],
        PROFILE["email"],
        PROFILE["id_number"],
        PROFILE["address"],
        "金丝雀专属素食",
        LATIN["name"],
        "+442079460777",
        "2079460777",
        LATIN["email"],
        LATIN["id_number"],
        LATIN["address"],
        CARD["holder"],
        CARD["number"],
        *(BOOKING[k] for k in ("product", "destination", "travellers")),
        *(STAY[k] for k in ("room", "special_requests")),
        *SHIPMENT.values(),
        *("+86" + SHIPMENT[k] for k in ("sender_phone", "recipient_phone")),
    ]
    return values


def encodings(value: str) -> list[bytes]:
    forms = {
        value.encode("utf-8"),
        json.dumps(value)[1:-1].encode("ascii"),  # ensure_ascii JSON: \\u7504\\u91d1...
        value.encode("utf-8").hex().encode("ascii"),  # bytea in pg_dump / COPY output
    }
    return sorted(forms)


def leaks(blob: bytes) -> list[str]:
    low = blob.lower()
    found = []
    for value in canaries():
        for form in encodings(value):
            if form in blob or form.lower() in low:
                found.append(f"{value!r} as {form[:40]!r}")
    return found


LEAK_MARK = b"\x00planted-leak\x00"


def plant_leak(monkeypatch: Any) -> None:
    """Simulate the regression these tests exist for: a vault that stores the plaintext
    next to the ciphertext (and still reads back, so everything else keeps working)."""
    from baomi.vault.crypto import SubjectKey

    real_seal, real_open = SubjectKey.seal, SubjectKey.open

    def seal(self: Any, table: str, field: str, plaintext: str, row_id: object = None) -> bytes:
        return real_seal(self, table, field, plaintext, row_id) + LEAK_MARK + plaintext.encode()

    def open_(self: Any, table: str, field: str, sealed: bytes, row_id: object = None) -> str:
        return real_open(self, table, field, bytes(sealed).split(LEAK_MARK)[0], row_id)

    for name, fn in (("seal", seal), ("open", open_)):
        if monkeypatch is None:
            setattr(SubjectKey, name, fn)
        else:
            monkeypatch.setattr(SubjectKey, name, fn)


def create_canaries(desk: Any) -> Any:
    """Through the real services: two customers, a card, a booking, a stay, a shipment."""
    c = services.create_customer(
        desk, "reception", {**PROFILE, "payment_card": CARD}, channel="store"
    )
    services.create_customer(desk, "reception", LATIN, channel="web")
    services.add_record(desk, "reception", c.id, "booking", BOOKING, reference=CONTROL)
    services.add_record(desk, "reception", c.id, "stay", STAY)
    services.add_record(desk, "reception", c.id, "shipment", SHIPMENT)
    services.update_customer(desk, "reception", c.id, {"address": PROFILE["address"] + "A座"})
    services.search_customers(desk, "reception", {"phone": PROFILE["phone"]})
    return c


def test_canary_helpers_detect_each_form() -> None:
    """The detector itself: every form of every canary is found, unrelated bytes are not."""
    for value in canaries():
        for form in encodings(value):
            assert leaks(b"xx" + form + b"yy"), (value, form)
    assert leaks(json.dumps({"n": PROFILE["name"]}).encode())  # JSON-escaped Chinese
    assert leaks(PROFILE["name"].encode().hex().upper().encode())
    assert not leaks(b"customer.created " + CONTROL.encode() + os.urandom(4096))


# -- in-process: every row of every table of this run's test database ------------------------------
def _table_bytes() -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    with connection.cursor() as cur:
        for table in connection.introspection.table_names(cur):
            cur.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            parts: list[bytes] = []
            for row in cur.fetchall():
                for v in row:
                    if isinstance(v, (bytes, bytearray, memoryview)):
                        parts.append(bytes(v))
                    elif v is not None:
                        parts.append(str(v).encode("utf-8"))
            out[table] = b"\x1f".join(parts)
    return out


@pytest.mark.django_db
def test_no_table_of_the_test_database_holds_a_canary(make_staff: Any) -> None:
    """R-C2 / DESIGN §3 rule 2: no column of any table — customers, records, cards, blind
    index, data keys, audit log, lineage — holds any canary value in any encoding."""
    desk = make_staff("front_desk")
    create_canaries(desk)
    tables = _table_bytes()
    assert CONTROL.encode() in tables["customers_booking"]  # the scan sees this test's rows
    assert tables["customers_customer"] and tables["vault_data_key"]
    found = {t: leaks(b) for t, b in tables.items() if leaks(b)}
    assert not found, found


@pytest.mark.django_db
def test_the_table_scan_catches_a_leaking_vault(make_staff: Any, monkeypatch: Any) -> None:
    """Negative control: with a planted leak the same scan fails (the test can fail)."""
    plant_leak(monkeypatch)
    create_canaries(make_staff("front_desk"))
    tables = _table_bytes()
    assert leaks(tables["customers_customer"]) and leaks(tables["customers_shipment"])


@pytest.mark.django_db
def test_audit_events_hold_no_canary(make_staff: Any) -> None:
    """R-E1 + rule 2: audit events name fields, never values (checked row by row, and the
    JSON columns decoded)."""
    desk = make_staff("front_desk")
    c = create_canaries(desk)
    officer = make_staff("privacy_officer")
    from baomi.customers import gate

    gate.access_customer(officer, "rights_request", c.id)
    events = list(AuditEvent.objects.all())
    assert len(events) >= 8
    actions = {e.action for e in events}
    assert {"customer.created", "record.created", "customer.read", "customer.searched"} <= actions
    for e in events:
        doc = json.dumps(
            {f.name: str(getattr(e, f.name)) for f in AuditEvent._meta.concrete_fields}
            | {"fields": e.fields, "detail": e.detail},
            ensure_ascii=False,
        ).encode()
        assert not leaks(doc), (e.action, leaks(doc))
    with connection.cursor() as cur:
        cur.execute("SELECT * FROM audit_event")
        raw = "\x1f".join(str(v) for row in cur.fetchall() for v in row).encode()
    assert str(c.id).encode() in raw or c.id.hex.encode() in raw  # ids, yes
    assert not leaks(raw)


# -- at rest: a separate process, a committed database, the raw bytes ------------------------------
WRITER = r"""
import json, os, sys
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0, interactive=False)
from baomi.access.services import create_staff
sys.path.insert(0, os.environ["CANARY_TEST_DIR"])
import test_no_plaintext_at_rest as t
if os.environ.get("CANARY_PLANT_LEAK"):  # the negative control: a vault that leaks
    t.plant_leak(None)
desk, _ = create_staff(None, "canary_desk", "front_desk", "correct-horse-battery-staple-42")
c = t.create_canaries(desk)
print(json.dumps({"customer": str(c.id)}))
"""


def _write_in_another_process(
    database_url: str, key_dir: Path, *, plant_leak: bool = False
) -> dict[str, Any]:
    out, printed = run_writer(WRITER, database_url, key_dir, plant_leak=plant_leak)
    assert plant_leak or not leaks(printed.encode()), "the writer printed a value"
    return out


def test_sqlite_database_file_and_wal_hold_no_canary(tmp_path: Path) -> None:
    """R-C2: the SQLite database file and its write-ahead log, as copied off a stolen disk,
    contain no canary — before and after checkpointing the WAL into the main file."""
    db = tmp_path / "baomi.sqlite3"
    out = _write_in_another_process(f"sqlite:///{db}", tmp_path / "keys")
    assert uuid.UUID(out["customer"])
    files = [p for p in (db, Path(f"{db}-wal"), Path(f"{db}-shm")) if p.exists()]
    before = b"".join(p.read_bytes() for p in files)
    stolen = tmp_path / "stolen"
    stolen.mkdir()
    for p in files:  # the thief's copy, checkpointed on their machine
        shutil.copy(p, stolen / p.name)
    con = sqlite3.connect(stolen / db.name)
    try:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        n = con.execute("SELECT count(*) FROM customers_customer").fetchone()[0]
        audit_rows = con.execute("SELECT * FROM audit_event").fetchall()
    finally:
        con.close()
    assert n == 2 and len(audit_rows) >= 6
    after = b"".join(p.read_bytes() for p in stolen.iterdir())
    for blob in (before, after):
        assert CONTROL.encode() in blob  # positive control: the data is in these bytes
        assert not leaks(blob), leaks(blob)
    audit = "\x1f".join(str(v) for row in audit_rows for v in row).encode()
    assert b"customer.created" in audit and not leaks(audit)


def test_the_file_scan_catches_a_leaking_vault(tmp_path: Path) -> None:
    """Negative control for the at-rest scan: the same writer with a planted leak produces
    a database file in which the canaries are found."""
    db = tmp_path / "leaky.sqlite3"
    _write_in_another_process(f"sqlite:///{db}", tmp_path / "keys", plant_leak=True)
    blob = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith(db.name))
    assert PROFILE["name"].encode() in blob and leaks(blob)


def _pg_settings() -> dict[str, Any]:
    s = connection.settings_dict
    return {
        "host": s.get("HOST") or "127.0.0.1",
        "port": str(s.get("PORT") or 5432),
        "user": s.get("USER") or "postgres",
        "password": s.get("PASSWORD") or "",
        "test_db": s["NAME"],
    }


@pytest.mark.django_db
def test_pg_dump_holds_no_canary(tmp_path: Path) -> None:
    """R-C2: a `pg_dump` backup of a PostgreSQL database holding the canaries (committed, by
    another process, as in production) contains none of them — not in text, not as the hex
    pg_dump uses for bytea, not JSON-escaped; nor does the audit_event table's dump."""
    if connection.vendor != "postgresql":
        pytest.skip("the suite runs on SQLite; set BAOMI_TEST_DATABASE_URL to a PostgreSQL URL")
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        pytest.skip("pg_dump is not installed (apt-get install postgresql-client)")
    import psycopg

    pg = _pg_settings()
    name = f"baomi_canary_{uuid.uuid4().hex[:12]}"
    admin = psycopg.connect(
        host=pg["host"],
        port=pg["port"],
        user=pg["user"],
        password=pg["password"] or None,
        dbname=pg["test_db"],
        autocommit=True,
    )
    env = {**os.environ, "PGPASSWORD": pg["password"]} if pg["password"] else dict(os.environ)
    try:
        admin.execute(f'CREATE DATABASE "{name}"')
        auth = f"{pg['user']}:{pg['password']}@" if pg["password"] else f"{pg['user']}@"
        _write_in_another_process(
            f"postgres://{auth}{pg['host']}:{pg['port']}/{name}", tmp_path / "keys"
        )
        base = [pg_dump, "-h", pg["host"], "-p", pg["port"], "-U", pg["user"], "-d", name]
        full = subprocess.run(base, env=env, capture_output=True, timeout=300, check=False)
        assert full.returncode == 0, full.stderr.decode()[-2000:]
        audit = subprocess.run(
            [*base, "--data-only", "-t", "audit_event"],
            env=env,
            capture_output=True,
            timeout=300,
            check=False,
        )
        assert audit.returncode == 0, audit.stderr.decode()[-2000:]
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
    assert CONTROL.encode() in full.stdout  # positive control: the rows are in the dump
    assert b"COPY public.customers_customer" in full.stdout
    assert not leaks(full.stdout), leaks(full.stdout)
    assert b"customer.created" in audit.stdout
    assert not leaks(audit.stdout), leaks(audit.stdout)
