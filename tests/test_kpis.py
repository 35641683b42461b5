"""The indicator registry (issue #10 §3, R-N2): `GET /api/v1/kpis`, the console dashboard
and the three indicators that exist now — R-B1 checklist coverage, R-B3 consent share,
R-F1 requests answered within 15 working days. A figure that cannot be computed is null
with a reason, never 0; the records behind a figure are for the privacy officer only."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from baomi.audit.models import AuditEvent
from baomi.contract import kpis
from baomi.core import clock

pytestmark = pytest.mark.django_db

CODES = {"catalog.checklist_coverage", "consent.confirmed_share", "rights.answered_in_time"}


def _by_code(body: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {k["code"]: k for k in body}


def test_every_registered_indicator_is_listed_with_the_documented_shape(api_client: Any) -> None:
    c, h = api_client("manager")
    r = c.get("/api/v1/kpis", headers=h)
    assert r.status_code == 200, r.content
    got = _by_code(r.json())
    assert set(got) >= CODES
    for k in got.values():
        assert {"code", "name", "requirement", "target", "unit", "period", "value", "met"} <= set(k)
        assert "updated_at" in k
    b1, b3, f1 = (got[c] for c in sorted(CODES))
    assert (b1["requirement"], b3["requirement"], f1["requirement"]) == ("R-B1", "R-B3", "R-F1")
    # the catalogue states purpose, retention and method for every item
    assert b1["value"] == 100.0 and b1["met"] is True and b1["unit"] == "%"
    # nothing to measure: null with a reason, never 0
    assert b3["value"] is None and b3["reason"] == "no_customers" and b3["met"] is None
    assert f1["value"] is None and f1["reason"] == "no_requests_due"


def test_consent_share_counts_customers_with_a_decision(
    api_client: Any, make_customer: Any, fresh_notice: Any
) -> None:
    from baomi.consent import services as consent

    a, _b = make_customer(), make_customer()
    consent.give(None, a.id, "marketing", channel="store", method="signature")
    c, h = api_client("privacy_officer")
    k = _by_code(c.get("/api/v1/kpis", headers=h).json())["consent.confirmed_share"]
    assert (k["value"], k["numerator"], k["denominator"], k["met"]) == (50.0, 1, 2, False)
    assert k["target"] == 95.0


def test_rights_answered_in_time_over_the_period_of_the_due_date(
    api_client: Any, make_customer: Any, make_staff: Any, monkeypatch: Any
) -> None:
    from baomi.rights import services, sla

    officer = make_staff("privacy_officer")
    customer = make_customer()
    real = timezone.now()
    monkeypatch.setattr(clock, "now", lambda: real - timedelta(days=70))
    on_time = services.create_request(officer, customer.id, "access")
    late = services.create_request(officer, customer.id, "complaint", detail="x")
    monkeypatch.setattr(clock, "now", lambda: real - timedelta(days=69))
    for s in ("verified", "in_progress", "completed"):
        services.transition(officer, on_time.pk, s)
    monkeypatch.setattr(clock, "now", lambda: real)
    due = timezone.localtime(sla.due_at(on_time.received_at)[0])
    period = f"{due:%Y-%m}"
    c, h = api_client("inspector")
    k = _by_code(c.get("/api/v1/kpis", {"period": period}, headers=h).json())[
        "rights.answered_in_time"
    ]
    assert k["period"] == period
    assert (k["value"], k["numerator"], k["denominator"], k["met"]) == (50.0, 1, 2, False)
    # drill-down: the inspector sees the breakdown by kind, not the records
    d = c.get("/api/v1/kpis/rights.answered_in_time", {"period": period}, headers=h).json()
    assert d["records"] == [] and {g["group"] for g in d["groups"]} == {"access", "complaint"}
    assert len(d["trend"]) == 6 and d["trend"][-1]["period"] == period
    assert not AuditEvent.objects.filter(action="kpi.records_viewed").exists()
    # the privacy officer opens the records; that is audited
    c, h = api_client("privacy_officer")
    d = c.get("/api/v1/kpis/rights.answered_in_time", {"period": period}, headers=h).json()
    rows = {r["id"]: r for r in d["records"]}
    assert set(rows) == {str(on_time.pk), str(late.pk)}
    assert rows[str(on_time.pk)]["counts"] and not rows[str(late.pk)]["counts"]
    assert rows[str(late.pk)]["href"] == f"/rights/{late.pk}/"
    ev = AuditEvent.objects.get(action="kpi.records_viewed")
    assert ev.object_id == "rights.answered_in_time" and ev.detail["rows"] == 2


def test_period_codes_and_bad_periods(api_client: Any) -> None:
    c, h = api_client("manager")
    for code in ("2026-11", "2026Q4", "2026H2", "2026"):
        body = c.get("/api/v1/kpis", {"period": code}, headers=h).json()
        assert {k["period"] for k in body} == {code}
    r = c.get("/api/v1/kpis", {"period": "2026Q5"}, headers=h)
    assert r.status_code == 422 and r["Content-Type"] == "application/problem+json"
    assert r.json()["errors"][0]["code"] == "period_invalid"
    future = kpis.current_period(kpis.YEAR).previous(-2).code
    body = c.get("/api/v1/kpis", {"period": future}, headers=h).json()
    assert {k["reason"] for k in body} == {"period_in_future"}
    assert all(k["value"] is None for k in body)
    # a past period of a snapshot-only figure: no value rather than today's passed off
    past = _by_code(c.get("/api/v1/kpis", {"period": "2020"}, headers=h).json())
    assert past["catalog.checklist_coverage"]["reason"] == "snapshot_only"


def test_periods_parse_in_the_configured_time_zone() -> None:
    q = kpis.parse_period("2026q4")
    assert q.code == "2026Q4" and q.start.isoformat().startswith("2026-10-01T00:00:00+08:00")
    assert q.end.isoformat().startswith("2027-01-01") and q.previous().code == "2026Q3"
    assert kpis.parse_period("2026-01").previous().code == "2025-12"
    assert kpis.parse_period("2026H1").previous().code == "2025H2"
    for bad in ("", "2026-13", "26Q1", "2026Q0", "1999"):
        with pytest.raises(Exception, match="period"):
            kpis.parse_period(bad)


@pytest.mark.parametrize("role", ["front_desk", "security_admin", "hr", "data_steward"])
def test_roles_without_indicator_duty_are_refused(api_client: Any, role: str) -> None:
    c, h = api_client(role)
    r = c.get("/api/v1/kpis", headers=h)
    assert r.status_code == 403 and r.json()["code"] == "role_required"
    assert c.get("/api/v1/kpis").status_code == 401


def test_unknown_indicator_is_404(api_client: Any) -> None:
    c, h = api_client("manager")
    assert c.get("/api/v1/kpis/nope", headers=h).status_code == 404


# -- reasons belong to the indicator (issue #10 §3) ------------------------------------------
def test_a_reason_comes_with_its_words_in_the_callers_language(api_client: Any) -> None:
    c, h = api_client("manager")
    en = _by_code(c.get("/api/v1/kpis", {"lang": "en"}, headers=h).json())
    zh = _by_code(c.get("/api/v1/kpis", {"lang": "zh"}, headers=h).json())
    f1 = "rights.answered_in_time"
    assert en[f1]["reason"] == zh[f1]["reason"] == "no_requests_due"  # the code stays
    assert en[f1]["reason_text"] == "No request fell due in this period"
    assert zh[f1]["reason_text"] == "本期没有到期的请求"
    assert en["catalog.checklist_coverage"].get("reason_text") is None  # it has a value
    schema = c.get("/api/v1/openapi.json").json()["components"]["schemas"]["KpiOut"]
    assert "reason_text" in schema["properties"]


def test_every_reason_every_indicator_answers_has_words(api_client: Any) -> None:
    """Every registered indicator over past, current and future periods on an empty
    register: whatever reason it gives is labelled in both languages by the indicator."""
    seen = set()
    for ind in kpis.registered():
        p = kpis.current_period(ind.period)
        for period in (p.previous(3), p, p.previous(-2)):
            m = kpis.evaluate(ind, period).measurement
            if m.value is None:
                seen.add(m.reason)
                for lang in ("zh", "en"):
                    assert ind.reason_text(m.reason, lang) != m.reason, (ind.code, m.reason)
    assert {"no_requests_due", "period_in_future"} <= seen


def test_check_flags_an_indicator_reason_without_words(monkeypatch: Any) -> None:
    import dataclasses

    from baomi.contract import participants
    from baomi.contract.checks import indicator_reasons_labelled

    assert indicator_reasons_labelled() == []
    rights = participants._registry["rights"]
    bare = tuple(dataclasses.replace(i, reasons=()) for i in rights.indicators)
    registry = {**participants._registry, "rights": dataclasses.replace(rights, indicators=bare)}
    monkeypatch.setattr(participants, "_registry", registry)
    errors = indicator_reasons_labelled()
    assert [e.id for e in errors] == ["baomi.E203"]
    assert "no_requests_due" in errors[0].msg


def test_the_console_names_no_domains_reasons() -> None:
    from pathlib import Path

    import baomi.console.kpi_views as views

    text = Path(views.__file__).read_text(encoding="utf-8")
    for ind in kpis.registered():
        for code, _zh, _en in ind.reasons:
            assert f'"{code}"' not in text, code


def test_share_is_none_with_a_reason_when_there_is_nothing_to_divide() -> None:
    assert kpis.share(0, 0, "no_customers") == kpis.Measurement(None, "no_customers")
    m = kpis.share(2, 3, "no_customers", detail={"v": 1})
    assert (m.value, m.numerator, m.denominator, m.detail) == (66.67, 2, 3, {"v": 1})


def test_indicator_without_value_must_say_why() -> None:
    with pytest.raises(ValueError):
        kpis.Measurement(None)


# -- console ---------------------------------------------------------------------------------
def test_dashboard_shows_every_indicator_with_trend_in_chinese(
    staff_client: Any, make_customer: Any
) -> None:
    make_customer()
    c, _ = staff_client("manager")
    r = c.get("/kpis/")
    assert r.status_code == 200
    body = r.content.decode()
    tiles = re.findall(r'data-testid="kpi-tile" data-code="([^"]+)"', body)
    assert set(tiles) >= CODES
    assert body.count('data-testid="kpi-trend"') == len(tiles)
    assert "客户知情同意确认率" in body and "本期没有到期的请求" in body
    assert "no_requests_due" not in body  # no raw codes in the Chinese UI
    # drill-down: aggregates only for management
    d = c.get("/kpis/consent.confirmed_share/").content.decode()
    assert 'data-testid="kpi-groups"' in d and 'data-testid="kpi-records-aggregate-only"' in d
    assert 'data-testid="kpi-record"' not in d


def test_officer_drills_down_to_customers_through_the_gate(
    staff_client: Any, make_customer: Any
) -> None:
    cust = make_customer()
    c, _ = staff_client("privacy_officer", "rights_request")
    d = c.get("/kpis/consent.confirmed_share/").content.decode()
    assert f'data-id="{cust.id}"' in d and f'href="/customers/{cust.id}/"' in d
    assert "门店柜台" in d  # the channel label, not the code
    before = AuditEvent.objects.filter(action="customer.read", object_id=str(cust.id)).count()
    assert c.get(f"/customers/{cust.id}/").status_code == 200  # the gate reads, and audits
    assert AuditEvent.objects.filter(action="customer.read", object_id=str(cust.id)).count() > (
        before
    )


def test_dashboard_refuses_other_roles(staff_client: Any) -> None:
    c, _ = staff_client("front_desk", "reception")
    assert c.get("/kpis/").status_code == 403
