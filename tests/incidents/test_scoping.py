"""Who was affected, from the audit log (R-E1, R-H2): planted reads, exact sets, re-proof."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from baomi.access.enums import Role
from baomi.core import clock
from baomi.customers import gate
from baomi.incidents import scoping
from baomi.incidents.models import Scope, ScopeMember


def _read(actor: Any, purpose: str, customers: list[Any], when: datetime, at_time: Any) -> None:
    at_time(when)
    for c in customers:
        gate.access_customer(actor, purpose, c.id, related=False)


def test_scope_by_account_and_window_is_exactly_the_customers_read(
    api_client: Any, make_customer: Any, make_staff: Any, open_case: Any, at_time: Any
) -> None:
    base = clock.now().replace(microsecond=0) - timedelta(days=2)
    people = [make_customer() for _ in range(9)]
    suspect = make_staff(Role.FRONT_DESK)
    other = make_staff(Role.CUSTOMER_SERVICE)
    t1, t2 = base, base + timedelta(hours=6)
    _read(suspect, "reception", people[:4], t1 + timedelta(hours=1), at_time)  # in the window
    _read(suspect, "reception", people[3:5], t2 - timedelta(seconds=1), at_time)  # in, at the edge
    _read(suspect, "reception", people[5:7], t2, at_time)  # `to` is exclusive
    _read(suspect, "reception", people[7:8], t1 - timedelta(seconds=1), at_time)  # before
    _read(other, "customer_service", people[8:], t1 + timedelta(hours=2), at_time)  # someone else
    at_time(base + timedelta(days=1))
    inc = open_case(detected_at=t2)
    c, h = api_client("privacy_officer")
    body = {"actor": suspect.username, "from": t1.isoformat(), "to": t2.isoformat()}
    r = c.post(
        f"/api/v1/incidents/{inc.pk}/scope", body, content_type="application/json", headers=h
    )
    assert r.status_code == 200, r.content
    out = r.json()
    want = {str(p.id) for p in people[:5]}
    assert set(out["affected"]) == want and out["affected_count"] == 5 and out["events"] == 6
    # the fields each had exposed, from the events' treatments: front desk sees the name
    # plainly, the ID number masked, and no payment data at all
    for cid in want:
        f = out["fields"][cid]
        assert f["name"] == "plain" and f["id_number"] == "masked"
        assert all(t in ("plain", "masked") for t in f.values())
    assert out["field_counts"]["name"] == 5
    from baomi.audit.services import root_at, tree_size

    assert out["tree_size"] <= tree_size() and out["root_hash"] == root_at(out["tree_size"]).hex()
    # the scope's own event names the tree and the digest, never a value
    from baomi.audit.models import AuditEvent

    ev = AuditEvent.objects.filter(action="incident.scoped").get()
    assert ev.detail["root_hash"] == out["root_hash"] and ev.detail["affected"] == 5


def test_a_scope_is_reproven_later_and_tampering_is_found(
    api_client: Any,
    make_customer: Any,
    make_staff: Any,
    open_case: Any,
    officer: Any,
    at_time: Any,
) -> None:
    now = clock.now()
    people = [make_customer() for _ in range(3)]
    suspect = make_staff(Role.FRONT_DESK)
    _read(suspect, "reception", people, now - timedelta(hours=2), at_time)
    at_time(now)
    inc = open_case()
    params = scoping.account_params(suspect.pk, now - timedelta(hours=3), now)
    s = scoping.scope_incident(officer, inc.pk, scoping.ScopeMethod.ACCOUNT, params)
    # the log grows afterwards — more reads by the same account in the same window
    _read(suspect, "reception", [make_customer()], now - timedelta(minutes=30), at_time)
    at_time(now)
    c, h = api_client("security_auditor")
    r = c.post(f"/api/v1/incidents/scopes/{s.pk}/reprove", headers=h)
    assert r.status_code == 200, r.content
    proof = r.json()
    assert proof["ok"] and proof["root_matches"] and proof["set_matches"]
    assert proof["leaves_checked"] == proof["leaves_total"] == 3
    # someone removes a customer from the stored set (tamper simulation: a raw delete)
    ScopeMember.objects.filter(scope=s, customer_id=people[0].id).delete()
    bad = scoping.reprove(officer, s.pk)
    assert not bad.ok and bad.problems == ["set_mismatch"]
    Scope.objects.filter(pk=s.pk).update(root_hash="00" * 32)  # or rewrites the stored root
    assert "root_mismatch" in scoping.reprove(officer, s.pk).problems


def test_scope_by_token_and_by_imported_list(
    api_client: Any, make_customer: Any, open_case: Any, officer: Any
) -> None:
    from baomi.access.models import ApiToken

    people = [make_customer() for _ in range(3)]
    c, h = api_client("front_desk", "reception")
    for p in people[:2]:
        assert c.get(f"/api/v1/customers/{p.id}", headers=h).status_code == 200
    token = ApiToken.objects.order_by("-id").first()
    assert token is not None
    inc = open_case()
    s = scoping.scope_incident(
        officer, inc.pk, scoping.ScopeMethod.TOKEN, scoping.token_params(token.pk)
    )
    assert {str(m.customer_id) for m in s.members.all()} == {str(p.id) for p in people[:2]}
    pc, ph = api_client("privacy_officer")
    body = {"customer_ids": [str(people[2].id)], "fields": ["phone", "name"]}
    r = pc.post(
        f"/api/v1/incidents/{inc.pk}/scope", body, content_type="application/json", headers=ph
    )
    assert r.status_code == 200 and r.json()["affected"] == [str(people[2].id)]
    assert r.json()["fields"][str(people[2].id)] == {"name": "plain", "phone": "plain"}
    bad = pc.post(
        f"/api/v1/incidents/{inc.pk}/scope",
        {"customer_ids": ["nope"]},
        content_type="application/json",
        headers=ph,
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["code"] == "invalid_id"
    assert Scope.objects.count() == 2  # the refused import wrote nothing


def test_scope_input_errors(api_client: Any, open_case: Any) -> None:
    inc = open_case()
    c, h = api_client("privacy_officer")
    url = f"/api/v1/incidents/{inc.pk}/scope"
    for body, field in [
        ({"actor": "ghost", "from": "2026-01-01T00:00Z", "to": "2026-01-02T00:00Z"}, "actor"),
        ({"actor": "", "from": "2026-01-01T00:00Z", "to": "2026-01-02T00:00Z"}, "actor"),
    ]:
        r = c.post(url, body, content_type="application/json", headers=h)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == field
    fd, fh = api_client("front_desk")
    r = fd.post(url, {"actor": "x"}, content_type="application/json", headers=fh)
    assert r.status_code in (403, 422)


def test_window_in_shanghai_time_without_offset(
    make_customer: Any, make_staff: Any, open_case: Any, officer: Any, at_time: Any
) -> None:
    """A window typed without an offset is Beijing time: 08:00–09:00 local is 00:00–01:00 UTC."""
    day = (clock.now() - timedelta(days=3)).date()
    p = make_customer()
    suspect = make_staff(Role.FRONT_DESK)
    _read(
        suspect,
        "reception",
        [p],
        datetime(day.year, day.month, day.day, 0, 30, tzinfo=UTC),
        at_time,
    )
    at_time(datetime.now(UTC))
    inc = open_case()
    local = f"{day.isoformat()}T08:00", f"{day.isoformat()}T09:00"
    s = scoping.scope_incident(
        officer,
        inc.pk,
        scoping.ScopeMethod.ACCOUNT,
        scoping.account_params(suspect.username, *local),
    )
    assert s.affected == 1
    utc = f"{day.isoformat()}T08:00Z", f"{day.isoformat()}T09:00Z"
    s2 = scoping.scope_incident(
        officer, inc.pk, scoping.ScopeMethod.ACCOUNT, scoping.account_params(suspect.username, *utc)
    )
    assert s2.affected == 0
