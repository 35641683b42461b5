"""Rights-request API (INTERFACES.md): intake by staff, the privacy officer's queue,
transitions, access copies and erasure certificates. Thin: parse, authorise, call, shape."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status

from baomi.access.enums import Role
from baomi.access.services import require_role
from baomi.api.auth import purpose_header
from baomi.catalog.enums import Purpose
from baomi.core.errors import Conflict, NotFound

from . import selectors, services, sla
from .models import RequestKind, RequestState, RightsRequest, RightsTransition, Via

router = Router(tags=["rights requests"])


class RequestIn(Schema):
    customer_id: str
    kind: str
    detail: str | None = None
    changes: dict[str, Any] | None = None  # rectify: field → corrected value
    consents: list[str] | None = None  # withdraw_consent: purpose codes (default: all)
    channel: str | None = None  # where the customer asked (call_center, store, …)


class TransitionIn(Schema):
    to: str
    reason: str | None = None


class RequestOut(Schema):
    id: int
    customer_id: str
    kind: str
    state: str
    via: str
    channel: str
    consents: list[str]
    received_at: str
    verified_at: str | None = None
    started_at: str | None = None
    completed_at: str | None = None
    refused_at: str | None = None
    refusal_reason: str = ""
    resolution: str = ""
    outcome: dict[str, Any]
    sla: dict[str, Any]
    transitions: list[dict[str, Any]]
    detail: str | None = None
    changes: dict[str, Any] | None = None


def _iso(v: Any) -> str | None:
    return v.isoformat() if v else None


def shape(
    req: RightsRequest,
    texts: services.Texts | None = None,
    moves: list[RightsTransition] | None = None,
) -> dict[str, Any]:
    """The request as JSON. Its texts (refusal_reason, resolution, the moves' reasons,
    detail, changes) are sealed: they appear only as opened by the gate (`texts`), else
    "" (detail and changes: absent) — never the stored ciphertext."""
    opened = texts or services.Texts()
    moves = selectors.moves(req) if moves is None else moves
    out = {
        "id": req.pk,
        "customer_id": str(req.customer_id),
        "kind": req.kind,
        "state": req.state,
        "via": req.via,
        "channel": req.channel,
        "consents": list(req.consents),
        "received_at": req.received_at.isoformat(),
        "verified_at": _iso(req.verified_at),
        "started_at": _iso(req.started_at),
        "completed_at": _iso(req.completed_at),
        "refused_at": _iso(req.refused_at),
        "refusal_reason": opened.text(req, "refusal_reason"),
        "resolution": opened.text(req, "resolution"),
        "outcome": req.outcome,
        "sla": sla.clock(req).as_dict(),
        "transitions": [
            {
                "from": m.from_state,
                "to": m.to_state,
                "at": m.at.isoformat(),
                "actor_role": m.actor_role,
                "reason": opened.reason(m),
            }
            for m in moves
        ],
    }
    for code in ("detail", "changes"):
        if opened.of(req).get(code) is not None:
            out[code] = opened.of(req)[code]
    return out


def _opened(request: HttpRequest, actor: Any, req: RightsRequest) -> dict[str, Any]:
    """The request as JSON; with `X-Purpose: rights_request` its texts and its moves'
    reasons, opened by the gate in one call (audited). Without that purpose, or once the
    customer is erased (the texts went with the data key): "" (detail, changes: absent)."""
    moves = selectors.moves(req)
    texts = None
    if purpose_header(request) == Purpose.RIGHTS_REQUEST.value:
        texts = services.open_texts(actor, req.customer_id, [req], moves)
    return shape(req, texts, moves)


def _staff(request: HttpRequest) -> Any:
    return request.staff  # type: ignore[attr-defined]


@router.post("", response={201: RequestOut}, exclude_none=True)
def create_request(request: HttpRequest, body: RequestIn) -> Status[dict[str, Any]]:
    """Enter a request made by phone, at a counter or through an app (privacy_officer,
    customer_service, front_desk). The SLA clock starts now."""
    req = services.create_request(
        _staff(request),
        body.customer_id,
        body.kind,
        detail=body.detail,
        changes=body.changes,
        consents=body.consents,
        via=Via.API,
        channel=body.channel,
    )
    return Status(201, shape(req))


@router.get("", response=list[RequestOut], exclude_none=True)
def queue(request: HttpRequest, include_closed: bool = False) -> list[dict[str, Any]]:
    """The privacy officer's queue: open requests, least time left first."""
    require_role(_staff(request), Role.PRIVACY_OFFICER)
    items = selectors.queue(include_closed=include_closed)
    moves = selectors.moves_of([i.request for i in items])  # one query, not one per request
    return [shape(i.request, moves=moves[i.request.pk]) for i in items]


@router.get("/{request_id}", response=RequestOut, exclude_none=True)
def get_request(request: HttpRequest, request_id: str) -> dict[str, Any]:
    """One request with its history and SLA clock (the privacy officer: any request; intake
    staff: those they entered). Its texts are personal and sealed: with `X-Purpose:
    rights_request` the gate opens them (read audited) — free text, proposed corrections,
    refusal reason, resolution, the moves' reasons; otherwise they are "" (or absent).
    After the customer's erasure they are "" for good."""
    actor = _staff(request)
    require_role(actor, Role.PRIVACY_OFFICER, Role.CUSTOMER_SERVICE, Role.FRONT_DESK)
    req = selectors.get(request_id)
    if actor.role_code != Role.PRIVACY_OFFICER and req.created_by_id != actor.pk:
        raise NotFound("no such rights request")  # intake staff see the requests they entered
    return _opened(request, actor, req)


@router.post("/{request_id}/transition", response=RequestOut, exclude_none=True)
def transition(request: HttpRequest, request_id: str, body: TransitionIn) -> dict[str, Any]:
    """Move a request (privacy_officer): verified, in_progress, completed, refused (with a
    reason). Completing carries the request out (erasure, restriction, correction, …).
    The reason is sealed; the answer shows texts like `GET` (with `X-Purpose`)."""
    actor = _staff(request)
    req = services.transition(actor, request_id, body.to, body.reason or "")
    return _opened(request, actor, req)


@router.get("/{request_id}/copy", response=dict[str, Any])
def access_copy(request: HttpRequest, request_id: str) -> dict[str, Any]:
    """The access copy for an `access` request being handled or completed (JSON)."""
    actor = _staff(request)
    require_role(actor, Role.PRIVACY_OFFICER)
    req = selectors.get(request_id)
    if req.kind != RequestKind.ACCESS or req.state not in (
        RequestState.IN_PROGRESS,
        RequestState.COMPLETED,
    ):
        raise Conflict(
            "a copy is produced for an access request in progress or completed",
            code="copy_not_available",
        )
    return services.access_copy(actor, req.customer_id)


@router.get("/{request_id}/certificate", response=dict[str, Any])
def certificate(request: HttpRequest, request_id: str) -> dict[str, Any]:
    """The erasure certificate of a completed `erase` request."""
    require_role(_staff(request), Role.PRIVACY_OFFICER, Role.SECURITY_AUDITOR)
    req = selectors.get(request_id)
    tomb = selectors.tombstone(req.customer_id) if req.kind == RequestKind.ERASE else None
    if tomb is None:
        raise NotFound("no erasure certificate for this request")
    return dict(tomb.certificate)
