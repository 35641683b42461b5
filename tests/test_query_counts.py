"""List endpoints do not grow queries with the number of results (DESIGN.md §5, no N+1)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db


def _search_queries(client: Any, headers: dict[str, str], name: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as ctx:
        r = client.get("/api/v1/customers", {"name": name}, headers=headers)
    assert r.status_code == 200
    return len(ctx.captured_queries), r.json()["total"]


def test_search_query_count_is_constant(api_client: Any, make_customer: Any) -> None:
    make_customer(name="周一")
    for i in range(12):
        make_customer(name="吴二", phone=f"1391234{i:04d}")
    c, h = api_client("customer_service", "customer_service")
    _search_queries(c, h, "周一")  # warm caches (token, index plan)
    one, n1 = _search_queries(c, h, "周一")
    many, n12 = _search_queries(c, h, "吴二")
    assert (n1, n12) == (1, 12)
    assert many == one, (one, many)


def test_rights_queue_query_count_is_constant(
    api_client: Any, make_customer: Any, make_staff: Any
) -> None:
    """GET /rights-requests reads every listed request's history in one query (it used to
    run one per request)."""
    from baomi.rights import services as rights

    officer_client, headers = api_client("privacy_officer")
    officer = make_staff("privacy_officer")
    customer = make_customer()

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            r = officer_client.get("/api/v1/rights-requests", headers=headers)
        assert r.status_code == 200
        return len(ctx.captured_queries)

    rights.create_request(officer, customer.id, "access")
    queries()  # warm-up: the first call also records the token's use
    one = queries()
    for _ in range(4):
        req = rights.create_request(officer, customer.id, "complaint", detail="x")
        rights.transition(officer, req.pk, "verified")
    assert len(officer_client.get("/api/v1/rights-requests", headers=headers).json()) == 5
    assert queries() == one
