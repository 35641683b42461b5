"""Console sessions: idle timeout (15 min) and absolute lifetime (8 h) (ASVS V7.3)."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse


class SessionTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            now = int(time.time())
            started = request.session.setdefault("_baomi_started", now)
            last = request.session.get("_baomi_last", now)
            idle = now - int(last) > settings.BAOMI_SESSION_IDLE_SECONDS
            too_old = now - int(started) > settings.SESSION_COOKIE_AGE
            if idle or too_old:
                logout(request)  # flushes the session
                request.session["_baomi_expired"] = "idle" if idle else "absolute"
            else:
                request.session["_baomi_last"] = now
        return self.get_response(request)
