"""Console sign-in: password → one-time code (or first enrolment) → forced password change
when due → Django `login()`. Nothing before the last step creates an authenticated session.

Between the steps the session holds only a *pending* sign-in: the staff id, a fingerprint
of the password hash (a password reset in between voids it), the stage the person has
reached, a start time and a count of wrong codes. The stages only move forward, each is
checked by the page that serves it, and `login()` (which rotates the session key) runs
only after the second factor — so no page of the console, nor of any app that relies on
Django's session, is reachable on a password alone (ASVS V6.3.3/V6.3.4, V7.2.4).
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from baomi import audit
from baomi.access import mfa, throttle
from baomi.access import services as access
from baomi.access.models import Staff
from baomi.access.passwords import password_expired
from baomi.audit.models import Action
from baomi.core import clock
from baomi.core.errors import BaomiError, NotAuthenticated, ValidationFailed

from . import forms, labels

PENDING = "_baomi_pending"
PENDING_SECONDS = 10 * 60  # time to finish the sign-in (enrolment included)
MAX_CODE_TRIES = 5  # wrong codes per pending sign-in, then back to the password
BACKEND = "django.contrib.auth.backends.ModelBackend"

STAGE_OTP, STAGE_ENROL, STAGE_PASSWORD = "otp", "enrol", "password"
STAGE_URL = {
    STAGE_OTP: "console:login_code",
    STAGE_ENROL: "console:login_enrol",
    STAGE_PASSWORD: "console:login_password",
}


# -- the pending sign-in ------------------------------------------------------------------
def _safe_next(request: HttpRequest, raw: str) -> str:
    if raw and url_has_allowed_host_and_scheme(
        raw, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return raw
    return ""


def _fingerprint(staff: Staff) -> str:
    return staff.get_session_auth_hash()


def _start(request: HttpRequest, staff: Staff, stage: str, nxt: str) -> None:
    request.session.cycle_key()  # a new key once the password is right
    request.session[PENDING] = {
        "uid": staff.pk,
        "fp": _fingerprint(staff),
        "stage": stage,
        "at": int(time.time()),
        "tries": 0,
        "next": nxt,
    }


def _start_decoy(request: HttpRequest, nxt: str) -> None:
    """A wrong password leads to the code page like a right one (issue #9 §6): the page,
    the session key change and the answer to any code are the same, so nothing says
    whether the password was right before a one-time code is checked."""
    request.session.cycle_key()
    request.session[PENDING] = {
        "uid": 0,
        "decoy": True,
        "stage": STAGE_OTP,
        "at": int(time.time()),
        "tries": 0,
        "next": nxt,
    }


def _decoy(request: HttpRequest) -> dict[str, Any] | None:
    state = request.session.get(PENDING)
    if not (isinstance(state, dict) and state.get("decoy")):
        return None
    if int(time.time()) - int(state.get("at", 0)) > PENDING_SECONDS:
        _clear(request)
        return None
    return state


def _known_device(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """After a completed sign-in, remember this browser for the account: it then skips the
    account-wide back-off (baomi.access.throttle), so nobody can keep a colleague out by
    failing sign-ins under their name."""
    username = getattr(request, "_baomi_signed_in", None)
    if username:
        response.set_cookie(
            throttle.DEVICE_COOKIE,
            throttle.device_cookie(username),
            max_age=throttle.DEVICE_MAX_AGE,
            secure=request.is_secure(),
            httponly=True,
            samesite="Strict",
        )
    return response


def _locked(request: HttpRequest, exc: access.LockedOut) -> HttpResponse:
    ctx = {"minutes": exc.extra.get("minutes", 15), "scope": exc.extra.get("scope", "pair")}
    response = render(request, "console/locked_out.html", ctx, status=429)
    if isinstance(exc.extra.get("retry_after"), int):
        response["Retry-After"] = str(exc.extra["retry_after"])
    return response


def _clear(request: HttpRequest) -> None:
    request.session.pop(PENDING, None)


def _pending(request: HttpRequest) -> tuple[Staff, dict[str, Any]] | None:
    """The staff member half-way through signing in, or None (and the state is dropped)
    when there is none, it is too old, or the account changed meanwhile."""
    state = request.session.get(PENDING)
    if not isinstance(state, dict):
        return None
    if int(time.time()) - int(state.get("at", 0)) > PENDING_SECONDS:
        _clear(request)
        return None
    staff = Staff.objects.filter(pk=int(state.get("uid") or 0), is_active=True).first()
    if staff is None or _fingerprint(staff) != state.get("fp"):
        _clear(request)
        return None
    return staff, state


def _save(request: HttpRequest, state: dict[str, Any]) -> None:
    request.session[PENDING] = state  # reassign: the session notices the change


def _at_stage(request: HttpRequest, stage: str) -> tuple[Staff, dict[str, Any]] | HttpResponse:
    """The pending sign-in if it has reached `stage`; otherwise where it should go."""
    found = _pending(request)
    if found is None:
        if request.user.is_authenticated:
            return redirect("console:home")
        messages.info(request, _("Please sign in again."))
        return redirect("console:login")
    staff, state = found
    if state["stage"] != stage:
        return redirect(STAGE_URL[state["stage"]])
    return staff, state


def _cap_session_at_password_expiry(request: HttpRequest, staff: Staff) -> None:
    """A session must not outlive the password: when the password falls due within the
    session's lifetime, the session ends then and the next sign-in asks for a new one."""
    days = settings.BAOMI_PASSWORD_MAX_AGE_DAYS
    if days <= 0:
        return
    changed = staff.password_changed_at or staff.date_joined
    due = changed + timedelta(days=days)
    if due - clock.now() < timedelta(seconds=settings.SESSION_COOKIE_AGE):
        request.session.set_expiry(due)


def _complete(request: HttpRequest, staff: Staff, state: dict[str, Any], via: str) -> str:
    """Sign in for real: the session key rotates, the sign-in is audited. Returns the page
    to go to next."""
    nxt = state.get("next") or reverse("console:home")
    _clear(request)
    login(request, staff, backend=BACKEND)
    request.session["_baomi_mfa"] = via
    # the idle and absolute clocks of SessionTimeoutMiddleware start now, at sign-in
    now = int(time.time())
    request.session["_baomi_started"] = now
    request.session["_baomi_last"] = now
    _cap_session_at_password_expiry(request, staff)
    audit.record(
        Action.LOGIN,
        staff,
        object_type="staff",
        object_id=staff.pk,
        detail={"via": "console", "mfa": via},
    )
    return str(nxt)


def _after_second_factor(
    request: HttpRequest, staff: Staff, state: dict[str, Any], via: str
) -> str:
    """Both factors done: a due password is changed first, then the session starts."""
    access.signed_in(request, staff)
    request._baomi_signed_in = staff.username  # type: ignore[attr-defined]
    if password_expired(staff):
        state.update(stage=STAGE_PASSWORD, mfa=via, at=int(time.time()))
        _save(request, state)
        return reverse("console:login_password")
    return _complete(request, staff, state, via)


def _wrong_code(request: HttpRequest, state: dict[str, Any]) -> HttpResponse | None:
    """Count a wrong code; after MAX_CODE_TRIES the sign-in starts over from the password."""
    state["tries"] = int(state.get("tries", 0)) + 1
    if state["tries"] >= MAX_CODE_TRIES:
        _clear(request)
        messages.error(request, _("Too many wrong codes. Sign in again with your password."))
        return redirect("console:login")
    _save(request, state)
    return None


# -- step 1: username and password ----------------------------------------------------------
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("console:home")
    nxt = _safe_next(request, request.POST.get("next") or request.GET.get("next", ""))
    ctx: dict[str, Any] = {"next": nxt, "username": "", "error": False}
    if request.method != "POST":
        ctx["expired"] = request.session.pop("_baomi_expired", None)
        return render(request, "console/login.html", ctx)
    username = request.POST.get("username", "")[:150]
    password = request.POST.get("password", "")
    ctx["username"] = username
    try:
        staff = access.check_password_only(request, username, password)
    except access.LockedOut as exc:
        _clear(request)
        return _locked(request, exc)
    except NotAuthenticated:  # audited by the service (auth.login_failed)
        _clear(request)
        if settings.BAOMI_MFA_ALL_ROLES:  # every account has a second factor: go on to it
            _start_decoy(request, nxt)
            return redirect(STAGE_URL[STAGE_OTP])
        ctx["error"] = True  # some roles sign in on the password alone: say it here
        return render(request, "console/login.html", ctx)
    if not mfa.requires_mfa(staff.role):
        _start(request, staff, STAGE_OTP, nxt)  # a role without MFA (BAOMI_MFA_ALL_ROLES off)
        state = dict(request.session[PENDING])
        target = _after_second_factor(request, staff, state, "not_required")
        return _known_device(request, redirect(target))
    stage = STAGE_OTP if mfa.has_confirmed_device(staff) else STAGE_ENROL
    _start(request, staff, stage, nxt)
    return redirect(STAGE_URL[stage])


@require_POST
def login_cancel(request: HttpRequest) -> HttpResponse:
    _clear(request)
    return redirect("console:login")


# -- step 2: the one-time code ----------------------------------------------------------------
@require_http_methods(["GET", "POST"])
def login_code(request: HttpRequest) -> HttpResponse:
    decoy = _decoy(request)
    if decoy is not None:  # the password was wrong: every code is refused the same way
        if request.method != "POST":
            return render(request, "console/login_code.html", {"error": False})
        gone = _wrong_code(request, decoy)
        if gone is not None:
            return gone
        return render(request, "console/login_code.html", {"error": True}, status=200)
    found = _at_stage(request, STAGE_OTP)
    if isinstance(found, HttpResponse):
        return found
    staff, state = found
    ctx: dict[str, Any] = {"error": False}
    if request.method != "POST":
        return render(request, "console/login_code.html", ctx)
    if not mfa.has_confirmed_device(staff):  # reset meanwhile: enrol instead
        state["stage"] = STAGE_ENROL
        _save(request, state)
        return redirect("console:login_enrol")
    code = request.POST.get("code", "")[:64]
    recovery = len(forms.clean_code(code)) > 8
    try:
        access.check_second_factor(staff, code)  # audits failures and recovery-code use
    except BaomiError:
        gone = _wrong_code(request, state)
        if gone is not None:
            return gone
        ctx["error"] = True
        return render(request, "console/login_code.html", ctx, status=200)
    if recovery:
        left = mfa.recovery_codes_left(staff)
        messages.warning(
            request,
            _("You signed in with a recovery code; %(n)s remain. Each works only once.")
            % {"n": left},
        )
    target = _after_second_factor(request, staff, state, "recovery" if recovery else "totp")
    return _known_device(request, redirect(target))


# -- step 2 for a first sign-in: enrol an authenticator ------------------------------------
@require_http_methods(["GET", "POST"])
def login_enrol(request: HttpRequest) -> HttpResponse:
    found = _at_stage(request, STAGE_ENROL)
    if isinstance(found, HttpResponse):
        return found
    staff, state = found
    if mfa.has_confirmed_device(staff):  # enrolled meanwhile (e.g. by an administrator)
        state["stage"] = STAGE_OTP
        _save(request, state)
        return redirect("console:login_code")
    if access.enrolment_window_closed(staff):  # 24 h after an MFA reset, not later
        _clear(request)
        messages.error(
            request,
            _(
                "The time to set up a new authenticator has run out. Ask a security "
                "administrator for a new reset."
            ),
        )
        return redirect("console:login")
    enrolment = mfa.pending_enrolment(staff) or mfa.start_enrolment(staff)
    ctx: dict[str, Any] = {
        # the SVG is generated by segno from the otpauth URI: no user input reaches it
        "qr_svg": mark_safe(enrolment.qr_svg),  # noqa: S308
        "secret": enrolment.secret_b32,
        "secret_groups": forms.group(enrolment.secret_b32),
        "error": False,
    }
    if request.method != "POST":
        return render(request, "console/login_enrol.html", ctx)
    codes = access.confirm_own_enrolment(staff, request.POST.get("code", "")[:64])
    if not codes:
        gone = _wrong_code(request, state)
        if gone is not None:
            return gone
        ctx["error"] = True
        return render(request, "console/login_enrol.html", ctx)
    nxt = _after_second_factor(request, staff, state, "enrolled")
    # shown once, in this response only: never stored in the session or a message
    response = render(request, "console/recovery_codes.html", {"codes": codes, "next": nxt})
    return _known_device(request, response)


# -- step 3 when due: a new password ----------------------------------------------------------
def _password_form_errors(
    staff: Staff, data: dict[str, str]
) -> tuple[dict[str, list[str]], Staff | None]:
    """Change the password; returns (errors per input, the staff member on success)."""
    errors: dict[str, list[str]] = {}
    old, new, confirm = data["old_password"], data["new_password"], data["confirm_password"]
    if not old:
        errors.setdefault("old_password", []).append(_("Enter your current password."))
    if not new:
        errors.setdefault("new_password", []).append(_("Enter a new password."))
    elif new != confirm:
        errors.setdefault("confirm_password", []).append(_("The two new passwords differ."))
    if errors:
        return errors, None
    try:
        access.change_password(staff, old, new)
    except ValidationFailed as exc:
        for issue in exc.issues:
            if issue.code == "password_too_recent":
                rule = labels.PASSWORD_RULES[issue.code]
                errors.setdefault("new_password", []).append(str(rule))
            elif issue.field == "new_password":
                errors.setdefault("new_password", []).extend(forms.password_problems(new, staff))
            elif issue.field == "old_password":
                errors.setdefault("old_password", []).append(_("The current password is wrong."))
            else:
                errors.setdefault("new_password", []).append(forms.issue_text(issue))
        return errors, None
    staff.refresh_from_db()
    return {}, staff


def _password_data(request: HttpRequest) -> dict[str, str]:
    return {
        k: request.POST.get(k, "")[:1024]
        for k in ("old_password", "new_password", "confirm_password")
    }


@require_http_methods(["GET", "POST"])
def login_password(request: HttpRequest) -> HttpResponse:
    found = _at_stage(request, STAGE_PASSWORD)
    if isinstance(found, HttpResponse):
        return found
    staff, state = found
    ctx: dict[str, Any] = {"forced": True, "errors": {}, "must_change": staff.must_change_password}
    if request.method != "POST":
        return render(request, "console/password_change.html", ctx)
    errors, changed = _password_form_errors(staff, _password_data(request))
    if changed is None:
        ctx["errors"] = errors
        return render(request, "console/password_change.html", ctx, status=422)
    messages.success(request, _("Your password has been changed."))
    return redirect(_complete(request, changed, state, str(state.get("mfa", ""))))


@login_required
@require_http_methods(["GET", "POST"])
def password_change(request: HttpRequest) -> HttpResponse:
    """Change your own password (also reached when it has fallen due during a session).
    Other sessions of the account end (Django ties them to the password hash)."""
    staff = request.user
    assert isinstance(staff, Staff)
    ctx: dict[str, Any] = {"forced": password_expired(staff), "errors": {}}
    ctx["must_change"] = staff.must_change_password
    if request.method != "POST":
        return render(request, "console/password_change.html", ctx)
    errors, changed = _password_form_errors(staff, _password_data(request))
    if changed is None:
        ctx["errors"] = errors
        return render(request, "console/password_change.html", ctx, status=422)
    update_session_auth_hash(request, changed)  # keep this session, rotate its key
    messages.success(request, _("Your password has been changed."))
    return redirect("console:home")


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        audit.record(Action.LOGOUT, request.user, object_type="staff", object_id=request.user.pk)
    logout(request)  # flushes the session, pending sign-in included
    messages.info(request, _("You have signed out."))
    return redirect("console:login")
