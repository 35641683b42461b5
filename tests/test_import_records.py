"""Industry records in `baomi import` files (issue #11; R-A4, R-A6, R-C1; decision 0039).

Through the CLI (`call_command("import_data", …)`): stays, bookings and shipments land on
the customer the row landed on, sealed under that customer's key, readable through the
gate's 360 view; `--industry` refuses another pack's columns before anything is written;
bad values reject the row (rejects file: row, column, code — no value); a re-run writes no
duplicate; a row held whole by survivorship lands no record; one audit event per kind and
batch lists the records, never a value; no value rests in plain.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError
from django.db import connection
from django.utils import timezone

from baomi.audit.models import Action, AuditEvent
from baomi.audit.services import events_naming
from baomi.customers import gate
from baomi.customers.models import Booking, Customer, Shipment, Stay
from conftest import import_cli

pytestmark = pytest.mark.django_db

BASE = ["name", "phone", "id_type", "id_number"]
STAY = ["stay.reference", "stay.check_in", "stay.check_out", "stay.room", "stay.spend"]
BOOKING = [
    "booking.reference",
    "booking.start_date",
    "booking.end_date",
    "booking.destination",
    "booking.amount",
]
SHIPMENT = [
    "shipment.waybill_no",
    "shipment.recipient_name",
    "shipment.recipient_address",
    "shipment.recipient_phone",
    "shipment.status",
]


def write(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def base(synth: Any) -> list[str]:
    c = synth.customer(foreign_share=0)
    return [c["name"], c["phone"], c["id_type"], c["id_number"]]


def customer_for(id_number: str, make_staff: Any) -> Any:
    po = make_staff("privacy_officer")
    ids = list(Customer.objects.values_list("id", flat=True))
    for v in gate.access_customers(po, "rights_request", ids):
        if v.fields["id_number"] == id_number:
            return v.id
    raise AssertionError("not imported")


def records_of(make_staff: Any, cid: Any) -> dict[str, list[Any]]:
    """The customer 360 through the gate (privacy officer, rights request: all in full)."""
    view = gate.access_customer(make_staff("privacy_officer"), "rights_request", cid)
    return view.records


def rejects(path: Path) -> list[list[str]]:
    with Path(str(path) + ".rejects.csv").open(encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    return [r[:3] for r in rows[1:]]


def test_hotel_file_imports_stays_readable_through_the_gate(
    tmp_path: Path, synth: Any, make_staff: Any
) -> None:
    a, b = base(synth), base(synth)
    rows = [
        [*a, "H-1001", "2026-03-01", "2026-03-04", "1203", "1880.5"],
        [*b, "H-1002", "2026-04-10", "2026-04-11", "", ""],  # room and spend not given
    ]
    summary = import_cli(
        write(tmp_path / "h.csv", BASE + STAY, rows), "--industry", "hotel", channel="partner"
    )
    assert (summary["created"], summary["stays"], summary["stays_present"]) == (2, 2, 0)
    ca = customer_for(a[3], make_staff)
    stays = records_of(make_staff, ca)["stay"]
    assert len(stays) == 1
    s = stays[0]
    assert s.meta["reference"] == "H-1001" and s.meta["channel"] == "partner"
    assert s.fields["room"] == "1203" and s.fields["check_in"] == "2026-03-01"
    assert s.fields["check_out"] == "2026-03-04" and s.fields["spend"] == "1880.50"
    sb = records_of(make_staff, customer_for(b[3], make_staff))["stay"][0]
    assert sb.fields.get("room") is None and sb.meta["reference"] == "H-1002"
    # sealed at rest: the stored column is ciphertext bound to the record
    raw = Stay.objects.get(reference="H-1001")
    assert b"1203" not in bytes(raw.room) and str(raw.customer_id) == str(ca)


def test_travel_and_courier_files(tmp_path: Path, synth: Any, make_staff: Any) -> None:
    a, b = base(synth), base(synth)
    travel = import_cli(
        write(
            tmp_path / "t.csv",
            BASE + BOOKING,
            [[*a, "BK-77", "2026-05-01", "2026-05-06", "大阪", "12000"]],
        ),
        "--industry",
        "travel",
    )
    assert (travel["bookings"], travel["bookings_present"]) == (1, 0)
    courier = import_cli(
        write(
            tmp_path / "c.csv",
            BASE + SHIPMENT,
            [[*b, "SF1234567890", "收件人", "杭州市西湖区文三路1号", "13612348765", "delivered"]],
        ),
        "--industry",
        "courier",
    )
    assert (courier["shipments"], courier["shipments_conflict"]) == (1, 0)
    bk = records_of(make_staff, customer_for(a[3], make_staff))["booking"][0]
    assert bk.fields["destination"] == "大阪" and bk.fields["amount"] == "12000.00"
    sh = records_of(make_staff, customer_for(b[3], make_staff))["shipment"][0]
    assert sh.meta == {**sh.meta, "waybill_no": "SF1234567890", "status": "delivered"}
    assert sh.fields["recipient_phone"] == "+8613612348765"  # normalised by the catalogue


def test_all_kinds_in_one_row_by_default_and_through_a_mapping(
    tmp_path: Path, synth: Any, make_staff: Any
) -> None:
    a = base(synth)
    header = ["姓名", "phone", "id_type", "id_number", "入住单号", "入住", "离店", *BOOKING[:3]]
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        "columns:\n  姓名: name\n  入住单号: stay.reference\n  入住: stay.check_in\n"
        "  离店: stay.check_out\n",
        encoding="utf-8",
    )
    row = [*a, "S-1", "2026-01-01", "2026-01-02", "B-1", "2026-02-01", "2026-02-03"]
    summary = import_cli(write(tmp_path / "all.csv", header, [row]), "--mapping", str(mapping))
    assert (summary["stays"], summary["bookings"]) == (1, 1)
    recs = records_of(make_staff, customer_for(a[3], make_staff))
    assert len(recs["stay"]) == 1 and len(recs["booking"]) == 1 and recs["shipment"] == []


@pytest.mark.parametrize(
    ("industry", "header", "named"),
    [
        ("hotel", BASE + STAY + BOOKING[:3], "booking.reference (travel)"),
        ("travel", BASE + STAY[:3], "stay.reference (hotel)"),
        ("courier", [*BASE, "stay.room"], "stay.room (hotel)"),
    ],
)
def test_record_column_of_another_industry_refuses_the_file(
    tmp_path: Path, synth: Any, industry: str, header: list[str], named: str
) -> None:
    row = [*base(synth)] + ["x"] * (len(header) - len(BASE))
    with pytest.raises(CommandError, match="column_industry") as exc:
        import_cli(write(tmp_path / "w.csv", header, [row]), "--industry", industry)
    assert named in str(exc.value)
    assert Customer.objects.count() == 0 and Stay.objects.count() == 0
    assert not AuditEvent.objects.filter(action=Action.IMPORT_STARTED).exists()


def test_files_without_record_columns_are_unchanged_by_industry(tmp_path: Path, synth: Any) -> None:
    summary = import_cli(write(tmp_path / "p.csv", BASE, [base(synth)]), "--industry", "courier")
    assert summary["created"] == 1
    assert not {"stays", "bookings", "shipments"} & set(summary)


def test_missing_required_column_refuses_the_file(tmp_path: Path, synth: Any) -> None:
    header = [*BASE, "stay.reference", "stay.room"]
    with pytest.raises(CommandError, match="column_missing") as exc:
        import_cli(write(tmp_path / "m.csv", header, [[*base(synth), "R1", "101"]]))
    assert "stay.check_in" in str(exc.value) and Customer.objects.count() == 0


@pytest.mark.parametrize(
    ("column", "value", "code"),
    [
        ("stay.check_in", "2026-13-01", "date_invalid"),
        ("stay.check_out", "2026-02-27", "date_order"),
        ("stay.spend", "lots", "amount_invalid"),
        ("stay.reference", "住客 13800138000", "reference_invalid"),
        ("stay.reference", "", "required"),
        ("stay.room", "房\u202e间", "bidi_control"),
    ],
)
def test_bad_record_value_rejects_the_row_without_echoing_it(
    tmp_path: Path, synth: Any, column: str, value: str, code: str
) -> None:
    good = [*base(synth), "OK-1", "2026-03-01", "2026-03-02", "101", "100"]
    bad = [*base(synth), "BAD-1", "2026-03-01", "2026-03-02", "102", "100"]
    bad[(BASE + STAY).index(column)] = value
    path = write(tmp_path / "b.csv", BASE + STAY, [good, bad])
    summary = import_cli(path, status=3)
    assert (summary["created"], summary["rejected"], summary["stays"]) == (1, 1, 1)
    assert rejects(path) == [["3", column, code]]
    text = Path(str(path) + ".rejects.csv").read_text(encoding="utf-8")
    assert not value or value not in text
    assert Stay.objects.count() == 1 and Customer.objects.count() == 1


def test_re_run_creates_no_duplicate(tmp_path: Path, synth: Any, make_staff: Any) -> None:
    a, b = base(synth), base(synth)
    header = BASE + STAY[:3] + SHIPMENT[:3]
    rows = [
        [*a, "R-1", "2026-01-01", "2026-01-03", "W-1", "甲", "上海市黄浦区1号"],
        [*b, "R-1", "2026-01-05", "2026-01-06", "W-2", "乙", "上海市黄浦区2号"],  # R-1 again:
        [*a, "R-1", "2026-01-01", "2026-01-03", "W-1", "甲", "上海市黄浦区1号"],  # per customer
    ]
    path = write(tmp_path / "r.csv", header, rows)
    first = import_cli(path)
    assert (first["stays"], first["stays_present"]) == (2, 1)
    assert (first["shipments"], first["shipments_present"]) == (2, 1)
    again = import_cli(path)
    assert (again["created"], again["merged"]) == (0, 3)
    assert (again["stays"], again["stays_present"]) == (0, 3)
    assert (again["shipments"], again["shipments_present"], again["shipments_conflict"]) == (
        0,
        3,
        0,
    )
    assert Stay.objects.count() == 2 and Shipment.objects.count() == 2
    # a waybill number stored for another customer is not taken over
    c = base(synth)
    other = write(
        tmp_path / "o.csv",
        header,
        [[*c, "R-9", "2026-01-01", "2026-01-02", "W-1", "丙", "北京市1号"]],
    )
    clash = import_cli(other)
    assert (clash["created"], clash["stays"], clash["shipments_conflict"]) == (1, 1, 1)
    owner = Shipment.objects.get(waybill_no="W-1").customer_id
    assert str(owner) == str(customer_for(a[3], make_staff))


def test_a_row_held_whole_by_survivorship_lands_no_record(
    tmp_path: Path, synth: Any, make_staff: Any
) -> None:
    a = base(synth)
    import_cli(write(tmp_path / "day1.csv", BASE, [a]))
    impostor = ["冒名者", *a[1:]]  # the same ID number, another name: identity conflict
    path = write(
        tmp_path / "day2.csv", BASE + STAY[:3], [[*impostor, "H-9", "2026-01-01", "2026-01-02"]]
    )
    import io

    from django.core.management import call_command

    out, err = io.StringIO(), io.StringIO()
    call_command("import_data", str(path), "--channel", "store", stdout=out, stderr=err)
    summary = json.loads(out.getvalue())
    assert summary["held"] == 1 and summary["stays"] == 0
    assert Stay.objects.count() == 0
    assert "lands none of its consent or record columns" in err.getvalue()


def test_audit_event_per_kind_and_batch_lists_records_never_values(
    tmp_path: Path, synth: Any, make_staff: Any
) -> None:
    a, b = base(synth), base(synth)
    rows = [
        [*a, "H-1", "2026-03-01", "2026-03-04", "金丝雀套房8808", "1880"],
        [*b, "H-2", "2026-03-01", "2026-03-04", "", ""],
    ]
    path = write(tmp_path / "a.csv", BASE + STAY, rows)
    import_cli(path, "--batch-size", "1")
    events = list(AuditEvent.objects.filter(action=Action.RECORD_CREATED).order_by("seq"))
    assert len(events) == 2  # one per batch (of one row each here)
    ca = customer_for(a[3], make_staff)
    stay = Stay.objects.get(customer_id=ca)
    first = events[0]
    assert first.object_type == "stay_batch" and first.detail["entity"] == "stay"
    assert first.detail["created"] == 1 and first.detail["present"] == 0
    assert first.detail["records"] == [[str(ca), str(stay.id)]]
    assert sorted(first.fields["names"]) == ["check_in", "check_out", "room", "spend"]
    assert "stay_batch" in [e.object_type for e in events_naming(ca)]
    doc = json.dumps([e.detail for e in events] + [e.fields for e in events], ensure_ascii=False)
    assert (
        "金丝雀" not in doc and "2026-03-01" not in doc and "1880.0" not in doc
    )  # (a bare "1880" may occur in a uuid)
    # a re-run leaves its event too (evidence that the file was seen again), naming no one
    import_cli(path)
    last = AuditEvent.objects.filter(action=Action.RECORD_CREATED).order_by("-seq").first()
    assert last is not None and last.detail["present"] == 2 and last.detail["records"] == []


def test_no_imported_record_value_rests_in_plain(tmp_path: Path, synth: Any) -> None:
    """DESIGN §3 rule 2, as tests/test_no_plaintext_at_rest.py: every table of this run's
    database scanned for the imported canary values (UTF-8, JSON escapes, hex)."""
    from test_no_plaintext_at_rest import _table_bytes, encodings

    canaries = [
        "金丝雀套房8808",
        "需要安静的金丝雀鸟笼",
        "Kanarieninsel",
        "金丝雀收件人",
        "杭州市金丝雀路66号",
    ]
    a = base(synth)
    header = (
        BASE
        + STAY[:4]
        + [
            "stay.special_requests",
            "booking.reference",
            "booking.start_date",
            "booking.end_date",
            "booking.destination",
        ]
        + SHIPMENT[:3]
    )
    row = [
        *a,
        "CTRL-STAY-1",
        "2026-03-01",
        "2026-03-02",
        canaries[0],
        canaries[1],
        "CTRL-BK-1",
        "2026-04-01",
        "2026-04-02",
        canaries[2],
        "CTRL-WB-1",
        canaries[3],
        canaries[4],
    ]
    summary = import_cli(write(tmp_path / "z.csv", header, [row]))
    assert (summary["stays"], summary["bookings"], summary["shipments"]) == (1, 1, 1)
    tables = _table_bytes()
    assert b"CTRL-STAY-1" in tables["customers_stay"]  # positive control: rows are read
    found = [
        (t, v)
        for t, blob in tables.items()
        for v in canaries
        if any(f in blob for f in encodings(v))
    ]
    assert not found, found
    assert connection.vendor in {"sqlite", "postgresql"}


def test_bookings_count_per_customer_natural_key(tmp_path: Path, synth: Any) -> None:
    a = base(synth)
    rows = [
        [*a, "BK-1", "2026-05-01", "2026-05-02", "", ""],
        [*a, "BK-2", "2026-06-01", "2026-06-02", "", ""],
    ]
    summary = import_cli(write(tmp_path / "k.csv", BASE + BOOKING, rows))
    assert (summary["merged"], summary["bookings"]) == (1, 2)
    assert Booking.objects.count() == 2


@pytest.mark.parametrize("industry", ["hotel", "travel", "courier"])
def test_the_benchmark_files_import_whole(tmp_path: Path, industry: str) -> None:
    """`benchmarks/bench_ingest.py --industry` measures what it says: its synthetic rows
    (customers + one record each) all pass validation and land."""
    import importlib.util

    root = Path(__file__).resolve().parent.parent
    spec = importlib.util.spec_from_file_location(
        "bench_ingest", root / "benchmarks" / "bench_ingest.py"
    )
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    path = bench.write_records_csv(tmp_path / f"{industry}.csv", 40, 7, industry)
    summary = import_cli(path, "--industry", industry)
    kind = {"hotel": "stays", "travel": "bookings", "courier": "shipments"}[industry]
    assert (summary["rows"], summary["rejected"], summary[kind]) == (40, 0, 40)


@pytest.mark.parametrize("industry", [None, "courier"])
def test_a_hotel_deployment_imports_no_parcels(
    tmp_path: Path, synth: Any, industry: str | None
) -> None:
    """BAOMI_INDUSTRIES=hotel: shipment columns are refused with --industry all (the
    default) and with --industry courier alike — the deployment collects none (R-B1)."""
    from django.test import override_settings

    header = BASE + SHIPMENT[:3]
    path = write(tmp_path / "p.csv", header, [[*base(synth), "W-1", "乙", "上海市黄浦区2号"]])
    args = ("--industry", industry) if industry else ()
    with override_settings(BAOMI_INDUSTRIES=["hotel"]):
        with pytest.raises(CommandError, match="this deployment runs hotel") as exc:
            import_cli(path, *args)
        assert "shipment.waybill_no (courier)" in str(exc.value)
        stays = write(
            tmp_path / "s.csv", BASE + STAY[:3], [[*base(synth), "S-1", "2026-01-01", "2026-01-02"]]
        )
        assert import_cli(stays)["stays"] == 1
    assert Shipment.objects.count() == 0


def test_imported_history_is_dated_from_its_own_first_day_so_retention_sees_it(
    tmp_path: Path, synth: Any
) -> None:
    """A stay that ended in 2020 brought in today must not wait two more years: its record
    is dated from its check-in (retention's pre-filter reads `created_at`), a future trip
    from today (R-C5); the stay rule then destroys the old stay on its first run."""
    from baomi.customers import retention

    a, b = base(synth), base(synth)
    import_cli(
        write(
            tmp_path / "old.csv",
            BASE + STAY,
            [
                [*a, "H-2020", "2020-01-01", "2020-01-03", "1203", ""],
                [*b, "H-2099", "2099-05-01", "2099-05-03", "", ""],
            ],
        ),
        "--industry",
        "hotel",
    )
    old, future = Stay.objects.get(reference="H-2020"), Stay.objects.get(reference="H-2099")
    assert timezone.localtime(old.created_at).date().isoformat() == "2020-01-01"
    assert future.created_at.year == timezone.now().year  # not dated in the future
    stay_rule = next(r for r in retention.RULES if r.entity == "stay")
    assert stay_rule.expire(timezone.now(), dry_run=True).expired == 1
