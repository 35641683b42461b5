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

from baomi.core.errors import BaomiError, NotFound

from .auth import bearer

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details; `code` is stable, `detail` never holds a value.",
    "required": ["type", "title", "status", "code"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "code", "message"],
                "properties": {
                    "field": {"type": "string"},
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                },
            },
        },
    },
}


class BaomiAPI(NinjaAPI):
    """The ninja API whose OpenAPI also documents the refusals every operation can give:
    `4XX` answers as `application/problem+json` (a client, and schemathesis, can check
    them against the schema)."""

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> Any:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
        problem = {
            "description": "Refused: problem+json with a stable `code`",
            "content": {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
            },
        }
        for operations in schema.get("paths", {}).values():
            for op in operations.values():
                if isinstance(op, dict) and "responses" in op:
                    op["responses"].setdefault("4XX", problem)
        return schema


api = BaomiAPI(
    title="baomi API",
    version="1.0.0",
    description="Customer-information platform with a privacy vault. Every call needs "
    "`Authorization: Bearer …` (sign-in, health and the privacy notice excepted); every call "
    "that touches personal data also `X-Purpose: <purpose code>`.",
    urls_namespace="api",
    auth=bearer,  # the default for every router: an endpoint opts out with auth=None
)


def _resp(request: HttpRequest, status: int, body: dict[str, Any]) -> HttpResponse:
    resp = HttpResponse(
        json.dumps(body, ensure_ascii=False),
        status=status,
        content_type="application/problem+json",
    )
    return resp


def not_found_problem(request: HttpRequest) -> HttpResponse:
    """404 for a path under /api/v1/ that matches no route (problem+json, as documented)."""
    lang = get_language_from_request(request) or "en"
    return _resp(request, 404, NotFound("no such resource", code="not_found").problem(lang))


@api.exception_handler(BaomiError)
def on_baomi_error(request: HttpRequest, exc: BaomiError) -> HttpResponse:
    lang = get_language_from_request(request) or "en"
    resp = _resp(request, exc.status, exc.problem(lang))
    if isinstance(exc.extra.get("retry_after"), int):  # sign-in throttle (RFC 9110 §10.2.3)
        resp["Retry-After"] = str(exc.extra["retry_after"])
    return resp


# Fixed texts per pydantic error type: pydantic's own `msg` may quote the input or carry
# exception text ("Value error, …", "Input should be a valid UUID, invalid character …");
# an error must never echo a value (it may be personal) nor Python internals (V16.5.1).
_KINDS = {
    "string": ("a string", "字符串"),
    "int": ("an integer", "整数"),
    "float": ("a number", "数字"),
    "bool": ("true or false", "true 或 false"),
    "dict": ("an object", "对象"),
    "list": ("a list", "列表"),
    "uuid": ("a UUID", "UUID"),
    "date": ("a date (YYYY-MM-DD)", "日期（YYYY-MM-DD）"),
    "datetime": ("a date and time (ISO 8601)", "日期时间（ISO 8601）"),
}
_FIXED = {
    "missing": ("is required", "必填"),
    "extra_forbidden": ("is not accepted", "不接受此字段"),
    "string_too_long": ("is too long", "过长"),
    "string_too_short": ("is too short", "过短"),
    "too_long": ("has too many items", "项目过多"),
    "too_short": ("has too few items", "项目过少"),
    "greater_than": ("is too small", "过小"),
    "greater_than_equal": ("is too small", "过小"),
    "less_than": ("is too large", "过大"),
    "less_than_equal": ("is too large", "过大"),
    "enum": ("is not one of the allowed values", "不是允许的取值"),
    "literal_error": ("is not one of the allowed values", "不是允许的取值"),
    "json_invalid": ("is not valid JSON", "不是有效的 JSON"),
}


def issue_text(kind: str, lang: str) -> str:
    zh = lang.startswith("zh")
    fixed = _FIXED.get(kind)
    if fixed:
        return fixed[1] if zh else fixed[0]
    base = kind.split("_", 1)[0]
    if base in _KINDS and kind.endswith(("_type", "_parsing", "_from_datetime_parsing")):
        en, zh_kind = _KINDS[base]
        return f"须为{zh_kind}" if zh else f"must be {en}"
    return "取值无效" if zh else "is not a valid value"


@api.exception_handler(NinjaValidationError)
def on_validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    lang = get_language_from_request(request) or "en"
    errors = [
        {
            "field": ".".join(str(p) for p in e.get("loc", [])[1:]) or "body",
            "code": str(e.get("type", "invalid")),
            "message": issue_text(str(e.get("type", "")), lang),
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


_HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "body_too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
}


@api.exception_handler(HttpError)
def on_http(request: HttpRequest, exc: HttpError) -> HttpResponse:
    """ninja's own refusals (e.g. a body it cannot parse): a stable code per status, and
    no exception text (ninja appends it to the message when DEBUG is on)."""
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    title = code.replace("_", " ").capitalize()
    return _resp(
        request,
        exc.status_code,
        {
            "type": f"https://baomi.dev/problems/{code}",
            "title": title,
            "status": exc.status_code,
            "detail": title,
            "code": code,
        },
    )


@api.exception_handler(Exception)
def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    from baomi.core import dbbusy

    cause = dbbusy.busy_cause(exc)
    if cause is not None:  # retryable: the transaction rolled back, nothing was written
        dbbusy.log_busy(cause, request.path)
        resp = _resp(request, 503, dbbusy.problem(cause))
        resp["Retry-After"] = str(dbbusy.RETRY_AFTER_SECONDS)
        return resp
    # no values: the exception's type and the driver's error code name only
    # (e.g. SQLITE_IOERR_SHORT_READ, a PostgreSQL SQLSTATE), never its message
    driver = exc.__cause__
    code = getattr(driver, "sqlite_errorname", None) or getattr(driver, "sqlstate", None)
    logging.getLogger("baomi.api").error("unhandled %s %s", type(exc).__name__, code or "")
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
    api.add_router("/kpis", "baomi.api.kpis.router")
    api.add_router("/partners", "baomi.sharing.api.partners_router")
    api.add_router("/disclosures", "baomi.sharing.api.disclosures_router")
    api.add_router("/lawful-requests", "baomi.sharing.api.lawful_router")
    api.add_router("/incidents", "baomi.incidents.api.router")
    api.add_router("/whistle", "baomi.incidents.api.whistle_router")
    api.add_router("/retention", "baomi.retention.api.router")
    api.add_router("/inspections", "baomi.reports.api.inspections_router")
    api.add_router("/findings", "baomi.reports.api.findings_router")
    api.add_router("/meetings", "baomi.reports.api.meetings_router")
    api.add_router("/reports", "baomi.reports.api.reports_router")
    api.add_router("/quality", "baomi.quality.api.router")
    api.add_router("/training", "baomi.training.api.router")
    api.add_router("/", "baomi.operations.api.router")
    api.add_router("/", "baomi.feedback.api.router")
    api.add_router("/", "baomi.insights.api.router")


mount()
