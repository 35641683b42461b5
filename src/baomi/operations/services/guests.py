"""Other guests in the room of a stay (同住客人; issue #17 §1 "record the stay, room,
companions"; R-A5, R-A6, R-B3). Hotel rules register every guest, so each is a customer
of their own — found by id, or registered at the desk with their ID document and their
own consent decisions — linked to the stay. Only the front desk of the stay's hotel adds
or removes them; names and ID numbers are read through the gate."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction

from baomi import audit
from baomi.access.policy import may_write
from baomi.catalog.enums import Purpose
from baomi.core import clock
from baomi.core.errors import Conflict, Forbidden, NotFound
from baomi.customers import gate

from ..enums import OpsAction, StayState
from ..models import Occupancy, StayGuest
from .common import companion, require_posting

MAX_GUESTS = 8


def _occupancy(stay_id: object) -> Occupancy:
    try:
        sid = uuid.UUID(str(stay_id))
    except ValueError:
        raise NotFound("no such stay", code="stay_unknown") from None
    occ = Occupancy.objects.select_related("site", "stay__customer").filter(stay_id=sid).first()
    if occ is None or occ.stay.customer.erased_at is not None:
        raise NotFound("no such stay at any hotel", code="stay_unknown")
    return occ


def _desk(actor: Any, purpose: Purpose | str | None, occ: Occupancy) -> Purpose:
    p = gate.check_purpose(actor, purpose)
    require_posting(actor, occ.site, "stay")
    if not may_write(actor.role_code, p):
        raise Forbidden("your role may not change stays", code="write_forbidden")
    return p


@transaction.atomic
def add_guest(
    actor: Any,
    purpose: Purpose | str | None,
    stay_id: object,
    *,
    customer_id: object = None,
    new: Mapping[str, Any] | None = None,
    consents: Mapping[str, bool] | None = None,
    document_checked: bool = False,
    method: str = "signature",
) -> StayGuest:
    """Add a guest to the room: an existing customer (`customer_id`), or a new one
    registered here (`new` profile values with their own `consents`, validated and sealed
    as any new customer — a duplicate ID number is refused, as at creation)."""
    occ = _occupancy(stay_id)
    p = _desk(actor, purpose, occ)
    if occ.state == StayState.CHECKED_OUT:
        raise Conflict("the guests have left", code="stay_checked_out")
    customer = companion(actor, p, customer_id, new, consents, method, ("guest", "客人"))
    if customer.pk == occ.stay.customer_id:
        raise Conflict("the stay's own guest is registered already", code="guest_is_holder")
    if StayGuest.objects.filter(stay_id=occ.stay_id).count() >= MAX_GUESTS:
        raise Conflict(f"at most {MAX_GUESTS} more guests", code="too_many_guests")
    try:
        with transaction.atomic():
            g = StayGuest.objects.create(
                stay_id=occ.stay_id,
                customer=customer,
                document_checked=bool(document_checked),
                added_at=clock.now(),
                added_by_id=getattr(actor, "pk", None),
            )
    except IntegrityError:
        raise Conflict("already in this room", code="guest_already_added") from None
    audit.record(
        OpsAction.GUEST_ADDED,
        actor,
        purpose=p,
        object_type="stay",
        object_id=occ.stay_id,
        detail={
            "customer": str(customer.pk),
            "holder": str(occ.stay.customer_id),
            "site": occ.site.code,
            "new": bool(new),
            "document_checked": g.document_checked,
        },
    )
    return g


@transaction.atomic
def remove_guest(
    actor: Any, purpose: Purpose | str | None, stay_id: object, customer_id: object
) -> None:
    occ = _occupancy(stay_id)
    p = _desk(actor, purpose, occ)
    try:
        cid = uuid.UUID(str(customer_id))
    except ValueError:
        raise NotFound("not in this room", code="guest_not_found") from None
    n, _ = StayGuest.objects.filter(stay_id=occ.stay_id, customer_id=cid).delete()
    if not n:
        raise NotFound("not in this room", code="guest_not_found")
    audit.record(
        OpsAction.GUEST_REMOVED,
        actor,
        purpose=p,
        object_type="stay",
        object_id=occ.stay_id,
        detail={"customer": str(cid), "site": occ.site.code},
    )


def guests(actor: Any, purpose: Purpose | str | None, stay_id: object) -> dict[str, Any]:
    """The stay's own guest and the others in the room, each read through the gate (one
    bulk read: name and ID number as the viewer's duty shows them)."""
    occ = _occupancy(stay_id)
    rows = list(StayGuest.objects.filter(stay_id=occ.stay_id).order_by("id"))
    ids = [occ.stay.customer_id, *[g.customer_id for g in rows]]
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
        "stay_id": str(occ.stay_id),
        "reference": occ.stay.reference,
        "holder": person(occ.stay.customer_id),
        "guests": [{**person(g.customer_id), "document_checked": g.document_checked} for g in rows],
    }
