"""django-axes lock-out callable: audit the lock-out, answer with a problem document (API)
or the console's translated lock-out page (everything else)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse

from baomi import audit
from baomi.audit.models import Action, Outcome


def locked_out(
    request: HttpRequest, credentials: Any = None, *args: Any, **kwargs: Any
) -> HttpResponse:
    audit.record(
        Action.LOCKED_OUT, None, object_type="staff", outcome=Outcome.DENIED, detail={"minutes": 15}
    )
    if not request.path.startswith("/api/"):
        from django.shortcuts import render

        return render(request, "console/locked_out.html", {"minutes": 15}, status=429)
    return JsonResponse(
        {
            "type": "https://baomi.dev/problems/locked_out",
            "title": "Locked out",
            "status": 429,
            "detail": "too many failed sign-ins; try again in 15 minutes",
            "code": "locked_out",
        },
        status=429,
        content_type="application/problem+json",
    )
