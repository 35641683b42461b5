"""`record(...)`: the one way anything writes to the audit log (DESIGN.md §3 rule 3).

Call it inside the transaction of the change it records. `detail` and `fields` must never
carry personal values: field names, treatments, counts and codes only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from baomi.core import clock
from baomi.core.middleware import current_request

from .models import Action, AuditEvent, Outcome


class ActorLike(Protocol):
    pk: Any
    username: str

    @property
    def role_code(self) -> str: ...


@dataclass(frozen=True)
class SystemActor:
    """For CLI and background work with no logged-in staff member."""

    username: str = "system"
    pk: None = None

    @property
    def role_code(self) -> str:
        return "system"


SYSTEM = SystemActor()


def _event(
    action: Action,
    actor: ActorLike | None,
    *,
    purpose: str = "",
    object_type: str = "",
    object_id: object = "",
    fields: Mapping[str, Any] | Iterable[str] | None = None,
    outcome: Outcome = Outcome.OK,
    detail: Mapping[str, Any] | None = None,
) -> AuditEvent:
    who: ActorLike | SystemActor = actor or SYSTEM
    ctx = current_request()
    if fields is None:
        field_doc: dict[str, Any] = {}
    elif isinstance(fields, Mapping):
        field_doc = dict(fields)
    else:
        field_doc = {"names": sorted(fields)}
    return AuditEvent(
        at=clock.now(),
        actor_id=who.pk,
        actor_username=who.username,
        actor_role=who.role_code,
        action=action,
        purpose=str(purpose or ""),
        object_type=object_type,
        object_id=str(object_id or ""),
        fields=field_doc,
        outcome=outcome,
        request_id=ctx.request_id,
        client_ip=ctx.client_ip,
        user_agent=ctx.user_agent,
        detail=dict(detail or {}),
    )


def record(action: Action, actor: ActorLike | None, **kwargs: Any) -> AuditEvent:
    event = _event(action, actor, **kwargs)
    event.save(force_insert=True)
    return event


def record_many(events: list[AuditEvent]) -> None:
    """Bulk append (import): build each with `build(...)`, then append in one statement."""
    AuditEvent.objects.bulk_create(events, batch_size=500)


def build(action: Action, actor: ActorLike | None, **kwargs: Any) -> AuditEvent:
    return _event(action, actor, **kwargs)
