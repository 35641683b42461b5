"""Middleware: fills the request context (baomi.core.context) for audit events, no-store
caching, 503 when the database is busy, security headers."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

# the request context lives in baomi.core.context (domain layer); re-exported here for the
# settings' dotted paths (AXES_CLIENT_IP_CALLABLE) and older imports
from .context import (
    _EMPTY,
    REQUEST_ID_MAX,
    USER_AGENT_MAX,
    RequestContext,
    _current,
    client_ip,
    current_request,
    request_id,
    user_agent,
)

__all__ = [
    "REQUEST_ID_MAX",
    "USER_AGENT_MAX",
    "_EMPTY",
    "RequestContext",
    "_current",
    "client_ip",
    "current_request",
    "request_id",
    "user_agent",
]


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        rid = request_id(request.headers.get("X-Request-Id"))
        agent = user_agent(request.headers.get("User-Agent"))
        # every later reader (django-axes' lock-out records, log formatters) sees the clean
        # values, not what was sent
        request.META["HTTP_USER_AGENT"] = agent
        request.META["HTTP_X_REQUEST_ID"] = rid
        request.__dict__.pop("headers", None)  # `headers` is a cached view of META
        ctx = RequestContext(request_id=rid, client_ip=client_ip(request), user_agent=agent)
        token = _current.set(ctx)
        from baomi.audit.refusals import boundary

        try:
            with boundary():  # refusals whose transaction rolled back are logged on exit
                response = self.get_response(request)
        finally:
            _current.reset(token)
        response["X-Request-Id"] = rid
        if getattr(request, "idempotent_replay", False):  # the first answer, again
            response["Idempotent-Replayed"] = "true"
        return response


class NoStoreMiddleware:
    """Personal data must not rest in browser or proxy caches: no-store on every response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith("/static/"):
            response["Cache-Control"] = "no-store"
            response["Pragma"] = "no-cache"
        return response


class DatabaseBusyMiddleware:
    """Console pages: a database busy past its timeout answers 503 (retry), not 500; the
    API's own handler does the same in problem+json (baomi.api.api)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        from . import dbbusy

        cause = dbbusy.busy_cause(exception)
        if cause is None:
            return None
        dbbusy.log_busy(cause, request.path)
        resp = HttpResponse(
            "<!doctype html><meta charset=utf-8><title>系统繁忙</title>"
            "<p>系统繁忙，请稍后重试。</p><p lang=en>The service is busy; please retry.</p>",
            status=503,
            content_type="text/html; charset=utf-8",
        )
        resp["Retry-After"] = str(dbbusy.RETRY_AFTER_SECONDS)
        return resp


# -- browser security headers (issue #9 §4; ASVS 5.0 V3.4.3, V3.4.x) ---------------------
# Everything the console, portal and API docs load comes from this origin (no CDN: DESIGN
# §1); scripts and <style> blocks run only with the response's nonce; no plugins, no
# <base>, no framing, forms post only here.
CSP_TEMPLATE = (
    "default-src 'self'; "
    "script-src 'self' 'nonce-{nonce}'; "
    "style-src 'self' 'nonce-{nonce}'; "
    "img-src 'self' data:; "
    "font-src 'self'; "
    "connect-src 'self'; "
    "object-src 'none'; "
    "base-uri 'none'; "
    "frame-ancestors 'none'; "
    "form-action 'self'"
)
# Powerful browser features none of baomi's pages use: off for the page and any frame.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "bluetooth",
        "browsing-topics",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "hid",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
)


class SecurityHeadersMiddleware:
    """Content-Security-Policy (with a per-response nonce, `request.csp_nonce`, for the
    few `<script>`/`<style>` blocks templates need) and Permissions-Policy on every
    response — pages, API, errors, static files."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        import secrets

        nonce = secrets.token_urlsafe(18)
        request.csp_nonce = nonce  # type: ignore[attr-defined]
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = CSP_TEMPLATE.format(nonce=nonce)
        if "Permissions-Policy" not in response:
            response["Permissions-Policy"] = PERMISSIONS_POLICY
        return response
