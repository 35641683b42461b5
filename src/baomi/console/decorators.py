"""The console's decorators, in one module (issue #10 §2): every staff page of every app
(console, rights, audit, sharing, incidents, and the next domains) declares who may use it
with these, so the rules — signed in after the second factor, password not due, the role,
the purpose — are written once.

- `staff_required`: signed in and the password not due (a due password sends every page
  to the change form).
- `role_required(*roles, denied=None)`: one of these roles, else the console's 403 page
  (or the app's own `denied(request)` answer — e.g. one that also audits the refusal).
- `purpose_required`: a purpose chosen for the session that the role may use (the view
  receives it as its second argument); 428 when the role has purposes but none is chosen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from baomi.access.passwords import password_expired
from baomi.access.policy import allowed_purposes
from baomi.core.errors import BaomiError, Forbidden

from . import labels
from .context import active_purpose

View = Callable[..., HttpResponse]


def staff_required(view: View) -> View:
    """Signed in (which the console grants only after the second factor) and with a
    password that is not due: a due password sends every console page to the change form."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if password_expired(request.user):
            return redirect("console:password_change")
        return view(request, *args, **kwargs)

    return login_required(wrapper)


def role_required(
    *roles: str, denied: Callable[[HttpRequest], HttpResponse] | None = None
) -> Callable[[View], View]:
    """Pages of one or more roles (`Role` members or codes): anyone else gets the console's
    403 page, or `denied(request)` when the app answers refusals its own way."""
    codes = {str(r) for r in roles}

    def deco(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if getattr(request.user, "role_code", "") not in codes:
                if denied is not None:
                    return denied(request)
                return error_page(request, Forbidden(code="role_required"))
            return view(request, *args, **kwargs)

        return staff_required(wrapper)

    return deco


def roles_required(roles: Iterable[str], **kwargs: Any) -> Callable[[View], View]:
    """`role_required` for a set of role codes kept as a constant."""
    return role_required(*sorted(roles), **kwargs)


def error_page(request: HttpRequest, exc: BaomiError) -> HttpResponse:
    ctx = {
        "title": labels.error_title(exc.status),
        "message": labels.error_message(exc.code, exc.status),
        "code": exc.code,
    }
    return render(request, "console/error.html", ctx, status=exc.status)


def purpose_required(view: View) -> View:
    """Customer pages need a purpose the role may use; roles without any get a 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        purpose = active_purpose(request)
        if purpose is None:
            role = request.user.role_code  # type: ignore[union-attr]
            status = 428 if allowed_purposes(role) else 403
            ctx = {"next": request.get_full_path()}
            return render(request, "console/need_purpose.html", ctx, status=status)
        return view(request, purpose, *args, **kwargs)

    return staff_required(wrapper)
