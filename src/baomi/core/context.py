"""Who is asking, for the audit log: the request context (request id, client address,
user agent) of the request being served, and the sanitising of what the client sent.

Domain code (audit.services, access.services) reads it here; the middleware that fills it
(baomi.core.middleware) is interface layer and re-exports these names (issue #10 §2)."""

from __future__ import annotations

import contextvars
import re
import unicodedata
import uuid
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RequestContext:
    request_id: str = ""
    client_ip: str = ""
    user_agent: str = ""


_EMPTY = RequestContext()
_current: contextvars.ContextVar[RequestContext] = contextvars.ContextVar("baomi_request")


def client_ip(request: Any) -> str:
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


# X-Request-Id and User-Agent come from the client and end up in audit events, logs and a
# response header: bound and sanitise them first (issue #9 §6, ASVS 5.0 V16.4.1).
REQUEST_ID_MAX = 64
USER_AGENT_MAX = 256
_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@-]{0,63}")


def request_id(sent: object) -> str:
    """The caller's X-Request-Id when it is a plain token (letters, digits, `. _ : @ -`,
    at most 64), else a fresh one: a correlation id never carries markup, controls, spaces
    or a log line of its own."""
    s = str(sent or "")
    return s if _REQUEST_ID.fullmatch(s) else uuid.uuid4().hex


def user_agent(sent: object) -> str:
    """User-Agent as printable text: control, format (bidi, zero-width), private-use and
    unassigned characters and line separators dropped, whitespace runs made one space,
    at most 256 characters."""
    s = str(sent or "")[: USER_AGENT_MAX * 4]
    kept: list[str] = []
    for ch in s:
        cat = unicodedata.category(ch)
        if ch.isspace() or cat in ("Zl", "Zp"):
            if kept and kept[-1] != " ":
                kept.append(" ")
        elif cat[0] != "C":
            kept.append(ch)
    return "".join(kept).strip()[:USER_AGENT_MAX]


def current_request() -> RequestContext:
    return _current.get(_EMPTY)
