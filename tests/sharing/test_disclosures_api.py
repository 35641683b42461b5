"""Disclosures through the API (R-G1, R-G2, R-G3, R-C3): refusals with their reason codes and
audit events, customers excluded without a lawful basis, and a package that the partner's
key opens and no other key does."""

from __future__ import annotations

import json
from typing import Any

import pyrage
import pytest
from pyrage import x25519

from baomi.audit.models import AuditEvent
from baomi.sharing.models import Disclosure, DisclosureState

from .conftest import local_today, partner_body

pytestmark = pytest.mark.django_db


def _events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("seq"))


def _post(c: Any, h: dict[str, str], body: dict[str, Any]) -> Any:
    return c.post("/api/v1/disclosures", body, content_type="application/json", headers=h)


def test_partner_register_and_read_back(api_client: Any, age_key: x25519.Identity) -> None:
    c, h = api_client("legal")
    r = c.post(
        "/api/v1/partners", partner_body(age_key), content_type="application/json", headers=h
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["standing"] == "active" and body["agreements"][0]["purposes"] == ["reception"]
    r = c.get(f"/api/v1/partners/{body['id']}", headers=h)
    assert r.status_code == 200 and r.json()["name"] == "东方航空示例"
    assert _events("sharing.partner_registered") and _events("sharing.agreement_recorded")


def test_cross_border_partner_needs_assessment(api_client: Any, age_key: x25519.Identity) -> None:
    c, h = api_client("legal")
    body = partner_body(age_key, data_location="cross_border")
    r = c.post("/api/v1/partners", body, content_type="application/json", headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "assessment_required"
    bad = partner_body(age_key, public_key="-----BEGIN PGP PUBLIC KEY-----")
    r = c.post("/api/v1/partners", bad, content_type="application/json", headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "public_key_invalid"


def test_front_desk_may_not_keep_the_register(api_client: Any, age_key: x25519.Identity) -> None:
    c, h = api_client("front_desk")
    r = c.post(
        "/api/v1/partners", partner_body(age_key), content_type="application/json", headers=h
    )
    assert r.status_code == 403 and r.json()["code"] == "role_required"


def test_allowed_disclosure_opens_with_the_partner_key_only(
    api_client: Any, make_partner: Any, consenting: Any, age_key: x25519.Identity
) -> None:
    partner = make_partner()
    yes = consenting(partner_sharing=True)
    no = consenting(partner_sharing=False)
    never = consenting()
    c, h = api_client("front_desk")
    body = {
        "partner_id": partner.pk,
        "purpose": "reception",
        "customer_ids": [
            str(yes.id),
            str(no.id),
            str(never.id),
            "6f1c1d7e-0000-4000-8000-000000000000",
        ],
        "fields": ["name", "phone"],
    }
    r = _post(c, h, body)
    assert r.status_code == 201, r.content
    out = r.json()
    assert out["included"] == [str(yes.id)]
    assert {e["customer_id"]: e["reason"] for e in out["excluded"]} == {
        str(no.id): "no_partner_sharing_consent",
        str(never.id): "no_partner_sharing_consent",
        "6f1c1d7e-0000-4000-8000-000000000000": "not_found",
    }
    m = out["manifest"]
    assert m["fields"] == ["customer.name", "customer.phone"] and m["count"] == 1
    assert m["expires_at"] and len(m["package_sha256"]) == 64
    # no value anywhere in the answer, the register or the audit log
    raw = json.dumps(out, ensure_ascii=False)
    from baomi.customers import gate

    officer_view = gate.access_customer(_officer(), "rights_request", yes.id, related=False)
    assert officer_view.fields["phone"] not in raw
    assert officer_view.fields["phone"] not in json.dumps(
        [e.detail for e in AuditEvent.objects.all()], ensure_ascii=False
    )
    d = Disclosure.objects.get(pk=out["id"])
    assert officer_view.fields["phone"].encode() not in bytes(d.package)
    # the gate read only the customer with a lawful basis, once, under reception
    reads = AuditEvent.objects.filter(action="customer.read", purpose="reception")
    assert sorted(e.object_id for e in reads) == [str(yes.id)]
    # download once with the token; the partner's key opens it, another key does not
    dl = out["download"]
    anon = type(c)()
    r = anon.get(dl["url"], headers={"X-Download-Token": dl["token"]})
    assert r.status_code == 200 and r["X-Package-SHA256"] == m["package_sha256"]
    blob = r.content
    assert blob.startswith(b"age-encryption.org/v1")
    doc = json.loads(pyrage.decrypt(blob, [age_key]))
    assert doc["records"] == [
        {
            "customer_id": str(yes.id),
            "customer": {
                "name": officer_view.fields["name"],
                "phone": officer_view.fields["phone"],
            },
        }
    ]
    assert doc["manifest"]["count"] == 1 and doc["manifest"]["fields"] == m["fields"]
    with pytest.raises(pyrage.DecryptError):
        pyrage.decrypt(blob, [x25519.Identity.generate()])
    # single use: the ciphertext is gone; a second try is refused and audited
    d.refresh_from_db()
    assert d.state == DisclosureState.DOWNLOADED and d.package is None
    r = anon.get(dl["url"], headers={"X-Download-Token": dl["token"]})
    assert r.status_code == 410 and r.json()["code"] == "package_gone"
    r = anon.get(dl["url"], headers={"X-Download-Token": "guess"})
    assert r.status_code == 404
    reasons = [e.detail["reason"] for e in _events("sharing.download_refused")]
    assert reasons == ["downloaded", "bad_token"]
    assert (
        len(_events("sharing.disclosed")) == 1 and len(_events("sharing.package_downloaded")) == 1
    )


_officer_n = [0]


def _officer() -> Any:
    from baomi.access.services import create_staff

    _officer_n[0] += 1
    staff, _ = create_staff(
        None, f"po_view_{_officer_n[0]}", "privacy_officer", "correct-horse-battery-staple-42"
    )
    return staff


@pytest.mark.parametrize(
    ("over", "status", "code"),
    [
        (
            {"agreement": {"signed_on": "2024-01-01", "expires_on": "2025-01-01"}},
            409,
            "agreement_expired",
        ),
        ({}, 422, "field_out_of_scope"),
        ({"agreement": {"purposes": ["billing"]}}, 422, "purpose_out_of_scope"),
    ],
)
def test_refusals_have_codes_and_audit_events(
    api_client: Any,
    make_partner: Any,
    consenting: Any,
    over: dict[str, Any],
    status: int,
    code: str,
) -> None:
    partner = make_partner(**over)
    customer = consenting(partner_sharing=True)
    c, h = api_client("front_desk")
    fields = ["name", "email"] if code == "field_out_of_scope" else ["name"]
    r = _post(
        c,
        h,
        {
            "partner_id": partner.pk,
            "purpose": "reception",
            "customer_ids": [str(customer.id)],
            "fields": fields,
        },
    )
    assert r.status_code == status, r.content
    assert r.json()["code"] == code
    if code == "field_out_of_scope":
        assert r.json()["fields"] == ["customer.email"]
    ev = _events("sharing.disclosure_refused")
    assert [e.detail["reason"] for e in ev] == [code] and ev[0].outcome == "denied"
    d = Disclosure.objects.get(pk=r.json()["disclosure_id"])
    assert d.state == DisclosureState.REFUSED and d.refusal == code and d.package is None
    assert not AuditEvent.objects.filter(action="customer.read").exists()  # nothing was read


def test_partner_without_agreement_and_suspended_partner(
    api_client: Any, make_partner: Any, consenting: Any, legal: Any, age_key: x25519.Identity
) -> None:
    from baomi.sharing.services import partners

    customer = consenting(partner_sharing=True)
    future = make_partner(
        name="未来保险",
        agreement={"signed_on": local_today().isoformat(), "expires_on": "2099-01-01"},
    )
    c, h = api_client("front_desk")
    body = {
        "partner_id": future.pk,
        "purpose": "reception",
        "customer_ids": [str(customer.id)],
        "fields": ["name"],
    }
    assert _post(c, h, body).status_code == 201
    partners.suspend(legal, future.pk, "合作方发生数据泄露，暂停提供")
    r = _post(c, h, body)
    assert r.status_code == 409 and r.json()["code"] == "partner_suspended"


def test_field_the_role_does_not_see_in_plain_is_refused(
    api_client: Any, make_partner: Any, consenting: Any
) -> None:
    partner = make_partner()
    customer = consenting(partner_sharing=True)
    c, h = api_client("front_desk")  # front desk sees the ID number masked
    r = _post(
        c,
        h,
        {
            "partner_id": partner.pk,
            "purpose": "reception",
            "customer_ids": [str(customer.id)],
            "fields": ["id_number"],
        },
    )
    assert r.status_code == 422 and r.json()["code"] == "field_not_permitted"


def test_cross_border_partner_needs_cross_border_consent(
    api_client: Any, make_partner: Any, consenting: Any
) -> None:
    partner = make_partner(
        name="Air Example", data_location="cross_border", assessment_ref="CAC-2026-88"
    )
    both = consenting(partner_sharing=True, cross_border=True)
    one = consenting(partner_sharing=True)
    c, h = api_client("front_desk")
    r = _post(
        c,
        h,
        {
            "partner_id": partner.pk,
            "purpose": "reception",
            "customer_ids": [str(both.id), str(one.id)],
            "fields": ["name"],
        },
    )
    assert r.status_code == 201
    assert r.json()["included"] == [str(both.id)]
    assert r.json()["excluded"] == [
        {"customer_id": str(one.id), "reason": "no_cross_border_consent"}
    ]


def test_purpose_the_role_may_not_use_is_403(
    api_client: Any, make_partner: Any, consenting: Any
) -> None:
    partner = make_partner(agreement={"purposes": ["billing"]})
    customer = consenting(partner_sharing=True)
    c, h = api_client("front_desk")
    r = _post(
        c,
        h,
        {
            "partner_id": partner.pk,
            "purpose": "billing",
            "customer_ids": [str(customer.id)],
            "fields": ["name"],
        },
    )
    assert r.status_code == 403 and r.json()["code"] == "purpose_forbidden"
