from typing import Any

from django.http import HttpRequest


def console(request: HttpRequest) -> dict[str, Any]:
    from baomi.access.policy import allowed_purposes

    user = getattr(request, "user", None)
    purposes = allowed_purposes(user.role) if user is not None and user.is_authenticated else []
    return {
        "active_purpose": request.session.get("purpose") if hasattr(request, "session") else None,
        "allowed_purposes": purposes,
    }
