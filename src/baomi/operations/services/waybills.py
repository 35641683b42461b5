"""The courier outlet (issue #17 §3; R-M1, R-M2): the register of blank waybills, shipments
numbered from it, scans by stage, delivery with proof.

Every number of an issued range is a `Waybill` row from the moment the range is issued, so
the register accounts for each one: issued (blank, at the outlet) → used (on a shipment) →
delivered; or voided / lost — each change with who and when, and an audit event. A
shipment's number is the lowest blank number of its outlet's ranges, never a random one.
"""

from __future__ import annotations

import bisect
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction

from baomi import audit
from baomi.catalog.enums import Purpose, Role
from baomi.core import clock
from baomi.core.errors import Conflict, NotFound
from baomi.customers import gate
from baomi.customers import services as customers
from baomi.customers.models import Shipment, ShipmentStatus

from ..enums import (
    FailReason,
    OpsAction,
    ProofKind,
    ScanStage,
    SiteKind,
    VoidReason,
    WaybillState,
)
from ..models import Scan, Waybill, WaybillRange
from .common import invalid, posting, require_posting, require_role, site_by_code

MAX_RANGE = 10_000
MAX_NUMBER = 10**15 - 1  # 15 digits at most: printable as a barcode, fits a 64-bit column
STAGE_STATUS = {
    ScanStage.PICKUP: ShipmentStatus.COLLECTED,
    ScanStage.SORTING: ShipmentStatus.SORTING,
    ScanStage.TRANSPORT: ShipmentStatus.IN_TRANSIT,
    ScanStage.DELIVERY: ShipmentStatus.OUT_FOR_DELIVERY,
}


def _int(value: object, field: str) -> int:
    try:
        n = int(str(value).strip())
    except (TypeError, ValueError):
        raise invalid(field, "integer", "must be a whole number", "须为整数") from None
    return n


@transaction.atomic
def issue_range(actor: Any, site_code: str, start: object, count: object) -> WaybillRange:
    """Issue `count` blank waybills numbered from `start` to an outlet. A number issued
    before (in any range) is refused: the register never holds one number twice."""
    require_role(actor, frozenset({Role.MANAGER}), "waybill")
    site = site_by_code(site_code, SiteKind.OUTLET)
    first, n = _int(start, "start"), _int(count, "count")
    if not 1 <= n <= MAX_RANGE:
        raise invalid("count", "count_range", f"1 to {MAX_RANGE}", f"须在 1 到 {MAX_RANGE} 之间")
    if first < 1 or first + n - 1 > MAX_NUMBER:
        raise invalid("start", "start_range", "out of range", "起始号超出范围")
    end = first + n - 1
    overlap = WaybillRange.objects.select_for_update().filter(start__lte=end)
    if any(r.start + r.count - 1 >= first for r in overlap):
        raise Conflict("these numbers were issued before", code="range_overlaps")
    now = clock.now()
    rng = WaybillRange.objects.create(
        site=site, start=first, count=n, issued_at=now, issued_by_id=getattr(actor, "pk", None)
    )
    Waybill.objects.bulk_create(
        [
            Waybill(
                no=str(first + i),
                number=first + i,
                range=rng,
                state=WaybillState.ISSUED,
                changed_at=now,
                changed_by_id=getattr(actor, "pk", None),
            )
            for i in range(n)
        ],
        batch_size=1000,
    )
    audit.record(
        OpsAction.RANGE_ISSUED,
        actor,
        object_type="waybill_range",
        object_id=rng.pk,
        detail={"site": site.code, "start": str(first), "count": n},
    )
    return rng


def _waybill(no: object) -> Waybill:
    w = (
        Waybill.objects.select_for_update()
        .select_related("range__site")
        .filter(no=str(no or "").strip()[:20])
        .first()
    )
    if w is None:
        raise NotFound("no such waybill number in the register", code="waybill_unknown")
    return w


def _set(w: Waybill, actor: Any, state: WaybillState | None = None, **changes: Any) -> None:
    if state is not None:
        w.state = state
    for k, v in changes.items():
        setattr(w, k, v)
    w.changed_at = clock.now()
    w.changed_by_id = getattr(actor, "pk", None)
    w.save()


@transaction.atomic
def create_shipment(
    actor: Any,
    purpose: Purpose | str | None,
    customer_id: uuid.UUID | str,
    data: Mapping[str, Any],
    *,
    channel: str = "store",
    number: str | None = None,
) -> Shipment:
    """A parcel handed in at the actor's outlet: numbered with the outlet's next blank
    waybill (lowest first), or with `number` — the pre-printed blank form in the clerk's
    hand, which must be a blank of this outlet — and that number becomes `used` in the
    same transaction. Blanks left below a used number show as gaps in the register."""
    site = posting(actor)
    if site is None or site.kind != SiteKind.OUTLET:
        audit.record_refusal(
            OpsAction.WAYBILL_USED, actor, object_type="waybill", detail={"reason": "no_outlet"}
        )
        raise Conflict("you are not posted at a courier outlet", code="no_outlet")
    blanks = Waybill.objects.select_for_update().filter(range__site=site, state=WaybillState.ISSUED)
    if number:
        w = blanks.filter(no=str(number).strip()[:20]).first()
        if w is None:
            raise invalid(
                "waybill_no",
                "waybill_not_blank",
                "not a blank waybill of this outlet",
                "不是本网点的空白运单号",
            )
    else:
        w = blanks.order_by("number").first()  # as numbers: 1000 comes after 999
    if w is None:
        raise Conflict("no blank waybill left at this outlet", code="no_blank_waybills")
    shipment = customers.add_record(
        actor,
        purpose,
        customer_id,
        "shipment",
        dict(data),
        channel=channel,
        reference=w.no,
        status=ShipmentStatus.CREATED,
    )
    _set(w, actor, WaybillState.USED, shipment=shipment)
    audit.record(
        OpsAction.WAYBILL_USED,
        actor,
        purpose=gate.check_purpose(actor, purpose),
        object_type="waybill",
        object_id=w.no,
        detail={"shipment": str(shipment.pk), "site": site.code},
    )
    return shipment


@transaction.atomic
def register_imported(actor: Any, purpose: Purpose | str | None, numbers: Iterable[str]) -> int:
    """Shipments brought in by `baomi import` (decision 0039) whose waybill number is a
    blank of an outlet's register (issued, not used): the blank becomes `used` by that
    shipment — the form was filled in the system the file came from — with who and when
    and one `waybill.used` event each (`detail.via: import`), so the register accounts for
    it (R-M1) and the outlet never hands the number out again. Numbers not in the
    register, or used / voided / lost there, are left as they are. Answers how many."""
    # only numbers inside an issued range can be blanks (ranges are few: read them once)
    ranges = sorted(WaybillRange.objects.values_list("start", "count"))
    starts = [r[0] for r in ranges]

    def issued(no: str) -> bool:
        if not no.isdigit():
            return False
        k = bisect.bisect_right(starts, int(no)) - 1
        return k >= 0 and int(no) < ranges[k][0] + ranges[k][1]

    nos = list(dict.fromkeys(n for n in (str(x).strip()[:20] for x in numbers) if issued(n)))
    used = 0
    for i in range(0, len(nos), 500):
        blanks = list(
            Waybill.objects.select_for_update(of=("self",))
            .select_related("range__site")
            .filter(no__in=nos[i : i + 500], state=WaybillState.ISSUED)
        )
        if not blanks:
            continue
        shipments = {
            s.waybill_no: s
            for s in Shipment.objects.filter(waybill_no__in=[w.no for w in blanks]).only(
                "id", "customer_id", "waybill_no"
            )
        }
        for w in blanks:
            shipment = shipments.get(w.no)
            if shipment is None:
                continue
            _set(w, actor, WaybillState.USED, shipment=shipment)
            audit.record(
                OpsAction.WAYBILL_USED,
                actor,
                purpose=str(purpose or ""),
                object_type="waybill",
                object_id=w.no,
                detail={"shipment": str(shipment.pk), "site": w.range.site.code, "via": "import"},
            )
            used += 1
    return used


@transaction.atomic
def write_off(actor: Any, no: object, reason: str, *, lost: bool = False) -> Waybill:
    """Void a spoilt or cancelled waybill, or record it lost (R-M1: no number vanishes)."""
    w = _waybill(no)
    mine = posting(actor)
    if actor.role_code != "manager":
        require_posting(actor, w.range.site, "waybill")
    if reason not in VoidReason.values:
        raise invalid("reason", "reason_unknown", "choose a reason", "请选择原因")
    if w.state not in (WaybillState.ISSUED, WaybillState.USED):
        raise Conflict(f"the waybill is {w.state}", code=f"waybill_{w.state}")
    state = WaybillState.LOST if lost else WaybillState.VOIDED
    _set(w, actor, state, reason=reason)
    audit.record(
        OpsAction.WAYBILL_LOST if lost else OpsAction.WAYBILL_VOIDED,
        actor,
        object_type="waybill",
        object_id=w.no,
        detail={"reason": reason, "site": (mine.code if mine else w.range.site.code)},
    )
    return w


@transaction.atomic
def scan(actor: Any, no: object, stage: str, site_code: str) -> Waybill:
    """A scan at a stage moves the shipment on; the delivery scan gives it to the courier
    who scanned it (their list of the day)."""
    if stage not in ScanStage.values:
        raise invalid("stage", "stage_unknown", "unknown stage", "未知环节")
    require_role(actor, frozenset({Role.COURIER}), "waybill")
    site = site_by_code(site_code)
    w = _waybill(no)
    if w.state != WaybillState.USED or w.shipment_id is None:
        raise Conflict(f"the waybill is {w.state}", code=f"waybill_{w.state}")
    now = clock.now()
    Scan.objects.create(waybill=w, stage=stage, site=site, at=now, by_id=actor.pk)
    customers.update_record(
        actor,
        Purpose.DELIVERY,
        "shipment",
        w.shipment_id,
        {},
        action=OpsAction.WAYBILL_SCANNED,
        status=STAGE_STATUS[ScanStage(stage)],
        detail={"stage": stage, "site": site.code, "waybill": w.no},
    )
    courier = actor.pk if stage == ScanStage.DELIVERY else None
    _set(w, actor, stage=stage, courier_id=courier, failed_reason="")
    return w


def _out_with(actor: Any, no: object) -> Waybill:
    w = _waybill(no)
    if w.state != WaybillState.USED or w.stage != ScanStage.DELIVERY:
        raise Conflict("the parcel is not out for delivery", code="not_out_for_delivery")
    if w.courier_id != actor.pk:
        audit.record_refusal(
            OpsAction.PARCEL_DELIVERED,
            actor,
            object_type="waybill",
            object_id=w.no,
            detail={"reason": "not_your_parcel"},
        )
        raise Conflict("another courier has this parcel", code="not_your_parcel")
    return w


@transaction.atomic
def deliver(actor: Any, no: object, proof_kind: str, proof_ref: str) -> Waybill:
    if proof_kind not in ProofKind.values:
        raise invalid("proof_kind", "proof_unknown", "choose the proof", "请选择签收凭证")
    ref = str(proof_ref or "").strip()
    if not ref or len(ref) > 64:
        raise invalid(
            "proof_ref",
            "proof_ref",
            "give the signature or photo reference",
            "请填写签名或照片编号",
        )
    w = _out_with(actor, no)
    assert w.shipment_id is not None
    customers.update_record(
        actor,
        Purpose.DELIVERY,
        "shipment",
        w.shipment_id,
        {},
        action=OpsAction.PARCEL_DELIVERED,
        status=ShipmentStatus.DELIVERED,
        detail={"waybill": w.no, "proof": proof_kind},
    )
    _set(w, actor, WaybillState.DELIVERED, proof_kind=proof_kind, proof_ref=ref)
    return w


@transaction.atomic
def fail(actor: Any, no: object, reason: str) -> Waybill:
    if reason not in FailReason.values:
        raise invalid("reason", "reason_unknown", "choose a reason", "请选择原因")
    w = _out_with(actor, no)
    _set(w, actor, failed_reason=reason)
    audit.record(
        OpsAction.PARCEL_FAILED,
        actor,
        purpose=Purpose.DELIVERY,
        object_type="waybill",
        object_id=w.no,
        detail={"reason": reason},
    )
    return w


def print_label(
    actor: Any, purpose: Purpose | str | None, shipment_id: object, fmt: str, scan_url: str
) -> tuple[bytes, str, str]:
    """(content, file name, content type) of the shipment's privacy label, PDF or ZPL.
    The values come through the gate under the caller's purpose, then the label masks
    apply; the print is audited (`waybill.label_printed`)."""
    from .. import labels

    if fmt not in ("pdf", "zpl"):
        raise invalid("format", "format_unknown", "pdf or zpl", "格式须为 pdf 或 zpl")
    require_role(actor, frozenset({Role.COURIER}), "waybill")
    try:
        sid = uuid.UUID(str(shipment_id))
    except ValueError:
        raise NotFound("no such shipment") from None
    w = Waybill.objects.select_related("range__site").filter(shipment_id=sid).first()
    if w is None:
        raise NotFound("this shipment has no waybill in the register", code="waybill_unknown")
    view = gate.access_records(actor, purpose, "shipment", [str(sid)])[0]
    site = w.range.site
    label = labels.label_for(view, w.no, site.name_zh, scan_url)
    audit.record(
        OpsAction.LABEL_PRINTED,
        actor,
        purpose=gate.check_purpose(actor, purpose),
        object_type="waybill",
        object_id=w.no,
        detail={"format": fmt},
    )
    if fmt == "pdf":
        return labels.pdf(label), f"waybill-{w.no}.pdf", "application/pdf"
    return labels.zpl(label).encode(), f"waybill-{w.no}.zpl", "application/zpl"
