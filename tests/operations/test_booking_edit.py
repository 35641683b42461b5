"""Editing a travel booking (issue #17 §2 "edit with lineage"; R-A6, R-D2): itinerary,
dates, party size and amount change through one service — validated as when recorded,
sealed, one `booking.updated` event naming the fields (who, when, purpose) — from the API
and the booking page; masked fields are never written back; roles that may not write get
403."""

from __future__ import annotations

from typing import Any

import pytest

from baomi.audit.models import AuditEvent

from .test_travellers import _booking

pytestmark = pytest.mark.django_db


def _own(b: Any) -> dict[str, Any]:
    """The booking as its customer sees it (plain), to check what was stored."""
    from baomi.customers import gate

    me = gate.DataSubject(b.customer_id)
    view = gate.access_customer(me, "rights_request", b.customer_id)
    return next(r.fields for r in view.records["booking"] if r.id == str(b.pk))


def _patch(c: Any, h: dict[str, str], bid: Any, body: dict[str, Any]) -> Any:
    return c.patch(f"/api/v1/bookings/{bid}", body, content_type="application/json", headers=h)


def test_api_changes_the_itinerary_with_an_audit_event(
    api_client: Any, make_customer: Any, make_staff: Any
) -> None:
    b = _booking(make_staff, make_customer())
    c, h = api_client("front_desk", "reception")
    body = {"destination": "大理", "start_date": "2027-01-11", "end_date": "2027-01-16"}
    r = _patch(c, h, b.pk, {**body, "product": "云南七日游", "travellers": "3"})
    assert r.status_code == 200, r.content
    out = r.json()
    assert out["reference"] == b.reference and out["fields"]["travellers"] == "3"
    assert {"product", "destination"} <= set(out["masked"])  # the desk's masks hold
    assert _own(b)["product"] == "云南七日游" and _own(b)["destination"] == "大理"
    ev = AuditEvent.objects.filter(action="booking.updated", object_id=str(b.pk)).get()
    names = ["destination", "end_date", "product", "start_date", "travellers"]
    assert sorted(ev.fields["names"]) == names
    assert ev.purpose == "reception" and ev.actor_role == "front_desk"
    assert "大理" not in str(ev.detail) + str(ev.fields)  # names, never values


def test_api_refusals(api_client: Any, make_customer: Any, make_staff: Any) -> None:
    b = _booking(make_staff, make_customer())
    c, h = api_client("front_desk", "reception")
    r = _patch(c, h, b.pk, {"start_date": "2027-01-10", "end_date": "2027-01-01"})
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "end_before_start"
    r = _patch(c, h, b.pk, {"end_date": "2027-01-20"})
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "dates_together"
    r = _patch(c, h, b.pk, {"start_date": "not a date"})
    assert r.status_code == 422
    r = _patch(c, h, b.pk, {"room": "1"})
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "field_unknown"
    assert _patch(c, h, b.pk, {}).status_code == 422
    assert _patch(c, h, "not-a-booking", {"product": "x"}).status_code == 404
    m, mh = api_client("marketing", "marketing")
    assert _patch(m, mh, b.pk, {"product": "x"}).status_code == 403
    assert not AuditEvent.objects.filter(action="booking.updated").exists()


def test_console_booking_page_edits_and_never_writes_a_mask_back(
    staff_client: Any, make_customer: Any, make_staff: Any
) -> None:
    from baomi.customers import gate

    b = _booking(make_staff, make_customer())
    c, staff = staff_client("front_desk", "reception")
    url = f"/ops/bookings/{b.pk}/"
    page = c.get(url).content.decode()
    assert 'data-testid="booking-edit"' in page and 'data-testid="booking-fields"' in page
    form = page.split('data-testid="booking-edit"')[1].split("</form>")[0]
    assert "**" not in form and "云**" not in form  # a masked value is never prefilled
    r = c.post(url, {"op": "edit", "product": "云南七日游", "travellers": "2"})
    assert r.status_code == 302
    assert _own(b)["product"] == "云南七日游" and _own(b)["end_date"] == "2027-01-15"
    view = gate.access_records(staff, "reception", "booking", [str(b.pk)])[0]
    assert view.fields["travellers"] == "2"
    r = c.post(url, {"op": "edit", "start_date": "2027-01-10", "end_date": "2026-01-01"})
    assert r.status_code == 422 and "结束日期早于出发日期" in r.content.decode()
