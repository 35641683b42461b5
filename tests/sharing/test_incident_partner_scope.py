"""A partner's breach, scoped from the log (issue #13 §2, R-H2): every customer disclosed to
that partner in the window, with the package's fields — exactly those, re-provable against
the stored root — because each disclosure event names its customers in its Merkle leaf."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from baomi.core import clock

pytestmark = pytest.mark.django_db


def _disclose(c: Any, h: dict[str, str], partner: Any, ids: list[str], fields: list[str]) -> Any:
    body = {
        "partner_id": partner.pk,
        "purpose": "reception",
        "customer_ids": ids,
        "fields": fields,
    }
    r = c.post("/api/v1/disclosures", body, content_type="application/json", headers=h)
    assert r.status_code == 201, r.content
    return r.json()


def test_scope_by_partner_finds_exactly_the_disclosed_customers(
    api_client: Any, make_partner: Any, consenting: Any, age_key: Any
) -> None:
    from pyrage import x25519

    airline = make_partner()
    hotel = make_partner(x25519.Identity.generate(), name="合作酒店示例")
    sent = [consenting(partner_sharing=True) for _ in range(3)]
    other = consenting(partner_sharing=True)
    refused = consenting(partner_sharing=False)
    c, h = api_client("front_desk")
    _disclose(c, h, airline, [str(x.id) for x in sent[:2]], ["customer.name"])
    _disclose(c, h, airline, [str(sent[2].id), str(refused.id)], ["customer.phone"])
    _disclose(c, h, hotel, [str(other.id)], ["customer.name"])

    po, ph = api_client("privacy_officer")
    r = po.post(
        "/api/v1/incidents",
        {
            "title": "合作方报告数据泄露",
            "kind": "partner_breach",
            "severity": "medium",
            "detected_at": clock.now().isoformat(),
            "partner": "东方航空示例",
        },
        content_type="application/json",
        headers=ph,
    )
    assert r.status_code == 201, r.content
    inc = r.json()["id"]
    window = {
        "from": (clock.now() - timedelta(hours=1)).isoformat(),
        "to": (clock.now() + timedelta(minutes=1)).isoformat(),
    }
    r = po.post(
        f"/api/v1/incidents/{inc}/scope",
        {"partner_id": airline.pk, **window},
        content_type="application/json",
        headers=ph,
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert sorted(body["affected"]) == sorted(str(x.id) for x in sent)  # not `refused`, `other`
    assert body["fields"][str(sent[0].id)] == {"customer.name": "plain"}
    assert body["fields"][str(sent[2].id)] == {"customer.phone": "plain"}
    proof = po.post(f"/api/v1/incidents/scopes/{body['id']}/reprove", headers=ph).json()
    assert proof["ok"] and proof["leaves_checked"] == 2

    r = po.post(
        f"/api/v1/incidents/{inc}/scope",
        {"partner_id": 999_999, **window},
        content_type="application/json",
        headers=ph,
    )
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "no_disclosures"


def test_the_detail_page_offers_the_partners_the_log_knows(
    api_client: Any, staff_client: Any, make_partner: Any, consenting: Any
) -> None:
    from baomi.incidents import services

    airline = make_partner()
    c, h = api_client("front_desk")
    _disclose(c, h, airline, [str(consenting(partner_sharing=True).id)], ["customer.name"])
    page_client, officer = staff_client("privacy_officer")
    inc = services.open_incident(
        officer,
        title="合作方泄露",
        kind="partner_breach",
        severity="low",
        detected_at=clock.now(),
    )
    page = page_client.get(f"/incidents/{inc.pk}/").content.decode()
    assert 'data-testid="scope-partner"' in page and "东方航空示例" in page
