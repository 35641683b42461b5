"""A trip with several travellers (issue #17 §2; R-A6, R-B3): each companion is a customer
with their own consent decisions, linked to the booking; names read through the gate;
every change audited; erasing a companion removes the link, not the lead's booking."""

from __future__ import annotations

from typing import Any

import pytest

from baomi.audit.models import AuditEvent
from baomi.consent.models import ConsentEvent
from baomi.customers import services as customers
from baomi.operations.models import Traveller

pytestmark = pytest.mark.django_db


def _booking(make_staff: Any, lead: Any) -> Any:
    desk = make_staff("front_desk")
    return customers.add_record(
        desk,
        "reception",
        lead.id,
        "booking",
        {"product": "云南六日游", "start_date": "2027-01-10", "end_date": "2027-01-15"},
    )


def test_api_adds_a_new_and_an_existing_traveller(
    api_client: Any, make_customer: Any, make_staff: Any, synth: Any
) -> None:
    lead, friend = make_customer(), make_customer()
    b = _booking(make_staff, lead)
    c, h = api_client("front_desk", "reception")
    url = f"/api/v1/bookings/{b.pk}/travellers"
    new = synth.customer(foreign_share=0)
    r = c.post(
        url,
        {
            "customer": {k: new[k] for k in ("name", "phone", "id_type", "id_number")},
            "consent": {"travel_companions": True, "marketing": False},
            "document_checked": True,
        },
        content_type="application/json",
        headers=h,
    )
    assert r.status_code == 201, r.content
    newcomer = r.json()["customer_id"]
    decisions = dict(
        ConsentEvent.objects.filter(customer_id=newcomer).values_list("purpose", "given")
    )
    assert decisions == {"travel_companions": True, "marketing": False}  # their own
    r = c.post(url, {"customer_id": str(friend.id)}, content_type="application/json", headers=h)
    assert r.status_code == 201
    again = c.post(url, {"customer_id": str(friend.id)}, content_type="application/json", headers=h)
    assert again.status_code == 409 and again.json()["code"] == "traveller_already_added"
    lead_again = c.post(
        url, {"customer_id": str(lead.id)}, content_type="application/json", headers=h
    )
    assert lead_again.status_code == 409 and lead_again.json()["code"] == "traveller_is_lead"
    neither = c.post(url, {}, content_type="application/json", headers=h)
    assert neither.status_code == 422
    bad = c.post(
        url,
        {
            "customer": {
                "name": "某人",
                "id_type": "cn_resident_id",
                "id_number": "110101199001011234",
            }
        },
        content_type="application/json",
        headers=h,
    )
    assert bad.status_code == 422  # validated as any new customer; nothing written
    listed = c.get(url, headers=h).json()
    assert [t["customer_id"] for t in listed["travellers"]] == [newcomer, str(friend.id)]
    assert listed["lead"]["customer_id"] == str(lead.id)
    assert listed["travellers"][0]["document_checked"] is True
    events = AuditEvent.objects.filter(action="booking.traveller_added", object_id=str(b.pk))
    assert events.count() == 2
    assert c.delete(f"{url}/{friend.id}", headers=h).status_code == 204
    assert Traveller.objects.filter(booking=b).count() == 1


def test_marketing_may_not_add_travellers(
    api_client: Any, make_customer: Any, make_staff: Any
) -> None:
    lead, friend = make_customer(), make_customer()
    b = _booking(make_staff, lead)
    c, h = api_client("marketing", "marketing")
    r = c.post(
        f"/api/v1/bookings/{b.pk}/travellers",
        {"customer_id": str(friend.id)},
        content_type="application/json",
        headers=h,
    )
    assert r.status_code == 403
    assert not Traveller.objects.exists()


def test_console_books_a_trip_with_two_travellers(
    staff_client: Any, make_customer: Any, make_staff: Any, synth: Any
) -> None:
    lead = make_customer()
    known = synth.customer(foreign_share=0)
    friend = make_customer(**known)
    b = _booking(make_staff, lead)
    c, _ = staff_client("front_desk", "reception")
    page = c.get(f"/ops/bookings/{b.pk}/").content.decode()
    assert 'data-testid="lead"' in page and "cn_resident_id<" not in page
    r = c.post(
        f"/ops/bookings/{b.pk}/",
        {"op": "existing", "lookup_id_number": known["id_number"], "document_checked": "1"},
    )
    assert r.status_code == 302, r.content.decode()[:1500]
    new = synth.customer(foreign_share=0)
    r = c.post(
        f"/ops/bookings/{b.pk}/",
        {
            "op": "new",
            "name": new["name"],
            "phone": new["phone"],
            "id_type": "cn_resident_id",
            "id_number": new["id_number"],
            "consent_travel_companions": "yes",
            "consent_marketing": "no",
        },
    )
    assert r.status_code == 302, r.content.decode()[:1500]
    page = c.get(f"/ops/bookings/{b.pk}/").content.decode()
    assert page.count('data-testid="traveller"') == 2
    missing = c.post(f"/ops/bookings/{b.pk}/", {"op": "existing", "lookup_id_number": "nope"})
    assert missing.status_code in (403, 422)
    assert Traveller.objects.filter(booking=b, customer=friend).exists()


def test_erasing_a_companion_removes_the_link_only(make_customer: Any, make_staff: Any) -> None:
    from baomi.operations.services import bookings
    from baomi.rights import services as rights

    lead, friend = make_customer(), make_customer()
    b = _booking(make_staff, lead)
    desk = make_staff("front_desk")
    bookings.add_traveller(desk, "reception", b.pk, customer_id=friend.id)
    rights.erase_customer(make_staff("privacy_officer"), friend.id, basis="erasure request")
    assert not Traveller.objects.exists()
    assert type(b).objects.filter(pk=b.pk).exists()


def test_malformed_ids_are_404_not_500(
    api_client: Any, make_customer: Any, make_staff: Any
) -> None:
    b = _booking(make_staff, make_customer())
    c, h = api_client("front_desk", "reception")
    assert c.get("/api/v1/bookings/not-a-uuid/travellers", headers=h).status_code == 404
    r = c.delete(f"/api/v1/bookings/{b.pk}/travellers/not-a-uuid", headers=h)
    assert r.status_code == 404 and r.json()["code"] == "traveller_not_found"
    assert c.get("/api/v1/stays/not-a-uuid/registration-card", headers=h).status_code == 404
