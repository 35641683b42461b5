"""Privacy waybill labels (隐私面单, issue #17 §3; R-M2, R-M3): PDF for office printers,
ZPL for thermal printers.

The label shows only what sorting and delivery need, masked by the GB/T 41833-2022 profile
(`privacy.label_*`) *on top of* what the printing clerk's own view already masks — the
values come from the gate (`gate.access_records`), so a label never shows more than the
clerk may see, nor more than the standard allows. It carries the waybill number as a
barcode and a QR code that opens the parcel's console page, which answers only to a
signed-in courier or manager (an authorised scan).

Fonts: Chinese glyphs come from Noto Sans CJK (Debian `fonts-noto-cjk`, installed by
`.ci/run`), found by name in the TrueType collection, embedded as a subset in the PDF.
ZPL: printers carry no Chinese font by default and a downloaded TTF is printer-specific
and megabytes large, so Chinese lines are sent as 1-bit bitmaps (`^GFA`) rendered with the
same font by Pillow; numbers and the masked phone stay ZPL text (`^A0`) and the barcode and
QR code are the printer's own (`^BC` Code 128, `^BQ`).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from baomi.core.fonts import cjk_font

from .privacy import label_address, label_name, label_phone


@dataclass(frozen=True)
class Label:
    waybill_no: str
    outlet: str
    recipient_name: str
    recipient_phone: str
    recipient_address: str
    sender_name: str
    sender_phone: str
    item: str
    scan_url: str

    def lines(self) -> list[tuple[str, str]]:
        return [
            ("收", f"{self.recipient_name}  {self.recipient_phone}"),
            ("址", self.recipient_address),
            ("寄", f"{self.sender_name}  {self.sender_phone}"),
            ("物", self.item),
        ]


def label_for(view: Any, waybill_no: str, outlet: str, scan_url: str) -> Label:
    """The label's text from the gate's view of the shipment, masked by the label profile."""
    f = view.fields
    return Label(
        waybill_no=waybill_no,
        outlet=outlet,
        recipient_name=label_name(f.get("recipient_name")),
        recipient_phone=label_phone(f.get("recipient_phone")),
        recipient_address=label_address(f.get("recipient_address")),
        sender_name=label_name(f.get("sender_name")),
        sender_phone=label_phone(f.get("sender_phone")),
        item=str(f.get("item_type") or "—"),
        scan_url=scan_url,
    )


def _qr_png(data: str, scale: int = 4) -> bytes:
    import segno

    out = io.BytesIO()
    segno.make(data, error="m").save(out, kind="png", scale=scale, border=1)
    return out.getvalue()


def pdf(label: Label) -> bytes:
    """A 100 × 150 mm label (the common e-waybill size)."""
    from fpdf import FPDF

    path, index = cjk_font()
    doc = FPDF(unit="mm", format=(100, 150))
    doc.set_auto_page_break(False)
    doc.set_margins(5, 5, 5)
    doc.add_font("cjk", fname=path, collection_font_number=index)
    doc.set_creator("baomi")
    doc.set_title(f"运单 {label.waybill_no}")
    doc.add_page()
    doc.set_font("cjk", size=9)
    doc.cell(0, 5, f"{label.outlet}  隐私面单", new_x="LMARGIN", new_y="NEXT")
    doc.code39(f"*{label.waybill_no}*", x=6, y=12, w=0.25, h=14)
    doc.set_xy(5, 27)
    doc.set_font("cjk", size=13)
    doc.cell(0, 7, f"运单号 {label.waybill_no}", new_x="LMARGIN", new_y="NEXT")
    doc.line(5, 35, 95, 35)
    doc.set_y(37)
    for tag, text in label.lines():
        doc.set_font("cjk", size=14 if tag in ("收", "址") else 10)
        doc.cell(8, 7, tag)
        doc.multi_cell(82, 7, text, new_x="LMARGIN", new_y="NEXT")
        doc.ln(1)
    doc.image(io.BytesIO(_qr_png(label.scan_url)), x=62, y=112, w=33, h=33)
    doc.set_font("cjk", size=7)
    doc.set_xy(5, 128)
    doc.multi_cell(
        55,
        4,
        "收件人信息已按 GB/T 41833-2022 隐藏；扫码仅限授权人员查看。派送请拨隐私号。",
    )
    return bytes(doc.output())


def _bitmap(text: str, size: int = 30) -> tuple[int, int, str]:
    """(bytes per row, total bytes, hex) of `text` as a 1-bit image for ZPL `^GFA`."""
    from PIL import Image, ImageDraw, ImageFont

    path, index = cjk_font()
    font = ImageFont.truetype(path, size, index=index)
    left, top, right, bottom = (int(v) for v in font.getbbox(text))
    width, height = max(8, right - left + 4), max(8, bottom - top + 4)
    img = Image.new("1", (width, height), 1)
    ImageDraw.Draw(img).text((2 - left, 2 - top), text, font=font, fill=0)
    row = (width + 7) // 8
    data = bytearray()
    px = img.load()
    assert px is not None
    for y in range(height):
        for bx in range(row):
            byte = 0
            for bit in range(8):
                x = bx * 8 + bit
                if x < width and px[x, y] == 0:
                    byte |= 0x80 >> bit
            data.append(byte)
    return row, len(data), data.hex().upper()


def zpl_bitmap_field(text: str, x: int, y: int, size: int = 30) -> str:
    row, total, hexdata = _bitmap(text, size)
    return f"^FO{x},{y}^GFA,{total},{total},{row},{hexdata}^FS"


def zpl(label: Label) -> str:
    """ZPL II for a 4 × 6 inch label at 203 dpi."""
    parts = [
        "^XA",
        "^CI28",
        "^PW812",
        "^LL1218",
        "^FX baomi privacy waybill label (GB/T 41833-2022)^FS",
        f"^FO40,30^BY3^BCN,140,Y,N,N^FD{label.waybill_no}^FS",
        zpl_bitmap_field(label.outlet + " 隐私面单", 40, 210, 26),
        zpl_bitmap_field("收 " + label.recipient_name, 40, 270, 44),
        f"^FO420,280^A0N,40,40^FD{label.recipient_phone}^FS",
        zpl_bitmap_field("址 " + label.recipient_address[:24], 40, 340, 36),
        zpl_bitmap_field("   " + label.recipient_address[24:48], 40, 390, 36)
        if len(label.recipient_address) > 24
        else "",
        zpl_bitmap_field("寄 " + label.sender_name, 40, 460, 30),
        f"^FO420,465^A0N,30,30^FD{label.sender_phone}^FS",
        zpl_bitmap_field("物 " + label.item, 40, 520, 30),
        f"^FO560,900^BQN,2,6^FDMA,{label.scan_url}^FS",
        "^XZ",
    ]
    return "\n".join(p for p in parts if p) + "\n"
