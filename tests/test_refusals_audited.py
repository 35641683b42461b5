"""Authorise before anything is decrypted or validated; every refusal is evidence
(issue #9 §3; R-D1, R-E1; ASVS 5.0 V8.2.1, V8.3.1, V16.3.2).

Found: `PATCH /customers/{id}` with a bad `id_number` answered 422 "not a valid passport
number" to any role — auditors and administrators included — which revealed the stored ID
type, and left no audit event; a duplicate `POST /customers` answered 409 with no audit
event (an unlogged existence oracle).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from baomi.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

PASSPORT = {"id_type": "passport", "id_number": "E12345678"}


def _events(action: str, **filters: Any) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action, **filters).order_by("seq"))


@pytest.mark.parametrize(
    ("role", "purpose"),
    [
        ("security_auditor", "investigation"),
        ("security_admin", "reception"),
        ("system_admin", "reception"),
        ("finance", "billing"),  # may read under billing, may not write
        ("marketing", "marketing"),
        ("courier", "delivery"),
        ("front_desk", "billing"),  # a purpose the role may not use
    ],
)
def test_patch_by_a_role_that_may_not_write_is_refused_before_validation(
    api_client: Any, make_customer: Any, role: str, purpose: str
) -> None:
    c = make_customer(**PASSPORT)
    client, h = api_client(role, purpose)
    before = AuditEvent.objects.count()
    r = client.patch(
        f"/api/v1/customers/{c.id}",
        {"id_number": "!!bad!!"},
        content_type="application/json",
        headers=h,
    )
    assert r.status_code == 403, r.content
    assert r.json()["code"] in {"purpose_forbidden", "write_forbidden"}
    assert "passport" not in r.content.decode().lower()
    denied = _events("access.denied", actor_role=role)
    assert denied, "the refusal left no audit event"
    ev = denied[-1]
    assert ev.outcome == "denied" and ev.purpose == purpose
    assert ev.object_id == str(c.id)
    assert "bad" not in json.dumps([ev.fields, ev.detail])
    # nothing was read: no customer.read, no update
    new = AuditEvent.objects.filter(seq__gt=before)
    assert not new.filter(action__in=["customer.read", "customer.updated"]).exists()


def test_patch_of_a_field_hidden_under_the_purpose_is_refused_and_audited(
    api_client: Any, make_customer: Any
) -> None:
    """Front desk × customer_service may write, but not the ID (withheld for the purpose):
    403 before the stored ID type is even decrypted, with an audit event naming the field."""
    c = make_customer(**PASSPORT)
    client, h = api_client("front_desk", "customer_service")
    r = client.patch(
        f"/api/v1/customers/{c.id}",
        {"id_number": "!!bad!!"},
        content_type="application/json",
        headers=h,
    )
    assert r.status_code == 403 and r.json()["code"] == "field_forbidden"
    assert "passport" not in r.content.decode().lower()
    ev = _events("access.denied", actor_role="front_desk")[-1]
    assert ev.detail["reason"] == "field_forbidden"
    assert ev.fields == {"names": ["id_number"]}


def test_writer_who_sees_the_id_type_masked_is_not_told_it(
    api_client: Any, make_customer: Any
) -> None:
    """Front desk × reception may change the ID but sees the ID type masked: a bad number
    is refused without naming the stored type. The privacy officer, who sees the type,
    still gets the precise message."""
    c = make_customer(**PASSPORT)
    client, h = api_client("front_desk", "reception")
    r = client.patch(
        f"/api/v1/customers/{c.id}",
        {"id_number": "!!bad!!"},
        content_type="application/json",
        headers=h,
    )
    assert r.status_code == 422
    err = r.json()["errors"][0]
    assert err["field"] == "id_number" and err["code"] == "id_number_invalid"
    assert "passport" not in r.content.decode().lower()
    client, h = api_client("privacy_officer", "rights_request")
    r = client.patch(
        f"/api/v1/customers/{c.id}",
        {"id_number": "!!bad!!"},
        content_type="application/json",
        headers=h,
    )
    assert r.status_code == 422 and "passport" in r.content.decode()


def test_duplicate_create_is_refused_and_audited_without_values(
    api_client: Any, make_customer: Any
) -> None:
    c = make_customer(**PASSPORT, phone="+8613800138000", name="王小明")
    client, h = api_client("front_desk", "reception")
    body = {
        "name": "王小明",
        "phone": "+8613800138000",
        "channel": "web",
        **PASSPORT,
        "consent": {"marketing": True},
    }
    r = client.post("/api/v1/customers", body, content_type="application/json", headers=h)
    assert r.status_code == 409 and r.json()["code"] == "duplicate_customer"
    (ev,) = _events("customer.create_refused")
    assert ev.outcome == "denied" and ev.actor_role == "front_desk" and ev.purpose == "reception"
    assert ev.detail["reason"] == "duplicate_customer"
    assert set(ev.fields["names"]) >= {"name", "phone", "id_number"}
    stored = json.dumps([ev.fields, ev.detail, ev.object_id], ensure_ascii=False)
    for value in ("王小明", "13800138000", "E12345678", str(c.id)):
        assert value not in stored
    # and the refused request created nothing: no second customer, no consent
    assert not _events("customer.created", actor_role="front_desk", seq__gt=ev.seq)
    assert not _events("consent.given", seq__gt=ev.seq)


def test_duplicate_from_the_console_form_is_audited(desk: Any, make_customer: Any) -> None:
    """The console's new-customer form refuses the same duplicate, and logs it too."""
    client, _ = desk
    make_customer(**PASSPORT, phone="+8613800138001", name="李雷")
    r = client.post(
        "/customers/new/",
        {"name": "李雷", "phone": "+8613800138001", **PASSPORT},
    )
    assert r.status_code in (200, 409)
    assert _events("customer.create_refused")
