"""Retention and destruction (issue #16 §3; R-C8, R-C9): `baomi retention run` destroys
exactly what expired — by the event each rule counts from, a sealed date read in the gate
included — skips what a legal hold names, certifies it, and destroys nothing on a dry run.
Time is faked by setting the product's clock and the records' creation stamps (non-personal
columns); everything personal is written and read through the services and the gate."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from baomi.audit.models import AuditEvent
from baomi.contract import participants
from baomi.core import clock
from baomi.customers import gate
from baomi.customers import services as customers
from baomi.customers.models import Customer, Stay
from baomi.retention import services
from baomi.retention.models import RetentionRun
from baomi.rights.models import Tombstone

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 7, 4, 0, tzinfo=UTC)
LONG_AGO = datetime(2021, 6, 1, 4, 0, tzinfo=UTC)


@pytest.fixture
def now(monkeypatch: pytest.MonkeyPatch) -> datetime:
    monkeypatch.setattr(clock, "now", lambda: NOW)
    return NOW


def _stay(desk: Any, customer: Any, check_out: str, created: datetime = LONG_AGO) -> Any:
    rec = customers.add_record(
        desk,
        "reception",
        customer.id,
        "stay",
        {"room": "502", "check_in": "2021-06-01", "check_out": check_out},
    )
    Stay.objects.filter(pk=rec.pk).update(created_at=created)
    return rec


def _age(customer: Any, when: datetime = LONG_AGO) -> None:
    Customer.objects.filter(pk=customer.id).update(created_at=when, updated_at=when)


def _room(officer: Any, customer: Any) -> Any:
    view = gate.access_customer(officer, "investigation", customer.id, related=True)
    return [r.fields.get("room") for r in view.records.get("stay", [])]


def test_a_stay_expires_two_years_after_its_check_out_not_its_creation(
    now: datetime, make_customer: Any, make_staff: Any
) -> None:
    desk, po = make_staff("front_desk"), make_staff("privacy_officer")
    c = make_customer()
    old = _stay(desk, c, "2021-06-05")  # check-out 5.5 years ago: expired
    late = _stay(desk, c, "2025-06-01")  # created long ago, but left 1.5 years ago: kept
    dry = services.run(po, dry_run=True)
    stays = next(r for r in dry.summary["rules"] if r["entity"] == "stay")
    assert (stays["expired"], stays["destroyed"], stays["held"]) == (1, 1, 0)
    assert sorted(_room(po, c), key=str) == ["502", "502"]  # a dry run destroys nothing
    rec = services.run(po)
    assert rec.summary["rules"] == [
        r if r["entity"] != "stay" else {**r, "expired": 1, "destroyed": 1}
        for r in rec.summary["rules"]
    ]
    left = {s.pk: s.room for s in Stay.objects.filter(customer_id=c.id)}
    assert left[old.pk] is None and left[late.pk] is not None  # ciphertext gone, not the other
    assert Stay.objects.filter(pk=old.pk).values_list("reference", flat=True)[0]  # kept
    ev = AuditEvent.objects.filter(action="record.destroyed").get()
    assert ev.detail["records"] == [str(old.pk)] and ev.detail["customers"] == [str(c.id)]
    again = services.run(po)
    assert next(r for r in again.summary["rules"] if r["entity"] == "stay")["expired"] == 0


def test_profiles_three_years_without_service_are_erased_unless_held(
    now: datetime, make_customer: Any, make_staff: Any
) -> None:
    desk, po = make_staff("front_desk"), make_staff("privacy_officer")
    gone, recent, held, disputing = (make_customer() for _ in range(4))
    for c in (gone, recent, held, disputing):
        _age(c)
    _stay(desk, recent, "2026-11-01", created=NOW - timedelta(days=30))  # served lately
    services.place_hold(po, held.id, "litigation", "(2026)沪0115民初12345号")
    from baomi.rights import services as rights

    rights.create_request(po, disputing.id, "complaint", detail="投诉")
    rec = services.run(po)
    prof = next(r for r in rec.summary["rules"] if r["entity"] == "customer")
    assert (prof["expired"], prof["destroyed"], prof["held"]) == (3, 1, 2)
    assert prof["by_hold"] == {"manual": 1, "rights_request": 1}
    assert Tombstone.objects.get(customer_id=gone.id).basis.startswith("retention: profile")
    live = set(Customer.objects.filter(erased_at__isnull=True).values_list("id", flat=True))
    assert {recent.id, held.id, disputing.id} <= live and gone.id not in live
    assert participants.held_customers([held.id, gone.id]) == {held.id: ["manual"]}


def test_the_certificate_names_rules_and_counts_with_its_digest(
    now: datetime, make_customer: Any, make_staff: Any
) -> None:
    import hashlib

    po = make_staff("privacy_officer")
    c = make_customer()
    _age(c)
    rec = services.run(po)
    cert = rec.certificate
    assert cert["certificate"] == "retention_destruction" and cert["run"] == rec.pk
    body = json.dumps(cert, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    assert hashlib.sha256(body.encode()).hexdigest() == rec.digest
    assert {r["entity"] for r in cert["rules"]} >= {"customer", "stay", "booking", "shipment"}
    text = json.dumps(cert, ensure_ascii=False)
    assert str(c.id) not in text  # counts and rules, no customer
    ev = AuditEvent.objects.filter(action="retention.run").get()
    assert ev.detail["certificate"] == rec.digest and ev.detail["destroyed"] >= 1


def test_cli_prints_the_summary_and_fails_when_a_rule_fails(
    now: datetime, monkeypatch: pytest.MonkeyPatch, make_customer: Any
) -> None:
    c = make_customer()
    _age(c)
    out = io.StringIO()
    call_command("retention", "run", "--dry-run", stdout=out)
    summary = json.loads(out.getvalue())
    assert {"expired", "destroyed", "held", "certificate"} <= set(summary)
    assert summary["destroyed"] >= 1 and summary["certificate"]["sha256"]
    assert Customer.objects.get(pk=c.id).erased_at is None

    from baomi.customers import retention as customer_rules

    def broken(now: Any, dry_run: bool = False) -> Any:
        Customer.objects.filter(pk=c.id).update(updated_at=NOW)  # a change, then a failure
        raise RuntimeError("disk full")

    from dataclasses import replace

    swapped = [replace(r, expire=broken) if r.entity == "stay" else r for r in customer_rules.RULES]
    monkeypatch.setattr(services, "rules", lambda: [("customers", r) for r in swapped])
    with pytest.raises(CommandError) as failed:
        call_command("retention", "run", stdout=io.StringIO())
    assert failed.value.returncode == 1 and "customers.stay" in str(failed.value)
    assert Customer.objects.get(pk=c.id).updated_at == LONG_AGO  # that rule rolled back
    last = RetentionRun.objects.order_by("-id").first()
    assert last is not None and last.summary["failed"] == ["customers.stay"]


def test_api_roles_holds_and_runs(api_client: Any, make_customer: Any) -> None:
    c = make_customer()
    desk, dh = api_client("front_desk")
    assert (
        desk.post(
            "/api/v1/retention/runs", {}, content_type="application/json", headers=dh
        ).status_code
        == 403
    )
    steward, sh = api_client("data_steward")
    r = steward.post(
        "/api/v1/retention/runs", {"dry_run": False}, content_type="application/json", headers=sh
    )
    assert r.status_code == 403  # the steward may count, not destroy
    r = steward.post(
        "/api/v1/retention/runs", {"dry_run": True}, content_type="application/json", headers=sh
    )
    assert r.status_code == 201 and r.json()["dry_run"] is True
    legal, lh = api_client("legal")
    bad = legal.post(
        "/api/v1/retention/holds",
        {"customer_id": str(c.id), "kind": "feud", "reference": "x"},
        content_type="application/json",
        headers=lh,
    )
    assert bad.status_code == 422
    ok = legal.post(
        "/api/v1/retention/holds",
        {"customer_id": str(c.id), "kind": "dispute", "reference": "纠纷-2026-07"},
        content_type="application/json",
        headers=lh,
    )
    assert ok.status_code == 201
    hold = ok.json()["id"]
    assert legal.post(f"/api/v1/retention/holds/{hold}/lift", headers=lh).status_code == 200
    again = legal.post(f"/api/v1/retention/holds/{hold}/lift", headers=lh)
    assert again.status_code == 409 and again.json()["code"] == "hold_lifted"
    run_id = r.json()["run"]
    got = steward.get(f"/api/v1/retention/runs/{run_id}", headers=sh).json()
    assert got["certificate"]["sha256"] == r.json()["certificate"]["sha256"]


def test_paper_archives_are_logged_out_and_destroyed_only_after_retention(
    api_client: Any, make_staff: Any, now: datetime
) -> None:
    keeper = make_staff("front_desk")
    po, ph = api_client("privacy_officer")

    def post(url: str, body: dict[str, Any]) -> Any:
        return po.post(url, body, content_type="application/json", headers=ph)

    r = post(
        "/api/v1/retention/archives",
        {
            "title": "2023 年住宿登记单（第 3 箱）",
            "kind": "registration_cards",
            "location": "前台后室 2 号铁柜",
            "keeper": keeper.username,
            "covers_from": "2023-01-01",
            "covers_to": "2023-12-31",
            "retain_until": "2025-12-31",
        },
    )
    assert r.status_code == 201, r.content
    aid = r.json()["id"]
    early = post(
        "/api/v1/retention/archives",
        {**r.json(), "title": "x", "keeper": keeper.username, "retain_until": "2023-06-30"},
    )
    assert early.status_code == 422 and early.json()["errors"][0]["code"] == "before_end"
    assert post(f"/api/v1/retention/archives/{aid}/out", {"reason": "公安核查"}).status_code == 200
    busy = post(
        f"/api/v1/retention/archives/{aid}/destroy", {"method": "shredding", "witness": "李四"}
    )
    assert busy.status_code == 409 and busy.json()["code"] == "archive_out"
    assert post(f"/api/v1/retention/archives/{aid}/back", {}).status_code == 200
    too_soon = post(
        f"/api/v1/retention/archives/{aid}/destroy",
        {"method": "shredding", "witness": "李四", "destroyed_on": "2025-06-01"},
    )
    assert too_soon.status_code == 409 and too_soon.json()["code"] == "retention_not_over"
    done = post(
        f"/api/v1/retention/archives/{aid}/destroy", {"method": "shredding", "witness": "李四"}
    )
    assert done.status_code == 200 and done.json()["destroyed_on"] == date(2026, 12, 7).isoformat()
    actions = list(
        AuditEvent.objects.filter(object_type="paper_archive")
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == [
        "retention.archive_registered",
        "retention.archive_out",
        "retention.archive_back",
        "retention.archive_destroyed",
    ]


def test_console_page_and_the_indicator(
    staff_client: Any, api_client: Any, make_customer: Any
) -> None:
    c, _ = staff_client("privacy_officer")
    page = c.get("/retention/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "住宿记录" in text and "客户档案" in text
    r = c.post("/retention/", {"op": "dry_run"})
    assert r.status_code == 302
    run = RetentionRun.objects.get()
    cert = c.get(f"/retention/runs/{run.pk}/").content.decode()
    assert run.digest in cert
    kc, kh = api_client("privacy_officer")
    board = kc.get("/api/v1/kpis", headers=kh).json()
    rows = board if isinstance(board, list) else board.get("indicators", [])
    row = next(x for x in rows if x["code"] == "R-C8.past_retention")
    assert row["value"] == 0
    fd, _ = staff_client("front_desk")
    assert fd.get("/retention/").status_code == 403
