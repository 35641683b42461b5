"""The read path's SQL statements are counted, not timed (issue #11, decision 0040): a GET,
a page read through the gate, an exact lookup and a token check keep the statement
counts they were brought down to — on SQLite and PostgreSQL — and the read closers' SQL
(folded into the gate's one query per read) answers exactly what their `closes` answers.

Before this work a GET /customers/{id} ran 24 statements on SQLite (token, customer twice,
restriction and merge twice each, data key, break-glass grants, training rules, four
record tables, and the audit append with its savepoint); the bounds below are what it is
now. A faster gate that skips a check fails the privacy tests, not these."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from baomi.catalog.enums import Purpose
from baomi.contract import participants
from baomi.customers import gate

pytestmark = pytest.mark.django_db

# statements per read: the gate's one query (customer + data key + break-glass grant +
# every read closer; with the 360° view also which record tables hold rows), the training
# rule, the audit append (head, event, node(s), head update, the monitoring window and
# baseline) and the transaction's own BEGIN / COMMIT where the backend logs them (SQLite).
# A record table is read only when it holds rows for the customers read.
GATE_SINGLE = 11
TOKEN = 1
# a record table holding rows: its statement, and the record opener's look-up of the
# reading desk's posting (operations: a hotel desk sees its own hotel's stays in full)
OPENED_TABLE = 2


def _stay(customer: Any) -> None:
    from baomi.access.services import create_staff
    from baomi.customers import services

    desk, _ = create_staff(None, f"desk_{customer.id.hex[:8]}", "front_desk", "Stay-desk-pass-42!")
    services.add_record(desk, "reception", customer.id, "stay", {}, channel="store")


def _count(fn: Any) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries), [q["sql"][:120] for q in ctx.captured_queries]


def test_get_customer_statements(api_client: Any, make_customer: Any) -> None:
    c, h = api_client("front_desk", "reception")
    customers = [make_customer() for _ in range(3)]
    url = f"/api/v1/customers/{customers[0].id}"
    assert c.get(url, headers=h).status_code == 200  # warm-up: records the token's use
    n, sql = _count(lambda: c.get(url, headers=h))
    assert n <= TOKEN + GATE_SINGLE, sql
    # the same for another customer; one with a stay reads that one record table more
    n2, _ = _count(lambda: c.get(f"/api/v1/customers/{customers[1].id}", headers=h))
    assert n2 == n
    body = c.get(url, headers=h).json()
    assert body["stays"] == [] and body["bookings"] == [] and "name" in body
    _stay(customers[2])
    url2 = f"/api/v1/customers/{customers[2].id}"
    n3, sql = _count(lambda: c.get(url2, headers=h))
    assert n3 <= n + OPENED_TABLE, sql
    assert len(c.get(url2, headers=h).json()["stays"]) == 1


def test_gate_single_read_statements(make_staff: Any, make_customer: Any) -> None:
    desk = make_staff("front_desk")
    cust = make_customer()
    gate.access_customer(desk, "reception", cust.id, related=False)
    n, sql = _count(lambda: gate.access_customer(desk, "reception", cust.id, related=False))
    assert n <= GATE_SINGLE, sql
    n360, sql = _count(lambda: gate.access_customer(desk, "reception", cust.id))
    assert n360 == n, sql  # no records: no record table read
    _stay(cust)
    n360, sql = _count(lambda: gate.access_customer(desk, "reception", cust.id))
    assert n360 <= n + OPENED_TABLE, sql


def test_page_read_statements_do_not_grow_with_the_page(
    make_staff: Any, make_customer: Any
) -> None:
    desk = make_staff("front_desk")
    ids = [make_customer().id for _ in range(12)]
    gate.access_customers(desk, "reception", ids[:1])
    one, _ = _count(lambda: gate.access_customers(desk, "reception", ids[:1]))
    many, sql = _count(lambda: gate.access_customers(desk, "reception", ids))
    assert many == one <= GATE_SINGLE, sql
    # the 360° view of a page: one statement per record table holding rows, for the page
    rel, sql = _count(lambda: gate.access_customers(desk, "reception", ids, related=True))
    assert rel == many, sql
    for cid in ids[:2]:
        _stay(type("C", (), {"id": cid})())
    rel, sql = _count(lambda: gate.access_customers(desk, "reception", ids, related=True))
    assert rel <= many + OPENED_TABLE, sql
    for cid in ids[2:8]:
        _stay(type("C", (), {"id": cid})())
    rel8, sql = _count(lambda: gate.access_customers(desk, "reception", ids, related=True))
    assert rel8 == rel, sql  # not per customer with records
    views = gate.access_customers(desk, "reception", ids, related=True)
    assert [len(v.records["stay"]) for v in views] == [1] * 8 + [0] * 4


def test_exact_lookup_statements(make_customer: Any) -> None:
    from baomi.vault import services as vault

    cust = make_customer(phone="13912345678")
    phone = "+8613912345678"

    def lookup() -> list[Any]:
        return gate.match_exact({"phone": phone}, vault.candidates("phone", phone))

    assert lookup() == [cust.id]
    n, sql = _count(lookup)
    assert n <= 2, sql  # the blind-index bucket, then candidates with their keys


def test_token_check_is_one_statement(api_client: Any) -> None:
    c, h = api_client("front_desk")
    assert c.get("/api/v1/health", headers=h).status_code == 200
    from baomi.access.services import staff_for_token

    token = h["Authorization"].split()[1]
    staff_for_token(token)  # the first use records it (once a minute at most)
    n, sql = _count(lambda: staff_for_token(token))
    assert n == 1, sql
    assert staff_for_token(token) is not None
    assert staff_for_token(token + "x") is None


# -- every closer's SQL agrees with its `closes` ------------------------------------------
def _sql_closes(closer: Any, purpose: Purpose, ids: list[Any]) -> set[Any] | None:
    got = closer.sql(purpose)
    if got is None:
        return None
    expr, params = got
    loaded = gate._load(None, purpose, ids)
    assert len(loaded.rows) == len(ids)
    assert expr.count("%s") == len(params)
    return {cid for cid, closers in loaded.closing.items() if closer in closers}


def test_closer_sql_agrees_with_closes(make_staff: Any, make_customer: Any) -> None:
    from baomi.consent import services as consent
    from baomi.customers.synthetic import Synth
    from baomi.quality.models import DuplicatePair
    from baomi.quality.services import duplicates
    from baomi.rights import services as rights

    officer = make_staff("privacy_officer")
    plain, restricted, lifted, given, withdrawn = (make_customer() for _ in range(5))
    # one person registered twice, merged by the data steward (the merge closer)
    base = Synth(seed=5).customer(foreign_share=0)
    keep = make_customer(**{**base, "name": "张三丰"})
    twin = make_customer(
        **dict(base, name="張三豐", email="zsf.b@example.cn", id_number=None, id_type=None)
    )
    steward = make_staff("data_steward")
    duplicates.scan(steward)
    pair = DuplicatePair.objects.get(
        left_id__in=[keep.id, twin.id], right_id__in=[keep.id, twin.id]
    )
    survivor = "left" if pair.left_id == keep.id else "right"
    merged = duplicates.merge(steward, pair.pk, survivor)
    assert merged.absorbed_id == twin.id
    rights.restrict(officer, restricted.id)
    rights.restrict(officer, lifted.id)
    rights.lift_restriction(officer, lifted.id, reason="done")
    for c in (given, withdrawn):
        consent.give(None, c.id, "marketing", channel="store", method="signature")
    consent.withdraw(None, withdrawn.id, "marketing", channel="store", method="signature")
    ids = [c.id for c in (plain, restricted, lifted, given, withdrawn, keep, twin)]
    checked = 0
    for closer in participants.closers():
        if closer.sql is None:
            continue
        for p in Purpose:
            by_sql = _sql_closes(closer, p, ids)
            by_call = set(closer.closes(p, ids))
            assert (by_sql or set()) == by_call, (closer.code, p, by_sql, by_call)
            checked += by_sql is not None
    assert checked  # some closer applied to some purpose
    closed = set().union(*(c.closes(Purpose.RECEPTION, ids) for c in participants.closers()))
    assert closed == {restricted.id, twin.id}
