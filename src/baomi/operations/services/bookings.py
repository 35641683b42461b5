"""Travel bookings with several travellers (issue #17 §2; R-A6, R-B3). The booking's
customer is the lead traveller; each companion is a customer of their own — found by id
or registered at the counter with their own consent decisions — linked to the booking.
Names are shown through the gate, as the viewer's duty allows."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction

from baomi import audit
from baomi.access.policy import may_write
from baomi.audit.services import SystemActor
from baomi.catalog import validators
from baomi.catalog.enums import Purpose
from baomi.core import clock
from baomi.core.errors import Conflict, Forbidden, NotFound
from baomi.customers import gate
from baomi.customers import services as customers
from baomi.customers.models import Booking
from baomi.customers.validation import clean_record

from ..enums import OpsAction, SiteKind
from ..keys import day_key
from ..models import CounterBooking, Site, Traveller
from .common import companion, invalid, require_posting, site_by_code

MAX_TRAVELLERS = 30


def _booking(booking_id: object) -> Booking:
    try:
        bid = uuid.UUID(str(booking_id))
    except ValueError:
        raise NotFound("no such booking", code="booking_not_found") from None
    b = Booking.objects.select_related("customer").filter(pk=bid).first()
    if b is None or b.customer.erased_at is not None:
        raise NotFound("no such booking", code="booking_not_found")
    return b


def _writer(actor: Any, purpose: Purpose | str | None) -> Purpose:
    p = gate.check_purpose(actor, purpose)
    if not may_write(actor.role_code, p):
        raise Forbidden("your role may not change bookings", code="write_forbidden")
    return p


@transaction.atomic
def add_traveller(
    actor: Any,
    purpose: Purpose | str | None,
    booking_id: object,
    *,
    customer_id: object = None,
    new: Mapping[str, Any] | None = None,
    consents: Mapping[str, bool] | None = None,
    document_checked: bool = False,
    method: str = "signature",
) -> Traveller:
    """Add a companion: an existing customer (`customer_id`), or a new one registered
    here (`new` profile values and their own `consents`, validated and sealed as any
    new customer — a duplicate ID number is refused, as at creation)."""
    p = _writer(actor, purpose)
    booking = _booking(booking_id)
    customer = companion(actor, p, customer_id, new, consents, method, ("traveller", "旅客"))
    if customer.pk == booking.customer_id:
        raise Conflict("the lead traveller is on the booking already", code="traveller_is_lead")
    if Traveller.objects.filter(booking=booking).count() >= MAX_TRAVELLERS:
        raise Conflict(f"at most {MAX_TRAVELLERS} travellers", code="too_many_travellers")
    try:
        with transaction.atomic():
            t = Traveller.objects.create(
                booking=booking,
                customer=customer,
                document_checked=bool(document_checked),
                added_at=clock.now(),
                added_by_id=getattr(actor, "pk", None),
            )
    except IntegrityError:
        raise Conflict("already on this booking", code="traveller_already_added") from None
    audit.record(
        OpsAction.TRAVELLER_ADDED,
        actor,
        purpose=p,
        object_type="booking",
        object_id=booking.pk,
        detail={
            "customer": str(customer.pk),
            "lead": str(booking.customer_id),
            "new": bool(new),
            "document_checked": t.document_checked,
        },
    )
    return t


BOOKING_FIELDS = ("product", "destination", "start_date", "end_date", "travellers", "amount")


@transaction.atomic
def edit_booking(
    actor: Any, purpose: Purpose | str | None, booking_id: object, data: Mapping[str, Any]
) -> Booking:
    """Change a booking's catalogued fields (itinerary, dates, party size, amount):
    validated as when it was recorded, sealed under the customer's key, one
    `booking.updated` event naming the fields changed — with who, when and under which
    purpose, the booking's lineage. Empty values are not written (a masked field left
    blank stays as it is); dates change together and the trip cannot end before it
    starts."""
    p = _writer(actor, purpose)
    booking = _booking(booking_id)
    unknown = sorted(set(data) - set(BOOKING_FIELDS))
    if unknown:
        raise invalid(unknown[0][:40], "field_unknown", "not a booking field", "不是订单字段")
    values = {k: v for k, v in data.items() if v not in (None, "")}
    if not values:
        raise invalid("*", "nothing_to_change", "no field to change", "没有需要修改的字段")
    values = clean_record("booking", values)  # the dates in one form before comparing
    start, end = values.get("start_date"), values.get("end_date")
    if bool(start) != bool(end):  # the stored other date is sealed (and masked to the desk)
        raise invalid(
            "end_date" if start else "start_date",
            "dates_together",
            "change the start and end dates together",
            "修改日期时请同时填写出发日期和结束日期",
        )
    if start and end and str(end) < str(start):
        raise invalid(
            "end_date", "end_before_start", "ends before it starts", "结束日期早于出发日期"
        )
    customers.update_record(
        actor,
        p,
        "booking",
        booking.pk,
        values,
        action=OpsAction.BOOKING_UPDATED,
        detail={"customer": str(booking.customer_id)},
    )
    if start and end:  # the counter's departures list follows the new dates
        link = CounterBooking.objects.select_related("site").filter(booking_id=booking.pk).first()
        if link is not None:
            link.start_key = day_key("trip_start", link.site.code, str(start))
            link.end_key = day_key("trip_end", link.site.code, str(end))
            link.save(update_fields=["start_key", "end_key"])
    return booking


@transaction.atomic
def remove_traveller(
    actor: Any, purpose: Purpose | str | None, booking_id: object, customer_id: object
) -> None:
    p = _writer(actor, purpose)
    booking = _booking(booking_id)
    try:
        cid = uuid.UUID(str(customer_id))
    except ValueError:
        raise NotFound("not on this booking", code="traveller_not_found") from None
    n, _ = Traveller.objects.filter(booking=booking, customer_id=cid).delete()
    if not n:
        raise NotFound("not on this booking", code="traveller_not_found")
    audit.record(
        OpsAction.TRAVELLER_REMOVED,
        actor,
        purpose=p,
        object_type="booking",
        object_id=booking.pk,
        detail={"customer": str(customer_id)},
    )


def travellers(actor: Any, purpose: Purpose | str | None, booking_id: object) -> dict[str, Any]:
    """The booking's lead and companions, each read through the gate (name and ID number
    as the viewer's duty shows them: plain, masked or withheld)."""
    booking = _booking(booking_id)
    rows = list(Traveller.objects.filter(booking=booking).order_by("id"))
    ids = [booking.customer_id, *[t.customer_id for t in rows]]
    views = {str(v.id): v for v in gate.access_customers(actor, purpose, ids)}

    def person(cid: Any) -> dict[str, Any]:
        v = views.get(str(cid))
        fields = v.fields if v is not None else {}
        return {
            "customer_id": str(cid),
            "name": fields.get("name"),
            "id_number": fields.get("id_number"),
            "masked": sorted(set(v.masked) & {"name", "id_number"}) if v else [],
        }

    return {
        "booking_id": str(booking.pk),
        "reference": booking.reference,
        "lead": person(booking.customer_id),
        "travellers": [
            {**person(t.customer_id), "document_checked": t.document_checked} for t in rows
        ],
    }


# -- the counter that took the booking (decision 0041 §7) ------------------------------------
def trip_dates(data: Mapping[str, Any]) -> tuple[dt.date, dt.date | None]:
    """A counter's booking needs its first day (the counter's departures list finds it by
    that day); the last day is optional and not before the first."""
    out: dict[str, dt.date] = {}
    for code in ("start_date", "end_date"):
        raw = data.get(code)
        if raw in (None, ""):
            if code == "start_date":
                raise invalid(code, "required", "is required", "必填")
            continue
        try:
            out[code] = dt.date.fromisoformat(validators.plain_date(raw))
        except validators.Invalid as exc:
            raise invalid(code, exc.code, exc.en, exc.zh) from None
    start, end = out["start_date"], out.get("end_date")
    if end is not None and end < start:
        raise invalid(
            "end_date", "end_before_start", "ends before it starts", "结束日期早于出发日期"
        )
    return start, end


@transaction.atomic
def book_at_counter(
    actor: Any,
    purpose: Purpose | str | None,
    customer_id: uuid.UUID | str,
    site_code: str,
    data: Mapping[str, Any],
    *,
    channel: str = "store",
    reference: str | None = None,
) -> Booking:
    """A booking taken at a travel counter: recorded (validated, sealed, audited) by
    `customers`, then linked to the counter by `record_at_counter`. The console's
    登记旅游订单 (staff posted at a counter) and `POST /customers/{id}/bookings` with a
    `counter` come here. An unknown counter named in the body is a 422 on `counter`."""
    try:
        site = site_by_code(site_code, SiteKind.COUNTER)
    except NotFound:
        raise invalid(
            "counter", "site_unknown", "no such travel counter", "没有这家旅行社门店"
        ) from None
    require_posting(actor, site, "booking")
    payload = {k: v for k, v in data.items() if v not in (None, "")}
    start, end = trip_dates(payload)
    booking = customers.add_record(
        actor, purpose, customer_id, "booking", payload, channel=channel, reference=reference
    )
    record_at_counter(actor, purpose, booking, site, start_date=start, end_date=end)
    return booking


@transaction.atomic
def record_at_counter(
    actor: Any,
    purpose: Purpose | str | None,
    booking: Booking,
    site: Site | str,
    *,
    start_date: dt.date,
    end_date: dt.date | None = None,
) -> CounterBooking:
    """Link an existing booking (sealed by `customers.add_record` or the importer) to the
    travel counter that took it — the one writer of a `CounterBooking`, like
    `stays.record_at_site` for a stay's hotel. Staff must be posted at that counter (403
    `not_posted_here`, audited); the system actor (`baomi import` on the server) may name
    any counter. A booking has one counter (409 `booking_has_site`). Only keyed digests of
    the first and last day land here. One `booking.added` event naming the counter."""
    counter = site if isinstance(site, Site) else site_by_code(site, SiteKind.COUNTER)
    if counter.kind != SiteKind.COUNTER:
        raise NotFound("no such travel counter", code="site_unknown")
    system = actor is None or isinstance(actor, SystemActor)
    if not system:
        require_posting(actor, counter, "booking")
    if end_date is not None and end_date < start_date:
        raise invalid(
            "end_date", "end_before_start", "ends before it starts", "结束日期早于出发日期"
        )
    if CounterBooking.objects.filter(booking_id=booking.pk).exists():
        raise Conflict("the booking is already at a counter", code="booking_has_site")
    link = CounterBooking.objects.create(
        booking=booking,
        site=counter,
        start_key=day_key("trip_start", counter.code, start_date),
        end_key=day_key("trip_end", counter.code, end_date) if end_date else "",
        recorded_at=clock.now(),
    )
    audit.record(
        OpsAction.BOOKING_ADDED,
        actor,
        purpose=str(purpose or "") if system else gate.check_purpose(actor, purpose),
        object_type="booking",
        object_id=booking.pk,
        detail={"customer": str(booking.customer_id), "site": counter.code},
    )
    return link
