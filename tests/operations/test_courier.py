"""The courier outlet (issue #17 §3; R-M1, R-M2, R-M3): blank waybill ranges issued to an
outlet, shipments numbered from the register (not at random), every number accounted for
(issued → used → delivered / voided / lost), scans by stage, the courier's delivery with
proof — the parcel shown with masked name and phone, full address and a relay number."""

from __future__ import annotations

from typing import Any

from baomi.audit.models import AuditEvent

from .test_front_desk import _staff_of


def _courier(api_client: Any, post: Any, site: str = "O1") -> tuple[Any, dict[str, str], Any]:
    c, h = api_client("courier", "delivery")
    staff = _staff_of(h)
    post(staff, site)
    return c, h, staff


def _issue(api_client: Any, start: int, count: int, outlet: str = "O1") -> Any:
    c, h = api_client("manager")
    return c.post(
        "/api/v1/waybill-ranges",
        {"outlet": outlet, "start": start, "count": count},
        content_type="application/json",
        headers=h,
    )


def _ship(c: Any, h: dict[str, str], cid: Any, **over: Any) -> Any:
    body = {
        "customer_id": str(cid),
        "sender_name": "李四",
        "sender_phone": "13800138000",
        "recipient_name": "王小明",
        "recipient_phone": "13912345678",
        "recipient_address": "上海市静安区南京西路100号3单元502室",
        "item_type": "文件",
        **over,
    }
    return c.post("/api/v1/shipments", body, content_type="application/json", headers=h)


def test_r_m1_every_number_of_a_range_is_accounted_for(
    api_client: Any, sites: Any, post: Any, make_customer: Any
) -> None:
    r = _issue(api_client, 880000000001, 5)
    assert r.status_code == 201, r.content
    assert r.json()["counts"]["issued"] == 5 and r.json()["end"] == "880000000005"
    assert _issue(api_client, 880000000005, 3).json()["code"] == "range_overlaps"
    assert _issue(api_client, 1, 0).status_code == 422
    c, h, _ = _courier(api_client, post)
    customer = make_customer()
    nos = [_ship(c, h, customer.id).json()["reference"] for _ in range(3)]
    assert nos == ["880000000001", "880000000002", "880000000003"]  # from the register
    r = c.post(
        "/api/v1/waybills/880000000004/void",
        {"reason": "spoilt"},
        content_type="application/json",
        headers=h,
    )
    assert r.status_code == 200 and r.json()["state"] == "voided"
    r = c.post(
        "/api/v1/waybills/880000000002/lost",
        {"reason": "parcel_lost"},
        content_type="application/json",
        headers=h,
    )
    assert r.json()["state"] == "lost"
    r = c.post(
        "/api/v1/waybills/880000000004/void",
        {"reason": "spoilt"},
        content_type="application/json",
        headers=h,
    )
    assert r.status_code == 409
    r = c.post(
        "/api/v1/waybills/880000000005/void",
        {"reason": "because"},
        content_type="application/json",
        headers=h,
    )
    assert r.status_code == 422
    assert _ship(c, h, customer.id).json()["reference"] == "880000000005"
    assert _ship(c, h, customer.id).json()["code"] == "no_blank_waybills"
    reg = c.get("/api/v1/waybill-ranges", headers=h).json()
    assert len(reg) == 1
    counts = reg[0]["counts"]
    assert sum(counts.values()) == 5
    assert counts == {"issued": 0, "used": 3, "delivered": 0, "voided": 1, "lost": 1}
    for action in ("waybill.range_issued", "waybill.used", "waybill.voided", "waybill.lost"):
        assert AuditEvent.objects.filter(action=action).exists(), action


def test_r_m1_gaps_are_flagged(api_client: Any, sites: Any, post: Any, make_customer: Any) -> None:
    from baomi.operations import selectors
    from baomi.operations.models import Waybill

    _issue(api_client, 100, 10)
    c, h, _ = _courier(api_client, post)
    customer = make_customer()
    _ship(c, h, customer.id)
    assert Waybill.objects.get(no="100").state == "used"
    assert selectors.register()[0].gaps == []
    # a pre-printed form used out of order leaves blanks below it: flagged, to be explained
    r = _ship(c, h, customer.id, waybill_no="104")
    assert r.json()["reference"] == "104"
    assert selectors.register()[0].gaps == ["101", "102", "103"]
    assert _ship(c, h, customer.id, waybill_no="104").status_code == 422  # used already
    assert _ship(c, h, customer.id, waybill_no="777").status_code == 422  # not ours
    assert _ship(c, h, customer.id).json()["reference"] == "101"


def test_r_m2_delivery_on_the_courier_view(
    api_client: Any, staff_client: Any, sites: Any, post: Any, make_customer: Any
) -> None:
    _issue(api_client, 5000, 3)
    c, h, _ = _courier(api_client, post)
    customer = make_customer()
    no = _ship(c, h, customer.id).json()["reference"]
    for stage in ("pickup", "sorting", "transport"):
        r = c.post(
            f"/api/v1/waybills/{no}/scan",
            {"stage": stage, "site": "O1"},
            content_type="application/json",
            headers=h,
        )
        assert r.status_code == 200, r.content
    assert r.json()["shipment_status"] == "in_transit"
    r = c.post(
        f"/api/v1/waybills/{no}/scan",
        {"stage": "teleport", "site": "O1"},
        content_type="application/json",
        headers=h,
    )
    assert r.status_code == 422
    courier_c, courier = staff_client("courier", "delivery")
    post(courier, "O1")
    r = courier_c.post(f"/ops/waybills/{no}/scan/", {"stage": "delivery"})
    assert r.status_code == 302
    page = courier_c.get("/ops/deliveries/").content.decode()
    assert no in page
    page = courier_c.get(f"/ops/waybills/{no}/").content.decode()
    assert "王*" in page and "王小明" not in page
    assert "13912345678" not in page and "139****5678" in page
    assert "南京西路100号3单元502室" in page  # the courier's stage needs the full address
    assert "95013-" in page  # relay number
    r = courier_c.post(f"/ops/waybills/{no}/deliver/", {"proof_kind": "signature", "proof_ref": ""})
    assert r.status_code == 302
    assert "请填写签名或照片编号" in courier_c.get(r["Location"]).content.decode()
    # another courier cannot close it
    r = c.post(
        f"/api/v1/waybills/{no}/deliver",
        {"proof_kind": "photo", "proof_ref": "IMG-1"},
        content_type="application/json",
        headers=h,
    )
    assert r.status_code == 409 and r.json()["code"] == "not_your_parcel"
    r = courier_c.post(
        f"/ops/waybills/{no}/deliver/", {"proof_kind": "photo", "proof_ref": "IMG-0042"}
    )
    assert r.status_code == 302 and r["Location"].endswith("/ops/deliveries/")
    reg = c.get("/api/v1/waybill-ranges", headers=h).json()[0]["counts"]
    assert reg["delivered"] == 1 and sum(reg.values()) == 3
    read = AuditEvent.objects.filter(
        action="customer.read", object_type="shipment", actor_id=courier.pk
    )
    assert read.exists()
    assert AuditEvent.objects.filter(action="parcel.delivered").exists()


def test_courier_without_outlet_and_wrong_roles(
    api_client: Any, sites: Any, post: Any, make_customer: Any
) -> None:
    _issue(api_client, 9000, 2)
    c, h = api_client("courier", "delivery")
    customer = make_customer()
    assert _ship(c, h, customer.id).json()["code"] == "no_outlet"
    d, dh = api_client("front_desk", "reception")
    r = d.post(
        "/api/v1/waybill-ranges",
        {"outlet": "O1", "start": 1, "count": 1},
        content_type="application/json",
        headers=dh,
    )
    assert r.status_code == 403
    assert _issue(api_client, 1, 1, outlet="H1").status_code == 404


def test_label_masking_profile() -> None:
    """GB/T 41833-2022: at least 1 character of a name, 6 digits of a phone, and the unit
    and room of the address are hidden on the label."""
    from baomi.operations.privacy import label_address, label_name, label_phone

    assert label_name("王小明") == "王**"
    assert label_name("王*") == "王*"
    assert label_phone("+8613912345678") == "139******78"
    assert label_phone("139****5678") == "139******78"
    assert sum(ch == "*" for ch in label_phone("13912345678")) >= 6
    assert (
        label_address("上海市静安区南京西路100号3单元502室") == "上海市静安区南京西路100号*单元*室"
    )
    assert "502" not in label_address("Flat 502, 10 Queen St, London")


def test_r_m1_lost_waybills_indicator(api_client: Any, sites: Any, post: Any) -> None:
    c, h = api_client("manager")
    r = c.get("/api/v1/kpis", headers=h)
    row = next(k for k in r.json() if k["code"] == "operations.lost_waybills")
    assert row["value"] is None and row["reason"] == "no_waybills_issued"
    _issue(api_client, 42000, 4)
    cc, ch, _ = _courier(api_client, post)
    cc.post(
        "/api/v1/waybills/42001/lost",
        {"reason": "missing"},
        content_type="application/json",
        headers=ch,
    )
    row = next(
        k
        for k in c.get("/api/v1/kpis", headers=h).json()
        if k["code"] == "operations.lost_waybills"
    )
    assert row["value"] == 1 and row["met"] is False
