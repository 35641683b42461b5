"""The gate knows who is trained (issue #14 §2, R-I1, decision 0030): past the grace
period, a member of staff whose required training or confidentiality agreement is not
current sees no sensitive field — reason `training_required` in the API's
`withheld_reasons`, the audit event and the console — and sees them again after passing
the exam. Basic work continues. Without any required course nothing changes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from baomi.audit.models import AuditEvent
from baomi.catalog import fields as catalog
from baomi.catalog.enums import FieldClass
from baomi.core import clock

from .conftest import hire, pass_exam, sign

pytestmark = pytest.mark.django_db

SENSITIVE = {s.code for s in catalog.fields_of("customer") if s.klass is FieldClass.SENSITIVE}


@pytest.fixture
def customer(make_customer: Any) -> Any:
    return make_customer(
        id_type="cn_resident_id", id_number="11010519491231002X", birth_date="1949-12-31"
    )


def _read(client: Any, headers: dict[str, str], cid: Any) -> dict[str, Any]:
    r = client.get(f"/api/v1/customers/{cid}", headers=headers)
    assert r.status_code == 200, r.content
    return dict(r.json())


def test_untrained_past_grace_sees_no_sensitive_field_until_the_exam_is_passed(
    api_staff: Any, required_course: Any, customer: Any, hr: Any
) -> None:
    course = required_course("front_desk")
    client, headers, desk = api_staff("front_desk", "reception", hired_days_ago=60)
    sign(desk, hr)
    from baomi.training import services

    services.run_rules(hr)  # the yearly rule assigns the course
    body = _read(client, headers, customer.id)
    assert SENSITIVE and set(body["withheld"]) >= SENSITIVE
    assert {c: body["withheld_reasons"][c] for c in SENSITIVE} == {
        c: "training_required" for c in SENSITIVE
    }
    assert "id_number" not in body
    assert body["name"] and "name" not in body["withheld"]  # basic work continues
    for rec in body["stays"] + body["bookings"]:
        for code in rec["withheld_reasons"]:
            assert rec["withheld_reasons"][code] == "training_required"
    ev = AuditEvent.objects.filter(
        action="customer.read", object_id=str(customer.id), actor_id=desk.pk
    ).latest("seq")
    assert ev.detail["withheld_reasons"]["id_number"] == "training_required"
    assert ev.fields["id_number"] == "withheld"

    me = client.get("/api/v1/training/me", headers=headers).json()
    assert me["standing"]["withheld"] is True
    assert me["standing"]["reason"] == "training_required"
    assert me["standing"]["missing"] == [course.code]
    [a] = me["assignments"]
    result = pass_exam(client, headers, a["id"])
    assert result["passed"] is True and result["score"] == 100.0
    assert result["certificate_expires_on"] == str(clock.add_months(services.today(), 12))

    body = _read(client, headers, customer.id)
    assert not body["withheld_reasons"]
    assert "id_number" in body["masked"]  # the front desk's own policy: masked, not withheld
    assert body["id_number"].endswith("002X")
    me = client.get("/api/v1/training/me", headers=headers).json()
    assert me["standing"] == {
        **me["standing"],
        "withheld": False,
        "current": True,
        "missing": [],
    }
    assert me["assignments"][0]["state"] == "passed"


def test_a_missing_agreement_is_treated_like_missing_training(
    api_staff: Any, required_course: Any, customer: Any, hr: Any
) -> None:
    from baomi.training import services
    from baomi.training.models import Course

    course: Course = required_course("front_desk")
    client, headers, agent = api_staff("front_desk", "reception", hired_days_ago=90)
    services.certify(agent, course, "attendance")  # trained, but no 保密协议
    body = _read(client, headers, customer.id)
    assert body["withheld_reasons"].get("id_number") == "training_required"
    me = client.get("/api/v1/training/me", headers=headers).json()
    assert me["standing"]["missing"] == ["agreement"]
    sign(agent, hr)
    assert not _read(client, headers, customer.id)["withheld_reasons"]


def test_within_the_grace_period_nothing_is_withheld(
    api_staff: Any, required_course: Any, customer: Any, settings: Any
) -> None:
    required_course("front_desk")
    client, headers, _ = api_staff("front_desk", "reception", hired_days_ago=10)
    body = _read(client, headers, customer.id)
    assert not body["withheld_reasons"]
    st = client.get("/api/v1/training/me", headers=headers).json()["standing"]
    assert st["applies"] is True and st["current"] is False and st["withheld"] is False
    settings.BAOMI_TRAINING_GRACE_DAYS = 5  # the setting shortens it
    assert _read(client, headers, customer.id)["withheld_reasons"]["id_number"] == (
        "training_required"
    )


def test_a_new_requirement_gives_existing_staff_the_grace_period(
    api_staff: Any, required_course: Any, customer: Any
) -> None:
    """Staff hired long ago are not locked out the day HR publishes a required course."""
    required_course("front_desk", days=3)
    client, headers, _ = api_staff("front_desk", "reception", hired_days_ago=400)
    assert not _read(client, headers, customer.id)["withheld_reasons"]


def test_an_expired_certificate_past_grace_withholds_again(
    api_staff: Any, required_course: Any, customer: Any, hr: Any
) -> None:
    from baomi.training import services
    from baomi.training.models import Certificate

    course = required_course("front_desk", days=800)
    client, headers, desk = api_staff("front_desk", "reception", hired_days_ago=800)
    sign(desk, hr)
    cert = services.certify(desk, course, "exam", on=services.today() - timedelta(days=400))
    assert cert.expires_on < services.today() - timedelta(days=30)
    assert _read(client, headers, customer.id)["withheld_reasons"]
    Certificate.objects.filter(pk=cert.pk).update(
        expires_on=services.today() - timedelta(days=5)
    )  # expired five days ago: still in grace
    assert not _read(client, headers, customer.id)["withheld_reasons"]


def test_no_required_course_no_change(api_staff: Any, customer: Any, hr: Any) -> None:
    """A fresh install (no required course): staff read as before (decision 0030)."""
    client, headers, _ = api_staff("front_desk", "reception", hired_days_ago=400)
    body = _read(client, headers, customer.id)
    assert body["withheld_reasons"] == {}
    assert "id_number" in body["masked"]
    st = client.get("/api/v1/training/me", headers=headers).json()["standing"]
    assert st["applies"] is False and st["withheld"] is False


def test_the_rule_binds_only_the_roles_and_departments_it_names(
    api_staff: Any, required_course: Any, customer: Any
) -> None:
    from baomi.training import services
    from baomi.training.models import AssignmentRule

    required_course("front_desk")
    client, headers, _ = api_staff("customer_service", "customer_service", hired_days_ago=90)
    assert not _read(client, headers, customer.id)["withheld_reasons"]
    AssignmentRule.objects.update(department="hotel-a")
    client, headers, desk = api_staff("front_desk", "reception", hired_days_ago=90)
    hire(desk, 90, department="hotel-b")
    assert not _read(client, headers, customer.id)["withheld_reasons"]
    hire(desk, 90, department="hotel-a")
    assert _read(client, headers, customer.id)["withheld_reasons"]
    assert services.today()  # (the helper is the local day)


def test_records_read_by_the_front_desk_follow_the_rule(
    api_staff: Any, required_course: Any, make_customer: Any, synth: Any, make_staff: Any
) -> None:
    """`gate.access_records` (arrivals, parcels) asks the withholder too."""
    from baomi.customers import gate
    from baomi.customers import services as customers

    required_course("front_desk")
    _, _, desk = api_staff("front_desk", "reception", hired_days_ago=90)
    c = make_customer()
    stay = customers.add_record(make_staff("front_desk"), "reception", c.id, "stay", synth.stay())
    [view] = gate.access_records(desk, "reception", "stay", [stay.pk])
    sensitive = {s.code for s in catalog.fields_of("stay") if s.klass is FieldClass.SENSITIVE}
    assert sensitive and sensitive <= set(view.withheld)
    assert set(view.withheld_reasons) == sensitive
