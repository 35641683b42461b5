"""A travel counter sees the bookings it took in full (issue #17 §2, R-D2, R-A4, R-A6;
decision 0041 §7): a booking is linked to the counter that took it (console, API, import),
and the gate shows that counter's staff — front desk or customer service, under reception
or customer service — the product, destination, dates and travellers; other counters,
unposted staff and every other role keep exactly today's masks. Each read is audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from baomi.audit.models import AuditEvent
from baomi.catalog.enums import Purpose, Treatment
from baomi.operations.models import CounterBooking

from .conftest import local_today

pytestmark = pytest.mark.django_db

OWN = ("product", "destination", "start_date", "end_date", "travellers")


@pytest.fixture
def counters(sites: dict[str, Any]) -> dict[str, Any]:
    from baomi.operations.services import sites as svc

    return {
        **sites,
        "C1": svc.create_site(None, "C1", "counter", "南京路门店", "Nanjing Rd counter", "上海市"),
        "C2": svc.create_site(None, "C2", "counter", "武林门店", "Wulin counter", "杭州市"),
    }


def _staff_of(headers: dict[str, str]) -> Any:
    import hashlib

    from baomi.access.models import ApiToken

    token = headers["Authorization"].split()[1]
    return ApiToken.objects.get(digest=hashlib.sha256(token.encode()).hexdigest()).staff


def _at(api_client: Any, post: Any, site: str | None, role: str = "front_desk", p: str = "") -> Any:
    c, h = api_client(role, p or ("reception" if role == "front_desk" else "customer_service"))
    if site:
        post(_staff_of(h), site)
    return c, h


def _trip(**over: Any) -> dict[str, Any]:
    today = local_today()
    return {
        "product": "三亚五日自由行",
        "destination": "海南三亚",
        "start_date": today.isoformat(),
        "end_date": (today + dt.timedelta(days=4)).isoformat(),
        "travellers": "2",
        **over,
    }


def _book(c: Any, h: dict[str, str], cid: Any, counter: str | None = "C1", **over: Any) -> Any:
    body = {**_trip(**over), **({"counter": counter} if counter else {})}
    return c.post(
        f"/api/v1/customers/{cid}/bookings", body, content_type="application/json", headers=h
    )


def _seen(c: Any, h: dict[str, str], cid: Any) -> dict[str, Any]:
    r = c.get(f"/api/v1/customers/{cid}", headers=h)
    assert r.status_code == 200, r.content
    out: dict[str, Any] = r.json()["bookings"][0]
    return out


def test_own_counter_plain_other_counter_and_unposted_masked_as_today(
    api_client: Any, counters: Any, post: Any, make_customer: Any
) -> None:
    guest = make_customer()
    c1, h1 = _at(api_client, post, "C1")
    r = _book(c1, h1, guest.id)
    assert r.status_code == 201, r.content
    assert r.json()["counter"] == "C1"
    bid = r.json()["id"]
    assert CounterBooking.objects.get(booking_id=bid).site.code == "C1"
    assert AuditEvent.objects.filter(action="booking.added", object_id=bid).count() == 1

    mine = _seen(c1, h1, guest.id)
    assert mine["fields"]["product"] == "三亚五日自由行"
    assert mine["fields"]["destination"] == "海南三亚"
    assert mine["fields"]["start_date"] == local_today().isoformat()
    assert not set(OWN) & set(mine["masked"])
    read = AuditEvent.objects.filter(action="customer.read", object_id=str(guest.id)).latest("seq")
    assert read.purpose == "reception"

    # the counter's customer service, under its own purpose: the same duty, the same fields
    cs1, hs1 = _at(api_client, post, "C1", "customer_service")
    assert _seen(cs1, hs1, guest.id)["fields"]["destination"] == "海南三亚"
    # the counter's front desk under customer service too
    cd1, hd1 = _at(api_client, post, "C1", "front_desk", "customer_service")
    assert _seen(cd1, hd1, guest.id)["fields"]["start_date"] == local_today().isoformat()

    # exactly today's masks for everyone else: another counter, a hotel's desk, unposted
    baseline = _seen(*_at(api_client, post, None), guest.id)
    assert {"product", "destination", "start_date", "end_date"} <= set(baseline["masked"])
    assert baseline["fields"]["start_date"].endswith("-**-**")
    for other in (
        _at(api_client, post, "C2"),
        _at(api_client, post, "H1"),
        _at(api_client, post, "C2", "customer_service"),
    ):
        seen = _seen(*other, guest.id)
        assert seen["fields"] == baseline["fields"] and seen["masked"] == baseline["masked"]
    unposted_cs = _seen(*_at(api_client, post, None, "customer_service"), guest.id)
    assert "destination" in unposted_cs["masked"] and "product" in unposted_cs["masked"]


def test_booking_without_counter_stays_masked_to_every_counter(
    api_client: Any, counters: Any, post: Any, make_customer: Any
) -> None:
    guest = make_customer()
    c1, h1 = _at(api_client, post, "C1")
    r = _book(c1, h1, guest.id, counter=None)
    assert r.status_code == 201 and "counter" not in r.json()
    assert not CounterBooking.objects.exists()
    assert "destination" in _seen(c1, h1, guest.id)["masked"]


def test_counter_list_api_and_audit(
    api_client: Any, counters: Any, post: Any, make_customer: Any
) -> None:
    a, b, later = make_customer(), make_customer(), make_customer()
    c1, h1 = _at(api_client, post, "C1")
    today = local_today()
    leaving = _book(c1, h1, a.id).json()["id"]
    soon = _book(
        c1,
        h1,
        later.id,
        start_date=(today + dt.timedelta(days=3)).isoformat(),
        end_date=(today + dt.timedelta(days=6)).isoformat(),
    ).json()["id"]
    c2, h2 = _at(api_client, post, "C2")
    theirs = _book(c2, h2, b.id, counter="C2").json()["id"]

    r = c1.get("/api/v1/bookings?counter=C1&kind=departures", headers=h1)
    assert r.status_code == 200, r.content
    assert [x["id"] for x in r.json()] == [leaving]
    assert r.json()[0]["fields"]["destination"] == "海南三亚" and r.json()[0]["counter"] == "C1"
    got = c1.get("/api/v1/bookings?counter=C1&kind=upcoming", headers=h1).json()
    assert [x["id"] for x in got] == [soon]
    back = (today + dt.timedelta(days=4)).isoformat()
    got = c1.get(f"/api/v1/bookings?counter=C1&kind=returns&date={back}", headers=h1).json()
    assert [x["id"] for x in got] == [leaving]
    assert theirs not in {x["id"] for x in got}
    reads = AuditEvent.objects.filter(action="customer.read", object_type="booking")
    assert reads.filter(object_id=leaving).exists()
    assert "product" in reads.filter(object_id=leaving).latest("seq").detail["opened"]
    # another counter may not ask for this counter's list
    r = c2.get("/api/v1/bookings?counter=C1", headers=h2)
    assert r.status_code == 403 and r.json()["code"] == "not_posted_here"
    assert c1.get("/api/v1/bookings?counter=H1", headers=h1).status_code == 404
    assert c1.get("/api/v1/bookings?counter=C1&kind=x", headers=h1).status_code == 422


def test_counter_bookings_are_validated_and_posted_only(
    api_client: Any, counters: Any, post: Any, make_customer: Any
) -> None:
    guest = make_customer()
    c1, h1 = _at(api_client, post, "C1")
    r = _book(c1, h1, guest.id, counter="NOPE")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "counter"
    r = _book(c1, h1, guest.id, counter="H1")  # a hotel is no travel counter
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "counter"
    r = _book(c1, h1, guest.id, counter="C2")  # not this member of staff's counter
    assert r.status_code == 403 and r.json()["code"] == "not_posted_here"
    r = _book(c1, h1, guest.id, start_date="")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "start_date"
    r = _book(c1, h1, guest.id, end_date="2020-01-01")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "end_date"
    assert not CounterBooking.objects.exists()


def test_changed_dates_move_the_booking_on_the_counter_list(
    api_client: Any, counters: Any, post: Any, make_customer: Any
) -> None:
    guest = make_customer()
    c1, h1 = _at(api_client, post, "C1")
    bid = _book(c1, h1, guest.id).json()["id"]
    later = local_today() + dt.timedelta(days=2)
    r = c1.patch(
        f"/api/v1/bookings/{bid}",
        {"start_date": later.isoformat(), "end_date": (later + dt.timedelta(days=1)).isoformat()},
        content_type="application/json",
        headers=h1,
    )
    assert r.status_code == 200, r.content
    assert r.json()["fields"]["start_date"] == later.isoformat()  # own counter: in full
    assert not c1.get("/api/v1/bookings?counter=C1", headers=h1).json()
    got = c1.get("/api/v1/bookings?counter=C1&kind=upcoming", headers=h1).json()
    assert [x["id"] for x in got] == [bid]


def test_console_counter_records_lists_and_shows_its_own_booking(
    staff_client: Any, counters: Any, post: Any, make_customer: Any
) -> None:
    guest = make_customer()
    c, staff = staff_client("customer_service", "customer_service")
    post(staff, "C1")
    page = c.get("/").content.decode()
    assert 'data-testid="nav-counter"' in page and "本柜台订单" in page
    r = c.post(f"/ops/customers/{guest.id}/bookings/new/", _trip())
    assert r.status_code == 302, r.content.decode()[:2000]
    link = CounterBooking.objects.get()
    assert link.site.code == "C1" and r["Location"] == f"/ops/bookings/{link.booking_id}/"
    page = c.get(r["Location"]).content.decode()
    assert "三亚五日自由行" in page and "海南三亚" in page and local_today().isoformat() in page
    page = c.get("/ops/counter/").content.decode()
    assert 'data-testid="counter-row"' in page and "海南三亚" in page
    assert f"/ops/bookings/{link.booking_id}/" in page
    for word in ("departures", "upcoming", "reception", "customer_service", "None"):
        assert f">{word}<" not in page

    # another counter's staff: the booking page keeps today's masks; their list is empty
    other, staff2 = staff_client("front_desk", "reception")
    post(staff2, "C2")
    page = other.get(f"/ops/bookings/{link.booking_id}/").content.decode()
    assert "海南三亚" not in page and "三亚五日自由行" not in page
    assert local_today().isoformat() not in page
    page = other.get("/ops/counter/").content.decode()
    assert 'data-testid="no-bookings"' in page
    # unposted (or at a hotel): no entry in the navigation, a notice on the page
    hotel, staff3 = staff_client("front_desk", "reception")
    post(staff3, "H1")
    assert 'data-testid="nav-counter"' not in hotel.get("/").content.decode()
    assert 'data-testid="unposted"' in hotel.get("/ops/counter/").content.decode()
    assert "海南三亚" not in hotel.get(f"/ops/bookings/{link.booking_id}/").content.decode()


def test_console_booking_at_no_counter_as_before(
    staff_client: Any, counters: Any, post: Any, make_customer: Any
) -> None:
    guest = make_customer()
    c, staff = staff_client("front_desk", "reception")
    post(staff, "H1")
    r = c.post(f"/ops/customers/{guest.id}/bookings/new/", _trip())
    assert r.status_code == 302
    assert not CounterBooking.objects.exists()


def test_the_product_opens_only_with_the_destination() -> None:
    """The gate settles an opened view again: the product may name the destination
    (catalog.inference), so a record opener that opened the product alone leaves it
    masked; with the destination it opens."""
    from baomi.access.policy import view
    from baomi.catalog import fields as catalog
    from baomi.customers.gate import _resettle

    settled = view("front_desk", Purpose.RECEPTION)
    assert settled.treatments["booking.product"] is Treatment.MASKED  # today: by coupling
    specs = catalog.fields_of("booking")

    def opened(keys: set[str]) -> dict[str, Treatment]:
        decided = [
            (s, Treatment.PLAIN if s.key in keys else settled.treatments[s.key]) for s in specs
        ]
        return {s.code: t for s, t in _resettle(settled, decided, keys)}

    alone = opened({"booking.product"})
    assert alone["product"] is Treatment.MASKED and alone["destination"] is Treatment.MASKED
    both = opened({"booking.product", "booking.destination"})
    assert both["product"] is Treatment.PLAIN and both["destination"] is Treatment.PLAIN
    assert both["amount"] is settled.treatments["booking.amount"]  # untouched


def test_erasure_blanks_the_counter_day_digests(
    api_client: Any, counters: Any, post: Any, make_customer: Any
) -> None:
    from baomi.operations.participant import erase

    guest = make_customer()
    c1, h1 = _at(api_client, post, "C1")
    bid = _book(c1, h1, guest.id).json()["id"]

    class Ctx:
        customer_id = guest.id

    done = erase(Ctx())  # type: ignore[arg-type]
    assert done.cleared.get("operations_counter_booking") == 1
    link = CounterBooking.objects.get(booking_id=bid)
    assert link.start_key == "" and link.end_key == "" and link.site.code == "C1"


def test_imported_bookings_land_at_their_counter(tmp_path: Any, synth: Any, counters: Any) -> None:
    import csv
    from pathlib import Path

    from baomi.operations import selectors
    from conftest import import_cli

    today = local_today()
    end = (today + dt.timedelta(days=3)).isoformat()
    header = [
        "name",
        "phone",
        "id_type",
        "id_number",
        "booking.reference",
        "booking.start_date",
        "booking.end_date",
        "booking.product",
        "booking.site",
    ]

    def person() -> list[str]:
        c = synth.customer(foreign_share=0)
        return [c["name"], c["phone"], c["id_type"], c["id_number"]]

    rows = [
        [*person(), "BK-1", today.isoformat(), end, "云南六日游", "c1"],
        [*person(), "BK-2", today.isoformat(), end, "云南六日游", ""],
        [*person(), "BK-3", today.isoformat(), end, "云南六日游", "H1"],  # a hotel: rejected
    ]
    path = Path(tmp_path) / "b.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    summary = import_cli(path, "--industry", "travel", status=3)
    assert (summary["bookings"], summary["bookings_at_site"], summary["rejected"]) == (2, 1, 1)
    got = selectors.counter_list(counters["C1"], today, "departures")
    assert [r.booking.reference for r, _ in got] == ["BK-1"]
    ev = AuditEvent.objects.filter(action="booking.added")
    assert [e.detail["site"] for e in ev] == ["C1"]
    again = import_cli(path, "--industry", "travel", status=3)
    assert (again["bookings_at_site"], again["bookings_at_site_present"]) == (0, 1)
    with Path(str(path) + ".rejects.csv").open(encoding="utf-8") as fh:
        assert [r[1:3] for r in list(csv.reader(fh))[1:]] == [["booking.site", "site_unknown"]]
