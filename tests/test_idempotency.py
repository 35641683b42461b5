"""`Idempotency-Key` on API writes (issue #11): a retry returns the first answer, another
body under the same key is refused, keys are per account and expire, and the stored
record holds no personal value. R-A1, R-E1."""

from __future__ import annotations

import json
from typing import Any

import pytest

from baomi.audit.models import AuditEvent
from baomi.core.models import IdempotencyRecord

pytestmark = pytest.mark.django_db


def _post(c: Any, h: dict[str, str], body: dict[str, Any], key: str | None, path: str = "") -> Any:
    headers = {**h, **({"Idempotency-Key": key} if key else {})}
    return c.post(
        path or "/api/v1/customers", body, content_type="application/json", headers=headers
    )


def _person(synth: Any) -> dict[str, Any]:
    return {**synth.customer(foreign_share=0.0), "channel": "web"}


def test_a_retry_gets_the_first_answer_not_409(api_client: Any, synth: Any) -> None:
    c, h = api_client("front_desk", "reception")
    body = _person(synth)
    first = _post(c, h, body, "order-7f3a")
    assert first.status_code == 201, first.content
    assert "Idempotent-Replayed" not in first
    again = _post(c, h, body, "order-7f3a")
    assert again.status_code == 201, again.content
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["phone"] == first.json()["phone"]  # the same masked view
    # created once; the replay is an audited read of the customer
    assert AuditEvent.objects.filter(action="customer.created").count() == 1
    reads = AuditEvent.objects.filter(action="customer.read", object_id=first.json()["id"])
    assert reads.count() == 2
    # without a key the same body is a duplicate, as always
    assert _post(c, h, body, None).status_code == 409


def test_the_same_key_with_another_body_is_refused(api_client: Any, synth: Any) -> None:
    c, h = api_client("front_desk", "reception")
    assert _post(c, h, _person(synth), "k-1").status_code == 201
    r = _post(c, h, _person(synth), "k-1")
    assert r.status_code == 422 and r.json()["code"] == "idempotency_key_reused"
    assert AuditEvent.objects.filter(action="customer.created").count() == 1


def test_keys_belong_to_one_account(api_client: Any, synth: Any) -> None:
    a, ha = api_client("front_desk", "reception")
    b, hb = api_client("front_desk", "reception")
    body = _person(synth)
    assert _post(a, ha, body, "shared-key").status_code == 201
    r = _post(b, hb, body, "shared-key")  # not b's key: evaluated, and a duplicate
    assert r.status_code == 409 and r.json()["code"] == "duplicate_customer"


def test_malformed_keys_are_refused(api_client: Any, synth: Any) -> None:
    c, h = api_client("front_desk", "reception")
    for bad in ("", "x" * 129, "with space", "键"):
        r = c.post(
            "/api/v1/customers",
            _person(synth),
            content_type="application/json",
            headers={**h, "Idempotency-Key": bad},
        )
        assert r.status_code == 422, bad
        assert r.json()["errors"][0]["code"] == "idempotency_key_invalid"
    assert not AuditEvent.objects.filter(action="customer.created").exists()


def test_keys_expire(api_client: Any, synth: Any, settings: Any) -> None:
    settings.BAOMI_IDEMPOTENCY_TTL_HOURS = 0  # expired as soon as written
    c, h = api_client("front_desk", "reception")
    body = _person(synth)
    assert _post(c, h, body, "k-exp").status_code == 201
    r = _post(c, h, body, "k-exp")
    assert r.status_code == 409  # the first answer is no longer remembered
    settings.BAOMI_IDEMPOTENCY_TTL_HOURS = 24
    assert _post(c, h, _person(synth), "k-new").status_code == 201
    # writing a record deletes the expired ones
    assert IdempotencyRecord.objects.count() == 1


def test_a_failed_write_is_not_remembered(api_client: Any, synth: Any) -> None:
    c, h = api_client("front_desk", "reception")
    body = _person(synth)
    bad = {**body, "phone": "12"}
    assert _post(c, h, bad, "k-fix").status_code == 422
    assert not IdempotencyRecord.objects.exists()
    assert _post(c, h, bad, "k-fix").status_code == 422  # evaluated again, same answer


def test_the_record_holds_no_personal_value(api_client: Any, synth: Any) -> None:
    c, h = api_client("front_desk", "reception")
    body = _person(synth)
    assert _post(c, h, body, "k-privacy").status_code == 201
    row = IdempotencyRecord.objects.get()
    stored = json.dumps(
        {f.name: str(getattr(row, f.name)) for f in IdempotencyRecord._meta.fields},
        ensure_ascii=False,
    )
    for v in (body["name"], body["phone"], body["id_number"], body["email"], "k-privacy"):
        assert v not in stored
    import hashlib

    raw = json.dumps(body).encode()
    assert row.fingerprint != hashlib.sha256(raw).hexdigest()  # keyed, not a plain hash
    assert (row.status, row.object_type, row.scope) == (201, "customer", "POST /customers")


def test_records_and_cards_take_keys_too(api_client: Any, make_customer: Any, synth: Any) -> None:
    cust = make_customer()
    c, h = api_client("front_desk", "reception")
    booking = synth.booking()
    path = f"/api/v1/customers/{cust.id}/bookings"
    one = _post(c, h, booking, "bk-1", path)
    two = _post(c, h, booking, "bk-1", path)
    assert one.status_code == two.status_code == 201
    assert one.json()["id"] == two.json()["id"]
    card = {"number": "4111 1111 1111 1111", "expiry": "12/29"}
    path = f"/api/v1/customers/{cust.id}/payment-methods"
    assert _post(c, h, card, "pm-1", path).json() == _post(c, h, card, "pm-1", path).json()
    body = c.get(f"/api/v1/customers/{cust.id}", headers=h).json()
    assert len(body["bookings"]) == 1 and len(body["payment_methods"]) == 1
    scopes = set(IdempotencyRecord.objects.values_list("scope", flat=True))
    assert scopes == {"POST /customers/{id}/booking", "POST /customers/{id}/payment-methods"}
    # the same key on another customer's route is another key
    other = make_customer()
    r = _post(c, h, booking, "bk-1", f"/api/v1/customers/{other.id}/bookings")
    assert r.status_code == 201 and r.json()["id"] != one.json()["id"]
