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
from .imports import STAY_SITE_COLUMN, WAYBILL_REGISTER
from .models import Occupancy, StayGuest, Traveller
from .services.common import posting

OWN_STAY_FIELDS = frozenset({"room", "check_in", "check_out"})


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


def erase(ctx: EraseContext) -> Erasure:
    """The keyed digests (arrival day, departure day, room) of the customer's stays are
    blanked; the hotel and state stay with the stay's reference under its legal hold.
    Waybill register rows hold no personal value (number, state, who and when)."""
    n = Occupancy.objects.filter(stay__customer_id=ctx.customer_id).update(
        arrival_key="", departure_key="", room_key=""
    )
    # as a companion on someone else's booking: the link goes (the lead's booking stays)
    t, _ = Traveller.objects.filter(customer_id=ctx.customer_id).delete()
    # as another guest in someone else's room: the link goes (the holder's stay stays)
    g, _ = StayGuest.objects.filter(customer_id=ctx.customer_id).delete()
    pairs = (("occupancy", n), ("operations_traveller", t), ("operations_stay_guest", g))
    cleared = {k: v for k, v in pairs if v}
    return Erasure(cleared=cleared)


def _panel(request: Any, view: Any) -> dict[str, Any] | None:
    from .presenters import customer_actions

    return customer_actions(request, view)


FRONT = frozenset({Role.FRONT_DESK})
COURIER = frozenset({Role.COURIER})
REGISTER = frozenset({Role.MANAGER, Role.COURIER})
WRITERS = frozenset({Role.FRONT_DESK, Role.CUSTOMER_SERVICE, Role.COURIER})


register(
    Participant(
        app="operations",
        actions=(OpsAction,),
        openers=(RecordOpener("own_hotel_stays", "stay", own_hotel_stays),),
        eraser=erase,
        # stay.site; the register of imported waybill numbers (`baomi import`, decision 0039)
        intake=(STAY_SITE_COLUMN, WAYBILL_REGISTER),
        nav=(
            NavEntry("operations:desk", Bi("前台", "Front desk"), "nav-desk", FRONT, 20),
            NavEntry(
                "operations:deliveries", Bi("派送", "Deliveries"), "nav-deliveries", COURIER, 20
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
