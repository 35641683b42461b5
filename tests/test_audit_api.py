"""/api/v1/audit: events (security_auditor only, metadata only, filters, paging), the
signed checkpoint, RFC 6962 proofs that verify with our own verifier, alerts, and
problem+json errors."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from baomi.audit import checkpoints, merkle
from baomi.audit.models import Action, Alert, AuditEvent
from baomi.customers import gate

pytestmark = pytest.mark.django_db
CANARY = {"name": "甄金丝雀", "phone": "13912345678", "email": "canary.bird@example.com"}


def _h(h: dict[str, str]) -> dict[str, str]:
    return dict(h)


@pytest.fixture
def auditor(api_client: Any) -> tuple[Any, dict[str, str]]:
    return api_client("security_auditor")


def _problem(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.content
    assert r["Content-Type"].startswith("application/problem+json")
    body = r.json()
    assert {"type", "title", "status", "detail", "code"} <= body.keys()
    return body


def test_only_the_security_auditor_lists_events(api_client: Any) -> None:
    for role in ("front_desk", "privacy_officer", "security_admin", "system_admin"):
        c, h = api_client(role)
        body = _problem(c.get("/api/v1/audit/events", headers=h), 403)
        assert body["code"] == "role_required"
    c, _ = api_client("security_auditor")
    _problem(c.get("/api/v1/audit/events"), 401)
    denied = AuditEvent.objects.filter(action=Action.ACCESS_DENIED, object_type="audit_log")
    assert denied.count() == 4 and all(e.outcome == "denied" for e in denied)


def test_events_show_metadata_never_customer_values(
    auditor: Any, make_customer: Any, make_staff: Any
) -> None:
    c, h = auditor
    customer = make_customer(**CANARY)
    desk = make_staff("front_desk")
    gate.access_customer(desk, "reception", customer.id)
    r = c.get(f"/api/v1/audit/events?customer={customer.id}", headers=h)
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["total"] == 2 and {e["action"] for e in body["items"]} == {
        "customer.created",
        "customer.read",
    }
    read = next(e for e in body["items"] if e["action"] == "customer.read")
    assert read["actor_username"] == desk.username and read["purpose"] == "reception"
    assert read["fields"]["name"] == "plain"  # the treatment, not the name
    text = r.content.decode()
    for value in CANARY.values():
        assert value not in text
    # the auditor's own search is logged too
    ev = AuditEvent.objects.filter(action=Action.AUDIT_SEARCHED).latest("seq")
    assert ev.object_id == str(customer.id) and ev.detail["results"] == 2


def test_event_filters_and_paging(auditor: Any, make_staff: Any) -> None:
    from baomi import audit

    c, h = auditor
    desk = make_staff("front_desk")
    for i in range(25):
        audit.record(Action.CUSTOMER_READ, desk, object_type="customer", object_id=f"c{i}")
    audit.record(
        Action.ACCESS_DENIED, desk, object_type="customer", object_id="c1", outcome="denied"
    )
    base = "/api/v1/audit/events"
    r = c.get(f"{base}?actor={desk.username}&action=customer.read&page_size=10&page=3", headers=h)
    body = r.json()
    assert body["total"] == 25 and body["pages"] == 3 and len(body["items"]) == 5
    assert body["items"][0]["seq"] > body["items"][-1]["seq"]  # newest first
    assert c.get(f"{base}?actor={desk.pk}&outcome=denied", headers=h).json()["total"] == 1
    assert c.get(f"{base}?action=access.*", headers=h).json()["total"] == 1
    assert c.get(f"{base}?since=2999-01-01T00:00:00Z", headers=h).json()["total"] == 0
    _problem(c.get(f"{base}?since=yesterday", headers=h), 422)


def test_event_list_query_count_is_flat(auditor: Any, make_staff: Any) -> None:
    from baomi import audit

    c, h = auditor
    desk = make_staff("front_desk")
    c.get("/api/v1/audit/events", headers=h)  # warm-up: token bookkeeping on first use
    counts = []
    for n in (5, 40):
        for i in range(n):
            audit.record(Action.CUSTOMER_READ, desk, object_type="customer", object_id=f"x{i}")
        with CaptureQueriesContext(connection) as ctx:
            assert c.get("/api/v1/audit/events?page_size=100", headers=h).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], (counts, [q["sql"][:90] for q in ctx.captured_queries])


def test_checkpoint_endpoint(api_client: Any, make_staff: Any, settings: Any) -> None:
    settings.BAOMI_AUDIT_CHECKPOINT_SECONDS = 0  # no automatic checkpoint: none exists yet
    c, h = api_client("front_desk")
    _problem(c.get("/api/v1/audit/checkpoint", headers=h), 404)
    cp = checkpoints.make_checkpoint()
    body = c.get("/api/v1/audit/checkpoint", headers=h).json()
    assert body["tree_size"] == cp.tree_size and body["root_hash"] == bytes(cp.root_hash).hex()
    note = checkpoints.verify_note(body["text"], body["verifier_key"])
    assert note.tree_size == cp.tree_size


def test_proof_endpoint_verifies_with_our_verifier(api_client: Any) -> None:
    from baomi import audit

    c, h = api_client("finance")
    for i in range(20):
        audit.record(Action.CUSTOMER_READ, None, object_id=f"p{i}")
    total = AuditEvent.objects.count()
    for seq, size in ((1, None), (7, 13), (total, total), (13, 13)):
        url = f"/api/v1/audit/proof/{seq}" + (f"?tree_size={size}" if size else "")
        p = c.get(url, headers=h).json()
        assert p["leaf_index"] == seq - 1 and p["tree_size"] == (size or total)
        merkle.verify_inclusion(
            p["leaf_index"],
            p["tree_size"],
            bytes.fromhex(p["leaf_hash"]),
            [bytes.fromhex(x) for x in p["proof"]],
            bytes.fromhex(p["root_hash"]),
        )
    q = c.get("/api/v1/audit/consistency?first=5&second=17", headers=h).json()
    merkle.verify_consistency(
        5,
        17,
        [bytes.fromhex(x) for x in q["proof"]],
        bytes.fromhex(q["first_root"]),
        bytes.fromhex(q["second_root"]),
    )
    assert _problem(c.get("/api/v1/audit/proof/0", headers=h), 404)["code"] == ("proof_unavailable")
    _problem(c.get(f"/api/v1/audit/proof/{total + 5}", headers=h), 404)
    _problem(c.get("/api/v1/audit/proof/5?tree_size=3", headers=h), 404)
    _problem(c.get("/api/v1/audit/proof/abc", headers=h), 422)


def test_alert_queue_and_transitions(auditor: Any, api_client: Any) -> None:
    from baomi.audit import monitoring

    c, h = auditor
    [alert] = monitoring.raise_alerts(
        [monitoring.Finding("watched_action", "high", "k1", "test alert", first_seq=1)]
    )
    body = c.get("/api/v1/audit/alerts?state=open", headers=h).json()
    assert body["total"] == 1 and body["items"][0]["summary"] == "test alert"
    url = f"/api/v1/audit/alerts/{alert.pk}/transition"
    r = c.post(url, {"to": "closed"}, content_type="application/json", headers=h)
    assert _problem(r, 422)["errors"][0]["field"] == "note"
    r = c.post(url, {"to": "investigating"}, content_type="application/json", headers=h)
    assert r.status_code == 200 and r.json()["state"] == "investigating"
    r = c.post(
        url, {"to": "closed", "note": "known batch job"}, content_type="application/json", headers=h
    )
    assert r.json()["state"] == "closed" and r.json()["closed_note"] == "known batch job"
    ev = AuditEvent.objects.filter(action=Action.ALERT_TRANSITIONED).order_by("seq")
    assert [e.detail["to"] for e in ev] == ["investigating", "closed"]
    desk, dh = api_client("front_desk")
    _problem(desk.get("/api/v1/audit/alerts", headers=dh), 403)
    _problem(desk.post(url, {"to": "open"}, content_type="application/json", headers=dh), 403)
    assert Alert.objects.get().state == "closed"


def test_openapi_lists_the_audit_endpoints(client: Any) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for p in (
        "/api/v1/audit/events",
        "/api/v1/audit/checkpoint",
        "/api/v1/audit/proof/{seq}",
        "/api/v1/audit/consistency",
    ):
        assert p in paths
