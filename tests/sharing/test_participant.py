"""The sharing app through the participant contract: its indicators in `GET /api/v1/kpis`,
its section in the customer's access copy (JSON and readable), the 360 page's panel for
whoever may read the customer, the register's banner, and erasure reaching it."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.django_db

CODES = {
    "sharing.partners_audited",
    "sharing.encrypted_transfers",
    "sharing.agreements_expiring",
    "sharing.disclosures_refused",
}


def _disclose(make_partner: Any, consenting: Any, make_staff: Any) -> tuple[Any, Any, Any]:
    from baomi.sharing.services import disclosures

    partner = make_partner()
    customer = consenting(partner_sharing=True)
    desk = make_staff("front_desk")
    result = disclosures.prepare(
        desk,
        {
            "partner_id": partner.pk,
            "purpose": "reception",
            "customer_ids": [str(customer.id)],
            "fields": ["name"],
        },
    )
    return partner, customer, result


def test_indicators_in_the_kpi_endpoint(
    api_client: Any, make_partner: Any, consenting: Any, make_staff: Any
) -> None:
    c, h = api_client("privacy_officer")
    rows = {r["code"]: r for r in c.get("/api/v1/kpis", headers=h).json()}
    assert set(rows) >= CODES
    assert rows["sharing.encrypted_transfers"]["value"] is None
    assert rows["sharing.encrypted_transfers"]["reason"] == "no_transfers"
    _disclose(make_partner, consenting, make_staff)
    rows = {r["code"]: r for r in c.get("/api/v1/kpis", headers=h).json()}
    enc = rows["sharing.encrypted_transfers"]
    assert (enc["value"], enc["met"], enc["requirement"], enc["target"]) == (
        100.0,
        True,
        "R-C3",
        99.0,
    )
    audited = rows["sharing.partners_audited"]
    assert audited["value"] == 0.0 and audited["met"] is False and audited["requirement"] == "R-G2"
    r = c.get("/api/v1/kpis/sharing.partners_audited", headers=h)
    assert r.status_code == 200, r.content


def test_access_copy_lists_the_disclosure(
    make_partner: Any, consenting: Any, make_staff: Any
) -> None:
    from django.template.loader import render_to_string

    from baomi.rights import presenters
    from baomi.rights.services import access_copy

    partner, customer, _ = _disclose(make_partner, consenting, make_staff)
    copy = access_copy(make_staff("privacy_officer"), customer.id)
    shared = copy["shared"]["disclosures"]
    assert [(s["partner"], s["purpose"], s["fields"]) for s in shared] == [
        (partner.name, "reception", ["customer.name"])
    ]
    html = render_to_string("rights/copy.html", presenters.copy_context(copy))
    assert 'data-testid="copy-shared"' in html and partner.name in html and "接待" in html


def test_360_panel_and_banner(
    staff_client: Any, make_partner: Any, consenting: Any, make_staff: Any
) -> None:
    partner, customer, _ = _disclose(make_partner, consenting, make_staff)
    c, _ = staff_client("customer_service", "customer_service")
    page = c.get(f"/customers/{customer.id}/").content.decode()
    assert 'data-testid="disclosures-panel"' in page and partner.name in page
    # the register keepers see what needs doing on every console page
    from baomi.consent import services as consent

    consent.record(
        make_staff("front_desk"),
        customer.id,
        "partner_sharing",
        False,
        channel="store",
        method="signature",
        staff_purpose="reception",
    )
    legal, _ = staff_client("legal")
    page = legal.get("/sharing/lawful/").content.decode()
    assert 'data-testid="sharing-banner"' in page and "待通知合作方" in page
    assert 'data-testid="nav-sharing"' in page


def test_erasure_voids_waiting_packages_and_says_what_it_keeps(
    make_partner: Any, consenting: Any, make_staff: Any
) -> None:
    from baomi.rights.models import Tombstone
    from baomi.rights.services import erase_customer

    _, customer, result = _disclose(make_partner, consenting, make_staff)
    erase_customer(make_staff("privacy_officer"), customer.id, basis="PIPL art. 47")
    result.disclosure.refresh_from_db()
    assert result.disclosure.state == "voided" and result.disclosure.void_reason == "erasure"
    cert = Tombstone.objects.get(customer_id=customer.id).certificate
    assert cert["destroyed"]["records"]["disclosure_package"] == 1
    assert "disclosure_item" in str(cert)
