"""An import batch is ONE audit event naming every customer it created or merged (decision
0023, issue #11): one Merkle leaf per batch, and still each customer's history page, the
auditor's customer filter and the access copy list it. R-E1, R-F1."""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

import pytest

from baomi.audit.models import Action, AuditEvent, AuditEventSubject
from baomi.customers.models import Customer
from conftest import import_cli

pytestmark = pytest.mark.django_db
HEADER = ["name", "phone", "email", "id_type", "id_number", "gender", "birth_date"]


def _csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=HEADER, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    return path


def test_one_event_per_batch_names_every_customer_and_each_history_lists_it(
    tmp_path: Path, synth: Any, api_client: Any, make_staff: Any
) -> None:
    rows = [synth.customer(foreign_share=0) for _ in range(7)]
    rows.append({**rows[1], "email": "again@example.cn"})  # merges into row 2's customer
    before = AuditEvent.objects.count()
    summary = import_cli(_csv(tmp_path / "c.csv", rows), "--batch-size", "3")
    assert (summary["created"], summary["merged"]) == (7, 1)
    batches = list(AuditEvent.objects.filter(action=Action.CUSTOMER_IMPORTED).order_by("seq"))
    assert len(batches) == 3  # 8 rows in batches of 3: three leaves, not eight
    # started + 3 batches + finished: the log grew by 5 events for 8 rows
    assert AuditEvent.objects.count() - before == 5
    ids = {str(c) for c in Customer.objects.values_list("id", flat=True)}
    named = {c for e in batches for ch in e.detail["changes"] for c in ch["customers"]}
    assert named == ids  # the leaves commit to every customer
    assert set(AuditEventSubject.objects.values_list("subject_id", flat=True)) == ids
    assert sum(e.detail["created"] for e in batches) == 7
    assert sum(e.detail["merged"] for e in batches) == 1
    assert all(e.fields["names"] == sorted(HEADER) for e in batches)  # names, never values
    blob = str([(e.fields, e.detail) for e in batches])
    for r in rows:
        assert r["phone"] not in blob and r["name"] not in blob

    merged_id = next(
        c
        for e in batches
        for ch in e.detail["changes"]
        if ch["action"] == "merged"
        for c in ch["customers"]
    )
    # the auditor's API filter by customer
    c, h = api_client("security_auditor")
    r = c.get(f"/api/v1/audit/events?customer={merged_id}", headers=h)
    assert r.status_code == 200, r.content
    actions = [e["action"] for e in r.json()["items"]]
    assert actions.count("customer.imported") == 2  # created in batch 1, merged in batch 3
    # the console's history page of that customer
    c.force_login(make_staff("security_auditor"))
    body = c.get(f"/audit/customers/{merged_id}/").content.decode()
    # both batch events, and the auditor's own API search of this customer
    assert len(re.findall(r"<code>customer\.imported</code>", body)) == 2
    assert len(re.findall('data-testid="history-row"', body)) == 3
    # the access copy (R-F1)
    from baomi.rights import services as rights

    copy = rights.access_copy(make_staff("privacy_officer"), merged_id)
    listed = [e for e in copy["access_log"]["recent"] if e["action"] == "customer.imported"]
    assert len(listed) == 2 and all(e["role"] == "system" for e in listed)


def test_the_batch_event_and_its_names_are_append_only() -> None:
    from django.db import DatabaseError, transaction

    from baomi.audit import services

    ev = services.build_naming(
        Action.CUSTOMER_IMPORTED, None, ["a", "b"], object_type="import", detail={"x": 1}
    )
    services.record_many([ev])
    assert AuditEventSubject.objects.filter(seq=ev.seq).count() == 2
    for sql in (
        "UPDATE audit_event_subject SET subject_id = 'z'",
        "DELETE FROM audit_event_subject",
    ):
        with pytest.raises(DatabaseError), transaction.atomic():
            from django.db import connection

            with connection.cursor() as cur:
                cur.execute(sql)
    assert AuditEventSubject.objects.filter(seq=ev.seq).count() == 2
