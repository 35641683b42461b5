"""Reads of the operations domain: ids, codes and counts. Personal values never come from
here — pages take the ids and read through the gate (`gate.access_records`)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from baomi.customers.models import Booking, Shipment, Stay

from .enums import ScanStage, StayState, WaybillState
from .keys import day_key, room_key
from .models import CounterBooking, Occupancy, Site, Waybill, WaybillRange

BOARD_KINDS = ("arrivals", "in_house", "departures")
COUNTER_KINDS = ("departures", "upcoming", "returns")
UPCOMING_DAYS = 14  # the counter's "upcoming" tab: the next two weeks after the day


def counter_list(site: Site, day: dt.date, kind: str) -> list[tuple[CounterBooking, dt.date]]:
    """A travel counter's own bookings leaving on `day` (`departures`), leaving in the
    next two weeks (`upcoming`) or coming back on `day` (`returns`), each with the day it
    was found by — through keyed digests of the trip's first / last day, no date read.
    Ordered by that day, then reference."""
    field, kind_key = ("end_key", "trip_end") if kind == "returns" else ("start_key", "trip_start")
    days = (
        [day + dt.timedelta(days=n) for n in range(1, UPCOMING_DAYS + 1)]
        if kind == "upcoming"
        else [day]
    )
    keys = {day_key(kind_key, site.code, d): d for d in days}
    rows = (
        CounterBooking.objects.filter(site=site, **{f"{field}__in": list(keys)})
        .select_related("booking")
        .order_by("booking__reference")[:500]
    )
    found = [(r, keys[getattr(r, field)]) for r in rows]
    return sorted(found, key=lambda x: (x[1], x[0].booking.reference))


def counter_counts(site: Site, day: dt.date) -> dict[str, int]:
    return {k: len(counter_list(site, day, k)) for k in COUNTER_KINDS}


def counters(booking_ids: list[Any]) -> dict[str, CounterBooking]:
    rows = CounterBooking.objects.select_related("site").filter(booking_id__in=booking_ids)
    return {str(r.booking_id): r for r in rows}


def board(site: Site, day: dt.date, kind: str) -> list[Occupancy]:
    """Today's arrivals (reserved, arriving that day), guests in house, or departures (in
    house, leaving that day) at one hotel — found by keyed digests, no date read."""
    qs = Occupancy.objects.filter(site=site).select_related("stay")
    if kind == "arrivals":
        qs = qs.filter(state=StayState.RESERVED, arrival_key=day_key("arrival", site.code, day))
    elif kind == "departures":
        qs = qs.filter(state=StayState.IN_HOUSE, departure_key=day_key("departure", site.code, day))
    else:
        qs = qs.filter(state=StayState.IN_HOUSE)
    return list(qs.order_by("stay__reference")[:500])


def board_counts(site: Site, day: dt.date) -> dict[str, int]:
    return {k: len(board(site, day, k)) for k in BOARD_KINDS}


def by_room(site: Site, room: str) -> list[Occupancy]:
    return list(
        Occupancy.objects.filter(
            site=site, state=StayState.IN_HOUSE, room_key=room_key(site.code, room)
        ).select_related("stay")
    )


@dataclass
class Found:
    entity: str  # booking | stay | shipment
    record_id: str
    customer_id: str
    reference: str


def by_reference(ref: str) -> list[Found]:
    """Booking reference, stay reference or waybill number (plain, indexed: not personal)."""
    ref = ref.strip().upper()[:32]
    if not ref:
        return []
    out: list[Found] = []
    for b in Booking.objects.filter(reference=ref).only("id", "customer_id", "reference")[:5]:
        out.append(Found("booking", str(b.id), str(b.customer_id), b.reference))
    for s in Stay.objects.filter(reference=ref).only("id", "customer_id", "reference")[:5]:
        out.append(Found("stay", str(s.id), str(s.customer_id), s.reference))
    for w in Shipment.objects.filter(waybill_no=ref).only("id", "customer_id", "waybill_no")[:5]:
        out.append(Found("shipment", str(w.id), str(w.customer_id), w.waybill_no))
    return out


def occupancy(stay_id: Any) -> Occupancy | None:
    return Occupancy.objects.select_related("site", "stay").filter(stay_id=stay_id).first()


def occupancies(stay_ids: list[Any]) -> dict[str, Occupancy]:
    rows = Occupancy.objects.select_related("site").filter(stay_id__in=stay_ids)
    return {str(o.stay_id): o for o in rows}


def waybill(no: str) -> Waybill | None:
    return (
        Waybill.objects.select_related("range__site", "shipment")
        .filter(no=str(no).strip()[:20])
        .first()
    )


def waybill_of_shipment(shipment_id: Any) -> Waybill | None:
    return Waybill.objects.select_related("range__site").filter(shipment_id=shipment_id).first()


def my_deliveries(courier_id: int) -> list[Waybill]:
    """The courier's parcels out for delivery (today's list), failed attempts last."""
    rows = Waybill.objects.filter(
        courier_id=courier_id, state=WaybillState.USED, stage=ScanStage.DELIVERY
    ).select_related("shipment")
    return sorted(rows, key=lambda w: (bool(w.failed_reason), w.number))


@dataclass
class RangeLine:
    range: WaybillRange
    counts: dict[str, int]
    gaps: list[str] = field(default_factory=list)  # blank numbers skipped below a used one

    @property
    def accounted(self) -> int:
        return sum(self.counts.values())


def register(site: Site | None = None) -> list[RangeLine]:
    """Every issued range with the count of its numbers in each state (they add up to the
    range's size: every number accounted for, R-M1) and the blank numbers skipped below
    the highest used one (gaps to explain)."""
    ranges = list(WaybillRange.objects.select_related("site").order_by("start"))
    if site is not None:
        ranges = [r for r in ranges if r.site_id == site.pk]
    lines = []
    for r in ranges:
        states = Counter(Waybill.objects.filter(range=r).values_list("state", flat=True).iterator())
        used_top = (
            Waybill.objects.filter(range=r)
            .exclude(state=WaybillState.ISSUED)
            .exclude(state=WaybillState.VOIDED)
            .exclude(state=WaybillState.LOST)
            .order_by("-number")
            .values_list("number", flat=True)
            .first()
        )
        gaps: list[str] = []
        if used_top is not None:
            gaps = list(
                Waybill.objects.filter(range=r, state=WaybillState.ISSUED, number__lt=used_top)
                .order_by("number")
                .values_list("no", flat=True)[:50]
            )
        counts = {s.value: states.get(s.value, 0) for s in WaybillState}
        lines.append(RangeLine(r, counts, gaps))
    return lines


def sites(kind: str | None = None) -> list[Site]:
    qs = Site.objects.all()
    if kind:
        qs = qs.filter(kind=kind)
    return list(qs.order_by("code"))
