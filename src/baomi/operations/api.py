"""Operations REST API (INTERFACES.md "Operations"): stays at the front desk, the waybill
register, scans, delivery and labels. Thin: parse, call a service, shape; personal values
only through the gate (`gate.access_records`)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema, Status
from pydantic import ConfigDict

from baomi.api.auth import bearer, purpose_header
from baomi.catalog.enums import Role
from baomi.core.downloads import attachment
from baomi.customers import gate

from . import cards, selectors
from .services import bookings, guests, scanning, stays, waybills
from .services.common import invalid, require_posting, site_by_code

router = Router(tags=["operations"], auth=bearer)


def _staff(request: HttpRequest) -> Any:
    return request.staff  # type: ignore[attr-defined]


class StayIn(Schema):
    customer_id: str
    property: str
    check_in: str
    check_out: str
    room: str | None = None
    special_requests: str | None = None
    channel: str = "store"
    reference: str | None = None


class CheckInIn(Schema):
    room: str | None = None


class CheckOutIn(Schema):
    spend: str | None = None


class RoomIn(Schema):
    room: str


class StayOut(Schema):
    id: str
    reference: str
    customer_id: str
    property: str
    state: str
    fields: dict[str, Any]
    masked: list[str]
    withheld: list[str]
    # field code → reason, for fields withheld from this member of staff (decision 0030)
    withheld_reasons: dict[str, str] = {}


class CreatedOut(Schema):
    id: str
    reference: str


def _stay_out(request: HttpRequest, stay_ids: list[str]) -> list[dict[str, Any]]:
    occ = selectors.occupancies(stay_ids)
    views = gate.access_records(_staff(request), purpose_header(request), "stay", stay_ids)
    return [
        {
            "id": v.id,
            "reference": v.meta.get("reference", ""),
            "customer_id": v.customer_id,
            "property": occ[v.id].site.code if v.id in occ else "",
            "state": occ[v.id].state if v.id in occ else "",
            "fields": {k: x for k, x in v.fields.items() if x is not None},
            "masked": v.masked,
            "withheld": v.withheld,
            "withheld_reasons": v.withheld_reasons,
        }
        for v in views
    ]


@router.post("/stays", response={201: CreatedOut})
def book_stay(request: HttpRequest, body: StayIn) -> Status[Any]:
    data = {
        k: v for k, v in body.model_dump().items() if k in stays.STAY_INPUT and v not in (None, "")
    }
    stay = stays.book_stay(
        _staff(request),
        purpose_header(request),
        body.customer_id,
        body.property,
        data,
        channel=body.channel,
        reference=body.reference,
    )
    return Status(201, {"id": str(stay.pk), "reference": stay.reference})


@router.get("/stays", response=list[StayOut])
def list_stays(
    request: HttpRequest, property: str, date: str = "", kind: str = "in_house"
) -> list[dict[str, Any]]:
    """A hotel's arrivals, guests in house or departures on a day (default today, Asia/
    Shanghai). Room and dates come back in full to that hotel's own front desk only."""
    site = site_by_code(property, "hotel")
    try:
        day = dt.date.fromisoformat(date) if date else stays.today()
    except ValueError:
        raise invalid(
            "date", "date_invalid", "not an ISO date", "日期格式应为 YYYY-MM-DD"
        ) from None
    if kind not in selectors.BOARD_KINDS:
        raise invalid("kind", "kind_unknown", "arrivals, in_house or departures", "类型无效")
    rows = selectors.board(site, day, kind)
    return _stay_out(request, [str(o.stay_id) for o in rows]) if rows else []


@router.post("/stays/{stay_id}/check-in", response=StayOut)
def check_in(request: HttpRequest, stay_id: str, body: CheckInIn) -> dict[str, Any]:
    stays.check_in(_staff(request), purpose_header(request), stay_id, body.room or "")
    return _stay_out(request, [stay_id])[0]


@router.post("/stays/{stay_id}/check-out", response=StayOut)
def check_out(request: HttpRequest, stay_id: str, body: CheckOutIn) -> dict[str, Any]:
    stays.check_out(_staff(request), purpose_header(request), stay_id, body.spend or "")
    return _stay_out(request, [stay_id])[0]


@router.post("/stays/{stay_id}/room", response=StayOut)
def change_room(request: HttpRequest, stay_id: str, body: RoomIn) -> dict[str, Any]:
    stays.change_room(_staff(request), purpose_header(request), stay_id, body.room)
    return _stay_out(request, [stay_id])[0]


# -- courier ---------------------------------------------------------------------------------
class RangeIn(Schema):
    outlet: str
    start: int
    count: int


class RangeOut(Schema):
    id: int
    outlet: str
    start: str
    end: str
    count: int
    counts: dict[str, int]
    gaps: list[str]


def _range_out(line: selectors.RangeLine) -> dict[str, Any]:
    r = line.range
    return {
        "id": r.pk,
        "outlet": r.site.code,
        "start": str(r.start),
        "end": str(r.end),
        "count": r.count,
        "counts": line.counts,
        "gaps": line.gaps,
    }


@router.post("/waybill-ranges", response={201: RangeOut})
def issue_range(request: HttpRequest, body: RangeIn) -> Status[Any]:
    """Issue blank waybills `start` … `start + count − 1` to an outlet (manager)."""
    r = waybills.issue_range(_staff(request), body.outlet, body.start, body.count)
    line = next(x for x in selectors.register() if x.range.pk == r.pk)
    return Status(201, _range_out(line))


@router.get("/waybill-ranges", response=list[RangeOut])
def register(request: HttpRequest) -> list[dict[str, Any]]:
    """The register: every issued range and how each of its numbers stands (R-M1)."""

    from .services.common import require_role

    require_role(_staff(request), frozenset({Role.MANAGER, Role.COURIER}), "waybill")
    return [_range_out(x) for x in selectors.register()]


class ShipmentIn(Schema):
    customer_id: str
    sender_name: str | None = None
    sender_phone: str | None = None
    sender_address: str | None = None
    recipient_name: str | None = None
    recipient_phone: str | None = None
    recipient_address: str | None = None
    item_type: str | None = None
    channel: str = "store"
    waybill_no: str | None = None  # the pre-printed blank in hand; default: the next one


@router.post("/shipments", response={201: CreatedOut})
def create_shipment(request: HttpRequest, body: ShipmentIn) -> Status[Any]:
    """A parcel handed in at the caller's outlet, numbered from its blank waybills."""
    data = {
        k: v
        for k, v in body.model_dump().items()
        if k not in ("customer_id", "channel", "waybill_no") and v not in (None, "")
    }
    s = waybills.create_shipment(
        _staff(request),
        purpose_header(request),
        body.customer_id,
        data,
        channel=body.channel,
        number=body.waybill_no,
    )
    return Status(201, {"id": str(s.pk), "reference": s.waybill_no})


class ScanIn(Schema):
    stage: str
    site: str


class WaybillOut(Schema):
    no: str
    state: str
    stage: str
    shipment_status: str | None = None


def _waybill_out(no: str) -> dict[str, Any]:
    w = selectors.waybill(no)
    assert w is not None
    return {
        "no": w.no,
        "state": w.state,
        "stage": w.stage,
        "shipment_status": w.shipment.status if w.shipment else None,
    }


@router.post("/waybills/{no}/scan", response=WaybillOut)
def scan(request: HttpRequest, no: str, body: ScanIn) -> dict[str, Any]:
    waybills.scan(_staff(request), no, body.stage, body.site)
    return _waybill_out(no)


class DeliverIn(Schema):
    proof_kind: str
    proof_ref: str


@router.post("/waybills/{no}/deliver", response=WaybillOut)
def deliver(request: HttpRequest, no: str, body: DeliverIn) -> dict[str, Any]:
    waybills.deliver(_staff(request), no, body.proof_kind, body.proof_ref)
    return _waybill_out(no)


class ReasonIn(Schema):
    reason: str


@router.post("/waybills/{no}/fail", response=WaybillOut)
def fail(request: HttpRequest, no: str, body: ReasonIn) -> dict[str, Any]:
    waybills.fail(_staff(request), no, body.reason)
    return _waybill_out(no)


@router.post("/waybills/{no}/void", response=WaybillOut)
def void(request: HttpRequest, no: str, body: ReasonIn) -> dict[str, Any]:
    waybills.write_off(_staff(request), no, body.reason)
    return _waybill_out(no)


@router.post("/waybills/{no}/lost", response=WaybillOut)
def lost(request: HttpRequest, no: str, body: ReasonIn) -> dict[str, Any]:
    waybills.write_off(_staff(request), no, body.reason, lost=True)
    return _waybill_out(no)


@router.get(
    "/shipments/{shipment_id}/label",
    response={200: None},
    summary="The shipment's privacy label (PDF or ZPL)",
)
def label(request: HttpRequest, shipment_id: str, format: str = "pdf") -> HttpResponse:
    """Masked per GB/T 41833-2022 on top of the caller's own view (courier, `delivery`):
    names keep their first character, phones hide 6 digits, addresses hide unit and
    room; a Code 39 / Code 128 barcode of the waybill number and a QR code that opens the
    parcel's console page for a signed-in courier only."""

    w = selectors.waybill_of_shipment(shipment_id) if _is_uuid(shipment_id) else None
    scan_url = request.build_absolute_uri(f"/ops/waybills/{w.no}/") if w else ""
    body, name, ctype = waybills.print_label(
        _staff(request), purpose_header(request), shipment_id, format, scan_url
    )
    resp = HttpResponse(body, content_type=ctype)
    resp["Content-Disposition"] = attachment(name)
    return resp


def _is_uuid(value: str) -> bool:
    import uuid

    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


# -- travel bookings: companions (issue #17 §2) ------------------------------------------------
class TravellerIn(Schema):
    customer_id: str | None = None
    customer: dict[str, Any] | None = None  # a new traveller's profile values
    consent: dict[str, bool] | None = None  # their own decisions (purpose code → given)
    document_checked: bool = False


@router.post("/bookings/{booking_id}/travellers", response={201: dict[str, Any]})
def add_traveller(request: HttpRequest, booking_id: str, body: TravellerIn) -> Status[Any]:
    """Add a companion to a booking: an existing customer, or a new one with their own
    consent decisions (validated and sealed as any new customer)."""
    t = bookings.add_traveller(
        _staff(request),
        purpose_header(request),
        booking_id,
        customer_id=body.customer_id,
        new=body.customer,
        consents=body.consent,
        document_checked=body.document_checked,
        method="api",
    )
    return Status(201, {"booking_id": str(t.booking_id), "customer_id": str(t.customer_id)})


@router.get("/bookings/{booking_id}/travellers", response=dict[str, Any])
def list_travellers(request: HttpRequest, booking_id: str) -> dict[str, Any]:
    """The lead and the companions, each read through the gate (as your duty shows them)."""
    return bookings.travellers(_staff(request), purpose_header(request), booking_id)


class BookingOut(Schema):
    id: str
    reference: str
    customer_id: str
    fields: dict[str, Any]
    masked: list[str]
    withheld: list[str]


class CounterBookingOut(BookingOut):
    counter: str
    # field code → reason, for fields withheld from this member of staff (decision 0030)
    withheld_reasons: dict[str, str] = {}


@router.get("/bookings", response=list[CounterBookingOut])
def list_bookings(
    request: HttpRequest, counter: str, date: str = "", kind: str = "departures"
) -> list[dict[str, Any]]:
    """A travel counter's own bookings leaving on a day (`departures`, default today, Asia/
    Shanghai), in the two weeks after it (`upcoming`) or coming back on it (`returns`).
    Product, destination, dates and travellers come back in full to that counter's own
    staff, who alone may ask for the list (403 `not_posted_here`, audited) — read through
    the gate, one `customer.read` per booking (decision 0041 §7)."""
    site = site_by_code(counter, "counter")
    require_posting(_staff(request), site, "booking")  # the counter's own list
    try:
        day = dt.date.fromisoformat(date) if date else stays.today()
    except ValueError:
        raise invalid(
            "date", "date_invalid", "not an ISO date", "日期格式应为 YYYY-MM-DD"
        ) from None
    if kind not in selectors.COUNTER_KINDS:
        raise invalid("kind", "kind_unknown", "departures, upcoming or returns", "类型无效")
    rows = selectors.counter_list(site, day, kind)
    if not rows:
        return []
    ids = [str(r.booking_id) for r, _ in rows]
    views = gate.access_records(_staff(request), purpose_header(request), "booking", ids)
    return [
        {
            "id": v.id,
            "reference": v.meta.get("reference", ""),
            "customer_id": v.customer_id,
            "counter": site.code,
            "fields": {k: x for k, x in v.fields.items() if x is not None},
            "masked": v.masked,
            "withheld": v.withheld,
            "withheld_reasons": v.withheld_reasons,
        }
        for v in views
    ]


class BookingPatch(Schema):
    """The fields to change (any of them); unknown keys are refused by name."""

    model_config = ConfigDict(extra="allow")
    product: str | None = None
    destination: str | None = None
    start_date: str | None = None
    end_date: str | None = None
    travellers: str | int | None = None
    amount: str | None = None


@router.patch("/bookings/{booking_id}", response=BookingOut)
def edit_booking(request: HttpRequest, booking_id: str, body: BookingPatch) -> dict[str, Any]:
    """Change a booking's itinerary, dates, party size or amount (validated as when it was
    recorded; one `booking.updated` event naming the fields). Answers the booking as the
    caller's duty shows it."""
    # the body as sent (typed by `BookingPatch` for the docs): unknown keys reach the
    # service, which refuses them by name
    raw = json.loads(request.body or b"{}")
    data = {k: v for k, v in raw.items() if v is not None} if isinstance(raw, dict) else {}
    b = bookings.edit_booking(_staff(request), purpose_header(request), booking_id, data)
    v = gate.access_records(_staff(request), purpose_header(request), "booking", [str(b.pk)])[0]
    return {
        "id": v.id,
        "reference": v.meta.get("reference", ""),
        "customer_id": v.customer_id,
        "fields": {k: x for k, x in v.fields.items() if x is not None},
        "masked": v.masked,
        "withheld": v.withheld,
    }


@router.delete("/bookings/{booking_id}/travellers/{customer_id}", response={204: None})
def remove_traveller(request: HttpRequest, booking_id: str, customer_id: str) -> Status[None]:
    bookings.remove_traveller(_staff(request), purpose_header(request), booking_id, customer_id)
    return Status(204, None)


# -- other guests in the room (issue #17 §1) -----------------------------------------------------
class GuestIn(Schema):
    customer_id: str | None = None
    customer: dict[str, Any] | None = None  # a new guest's profile values (ID document)
    consent: dict[str, bool] | None = None  # their own decisions (purpose code → given)
    document_checked: bool = False


@router.post("/stays/{stay_id}/guests", response={201: dict[str, Any]})
def add_guest(request: HttpRequest, stay_id: str, body: GuestIn) -> Status[Any]:
    """Register another guest in the room (hotel rules register every guest): an existing
    customer, or a new one with their own ID document and consent decisions. The stay's
    own hotel desk only (403 `not_posted_here`)."""
    g = guests.add_guest(
        _staff(request),
        purpose_header(request),
        stay_id,
        customer_id=body.customer_id,
        new=body.customer,
        consents=body.consent,
        document_checked=body.document_checked,
        method="api",
    )
    return Status(201, {"stay_id": str(g.stay_id), "customer_id": str(g.customer_id)})


@router.get("/stays/{stay_id}/guests", response=dict[str, Any])
def list_guests(request: HttpRequest, stay_id: str) -> dict[str, Any]:
    """The stay's own guest (`holder`) and the others in the room, read through the gate."""
    return guests.guests(_staff(request), purpose_header(request), stay_id)


@router.delete("/stays/{stay_id}/guests/{customer_id}", response={204: None})
def remove_guest(request: HttpRequest, stay_id: str, customer_id: str) -> Status[None]:
    guests.remove_guest(_staff(request), purpose_header(request), stay_id, customer_id)
    return Status(204, None)


# -- finding records by reference, typed or scanned (issue #17 §1, §4) -------------------------
class FindIn(Schema):
    ref: str | None = None  # a typed booking / stay reference or waybill number
    scan: str | None = None  # what a QR scanner read (link, JSON, or the bare reference)


class FoundOut(Schema):
    entity: str
    id: str
    customer_id: str
    reference: str


class FindOut(Schema):
    reference: str
    shape: str  # typed | plain | url | json
    found: list[FoundOut]


@router.post("/find", response=FindOut, summary="Find a record by reference or scanned QR")
def find(request: HttpRequest, body: FindIn) -> dict[str, Any]:
    """Bookings, stays and shipments with this reference (references are not personal
    values: ids only come back; read the records through the gate). `scan` takes a QR
    payload as a scanner typed it — a link with `ref=` / `booking=` / `order=` (also a
    WeChat `scene`), a JSON object with a reference key, or the bare reference; a payload
    that names none is a 422 `scan_unreadable`. The link is never opened."""
    gate.check_purpose(_staff(request), purpose_header(request))
    if body.scan:
        scan = scanning.read(body.scan)
        if scan is None:
            raise invalid(
                "scan",
                "scan_unreadable",
                "the scanned code holds no booking reference",
                "扫码内容中没有找到单号",
            )
        ref, shape = scan.reference, scan.shape
    elif body.ref and body.ref.strip():
        ref, shape = body.ref.strip().upper()[:32], "typed"
    else:
        raise invalid("ref", "required", "give ref or scan", "请填写单号或扫码")
    found = [
        {
            "entity": f.entity,
            "id": f.record_id,
            "customer_id": f.customer_id,
            "reference": f.reference,
        }
        for f in selectors.by_reference(ref)
    ]
    return {"reference": ref, "shape": shape, "found": found}


@router.get("/stays/{stay_id}/registration-card")
def registration_card(request: HttpRequest, stay_id: str, guest: str = "") -> HttpResponse:
    """The hotel registration card (PDF, 旅客住宿登记单) as the desk's duty shows the guest:
    the ID number masked; for the hotel's own staff only; audited. `guest`: the customer id
    of another guest registered in the room (each guest signs their own card)."""
    card = cards.build(_staff(request), purpose_header(request), stay_id, guest or None)
    resp = HttpResponse(cards.pdf(card), content_type="application/pdf")
    resp["Content-Disposition"] = attachment(f"registration-{card.reference}.pdf")
    return resp
