"""Segment runs over consented customers only; k-suppression; differencing (issue #18)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command

from baomi.audit.models import AuditEvent
from baomi.consent import services as consent
from baomi.insights import services
from baomi.insights.models import InsightRun, SegmentSize

from .conftest import HIGH, PLAIN, POTENTIAL

pytestmark = pytest.mark.django_db


def _sizes(body: dict[str, Any]) -> dict[str, Any]:
    return {s["code"]: s for s in body["segments"]}


def test_run_reads_only_consented_customers_and_withdrawal_empties_every_segment(
    api_client: Any, population: Any
) -> None:
    high = population(12, bookings=HIGH)
    potential = population(10, bookings=POTENTIAL)
    population(5, consents=("marketing",), bookings=HIGH)  # no profiling consent
    population(4, consents=("profiling",), bookings=HIGH)  # no marketing consent: closed
    mk, h = api_client("marketing", "marketing")
    r = mk.post("/api/v1/insights/runs", **{"headers": h})
    assert r.status_code == 201, r.content
    run = r.json()
    assert run["considered"] == 31 and run["profiling"] == 26 and run["analysed"] == 22
    body = mk.get("/api/v1/insights/segments", headers=h).json()
    sizes = _sizes(body)
    assert sizes["travel.high_value"]["size"] == 12
    assert sizes["travel.potential"]["size"] == 10
    assert sizes["lifecycle.active"]["size"] == 12
    assert sizes["lifecycle.new"]["size"] == 10

    # withdrawals take effect on the next run: profiling from one high-value customer,
    # marketing from one potential customer (the gate then closes them for analysis)
    consent.withdraw(None, high[0], "profiling", channel="store", method="checkbox")
    consent.withdraw(None, potential[0], "marketing", channel="store", method="checkbox")
    mk.post("/api/v1/insights/runs", headers=h)
    body = mk.get("/api/v1/insights/segments", headers=h).json()
    assert body["run"]["analysed"] == 20
    latest = InsightRun.objects.order_by("-id").first()
    stored = {r.code: r.size for r in SegmentSize.objects.filter(run=latest)}
    assert stored["travel.high_value"] == 11 and stored["travel.potential"] == 9
    assert stored["lifecycle.active"] + stored["lifecycle.new"] == 20
    # what viewers see: 9 and 9 are below k; 20 − 11 = 9 would single out by subtraction;
    # the other lifecycle stage would follow from the hidden one — nothing small is shown
    sizes = _sizes(body)
    assert sizes["travel.potential"]["size"] is None
    assert sizes["travel.potential"]["reason"] == "below_k"
    assert sizes["lifecycle.new"]["suppressed"] is True
    assert sizes["travel.high_value"]["reason"] == "differencing"
    assert sizes["lifecycle.active"]["suppressed"] is True


def test_groups_below_k_are_suppressed_and_averages_withheld(
    api_client: Any, population: Any
) -> None:
    population(12, bookings=HIGH)
    population(3, bookings=POTENTIAL)
    mk, h = api_client("marketing", "marketing")
    mk.post("/api/v1/insights/runs", headers=h)
    mgr, hm = api_client("manager")
    body = mgr.get("/api/v1/insights/segments", headers=hm).json()
    sizes = _sizes(body)
    pot = sizes["travel.potential"]
    assert pot["size"] is None and pot["suppressed"] and pot["reason"] == "below_k"
    assert pot["avg_monetary"] is None and pot["reason_text"]
    # the one-stage-hidden family: the other lifecycle stage goes too (complementary),
    # and high value (12 of 15 analysed) would single out the other 3 by subtraction
    assert sizes["lifecycle.new"]["reason"] == "below_k"
    assert sizes["lifecycle.active"]["size"] is None
    assert sizes["travel.high_value"]["size"] is None
    detail = mgr.get("/api/v1/insights/segments/travel.potential", headers=hm).json()
    assert detail["size"] is None and detail["history"][0]["suppressed"] is True
    assert "3" not in str(detail["history"][0]["size"])
    # the stored row keeps the count (counts only) but marks it
    row = SegmentSize.objects.get(code="travel.potential")
    assert row.size == 3 and row.suppressed == "below_k" and row.avg_monetary is None


def test_differencing_two_nested_segments_is_refused(api_client: Any, population: Any) -> None:
    """active (15) ⊃ high value (12): 15 − 12 = 3 people — high value must not be shown."""
    population(12, bookings=HIGH)
    population(3, bookings=PLAIN)
    mk, h = api_client("marketing", "marketing")
    mk.post("/api/v1/insights/runs", headers=h)
    sizes = _sizes(mk.get("/api/v1/insights/segments", headers=h).json())
    assert sizes["lifecycle.active"]["size"] == 15
    assert sizes["travel.high_value"]["size"] is None
    assert sizes["travel.high_value"]["reason"] == "differencing"
    shown = [s["size"] for s in sizes.values() if s["size"]]
    assert 12 not in shown


def test_suppress_rules_unit() -> None:
    m = {
        "_all": {str(i) for i in range(40)},
        "a": {str(i) for i in range(20)},
        "b": {str(i) for i in range(15)},  # ⊂ a, 5 apart: differencing
        "c": {str(i) for i in range(20, 23)},  # 3: below k
        "d": {str(i) for i in range(20, 40)},  # same family as c: complementary
        "e": set(),
    }
    reasons = services.suppress(m, 10, {"c": "fam", "d": "fam"})
    assert reasons == {"b": "differencing", "c": "below_k", "d": "complementary"}
    assert services.cells_view({"r1": 3, "r2": 20, "r3": 30}, 10) == {
        "r1": None,
        "r2": None,
        "r3": 30,
    }


def test_gate_audits_bulk_reads_and_pseudonyms_are_per_run(
    make_staff: Any, population: Any
) -> None:
    population(12, bookings=HIGH)
    mk = make_staff("marketing")
    before = AuditEvent.objects.filter(action="customer.read").count()
    a = services.evaluate(mk)
    b = services.evaluate(mk)
    events = AuditEvent.objects.filter(action="customer.read").order_by("-seq")[:2]
    assert AuditEvent.objects.filter(action="customer.read").count() == before + 2
    assert all(e.detail["via"] == "insights" and e.detail["bulk"] == 12 for e in events)
    from baomi.audit.models import AuditEventSubject

    seqs = [e.seq for e in events]
    assert AuditEventSubject.objects.filter(seq__in=seqs).count() == 24  # each customer's history
    assert set(a.profiles).isdisjoint(b.profiles)  # a fresh key each run
    assert all(len(p) == 32 for p in a.profiles)


def test_gate_refuses_other_purposes_and_fields_outside_the_purpose(make_staff: Any) -> None:
    from baomi.core.errors import Forbidden
    from baomi.customers import gate

    mk = make_staff("marketing")
    with pytest.raises(Forbidden):
        gate.process_records(mk, "marketing", [], {"booking": ["destination"]}, dict)
    with pytest.raises(Forbidden):
        gate.process_records(make_staff("front_desk"), "reception", [], {}, dict)


def test_only_marketing_runs_and_only_aggregate_roles_read(api_client: Any) -> None:
    desk, hd = api_client("front_desk", "reception")
    assert desk.get("/api/v1/insights/segments", headers=hd).status_code == 403
    assert desk.post("/api/v1/insights/runs", headers=hd).status_code == 403
    mgr, hm = api_client("manager")
    assert mgr.post("/api/v1/insights/runs", headers=hm).status_code == 403
    body = mgr.get("/api/v1/insights/segments", headers=hm).json()
    assert body["run"] is None and all(s["size"] is None for s in body["segments"])
    assert mgr.get("/api/v1/insights/segments/nope", headers=hm).status_code == 404
    assert mgr.get("/api/v1/insights/segments?period=2026-13", headers=hm).status_code == 422


def test_cli_run(make_staff: Any, population: Any, capsys: Any) -> None:
    import json

    population(12, bookings=HIGH)
    mk = make_staff("marketing")
    call_command("insights", "run", "--as", mk.username)
    out = json.loads(capsys.readouterr().out)
    assert out["run"]["analysed"] == 12
    assert InsightRun.objects.count() == 1


def test_rfm_distribution_is_complete_and_suppressed(api_client: Any, population: Any) -> None:
    population(12, bookings=HIGH)
    population(3, bookings=POTENTIAL)
    mk, h = api_client("marketing", "marketing")
    mk.post("/api/v1/insights/runs", headers=h)
    rfm = mk.get("/api/v1/insights/segments", headers=h).json()["rfm"]["travel"]
    assert rfm["r"] == {"r1": 0, "r2": 0, "r3": 15}
    # F: 3 with one booking (below k) and 12 with three: the 12 would give the 3 away
    assert rfm["f"] == {"f1": None, "f2": None, "f3": 0}
    assert rfm["m"] == {"m1": 0, "m2": None, "m3": None}  # ¥15 000 (3) and ¥36 000 (12)
