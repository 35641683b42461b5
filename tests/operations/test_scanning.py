"""Scanned QR payloads → the booking reference (issue #17 §1; R-A5, R-A6): a table of the
payloads a keyboard-wedge or phone scanner types at a counter, each with the reference it
must yield (or None), then the same through the console's 查单号 box and the API."""

from __future__ import annotations

import json
from typing import Any

import pytest

from baomi.operations.services.scanning import looks_scanned, read, reference_of

REF = "BK3F9A12C0DE"

PAYLOADS: list[tuple[str, str | None, str | None]] = [
    # (payload, reference, shape)
    (REF, REF, "plain"),
    ("bk3f9a12c0de", REF, "plain"),
    (f"  {REF}\r\n", REF, "plain"),
    (f"{REF}\t", REF, "plain"),
    (f"]Q1{REF}", REF, "plain"),  # AIM symbology identifier of a QR code
    ("ＢＫ３Ｆ９Ａ１２Ｃ０ＤＥ", REF, "plain"),  # full width, from a Chinese input method
    (f'"{REF}"', REF, "plain"),
    ("ST0A1B2C3D4E", "ST0A1B2C3D4E", "plain"),  # a stay reference
    ("BM202612070001", "BM202612070001", "plain"),  # a waybill number
    (f"https://trip.example.cn/e-ticket?ref={REF}&lang=zh", REF, "url"),
    (f"https://m.example.com/t?booking={REF}", REF, "url"),
    (f"https://m.example.com/t?order={REF}", REF, "url"),
    (f"https://m.example.com/t?lang=zh&Booking_Ref={REF}", REF, "url"),
    (f"https://h5.example.cn/#/order?orderNo={REF}", REF, "url"),  # SPA hash route
    (f"pages/order/detail?orderNo={REF}", REF, "url"),  # WeChat mini-program path
    (f"https://wx.example.cn/qr?scene=ref%3D{REF}", REF, "url"),  # WeChat scene
    (f"weixin://dl/business/?t=x&ref={REF}", REF, "url"),
    (json.dumps({"ref": REF}), REF, "json"),
    (json.dumps({"type": "eticket", "booking_ref": REF}), REF, "json"),
    (json.dumps({"orderNo": REF, "amount": 1280}), REF, "json"),
    (json.dumps({"v": 1, "data": {"reference": REF}}), REF, "json"),
    (json.dumps({"order": {"id": REF}}), None, None),  # "id" alone is no reference key
    (json.dumps({"order": {"order_no": REF}}), REF, "json"),
    (json.dumps({"name": "王小明", "phone": "13812345678"}), None, None),
    ("https://example.com/?q=hello", None, None),
    ("https://example.com/t?ref=<script>", None, None),
    ("{not json", None, None),
    ("[1, 2]", None, None),
    ("", None, None),
    ("   ", None, None),
    ("BK 3F9A", None, None),  # a space inside: not a reference
    ("王小明", None, None),
    ("X" * 40, None, None),
    ("?" * 3000, None, None),  # longer than any QR code
]


@pytest.mark.parametrize(("payload", "reference", "shape"), PAYLOADS)
def test_payload_table(payload: str, reference: str | None, shape: str | None) -> None:
    scan = read(payload)
    assert (scan.reference if scan else None) == reference
    assert (scan.shape if scan else None) == shape
    assert reference_of(payload) == reference


def test_non_text_is_no_scan() -> None:
    assert read(None) is None and read(12345) is None


def test_looks_scanned() -> None:
    assert looks_scanned("https://x.cn/?a=1") and looks_scanned('{"a":1}')
    assert not looks_scanned(REF)


@pytest.fixture
def booking(make_customer: Any, make_staff: Any) -> Any:
    from baomi.customers import services as customers

    desk = make_staff("front_desk")
    guest = make_customer()
    data = {"product": "黄山三日游", "destination": "黄山", "start_date": "2026-12-20"}
    return customers.add_record(desk, "reception", guest.id, "booking", data, reference=REF)


def test_console_find_takes_a_scanned_link(staff_client: Any, booking: Any) -> None:
    c, _ = staff_client("front_desk", "reception")
    r = c.post("/ops/find/", {"ref": f"https://trip.example.cn/e-ticket?ref={REF.lower()}\n"})
    assert r.status_code == 302 and r["Location"].endswith(f"/ops/bookings/{booking.pk}/")
    r = c.post("/ops/find/", {"ref": json.dumps({"booking_ref": REF})})
    assert r.status_code == 302
    r = c.post("/ops/find/", {"ref": "https://example.com/?q=hello"})
    page = r.content.decode()
    assert r.status_code == 422 and 'data-testid="scan-unreadable"' in page
    assert "扫码内容中没有找到单号" in page


def test_api_find_by_reference_or_scan(api_client: Any, booking: Any) -> None:
    c, h = api_client("front_desk", "reception")
    r = c.post(
        "/api/v1/find",
        {"scan": f"pages/order/detail?orderNo={REF}"},
        content_type="application/json",
        headers=h,
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["reference"] == REF and body["shape"] == "url"
    assert body["found"] == [
        {
            "entity": "booking",
            "id": str(booking.pk),
            "customer_id": str(booking.customer_id),
            "reference": REF,
        }
    ]
    r = c.post("/api/v1/find", {"ref": REF}, content_type="application/json", headers=h)
    assert r.json()["found"][0]["id"] == str(booking.pk)
    r = c.post(
        "/api/v1/find", {"scan": '{"name": "x"}'}, content_type="application/json", headers=h
    )
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "scan_unreadable"
    r = c.post("/api/v1/find", {}, content_type="application/json", headers=h)
    assert r.status_code == 422
    r = c.post(
        "/api/v1/find",
        {"ref": REF},
        content_type="application/json",
        headers={"Authorization": h["Authorization"]},
    )
    assert r.status_code == 400  # no purpose
