"""Bearer auth is the API's default (issue #10 §2): a new router is protected without
saying so, and only the endpoints listed here opt out with an explicit `auth=None`."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

# the only operations a caller reaches without a staff token, and why
PUBLIC = {
    ("post", "/api/v1/auth/token"): "sign-in: password + one-time code issue the token",
    ("post", "/api/v1/auth/password"): "change an expired password (old password + code)",
    ("get", "/api/v1/health"): "liveness probe for the proxy and the orchestrator",
    ("get", "/api/v1/privacy-notice"): "the notice is public (R-B2)",
    ("get", "/api/v1/disclosures/{disclosure_id}/package"): "a partner fetches its package "
    "with the one-time download token, not a staff account",
    ("post", "/api/v1/surveys/{survey_id}/responses"): "a customer answers a survey with "
    "the one-time link's token, without signing in (issue #15)",
}


def _operations(client: Client) -> dict[tuple[str, str], dict[str, Any]]:
    spec = client.get("/api/v1/openapi.json").json()
    return {
        (method, path): op
        for path, ops in spec["paths"].items()
        for method, op in ops.items()
        if method in {"get", "post", "put", "patch", "delete"}
    }


def test_every_operation_needs_a_bearer_token_unless_listed(client: Client) -> None:
    ops = _operations(client)
    assert set(PUBLIC) <= set(ops), sorted(set(PUBLIC) - set(ops))
    open_ops = {k for k, op in ops.items() if not op.get("security")}
    assert open_ops == set(PUBLIC), sorted(open_ops ^ set(PUBLIC))


@pytest.mark.parametrize(
    "path", ["/api/v1/kpis", "/api/v1/audit/events", "/api/v1/partners", "/api/v1/incidents"]
)
def test_without_a_token_the_answer_is_401_problem_json(client: Client, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 401 and r["Content-Type"] == "application/problem+json"
