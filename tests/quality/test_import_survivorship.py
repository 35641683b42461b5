"""The overwrite incident of issue #16, through `baomi import` (R-A3, R-K1, R-K3): a row
with the same ID number but another name replaced an address the customer had just
corrected through a rights request. Now the import applies only what survivorship allows,
holds the rest for the data steward, and says so in its summary and audit event."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from baomi.audit.models import AuditEvent
from baomi.customers import services as customers
from baomi.quality.models import HeldValue

pytestmark = pytest.mark.django_db

HEADER = ["name", "phone", "email", "id_type", "id_number", "address"]
CORRECTED = "上海市浦东新区世纪大道100号"


def _csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        for r in rows:
            w.writerow([r.get(h, "") for h in HEADER])
    return path


def _import(path: Path) -> tuple[dict[str, Any], str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_data", str(path), "--channel", "store", stdout=out, stderr=err)
    except CommandError as exc:  # pragma: no cover - the test asserts the status below
        raise AssertionError(f"import failed: {exc} / {err.getvalue()}") from exc
    return json.loads(out.getvalue()), err.getvalue()


def _read(make_staff: Any, cid: Any) -> dict[str, Any]:
    from baomi.customers import gate

    po = make_staff("privacy_officer")
    return gate.access_customer(po, "investigation", cid).fields


def test_import_holds_what_it_may_not_overwrite(
    tmp_path: Path, synth: Any, make_staff: Any
) -> None:
    a = synth.customer(foreign_share=0)
    b = synth.customer(foreign_share=0)
    base = [a, b]
    first, _ = _import(_csv(tmp_path / "day1.csv", base))
    assert first["created"] == 2
    from baomi.customers.models import Customer

    ids = {
        v["id_number"]: cid
        for cid in Customer.objects.values_list("id", flat=True)
        for v in [_read(make_staff, cid)]
    }
    ca, cb = ids[a["id_number"]], ids[b["id_number"]]
    po = make_staff("privacy_officer")
    customers.update_customer(po, "rights_request", ca, {"address": CORRECTED})

    same_person_new_address = {
        **base[0],
        "address": "北京市朝阳区建国路1号",
        "email": "new.mail@example.com",
    }
    another_name_same_id = {**base[1], "name": "冒名者", "address": "广州市天河区体育西路9号"}
    summary, err = _import(
        _csv(tmp_path / "day2.csv", [same_person_new_address, another_name_same_id])
    )

    assert summary["held"] == 2 and summary["created"] == 0
    assert summary["merged"] == 1  # the identity conflict is not merged at all
    assert "held for the data steward" in err
    got_a = _read(make_staff, ca)
    assert got_a["address"] == CORRECTED  # the customer's correction survives
    assert got_a["email"] == "new.mail@example.com"  # an unconfirmed contact field updates
    got_b = _read(make_staff, cb)
    assert got_b["name"] == b["name"] and got_b["address"] == b["address"]  # nothing applied

    held = {h.customer_id: h for h in HeldValue.objects.all()}
    assert held[ca].reason == "confirmed_value" and held[ca].fields == ["address"]
    assert held[cb].reason == "identity_conflict" and "name" in held[cb].fields
    assert held[cb].source == "import:day2.csv" and held[cb].row == 3
    ev = AuditEvent.objects.filter(action="customer.imported").order_by("-seq").first()
    assert ev is not None and ev.detail["held"] == 2
    actions = {c["action"] for c in ev.detail["changes"]}
    assert actions == {"merged", "held"}
    assert "冒名者" not in json.dumps(ev.detail, ensure_ascii=False)  # names of fields only


def test_a_batch_with_a_held_row_rolls_back_whole_when_the_queue_fails(
    tmp_path: Path, synth: Any, make_staff: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from baomi.quality.services import held as held_service

    a = synth.customer(foreign_share=0)
    _import(_csv(tmp_path / "one.csv", [a]))
    newcomer = synth.customer(foreign_share=0)

    monkeypatch.setattr(held_service, "HeldValue", None)  # the receiver fails mid-batch
    with pytest.raises(Exception):
        call_command(
            "import_data",
            str(_csv(tmp_path / "two.csv", [{**a, "name": "另一人"}, newcomer])),
            "--channel",
            "store",
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
    from baomi.customers.models import Customer

    assert Customer.objects.count() == 1  # the newcomer of the failed batch is not written
    assert HeldValue.objects.count() == 0
