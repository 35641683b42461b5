"""The ninja API object (/api/v1): mounts each app's router; problem+json errors (RFC 9457)."""

from __future__ import annotations

import json
import logging
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import get_language_from_request
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from baomi.core.errors import BaomiError

api = NinjaAPI(
    title="baomi API",
    version="1.0.0",
    description="Customer-information platform with a privacy vault. Every call that touches "
    "personal data needs `Authorization: Bearer …` and `X-Purpose: <purpose code>`.",
    urls_namespace="api",
)


def _resp(request: HttpRequest, status: int, body: dict[str, Any]) -> HttpResponse:
    resp = HttpResponse(
        json.dumps(body, ensure_ascii=False),
        status=status,
        content_type="application/problem+json",
    )
    return resp


@api.exception_handler(BaomiError)
def on_baomi_error(request: HttpRequest, exc: BaomiError) -> HttpResponse:
    lang = get_language_from_request(request) or "en"
    return _resp(request, exc.status, exc.problem(lang))


@api.exception_handler(NinjaValidationError)
def on_validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors = [
        {
            "field": ".".join(str(p) for p in e.get("loc", [])[1:]) or "body",
            "code": str(e.get("type", "invalid")),
            "message": str(e.get("msg", "")),
        }
        for e in exc.errors
    ]
    return _resp(
        request,
        422,
        {
            "type": "https://baomi.dev/problems/validation_failed",
            "title": "Validation failed",
            "status": 422,
            "detail": "request body or parameters are invalid",
            "code": "validation_failed",
            "errors": errors,
        },
    )


@api.exception_handler(AuthenticationError)
def on_auth(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _resp(
        request,
        401,
        {
            "type": "https://baomi.dev/problems/not_authenticated",
            "title": "Authentication required",
            "status": 401,
            "detail": "send a valid bearer token",
            "code": "not_authenticated",
        },
    )


@api.exception_handler(HttpError)
def on_http(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _resp(
        request,
        exc.status_code,
        {
            "type": "about:blank",
            "title": str(exc),
            "status": exc.status_code,
            "detail": str(exc),
            "code": "http_error",
        },
    )


@api.exception_handler(Exception)
def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    logging.getLogger("baomi.api").error("unhandled %s", type(exc).__name__)  # no values
    return _resp(
        request,
        500,
        {
            "type": "about:blank",
            "title": "Internal error",
            "status": 500,
            "detail": "an internal error occurred",
            "code": "internal",
        },
    )


def mount() -> None:
    from baomi.access.api import approvals_router, break_glass_router, staff_router
    from baomi.access.api import router as auth_router
    from baomi.consent.api import notice_router
    from baomi.consent.api import router as consent_router
    from baomi.core.api import router as core_router
    from baomi.customers.api import router as customers_router
    from baomi.rights.api import router as rights_router

    api.add_router("/", core_router)
    api.add_router("/auth", auth_router)
    api.add_router("/staff", staff_router)
    api.add_router("/approvals", approvals_router)
    api.add_router("/break-glass", break_glass_router)
    api.add_router("/customers", customers_router)
    api.add_router("/", notice_router)
    api.add_router("/consents", consent_router)
    api.add_router("/rights-requests", rights_router)
    api.add_router("/audit", "baomi.audit.api.router")


mount()
