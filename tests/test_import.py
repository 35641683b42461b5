"""`baomi import FILE --channel C [--mapping MAP.yaml]` (R-A1, R-B4, R-C4, R-K1, R-E1).

Everything goes through the CLI (`call_command("import_data", …)`, which the console
script maps `baomi import` to) and everything read back goes through the access gate.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from baomi.audit.models import Action, AuditEvent, Outcome
from baomi.customers import gate
from baomi.customers.models import Customer
from baomi.vault.models import BlindIndexEntry, DataKey
from conftest import import_cli

pytestmark = pytest.mark.django_db

HEADER = [
    "name",
    "phone",
    "email",
    "id_type",
    "id_number",
    "gender",
    "birth_date",
    "nationality",
    "address",
]


def write_csv(path: Path, rows: list[dict[str, Any]], header: list[str] | None = None) -> Path:
    header = header or HEADER
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for r in rows:
            w.writerow([r.get(h, "") for h in header])
    return path


def run_import(path: Path, *args: str, channel: str = "store", status: int = 0) -> dict[str, Any]:
    return import_cli(path, *args, channel=channel, status=status)


def people(synth: Any, n: int) -> list[dict[str, Any]]:
    return [synth.customer() for _ in range(n)]


def read_all(make_staff: Any) -> dict[str, dict[str, Any]]:
    """Every stored customer through the gate (privacy officer sees plain values)."""
    po = make_staff("privacy_officer")
    ids = list(Customer.objects.values_list("id", flat=True))
    views = gate.access_customers(po, "rights_request", ids)
    assert len(views) == len(ids)  # every stored customer opens: key and ciphertexts agree
    return {v.fields["id_number"] or v.fields["phone"]: v.fields for v in views}


def imported(action: str) -> dict[str, list[str]]:
    """customer id → the field names of each `created` / `merged` change the import's batch
    events (decision 0023: one event per batch) name for it."""
    out: dict[str, list[str]] = {}
    for e in AuditEvent.objects.filter(action=Action.CUSTOMER_IMPORTED).order_by("seq"):
        for change in e.detail["changes"]:
            if change["action"] == action:
                for cid in change["customers"]:
                    out.setdefault(cid, []).append(",".join(change["fields"]))
    return out


def by_id(make_staff: Any) -> dict[str, gate.CustomerView]:
    po = make_staff("privacy_officer")
    ids = list(Customer.objects.values_list("id", flat=True))
    return {v.fields["id_number"]: v for v in gate.access_customers(po, "rights_request", ids)}


def assert_vault_consistent() -> None:
    """One data key per customer, blind-index rows only for stored customers, and one row
    per indexed field the customer has (name always; phone/email/id_number when given)."""
    cids = set(Customer.objects.values_list("id", flat=True))
    assert set(DataKey.objects.values_list("subject_id", flat=True)) == cids
    index = list(BlindIndexEntry.objects.values_list("subject_id", "field"))
    assert {s for s, _ in index} == cids
    assert len(index) == len(set(index))  # no field indexed twice for one customer
    for c in Customer.objects.all():
        want = {f for f in ("name", "phone", "email", "id_number") if getattr(c, f) is not None}
        assert {f for s, f in index if s == c.id} == want


def test_csv_import_creates_profiles_readable_through_the_gate(
    tmp_path: Path, synth: Any, make_staff: Any
) -> None:
    rows = people(synth, 6)
    summary = run_import(write_csv(tmp_path / "c.csv", rows), channel="partner")
    assert summary["rows"] == 6 and summary["created"] == 6
    assert summary["merged"] == summary["rejected"] == 0
    assert set(summary) == {"rows", "created", "merged", "held", "rejected", "seconds"}
    assert not (tmp_path / "c.csv.rejects.csv").exists()  # nothing rejected: no file
    stored = by_id(make_staff)
    for r in rows:
        v = stored[r["id_number"]]
        assert v.fields["name"] == r["name"]
        assert v.fields["email"] == r["email"].lower()
        assert v.fields["birth_date"] == r["birth_date"]
        assert v.primary_channel == "partner"
        assert v.lineage["phone"]["channel"] == "partner"
    assert_vault_consistent()
    # stored bytes are ciphertext: no value appears in any sealed column
    for c in Customer.objects.all():
        for f in HEADER:
            blob = bytes(getattr(c, f))
            assert all(str(r[f]).encode() not in blob for r in rows)


def test_xlsx_import_with_numbers_and_dates(tmp_path: Path, synth: Any, make_staff: Any) -> None:
    from openpyxl import Workbook

    rows = [synth.customer(foreign_share=0) for _ in range(4)]
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER)
    for r in rows:
        cells: list[Any] = [r[h] for h in HEADER]
        cells[1] = int(r["phone"])  # spreadsheets keep phones as numbers
        cells[6] = date.fromisoformat(r["birth_date"])  # and dates as dates
        ws.append(cells)
    ws.append([None] * len(HEADER))  # an empty row is skipped, not rejected
    wb.save(tmp_path / "c.xlsx")
    summary = run_import(tmp_path / "c.xlsx")
    assert summary["rows"] == 4 and summary["created"] == 4 and summary["rejected"] == 0
    stored = by_id(make_staff)
    for r in rows:
        assert stored[r["id_number"]].fields["phone"] == "+86" + r["phone"]
        assert stored[r["id_number"]].fields["birth_date"] == r["birth_date"]


def test_mapping_yaml_with_chinese_headers(tmp_path: Path, synth: Any, make_staff: Any) -> None:
    rows = people(synth, 3)
    zh = {
        "姓名": "name",
        "手机号码": "phone",
        "证件类型": "id_type",
        "证件号码": "id_number",
        "出生日期": "birth_date",
        "备注": "ignore",
    }
    (tmp_path / "map.yaml").write_text(
        "columns:\n" + "".join(f"  {k}: {v}\n" for k, v in zh.items()), encoding="utf-8"
    )
    path = tmp_path / "客户.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as fh:  # Excel writes a BOM
        w = csv.writer(fh)
        w.writerow(list(zh))
        for r in rows:
            w.writerow(
                [r["name"], r["phone"], r["id_type"], r["id_number"], r["birth_date"], "VIP"]
            )
    summary = run_import(path, "--mapping", str(tmp_path / "map.yaml"))
    assert summary["created"] == 3 and summary["rejected"] == 0
    stored = by_id(make_staff)
    assert {stored[r["id_number"]].fields["name"] for r in rows} == {r["name"] for r in rows}
    assert all(v.fields["email"] is None for v in stored.values())  # unmapped: not collected


def test_rejects_file_has_reasons_but_no_values(tmp_path: Path, synth: Any) -> None:
    good = people(synth, 2)
    bad_phone = {**synth.customer(), "phone": "99999-BADPHONE"}
    bad_id = {**synth.customer(foreign_share=0)}
    bad_id["id_number"] = bad_id["id_number"][:-1] + (
        "0" if bad_id["id_number"][-1] != "0" else "1"
    )
    no_name = {**synth.customer(), "name": ""}
    bad_email = {**synth.customer(), "email": "zz-not-an-address@@example", "gender": "robot"}
    rows = [good[0], bad_phone, bad_id, no_name, bad_email, good[1]]
    path = write_csv(tmp_path / "c.csv", rows)
    err = io.StringIO()
    out = io.StringIO()
    with pytest.raises(CommandError) as exit3:
        call_command("import_data", str(path), "--channel", "web", stdout=out, stderr=err)
    assert exit3.value.returncode == 3  # some rows rejected; the summary is still printed
    summary = json.loads(out.getvalue())
    assert summary == {**summary, "rows": 6, "created": 2, "rejected": 4, "merged": 0}
    rejects = tmp_path / "c.csv.rejects.csv"
    assert str(rejects) in err.getvalue()
    text = rejects.read_text(encoding="utf-8")
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[0] == ["row", "field", "code", "message"]
    got = {(int(r[0]), r[1], r[2]) for r in lines[1:]}
    assert (3, "phone", "phone_invalid") in got or (3, "phone", "phone_unparseable") in got
    assert (4, "id_number", "id_number_invalid") in got
    assert (5, "name", "required") in got
    assert (6, "email", "email_invalid") in got and (6, "gender", "not_a_choice") in got
    assert all(r[3] for r in lines[1:])  # every reason has a message
    codes = {"passport", "cn_resident_id", "male", "female"}  # listed in choice messages
    for r in rows[1:5]:  # not one rejected value rests in the file
        for v in r.values():
            if v and len(str(v)) >= 3 and v not in codes:
                assert str(v) not in text, v


def test_duplicates_within_the_file_are_merged(tmp_path: Path, synth: Any, make_staff: Any) -> None:
    a, b, c = (synth.customer(foreign_share=0) for _ in range(3))
    a2 = {**a, "email": "a.second@example.cn", "address": ""}  # same ID number
    b2 = {"name": b["name"], "phone": b["phone"], "email": "b.second@example.cn"}  # phone+name
    rows = [a, b, a2, c, b2]
    summary = run_import(write_csv(tmp_path / "c.csv", rows))
    assert summary["created"] == 3 and summary["merged"] == 2
    stored = by_id(make_staff)
    assert len(stored) == Customer.objects.count() == 3
    assert stored[a["id_number"]].fields["email"] == "a.second@example.cn"  # later row wins
    assert stored[a["id_number"]].fields["address"] == a["address"]  # blank keeps the value
    assert stored[b["id_number"]].fields["email"] == "b.second@example.cn"
    assert_vault_consistent()
    merged = imported("merged")
    assert sum(len(v) for v in merged.values()) == 2
    assert AuditEvent.objects.filter(action=Action.CUSTOMER_IMPORTED).count() == 1  # one batch


def test_duplicates_of_stored_customers_merge_into_the_profile_with_lineage(
    tmp_path: Path, synth: Any, make_customer: Any, make_staff: Any
) -> None:
    old_a = make_customer()  # channel "store"
    b = dict(synth.customer())
    old_b = make_customer(name=b["name"], phone=b["phone"], id_type=None, id_number=None)
    po = make_staff("privacy_officer")
    a_view = gate.access_customer(po, "rights_request", old_a.id)
    row_a = {
        "name": a_view.fields["name"],
        "id_type": a_view.fields["id_type"],
        "id_number": a_view.fields["id_number"],
        "email": "new.mail@example.cn",
        "address": "上海市徐汇区新地址1号",
    }
    row_b = {"name": b["name"], "phone": b["phone"], "email": "b.new@example.cn"}
    new = synth.customer()
    summary = run_import(write_csv(tmp_path / "c.csv", [row_a, row_b, new]), channel="ota")
    assert summary["created"] == 1 and summary["merged"] == 2
    assert Customer.objects.count() == 3  # one profile per person
    va = gate.access_customer(po, "rights_request", old_a.id)
    assert va.fields["email"] == "new.mail@example.cn"
    assert va.fields["phone"] == a_view.fields["phone"]  # untouched field kept
    assert va.primary_channel == "store"
    assert va.lineage["email"]["channel"] == "ota" and va.lineage["address"]["channel"] == "ota"
    assert va.lineage["phone"]["channel"] == "store"
    vb = gate.access_customer(po, "rights_request", old_b.id)
    assert vb.fields["email"] == "b.new@example.cn" and vb.lineage["email"]["channel"] == "ota"
    assert_vault_consistent()
    # the new e-mail is searchable through the blind index, the old one is gone
    from baomi.customers import services

    cs = make_staff("customer_service")
    hit = services.search_customers(cs, "customer_service", {"email": "new.mail@example.cn"})
    assert [v.id for v in hit.results] == [str(old_a.id)]


def test_rerun_of_the_same_file_creates_nothing_new(tmp_path: Path, synth: Any) -> None:
    path = write_csv(tmp_path / "c.csv", people(synth, 8))
    first = run_import(path)
    assert first["created"] == 8
    again = run_import(path, "--batch-size", "3")
    assert again["created"] == 0 and again["merged"] == 8 and again["rejected"] == 0
    assert Customer.objects.count() == 8
    assert_vault_consistent()


@pytest.mark.parametrize(
    "header",
    [
        [*HEADER, "cvv"],
        [*HEADER, "CVV2"],
        [*HEADER, "card_cvc"],
        [*HEADER, "Security Code"],
        [*HEADER, "安全码"],
    ],
)
def test_cvv_column_refused_and_nothing_written(
    tmp_path: Path, synth: Any, header: list[str]
) -> None:
    rows = [{**r, header[-1]: "123"} for r in people(synth, 2)]
    path = write_csv(tmp_path / "c.csv", rows, header)
    with pytest.raises(CommandError, match="cvv_forbidden"):
        run_import(path)
    assert Customer.objects.count() == DataKey.objects.count() == 0
    assert BlindIndexEntry.objects.count() == 0
    assert not AuditEvent.objects.filter(action=Action.IMPORT_STARTED).exists()
    assert not (tmp_path / "c.csv.rejects.csv").exists()


def test_cvv_refused_even_when_mapped_away(tmp_path: Path, synth: Any) -> None:
    rows = [{**r, "卡背面": "123"} for r in people(synth, 1)]
    path = write_csv(tmp_path / "c.csv", rows, [*HEADER, "卡背面"])
    (tmp_path / "m.yaml").write_text("卡背面: cvv\n", encoding="utf-8")
    with pytest.raises(CommandError, match="cvv_forbidden"):
        run_import(path, "--mapping", str(tmp_path / "m.yaml"))
    (tmp_path / "m2.yaml").write_text("CVV: ignore\n", encoding="utf-8")
    path2 = write_csv(tmp_path / "d.csv", [{**rows[0], "CVV": "1"}], [*HEADER, "CVV"])
    with pytest.raises(CommandError, match="cvv_forbidden"):
        run_import(path2, "--mapping", str(tmp_path / "m2.yaml"))
    assert Customer.objects.count() == 0


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ([*HEADER, "wechat_id"], "column_unknown"),
        ([*HEADER, "payment_card"], "column_not_importable"),
        ([*HEADER, "phone"], "column_duplicate"),
        (["phone", "email"], "column_missing"),
    ],
)
def test_bad_columns_refused_before_anything_is_written(
    tmp_path: Path, synth: Any, header: list[str], code: str
) -> None:
    path = write_csv(tmp_path / "c.csv", people(synth, 2), header)
    with pytest.raises(CommandError, match=code):
        run_import(path)
    assert Customer.objects.count() == 0
    assert not AuditEvent.objects.filter(action=Action.IMPORT_STARTED).exists()


def test_file_errors_are_refusals(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="file_missing"):
        run_import(tmp_path / "nope.csv")
    (tmp_path / "c.json").write_text("[]")
    with pytest.raises(CommandError, match="file_type"):
        run_import(tmp_path / "c.json")
    (tmp_path / "bad.yaml").write_text("name: [unclosed")
    (tmp_path / "ok.csv").write_text("name\n")
    with pytest.raises(CommandError, match="mapping_invalid"):
        run_import(tmp_path / "ok.csv", "--mapping", str(tmp_path / "bad.yaml"))


def test_gb18030_csv_and_row_too_long(tmp_path: Path, synth: Any, make_staff: Any) -> None:
    r = synth.customer(foreign_share=0)
    path = tmp_path / "gbk.csv"
    body = ",".join(HEADER) + "\n" + ",".join(r[h] for h in HEADER) + "\n"
    body += ",".join(synth.customer()[h] for h in HEADER) + ",extra\n"
    path.write_bytes(body.encode("gb18030"))
    summary = run_import(path, status=3)
    assert summary["created"] == 1 and summary["rejected"] == 1
    assert by_id(make_staff)[r["id_number"]].fields["name"] == r["name"]
    assert "row_too_long" in (tmp_path / "gbk.csv.rejects.csv").read_text()


class Killed(BaseException):
    """Stands in for SIGKILL / power loss in the middle of a batch."""


def test_killed_import_leaves_whole_batches_and_rerun_completes(
    tmp_path: Path, synth: Any, make_staff: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from baomi.customers.importer import reporting as importer

    rows = people(synth, 12)
    path = write_csv(tmp_path / "c.csv", rows)
    real = importer.record_many
    calls = {"n": 0}

    def dying(events: list[Any]) -> None:
        calls["n"] += 1
        if calls["n"] == 2:  # 2nd batch: keys, customers and index rows already inserted
            raise Killed
        real(events)

    monkeypatch.setattr(importer, "record_many", dying)
    with pytest.raises(Killed):
        run_import(path, "--batch-size", "5")
    monkeypatch.setattr(importer, "record_many", real)

    assert Customer.objects.count() == 5  # exactly the first batch, nothing of the second
    stored = by_id(make_staff)
    for r in rows[:5]:
        v = stored[r["id_number"]]
        assert all(v.fields[f] is not None for f in HEADER)  # whole customers, every field
        assert v.fields["name"] == r["name"]
    assert_vault_consistent()
    assert set(imported("created")) == {
        str(c) for c in Customer.objects.values_list("id", flat=True)
    }
    failed = AuditEvent.objects.get(action=Action.IMPORT_FINISHED)
    assert failed.outcome == Outcome.FAILED

    summary = run_import(path, "--batch-size", "5")
    assert summary["merged"] == 5 and summary["created"] == 7
    assert Customer.objects.count() == 12
    assert set(by_id(make_staff)) == {r["id_number"] for r in rows}
    assert_vault_consistent()


def test_audit_events_name_fields_never_values(tmp_path: Path, synth: Any) -> None:
    rows = people(synth, 4)
    rows.append({**rows[0], "email": "dup.mail@example.cn"})
    rows.append({**synth.customer(), "phone": "12"})
    summary = run_import(write_csv(tmp_path / "c.csv", rows), status=3)
    assert summary == {**summary, "created": 4, "merged": 1, "rejected": 1}
    events = list(AuditEvent.objects.order_by("seq"))
    assert events[0].action == Action.IMPORT_STARTED
    assert events[-1].action == Action.IMPORT_FINISHED and events[-1].outcome == Outcome.OK
    assert events[-1].detail["created"] == 4 and events[-1].detail["rejected"] == 1
    [batch] = [e for e in events if e.action == Action.CUSTOMER_IMPORTED]  # one per batch
    created = imported("created")
    assert set(created) == {str(c) for c in Customer.objects.values_list("id", flat=True)}
    assert all("phone" in f for fs in created.values() for f in fs)
    assert "phone" in batch.fields["names"]
    [(mid, [mfields])] = imported("merged").items()
    assert mid in created and "email" in mfields.split(",")
    blob = json.dumps([[e.fields, e.detail, e.object_id] for e in events], ensure_ascii=False)
    for r in rows:
        for v in r.values():
            if v and len(str(v)) >= 3 and v not in {"passport", "cn_resident_id", "male", "female"}:
                assert str(v) not in blob, v


def test_parallel_validation_gives_the_same_result(tmp_path: Path, synth: Any) -> None:
    rows = people(synth, 9)
    rows.append({**rows[2], "email": "again@example.cn"})
    rows.append({**synth.customer(), "birth_date": "2999-01-01"})
    summary = run_import(
        write_csv(tmp_path / "c.csv", rows), "--workers", "2", "--batch-size", "2", status=3
    )
    assert summary == {**summary, "rows": 11, "created": 9, "merged": 1, "rejected": 1}
    assert_vault_consistent()


def test_console_script_maps_import(
    tmp_path: Path, synth: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.db import connections

    from baomi import cli

    # run_from_argv closes every connection when it ends; that would end the test's own
    # transaction on PostgreSQL, so keep it open here
    monkeypatch.setattr(connections, "close_all", lambda: None)
    path = write_csv(tmp_path / "c.csv", people(synth, 2))
    cli.main(["baomi", "import", str(path), "--channel", "call_center"])
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["created"] == 2
    assert set(Customer.objects.values_list("primary_channel", flat=True)) == {"call_center"}


def test_staff_import_needs_a_write_purpose(tmp_path: Path, synth: Any, make_staff: Any) -> None:
    from baomi.core.errors import Forbidden
    from baomi.customers.importer import Importer

    path = write_csv(tmp_path / "c.csv", people(synth, 1))
    with pytest.raises(Forbidden):
        Importer(make_staff("marketing"), "marketing", "web").run(path)
    s = Importer(make_staff("front_desk"), "reception", "web").run(path)
    assert s.created == 1
    [cid] = imported("created")
    assert uuid.UUID(cid) == Customer.objects.get().id


def test_consent_column_is_never_silently_dropped(tmp_path: Any) -> None:
    """A consent cell the ledger cannot read rejects its row (tests/test_import_consent.py
    covers what lands); it is never dropped without a word."""

    from baomi.customers.models import Customer

    f = tmp_path / "c.csv"
    f.write_text("name,phone,consent\n张三,13812345678,marketing\n", encoding="utf-8")
    assert import_cli(f, status=1)["rejected"] == 1  # nothing imported: exit 1
    assert Customer.objects.count() == 0
