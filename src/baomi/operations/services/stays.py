"""The hotel front desk (issue #17 §1; R-A6, R-D2): record a stay, check in, change room,
check out. Record values go through `customers.services` (validated, sealed, audited);
this module keeps the stay's hotel, state and keyed digests (`Occupancy`) in step, in the
same transaction. Only staff posted at the stay's hotel change it."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from baomi import audit
from baomi.audit.services import SystemActor
from baomi.catalog import validators
from baomi.catalog.enums import Purpose
from baomi.core import clock
from baomi.core.errors import Conflict, FieldIssue, NotFound, ValidationFailed
from baomi.customers import gate
from baomi.customers import services as customers
from baomi.customers.models import Stay

from ..enums import OpsAction, SiteKind, StayState
from ..keys import day_key, room_key
from ..models import Occupancy, Site
from .common import invalid, require_posting, site_by_code

STAY_INPUT = ("room", "check_in", "check_out", "special_requests")


def today() -> dt.date:
    """Today in the console's time zone (Asia/Shanghai by default)."""
    return timezone.localdate(clock.now())


def clean_dates(data: Mapping[str, Any]) -> tuple[dt.date, dt.date]:
    issues: list[FieldIssue] = []
    days: dict[str, dt.date] = {}
    for code in ("check_in", "check_out"):
        raw = data.get(code)
        if raw in (None, ""):
            issues.append(FieldIssue(code, "required", "is required", "必填"))
            continue
        try:
            days[code] = dt.date.fromisoformat(validators.plain_date(raw))
        except validators.Invalid as exc:
            issues.append(FieldIssue(code, exc.code, exc.en, exc.zh))
    if not issues and days["check_out"] <= days["check_in"]:
        issues.append(
            FieldIssue(
                "check_out", "check_out_order", "must be after check-in", "离店日期须晚于入住日期"
            )
        )
    if issues:
        raise ValidationFailed(issues)
    return days["check_in"], days["check_out"]


@transaction.atomic
def book_stay(
    actor: Any,
    purpose: Purpose | str | None,
    customer_id: uuid.UUID | str,
    site_code: str,
    data: Mapping[str, Any],
    *,
    channel: str = "store",
    reference: str | None = None,
) -> Stay:
    """A stay at a hotel: dates required, room optional until check-in. The one way a
    new stay gets its hotel from the console, `POST /stays` and
    `POST /customers/{id}/stays` with a `property`. An unknown hotel is a 422 on the
    `property` field (`site_unknown`): the caller named it in the body."""
    try:
        site = site_by_code(site_code, SiteKind.HOTEL)
    except NotFound:
        raise invalid("property", "site_unknown", "no such hotel", "没有这家酒店") from None
    require_posting(actor, site, "stay")
    payload = {k: v for k, v in data.items() if v not in (None, "")}
    arrive, leave = clean_dates(payload)
    stay = customers.add_record(
        actor, purpose, customer_id, "stay", payload, channel=channel, reference=reference
    )
    record_at_site(
        actor, purpose, stay, site, check_in=arrive, check_out=leave, room=payload.get("room")
    )
    return stay


@transaction.atomic
def record_at_site(
    actor: Any,
    purpose: Purpose | str | None,
    stay: Stay,
    site: Site | str,
    *,
    check_in: dt.date,
    check_out: dt.date,
    room: object = None,
    state: StayState = StayState.RESERVED,
) -> Occupancy:
    """Record an existing stay (already sealed by `customers.add_record` or the importer)
    at a hotel, so it shows on that hotel's board (arrivals / in house / departures) and
    is found by its room — the stay's own values stay sealed; only keyed digests land here.

    `site` is a `Site` or a site code (unknown or not a hotel: 404 `site_unknown`). Staff
    must be posted at that hotel (403 `not_posted_here`, audited); the system actor (`baomi
    import` run by an operator on the server) may record at any hotel. A stay already at a
    hotel is refused (409 `stay_has_site`). One `stay.booked` event, in the caller's
    transaction. Shared by the stay API, the console and the file import (decision 0041).
    """
    hotel = site if isinstance(site, Site) else site_by_code(site, SiteKind.HOTEL)
    if hotel.kind != SiteKind.HOTEL:
        raise NotFound("no such hotel", code="site_unknown")
    system = actor is None or isinstance(actor, SystemActor)
    if not system:
        require_posting(actor, hotel, "stay")
    if check_out <= check_in:
        raise invalid(
            "check_out", "check_out_order", "must be after check-in", "离店日期须晚于入住日期"
        )
    if Occupancy.objects.filter(stay_id=stay.pk).exists():
        raise Conflict("the stay is already at a hotel", code="stay_has_site")
    room_text = _room(room) if str(room or "").strip() else ""
    occ = Occupancy.objects.create(
        stay=stay,
        site=hotel,
        state=state,
        arrival_key=day_key("arrival", hotel.code, check_in),
        departure_key=day_key("departure", hotel.code, check_out),
        # a guest who has left is no longer found by the room (as at check-out)
        room_key=room_key(hotel.code, room_text)
        if room_text and state != StayState.CHECKED_OUT
        else "",
    )
    audit.record(
        OpsAction.STAY_BOOKED,
        actor,
        purpose=str(purpose or "") if system else gate_purpose(actor, purpose),
        object_type="stay",
        object_id=stay.pk,
        detail={"customer": str(stay.customer_id), "site": hotel.code, "state": str(state)},
    )
    return occ


def gate_purpose(actor: Any, purpose: Purpose | str | None) -> Purpose:

    return gate.check_purpose(actor, purpose)


def _occupancy(stay_id: uuid.UUID | str) -> Occupancy:
    try:
        sid = uuid.UUID(str(stay_id))
    except ValueError:
        raise NotFound("no such stay") from None
    occ = Occupancy.objects.select_for_update().select_related("site").filter(stay_id=sid).first()
    if occ is None:
        raise NotFound("no such stay at any hotel", code="stay_unknown")
    return occ


def _room(raw: object) -> str:
    try:
        return validators.short_text(raw)[:20]
    except validators.Invalid as exc:
        raise invalid("room", exc.code, exc.en, exc.zh) from None


def _move(occ: Occupancy, to: StayState, allowed: tuple[StayState, ...]) -> None:
    if occ.state not in allowed:
        raise Conflict(f"the stay is {occ.state}", code=f"stay_{occ.state}", state=str(occ.state))
    occ.state = to


@transaction.atomic
def check_in(
    actor: Any,
    purpose: Purpose | str | None,
    stay_id: uuid.UUID | str,
    room: str = "",
    *,
    on: dt.date | None = None,
) -> Occupancy:
    """Arrival: the guest is in house from today (or `on`: demo data, back-office
    corrections), in `room` (required unless the booking already has one). The stay's
    check-in date becomes the arrival day."""
    occ = _occupancy(stay_id)
    require_posting(actor, occ.site, "stay")
    site: Site = occ.site
    day = on or today()
    data: dict[str, str] = {"check_in": day.isoformat()}
    if room:
        data["room"] = _room(room)
    elif not occ.room_key:
        raise invalid("room", "required", "give the room", "请填写房号")
    _move(occ, StayState.IN_HOUSE, (StayState.RESERVED,))
    customers.update_record(
        actor,
        purpose,
        "stay",
        occ.stay_id,
        data,
        action=OpsAction.STAY_CHECKED_IN,
        detail={"site": site.code},
    )
    occ.arrival_key = day_key("arrival", site.code, day)
    if room:
        occ.room_key = room_key(site.code, data["room"])
    occ.save()
    return occ


@transaction.atomic
def change_room(
    actor: Any, purpose: Purpose | str | None, stay_id: uuid.UUID | str, room: str
) -> Occupancy:
    occ = _occupancy(stay_id)
    require_posting(actor, occ.site, "stay")
    if not str(room or "").strip():
        raise invalid("room", "required", "give the new room", "请填写新房号")
    new = _room(room)
    _move(occ, StayState.IN_HOUSE, (StayState.IN_HOUSE,))
    customers.update_record(
        actor,
        purpose,
        "stay",
        occ.stay_id,
        {"room": new},
        action=OpsAction.STAY_ROOM_CHANGED,
        detail={"site": occ.site.code},
    )
    occ.room_key = room_key(occ.site.code, new)
    occ.save()
    return occ


@transaction.atomic
def check_out(
    actor: Any, purpose: Purpose | str | None, stay_id: uuid.UUID | str, spend: str = ""
) -> Occupancy:
    """Departure today; the folio's total (`spend`) is recorded when given."""
    occ = _occupancy(stay_id)
    require_posting(actor, occ.site, "stay")
    data = {"check_out": today().isoformat()}
    if str(spend or "").strip():
        data["spend"] = str(spend).strip()
    _move(occ, StayState.CHECKED_OUT, (StayState.IN_HOUSE,))
    customers.update_record(
        actor,
        purpose,
        "stay",
        occ.stay_id,
        data,
        action=OpsAction.STAY_CHECKED_OUT,
        detail={"site": occ.site.code},
    )
    occ.departure_key = day_key("departure", occ.site.code, today())
    occ.room_key = ""  # the room is free: the stay is no longer found by it
    occ.save()
    return occ
