"""The customer completes their birthday and preferences in the portal themself (issue #17
§1; R-F1, R-A1, decision 0041 §6): saved at once — no request for staff — validated as any
input, sealed with lineage basis `customer_confirmed`, audited as the data subject's own
change; a birthday that contradicts the resident ID on file is refused (that takes a
correction request); preferences the form does not show are kept."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client, override_settings

from baomi.audit.models import AuditEvent
from baomi.customers.models import Customer
from baomi.portal import selectors as outbox
from baomi.portal.models import OutboxMessage
from baomi.rights.models import RightsRequest

pytestmark = pytest.mark.django_db
PHONE = "13812345678"


def _sign_in(address: str = PHONE) -> Client:
    c = Client(REMOTE_ADDR="203.0.113.9")
    assert c.post("/portal/", {"address": address}).status_code == 302
    code = outbox.latest_code(OutboxMessage.objects.latest("id").destination_masked)
    assert code and re.fullmatch(r"\d{6}", code)
    assert c.post("/portal/verify/", {"code": code}).status_code == 302
    return c


@pytest.fixture
def guest(make_customer: Any) -> Customer:
    """A customer with a passport (no birth date encoded in the number), no birthday yet."""
    return make_customer(
        name="Anna Berg",
        phone=PHONE,
        id_type="passport",
        id_number="E12345678",
        birth_date=None,
        nationality="SE",
        preferences=None,
    )


def _staff_view(api_client: Any, cid: Any) -> dict[str, Any]:
    """What the front desk sees (birth date masked by its duty: `1990-**-**`)."""
    c, h = api_client("front_desk", "reception")
    return c.get(f"/api/v1/customers/{cid}", headers=h).json()


def _own_view(cid: Any) -> dict[str, Any]:
    from baomi.customers import gate

    return gate.access_customer(gate.DataSubject(cid), "rights_request", cid).fields


def test_birthday_and_preferences_saved_as_customer_confirmed(
    guest: Customer, api_client: Any
) -> None:
    c = _sign_in()
    page = c.get("/portal/me/").content.decode()
    assert 'data-testid="details-form"' in page and "我的生日与偏好" in page
    r = c.post(
        "/portal/me/details/",
        {"birth_date": "1990-05-17", "pref_floor": "high", "pref_language": "en"},
    )
    assert r.status_code == 302
    page = c.get("/portal/me/").content.decode()
    assert "已保存" in page
    seen = _staff_view(api_client, guest.id)
    assert seen["birth_date"] == "1990-**-**"  # the desk's masks still hold
    assert seen["preferences"] == {"floor": "high", "language": "en"}
    assert _own_view(guest.id)["birth_date"] == "1990-05-17"
    lineage = Customer.objects.get(id=guest.id).lineage
    assert lineage["birth_date"]["basis"] == "customer_confirmed"
    assert lineage["preferences"]["basis"] == "customer_confirmed"
    ev = AuditEvent.objects.filter(action="customer.updated", object_id=str(guest.id)).latest("seq")
    assert ev.actor_role == "data_subject" and ev.purpose == "rights_request"
    assert sorted(ev.fields["names"]) == ["birth_date", "preferences"]
    assert not RightsRequest.objects.filter(customer_id=guest.id, kind="rectify").exists()
    # nothing changed: nothing written
    r = c.post(
        "/portal/me/details/",
        {"birth_date": "1990-05-17", "pref_floor": "high", "pref_language": "en"},
    )
    assert "没有需要保存的修改" in c.get("/portal/me/").content.decode()


def test_invalid_values_are_refused_in_words(guest: Customer) -> None:
    c = _sign_in()
    c.post("/portal/me/details/", {"birth_date": "1990-02-30"})
    c.post("/portal/me/details/", {"pref_floor": "penthouse"})
    page = c.get("/portal/me/").content.decode()
    assert "楼层 取值无效" in page
    assert "customer_confirmed" not in str(Customer.objects.get(id=guest.id).lineage)


def test_birthday_against_the_resident_id_needs_a_correction_request(
    make_customer: Any,
) -> None:
    cust = make_customer(
        phone=PHONE,
        id_type="cn_resident_id",
        id_number="11010519491231002X",
        birth_date="1949-12-31",
    )
    c = _sign_in()
    c.post("/portal/me/details/", {"birth_date": "1950-01-01"})
    page = c.get("/portal/me/").content.decode()
    assert "与您身份证号码中的出生日期不一致" in page
    assert "basis" not in Customer.objects.get(id=cust.id).lineage.get("birth_date", {})


@override_settings(BAOMI_INDUSTRIES=["hotel"])
def test_preferences_the_form_does_not_show_are_kept(make_customer: Any, api_client: Any) -> None:
    cust = make_customer(
        phone=PHONE,
        id_type="passport",
        id_number="E7654321",
        preferences={"seat": "window", "floor": "low"},
    )
    c = _sign_in()
    page = c.get("/portal/me/").content.decode()
    assert 'name="pref_floor"' in page and 'name="pref_seat"' not in page  # hotel deployment
    c.post("/portal/me/details/", {"pref_floor": "", "pref_pillow": "soft"})
    assert _staff_view(api_client, cust.id)["preferences"] == {"seat": "window", "pillow": "soft"}


def test_the_service_takes_only_the_customers_own_birthday_and_preferences(
    guest: Customer, make_staff: Any
) -> None:
    from baomi.core.errors import Forbidden, ValidationFailed
    from baomi.customers import gate
    from baomi.customers.services import confirm_own_details

    me = gate.DataSubject(guest.id)
    with pytest.raises(ValidationFailed) as err:
        confirm_own_details(me, {"name": "Someone Else"})
    assert err.value.issues[0].code == "field_not_self_service"
    with pytest.raises(Forbidden):
        confirm_own_details(make_staff("front_desk"), {"birth_date": "1990-01-01"})
