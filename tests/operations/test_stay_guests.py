"""Other guests in the room of a stay (同住客人; issue #17 §1 "record the stay, room,
companions"; R-A5, R-A6, R-B3): each a customer of their own (existing, or registered at
the desk with their ID document and their own consent decisions), linked to the stay by
the desk of the stay's own hotel only; names read through the gate; audited; erasing a
guest removes the link."""

from __future__ import annotations

import datetime as dt
from typing import Any

from baomi.audit.models import AuditEvent
from baomi.consent.models import ConsentEvent

from .conftest import local_today
from .test_front_desk import _book, _desk


def _post(c: Any, h: dict[str, str], stay_id: str, body: dict[str, Any]) -> Any:
    return c.post(
        f"/api/v1/stays/{stay_id}/guests", body, content_type="application/json", headers=h
    )


def test_api_registers_a_new_and_an_existing_guest(
    api_client: Any, sites: Any, post: Any, make_customer: Any, synth: Any
) -> None:
    c, h = _desk(api_client, post, "H1")
    holder, friend = make_customer(name="王大明"), make_customer(name="李小红")
    stay_id = _book(c, h, holder.id, room="808").json()["id"]
    new = synth.customer(foreign_share=0)
    r = _post(
        c,
        h,
        stay_id,
        {
            "customer": {k: new[k] for k in ("name", "id_type", "id_number", "phone")},
            "consent": {"hotel_preferences": True, "marketing": False},
            "document_checked": True,
        },
    )
    assert r.status_code == 201, r.content
    newcomer = r.json()["customer_id"]
    decisions = dict(
        ConsentEvent.objects.filter(customer_id=newcomer).values_list("purpose", "given")
    )
    assert decisions == {"hotel_preferences": True, "marketing": False}  # their own
    assert _post(c, h, stay_id, {"customer_id": str(friend.id)}).status_code == 201
    again = _post(c, h, stay_id, {"customer_id": str(friend.id)})
    assert again.status_code == 409 and again.json()["code"] == "guest_already_added"
    self_ = _post(c, h, stay_id, {"customer_id": str(holder.id)})
    assert self_.status_code == 409 and self_.json()["code"] == "guest_is_holder"
    assert _post(c, h, stay_id, {}).status_code == 422
    body = c.get(f"/api/v1/stays/{stay_id}/guests", headers=h).json()
    assert body["holder"]["name"] == "王大明"
    assert [g["name"] for g in body["guests"]] == [new["name"], "李小红"]
    assert body["guests"][0]["document_checked"] is True
    assert "id_number" in body["guests"][0]["masked"]  # the desk's duty masks ID numbers
    assert AuditEvent.objects.filter(action="stay.guest_added", object_id=stay_id).count() == 2
    r = c.delete(f"/api/v1/stays/{stay_id}/guests/{friend.id}", headers=h)
    assert r.status_code == 204
    r = c.delete(f"/api/v1/stays/{stay_id}/guests/{friend.id}", headers=h)
    assert r.status_code == 404 and r.json()["code"] == "guest_not_found"
    assert AuditEvent.objects.filter(action="stay.guest_removed", object_id=stay_id).exists()


def test_only_the_stays_own_hotel_desk_registers_guests(
    api_client: Any, sites: Any, post: Any, make_customer: Any
) -> None:
    c1, h1 = _desk(api_client, post, "H1")
    c2, h2 = _desk(api_client, post, "H2")
    holder, friend = make_customer(), make_customer()
    stay_id = _book(c1, h1, holder.id, room="1").json()["id"]
    r = _post(c2, h2, stay_id, {"customer_id": str(friend.id)})
    assert r.status_code == 403 and r.json()["code"] == "not_posted_here"
    cs, hs = api_client("customer_service", "customer_service")
    assert _post(cs, hs, stay_id, {"customer_id": str(friend.id)}).status_code == 403
    r = _post(c1, h1, "not-a-stay", {"customer_id": str(friend.id)})
    assert r.status_code == 404


def test_no_guest_is_added_after_check_out_and_erasure_removes_the_link(
    api_client: Any, sites: Any, post: Any, make_customer: Any, make_staff: Any
) -> None:
    from baomi.operations.models import StayGuest
    from baomi.rights.services import erase_customer

    c, h = _desk(api_client, post, "H1")
    holder, friend, late = make_customer(), make_customer(), make_customer()
    stay_id = _book(c, h, holder.id, room="2").json()["id"]
    assert _post(c, h, stay_id, {"customer_id": str(friend.id)}).status_code == 201
    c.post(f"/api/v1/stays/{stay_id}/check-in", {}, content_type="application/json", headers=h)
    c.post(f"/api/v1/stays/{stay_id}/check-out", {}, content_type="application/json", headers=h)
    r = _post(c, h, stay_id, {"customer_id": str(late.id)})
    assert r.status_code == 409 and r.json()["code"] == "stay_checked_out"
    erase_customer(make_staff("privacy_officer"), friend.id, basis="test")
    assert not StayGuest.objects.filter(customer_id=friend.id).exists()
    assert c.get(f"/api/v1/stays/{stay_id}/guests", headers=h).json()["guests"] == []


def test_console_stay_page_registers_a_guest(
    staff_client: Any, sites: Any, post: Any, make_customer: Any, synth: Any
) -> None:
    from baomi.operations.services import stays

    c, desk = staff_client("front_desk", "reception")
    post(desk, "H1")
    holder = make_customer(name="赵一")
    day = local_today()
    dates = {"check_in": day.isoformat(), "check_out": (day + dt.timedelta(days=1)).isoformat()}
    stay = stays.book_stay(desk, "reception", holder.id, "H1", dates)
    url = f"/ops/stays/{stay.pk}/"
    page = c.get(url).content.decode()
    assert 'data-testid="room-guests"' in page and "同住客人" in page
    bad = {"op": "new", "name": "钱二", "id_type": "cn_resident_id", "id_number": "11010119900101"}
    r = c.post(url + "guests/", bad)
    assert r.status_code == 422 and 'data-testid="guest-new"' in r.content.decode()
    new = synth.customer(foreign_share=0)
    r = c.post(
        url + "guests/",
        {
            "op": "new",
            "name": "钱二",
            "id_type": new["id_type"],
            "id_number": new["id_number"],
            "consent_hotel_preferences": "yes",
            "document_checked": "1",
        },
    )
    assert r.status_code == 302, r.content.decode()[:3000]
    page = c.get(url).content.decode()
    assert 'data-testid="room-guest"' in page and "钱二" in page and "证件已核验" in page
    friend = make_customer(id_type="passport", id_number="G87654321")
    r = c.post(url + "guests/", {"op": "existing", "lookup_id_number": "G87654321"})
    assert r.status_code == 302
    assert str(friend.id) in c.get(url).content.decode()
    r = c.post(url + "guests/", {"op": "existing", "lookup_id_number": "G00000000"})
    assert r.status_code == 422 and "没有找到唯一对应该证件号码的客户" in r.content.decode()


def test_each_guest_prints_their_own_registration_card(
    api_client: Any, sites: Any, post: Any, make_customer: Any
) -> None:
    import io

    from pypdf import PdfReader

    c, h = _desk(api_client, post, "H1")
    holder = make_customer(name="孙大圣")
    friend = make_customer(name="猪八戒")
    stranger = make_customer(name="沙和尚")
    stay_id = _book(c, h, holder.id, room="1201").json()["id"]
    assert _post(c, h, stay_id, {"customer_id": str(friend.id)}).status_code == 201
    url = f"/api/v1/stays/{stay_id}/registration-card"
    r = c.get(f"{url}?guest={friend.id}", headers=h)
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(r.content)).pages)
    text = text.replace("\x00", "").replace(" ", "")
    assert "猪八戒" in text and "孙大圣" not in text and "1201" in text
    ev = AuditEvent.objects.filter(action="stay.card_printed", object_id=stay_id).latest("seq")
    assert ev.detail["customer"] == str(friend.id)
    r = c.get(f"{url}?guest={stranger.id}", headers=h)  # not in this room
    assert r.status_code == 404 and r.json()["code"] == "guest_not_found"


def test_a_guests_access_copy_says_whose_room_they_were_registered_in(
    api_client: Any, sites: Any, post: Any, make_customer: Any, make_staff: Any
) -> None:
    """PIPL art. 45: the other guest's access copy lists the stay they were registered on
    (reference, hotel, time) — never the holder's values."""
    from baomi.customers.models import Stay
    from baomi.rights import services as rights

    c, h = _desk(api_client, post, "H1")
    holder, friend = make_customer(name="王大明"), make_customer(name="李小红")
    stay_id = _book(c, h, holder.id, room="808").json()["id"]
    assert _post(c, h, stay_id, {"customer_id": str(friend.id)}).status_code == 201
    copy = rights.access_copy(make_staff("privacy_officer"), friend.id)
    rooms = copy["companions"]["staying_with"]
    assert [r["stay"] for r in rooms] == [Stay.objects.get(pk=stay_id).reference]
    assert rooms[0]["hotel"] and "王大明" not in str(copy["companions"])
    assert rights.access_copy(make_staff("privacy_officer"), holder.id)["companions"] == {
        "travelling_with": [],
        "staying_with": [],
    }
