"""Values an import held back (survivorship, issue #16; R-A3, R-K3): stored sealed, shown
masked to the steward, kept or taken, audited; never readable without the gate."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import transaction

from baomi.audit.models import AuditEvent
from baomi.customers.signals import HeldRow, merge_held
from baomi.quality.models import HeldValue

pytestmark = pytest.mark.django_db

NEW_ADDRESS = "北京市海淀区中关村大街27号"


def hold(customer: Any, values: dict[str, str], reason: str = "confirmed_value") -> HeldValue:
    with transaction.atomic():
        merge_held.send(
            sender=None,
            actor=None,
            purpose="reception",
            channel="import",
            items=[HeldRow(customer.id, 7, values, reason, "import:test.csv")],
        )
    return HeldValue.objects.get(customer=customer, state="open")


def test_held_values_are_sealed_and_listed_without_values(
    api_client: Any, make_customer: Any
) -> None:
    c1 = make_customer()
    h = hold(c1, {"address": NEW_ADDRESS})
    assert NEW_ADDRESS.encode() not in bytes(h.values)  # sealed under the customer's key
    assert AuditEvent.objects.filter(
        action="quality.conflict_queued", object_id=str(c1.id)
    ).exists()
    c, hd = api_client("data_steward", "data_quality")
    listed = c.get("/api/v1/quality/held", headers=hd)
    assert listed.status_code == 200
    assert [x["fields"] for x in listed.json()] == [["address"]]
    assert NEW_ADDRESS not in listed.content.decode()


def test_take_applies_and_keep_discards(api_client: Any, make_customer: Any) -> None:
    c1, c2 = make_customer(), make_customer()
    h1, h2 = hold(c1, {"address": NEW_ADDRESS}), hold(c2, {"address": NEW_ADDRESS})
    c, hd = api_client("data_steward", "data_quality")
    r = c.post(f"/api/v1/quality/held/{h1.id}/take", headers=hd)
    assert r.status_code == 200 and r.json()["state"] == "taken"
    po, ph = api_client("privacy_officer", "investigation")
    got = po.get(f"/api/v1/customers/{c1.id}", headers=ph).json()
    assert got["address"] == NEW_ADDRESS and got["lineage"]["address"]["basis"] == "steward_review"
    r = c.post(f"/api/v1/quality/held/{h2.id}/keep", headers=hd)
    assert r.status_code == 200 and r.json()["state"] == "kept"
    assert po.get(f"/api/v1/customers/{c2.id}", headers=ph).json()["address"] != NEW_ADDRESS
    h2.refresh_from_db()
    assert h2.values is None  # decided: the held text is gone
    assert c.post(f"/api/v1/quality/held/{h2.id}/take", headers=hd).status_code == 409
    assert c.post("/api/v1/quality/held/not-a-uuid/keep", headers=hd).status_code == 404
    assert AuditEvent.objects.filter(action="quality.conflict_resolved").count() == 2


def test_console_held_page_masked(staff_client: Any, make_customer: Any) -> None:
    c1 = make_customer()
    h = hold(c1, {"address": NEW_ADDRESS, "name": "王小明"}, "identity_conflict")
    c, _ = staff_client("data_steward", "data_quality")
    queue = c.get("/quality/duplicates/").content.decode()
    assert "导入冲突待审" in queue and "身份信息不一致" in queue
    page = c.get(f"/quality/held/{h.id}/").content.decode()
    assert "现有值" in page and "导入值" in page
    assert NEW_ADDRESS not in page and "王小明" not in page  # masked
    assert c.post(f"/quality/held/{h.id}/", {"action": "keep"}).status_code == 302
    h.refresh_from_db()
    assert h.state == "kept"


def test_erasure_deletes_held(make_customer: Any, make_staff: Any) -> None:
    from baomi.rights.services import erase_customer

    c1 = make_customer()
    hold(c1, {"address": NEW_ADDRESS})
    tomb = erase_customer(make_staff("privacy_officer"), c1.id, basis="test")
    assert not HeldValue.objects.filter(customer=c1).exists()
    assert "quality_held_value" in json.dumps(tomb.certificate, default=str)
