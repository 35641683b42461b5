"""End-to-end through the REST API (INTERFACES.md): create, read by role, search (R-A4, R-D2)."""

from typing import Any

import pytest

pytestmark = pytest.mark.django_db


def test_health(client: Any) -> None:
    r = client.get("/api/v1/health")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}


def test_create_then_front_desk_sees_masked_id(api_client: Any, synth: Any) -> None:
    c, h = api_client("front_desk", "reception")
    data = synth.customer()
    data["id_type"], data["id_number"] = "cn_resident_id", "11010519491231002X"
    data["birth_date"] = "1949-12-31"
    data["channel"] = "store"
    r = c.post("/api/v1/customers", data, content_type="application/json", headers=h)
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["name"] == data["name"]
    assert body["id_number"] == "****002X"
    assert "id_number" in body["masked"]

    po, ph = api_client("privacy_officer", "rights_request")
    r2 = po.get(f"/api/v1/customers/{body['id']}", headers=ph)
    assert r2.status_code == 200
    assert r2.json()["id_number"] == "11010519491231002X"


def test_missing_and_unknown_purpose_are_400_forbidden_is_403(
    api_client: Any, make_customer: Any
) -> None:
    cust = make_customer()
    c, h = api_client("marketing")
    r = c.get(f"/api/v1/customers/{cust.id}", headers=h)
    assert r.status_code == 400 and r.json()["code"] == "purpose_required"
    assert r["Content-Type"] == "application/problem+json"
    r = c.get(f"/api/v1/customers/{cust.id}", headers={**h, "X-Purpose": "gossip"})
    assert r.status_code == 400 and r.json()["code"] == "purpose_unknown"
    r = c.get(f"/api/v1/customers/{cust.id}", headers={**h, "X-Purpose": "billing"})
    assert r.status_code == 403


def test_search_by_phone_exact(api_client: Any, make_customer: Any) -> None:
    cust = make_customer(phone="13812345678", name="张三")
    make_customer()
    c, h = api_client("customer_service", "customer_service")
    r = c.get("/api/v1/customers?phone=138 1234 5678", headers=h)
    assert r.status_code == 200
    items = r.json()["items"]
    assert [i["id"] for i in items] == [str(cust.id)]
    assert items[0]["phone"] == "+8613812345678"


def test_cvv_refused_and_nothing_written(api_client: Any, synth: Any) -> None:
    from baomi.customers.models import Customer

    c, h = api_client("front_desk", "reception")
    data = synth.customer()
    data["payment_card"] = {"number": "4111111111111111", "expiry": "12/29", "cvv": "123"}
    r = c.post("/api/v1/customers", data, content_type="application/json", headers=h)
    assert r.status_code == 422
    assert r.json()["errors"][0]["code"] == "cvv_forbidden"
    assert Customer.objects.count() == 0
