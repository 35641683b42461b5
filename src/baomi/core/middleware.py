"""Request context (request id, client IP, user agent) for audit events, and no-store caching."""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse


@dataclass(frozen=True)
class RequestContext:
    request_id: str = ""
    client_ip: str = ""
    user_agent: str = ""


_EMPTY = RequestContext()
_current: contextvars.ContextVar[RequestContext] = contextvars.ContextVar("baomi_request")


def client_ip(request: HttpRequest) -> str:
    """The client address. Behind BAOMI_PROXY_COUNT trusted proxies it is the entry the
    outermost trusted proxy appended to X-Forwarded-For (entries further left are
    client-controlled and ignored); otherwise REMOTE_ADDR. Used by the audit log and by the
    django-axes lock-out (AXES_CLIENT_IP_CALLABLE)."""
    from django.conf import settings

    remote = str(request.META.get("REMOTE_ADDR", ""))[:64]
    count = int(getattr(settings, "BAOMI_PROXY_COUNT", 0) or 0)
    if count <= 0:
        return remote
    hops = [h.strip() for h in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")]
    hops = [h for h in hops if h]
    if not hops:
        return remote
    return hops[-count][:64] if len(hops) >= count else hops[0][:64]


def current_request() -> RequestContext:
    return _current.get(_EMPTY)


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        rid = request.headers.get("X-Request-Id", "")[:64] or uuid.uuid4().hex
        ctx = RequestContext(
            request_id=rid,
            client_ip=client_ip(request),
            user_agent=request.headers.get("User-Agent", "")[:256],
        )
        token = _current.set(ctx)
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        response["X-Request-Id"] = rid
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
