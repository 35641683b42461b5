"""The operations app in the participant contract (issue #17, decision 0025): its audit
actions, the record opener that shows a hotel's own stays to its front desk, the eraser of
its keyed digests, console pages, nav entries, the customer-360 panel of daily actions,
and its indicators. Joining touched nothing outside this folder except INSTALLED_APPS, the
API mount, the contract's new `openers` hook and the gate's `access_records`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from baomi.catalog.enums import Purpose, Role
from baomi.contract.participants import (
    AccessCopySection,
    CustomerPanel,
    EraseContext,
    Erasure,
    NavEntry,
    Participant,
    RecordOpener,
    register,
)
from baomi.core.i18n import Bi

from . import indicators
from .enums import OpsAction, SiteKind
from .imports import BOOKING_SITE_COLUMN, STAY_SITE_COLUMN, WAYBILL_REGISTER
from .models import CounterBooking, Occupancy, StayGuest, Traveller
from .services.common import posting

OWN_STAY_FIELDS = frozenset({"room", "check_in", "check_out"})
# what a travel counter's duty needs of the bookings it took: change the itinerary, answer
# the customer (decision 0041 §7) — never the amount (billing's), never the customer's
# profile (the 360 read keeps the role's masks)
OWN_BOOKING_FIELDS = frozenset({"product", "destination", "start_date", "end_date", "travellers"})
COUNTER_ROLES = frozenset({Role.FRONT_DESK, Role.CUSTOMER_SERVICE})
COUNTER_PURPOSES = frozenset({Purpose.RECEPTION, Purpose.CUSTOMER_SERVICE})


def own_hotel_stays(
    actor: Any, purpose: Purpose, stays: Sequence[Any]
) -> dict[Any, frozenset[str]]:
    """Reception at a hotel sees the room and dates of that hotel's stays in full (its
    duty: who sleeps in which room, arriving and leaving when); every other hotel's stays
    keep the policy's masks (issue #17 §1, R-D2). One query per batch."""
    if purpose is not Purpose.RECEPTION or getattr(actor, "role_code", "") != Role.FRONT_DESK:
        return {}
    site = posting(actor)
    if site is None or site.kind != SiteKind.HOTEL:
        return {}
    mine = Occupancy.objects.filter(stay_id__in=[s.pk for s in stays], site=site).values_list(
        "stay_id", flat=True
    )
    return {pk: OWN_STAY_FIELDS for pk in mine}


def own_counter_bookings(
    actor: Any, purpose: Purpose, bookings: Sequence[Any]
) -> dict[Any, frozenset[str]]:
    """Staff posted at a travel counter (front desk or customer service) see the product,
    destination, dates and travellers of the bookings *that counter* took in full, under
    reception or customer service; other counters' bookings, unposted staff and every
    other role keep the policy's masks (decision 0041 §7, R-D2). One query per batch
    besides the posting. The gate still settles the view: the product opens only with
    the destination it may name."""
    if purpose not in COUNTER_PURPOSES or getattr(actor, "role_code", "") not in COUNTER_ROLES:
        return {}
    site = posting(actor)
    if site is None or site.kind != SiteKind.COUNTER:
        return {}
    mine = CounterBooking.objects.filter(
        booking_id__in=[b.pk for b in bookings], site=site
    ).values_list("booking_id", flat=True)
    return {pk: OWN_BOOKING_FIELDS for pk in mine}


def erase(ctx: EraseContext) -> Erasure:
    """The keyed digests (arrival day, departure day, room) of the customer's stays are
    blanked; the hotel and state stay with the stay's reference under its legal hold.
    Waybill register rows hold no personal value (number, state, who and when)."""
    n = Occupancy.objects.filter(stay__customer_id=ctx.customer_id).update(
        arrival_key="", departure_key="", room_key=""
    )
    # a booking's counter stays with its reference; its day digests go
    c = CounterBooking.objects.filter(booking__customer_id=ctx.customer_id).update(
        start_key="", end_key=""
    )
    # as a companion on someone else's booking: the link goes (the lead's booking stays)
    t, _ = Traveller.objects.filter(customer_id=ctx.customer_id).delete()
    # as another guest in someone else's room: the link goes (the holder's stay stays)
    g, _ = StayGuest.objects.filter(customer_id=ctx.customer_id).delete()
    pairs = (
        ("occupancy", n),
        ("operations_counter_booking", c),
        ("operations_traveller", t),
        ("operations_stay_guest", g),
    )
    cleared = {k: v for k, v in pairs if v}
    return Erasure(cleared=cleared)


def _companions(actor: Any, customer_id: Any) -> dict[str, Any]:
    """The access copy's part of the day's work (PIPL art. 45): where the customer was
    registered on someone else's record — a companion on a booking, another guest in a
    room — by reference, hotel and time; the other person's values are not theirs to see
    (only references and site names, which are not personal values)."""
    trips = Traveller.objects.filter(customer_id=customer_id).select_related("booking")
    rooms = StayGuest.objects.filter(customer_id=customer_id).select_related("stay")
    sites = dict(
        Occupancy.objects.filter(stay_id__in=[g.stay_id for g in rooms]).values_list(
            "stay_id", "site__name_zh"
        )
    )
    return {
        "travelling_with": [
            {"booking": t.booking.reference, "added_at": t.added_at.isoformat()} for t in trips
        ],
        "staying_with": [
            {
                "stay": g.stay.reference,
                "hotel": sites.get(g.stay_id, ""),
                "added_at": g.added_at.isoformat(),
            }
            for g in rooms
        ],
    }


def _panel(request: Any, view: Any) -> dict[str, Any] | None:
    from .presenters import customer_actions

    return customer_actions(request, view)


def _at_counter(request: Any) -> bool:
    """The 本柜台订单 entry: for staff posted at a travel counter (one query per page)."""
    site = posting(request.user)
    return site is not None and site.kind == SiteKind.COUNTER


FRONT = frozenset({Role.FRONT_DESK})
COURIER = frozenset({Role.COURIER})
REGISTER = frozenset({Role.MANAGER, Role.COURIER})
WRITERS = frozenset({Role.FRONT_DESK, Role.CUSTOMER_SERVICE, Role.COURIER})


register(
    Participant(
        app="operations",
        actions=(OpsAction,),
        openers=(
            RecordOpener("own_hotel_stays", "stay", own_hotel_stays),
            RecordOpener("own_counter_bookings", "booking", own_counter_bookings),
        ),
        eraser=erase,
        access_copy=(
            AccessCopySection(
                "companions", "同行与同住登记", "Registered with others", _companions, 35
            ),
        ),
        # stay.site, booking.site; the register of imported waybill numbers (`baomi
        # import`, decisions 0039, 0041)
        intake=(STAY_SITE_COLUMN, BOOKING_SITE_COLUMN, WAYBILL_REGISTER),
        nav=(
            NavEntry("operations:desk", Bi("前台", "Front desk"), "nav-desk", FRONT, 20),
            NavEntry(
                "operations:deliveries", Bi("派送", "Deliveries"), "nav-deliveries", COURIER, 20
            ),
            NavEntry(
                "operations:counter",
                Bi("本柜台订单", "This counter's bookings"),
                "nav-counter",
                COUNTER_ROLES,
                20,
                shown=_at_counter,
            ),
            NavEntry("operations:find", Bi("查单号", "Find a record"), "nav-find", WRITERS, 21),
            NavEntry(
                "operations:register",
                Bi("运单登记簿", "Waybill register"),
                "nav-waybills",
                REGISTER,
                22,
            ),
        ),
        panels=(CustomerPanel("daily_work", "operations/_panel.html", _panel, 5),),
        urls=(("ops/", "baomi.operations.urls"),),
        indicators=indicators.INDICATORS,
    )
)
