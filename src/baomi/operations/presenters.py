"""Shapes for the operations pages: labels in the active language, never raw codes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.urls import reverse

from baomi.access.policy import may_write
from baomi.catalog import fields as catalog
from baomi.core.errors import BaomiError, FieldIssue, ValidationFailed
from baomi.core.i18n import bi, half

from .enums import FailReason, ProofKind, ScanStage, SiteKind, StayState, VoidReason, WaybillState

ERRORS = {
    "not_posted_here": (
        "您不在该门店或网点任职，不能办理此业务。",
        "You do not work at this site.",
    ),
    "site_unknown": ("没有这个门店或网点。", "No such site."),
    "stay_unknown": ("没有这条住宿记录。", "No such stay."),
    "stay_has_site": ("这条住宿记录已属于一家酒店。", "This stay is already at a hotel."),
    "guest_is_holder": ("该客人是这条住宿记录的住客本人。", "This is the stay's own guest."),
    "guest_already_added": (
        "该客人已登记在此房间。",
        "This guest is registered in the room already.",
    ),
    "guest_not_found": ("该客人不在此房间。", "This guest is not in the room."),
    "too_many_guests": (
        "此房间登记的客人已达上限。",
        "No more guests can be registered in this room.",
    ),
    "customer_not_found": ("没有这位客户。", "No such customer."),
    "stay_reserved": ("客人尚未入住。", "The guest has not checked in yet."),
    "stay_in_house": ("客人已在住。", "The guest is already in house."),
    "stay_checked_out": ("客人已离店。", "The guest has already checked out."),
    "no_outlet": ("您未在快递网点任职，不能收寄快件。", "You are not posted at a courier outlet."),
    "no_blank_waybills": (
        "本网点已无空白运单号，请联系主管发放新的号段。",
        "No blank waybill left at this outlet: ask for a new range.",
    ),
    "waybill_unknown": ("登记簿中没有这个运单号。", "This waybill number is not in the register."),
    "waybill_issued": ("该运单尚未使用。", "This waybill is still blank."),
    "waybill_delivered": ("该快件已签收。", "This parcel was delivered."),
    "waybill_voided": ("该运单已作废。", "This waybill was voided."),
    "waybill_lost": ("该运单已登记遗失。", "This waybill was recorded lost."),
    "not_out_for_delivery": ("该快件不在派送中。", "The parcel is not out for delivery."),
    "not_your_parcel": ("该快件由其他快递员派送。", "Another courier has this parcel."),
    "range_overlaps": ("该号段与已发放的号段重叠。", "These numbers were issued before."),
    "role_required": ("您的岗位不能办理此业务。", "Your role may not do this."),
    "write_forbidden": (
        "您的岗位在当前用途下不能修改客户资料。",
        "Your role may not change customer data under this purpose.",
    ),
    "field_forbidden": (
        "当前用途下不能修改这些字段。",
        "These fields cannot be changed under this purpose.",
    ),
    "duplicate_customer": ("另一位客户已使用该证件号码。", "Another customer has this ID number."),
    "purpose_forbidden": ("您的岗位不能使用该用途。", "Your role may not use this purpose."),
    "not_found": ("没有找到。", "Not found."),
    "gone": ("该客户的资料已删除。", "This customer's data has been erased."),
}


def error_text(exc: BaomiError) -> str:
    if isinstance(exc, ValidationFailed):
        return "；".join(issue_text(i) for i in exc.issues)
    zh, en = ERRORS.get(exc.code, ("操作未完成。", "The operation was not completed."))
    return bi(zh, en)


def issue_text(issue: FieldIssue) -> str:
    label = field_label(issue.field)
    text = bi(issue.zh, issue.en)
    return f"{label}：{text}" if label and label != issue.field else text


def field_label(code: str) -> str:
    for entity in ("customer", "stay", "booking", "shipment"):
        key = f"{entity}.{code}"
        if key in catalog.BY_KEY:
            s = catalog.BY_KEY[key]
            return bi(s.label_zh, s.label_en)
    extra = {
        "room": ("房号", "Room"),
        "proof_ref": ("凭证编号", "Proof reference"),
        "proof_kind": ("签收凭证", "Proof"),
        "reason": ("原因", "Reason"),
        "start": ("起始号", "First number"),
        "count": ("数量", "Count"),
        "stage": ("环节", "Stage"),
        "*": ("", ""),
    }
    if code in extra:
        return bi(*extra[code])
    return ""


def choice(enum: Any, code: object) -> str:
    try:
        return half(enum(code).label)
    except ValueError:
        return "—"


def state(code: str) -> str:
    return choice(StayState, code)


def waybill_state(code: str) -> str:
    return choice(WaybillState, code)


def stage(code: str) -> str:
    return choice(ScanStage, code) if code else "—"


def options(enum: Any) -> list[tuple[str, str]]:
    return [(c.value, half(c.label)) for c in enum]


def site_name(site: Any) -> str:
    return bi(site.name_zh, site.name_en) if site else ""


def record_cells(
    entity: str, fields: Mapping[str, Any], masked: list[str], withheld: list[str]
) -> list[dict[str, Any]]:
    out = []
    for spec in catalog.fields_of(entity):
        t = "withheld" if spec.code in withheld else "masked" if spec.code in masked else "plain"
        out.append(
            {
                "code": spec.code,
                "label": bi(spec.label_zh, spec.label_en),
                "value": fields.get(spec.code),
                "treatment": t,
            }
        )
    return out


def customer_actions(request: Any, view: Any) -> dict[str, Any] | None:
    """The 360 page's "daily work" links for a writer under the session's purpose."""
    role = getattr(request.user, "role_code", "")
    purpose = view.purpose
    cid = view.id
    links = []
    if may_write(role, purpose):
        links.append(
            (
                reverse("operations:customer_edit", args=[cid]),
                bi("修改资料", "Edit profile"),
                "edit-customer",
            )
        )
        links.append(
            (reverse("operations:stay_new", args=[cid]), bi("登记住宿", "Add a stay"), "add-stay")
        )
        links.append(
            (
                reverse("operations:booking_new", args=[cid]),
                bi("登记旅游订单", "Add a booking"),
                "add-booking",
            )
        )
    if role in ("courier", "front_desk", "customer_service") and purpose.value in (
        "delivery",
        "reception",
        "customer_service",
    ):
        links.append(
            (
                reverse("operations:shipment_new", args=[cid]),
                bi("收寄快件", "Send a parcel"),
                "add-shipment",
            )
        )
    if not links:
        return None
    return {"links": [{"href": h, "label": label, "testid": t} for h, label, t in links]}


SITE_KINDS = SiteKind
FAIL_REASONS = FailReason
PROOF_KINDS = ProofKind
VOID_REASONS = VoidReason
