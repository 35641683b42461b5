"""Audit REST API (/api/v1/audit): events (security_auditor), checkpoint, proofs, alerts.

Events carry metadata only — who, what, when, why, field *names* and treatments — never a
customer value (the log never holds one). Checkpoints and proofs hold hashes only; any
signed-in staff member may fetch them, e.g. to check that their own action was logged.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja import Query, Router, Schema

from baomi.core.errors import Forbidden, NotFound

from . import checkpoints, monitoring, services, witness
from .models import Action, Alert, AlertState, AuditEvent, Outcome

router = Router(tags=["audit"])
AUDITOR = "security_auditor"
ALERT_ROLES = monitoring.ALERT_ROLES


def require(request: HttpRequest, *roles: str) -> Any:
    """The signed-in staff member, if their role is one of `roles`; else an audited 403."""
    staff = request.staff  # type: ignore[attr-defined]
    if staff.role_code not in roles:
        services.record(
            Action.ACCESS_DENIED,
            staff,
            object_type="audit_log",
            outcome=Outcome.DENIED,
            detail={"reason": "role_required", "via": "api", "path": request.path[:100]},
        )
        raise Forbidden(f"this needs the role {' or '.join(roles)}", code="role_required")
    return staff


class EventOut(Schema):
    seq: int
    at: datetime
    actor_id: int | None
    actor_username: str
    actor_role: str
    action: str
    purpose: str
    object_type: str
    object_id: str
    fields: dict[str, Any]
    outcome: str
    request_id: str
    client_ip: str
    user_agent: str
    detail: dict[str, Any]


class EventPage(Schema):
    items: list[EventOut]
    page: int
    page_size: int
    total: int
    pages: int


class EventQuery(Schema):
    actor: str = ""
    customer: str = ""
    object_type: str = ""
    object_id: str = ""
    action: str = ""
    outcome: str = ""
    purpose: str = ""
    since: datetime | None = None
    until: datetime | None = None
    page: int = 1
    page_size: int = 50


def _event_out(e: AuditEvent) -> dict[str, Any]:
    return {
        "seq": e.seq,
        "at": e.at,
        "actor_id": e.actor_id,
        "actor_username": e.actor_username,
        "actor_role": e.actor_role,
        "action": e.action,
        "purpose": e.purpose,
        "object_type": e.object_type,
        "object_id": e.object_id,
        "fields": e.fields if isinstance(e.fields, dict) else {"value": e.fields},
        "outcome": e.outcome,
        "request_id": e.request_id,
        "client_ip": e.client_ip,
        "user_agent": e.user_agent,
        "detail": e.detail if isinstance(e.detail, dict) else {"value": e.detail},
    }


@router.get("/events", response=EventPage)
def list_events(request: HttpRequest, q: Query[EventQuery]) -> dict[str, Any]:
    """Search the log (security_auditor): by actor (username or id), customer, object,
    action (`customer.*` for a prefix), outcome, purpose and time range; newest first."""
    staff = require(request, AUDITOR)
    flt = services.EventFilter(
        actor=q.actor.strip(),
        customer=q.customer.strip(),
        object_type=q.object_type.strip(),
        object_id=q.object_id.strip(),
        action=q.action.strip(),
        outcome=q.outcome.strip(),
        purpose=q.purpose.strip(),
        since=q.since,
        until=q.until,
    )
    size = max(1, min(q.page_size, 200))
    page = max(1, min(q.page, 100_000))
    qs = services.search_events(flt)
    total = qs.count()
    items = [_event_out(e) for e in qs[(page - 1) * size : page * size]]
    services.record(
        Action.AUDIT_SEARCHED,
        staff,
        object_type="customer" if flt.customer else "audit_log",
        object_id=flt.customer,
        detail={"via": "api", "filters": services.filter_summary(flt), "results": total},
    )
    return {
        "items": items,
        "page": page,
        "page_size": size,
        "total": total,
        "pages": (total + size - 1) // size,
    }


class WitnessedOut(Schema):
    tree_size: int
    root_hash: str
    signed_at: datetime | None
    trigger: str


class PushOut(Schema):
    at: str
    ok: bool
    tree_size: int | None
    error: str


class WitnessOut(Schema):
    """Checkpoints kept outside the database. `state`: ok (the stored tree still holds the
    newest witnessed tree: RFC 6962 consistency proof), shorter / different (it does not —
    run `baomi audit verify`), invalid (a witness line does not verify), none (nothing
    witnessed yet), disabled (no witness directory)."""

    state: str
    entries: int
    invalid_entries: int
    latest: WitnessedOut | None
    http_configured: bool
    last_push: PushOut | None


class CheckpointOut(Schema):
    id: int
    tree_size: int
    root_hash: str
    created_at: datetime
    origin: str
    key_id: str
    signature: str
    text: str
    verifier_key: str
    witness: WitnessOut


def _witness_out() -> dict[str, Any]:
    info = witness.status()
    push = info["last_push"]
    return {
        "state": info["state"],
        "entries": info["entries"],
        "invalid_entries": info["invalid_entries"],
        "latest": info["latest"],
        "http_configured": bool(info["url"]),
        "last_push": (
            {
                "at": str(push.get("written_at", "")),
                "ok": bool(push.get("ok")),
                "tree_size": push.get("tree_size"),
                "error": str(push.get("error") or "")[:200],
            }
            if push
            else None
        ),
    }


@router.get("/checkpoint", response=CheckpointOut)
def latest_checkpoint(request: HttpRequest) -> dict[str, Any]:
    """The newest signed checkpoint (tree size, root hash, time, Ed25519 signature) and
    its text form (a C2SP signed note) for anchoring outside the system."""
    cp = checkpoints.latest()
    if cp is None:
        raise NotFound("no checkpoint has been signed yet", code="no_checkpoint")
    return {
        "id": cp.pk,
        "tree_size": cp.tree_size,
        "root_hash": bytes(cp.root_hash).hex(),
        "created_at": cp.created_at,
        "origin": cp.origin,
        "key_id": cp.key_id,
        "signature": bytes(cp.signature).hex(),
        "text": cp.text,
        "verifier_key": checkpoints.verifier_key(),
        "witness": _witness_out(),
    }


class ProofOut(Schema):
    seq: int
    leaf_index: int
    tree_size: int
    leaf_hash: str
    proof: list[str]
    root_hash: str


@router.get("/proof/{seq}", response=ProofOut)
def inclusion_proof(request: HttpRequest, seq: int, tree_size: int | None = None) -> Any:
    """RFC 6962 inclusion proof of event `seq` (leaf index seq - 1) in the tree of
    `tree_size` events (default: the whole log). Hex-encoded SHA-256."""
    return services.inclusion_proof(seq, tree_size).as_dict()


class ConsistencyOut(Schema):
    first: int
    second: int
    first_root: str
    second_root: str
    proof: list[str]


@router.get("/consistency", response=ConsistencyOut)
def consistency_proof(request: HttpRequest, first: int, second: int | None = None) -> Any:
    """RFC 6962 consistency proof between tree sizes `first` and `second` (default: now)."""
    return services.consistency_proof(first, second).as_dict()


class AlertOut(Schema):
    id: int
    rule: str
    severity: str
    state: str
    summary: str
    actor_id: int | None
    actor_username: str
    first_seq: int | None
    detail: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    closed_note: str


class AlertPage(Schema):
    items: list[AlertOut]
    page: int
    total: int


def _alert_out(a: Alert) -> dict[str, Any]:
    return {
        "id": a.pk,
        "rule": a.rule,
        "severity": a.severity,
        "state": a.state,
        "summary": a.summary,
        "actor_id": a.actor_id,
        "actor_username": a.actor_username,
        "first_seq": a.first_seq,
        "detail": a.detail if isinstance(a.detail, dict) else {},
        "created_at": a.created_at,
        "updated_at": a.updated_at,
        "closed_note": a.closed_note,
    }


@router.get("/alerts", response=AlertPage)
def list_alerts(request: HttpRequest, state: str = "", page: int = 1) -> dict[str, Any]:
    """The alert queue (security_auditor, security_admin), newest first."""
    require(request, *ALERT_ROLES)
    qs = Alert.objects.order_by("-id")
    if state:
        qs = qs.filter(state=state)
    size = int(getattr(settings, "BAOMI_PAGE_SIZE", 20))
    page = max(1, page)
    return {
        "items": [_alert_out(a) for a in qs[(page - 1) * size : page * size]],
        "page": page,
        "total": qs.count(),
    }


class TransitionIn(Schema):
    to: AlertState
    note: str = ""


@router.post("/alerts/{alert_id}/transition", response=AlertOut)
def transition_alert(request: HttpRequest, alert_id: int, body: TransitionIn) -> dict[str, Any]:
    """open → investigating → closed (closing needs a note); audited."""
    staff = require(request, *ALERT_ROLES)
    return _alert_out(monitoring.transition_alert(staff, alert_id, body.to, body.note))
