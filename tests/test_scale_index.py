"""The blind-index row replacement of one customer's field uses the (subject_id, field)
index on both engines (issue #11: it took the (field, bucket) index and walked ~N/4 rows
per merged row, so re-importing into a large store was quadratic). R-A1, R-A3."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from baomi.customers import services
from baomi.vault.models import BlindIndexEntry

# the statements the importer's merge, `vault.replace_index` (PATCH) and shredding send
DELETE_ONE = "DELETE FROM vault_blind_index WHERE subject_id = %s AND field = %s"
DELETE_MANY = "DELETE FROM vault_blind_index WHERE subject_id = %s AND field IN (%s, %s)"


def _plan(sql: str, params: list[Any]) -> str:
    with transaction.atomic(), connection.cursor() as cur:
        if connection.vendor == "postgresql":
            # the test tables are tiny, where a sequential scan is cheapest; forbid it so
            # the planner has to say which index it would take on a large table
            cur.execute("SET LOCAL enable_seqscan = off")
            cur.execute("EXPLAIN " + sql, params)
        else:
            cur.execute("EXPLAIN QUERY PLAN " + sql, params)
        return "\n".join(" ".join(str(c) for c in row) for row in cur.fetchall())


@pytest.mark.django_db
def test_deleting_a_customers_field_rows_uses_the_subject_field_index(
    make_customer: Any,
) -> None:
    for _ in range(6):
        make_customer()
    sid = BlindIndexEntry.objects.values_list("subject_id", flat=True).first()
    assert sid is not None
    param = str(sid) if connection.vendor == "postgresql" else uuid.UUID(str(sid)).hex
    for sql, params in (
        (DELETE_ONE, [param, "phone"]),
        (DELETE_MANY, [param, "phone", "name"]),
    ):
        plan = _plan(sql, params)
        assert "vault_bidx_subject" in plan, plan
        assert "vault_bidx_lookup" not in plan, plan


@pytest.mark.django_db
def test_the_orm_replace_index_of_a_patch_uses_it_too(make_customer: Any, make_staff: Any) -> None:
    c = make_customer()
    desk = make_staff("front_desk")
    with CaptureQueriesContext(connection) as ctx:
        services.update_customer(desk, "reception", c.id, {"phone": "13912345678"})
    deletes = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("DELETE")]
    assert deletes, ctx.captured_queries
    for sql in deletes:
        with transaction.atomic(), connection.cursor() as cur:
            if connection.vendor == "postgresql":
                cur.execute("SET LOCAL enable_seqscan = off")
                cur.execute("EXPLAIN " + sql)
            else:
                cur.execute("EXPLAIN QUERY PLAN " + sql)
            plan = " ".join(str(c) for row in cur.fetchall() for c in row)
        assert "vault_bidx_subject" in plan, plan
