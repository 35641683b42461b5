"""Authorisation matrix (R-D1, R-D2, R-D4): every role × purpose × endpoint × field.

Expectations come from the business table (issue #3), written out here independently of
baomi.access.policy, then purpose limitation from the catalogue. The API must never return
a field less protected than expected, and must refuse every role/purpose pair not allowed.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from baomi.access.enums import Role
from baomi.access.policy import ALL_FIELD_PURPOSES, decide
from baomi.catalog import fields as catalog
from baomi.catalog.enums import Purpose

pytestmark = pytest.mark.django_db

P, M, W = "plain", "masked", "withheld"
RANK = {P: 0, M: 1, W: 2}

# role → (purposes, {class: treatment}, {field key: treatment}, {tag: treatment})
TABLE: dict[str, tuple[set[str], dict[str, str], dict[str, str], dict[str, str]]] = {
    "front_desk": (
        {"reception", "customer_service"},
        {"basic": P, "sensitive": M, "preference": P},
        {},
        {"payment": W},
    ),
    "finance": ({"billing"}, {"basic": P, "sensitive": M, "preference": W}, {}, {}),
    "marketing": ({"marketing"}, {"basic": M, "sensitive": W, "preference": P}, {}, {}),
    "customer_service": (
        {"customer_service"},
        {"basic": P, "sensitive": M, "preference": P},
        {},
        {},
    ),
    "courier": (
        {"delivery"},
        {"basic": W, "sensitive": W, "preference": W},
        {
            "customer.name": M,
            "customer.phone": M,
            "customer.address": P,
            "shipment.recipient_name": M,
            "shipment.recipient_phone": M,
            "shipment.recipient_address": P,
            "shipment.sender_name": M,
            "shipment.sender_phone": M,
            "shipment.sender_address": P,
            "shipment.item_type": P,
        },
        {},
    ),
    "privacy_officer": (
        {"rights_request", "investigation"},
        {"basic": P, "sensitive": P, "preference": P},
        {},
        {},
    ),
    "security_admin": (set(), {}, {}, {}),
    "system_admin": (set(), {}, {}, {}),
    "security_auditor": (set(), {}, {}, {}),
    # issue #10 §4: the five departments named by the documents. Only the data steward
    # reads individuals, only under data_quality, masked except the short codes
    "data_steward": (
        {"data_quality"},
        {"basic": M, "sensitive": M, "preference": W},
        {"customer.id_type": P, "customer.gender": P, "customer.nationality": P},
        {"payment": W, "track": W},
    ),
    "hr": (set(), {}, {}, {}),
    "legal": (set(), {}, {}, {}),
    "inspector": (set(), {}, {}, {}),
    "manager": (set(), {}, {}, {}),
}


# Joint disclosure (issue #9 §3, tests/test_masking_inference.py): where one field of a
# view carries another, the table's treatment is tightened so no mask is undone —
# role, purpose → {field key: treatment}.
JOINT: dict[tuple[str, str], dict[str, str]] = {
    # a masked ID beside a plain birth date gave the ID away: birth year only
    ("front_desk", "reception"): {"customer.birth_date": M, "booking.product": M},
    # the product name repeats the (masked / withheld) destination
    ("front_desk", "customer_service"): {"booking.product": M},
    ("customer_service", "customer_service"): {"booking.product": M},
    ("marketing", "marketing"): {"booking.product": W},
}
# views that hide the gender show the ID without its gender digit (17th character)
NO_GENDER_DIGIT = {("finance", "billing")}


def masked_id(value: str, role: str, purpose: str) -> str:
    shown = "****" + value[-4:]
    if (role, purpose) in NO_GENDER_DIGIT and len(value) == 18:
        shown = shown[:-2] + "*" + shown[-1]
    return shown


def expected(role: str, purpose: str, spec: catalog.FieldSpec) -> str | None:
    """None = the request itself must be refused."""
    purposes, by_class, by_field, by_tag = TABLE[role]
    if purpose not in purposes:
        return None
    joint = JOINT.get((role, purpose), {})
    if spec.key in joint:
        return joint[spec.key]
    if purpose not in {p.value for p in ALL_FIELD_PURPOSES} and purpose not in {
        p.value for p in spec.purposes
    }:
        return W
    if spec.key in by_field:
        return by_field[spec.key]
    for tag in spec.tags:
        if tag in by_tag:
            return by_tag[tag]
    return by_class[spec.klass.value]


@pytest.fixture
def full_customer(make_staff: Any, synth: Any) -> Any:
    from baomi.customers import services

    desk = make_staff(Role.FRONT_DESK)
    data = synth.customer()
    data.update(
        id_type="cn_resident_id",
        id_number="11010519491231002X",
        birth_date="1949-12-31",
        preferences={"seat": "window", "pillow": "soft"},
        payment_card={"number": "6222020200112233440"[:15] + "4", "expiry": "12/29"},
    )
    # a Luhn-valid UnionPay-style test number
    from stdnum import luhn

    body = "622202020011223"
    data["payment_card"]["number"] = body + luhn.calc_check_digit(body)
    c = services.create_customer(desk, "reception", data, channel="store")
    # the table is about role × purpose × class: marketing reads need marketing consent
    # (issue #5; without it every field is withheld — tests/test_consent.py)
    from baomi.consent import services as consent

    consent.give(None, c.id, "marketing", channel="store", method="signature")
    services.add_record(desk, "reception", c.id, "booking", synth.booking())
    services.add_record(desk, "reception", c.id, "stay", synth.stay())
    services.add_record(desk, "reception", c.id, "shipment", synth.shipment())
    return c, data


def _plain(privacy_client: Any, cid: str) -> dict[str, Any]:
    c, h = privacy_client
    r = c.get(f"/api/v1/customers/{cid}", headers=h)
    assert r.status_code == 200
    return r.json()


PLURAL = {
    "booking": "bookings",
    "stay": "stays",
    "shipment": "shipments",
    "payment_method": "payment_methods",
}


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_matrix_get_customer(role: str, api_client: Any, full_customer: Any) -> None:
    cust, _ = full_customer
    truth = _plain(api_client("privacy_officer", "rights_request"), str(cust.id))
    client, headers = api_client(role)
    for purpose in [p.value for p in Purpose]:
        r = client.get(f"/api/v1/customers/{cust.id}", headers={**headers, "X-Purpose": purpose})
        spec0 = catalog.spec("customer", "name")
        if expected(role, purpose, spec0) is None:
            assert r.status_code == 403, (role, purpose, r.status_code)
            assert r["Content-Type"] == "application/problem+json"
            continue
        assert r.status_code == 200, (role, purpose, r.content)
        body = r.json()
        raw = json.dumps(body, ensure_ascii=False)
        for spec in catalog.fields_of("customer"):
            want = expected(role, purpose, spec)
            got = W if spec.code in body["withheld"] else M if spec.code in body["masked"] else P
            assert got == want, (role, purpose, spec.key, got, want)
            assert RANK[got] >= RANK[want]
            if want == W:
                assert spec.code not in body
            elif want == M and spec.code == "id_number":
                assert body[spec.code] == masked_id(truth[spec.code], role, purpose)
            elif want == M and spec.code != "preferences":
                assert body[spec.code] == spec.mask(truth[spec.code])
                if len(str(truth[spec.code])) > 4:
                    assert str(truth[spec.code]) not in raw, (role, purpose, spec.key)
            else:
                assert body[spec.code] == truth[spec.code]
        for entity, key in PLURAL.items():
            for rec, rec_truth in zip(body[key], truth[key], strict=True):
                for spec in catalog.fields_of(entity):
                    want = expected(role, purpose, spec)
                    got = (
                        W
                        if spec.code in rec["withheld"]
                        else M
                        if spec.code in rec["masked"]
                        else P
                    )
                    assert got == want, (role, purpose, spec.key, got, want)
                    if want == W:
                        assert spec.code not in rec["fields"]
                    elif want == P and spec.code in rec_truth["fields"]:
                        assert rec["fields"][spec.code] == rec_truth["fields"][spec.code]


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_matrix_search_and_write(
    role: str, api_client: Any, full_customer: Any, synth: Any
) -> None:
    cust, data = full_customer
    client, headers = api_client(role)
    for purpose in [p.value for p in Purpose]:
        h = {**headers, "X-Purpose": purpose}
        allowed = expected(role, purpose, catalog.spec("customer", "name")) is not None
        r = client.get("/api/v1/customers", {"phone": data["phone"]}, headers=h)
        phone_t = expected(role, purpose, catalog.spec("customer", "phone"))
        if not allowed:
            assert r.status_code == 403, (role, purpose)
        elif phone_t == W:
            assert r.status_code == 403, (role, purpose)  # cannot search by a hidden field
        else:
            assert r.status_code == 200, (role, purpose, r.content)
            items = r.json()["items"]
            assert [i["id"] for i in items] == [str(cust.id)]
        new = synth.customer()
        new["channel"] = "web"
        r = client.post("/api/v1/customers", new, content_type="application/json", headers=h)
        can_write = role in {"front_desk", "customer_service", "privacy_officer"} and allowed
        if can_write and all(
            expected(role, purpose, catalog.spec("customer", k)) != W for k in new if k != "channel"
        ):
            assert r.status_code == 201, (role, purpose, r.content)
        else:
            assert r.status_code == 403, (role, purpose, r.status_code)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    role=st.sampled_from(list(Role)),
    purpose=st.sampled_from(list(Purpose)),
    spec=st.sampled_from(catalog.FIELDS),
)
def test_policy_never_less_protective_than_table(
    role: Role, purpose: Purpose, spec: catalog.FieldSpec
) -> None:
    want = expected(role.value, purpose.value, spec)
    got = decide(role.value, purpose, spec).value
    if want is None:
        assert got == W
    else:
        assert RANK[got] >= RANK[want]
        assert got == want


def test_admin_roles_never_read_customer_data() -> None:
    for role in ("security_admin", "system_admin", "security_auditor"):
        for purpose in Purpose:
            for spec in catalog.FIELDS:
                assert decide(role, purpose, spec).value == W


def test_policy_exhaustive_against_table() -> None:
    for role in Role:
        for purpose in Purpose:
            for spec in catalog.FIELDS:
                want = expected(role.value, purpose.value, spec)
                got = decide(role.value, purpose, spec).value
                assert got == (W if want is None else want), (role, purpose, spec.key)


def test_new_department_roles_read_no_individual_data_by_default() -> None:
    """Issue #10 §4: hr, legal, inspector and manager see figures only; the data steward
    reads individuals only under data_quality, never plain beyond the short codes."""
    for role in ("hr", "legal", "inspector", "manager"):
        for purpose in Purpose:
            for spec in catalog.FIELDS:
                assert decide(role, purpose, spec).value == W, (role, purpose, spec.key)
    for purpose in Purpose:
        for spec in catalog.FIELDS:
            got = decide("data_steward", purpose, spec).value
            if purpose is Purpose.DATA_QUALITY and spec.key == "quality_held_value.values":
                assert got == M, spec.key  # import values held for the steward (issue #16)
            elif purpose is not Purpose.DATA_QUALITY or spec.entity != "customer":
                assert got == W, (purpose, spec.key)
            elif spec.code in {"id_type", "gender", "nationality"}:
                assert got == P, spec.key
            else:
                assert got in {M, W}, spec.key


def test_data_steward_masks_hold_jointly(api_client: Any, full_customer: Any) -> None:
    """DESIGN §4: the masked ID number hides the birth date, so the birth date beside it is
    masked too — the steward's view never re-assembles a full ID number or birth date."""
    cust, data = full_customer
    client, headers = api_client("data_steward", "data_quality")
    body = client.get(f"/api/v1/customers/{cust.id}", headers=headers).json()
    raw = json.dumps(body, ensure_ascii=False)
    assert body["id_number"] != data["id_number"]
    assert "19491231" not in raw and "1949-12-31" not in raw
    assert data["phone"][-8:-4] not in body["phone"]
    assert {"name", "phone", "id_number", "birth_date", "address"} <= set(body["masked"])
    for entity in ("bookings", "stays", "shipments", "payment_methods"):
        for rec in body[entity]:
            assert rec["fields"] == {}, entity


# -- staff conditions on top of the table (issue #14 §2, decision 0030) ---------------------
# A member of staff whose required training or confidentiality agreement is not current,
# past the grace period, sees no sensitive-class field under any role and purpose; the
# view names the reason. Every other field keeps the table's treatment (basic work goes on).
STAFF_ROWS: dict[str, dict[str, str]] = {"training_required": {"sensitive": W}}


def expected_for(role: str, purpose: str, spec: catalog.FieldSpec, condition: str) -> str | None:
    want = expected(role, purpose, spec)
    if want is None:
        return None
    tighter = STAFF_ROWS[condition].get(spec.klass.value, want)
    return tighter if RANK[tighter] > RANK[want] else want


# Duty rows (decisions 0025, 0041 §7): staff posted at a site see the masked fields of
# that site's own records in full — (role, purpose, site kind) → entity → fields. A
# record of another site of the same kind, or staff posted nowhere, keep the table's
# treatment; so does every role and purpose not listed here.
_TRIP = {"product", "destination", "start_date", "end_date", "travellers"}
DUTY_ROWS: dict[tuple[str, str, str], dict[str, set[str]]] = {
    ("front_desk", "reception", "hotel"): {"stay": {"room", "check_in", "check_out"}},
    ("front_desk", "reception", "counter"): {"booking": _TRIP},
    ("front_desk", "customer_service", "counter"): {"booking": _TRIP},
    ("customer_service", "customer_service", "counter"): {"booking": _TRIP},
}


def expected_posted(
    role: str, purpose: str, spec: catalog.FieldSpec, kind: str, own: bool
) -> str | None:
    want = expected(role, purpose, spec)
    opened = DUTY_ROWS.get((role, purpose, kind), {}).get(spec.entity, set())
    if own and want == M and spec.code in opened:
        return P
    return want


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_matrix_posted_staff_see_their_own_sites_records(
    role: str, api_client: Any, full_customer: Any
) -> None:
    """Every role × purpose, posted at the site that holds the customer's stay / booking
    and at another site of the same kind: only the duty rows open, only for their own
    site; nothing else changes (R-D2)."""
    import datetime as dt
    import hashlib

    from baomi.access.models import ApiToken
    from baomi.customers.models import Booking, Stay
    from baomi.operations.services import bookings, sites, stays

    cust, _ = full_customer
    for code, kind in (("H1", "hotel"), ("H2", "hotel"), ("C1", "counter"), ("C2", "counter")):
        sites.create_site(None, code, kind, f"门店{code}", code, "上海市")
    day = dt.date(2027, 3, 1)
    stays.record_at_site(
        None,
        "",
        Stay.objects.get(customer_id=cust.id),
        "H1",
        check_in=day,
        check_out=day + dt.timedelta(days=2),
    )
    bookings.record_at_counter(
        None, "", Booking.objects.get(customer_id=cust.id), "C1", start_date=day
    )
    client, headers = api_client(role)
    token = headers["Authorization"].split()[1]
    staff = ApiToken.objects.get(digest=hashlib.sha256(token.encode()).hexdigest()).staff
    for code, kind, own in (
        ("H1", "hotel", True),
        ("H2", "hotel", False),
        ("C1", "counter", True),
        ("C2", "counter", False),
    ):
        sites.post_staff(None, staff, code)
        for purpose in [p.value for p in Purpose]:
            h = {**headers, "X-Purpose": purpose}
            r = client.get(f"/api/v1/customers/{cust.id}", headers=h)
            if expected(role, purpose, catalog.spec("customer", "name")) is None:
                assert r.status_code == 403, (role, purpose, r.status_code)
                continue
            body = r.json()
            for entity, key in PLURAL.items():
                for rec in body[key]:
                    for spec in catalog.fields_of(entity):
                        want = expected_posted(role, purpose, spec, kind, own)
                        got = (
                            W
                            if spec.code in rec["withheld"]
                            else M
                            if spec.code in rec["masked"]
                            else P
                        )
                        assert got == want, (role, purpose, code, spec.key, got, want)


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_matrix_untrained_staff(
    role: str, api_client: Any, full_customer: Any, make_staff: Any
) -> None:
    from datetime import timedelta

    from django.contrib.auth import get_user_model

    from baomi.core import clock
    from baomi.training import services as training
    from baomi.training.models import AssignmentRule

    cust, _ = full_customer
    hr = make_staff("hr")
    course = training.save_course(
        hr,
        code="yearly-privacy",
        kind="yearly",
        title_zh="年度隐私与安全培训",
        title_en="Yearly privacy and security",
        questions_per_exam=0,
        classification_questions=5,
    )
    training.save_rule(hr, course=course, event="yearly", apply_now=False)  # every role
    long_ago = clock.now() - timedelta(days=120)
    AssignmentRule.objects.update(created_at=long_ago)
    client, headers = api_client(role)
    get_user_model().objects.update(date_joined=long_ago)  # hired long ago, never trained
    condition = "training_required"
    for purpose in [p.value for p in Purpose]:
        r = client.get(f"/api/v1/customers/{cust.id}", headers={**headers, "X-Purpose": purpose})
        if expected_for(role, purpose, catalog.spec("customer", "name"), condition) is None:
            assert r.status_code == 403, (role, purpose, r.status_code)
            continue
        assert r.status_code == 200, (role, purpose, r.content)
        body = r.json()
        views = [("customer", body)] + [
            (entity, rec) for entity, key in PLURAL.items() for rec in body[key]
        ]
        for entity, view in views:
            values = view if entity == "customer" else view["fields"]
            for spec in catalog.fields_of(entity):
                want = expected_for(role, purpose, spec, condition)
                got = (
                    W if spec.code in view["withheld"] else M if spec.code in view["masked"] else P
                )
                assert got == want, (role, purpose, spec.key, got, want)
                if want == W:
                    assert spec.code not in values
                tightened = want != expected(role, purpose, spec)
                assert (view["withheld_reasons"].get(spec.code) == condition) is tightened, (
                    role,
                    purpose,
                    spec.key,
                )
