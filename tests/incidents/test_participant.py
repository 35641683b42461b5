"""The incidents app joins the core only through the participant contract (issue #10):
indicators in `GET /api/v1/kpis`, the overdue / near-due banner on every console page of
the people on the plan, the nav entry, erasure and the access copy."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from baomi.access.enums import Role
from baomi.core import clock
from baomi.customers import gate
from baomi.incidents import notices, scoping, services
from baomi.incidents.models import Notice

CODES = {
    "incidents.initial_handling_24h",
    "incidents.customer_notice_72h",
    "incidents.handling_efficiency",
    "incidents.yoy_change",
    "incidents.drills",
    "incidents.plan_awareness",
    "incidents.storage_security",
    "incidents.findings_past_due",
}


def test_every_incident_indicator_is_in_the_kpi_endpoint(
    api_client: Any, open_case: Any, officer: Any
) -> None:
    late = open_case(detected_at=clock.now() - timedelta(hours=30))
    services.transition(officer, late.pk, "triaged")
    c, h = api_client("manager")
    r = c.get("/api/v1/kpis", headers=h)
    assert r.status_code == 200, r.content
    got = {k["code"]: k for k in r.json()}
    assert set(got) >= CODES
    ih = got["incidents.initial_handling_24h"]
    assert (ih["value"], ih["numerator"], ih["denominator"], ih["met"]) == (0.0, 0, 1, False)
    assert got["incidents.handling_efficiency"]["target"] == 90.0
    assert got["incidents.yoy_change"]["value"] is None
    assert got["incidents.yoy_change"]["reason"] == "no_history"
    assert got["incidents.drills"]["value"] == 0.0 and got["incidents.drills"]["met"] is False
    assert got["incidents.storage_security"]["reason"] == "no_assessment"
    year = c.get("/api/v1/kpis?period=2026", headers=h).json()
    assert {k["period"] for k in year if k["code"] in CODES} == {"2026"}


def test_the_kpi_drill_down_names_the_cases(staff_client: Any, open_case: Any) -> None:
    inc = open_case(detected_at=clock.now() - timedelta(hours=30))
    c, _ = staff_client("privacy_officer")
    page = c.get("/kpis/incidents.initial_handling_24h/")
    assert page.status_code == 200, page.status_code
    assert inc.reference in page.content.decode()


def test_banner_on_every_page_of_the_people_on_the_plan(staff_client: Any, open_case: Any) -> None:
    open_case(detected_at=clock.now() - timedelta(hours=25))  # initial handling overdue
    for role, shown in (
        ("privacy_officer", True),
        ("security_admin", True),
        ("security_auditor", True),
        ("front_desk", False),
    ):
        c, _ = staff_client(role)
        page = c.get("/").content.decode()
        assert ('data-testid="incident-due-alert"' in page) is shown, role
        if shown:
            assert 'data-overdue="1"' in page and "安全事件" in page
            assert 'data-testid="nav-incidents"' in page


def test_erasure_clears_notices_and_the_certificate_says_what_was_kept(
    make_customer: Any, make_staff: Any, open_case: Any, officer: Any
) -> None:
    from baomi.rights import services as rights

    person = make_customer()
    suspect = make_staff(Role.FRONT_DESK)
    gate.access_customer(suspect, "reception", person.id, related=False)
    inc = open_case()
    now = clock.now()
    scoping.scope_incident(
        officer,
        inc.pk,
        scoping.ScopeMethod.ACCOUNT,
        scoping.account_params(suspect.pk, now - timedelta(hours=1), now + timedelta(seconds=1)),
    )
    services.set_notice_texts(
        officer, inc.pk, notice_what="a", notice_measures="b", notice_advice="c", notice_contact="d"
    )
    notices.prepare(officer, inc.pk)
    copy = rights.access_copy(officer, person.id)
    assert len(copy["incident_notices"]) == 1 and copy["incident_notices"][0]["text"]
    tomb = rights.erase_customer(officer, person.id, basis="customer request")
    cert = tomb.certificate
    assert cert["destroyed"]["records"]["incident_notice"] == 1
    assert [k["entity"] for k in cert["retained"] if k["entity"].startswith("incident")] == [
        "incident_scope_member"
    ]
    assert Notice.objects.get(customer_id=person.id).body is None
