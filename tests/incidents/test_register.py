"""Incident register, state machine and clocks (R-H2, R-E3) — through the API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from baomi.audit.models import AuditEvent
from baomi.core import clock
from baomi.incidents import clocks, selectors, services
from baomi.incidents.enums import ObligationStatus, State

SH = ZoneInfo("Asia/Shanghai")


def _post(c: Any, h: dict[str, str], url: str, body: dict[str, Any]) -> Any:
    return c.post(url, body, content_type="application/json", headers=h)


def test_an_alert_becomes_an_incident_in_one_step(api_client: Any, alert: Any) -> None:
    """R-E3: one call with the alert id opens the case, linked; title, severity and the
    detection time default to the alert's; a second case for the same alert is refused."""
    c, h = api_client("security_auditor")
    r = _post(c, h, "/api/v1/incidents", {"kind": "unauthorised_access", "alert_id": alert.pk})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["state"] == "reported" and body["source"] == "alert"
    assert body["alert_id"] == alert.pk and body["severity"] == "high"
    detected = alert.created_at
    assert body["due"] == {
        "initial_handling": (detected + timedelta(hours=24)).astimezone(UTC).isoformat(),
        "customer_notice": (detected + timedelta(hours=72)).astimezone(UTC).isoformat(),
    }
    again = _post(c, h, "/api/v1/incidents", {"kind": "other", "alert_id": alert.pk})
    assert again.status_code == 409 and again.json()["code"] == "alert_has_incident"
    assert again.json()["incident_id"] == body["id"]
    ev = AuditEvent.objects.filter(action="incident.opened").get()
    assert ev.object_id == str(body["id"]) and ev.detail["alert"] == alert.pk


def test_the_console_lists_unlinked_alerts_and_opens_one_with_one_click(
    staff_client: Any, alert: Any
) -> None:
    c, _ = staff_client("security_auditor")
    page = c.get("/incidents/")
    assert page.status_code == 200 and f'data-alert="{alert.pk}"' in page.content.decode()
    r = c.post(f"/incidents/from-alert/{alert.pk}/", {"kind": "unauthorised_access"})
    assert r.status_code == 302
    inc = selectors.cases()[0].incident
    assert r["Location"] == f"/incidents/{inc.pk}/" and inc.alert_id == alert.pk


@pytest.mark.parametrize(
    "detected_local, initial_local, notice_local",
    [
        # late evening in Shanghai: the 24 h and 72 h marks cross the day (and a month) boundary
        ("2026-01-31T23:30+08:00", "2026-02-01T23:30", "2026-02-03T23:30"),
        # 07:00 in Shanghai is 23:00 UTC the day before: still exactly +24 h / +72 h
        ("2026-03-01T07:00+08:00", "2026-03-02T07:00", "2026-03-04T07:00"),
        # given in UTC, shown in Shanghai
        ("2025-12-31T20:00Z", "2026-01-02T04:00", "2026-01-04T04:00"),
        # without an offset: read in Asia/Shanghai (the configured zone)
        ("2026-06-30T16:15", "2026-07-01T16:15", "2026-07-03T16:15"),
    ],
)
def test_clocks_run_from_detection_across_days_and_zones(
    api_client: Any, detected_local: str, initial_local: str, notice_local: str
) -> None:
    """R-H2: initial handling due at +24 h, customer notice at +72 h, from detected_at,
    whatever the day boundary or the zone the time was given in; stored in UTC."""
    c, h = api_client("privacy_officer")
    r = _post(
        c,
        h,
        "/api/v1/incidents",
        {"title": "t", "kind": "other", "severity": "low", "detected_at": detected_local},
    )
    assert r.status_code == 201, r.content
    due = r.json()["due"]
    for key, want in (("initial_handling", initial_local), ("customer_notice", notice_local)):
        got = datetime.fromisoformat(due[key])
        assert got.utcoffset() == timedelta(0)
        assert got.astimezone(SH).strftime("%Y-%m-%dT%H:%M") == want


def test_clock_status_over_time(open_case: Any, at_time: Any) -> None:
    start = datetime(2026, 5, 1, 22, 0, tzinfo=UTC)
    at_time(start)
    inc = open_case(detected_at=start)
    at_time(start + timedelta(hours=17))
    assert clocks.initial_handling(inc, clock.now()).status == "running"
    at_time(start + timedelta(hours=19))  # 5 h of 24 left: near due (≤ a quarter)
    assert clocks.initial_handling(inc, clock.now()).status == "near_due"
    at_time(start + timedelta(hours=24, seconds=1))
    assert clocks.initial_handling(inc, clock.now()).status == "overdue"
    assert selectors.due_counts()["overdue"] == 1


def test_state_machine_stamps_times_and_refuses_skips(api_client: Any, open_case: Any) -> None:
    inc = open_case()
    c, h = api_client("privacy_officer")
    url = f"/api/v1/incidents/{inc.pk}/transition"
    skip = _post(c, h, url, {"to": "notified"})
    assert skip.status_code == 409 and skip.json()["code"] == "transition_not_allowed"
    assert skip.json()["allowed"] == ["not_breach", "triaged"]
    assert _post(c, h, url, {"to": "triaged"}).status_code == 200
    assert _post(c, h, url, {"to": "contained", "note": "account disabled"}).status_code == 200
    closing = _post(c, h, url, {"to": "closed"})
    assert closing.status_code == 409 and closing.json()["code"] == "notice_undecided"
    r = _post(
        c,
        h,
        f"/api/v1/incidents/{inc.pk}/notice-decision",
        {"decision": "not_required", "reason": ""},
    )
    assert r.status_code == 422  # "not required" is a decision *with its reason*
    r = _post(
        c,
        h,
        f"/api/v1/incidents/{inc.pk}/notice-decision",
        {"decision": "not_required", "reason": "laptop disk encrypted, key not exposed"},
    )
    assert r.status_code == 200
    assert r.json()["clocks"]["customer_notice"]["status"] == "not_required"
    done = _post(c, h, url, {"to": "closed"})
    assert done.status_code == 200, done.content
    body = done.json()
    assert [m["to"] for m in body["transitions"]] == ["reported", "triaged", "contained", "closed"]
    ts = body["timestamps"]
    assert ts["reported_at"] <= ts["triaged_at"] <= ts["contained_at"] <= ts["closed_at"]
    assert body["clocks"]["initial_handling"]["status"] == "met"
    moves = AuditEvent.objects.filter(action="incident.transitioned").count()
    assert moves == 3


def test_not_a_breach_needs_a_note_and_stops_the_clocks(api_client: Any, open_case: Any) -> None:
    inc = open_case(severity="high")
    c, h = api_client("security_admin")
    url = f"/api/v1/incidents/{inc.pk}/transition"
    r = _post(c, h, url, {"to": "not_breach"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "note"
    r = _post(c, h, url, {"to": "not_breach", "note": "test account, synthetic data"})
    assert r.status_code == 200
    assert r.json()["clocks"]["customer_notice"]["status"] == "not_required"
    assert {o["status"] for o in r.json()["obligations"]} == {"not_required"}


def test_roles_and_bad_input(api_client: Any, open_case: Any) -> None:
    c, h = api_client("front_desk")
    r = _post(
        c,
        h,
        "/api/v1/incidents",
        {"title": "x", "kind": "other", "severity": "low", "detected_at": "2026-01-01T00:00Z"},
    )
    assert r.status_code == 403 and r.json()["code"] == "role_required"
    c, h = api_client("privacy_officer")
    for body, field, code in [
        (
            {"title": "x", "kind": "nope", "severity": "low", "detected_at": "2026-01-01T00:00Z"},
            "kind",
            "invalid_choice",
        ),
        (
            {"title": "x", "kind": "other", "severity": "low", "detected_at": "yesterday"},
            "detected_at",
            "invalid_datetime",
        ),
        (
            {"title": "x", "kind": "other", "severity": "low", "detected_at": "2999-01-01T00:00Z"},
            "detected_at",
            "in_future",
        ),
        (
            {"title": "", "kind": "other", "severity": "low", "detected_at": "2026-01-01T00:00Z"},
            "title",
            "required",
        ),
    ]:
        r = _post(c, h, "/api/v1/incidents", body)
        assert r.status_code == 422, body
        assert r.json()["errors"][0]["field"] == field and r.json()["errors"][0]["code"] == code
    r = _post(c, h, "/api/v1/incidents", {"kind": "other", "alert_id": 99999})
    assert r.status_code == 404 and r.json()["code"] == "alert_not_found"
    assert c.get("/api/v1/incidents/99999", headers=h).json()["code"] == "incident_not_found"
    assert not AuditEvent.objects.filter(action="incident.opened").exists()


# -- regulator duties as data (CAC: 较大 or above → 4 h; CII operators 1 h) ----------------------
def test_cac_four_hour_report_for_major_incidents(open_case: Any, at_time: Any) -> None:
    t0 = datetime(2026, 2, 10, 1, 0, tzinfo=UTC)
    at_time(t0 + timedelta(minutes=5))
    minor = open_case(detected_at=t0, severity="low")
    assert not minor.obligations.exists()
    major = open_case(detected_at=t0, severity="medium")
    [ob] = major.obligations.all()
    assert ob.rule.code == "cac-2025-ordinary" and ob.due_at == t0 + timedelta(hours=4)
    assert ob.recipient_zh == "省级网信部门"


def test_cii_operator_one_hour_and_rule_not_before_it_was_in_force(
    open_case: Any, at_time: Any, settings: Any
) -> None:
    settings.BAOMI_OPERATOR_CLASS = "cii"
    t0 = datetime(2026, 2, 10, 1, 0, tzinfo=UTC)
    at_time(t0 + timedelta(minutes=5))
    inc = open_case(detected_at=t0, severity="critical")
    [ob] = inc.obligations.all()
    assert ob.rule.code == "cac-2025-cii" and ob.due_at == t0 + timedelta(hours=1)
    # in force from 2025-11-01 (Beijing time): 2025-10-31T23:30+08:00 is before it
    old = open_case(detected_at=datetime(2025, 10, 31, 15, 30, tzinfo=UTC), severity="critical")
    assert not old.obligations.exists()
    new = open_case(detected_at=datetime(2025, 10, 31, 16, 30, tzinfo=UTC), severity="critical")
    assert new.obligations.count() == 1


def test_regrading_adds_a_duty_and_filing_freezes_it(
    open_case: Any, officer: Any, at_time: Any
) -> None:
    t0 = datetime(2026, 4, 1, 2, 0, tzinfo=UTC)
    at_time(t0 + timedelta(hours=1))
    inc = open_case(detected_at=t0, severity="low")
    services.set_severity(officer, inc.pk, "high", "more records involved than first thought")
    [ob] = inc.obligations.all()
    assert ob.due_at == t0 + timedelta(hours=4)  # counted from detection, not from re-grading
    at_time(t0 + timedelta(hours=3))
    services.file_obligation(officer, ob.pk, reference="网信备-001")
    ob.refresh_from_db()
    assert ob.status == ObligationStatus.FILED and ob.filed_at <= ob.due_at
    services.set_severity(officer, inc.pk, "low", "downgraded after review")
    ob.refresh_from_db()
    assert ob.status == ObligationStatus.FILED  # frozen once filed
    assert inc.contacts.get().reference == "网信备-001"  # the filing is a contact record


def test_a_new_regime_is_configuration(open_case: Any, at_time: Any) -> None:
    from baomi.access.enums import Role  # noqa: F401 - documents who adds rules (CLI: system)
    from baomi.audit.services import SYSTEM
    from baomi.incidents import rules

    rules.add_rule(
        SYSTEM,
        code="sector-regulator",
        regime="sector",
        name_zh="行业主管部门报告",
        name_en="Sector regulator",
        recipient_zh="行业主管部门",
        recipient_en="Sector",
        min_severity="low",
        operator_class="any",
        minutes=24 * 60,
        effective_from="2026-01-01",
    )
    t0 = datetime(2026, 7, 1, tzinfo=UTC)
    at_time(t0)
    inc = open_case(detected_at=t0, severity="low")
    [ob] = inc.obligations.all()
    assert ob.rule.code == "sector-regulator" and ob.due_at == t0 + timedelta(days=1)
    assert AuditEvent.objects.filter(action="incident.rule_changed").exists()


def test_closing_needs_regulator_duties_decided(open_case: Any, officer: Any) -> None:
    inc = open_case(severity="medium")
    for to in ("triaged", "contained"):
        services.transition(officer, inc.pk, to)
    services.decide_notice(officer, inc.pk, "not_required", "no customer data on the device")
    from baomi.core.errors import Conflict

    with pytest.raises(Conflict) as e:
        services.transition(officer, inc.pk, "closed")
    assert e.value.code == "obligation_pending"
    [ob] = inc.obligations.all()
    services.obligation_not_required(officer, ob.pk, "graded 一般 after review by the CAC desk")
    assert services.transition(officer, inc.pk, "closed").state == State.CLOSED
