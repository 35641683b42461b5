"""REST API surface (INTERFACES.md): tokens, customers CRUD, records, errors (R-A1, R-A4)."""

from __future__ import annotations

from typing import Any

import pytest

from baomi.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_openapi_published(client: Any) -> None:
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    paths = r.json()["paths"]
    for p in (
        "/api/v1/customers",
        "/api/v1/customers/{customer_id}",
        "/api/v1/auth/token",
        "/api/v1/health",
    ):
        assert p in paths


def test_token_lifecycle(client: Any, make_customer: Any) -> None:
    from tests.conftest import PASSWORD, current_otp

    from baomi.access.services import create_staff_with_mfa

    staff = create_staff_with_mfa(None, "cs_tokens", "customer_service", PASSWORD).staff
    cust = make_customer()
    r = client.post(
        "/api/v1/auth/token",
        {"username": staff.username, "password": "wrong"},
        content_type="application/json",
    )
    assert r.status_code == 401 and r.json()["code"] == "bad_credentials"
    assert AuditEvent.objects.filter(action="auth.login_failed").exists()
    creds = {"username": staff.username, "password": PASSWORD}
    r = client.post("/api/v1/auth/token", creds, content_type="application/json")
    # no path skips MFA, and the answer does not say the password was right (issue #9 §6)
    assert r.status_code == 401 and r.json()["code"] == "bad_credentials"
    code = current_otp(staff)
    r = client.post("/api/v1/auth/token", {**creds, "otp": code}, content_type="application/json")
    body = r.json()
    r = client.post("/api/v1/auth/token", {**creds, "otp": code}, content_type="application/json")
    assert r.status_code == 401, "a TOTP code must be refused on second use"
    r = client.post(
        "/api/v1/auth/token", {**creds, "otp": "000000"}, content_type="application/json"
    )
    assert r.status_code == 401 and r.json()["code"] == "bad_credentials"
    assert body["token_type"] == "bearer" and body["access_token"].startswith("bm_")
    from baomi.access.models import ApiToken

    assert not ApiToken.objects.filter(digest=body["access_token"]).exists()  # stored hashed
    h = {"Authorization": f"Bearer {body['access_token']}", "X-Purpose": "customer_service"}
    assert client.get(f"/api/v1/customers/{cust.id}", headers=h).status_code == 200
    assert client.delete("/api/v1/auth/token", headers=h).status_code == 204
    r = client.get(f"/api/v1/customers/{cust.id}", headers=h)
    assert r.status_code == 401 and r["Content-Type"] == "application/problem+json"


def test_expired_token_refused(client: Any, api_client: Any, make_customer: Any) -> None:
    from django.utils import timezone

    from baomi.access.models import ApiToken

    cust = make_customer()
    c, h = api_client("front_desk", "reception")
    ApiToken.objects.update(expires_at=timezone.now())
    assert c.get(f"/api/v1/customers/{cust.id}", headers=h).status_code == 401


def test_patch_updates_lineage_and_audits(api_client: Any, make_customer: Any) -> None:
    cust = make_customer()
    c, h = api_client("front_desk", "reception")
    r = c.patch(
        f"/api/v1/customers/{cust.id}",
        {"email": "New.Address@Example.com", "channel": "wechat"},
        content_type="application/json",
        headers=h,
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["email"] == "new.address@example.com"
    assert body["lineage"]["email"]["channel"] == "wechat"
    assert body["lineage"]["name"]["channel"] == "store"
    ev = AuditEvent.objects.filter(action="customer.updated").get()
    assert ev.fields == {"names": ["email"]}
    assert "example.com" not in str(ev.detail) + str(ev.fields)
    # searching by the new e-mail finds the customer, the old one does not
    r = c.get("/api/v1/customers", {"email": "new.address@example.com"}, headers=h)
    assert r.json()["total"] == 1


def test_patch_invalid_is_whole_or_nothing(api_client: Any, make_customer: Any) -> None:
    cust = make_customer(phone="13812345678")
    c, h = api_client("front_desk", "reception")
    r = c.patch(
        f"/api/v1/customers/{cust.id}",
        {"email": "x@example.com", "phone": "12"},
        content_type="application/json",
        headers=h,
    )
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["phone"]
    r = c.get(f"/api/v1/customers/{cust.id}", headers=h)
    assert r.json()["phone"] == "+8613812345678"
    assert r.json()["email"] != "x@example.com"


def test_validation_errors_in_chinese(api_client: Any) -> None:
    c, h = api_client("front_desk", "reception")
    r = c.post(
        "/api/v1/customers",
        {"name": "王五", "phone": "123", "channel": "store"},
        content_type="application/json",
        headers={**h, "Accept-Language": "zh-hans"},
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["message"] == "电话号码无效"
    r = c.post(
        "/api/v1/customers",
        {"name": "王五", "phone": "123", "channel": "store"},
        content_type="application/json",
        headers={**h, "Accept-Language": "en"},
    )
    assert r.json()["errors"][0]["message"] == "phone number is not valid"


def test_duplicate_is_409(api_client: Any, make_customer: Any) -> None:
    cust = make_customer(phone="13912345678", name="李四")
    c, h = api_client("front_desk", "reception")
    r = c.post(
        "/api/v1/customers",
        {"name": "李四", "phone": "+86 139 1234 5678", "channel": "web"},
        content_type="application/json",
        headers=h,
    )
    assert r.status_code == 409 and r.json()["code"] == "duplicate_customer"
    assert str(cust.id) not in r.content.decode()


def test_records_and_cards(api_client: Any, make_customer: Any, synth: Any) -> None:
    cust = make_customer()
    c, h = api_client("front_desk", "reception")
    for path, data in (
        ("bookings", synth.booking()),
        ("stays", synth.stay()),
        ("shipments", synth.shipment()),
    ):
        r = c.post(
            f"/api/v1/customers/{cust.id}/{path}", data, content_type="application/json", headers=h
        )
        assert r.status_code == 201, (path, r.content)
    r = c.post(
        f"/api/v1/customers/{cust.id}/payment-methods",
        {"number": "4111 1111 1111 1111", "expiry": "12/29", "cvc": "999"},
        content_type="application/json",
        headers=h,
    )
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "cvv_forbidden"
    r = c.post(
        f"/api/v1/customers/{cust.id}/payment-methods",
        {"number": "4111 1111 1111 1111", "expiry": "12/29"},
        content_type="application/json",
        headers=h,
    )
    assert r.status_code == 201
    body = c.get(f"/api/v1/customers/{cust.id}", headers=h).json()
    assert len(body["bookings"]) == len(body["stays"]) == len(body["shipments"]) == 1
    assert body["payment_methods"][0]["withheld"] == ["card", "expiry", "holder"]
    f, fh = api_client("finance", "billing")
    pm = f.get(f"/api/v1/customers/{cust.id}", headers=fh).json()["payment_methods"][0]
    assert pm["fields"]["card"] == "411111******1111"
    assert pm["meta"]["brand"] == "visa"


def test_unknown_customer_404_and_shredded_410(api_client: Any, make_customer: Any) -> None:
    from baomi.vault.services import shred

    c, h = api_client("front_desk", "reception")
    assert c.get("/api/v1/customers/not-a-uuid", headers=h).status_code == 404
    assert (
        c.get("/api/v1/customers/00000000-0000-0000-0000-000000000000", headers=h).status_code
        == 404
    )
    cust = make_customer(phone="13712345678")
    shred(cust.id, "test")
    r = c.get(f"/api/v1/customers/{cust.id}", headers=h)
    assert r.status_code == 410 and r["Content-Type"] == "application/problem+json"
    assert c.get("/api/v1/customers", {"phone": "13712345678"}, headers=h).json()["total"] == 0


def test_errors_leak_nothing(api_client: Any) -> None:
    c, h = api_client("front_desk", "reception")
    r = c.post(
        "/api/v1/customers",
        {
            "name": "赵六",
            "id_type": "cn_resident_id",
            "id_number": "110105194912310099",
            "channel": "store",
        },
        content_type="application/json",
        headers=h,
    )
    assert r.status_code == 422
    assert "110105194912310099" not in r.content.decode()
    assert "Traceback" not in r.content.decode()


def test_search_needs_criteria(api_client: Any) -> None:
    c, h = api_client("front_desk", "reception")
    r = c.get("/api/v1/customers", headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "criteria_required"


def test_read_is_audited_with_treatments_not_values(api_client: Any, make_customer: Any) -> None:
    cust = make_customer(name="钱七")
    from baomi.consent import services as consent

    consent.give(None, cust.id, "marketing", channel="store", method="signature")
    c, h = api_client("marketing", "marketing")
    c.get(f"/api/v1/customers/{cust.id}", headers=h)
    ev = AuditEvent.objects.filter(action="customer.read").latest("seq")
    assert ev.purpose == "marketing" and ev.actor_role == "marketing"
    assert ev.object_id == str(cust.id)
    assert ev.fields["name"] == "masked" and ev.fields["id_number"] == "withheld"
    assert "钱七" not in str(ev.fields) + str(ev.detail)


def test_an_unknown_api_path_answers_problem_json(client: Any) -> None:
    """A path under /api/v1/ that matches no route (an id that does not fit, /checks/-5)
    answers 404 problem+json like every documented refusal; console paths keep the page."""
    r = client.post("/api/v1/inspections/1/checks/-5", {}, content_type="application/json")
    assert r.status_code == 404 and r["Content-Type"].startswith("application/problem+json")
    assert r.json()["code"] == "not_found"
    page = client.get("/no/such/page/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")
