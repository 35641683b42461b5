"""Console pages for the security auditor (R-E1..E3, R-D4): event search, a customer's
access history, the alert queue and the checkpoint list with verify status.

Only metadata is shown — who, when, why, which fields and how they were treated — never a
customer value: the log holds none, and these pages never call the access gate.
Non-auditors get 403. Every search of the log is itself logged (`audit.searched`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, time
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from baomi.console import decorators
from baomi.console.views import error_page
from baomi.core.downloads import attachment
from baomi.core.errors import BaomiError, Forbidden, NotFound, ValidationFailed

from . import checkpoints, merkle, monitoring, services, witness
from .models import Action, Alert, AlertState, Checkpoint, InboxMessage, Outcome, VerificationRun

AUDITOR = frozenset({"security_auditor"})
View = Callable[..., HttpResponse]
PAGE = 50


def _error(request: HttpRequest, exc: BaomiError) -> HttpResponse:
    return error_page(request, exc)


def _refused(request: HttpRequest) -> HttpResponse:
    """A refused look at the audit log is itself audited."""
    services.record(
        Action.ACCESS_DENIED,
        request.user,  # type: ignore[arg-type]
        object_type="audit_log",
        outcome=Outcome.DENIED,
        detail={"reason": "role_required", "via": "console", "path": request.path},
    )
    return _error(request, Forbidden(code="role_required"))


def auditor_only(roles: frozenset[str] = AUDITOR) -> Callable[[View], View]:
    """The console's decorator (baomi.console.decorators), auditing each refusal."""
    return decorators.roles_required(roles, denied=_refused)


def _when(raw: str, end: bool = False) -> datetime | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    dt = parse_datetime(raw)
    if dt is None:
        d = parse_date(raw)
        if d is None:
            return None
        dt = datetime.combine(d, time.max if end else time.min)
    if timezone.is_naive(dt):
        dt = timezone.make_aware(dt)
    return dt


def _nav(request: HttpRequest) -> dict[str, Any]:
    role = getattr(request.user, "role_code", "")
    return {
        "audit_unread": monitoring.unread_count(role) if role in monitoring.ALERT_ROLES else 0,
        "is_auditor": role in AUDITOR,
    }


@auditor_only()
@require_http_methods(["GET"])
def events(request: HttpRequest) -> HttpResponse:
    g = request.GET
    form = {k: g.get(k, "").strip()[:100] for k in services.EventFilter.__dataclass_fields__}
    flt = services.EventFilter(
        actor=form["actor"],
        customer=form["customer"],
        object_type=form["object_type"],
        object_id=form["object_id"],
        action=form["action"],
        outcome=form["outcome"],
        purpose=form["purpose"],
        since=_when(form["since"]),
        until=_when(form["until"], end=True),
    )
    pager = Paginator(services.search_events(flt), PAGE)
    page = pager.get_page(g.get("page"))
    summary = services.filter_summary(flt)
    services.record(
        Action.AUDIT_SEARCHED,
        request.user,  # type: ignore[arg-type]
        object_type="customer" if flt.customer else "audit_log",
        object_id=flt.customer,
        detail={"via": "console", "filters": summary, "results": pager.count},
    )
    query = "&".join(f"{k}={v}" for k, v in form.items() if v)
    ctx = {
        "form": form,
        "page": page,
        "query": query,
        "outcomes": Outcome.choices,
        "tree_size": services.tree_size(),
        **_nav(request),
    }
    return render(request, "audit/events.html", ctx)


@auditor_only()
@require_http_methods(["GET"])
def customer_history(request: HttpRequest, customer_id: str) -> HttpResponse:
    """Who saw this customer's data, when, why (purpose), which fields and how."""
    try:
        customer_id = str(uuid.UUID(customer_id))
    except ValueError:
        return _error(request, NotFound())
    pager = Paginator(services.customer_history(str(customer_id)), PAGE)
    page = pager.get_page(request.GET.get("page"))
    # the page's events are read before this search's own event is appended, so the page
    # holds the rows its count promised (the new event shows on the next visit)
    page.object_list = list(page.object_list)
    services.record(
        Action.AUDIT_SEARCHED,
        request.user,  # type: ignore[arg-type]
        object_type="customer",
        object_id=customer_id,
        detail={"via": "console", "view": "access_history", "results": pager.count},
    )
    rows = []
    for e in page:
        fields = e.fields if isinstance(e.fields, dict) else {}
        names = fields.get("names") if isinstance(fields.get("names"), list) else None
        rows.append(
            {
                "e": e,
                "treatments": sorted(fields.items()) if names is None else [],
                "names": names or [],
            }
        )
    readers = (
        services.customer_history(str(customer_id))
        .filter(action=Action.CUSTOMER_READ)
        .values_list("actor_username", flat=True)
        .distinct()
    )
    ctx = {
        "customer_id": customer_id,
        "page": page,
        "rows": rows,
        "readers": sorted(set(readers)),
        **_nav(request),
    }
    return render(request, "audit/customer_history.html", ctx)


@auditor_only(monitoring.ALERT_ROLES)
@require_http_methods(["GET"])
def alerts(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "open")
    qs = Alert.objects.order_by("-id")
    if state in AlertState.values:
        qs = qs.filter(state=state)
    page = Paginator(qs, PAGE).get_page(request.GET.get("page"))
    ctx = {"page": page, "state": state, "states": AlertState.choices, **_nav(request)}
    response = render(request, "audit/alerts.html", ctx)
    InboxMessage.objects.filter(
        recipient_role=request.user.role_code,  # type: ignore[union-attr]
        read_at__isnull=True,
        alert__in=[a.pk for a in page],
    ).update(read_at=timezone.now())
    return response


@auditor_only(monitoring.ALERT_ROLES)
@require_http_methods(["GET", "POST"])
def alert_detail(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = Alert.objects.filter(pk=alert_id).first()
    if alert is None:
        return _error(request, NotFound())
    errors: list[str] = []
    if request.method == "POST":
        try:
            monitoring.transition_alert(
                request.user, alert.pk, request.POST.get("to", ""), request.POST.get("note", "")
            )
        except ValidationFailed as exc:
            lang = "zh" if getattr(request, "LANGUAGE_CODE", "").startswith("zh") else "en"
            errors = [i.message(lang) for i in exc.issues]
        except BaomiError as exc:
            return _error(request, exc)
        else:
            messages.success(request, _("The alert was updated."))
            return redirect("audit:alert_detail", alert_id=alert.pk)
    current = AlertState(alert.state)
    ctx = {
        "alert": alert,
        "transitions": alert.transitions.all(),
        "next_states": [
            (s.value, s.label) for s in AlertState if s in monitoring.TRANSITIONS[current]
        ],
        "errors": errors,
        "note": request.POST.get("note", "") if request.method == "POST" else "",
        **_nav(request),
    }
    return render(request, "audit/alert_detail.html", ctx, status=422 if errors else 200)


@auditor_only()
@require_http_methods(["GET"])
def checkpoint_list(request: HttpRequest) -> HttpResponse:
    """Checkpoints, newest first, each with its signature status and its consistency with
    the one before it (checked now from the stored tree), and the last full verification."""
    cps = list(Checkpoint.objects.order_by("-id")[: PAGE + 1])  # one more: the last's previous
    try:
        pub = checkpoints.public_key(create=False)
    except BaomiError:
        pub = None
    rows = []
    for i, cp in enumerate(cps[:PAGE]):
        prev = cps[i + 1] if i + 1 < len(cps) else None
        rows.append(
            {
                "cp": cp,
                "root": bytes(cp.root_hash).hex(),
                "signed": pub is not None and checkpoints.signature_ok(cp, pub),
                "consistent": _consistent(prev, cp),
                "prev": prev,
            }
        )
    ctx = {
        "rows": rows,
        "last_run": VerificationRun.objects.order_by("-id").first(),
        "runs": VerificationRun.objects.order_by("-id")[:10],
        "tree_size": services.tree_size(),
        "verifier_key": checkpoints.verifier_key() if pub is not None else "",
        "witness": witness.status(),
        **_nav(request),
    }
    return render(request, "audit/checkpoints.html", ctx)


def _consistent(prev: Checkpoint | None, cp: Checkpoint) -> bool | None:
    if prev is None or prev.tree_size == 0:
        return None
    try:
        proof = services.consistency_proof(prev.tree_size, cp.tree_size)
        merkle.verify_consistency(
            prev.tree_size,
            cp.tree_size,
            proof.proof,
            bytes(prev.root_hash),
            bytes(cp.root_hash),
        )
    except (merkle.ProofError, BaomiError, services.tree.TreeCorrupt):
        return False
    return True


@auditor_only()
@require_POST
def checkpoint_sign(request: HttpRequest) -> HttpResponse:
    cp = checkpoints.make_checkpoint()
    services.record(
        Action.AUDIT_CHECKPOINT,
        request.user,  # type: ignore[arg-type]
        object_type="checkpoint",
        object_id=cp.pk,
        detail={"tree_size": cp.tree_size, "via": "console"},
    )
    messages.success(request, _("Checkpoint signed at tree size %(n)s.") % {"n": cp.tree_size})
    return redirect("audit:checkpoints")


@auditor_only()
@require_http_methods(["GET"])
def checkpoint_text(request: HttpRequest, checkpoint_id: int) -> HttpResponse:
    cp = Checkpoint.objects.filter(pk=checkpoint_id).first()
    if cp is None:
        return _error(request, NotFound())
    response = HttpResponse(cp.text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = attachment(f"checkpoint-{cp.tree_size}.txt")
    return response


@decorators.staff_required
def index(request: HttpRequest) -> HttpResponse:
    return redirect("audit:events")
