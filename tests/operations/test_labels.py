"""Privacy labels (隐私面单, issue #17 §3; R-M2, R-M3): a test reads the rendered PDF and ZPL
and finds no unmasked name or phone — names keep their first character, phones hide at
least 6 digits, the address hides unit and room — while the waybill number, the masked
values and the outlet are there. Printing is audited."""

from __future__ import annotations

import io
from typing import Any

import pytest

from baomi.audit.models import AuditEvent

from .test_courier import _courier, _issue, _ship

RECIPIENT = {
    "recipient_name": "欧阳小明",
    "recipient_phone": "13912345678",
    "recipient_address": "上海市静安区南京西路100号3单元502室",
    "sender_name": "李四",
    "sender_phone": "13800138000",
}


def _label(api_client: Any, post: Any, make_customer: Any, fmt: str) -> tuple[bytes, str]:
    _issue(api_client, 600000000001, 5)
    c, h, _ = _courier(api_client, post)
    customer = make_customer()
    r = _ship(c, h, customer.id, **RECIPIENT)
    sid, no = r.json()["id"], r.json()["reference"]
    r = c.get(f"/api/v1/shipments/{sid}/label?format={fmt}", headers=h)
    assert r.status_code == 200, r.content[:500]
    assert f"waybill-{no}.{fmt}" in r["Content-Disposition"]
    return r.content, no


def test_r_m2_pdf_label_holds_no_unmasked_name_or_phone(
    api_client: Any, sites: Any, post: Any, make_customer: Any
) -> None:
    from pypdf import PdfReader

    body, no = _label(api_client, post, make_customer, "pdf")
    assert body.startswith(b"%PDF")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(body)).pages)
    compact = text.replace("\x00", "").replace(" ", "").replace("\n", "")
    assert no in compact
    assert "139******78" in compact and "138******00" in compact
    assert "欧***" in compact and "李*" in compact
    assert "南京西路100号*单元*室" in compact
    for plain in ("13912345678", "13800138000", "欧阳小明", "李四", "502", "3单元"):
        assert plain not in compact, plain
    assert "隐私面单" in compact  # Chinese glyphs embedded and extractable
    ev = AuditEvent.objects.get(action="waybill.label_printed")
    assert ev.detail == {"format": "pdf"}


def test_r_m2_zpl_label_holds_no_unmasked_name_or_phone(
    api_client: Any, sites: Any, post: Any, make_customer: Any
) -> None:
    from baomi.operations.labels import zpl_bitmap_field

    body, no = _label(api_client, post, make_customer, "zpl")
    text = body.decode()
    assert text.startswith("^XA") and text.rstrip().endswith("^XZ")
    assert f"^FD{no}^FS" in text
    assert "^FD139******78^FS" in text and "13912345678" not in text
    assert "13800138000" not in text
    # the Chinese lines are bitmaps: the masked name's bitmap is there, the plain one's not
    assert zpl_bitmap_field("收 欧***", 40, 270, 44) in text
    assert zpl_bitmap_field("收 欧阳小明", 40, 270, 44) not in text


def test_label_refused_outside_the_courier_duty(
    api_client: Any, sites: Any, post: Any, make_customer: Any
) -> None:
    _issue(api_client, 610000000001, 2)
    c, h, _ = _courier(api_client, post)
    sid = _ship(c, h, make_customer().id).json()["id"]
    d, dh = api_client("front_desk", "reception")
    assert d.get(f"/api/v1/shipments/{sid}/label", headers=dh).status_code == 403
    assert c.get(f"/api/v1/shipments/{sid}/label?format=doc", headers=h).status_code == 422
    r = c.get("/api/v1/shipments/00000000-0000-0000-0000-000000000000/label", headers=h)
    assert r.status_code == 404


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("+8613912345678", "139******78"),
        ("13800138000", "138******00"),
        ("+44207946000", "442******00"),
    ],
)
def test_label_phone_hides_at_least_six_digits(value: str, shown: str) -> None:
    from baomi.operations.privacy import label_phone

    assert label_phone(value) == shown
    assert label_phone(value).count("*") >= 6
