"""Property-based check of the whole REST API against its own OpenAPI (issue #9 "Done
when": schemathesis over the OpenAPI finds no failure; R-C6).

schemathesis generates requests from `/api/v1/openapi.json` — valid ones and edge cases
(huge integers, odd Unicode, missing and extra fields) — and calls the WSGI app in
process, signed in as several roles with a purpose. Every answer must be a non-5xx status
the schema documents, with the documented content type and body schema (refusals are
`4XX` problem+json, declared for every operation by `api.BaomiAPI`).

Bounded and deterministic: a few examples per operation and role, `derandomize=True`.
`BAOMI_SCHEMATHESIS_EXAMPLES=50` explores more (the same test, by hand).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("BAOMI_SCHEMATHESIS_EXAMPLES", "4"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# These end the session the run is using; tests/test_api.py covers them.
SKIP = {("DELETE", "/api/v1/auth/token"), ("DELETE", "/api/v1/auth/tokens")}
ROLES = [
    ("front_desk", "reception"),
    ("privacy_officer", "rights_request"),
    ("security_auditor", "investigation"),
    ("security_admin", "reception"),  # last: it may deactivate the other accounts
]


@pytest.fixture
def wsgi_schema() -> Iterator[Any]:
    # Django closes the connection around each WSGI request; inside the test's transaction
    # that would end the test. Its own test client disconnects the same signal.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _tokens(make_customer: Any) -> dict[str, str]:
    from baomi.access.services import create_staff_with_mfa, issue_token

    for _ in range(3):
        make_customer()
    out = {}
    for role, _purpose in ROLES:
        staff = create_staff_with_mfa(None, f"st_{role}", role).staff
        out[role] = issue_token(staff).token
    return out


def test_every_operation_answers_as_documented(wsgi_schema: Any, make_customer: Any) -> None:
    tokens = _tokens(make_customer)
    failures: list[str] = []
    operations = [r.ok() for r in wsgi_schema.get_all_operations() if r.ok() is not None]
    assert len(operations) > 30
    for role, purpose in ROLES:
        headers = {"Authorization": f"Bearer {tokens[role]}", "X-Purpose": purpose}
        for op in operations:
            if (op.method.upper(), op.path) in SKIP:
                continue

            @settings(
                max_examples=EXAMPLES,
                derandomize=True,
                deadline=None,
                database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=op.as_strategy())
            def call(case: Any) -> None:
                case.call_and_validate(headers=headers, checks=CHECKS)

            try:
                call()
            except Exception as exc:  # collect every operation's failure, then report
                failures.append(f"{role} {op.method.upper()} {op.path}: {str(exc)[:800]}")
    assert not failures, "\n\n".join(failures)
