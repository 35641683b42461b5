"""The hotel registration card (住宿登记单, issue #17 §1; R-A6): what 《旅馆业治安管理办法》
art. 6 asks a hotel to register for each guest — name, gender, ID document type and number,
address, arrival and departure, room — printed for the guest to check and sign.

The card shows exactly what the front desk's duty shows (the gate decides): the ID number
stays masked on paper, as on screen; the full number is in the vault (and goes to the
public-security upload, not to a printer). The card carries no phone, e-mail or
preferences. Printing is audited; the PDF embeds Noto Sans CJK (`core.fonts`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from baomi import audit
from baomi.catalog.enums import Gender, IdType, Purpose
from baomi.core import clock
from baomi.core.errors import NotFound
from baomi.core.fonts import cjk_font
from baomi.core.i18n import country_name
from baomi.customers import gate

from . import selectors
from .enums import OpsAction
from .models import StayGuest
from .services.common import require_posting

CARD_FIELDS = ("name", "gender", "birth_date", "nationality", "id_type", "id_number", "address")
STAY_FIELDS = ("room", "check_in", "check_out")


@dataclass(frozen=True)
class Card:
    hotel: str
    reference: str
    rows: list[tuple[str, str]]  # (label, value as the desk sees it)
    printed_at: str


def _label(enum: Any, code: object) -> str:
    try:
        return str(enum(code).label).split(" / ")[0]
    except ValueError:
        return str(code or "")


def build(actor: Any, purpose: Purpose | str | None, stay_id: Any, guest_id: Any = None) -> Card:
    """The card of the stay's own guest, or (`guest_id`) of another guest registered in
    the room (every guest signs their own card)."""
    try:
        stay_id = uuid.UUID(str(stay_id))
    except ValueError:
        raise NotFound("no such stay at a hotel", code="stay_unknown") from None
    occ = selectors.occupancy(stay_id)
    if occ is None:
        raise NotFound("no such stay at a hotel", code="stay_unknown")
    require_posting(actor, occ.site, "stay")  # the hotel's own desk only
    stay = gate.access_records(actor, purpose, "stay", [str(stay_id)])[0]
    who = stay.customer_id
    if guest_id not in (None, ""):
        try:
            gid = uuid.UUID(str(guest_id))
        except ValueError:
            raise NotFound("not in this room", code="guest_not_found") from None
        if not StayGuest.objects.filter(stay_id=stay_id, customer_id=gid).exists():
            raise NotFound("not in this room", code="guest_not_found")
        who = str(gid)
    guest = gate.access_customers(actor, purpose, [who])[0]
    g, s = guest.fields, stay.fields

    def shown(value: Any) -> str:
        return "—" if value in (None, "") else str(value)

    rows = [
        ("姓名", shown(g.get("name"))),
        ("性别", _label(Gender, g.get("gender")) if g.get("gender") else "—"),
        ("出生日期", shown(g.get("birth_date"))),
        (
            "国籍（地区）",
            country_name(g.get("nationality"), "zh")
            if g.get("nationality") and "nationality" not in guest.masked
            else shown(g.get("nationality")),
        ),
        ("证件类型", _label(IdType, g.get("id_type")) if g.get("id_type") else "—"),
        ("证件号码", shown(g.get("id_number"))),
        ("住址", shown(g.get("address"))),
        ("房号", shown(s.get("room"))),
        ("入住日期", shown(s.get("check_in"))),
        ("离店日期", shown(s.get("check_out"))),
    ]
    audit.record(
        OpsAction.CARD_PRINTED,
        actor,
        purpose=gate.check_purpose(actor, purpose),
        object_type="stay",
        object_id=str(stay_id),
        detail={"customer": who, "site": occ.site.code},
    )
    return Card(
        hotel=occ.site.name_zh,
        reference=occ.stay.reference,
        rows=rows,
        printed_at=timezone.localtime(clock.now()).strftime("%Y-%m-%d %H:%M"),
    )


def pdf(card: Card) -> bytes:
    from fpdf import FPDF

    path, index = cjk_font()
    doc = FPDF(orientation="P", unit="mm", format=(148, 210))  # A5
    doc.set_auto_page_break(auto=True, margin=12)
    doc.add_font("cjk", fname=path, collection_font_number=index)
    doc.add_page()
    doc.set_font("cjk", size=15)
    doc.cell(0, 9, f"{card.hotel} · 旅客住宿登记单", new_x="LMARGIN", new_y="NEXT", align="C")
    doc.set_font("cjk", size=8)
    doc.cell(
        0,
        5,
        f"登记号 {card.reference} · 打印时间（北京时间）{card.printed_at}",
        new_x="LMARGIN",
        new_y="NEXT",
        align="C",
    )
    doc.ln(3)
    doc.set_font("cjk", size=11)
    for label, value in card.rows:
        doc.cell(32, 9, label, border=1)
        doc.multi_cell(0, 9, value, border=1, new_x="LMARGIN", new_y="NEXT")
    doc.ln(4)
    doc.set_font("cjk", size=8)
    doc.multi_cell(
        0,
        4.5,
        "依据《旅馆业治安管理办法》第六条登记。证件号码在本单上部分隐藏，完整号码仅保存在加密系统中。"
        "请核对以上信息，无误后签名。",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    doc.ln(8)
    doc.set_font("cjk", size=11)
    doc.cell(
        0,
        8,
        "旅客签名：______________________    日期：______________",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    return bytes(doc.output())
