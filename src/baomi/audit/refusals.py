"""Refusals that survive the rollback of the transaction they were refused in.

A refusal (an access denial, a duplicate that would have been created) is evidence and
must be logged (R-E1, issue #9 §3). But services refuse by raising, usually inside
`transaction.atomic()`, and the exception rolls back everything appended in that block —
the refusal's own audit event included. `record_refusal` therefore appends at once when
no transaction is open, and otherwise keeps the event (built now, with the request's
context) on the connection until the block it was refused in has ended, committed or
rolled back; `flush()` then appends it in a transaction of its own. The request
middleware and the `baomi` command line open such a `boundary()` and flush at its end, so
every refusal reaches the log exactly once; outside a boundary (a service called
directly) the refusal is appended at once, in the caller's transaction.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from django.db import DEFAULT_DB_ALIAS, connections

if TYPE_CHECKING:  # models load with the apps; the CLI imports this module before that
    from .models import Action, AuditEvent

_ATTR = "_baomi_pending_refusals"
# transaction depth at which the current request / command started (a test runs its
# requests inside its own transaction); None outside any boundary: append at once, in the
# caller's transaction, as `record` does
_base: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "baomi_refusal_base", default=None
)


@contextlib.contextmanager
def boundary() -> Iterator[None]:
    """Around one request or command: refusals made at its own level are appended at once,
    deeper ones when their block has ended — at the latest here, on the way out."""
    conn = connections[DEFAULT_DB_ALIAS]
    token = _base.set(len(conn.atomic_blocks))
    try:
        yield
    finally:
        try:
            flush()
        finally:
            _base.reset(token)


def _pending(conn: Any) -> list[tuple[int, AuditEvent]]:
    pending = getattr(conn, _ATTR, None)
    if pending is None:
        pending = []
        setattr(conn, _ATTR, pending)
    return pending


def record_refusal(action: Action, actor: Any, **kwargs: Any) -> AuditEvent:
    """Log a refusal (outcome `denied` unless given) so that it outlives a rollback."""
    from .models import Outcome
    from .services import append, build

    kwargs.setdefault("outcome", Outcome.DENIED)
    event = build(action, actor, **kwargs)
    conn = connections[DEFAULT_DB_ALIAS]
    base = _base.get()
    if base is None or len(conn.atomic_blocks) <= base:
        append([event])
    else:
        _pending(conn).append((len(conn.atomic_blocks), event))
    return event


def flush() -> int:
    """Append the refusals whose transaction has ended; return how many."""
    from .services import append

    conn = connections[DEFAULT_DB_ALIAS]
    pending = getattr(conn, _ATTR, None)
    if not pending:
        return 0
    depth = len(conn.atomic_blocks)
    due = [ev for d, ev in pending if d > depth]
    if not due:
        return 0
    pending[:] = [(d, ev) for d, ev in pending if d <= depth]
    append(due)
    return len(due)
