"""Demo of the day's work (issue #17 §5), through the real services: two hotels and a
courier outlet and a travel counter, `demo_front_desk` posted at the Bund hotel,
`demo_courier` at the Jing'an outlet and `demo_customer_service` at the People's Square
counter (four trips, two leaving today), a range of blank waybills, today's arrivals,
guests in house (some leaving today; one room with a second registered guest) and parcels
out for delivery with the demo courier. Returns references to try."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from baomi.access.models import Staff
from baomi.catalog.enums import Purpose
from baomi.customers.models import Customer
from baomi.customers.synthetic import Synth

from .enums import SiteKind, WaybillState
from .models import Site, Waybill, WaybillRange
from .services import bookings, guests, sites, stays, waybills

SITES = (
    ("SH-BUND", SiteKind.HOTEL, "外滩酒店", "Bund Hotel", "上海市"),
    ("HZ-LAKE", SiteKind.HOTEL, "西湖酒店", "West Lake Hotel", "杭州市"),
    ("SH-JA", SiteKind.OUTLET, "静安网点", "Jing'an outlet", "上海市"),
    ("SH-RMGC", SiteKind.COUNTER, "人民广场门店", "People's Square counter", "上海市"),
)


def _site(code: str, kind: str, zh: str, en: str, city: str) -> Site:
    found = Site.objects.filter(code=code).first()
    return found or sites.create_site(None, code, kind, zh, en, city)


@transaction.atomic
def load(seed: int = 7) -> dict[str, list[str]]:
    for row in SITES:
        _site(*row)
    desk = Staff.objects.get(username="demo_front_desk")
    courier = Staff.objects.get(username="demo_courier")
    manager = Staff.objects.get(username="demo_manager")
    sites.post_staff(None, desk, "SH-BUND")
    sites.post_staff(None, courier, "SH-JA")
    agent = Staff.objects.filter(username="demo_customer_service").first()
    if agent is not None:  # the travel counter's agent (decision 0041 §7)
        sites.post_staff(None, agent, "SH-RMGC")
    blanks = Waybill.objects.filter(range__site__code="SH-JA", state=WaybillState.ISSUED).count()
    if blanks < 20:
        top = WaybillRange.objects.order_by("-start").first()
        start = (top.start + top.count) if top else 7_300_000_000_01
        waybills.issue_range(manager, "SH-JA", start, 200)
    synth = Synth(seed + 100)
    people = list(Customer.objects.filter(erased_at__isnull=True).order_by("created_at")[:19])
    today = stays.today()
    out: dict[str, list[str]] = {"arrivals": [], "in_house": [], "parcels": [], "bookings": []}
    for n, c in enumerate(people[:12]):
        nights = 1 + n % 3
        data = {
            "check_in": today.isoformat(),
            "check_out": (today + dt.timedelta(days=nights)).isoformat(),
            "special_requests": synth.stay()["special_requests"],
        }
        if n % 3 == 0:  # arriving today, room not yet assigned
            s = stays.book_stay(desk, Purpose.RECEPTION, c.id, "SH-BUND", data)
            out["arrivals"].append(s.reference)
            continue
        data["check_in"] = (today - dt.timedelta(days=n % 2 + 1)).isoformat()
        data["check_out"] = (today + dt.timedelta(days=n % 2)).isoformat()
        if data["check_out"] <= data["check_in"]:
            data["check_out"] = (today + dt.timedelta(days=1)).isoformat()
        s = stays.book_stay(desk, Purpose.RECEPTION, c.id, "SH-BUND", data)
        room = f"{8 + n}{n:02d}"
        stays.check_in(
            desk, Purpose.RECEPTION, s.pk, room, on=dt.date.fromisoformat(data["check_in"])
        )
        out["in_house"].append(f"{s.reference} ({room})")
        if n == 1 and len(people) > 18:  # a couple: the second guest in the room registered
            guests.add_guest(
                desk, Purpose.RECEPTION, s.pk, customer_id=people[18].id, document_checked=True
            )
    for c in people[12:18]:
        ship = waybills.create_shipment(courier, Purpose.DELIVERY, c.id, synth.shipment())
        for stage in ("pickup", "sorting", "transport", "delivery"):
            waybills.scan(courier, ship.waybill_no, stage, "SH-JA")
        out["parcels"].append(ship.waybill_no)
    if agent is not None:  # the counter's trips: two leave today, two in the days after
        for n, c in enumerate(people[:4]):
            leave = today + dt.timedelta(days=(0, 0, 3, 6)[n])
            trip = {
                **synth.booking(),
                "start_date": leave.isoformat(),
                "end_date": (leave + dt.timedelta(days=4 + n)).isoformat(),
            }
            b = bookings.book_at_counter(agent, Purpose.CUSTOMER_SERVICE, c.id, "SH-RMGC", trip)
            out["bookings"].append(b.reference)
    return out
