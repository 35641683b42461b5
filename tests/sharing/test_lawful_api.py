"""Lawful requests through the API (R-G1): two approvals (privacy_officer and legal, neither
the requester nor the handler), a read of exactly the scope under `legal_request` within the
window, every read listed on the request, refusal and outcome recorded, transparency counts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from baomi.audit.models import AuditEvent
from baomi.core import clock

from .conftest import local_today

pytestmark = pytest.mark.django_db


def body(customer_ids: list[str], handler_id: int, **over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "authority_type": "public_security",
        "authority_name": "某市公安局某分局",
        "officers": [
            {"name": "王警官", "badge_no": "012345"},
            {"name": "李警官", "badge_no": "012346"},
        ],
        "document_type": "调取证据通知书",
        "document_no": "某公（刑）调证字〔2026〕118号",
        "legal_basis": "《中华人民共和国刑事诉讼法》第五十四条",
        "customer_ids": customer_ids,
        "fields": ["customer.name", "customer.id_number", "stay.check_in"],
        "deadline": (local_today() + dt.timedelta(days=5)).isoformat(),
        "handler_id": handler_id,
    }
    data.update(over)
    return data


def _me(c: Any, h: dict[str, str]) -> int:
    from baomi.access.models import ApiToken

    token = h["Authorization"].split()[1]
    import hashlib

    return ApiToken.objects.get(digest=hashlib.sha256(token.encode()).hexdigest()).staff_id


@pytest.fixture
def desk(api_client: Any, make_customer: Any) -> Any:
    legal_c, legal_h = api_client("legal")  # requester
    handler_c, handler_h = api_client("legal")  # the named handler
    po_c, po_h = api_client("privacy_officer")
    legal2_c, legal2_h = api_client("legal")
    a, b, other = make_customer(), make_customer(), make_customer()
    return {
        "requester": (legal_c, legal_h),
        "handler": (handler_c, handler_h, _me(handler_c, handler_h)),
        "po": (po_c, po_h),
        "legal2": (legal2_c, legal2_h),
        "scope": [str(a.id), str(b.id)],
        "other": str(other.id),
    }


def _post(c: Any, h: dict[str, str], url: str, data: dict[str, Any]) -> Any:
    return c.post(url, data, content_type="application/json", headers=h)


def test_no_read_before_two_approvals_then_exactly_the_scope(desk: Any) -> None:
    rc, rh = desk["requester"]
    hc, hh, handler_id = desk["handler"]
    r = _post(rc, rh, "/api/v1/lawful-requests", body(desk["scope"], handler_id))
    assert r.status_code == 201, r.content
    rid = r.json()["id"]
    scope_url = f"/api/v1/lawful-requests/{rid}/scope"
    # before any approval: refused, audited; the gate refuses legal_request reads too
    r = hc.get(scope_url, headers=hh)
    assert r.status_code == 409 and r.json()["code"] == "not_approved"
    r = hc.get(
        f"/api/v1/customers/{desk['scope'][0]}", headers={**hh, "X-Purpose": "legal_request"}
    )
    assert r.status_code == 403
    # the requester and the handler cannot approve; a second legal officer can
    r = _post(rc, rh, f"/api/v1/lawful-requests/{rid}/decision", {"approve": True})
    assert r.status_code == 403 and r.json()["code"] == "four_eyes"
    r = _post(hc, hh, f"/api/v1/lawful-requests/{rid}/decision", {"approve": True})
    assert r.status_code == 403 and r.json()["code"] == "four_eyes"
    lc, lh = desk["legal2"]
    r = _post(lc, lh, f"/api/v1/lawful-requests/{rid}/decision", {"approve": True})
    assert r.status_code == 200 and r.json()["state"] == "pending"
    r = _post(lc, lh, f"/api/v1/lawful-requests/{rid}/decision", {"approve": True})
    assert r.status_code == 409 and r.json()["code"] == "already_decided"
    assert hc.get(scope_url, headers=hh).status_code == 409  # one approval is not enough
    pc, ph = desk["po"]
    r = _post(
        pc, ph, f"/api/v1/lawful-requests/{rid}/decision", {"approve": True, "note": "手续齐全"}
    )
    assert r.status_code == 200 and r.json()["state"] == "approved" and r.json()["window_open"]
    # the handler reads exactly the scope: the named fields, nothing else
    r = hc.get(scope_url, headers=hh)
    assert r.status_code == 200, r.content
    rows = r.json()
    assert sorted(x["customer_id"] for x in rows) == sorted(desk["scope"])
    assert set(rows[0]["customer"]) == {"name", "id_number"} and rows[0]["customer"]["name"]
    # through the customer API too: in scope plain for the scope's fields, phone withheld
    r = hc.get(
        f"/api/v1/customers/{desk['scope'][0]}", headers={**hh, "X-Purpose": "legal_request"}
    )
    assert r.status_code == 200
    assert r.json()["name"] and "phone" in r.json()["withheld"]
    # outside the scope: refused at the gate, audited
    r = hc.get(f"/api/v1/customers/{desk['other']}", headers={**hh, "X-Purpose": "legal_request"})
    assert r.status_code == 403 and r.json()["code"] == "outside_grant"
    # another legal officer has no grant at all
    r = lc.get(
        f"/api/v1/customers/{desk['scope'][0]}", headers={**lh, "X-Purpose": "legal_request"}
    )
    assert r.status_code == 403
    # everything read is listed on the request
    r = rc.get(f"/api/v1/lawful-requests/{rid}", headers=rh)
    reads = r.json()["reads"]
    assert {x["customer_id"] for x in reads} == set(desk["scope"])
    assert all(x["in_scope"] for x in reads)
    assert {"name", "id_number"} <= set(reads[0]["fields"]) and "phone" not in reads[0]["fields"]
    events = AuditEvent.objects.filter(action="customer.read", purpose="legal_request")
    assert {e.detail.get("grant") for e in events} == {f"lawful_request:{rid}"}


def test_window_closes_and_outcome_is_recorded(desk: Any, monkeypatch: Any) -> None:
    rc, rh = desk["requester"]
    hc, hh, handler_id = desk["handler"]
    rid = _post(rc, rh, "/api/v1/lawful-requests", body(desk["scope"], handler_id)).json()["id"]
    for who in ("legal2", "po"):
        c, h = desk[who]
        assert (
            _post(c, h, f"/api/v1/lawful-requests/{rid}/decision", {"approve": True}).status_code
            == 200
        )
    # a week later (past the deadline day) — the API token would have expired, so the
    # services are called as the API calls them
    from baomi.access.models import Staff
    from baomi.core.errors import Conflict, Forbidden
    from baomi.customers import gate
    from baomi.sharing.services import lawful

    handler = Staff.objects.get(pk=handler_id)
    later = clock.now() + dt.timedelta(days=7)
    monkeypatch.setattr(clock, "now", lambda: later)
    with pytest.raises(Conflict) as err:
        lawful.read_scope(handler, rid)
    assert err.value.code == "window_closed"
    with pytest.raises(Forbidden):
        gate.access_customer(handler, "legal_request", desk["scope"][0])
    monkeypatch.undo()
    r = _post(
        hc,
        hh,
        f"/api/v1/lawful-requests/{rid}/outcome",
        {
            "outcome": "partial",
            "reason": "入住记录超出文书所列期间，未提供",
            "delivery": "encrypted_package",
        },
    )
    assert r.status_code == 200 and r.json()["state"] == "partial"
    assert hc.get(f"/api/v1/lawful-requests/{rid}/scope", headers=hh).status_code == 409
    assert AuditEvent.objects.filter(action="sharing.lawful_denied").count() >= 1


def test_rejection_and_transparency(desk: Any, api_client: Any) -> None:
    rc, rh = desk["requester"]
    _, _, handler_id = desk["handler"]
    rid = _post(rc, rh, "/api/v1/lawful-requests", body(desk["scope"], handler_id)).json()["id"]
    pc, ph = desk["po"]
    r = _post(pc, ph, f"/api/v1/lawful-requests/{rid}/decision", {"approve": False})
    assert r.status_code == 422  # a rejection says why
    r = _post(
        pc,
        ph,
        f"/api/v1/lawful-requests/{rid}/decision",
        {"approve": False, "note": "文书未加盖公章"},
    )
    assert r.json()["state"] == "rejected"
    r = _post(
        rc,
        rh,
        "/api/v1/lawful-requests",
        body(desk["scope"], handler_id, authority_type="state_security"),
    )
    rid2 = r.json()["id"]
    r = _post(
        rc,
        rh,
        f"/api/v1/lawful-requests/{rid2}/outcome",
        {"outcome": "refused", "reason": "超出管辖范围"},
    )
    assert r.json()["state"] == "refused" and r.json()["delivery"] == "none"
    mc, mh = api_client("manager")
    r = mc.get(f"/api/v1/lawful-requests/transparency?year={local_today().year}", headers=mh)
    assert r.status_code == 200
    report = r.json()
    assert report["by_authority"] == {
        "public_security": {"rejected": 1},
        "state_security": {"refused": 1},
    }
    assert "document_no" not in str(report) and desk["scope"][0] not in str(report)


def test_registration_needs_two_officers_and_a_valid_handler(desk: Any) -> None:
    rc, rh = desk["requester"]
    _, _, handler_id = desk["handler"]
    r = _post(
        rc,
        rh,
        "/api/v1/lawful-requests",
        body(desk["scope"], handler_id, officers=[{"name": "王警官", "badge_no": "1"}]),
    )
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "two_officers_required"
    r = _post(rc, rh, "/api/v1/lawful-requests", body(desk["scope"], 999999))
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "handler_invalid"


def test_scoped_export_opens_with_the_authority_key_only(desk: Any) -> None:
    import json

    import pyrage
    from pyrage import x25519

    rc, rh = desk["requester"]
    hc, hh, handler_id = desk["handler"]
    rid = _post(rc, rh, "/api/v1/lawful-requests", body(desk["scope"], handler_id)).json()["id"]
    key = x25519.Identity.generate()
    url = f"/api/v1/lawful-requests/{rid}/export"
    r = _post(hc, hh, url, {"public_key": str(key.to_public())})
    assert r.status_code == 409 and r.json()["code"] == "not_approved"
    for who in ("legal2", "po"):
        c, h = desk[who]
        _post(c, h, f"/api/v1/lawful-requests/{rid}/decision", {"approve": True})
    lc, lh = desk["legal2"]  # not the handler
    assert _post(lc, lh, url, {"public_key": str(key.to_public())}).status_code == 403
    r = _post(hc, hh, url, {"public_key": str(key.to_public())})
    assert r.status_code == 200
    doc = json.loads(pyrage.decrypt(r.content, [key]))
    assert sorted(x["customer_id"] for x in doc["records"]) == sorted(desk["scope"])
    assert doc["manifest"]["count"] == 2
    with pytest.raises(pyrage.DecryptError):
        pyrage.decrypt(r.content, [x25519.Identity.generate()])
    ev = AuditEvent.objects.get(action="sharing.lawful_exported")
    assert ev.detail["package_sha256"] == r["X-Package-SHA256"]
