"""What staff write about a rights request is personal data and never rests in plaintext
(DESIGN.md §3 rules 1 and 2): a refusal reason, a resolution, the reason for a move and why a
restriction was lifted are sealed under the customer's data key, like the request's own
text, and read only through the gate (`open_attached_many`: purpose check, erasure check,
decrypt, audit event). Written and read through the real services, API, console and portal.

  (a) the texts are not in the stored bytes: every table of this run's database (SQLite or
      PostgreSQL), and — written by another process and committed — the raw SQLite file
      and WAL, or a `pg_dump`; with a planted leak the same scans find them;
  (b) the privacy officer reads them (API with `X-Purpose: rights_request`, console detail
      page, access copy); the data subject reads their refusal reason in the portal;
  (c) each read leaves an audit event naming the row and the field, never the value;
  (d) after the customer's erasure they are gone for good, and the API, the console, the
      certificate and the portal still answer.
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
from django.apps import apps
from django.db import connection, models
from django.test import Client
from django.test.utils import CaptureQueriesContext

from baomi.audit.models import Action, AuditEvent
from baomi.core.errors import Gone, IntegrityFailure
from baomi.customers import gate
from baomi.customers.models import Customer
from baomi.portal import selectors as outbox
from baomi.portal.models import OutboxMessage
from baomi.rights import services
from baomi.rights.models import Restriction, RightsRequest, RightsTransition
from baomi.vault.fields import SealedField
from conftest import run_writer

PHONE = "13812345678"
# Canaries: what staff really write — ID numbers, addresses, phone numbers, names
REFUSAL = "拒绝 上海市徐汇区金丝雀路77号的发票尚未结清 护照 E98765432 已核对"
RESOLUTION = "Apologised to Mr Canarywing; passport G13572468 removed from the folio note"
MOVE = "柜台核实身份 证件尾号 8808 金丝雀先生本人到场"
LIFT = "客户致电 13912344321 确认地址金丝雀大道1314号无误 解除限制"
CANARIES = (REFUSAL, RESOLUTION, MOVE, LIFT)  # NFKC-stable: stored as written
FRAGMENTS = ("金丝雀", "Canarywing", "E98765432", "G13572468", "13912344321")
CONTROL = "PLAINCTRLREQ42"  # a plain booking reference (not personal): must be found


def forms(value: str) -> list[bytes]:
    """UTF-8, ASCII-escaped JSON (JSONField columns), hex (bytea in pg_dump / COPY)."""
    return sorted(
        {
            value.encode(),
            json.dumps(value)[1:-1].encode("ascii"),
            value.encode().hex().encode("ascii"),
        }
    )


def leaks(blob: bytes) -> list[str]:
    low = blob.lower()
    return [
        f"{value[:20]!r} as {form[:24]!r}"
        for value in (*CANARIES, *FRAGMENTS)
        for form in forms(value)
        if form in blob or form.lower() in low
    ]


def plant_leak(monkeypatch: Any) -> None:
    """The regression these tests exist for: a seal that keeps the plaintext beside the
    ciphertext (and still opens, so everything else keeps working)."""
    from baomi.vault.crypto import SubjectKey

    mark = b"\x00planted\x00"
    real_seal, real_open = SubjectKey.seal, SubjectKey.open

    def seal(self: Any, table: str, field: str, plaintext: str, row_id: object = None) -> bytes:
        return real_seal(self, table, field, plaintext, row_id) + mark + plaintext.encode()

    def open_(self: Any, table: str, field: str, sealed: bytes, row_id: object = None) -> str:
        return real_open(self, table, field, bytes(sealed).split(mark)[0], row_id)

    for name, fn in (("seal", seal), ("open", open_)):
        if monkeypatch is None:
            setattr(SubjectKey, name, fn)
        else:
            monkeypatch.setattr(SubjectKey, name, fn)


def write_texts(officer: Any, desk: Any) -> dict[str, Any]:
    """Through the real services: a customer with a booking (the plain control), a refused
    erase request, a complaint verified with a note and completed with a resolution, and a
    restriction lifted with a reason."""
    from baomi.customers import services as customers

    c = customers.create_customer(
        desk, "reception", {"name": "王金丝", "phone": PHONE}, channel="store"
    )
    customers.add_record(
        desk,
        "reception",
        c.id,
        "booking",
        {"product": "x", "start_date": "2026-03-01", "end_date": "2026-03-02"},
        reference=CONTROL,
    )
    refused = services.create_request(desk, c.id, "erase", channel="store")
    services.transition(officer, refused.pk, "refused", REFUSAL)
    done = services.create_request(desk, c.id, "complaint", detail="前台声音太大", channel="store")
    services.transition(officer, done.pk, "verified", MOVE)
    services.transition(officer, done.pk, "in_progress")
    services.transition(officer, done.pk, "completed", RESOLUTION)
    restrict = services.create_request(desk, c.id, "restrict", channel="store")
    for to in ("verified", "in_progress", "completed"):
        services.transition(officer, restrict.pk, to)
    services.lift_restriction(officer, c.id, LIFT)
    return {"customer": c, "refused": refused.pk, "done": done.pk, "restrict": restrict.pk}


@pytest.fixture
def officer(make_staff: Any) -> Any:
    return make_staff("privacy_officer")


@pytest.fixture
def written(officer: Any, make_staff: Any) -> dict[str, Any]:
    return write_texts(officer, make_staff("front_desk"))


def console(staff: Any) -> Client:
    c = Client()
    c.force_login(staff)
    assert c.post("/purpose/", {"purpose": "rights_request"}).status_code == 302
    return c


def portal() -> Client:
    c = Client(REMOTE_ADDR="203.0.113.8")
    assert c.post("/portal/", {"address": PHONE}).status_code == 302
    code = outbox.latest_code(OutboxMessage.objects.latest("id").destination_masked)
    assert c.post("/portal/verify/", {"code": code}).status_code == 302
    return c


def reads(**filters: Any) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=Action.CUSTOMER_READ, **filters).order_by("seq"))


# -- the model: every free-text column of the rights tables is sealed and catalogued -----------
def test_rights_tables_have_no_plaintext_free_text() -> None:
    """The four staff texts are SealedFields; no other column of a rights model could hold
    free text (a long CharField without choices, a TextField) — so a new `note` column
    cannot quietly bring plaintext back."""
    sealed = {
        (m._meta.db_table, f.name)
        for m in apps.get_app_config("rights").get_models()
        for f in m._meta.concrete_fields
        if isinstance(f, SealedField)
    }
    assert {
        ("rights_request", "refusal_reason"),
        ("rights_request", "resolution"),
        ("rights_transition", "reason"),
        ("rights_restriction", "lift_reason"),
    } <= sealed
    for model in apps.get_app_config("rights").get_models():
        for f in model._meta.concrete_fields:
            free = isinstance(f, models.TextField) or (
                isinstance(f, models.CharField) and not f.choices and (f.max_length or 0) > 40
            )
            where = f"{model._meta.db_table}.{f.name}"
            assert not free or where == "rights_tombstone.basis", where  # legal basis text


# -- (a) not in the stored bytes -------------------------------------------------------------------
def _table_bytes() -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    with connection.cursor() as cur:
        for table in connection.introspection.table_names(cur):
            cur.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            parts = [
                bytes(v) if isinstance(v, (bytes, bytearray, memoryview)) else str(v).encode()
                for row in cur.fetchall()
                for v in row
                if v is not None
            ]
            out[table] = b"\x1f".join(parts)
    return out


@pytest.mark.django_db
def test_no_table_holds_the_staff_texts(written: dict[str, Any]) -> None:
    tables = _table_bytes()
    assert CONTROL.encode() in tables["customers_booking"]  # the scan sees this test's rows
    assert RightsRequest.objects.get(pk=written["refused"]).refusal_reason is not None
    assert RightsRequest.objects.get(pk=written["done"]).resolution is not None
    assert Restriction.objects.get().lift_reason is not None
    assert RightsTransition.objects.filter(reason__isnull=False).count() == 3
    found = {t: leaks(b) for t, b in tables.items() if leaks(b)}
    assert not found, found


@pytest.mark.django_db
def test_the_table_scan_catches_plaintext(officer: Any, make_staff: Any, monkeypatch: Any) -> None:
    """Negative control: with a seal that leaks, the same scan finds every text in the
    very tables it was written to."""
    plant_leak(monkeypatch)
    write_texts(officer, make_staff("front_desk"))
    tables = _table_bytes()
    for table, text in (
        ("rights_request", REFUSAL),
        ("rights_request", RESOLUTION),
        ("rights_transition", MOVE),
        ("rights_restriction", LIFT),
    ):
        assert text.encode() in tables[table], table


WRITER = r"""
import json, os, sys
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0, interactive=False)
from baomi.access.services import create_staff
sys.path.insert(0, os.environ["CANARY_TEST_DIR"])
import test_rights_sealed_text as t
if os.environ.get("CANARY_PLANT_LEAK"):
    t.plant_leak(None)
pw = "correct-horse-battery-staple-42"
officer, _ = create_staff(None, "canary_officer", "privacy_officer", pw)
desk, _ = create_staff(None, "canary_desk", "front_desk", pw)
out = t.write_texts(officer, desk)
print(json.dumps({"customer": str(out["customer"].id)}))
"""


def _write_in_another_process(url: str, key_dir: Path, *, leak: bool = False) -> None:
    out, _ = run_writer(WRITER, url, key_dir, plant_leak=leak)
    assert uuid.UUID(out["customer"])


@pytest.mark.parametrize("leak", [False, True], ids=["sealed", "planted-leak"])
def test_sqlite_file_and_wal_hold_no_staff_text(tmp_path: Path, leak: bool) -> None:
    """Committed by another process, the raw SQLite file and its WAL — before and after a
    checkpoint — hold none of the texts; with a planted leak they do (the scan can fail)."""
    db = tmp_path / "rights.sqlite3"
    _write_in_another_process(f"sqlite:///{db}", tmp_path / "keys", leak=leak)
    files = [p for p in (db, Path(f"{db}-wal"), Path(f"{db}-shm")) if p.exists()]
    before = b"".join(p.read_bytes() for p in files)
    stolen = tmp_path / "stolen"
    stolen.mkdir()
    for p in files:
        shutil.copy(p, stolen / p.name)
    con = sqlite3.connect(stolen / db.name)
    try:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        n = con.execute("SELECT count(*) FROM rights_transition WHERE reason IS NOT NULL")
        assert n.fetchone()[0] == 3
    finally:
        con.close()
    after = b"".join(p.read_bytes() for p in stolen.iterdir())
    for blob in (before, after):
        assert CONTROL.encode() in blob  # positive control: the data is in these bytes
        if leak:
            assert all(text.encode() in blob for text in CANARIES)
        else:
            assert not leaks(blob), leaks(blob)


@pytest.mark.django_db
def test_pg_dump_holds_no_staff_text(tmp_path: Path) -> None:
    """The same on PostgreSQL: a `pg_dump` of a database the texts were committed to."""
    if connection.vendor != "postgresql":
        pytest.skip("runs on PostgreSQL: set BAOMI_TEST_DATABASE_URL to a PostgreSQL URL")
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        pytest.skip("pg_dump is not installed (apt-get install postgresql-client)")
    import psycopg

    s = connection.settings_dict
    host, port = s.get("HOST") or "127.0.0.1", str(s.get("PORT") or 5432)
    user, password = s.get("USER") or "postgres", s.get("PASSWORD") or ""
    name = f"baomi_rights_{uuid.uuid4().hex[:12]}"
    admin = psycopg.connect(
        host=host, port=port, user=user, password=password or None, dbname=s["NAME"]
    )
    admin.autocommit = True
    env = {**os.environ, "PGPASSWORD": password} if password else dict(os.environ)
    try:
        admin.execute(f'CREATE DATABASE "{name}"')
        auth = f"{user}:{password}@" if password else f"{user}@"
        _write_in_another_process(f"postgres://{auth}{host}:{port}/{name}", tmp_path / "keys")
        dump = subprocess.run(
            [pg_dump, "-h", host, "-p", port, "-U", user, "-d", name],
            env=env,
            capture_output=True,
            timeout=300,
            check=False,
        )
        assert dump.returncode == 0, dump.stderr.decode()[-2000:]
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
    assert CONTROL.encode() in dump.stdout and b"COPY public.rights_transition" in dump.stdout
    assert not leaks(dump.stdout), leaks(dump.stdout)


# -- (b) + (c) readable through the gate, and every read audited --------------------------------
@pytest.mark.django_db
def test_privacy_officer_reads_them_through_the_api(
    written: dict[str, Any], api_client: Any
) -> None:
    c, h = api_client("privacy_officer")
    refused, done = written["refused"], written["done"]
    # without the rights_request purpose: same shape, texts empty, nothing opened
    plain = c.get(f"/api/v1/rights-requests/{refused}", headers=h)
    assert plain.status_code == 200
    assert plain.json()["refusal_reason"] == "" and not leaks(plain.content)
    assert not reads(object_type__startswith="rights_")
    # with it: opened by the gate
    h["X-Purpose"] = "rights_request"
    one = c.get(f"/api/v1/rights-requests/{refused}", headers=h).json()
    assert one["refusal_reason"] == REFUSAL and one["resolution"] == ""
    assert [m["reason"] for m in one["transitions"]] == ["", REFUSAL]
    two = c.get(f"/api/v1/rights-requests/{done}", headers=h).json()
    assert two["resolution"] == RESOLUTION and two["refusal_reason"] == ""
    assert two["detail"] == "前台声音太大"
    assert [(m["to"], m["reason"]) for m in two["transitions"]] == [
        ("received", ""),
        ("verified", MOVE),
        ("in_progress", ""),
        ("completed", RESOLUTION),
    ]
    assert all(isinstance(m["reason"], str) for m in two["transitions"])
    # (c) one event per row opened, naming row and field, purpose and role — no value
    ev = reads(object_type="rights_request", object_id=str(refused))
    assert len(ev) == 1 and ev[0].fields == {"refusal_reason": "plain"}
    assert ev[0].purpose == "rights_request" and ev[0].actor_role == "privacy_officer"
    assert ev[0].detail == {"customer": str(written["customer"].id)}
    moved = reads(object_type="rights_transition", object_id=f"{done}:verified")
    assert len(moved) == 1 and moved[0].fields == {"reason": "plain"}
    req = reads(object_type="rights_request", object_id=str(done))
    assert req[0].fields == {"detail": "plain", "resolution": "plain"}
    for e in AuditEvent.objects.all():
        assert not leaks(json.dumps([e.fields, e.detail], ensure_ascii=False).encode())


@pytest.mark.django_db
def test_a_transition_answers_with_the_sealed_reason(
    written: dict[str, Any], officer: Any, api_client: Any
) -> None:
    """The transition endpoint stores the reason sealed and answers like GET."""
    c, h = api_client("privacy_officer", "rights_request")
    new = services.create_request(officer, written["customer"].id, "complaint", detail="x")
    r = c.post(
        f"/api/v1/rights-requests/{new.pk}/transition",
        {"to": "refused", "reason": REFUSAL},
        content_type="application/json",
        headers=h,
    )
    assert r.status_code == 200 and r.json()["refusal_reason"] == REFUSAL
    raw = RightsRequest.objects.values_list("refusal_reason", flat=True).get(pk=new.pk)
    assert raw is not None and REFUSAL.encode() not in bytes(raw)


@pytest.mark.django_db
def test_privacy_officer_reads_them_in_the_console(written: dict[str, Any], officer: Any) -> None:
    c = Client()
    c.force_login(officer)
    page = c.get(f"/rights/{written['done']}/").content.decode()  # no purpose chosen yet
    assert 'data-testid="need-rights-purpose"' in page and not leaks(page.encode())
    assert not reads(object_type__startswith="rights_")
    c = console(officer)
    page = c.get(f"/rights/{written['refused']}/").content.decode()
    assert 'data-testid="refusal"' in page and REFUSAL in page
    page = c.get(f"/rights/{written['done']}/").content.decode()
    assert 'data-testid="resolution"' in page and RESOLUTION in page and MOVE in page
    page = c.get(f"/rights/{written['restrict']}/").content.decode()
    assert 'data-testid="lifted"' in page and LIFT in page
    lifted = reads(object_type="rights_restriction")
    assert len(lifted) == 1 and lifted[0].fields == {"lift_reason": "plain"}
    assert {e.actor_role for e in reads(object_type__startswith="rights_")} == {"privacy_officer"}


@pytest.mark.django_db
def test_access_copy_opens_refusal_reasons_through_the_gate(
    written: dict[str, Any], officer: Any
) -> None:
    cid = written["customer"].id
    copy = services.access_copy(officer, cid)
    by_id = {r["id"]: r for r in copy["requests"]}
    assert by_id[written["refused"]]["refusal_reason"] == REFUSAL
    assert by_id[written["done"]]["refusal_reason"] == ""
    # what the customer wrote and the resolution they were given are in the copy too
    assert by_id[written["done"]]["resolution"] == RESOLUTION
    assert by_id[written["done"]]["detail"] == "前台声音太大"
    ev = reads(object_type="rights_request", object_id=str(written["refused"]))
    assert [e.fields for e in ev] == [{"refusal_reason": "plain"}]
    from django.template.loader import render_to_string

    from baomi.rights import presenters

    html = render_to_string("rights/copy.html", presenters.copy_context(copy))
    assert RESOLUTION in html and REFUSAL in html and "前台声音太大" in html


@pytest.mark.django_db
def test_data_subject_sees_refusal_reasons_in_one_gate_call(
    written: dict[str, Any], officer: Any
) -> None:
    me = portal()
    page = me.get("/portal/me/").content.decode()
    assert 'data-testid="refusal-reason"' in page and REFUSAL in page
    assert RESOLUTION not in page and MOVE not in page  # the portal shows refusals only
    ev = reads(object_type="rights_request", actor_role="data_subject")
    assert [(e.object_id, e.fields) for e in ev] == [
        (str(written["refused"]), {"refusal_reason": "plain"})
    ]
    # one gate call per page: two more refusals cost no more queries
    with CaptureQueriesContext(connection) as one:
        me.get("/portal/me/")
    cid = written["customer"].id
    for _ in range(2):
        extra = services.create_request(officer, cid, "access")
        services.transition(officer, extra.pk, "refused", REFUSAL)
    with CaptureQueriesContext(connection) as three:
        page = me.get("/portal/me/").content.decode()
    assert page.count('data-testid="refusal-reason"') == 3
    assert len(three.captured_queries) == len(one.captured_queries)


@pytest.mark.django_db
def test_ciphertext_is_bound_to_its_row(written: dict[str, Any], officer: Any) -> None:
    """A refusal reason copied onto another request does not open (associated data binds
    table, field, customer and row)."""
    blob = RightsRequest.objects.values_list("refusal_reason", flat=True).get(pk=written["refused"])
    RightsRequest.objects.filter(pk=written["done"]).update(refusal_reason=blob)
    with pytest.raises(IntegrityFailure):
        services.texts(officer, RightsRequest.objects.get(pk=written["done"]))


# -- (d) erased with the customer -----------------------------------------------------------------
@pytest.mark.django_db
def test_after_erasure_the_texts_are_gone_and_pages_still_answer(
    written: dict[str, Any], officer: Any, api_client: Any
) -> None:
    cust: Customer = written["customer"]
    me = portal()
    assert REFUSAL in me.get("/portal/me/").content.decode()
    later = services.create_request(officer, cust.id, "complaint", detail="y")  # still open
    erase = services.create_request(officer, cust.id, "erase")
    for to in ("verified", "in_progress"):
        services.transition(officer, erase.pk, to)
    services.transition(officer, erase.pk, "completed", "erased as asked: " + MOVE)
    cust.refresh_from_db()
    assert cust.erased_at is not None
    # the request tables keep no ciphertext; the append-only history keeps ciphertext under
    # a destroyed key (noise), and the completing note was never stored at all
    assert not RightsRequest.objects.filter(customer_id=cust.id, refusal_reason__isnull=False)
    assert not RightsRequest.objects.filter(customer_id=cust.id, resolution__isnull=False)
    assert Restriction.objects.get().lift_reason is None
    done = RightsTransition.objects.get(request_id=erase.pk, to_state="completed")
    assert done.reason is None
    kept = RightsTransition.objects.get(request_id=written["done"], to_state="verified")
    assert kept.reason is not None
    with pytest.raises(Gone):
        gate.open_attached_many(
            officer,
            "rights_request",
            cust.id,
            [("rights_transition", kept.sealed_row, {"reason": kept.reason})],
        )
    assert services.texts(officer, RightsRequest.objects.get(pk=written["refused"])) == {}
    # a request still open can be refused: the reason is required but not kept
    services.transition(officer, later.pk, "refused", REFUSAL)
    assert RightsRequest.objects.get(pk=later.pk).refusal_reason is None
    assert RightsTransition.objects.get(request_id=later.pk, to_state="refused").reason is None
    # API: same shape, texts "", no error
    c, h = api_client("privacy_officer", "rights_request")
    for pk in (written["refused"], written["done"], later.pk, erase.pk):
        r = c.get(f"/api/v1/rights-requests/{pk}", headers=h)
        assert r.status_code == 200, r.content
        body = r.json()
        assert body["refusal_reason"] == "" and body["resolution"] == ""
        assert all(m["reason"] == "" for m in body["transitions"])
        assert "detail" not in body and not leaks(r.content)
    cert = c.get(f"/api/v1/rights-requests/{erase.pk}/certificate", headers=h)
    assert cert.status_code == 200 and cert.json()["destroyed"]["request_texts"] is True
    # console: the pages answer and say the texts went with the customer
    oc = console(officer)
    page = oc.get(f"/rights/{written['done']}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'data-testid="texts-erased"' in body and not leaks(body.encode())
    page = oc.get(f"/rights/{erase.pk}/")
    assert page.status_code == 200 and 'data-testid="certificate"' in page.content.decode()
    cert_page = oc.get(f"/rights/{erase.pk}/certificate/")
    assert cert_page.status_code == 200
    assert 'data-testid="certificate-no"' in cert_page.content.decode()
    assert oc.get("/rights/?closed=1").status_code == 200
    # portal: the customer is gone
    assert me.get("/portal/me/").status_code == 410
    assert not [e for e in reads(object_type__startswith="rights_") if e.at > erase.received_at]


@pytest.mark.django_db
def test_access_copy_holds_a_pending_correction(officer: Any, make_customer: Any) -> None:
    """A rectify request's proposed values are the customer's data: in the JSON copy and,
    labelled, in the readable one."""
    from django.template.loader import render_to_string

    from baomi.rights import presenters

    c = make_customer()
    services.create_request(officer, c.id, "rectify", changes={"phone": "13900001111"})
    copy = services.access_copy(officer, c.id)
    [req] = [r for r in copy["requests"] if r["kind"] == "rectify"]
    assert req["changes"] == {"phone": "+8613900001111"}
    html = render_to_string("rights/copy.html", presenters.copy_context(copy))
    assert "13900001111" in html
    assert "请求更正" in html or "Correction asked" in html
