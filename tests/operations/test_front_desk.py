"""The hotel front desk through the API and the console (issue #17 §1; R-A4, R-A6, R-D2):
record a stay, today's arrivals, check-in with a room, room change, check-out, each
through the gate with audit events; the desk of the stay's own hotel sees its room and
dates in full, every other desk keeps them masked."""

from __future__ import annotations

import datetime as dt
from typing import Any

from baomi.audit.models import AuditEvent

from .conftest import local_today


def _staff_of(headers: dict[str, str]) -> Any:
    import hashlib

    from baomi.access.models import ApiToken

    token = headers["Authorization"].split()[1]
    digest = hashlib.sha256(token.encode()).hexdigest()
    return ApiToken.objects.get(digest=digest).staff


def _desk(api_client: Any, post: Any, site: str) -> tuple[Any, dict[str, str]]:
    c, h = api_client("front_desk", "reception")
    post(_staff_of(h), site)
    return c, h


def _book(c: Any, h: dict[str, str], cid: Any, site: str = "H1", **over: Any) -> Any:
    today = local_today()
    body = {
        "customer_id": str(cid),
        "property": site,
        "check_in": today.isoformat(),
        "check_out": (today + dt.timedelta(days=2)).isoformat(),
        **over,
    }
    return c.post("/api/v1/stays", body, content_type="application/json", headers=h)


def test_r_a6_arrival_check_in_room_change_check_out(
    api_client: Any, sites: Any, post: Any, make_customer: Any
) -> None:
    c, h = _desk(api_client, post, "H1")
    guest = make_customer()
    r = _book(c, h, guest.id, special_requests="高楼层")
    assert r.status_code == 201, r.content
    stay_id = r.json()["id"]
    r = c.get("/api/v1/stays?property=H1&kind=arrivals", headers=h)
    assert r.status_code == 200 and [s["id"] for s in r.json()] == [stay_id]
    assert r.json()[0]["state"] == "reserved"
    assert r.json()[0]["fields"]["check_in"] == local_today().isoformat()  # own hotel: full
    r = c.post(f"/api/v1/stays/{stay_id}/check-in", {}, content_type="application/json", headers=h)
    assert r.status_code == 422 and r.json()["code"] == "validation_failed"  # no room yet
    r = c.post(
        f"/api/v1/stays/{stay_id}/check-in",
        {"room": "502"},
        content_type="application/json",
        headers=h,
    )
    assert r.status_code == 200, r.content
    assert r.json()["state"] == "in_house" and r.json()["fields"]["room"] == "502"
    assert "room" not in r.json()["masked"]
    r = c.post(
        f"/api/v1/stays/{stay_id}/check-in",
        {"room": "503"},
        content_type="application/json",
        headers=h,
    )
    assert r.status_code == 409 and r.json()["code"] == "stay_in_house"
    r = c.get("/api/v1/stays?property=H1&kind=in_house", headers=h)
    assert [s["id"] for s in r.json()] == [stay_id]
    r = c.post(
        f"/api/v1/stays/{stay_id}/room", {"room": "808"}, content_type="application/json", headers=h
    )
    assert r.status_code == 200 and r.json()["fields"]["room"] == "808"
    r = c.post(
        f"/api/v1/stays/{stay_id}/check-out",
        {"spend": "abc"},
        content_type="application/json",
        headers=h,
    )
    assert r.status_code == 422  # nothing half-written: still in house
    assert c.get("/api/v1/stays?property=H1&kind=in_house", headers=h).json()[0]["id"] == stay_id
    r = c.post(
        f"/api/v1/stays/{stay_id}/check-out",
        {"spend": "1280"},
        content_type="application/json",
        headers=h,
    )
    assert r.status_code == 200 and r.json()["state"] == "checked_out"
    assert r.json()["fields"]["check_out"] == local_today().isoformat()
    actions = list(AuditEvent.objects.filter(object_id=stay_id).values_list("action", flat=True))
    for a in (
        "record.created",
        "stay.booked",
        "stay.checked_in",
        "stay.room_changed",
        "stay.checked_out",
        "customer.read",
    ):
        assert a in actions, a


def test_r_d2_other_hotels_stays_stay_masked(
    api_client: Any, sites: Any, post: Any, make_customer: Any
) -> None:
    c1, h1 = _desk(api_client, post, "H1")
    c2, h2 = _desk(api_client, post, "H2")
    guest = make_customer()
    stay_id = _book(c1, h1, guest.id, room="1201").json()["id"]
    mine = c1.get(f"/api/v1/customers/{guest.id}", headers=h1).json()["stays"][0]
    assert mine["fields"]["room"] == "1201" and "room" not in mine["masked"]
    assert mine["fields"]["check_in"] == local_today().isoformat()
    theirs = c2.get(f"/api/v1/customers/{guest.id}", headers=h2).json()["stays"][0]
    assert theirs["fields"]["room"] == "***" and "room" in theirs["masked"]
    assert theirs["fields"]["check_in"].endswith("-**-**")
    r = c2.post(
        f"/api/v1/stays/{stay_id}/check-in",
        {"room": "1"},
        content_type="application/json",
        headers=h2,
    )
    assert r.status_code == 403 and r.json()["code"] == "not_posted_here"
    # another role under its own purpose keeps the policy's masks too
    cs, hs = api_client("customer_service", "customer_service")
    seen = cs.get(f"/api/v1/customers/{guest.id}", headers=hs).json()["stays"][0]
    assert seen["fields"]["room"] == "***"


def test_stay_input_is_validated(
    api_client: Any, sites: Any, post: Any, make_customer: Any
) -> None:
    c, h = _desk(api_client, post, "H1")
    guest = make_customer()
    r = _book(c, h, guest.id, check_out="2020-01-01")
    assert r.status_code == 422
    assert {i["field"] for i in r.json()["errors"]} == {"check_out"}
    r = _book(c, h, guest.id, check_in="tomorrow")
    assert r.status_code == 422
    r = _book(c, h, guest.id, site="O1")  # an outlet is no hotel: the body's field is wrong
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "property"
    assert not c.get("/api/v1/stays?property=H1&kind=arrivals", headers=h).json()
    r = c.get("/api/v1/stays?property=H1&date=2026-13-01", headers=h)
    assert r.status_code == 422


def test_console_desk_check_in_and_out(
    staff_client: Any, sites: Any, post: Any, make_customer: Any
) -> None:
    c, staff = staff_client("front_desk", "reception")
    post(staff, "H1")
    guest = make_customer()
    r = c.get(f"/customers/{guest.id}/")
    assert 'data-testid="add-stay"' in r.content.decode()
    today = local_today()
    r = c.post(
        f"/ops/customers/{guest.id}/stays/new/",
        {"check_in": today.isoformat(), "check_out": today.isoformat()},
    )
    assert r.status_code == 422 and "离店日期须晚于入住日期" in r.content.decode()
    r = c.post(
        f"/ops/customers/{guest.id}/stays/new/",
        {"check_in": today.isoformat(), "check_out": (today + dt.timedelta(days=1)).isoformat()},
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    stay_url = r["Location"]
    page = c.get("/ops/desk/").content.decode()
    assert 'data-testid="stay-row"' in page and "外滩酒店" in page
    r = c.post(stay_url + "check-in/", {"room": ""})
    assert r.status_code == 422 and "请填写房号" in r.content.decode()
    r = c.post(stay_url + "check-in/", {"room": "305"})
    assert r.status_code == 302
    page = c.get(stay_url).content.decode()
    assert 'data-state="in_house"' in page and ">305<" in page
    r = c.post("/ops/desk/", {"room": "305"})
    assert 'data-testid="stay-row"' in r.content.decode()
    r = c.post(stay_url + "check-out/", {"spend": "99.5"})
    assert r.status_code == 302
    assert 'data-state="checked_out"' in c.get(stay_url).content.decode()


def test_console_edit_customer_validated_and_audited(
    staff_client: Any, sites: Any, make_customer: Any
) -> None:
    c, _ = staff_client("front_desk", "reception")
    guest = make_customer()
    r = c.post(f"/ops/customers/{guest.id}/edit/", {"phone": "12345"})
    assert r.status_code == 422 and 'data-testid="error-phone"' in r.content.decode()
    assert not AuditEvent.objects.filter(
        action="customer.updated", object_id=str(guest.id)
    ).exists()
    r = c.post(f"/ops/customers/{guest.id}/edit/", {"phone": "13912345678"})
    assert r.status_code == 302
    ev = AuditEvent.objects.get(action="customer.updated", object_id=str(guest.id))
    assert ev.fields == {"names": ["phone"]}
    page = c.get(f"/customers/{guest.id}/").content.decode()
    assert "+8613912345678" in page or "139" in page


def test_console_edit_corrects_the_id_document_with_choices_not_codes(
    staff_client: Any, sites: Any, make_customer: Any, synth: Any
) -> None:
    """Issue #17: the edit form offers the ID type and number (selects for type and gender,
    labelled, no raw codes such as cn_resident_id or male)."""
    c, _ = staff_client("front_desk", "reception")
    guest = make_customer()
    page = c.get(f"/ops/customers/{guest.id}/edit/").content.decode()
    assert 'name="id_type"' in page and 'name="id_number"' in page
    assert "<select" in page and ">cn_resident_id<" not in page and ">male<" not in page
    assert "居民身份证" in page
    new_id = synth.customer(foreign_share=0)["id_number"]
    r = c.post(
        f"/ops/customers/{guest.id}/edit/",
        {"id_type": "cn_resident_id", "id_number": new_id},
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    ev = AuditEvent.objects.get(action="customer.updated", object_id=str(guest.id))
    assert "id_number" in ev.fields["names"]


def test_find_by_reference(staff_client: Any, sites: Any, post: Any, make_customer: Any) -> None:
    from baomi.operations.services import stays

    c, staff = staff_client("front_desk", "reception")
    post(staff, "H1")
    guest = make_customer()
    today = local_today()
    stay = stays.book_stay(
        staff,
        "reception",
        guest.id,
        "H1",
        {"check_in": today.isoformat(), "check_out": (today + dt.timedelta(days=1)).isoformat()},
    )
    r = c.post("/ops/find/", {"ref": stay.reference.lower()})
    assert r.status_code == 302 and r["Location"].endswith(f"/ops/stays/{stay.pk}/")
    r = c.post("/ops/find/", {"ref": "NOPE123"})
    assert r.status_code == 404 and "没有找到" in r.content.decode()


def test_registration_card_shows_what_the_desk_sees_and_is_audited(
    staff_client: Any, api_client: Any, sites: Any, post: Any, make_customer: Any
) -> None:
    """Issue #17 §1: the registration card (PDF, Chinese) carries the fields the hotel
    rules ask for, as the desk's duty shows them — the ID number masked — only for the
    hotel's own desk; printing is audited."""
    import io

    from pypdf import PdfReader

    from baomi.operations.services import stays

    c, staff = staff_client("front_desk", "reception")
    post(staff, "H1")
    guest = make_customer(name="李雷")
    today = local_today()
    stay = stays.book_stay(
        staff,
        "reception",
        guest.id,
        "H1",
        {"check_in": today.isoformat(), "check_out": (today + dt.timedelta(days=1)).isoformat()},
    )
    r = c.get(f"/ops/stays/{stay.pk}/card.pdf")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(r.content)).pages)
    text = text.replace("\x00", "").replace(" ", "")
    assert "旅客住宿登记单" in text and "外滩酒店" in text and "李雷" in text
    from baomi.customers import gate

    po = gate.access_customer(staff, "reception", guest.id)
    assert po.fields["id_number"] in text  # as the desk sees it: masked
    assert "id_number" in po.masked
    assert AuditEvent.objects.filter(action="stay.card_printed", object_id=str(stay.pk)).exists()
    other, other_staff = staff_client("front_desk", "reception")
    post(other_staff, "H2")
    assert other.get(f"/ops/stays/{stay.pk}/card.pdf").status_code == 403
