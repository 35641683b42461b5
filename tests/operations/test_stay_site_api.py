"""A stay recorded through `POST /api/v1/customers/{id}/stays` with a `property` lands on
that hotel's board like a console booking (issue #17 §1; R-A6, R-D2, decision 0041); an
unknown hotel or one the caller does not work at is refused in words; the shared service
`operations.services.stays.record_at_site` (also for the file import) records the hotel of
a stay made elsewhere."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from baomi.audit.models import AuditEvent

from .conftest import local_today
from .test_front_desk import _desk


def _stay_body(**over: Any) -> dict[str, Any]:
    today = local_today()
    return {
        "check_in": today.isoformat(),
        "check_out": (today + dt.timedelta(days=3)).isoformat(),
        "room": "808",
        **over,
    }


def _post(c: Any, h: dict[str, str], cid: Any, body: dict[str, Any], **extra: str) -> Any:
    return c.post(
        f"/api/v1/customers/{cid}/stays",
        body,
        content_type="application/json",
        headers={**h, **extra},
    )


def test_stay_with_property_shows_on_that_hotels_board(
    api_client: Any, sites: Any, post: Any, make_customer: Any
) -> None:
    c, h = _desk(api_client, post, "H1")
    guest = make_customer()
    r = _post(c, h, guest.id, _stay_body(property="h1"))
    assert r.status_code == 201, r.content
    assert r.json()["property"] == "H1"
    stay_id = r.json()["id"]
    board = c.get("/api/v1/stays?property=H1&kind=arrivals", headers=h).json()
    assert [s["id"] for s in board] == [stay_id]
    assert board[0]["state"] == "reserved" and board[0]["fields"]["room"] == "808"
    r = c.post(f"/api/v1/stays/{stay_id}/check-in", {}, content_type="application/json", headers=h)
    assert r.status_code == 200 and r.json()["state"] == "in_house"  # the room came with it
    ev = AuditEvent.objects.filter(action="stay.booked", object_id=stay_id).get()
    assert ev.detail["site"] == "H1" and ev.purpose == "reception"


def test_stay_without_property_is_a_stay_on_record_at_no_hotel(
    api_client: Any, sites: Any, post: Any, make_customer: Any
) -> None:
    c, h = _desk(api_client, post, "H1")
    guest = make_customer()
    r = _post(c, h, guest.id, _stay_body())
    assert r.status_code == 201 and r.json().get("property") is None
    assert c.get("/api/v1/stays?property=H1&kind=arrivals", headers=h).json() == []


@pytest.mark.parametrize(
    ("site", "status", "code"),
    [
        ("NOPE", 422, "site_unknown"),  # no such site
        ("O1", 422, "site_unknown"),  # a courier outlet is no hotel
        ("H2", 403, "not_posted_here"),  # a hotel the caller does not work at
    ],
)
def test_refused_property_in_words_and_nothing_stored(
    api_client: Any,
    sites: Any,
    post: Any,
    make_customer: Any,
    site: str,
    status: int,
    code: str,
) -> None:
    from baomi.customers.models import Stay

    c, h = _desk(api_client, post, "H1")
    guest = make_customer()
    r = _post(c, h, guest.id, _stay_body(property=site), **{"Accept-Language": "zh-hans"})
    assert r.status_code == status, r.content
    assert r["Content-Type"].startswith("application/problem+json")
    body = r.json()
    if status == 422:
        [issue] = body["errors"]
        assert issue["field"] == "property" and issue["code"] == code
    else:
        assert body["code"] == code
    assert not Stay.objects.filter(customer_id=guest.id).exists()


def test_property_needs_the_dates(
    api_client: Any, sites: Any, post: Any, make_customer: Any
) -> None:
    c, h = _desk(api_client, post, "H1")
    guest = make_customer()
    r = _post(c, h, guest.id, {"property": "H1", "room": "1"})
    assert r.status_code == 422
    assert {i["field"] for i in r.json()["errors"]} == {"check_in", "check_out"}


def test_idempotent_retry_records_one_stay(
    api_client: Any, sites: Any, post: Any, make_customer: Any
) -> None:
    from baomi.operations.models import Occupancy

    c, h = _desk(api_client, post, "H1")
    guest = make_customer()
    body = _stay_body(property="H1")
    first = _post(c, h, guest.id, body, **{"Idempotency-Key": "stay-1"})
    again = _post(c, h, guest.id, body, **{"Idempotency-Key": "stay-1"})
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert Occupancy.objects.filter(stay__customer_id=guest.id).count() == 1


def test_record_at_site_service_for_a_stay_made_elsewhere(
    sites: Any, make_customer: Any, make_staff: Any, post: Any
) -> None:
    """The import's way: the stay exists (sealed by the customers service); the system
    actor records its hotel; staff must work there; a stay gets one hotel only."""
    from baomi.audit.services import SYSTEM
    from baomi.core.errors import Conflict, Forbidden
    from baomi.customers import services as customers
    from baomi.operations import selectors
    from baomi.operations.enums import StayState
    from baomi.operations.services.stays import record_at_site

    guest = make_customer()
    day = local_today()
    values = {"check_in": day.isoformat(), "check_out": (day + dt.timedelta(days=1)).isoformat()}
    desk = post(make_staff("front_desk"), "H2")
    stay = customers.add_record(desk, "reception", guest.id, "stay", values)
    with pytest.raises(Forbidden):
        record_at_site(
            desk, "reception", stay, "H1", check_in=day, check_out=day + dt.timedelta(days=1)
        )
    occ = record_at_site(
        SYSTEM,
        "",
        stay,
        "H1",
        check_in=day,
        check_out=day + dt.timedelta(days=1),
        room="21",
        state=StayState.IN_HOUSE,
    )
    assert occ.site.code == "H1"
    assert [o.stay_id for o in selectors.board(sites["H1"], day, "in_house")] == [stay.pk]
    assert [o.stay_id for o in selectors.by_room(sites["H1"], "21")] == [stay.pk]
    with pytest.raises(Conflict):
        record_at_site(SYSTEM, "", stay, "H2", check_in=day, check_out=day + dt.timedelta(1))
