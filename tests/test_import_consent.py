"""Consent columns in `baomi import` files (R-B3: consent captured at every entry point).

Through the CLI (`call_command("import_data", …)`), read back through the consent ledger
and the access gate: decisions land with their method, evidence, channel and notice version,
in the same transaction as the customers; bad consent cells reject the row whole; unknown
consent columns refuse the file before anything is written.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError

from baomi.audit.models import Action, AuditEvent
from baomi.audit.services import events_naming
from baomi.consent import selectors
from baomi.consent.models import ConsentEvent, ConsentState
from baomi.consent.services import current_notice
from baomi.customers import gate
from baomi.customers.models import Customer
from conftest import import_cli

pytestmark = pytest.mark.django_db

BASE = ["name", "phone", "id_type", "id_number"]


def write(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def run(path: Path, *args: str, channel: str = "store", status: int = 0) -> dict[str, Any]:
    return import_cli(path, *args, channel=channel, status=status)


def base(synth: Any) -> list[str]:
    c = synth.customer(foreign_share=0)
    return [c["name"], c["phone"], c["id_type"], c["id_number"]]


def customer_for(id_number: str, make_staff: Any) -> Any:
    """The stored customer with this ID number (found through the gate)."""
    po = make_staff("privacy_officer")
    ids = list(Customer.objects.values_list("id", flat=True))
    for v in gate.access_customers(po, "rights_request", ids):
        if v.fields["id_number"] == id_number:
            return v.id
    raise AssertionError("not imported")


def states(cid: Any) -> dict[str, bool]:
    return dict(ConsentState.objects.filter(customer_id=cid).values_list("purpose", "given"))


def test_consent_columns_land_in_the_ledger(tmp_path: Path, synth: Any, make_staff: Any) -> None:
    header = [
        *BASE,
        "consent.marketing",
        "consent_sensitive_processing",
        "consent_method",
        "consent_evidence",
    ]
    a, b, c = base(synth), base(synth), base(synth)
    rows = [
        [*a, "是", "yes", "signature", "FORM-2026/0001"],
        [*b, "no", "", "", ""],  # sensitive processing not asked: nothing recorded
        [*c, "", "", "", ""],  # nothing asked at all: no consent row
    ]
    summary = run(write(tmp_path / "c.csv", header, rows), channel="partner")
    assert (summary["created"], summary["rejected"], summary["consents"]) == (3, 0, 3)
    ca, cb, cc = (customer_for(r[3], make_staff) for r in (a, b, c))
    assert states(ca) == {"marketing": True, "sensitive_processing": True}
    assert states(cb) == {"marketing": False}
    assert states(cc) == {}
    notice = current_notice()
    ev = ConsentEvent.objects.get(customer_id=ca, purpose="marketing")
    assert (ev.channel, ev.method, ev.evidence) == ("partner", "signature", "FORM-2026/0001")
    assert ev.notice_id == notice.pk and ev.operator_role == "system" and not ev.self_service
    evb = ConsentEvent.objects.get(customer_id=cb)
    assert (evb.method, evb.evidence, evb.given) == ("import", "", False)
    # one audit event per batch and outcome (decision 0038), naming its customers: the
    # given one names a (with its decisions and method), the withdrawal-only one names b
    given = AuditEvent.objects.get(action=Action.CONSENT_GIVEN)
    assert given.object_type == "consent_batch" and given.detail["customers"] == 1
    assert given.detail["changes"] == [
        {
            "decisions": ["marketing:given", "sensitive_processing:given"],
            "method": "signature",
            "customers": [str(ca)],
        }
    ]
    assert not given.fields  # no profile field is read or written: purposes are in detail
    withdrawn = AuditEvent.objects.get(action=Action.CONSENT_WITHDRAWN)
    assert withdrawn.object_id == given.object_id  # the same batch
    assert withdrawn.detail["changes"][0]["customers"] == [str(cb)]
    # each customer's history lists its event; c (nothing asked) has none
    assert [e.action for e in events_naming(ca).filter(action__startswith="consent")] == [
        "consent.given"
    ]
    assert [e.action for e in events_naming(cb).filter(action__startswith="consent")] == [
        "consent.withdrawn"
    ]
    assert not events_naming(cc).filter(action__startswith="consent").exists()
    # the access copy (R-F1) lists the batch's consent event for a's customer
    from baomi.rights import services as rights

    copy = rights.access_copy(make_staff("privacy_officer"), ca)
    assert [e["action"] for e in copy["access_log"]["recent"]].count("consent.given") == 1
    # the import's start event names the consent columns it took
    started = AuditEvent.objects.get(action=Action.IMPORT_STARTED)
    assert "consent.marketing" in started.fields["names"]
    # the gate consults the ledger: marketing sees the consenting customer only
    mk = make_staff("marketing")
    seen = {v.id: v for v in gate.access_customers(mk, "marketing", [ca, cb])}
    assert seen[ca].fields["name"] and "name" not in seen[ca].withheld  # masked, not withheld
    assert "name" in seen[cb].withheld and not seen[cb].fields.get("name")
    # the KPI counts the two customers with a recorded decision under this notice
    assert selectors.kpi()["confirmed"] == 2


def test_consent_list_column_and_chinese_answers(
    tmp_path: Path, synth: Any, make_staff: Any
) -> None:
    a = base(synth)
    path = write(tmp_path / "c.csv", [*BASE, "consent"], [[*a, "marketing=是；profiling：否"]])
    assert run(path)["consents"] == 2
    assert states(customer_for(a[3], make_staff)) == {"marketing": True, "profiling": False}


@pytest.mark.parametrize(
    ("column", "value", "code"),
    [
        ("consent.marketing", "maybe", "consent_value"),
        ("consent", "marketing", "consent_list_format"),
        ("consent", "marketing=yes; no_such=yes", "consent_purpose_unknown"),
        ("consent", "marketing=yes; marketing=no", "consent_conflict"),
        ("consent_method", "portal", "consent_method_unknown"),
        ("consent_evidence", "form #1 张三", "evidence_format"),
    ],
)
def test_bad_consent_cell_rejects_the_row_whole(
    tmp_path: Path, synth: Any, column: str, value: str, code: str
) -> None:
    good, bad = base(synth), base(synth)
    header = [*BASE, "consent.profiling", column]
    rows = [[*good, "yes", ""], [*bad, "yes", value]]
    summary = run(write(tmp_path / "c.csv", header, rows), status=3)
    assert (summary["created"], summary["rejected"], summary["consents"]) == (1, 1, 1)
    assert Customer.objects.count() == 1  # the bad row's customer was not created either
    rejects = list(csv.reader((tmp_path / "c.csv.rejects.csv").open(encoding="utf-8")))
    assert [r[:3] for r in rejects[1:]] == [["3", column, code]]
    assert value not in (tmp_path / "c.csv.rejects.csv").read_text(encoding="utf-8")


def test_consent_column_and_single_purpose_column_must_agree(tmp_path: Path, synth: Any) -> None:
    header = [*BASE, "consent", "consent.marketing"]
    rows = [[*base(synth), "marketing=no", "yes"]]
    summary = run(write(tmp_path / "c.csv", header, rows), status=1)
    assert summary["rejected"] == 1 and Customer.objects.count() == 0
    assert ConsentEvent.objects.count() == 0


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ([*BASE, "consent.newsletter"], "consent_purpose_unknown"),
        ([*BASE, "consent.marketing", "consent_marketing"], "column_duplicate"),
    ],
)
def test_bad_consent_header_refuses_the_file(
    tmp_path: Path, synth: Any, header: list[str], code: str
) -> None:
    row = [*base(synth)] + ["yes"] * (len(header) - len(BASE))
    with pytest.raises(CommandError, match=code):
        run(write(tmp_path / "c.csv", header, [row]))
    assert Customer.objects.count() == 0 and ConsentEvent.objects.count() == 0
    assert not AuditEvent.objects.filter(action=Action.IMPORT_STARTED).exists()


def test_merged_rows_record_consent_on_the_existing_profile_in_order(
    tmp_path: Path, synth: Any, make_staff: Any
) -> None:
    a = base(synth)
    run(write(tmp_path / "first.csv", BASE, [a]))
    header = [*BASE, "consent.marketing", "consent_evidence"]
    rows = [[*a, "yes", "REC-1"], [*a, "no", "REC-2"]]  # same customer twice: later wins
    summary = run(write(tmp_path / "second.csv", header, rows))
    assert (summary["created"], summary["merged"], summary["consents"]) == (0, 2, 2)
    cid = customer_for(a[3], make_staff)
    assert Customer.objects.count() == 1
    assert states(cid) == {"marketing": False}
    history = list(
        ConsentEvent.objects.filter(customer_id=cid).order_by("id").values_list("given", "evidence")
    )
    assert history == [(True, "REC-1"), (False, "REC-2")]


def test_mapping_targets_consent_columns_and_xlsx_booleans(
    tmp_path: Path, synth: Any, make_staff: Any
) -> None:
    from openpyxl import Workbook

    a, b = base(synth), base(synth)
    wb = Workbook()
    ws = wb.active
    ws.append(["姓名", "手机", "证件类型", "证件号码", "同意营销"])
    ws.append([*a, True])  # spreadsheets keep tick boxes as booleans
    ws.append([*b, False])
    wb.save(tmp_path / "c.xlsx")
    mapping = tmp_path / "map.yaml"
    mapping.write_text(
        "columns:\n  姓名: name\n  手机: phone\n  证件类型: id_type\n  证件号码: id_number\n"
        "  同意营销: consent.marketing\n",
        encoding="utf-8",
    )
    assert run(tmp_path / "c.xlsx", "--mapping", str(mapping))["consents"] == 2
    assert states(customer_for(a[3], make_staff)) == {"marketing": True}
    assert states(customer_for(b[3], make_staff)) == {"marketing": False}
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        mapping.read_text(encoding="utf-8").replace("consent.marketing", "consent.newsletter"),
        encoding="utf-8",
    )
    with pytest.raises(CommandError, match="consent_purpose_unknown"):
        run(tmp_path / "c.xlsx", "--mapping", str(bad))


def test_consent_write_failure_rolls_back_the_batch(
    tmp_path: Path, synth: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from baomi.consent import services

    def boom(*args: Any, **kwargs: Any) -> int:
        raise RuntimeError("ledger unavailable")

    monkeypatch.setattr(services, "capture_many", boom)
    path = write(tmp_path / "c.csv", [*BASE, "consent.marketing"], [[*base(synth), "yes"]])
    with pytest.raises(RuntimeError):
        run(path)
    assert Customer.objects.count() == 0  # the customer did not land without its consent
    assert not AuditEvent.objects.filter(action=Action.CUSTOMER_CREATED).exists()


def test_consent_columns_through_validation_workers(tmp_path: Path, synth: Any) -> None:
    """The extension is sent to the worker processes (pickled) and parses there."""
    rows = [[*base(synth), "yes" if i % 2 else "no"] for i in range(30)]
    path = write(tmp_path / "c.csv", [*BASE, "consent.profiling"], rows)
    summary = run(path, "--workers", "2", "--batch-size", "7")
    assert (summary["created"], summary["consents"]) == (30, 30)
    assert ConsentState.objects.filter(purpose="profiling", given=True).count() == 15


def test_staff_import_records_the_operator(tmp_path: Path, synth: Any, make_staff: Any) -> None:
    from baomi.consent.imports import CONSENT_COLUMNS
    from baomi.customers.importer import Importer

    desk = make_staff("front_desk")
    path = write(tmp_path / "c.csv", [*BASE, "consent.marketing"], [[*base(synth), "yes"]])
    s = Importer(desk, "reception", "store", extensions=(CONSENT_COLUMNS,)).run(path)
    assert s.extra == {"consents": 1}
    ev = ConsentEvent.objects.get()
    assert (ev.operator_id, ev.operator_role) == (desk.pk, "front_desk")


def test_importer_without_the_extension_refuses_consent_columns(tmp_path: Path, synth: Any) -> None:
    """Code that builds an importer without the consent extension cannot drop consent
    columns silently: the file is refused by name."""
    from baomi.audit.services import SYSTEM
    from baomi.customers.importer import Importer, ImportRefused

    for col in ("consent", "consent.marketing"):
        path = write(tmp_path / "c.csv", [*BASE, col], [[*base(synth), "marketing=yes"]])
        with pytest.raises(ImportRefused):
            Importer(SYSTEM, None, "store").run(path)
    assert Customer.objects.count() == 0


def test_a_later_import_moves_the_state_and_keeps_the_history(
    tmp_path: Path, synth: Any, make_staff: Any
) -> None:
    a, b = base(synth), base(synth)
    header = [*BASE, "consent.marketing"]
    run(write(tmp_path / "first.csv", header, [[*a, "yes"], [*b, "yes"]]))
    summary = run(write(tmp_path / "second.csv", header, [[*a, "no"], [*b, ""]]))
    assert (summary["merged"], summary["consents"]) == (2, 1)
    ca, cb = customer_for(a[3], make_staff), customer_for(b[3], make_staff)
    assert states(ca) == {"marketing": False} and states(cb) == {"marketing": True}
    latest = ConsentState.objects.get(customer_id=ca)
    assert latest.event_id == ConsentEvent.objects.filter(customer_id=ca).latest("id").pk
    assert ConsentEvent.objects.filter(customer_id=ca).count() == 2
    mk = make_staff("marketing")
    assert "name" in gate.access_customers(mk, "marketing", [ca])[0].withheld


def test_consent_audit_is_one_event_per_batch(tmp_path: Path, synth: Any) -> None:
    """Decision 0038: 3 batches of consent columns → at most 2 consent events per batch
    (given / withdrawn), together naming every customer with a decision exactly once;
    `audit verify` covers them."""
    from baomi.audit.verification import verify_log

    rows = [[*base(synth), "yes" if i % 3 else "no"] for i in range(12)]
    path = write(tmp_path / "c.csv", [*BASE, "consent.marketing"], rows)
    summary = run(path, "--batch-size", "5")
    assert (summary["created"], summary["consents"]) == (12, 12)
    events = list(AuditEvent.objects.filter(action__startswith="consent.").order_by("seq"))
    assert len({e.object_id for e in events}) == 3  # one batch id per import batch
    assert len(events) <= 6
    named = [c for e in events for ch in e.detail["changes"] for c in ch["customers"]]
    assert sorted(named) == sorted(str(c) for c in Customer.objects.values_list("id", flat=True))
    given = {
        c
        for e in events
        if e.action == "consent.given"
        for ch in e.detail["changes"]
        for c in ch["customers"]
    }
    assert given == {
        str(s.customer_id) for s in ConsentState.objects.filter(purpose="marketing", given=True)
    }
    assert verify_log(save=False).ok


def test_reimport_moves_consent_states(tmp_path: Path, synth: Any, make_staff: Any) -> None:
    """A second import of the same customers updates their state rows (raw UPDATE path)."""
    a = base(synth)
    run(write(tmp_path / "1.csv", [*BASE, "consent.marketing"], [[*a, "yes"]]))
    cid = customer_for(a[3], make_staff)
    assert states(cid) == {"marketing": True}
    run(write(tmp_path / "2.csv", [*BASE, "consent.marketing"], [[*a, "no"]]))
    assert states(cid) == {"marketing": False}
    latest = ConsentEvent.objects.filter(customer_id=cid).order_by("-id").first()
    assert latest is not None
    assert ConsentState.objects.get(customer_id=cid, purpose="marketing").event_id == latest.id
