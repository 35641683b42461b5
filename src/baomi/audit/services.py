"""`record(...)`: the one way anything writes to the audit log (DESIGN.md §3 rule 3).

Call it inside the transaction of the change it records. `detail` and `fields` must never
carry personal values: field names, treatments, counts and codes only.

Every append (`record`, `record_many`) runs in the caller's transaction:
  1. lock the head row (PostgreSQL `SELECT … FOR UPDATE`; SQLite's single writer lock) —
     appends are serialised, so seq numbers are contiguous and never reused: a rolled-back
     transaction takes its seq numbers, nodes and head update with it;
  2. give each event the next seq, hash its canonical bytes into a leaf (RFC 6962), push
     it onto the tree's right edge, collecting the nodes it completes;
  3. insert the events and the nodes in bulk and write the head back;
  4. sign a checkpoint when one is due, and run the monitoring rules over the batch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import Q

from baomi.core import clock
from baomi.core.context import current_request
from baomi.core.errors import BaomiError, NotFound

from . import actions, canonical, merkle, tree
from .groupcommit import GroupCommit
from .models import Action, AuditEvent, AuditEventSubject, Outcome

_LIMITS = {
    "actor_username": 150,
    "actor_role": 32,
    "action": 40,
    "purpose": 32,
    "object_type": 32,
    "object_id": 64,
    "outcome": 10,
    "request_id": 64,
    "client_ip": 64,
    "user_agent": 256,
}
_LEAF_PREFIX = merkle.LEAF_PREFIX + canonical.PREFIX


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
    action: Action | str,
    actor: ActorLike | None,
    *,
    purpose: str = "",
    object_type: str = "",
    object_id: object = "",
    fields: Mapping[str, Any] | Iterable[str] | None = None,
    outcome: Outcome = Outcome.OK,
    detail: Mapping[str, Any] | None = None,
) -> AuditEvent:
    if not actions.is_known(str(action)):
        raise ValueError(f"undeclared audit action {action!r}: register it (baomi.audit.actions)")
    who: ActorLike | SystemActor = actor or SYSTEM
    ctx = current_request()
    if fields is None:
        field_doc: dict[str, Any] = {}
    elif isinstance(fields, Mapping):
        field_doc = dict(fields)
    else:
        field_doc = {"names": sorted(fields)}
    event = AuditEvent(
        at=clock.now(),
        actor_id=who.pk,
        actor_username=who.username,
        actor_role=who.role_code,
        action=str(action.value if isinstance(action, Action) else action),
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
    # for the monitoring rules (not stored): was the account active when it acted?
    event._actor_active = getattr(who, "is_active", None)  # type: ignore[attr-defined]
    return event


def record(action: Action | str, actor: ActorLike | None, **kwargs: Any) -> AuditEvent:
    event = _event(action, actor, **kwargs)
    append([event])
    return event


def record_many(events: list[AuditEvent]) -> None:
    """Bulk append (import): build each with `build(...)`, then append them in one go."""
    append(events)


def _append_committed(events: list[AuditEvent]) -> None:
    """The group commit's leader, outside any transaction: `append`'s own atomic block is
    the transaction (no savepoint inside a second block: two statements less per shared
    commit, decision 0040)."""
    append(events)


_reads = GroupCommit(_append_committed)


def record_committed(events: list[AuditEvent]) -> None:
    """Append and commit before returning — a read's events, logged before its data
    leaves. Inside a transaction they join it (as `record_many`); outside one, the
    threads of this process share commits (`groupcommit`, one fsync for many reads)."""
    if not events:
        return
    if transaction.get_connection().in_atomic_block:
        append(events)
        return
    _reads.submit(events)


def build(action: Action | str, actor: ActorLike | None, **kwargs: Any) -> AuditEvent:
    return _event(action, actor, **kwargs)


def _text(value: Any, limit: int) -> str:
    s = canonical.clean_text("" if value is None else str(value))
    return s[:limit]


def _prepare(ev: AuditEvent) -> None:
    """Normalise an event in place to exactly what the database will hold."""
    for name, limit in _LIMITS.items():
        setattr(ev, name, _text(getattr(ev, name), limit))
    ev.actor_id = None if ev.actor_id is None else int(ev.actor_id)
    ev.fields = canonical.normalise(ev.fields if ev.fields is not None else {})
    ev.detail = canonical.normalise(ev.detail if ev.detail is not None else {})
    if ev.at is None:
        ev.at = clock.now()
    elif ev.at.tzinfo is None:
        ev.at = ev.at.replace(tzinfo=UTC)


@dataclass
class Hooks:
    """What runs inside every append, wired by `AuditConfig.ready` so this module imports
    neither of the modules built on it (no import circle, issue #10 §2):
    `while_locked(cursor, vendor, head)` — the automatic checkpoint (audit.checkpoints),
    under the head lock; `after_append(events)` — monitoring (audit.monitoring)."""

    while_locked: Callable[[Any, str, Any], Any] | None = None
    after_append: Callable[[list[AuditEvent]], Any] | None = None


hooks = Hooks()


def append(events: list[AuditEvent], *, using: str = DEFAULT_DB_ALIAS) -> None:
    """Append events to the log in the caller's transaction (see the module docstring)."""
    if not events:
        return
    conn = connections[using]
    vendor = conn.vendor
    sqlite = vendor == "sqlite"
    sql = tree.INSERT_EVENT.get(vendor, tree.INSERT_EVENT["postgresql"])
    sha = merkle._sha256
    encode = canonical._encode
    json_text = canonical.json_text
    time_text = canonical.time_text
    with transaction.atomic(using=using):
        with conn.cursor() as cur:
            head = tree.lock_head(cur, vendor)
            f = head.frontier
            push = f.push
            rows: list[list[Any]] = []
            nodes: list[tuple[int, bytes]] = []
            for ev in events:
                _prepare(ev)
                seq = f.size + 1
                ev.seq = seq
                at_text = time_text(ev.at)
                row = [
                    seq,
                    at_text,
                    ev.actor_id,
                    ev.actor_username,
                    ev.actor_role,
                    ev.action,
                    ev.purpose,
                    ev.object_type,
                    ev.object_id,
                    json_text(ev.fields),
                    ev.outcome,
                    ev.request_id,
                    ev.client_ip,
                    ev.user_agent,
                    json_text(ev.detail),
                ]
                nodes.extend(push(sha(_LEAF_PREFIX + encode(row).encode("utf-8")).digest()))
                if not sqlite:
                    row[1] = ev.at
                rows.append(row)
            cur.executemany(sql, rows)
            tree.insert_nodes(cur, nodes)
            named = [(ev.seq, str(sid)) for ev in events for sid in getattr(ev, "_subjects", ())]
            if named:  # the customers a batch event names (decision 0023)
                cur.executemany(tree.INSERT_SUBJECT, named)
            head.size = f.size
            if hooks.while_locked is not None:
                hooks.while_locked(cur, vendor, head)
            tree.write_head(cur, vendor, head)
        for ev in events:
            ev._state.adding = False
            ev._state.db = using
        if hooks.after_append is not None:
            hooks.after_append(events)


# -- reads: tree size, roots, proofs (O(log n) node reads each) --
class ProofUnavailable(BaomiError):
    status = 404
    code = "proof_unavailable"
    title = "No such entry or tree size"


def tree_size(using: str = DEFAULT_DB_ALIAS) -> int:
    with connections[using].cursor() as cur:
        head = tree.read_head(cur)
    return head[0] if head else 0


def _nodes_for(terms: list[merkle.Term | None], using: str) -> dict[int, bytes]:
    with connections[using].cursor() as cur:
        nodes = tree.read_nodes(cur, merkle.term_ids(terms))
    missing = merkle.term_ids(terms) - nodes.keys()
    if missing:
        raise tree.TreeCorrupt(f"{len(missing)} tree node(s) are missing: run `baomi audit verify`")
    return nodes


def root_at(size: int, using: str = DEFAULT_DB_ALIAS) -> bytes:
    current = tree_size(using)
    if not 0 <= size <= current:
        raise ProofUnavailable(f"tree size {size} is outside 0..{current}")
    term = merkle.root_term(size)
    return merkle.resolve(term, _nodes_for([term], using))


@dataclass(frozen=True)
class InclusionProof:
    seq: int
    leaf_index: int
    tree_size: int
    leaf_hash: bytes
    proof: list[bytes]
    root_hash: bytes

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "leaf_index": self.leaf_index,
            "tree_size": self.tree_size,
            "leaf_hash": self.leaf_hash.hex(),
            "proof": [h.hex() for h in self.proof],
            "root_hash": self.root_hash.hex(),
        }


def inclusion_proof(
    seq: int, size: int | None = None, using: str = DEFAULT_DB_ALIAS
) -> InclusionProof:
    """Proof that event `seq` is in the tree of `size` events (default: the whole log)."""
    current = tree_size(using)
    size = current if size is None else size
    if not 1 <= size <= current:
        raise ProofUnavailable(f"tree size must be in 1..{current}")
    if not 1 <= seq <= size:
        raise ProofUnavailable(f"seq must be in 1..{size} for a tree of size {size}")
    index = seq - 1
    terms = merkle.inclusion_terms(index, size)
    root = merkle.root_term(size)
    nodes = _nodes_for([*terms, root, merkle.node_id(0, index)], using)
    return InclusionProof(
        seq=seq,
        leaf_index=index,
        tree_size=size,
        leaf_hash=nodes[merkle.node_id(0, index)],
        proof=[merkle.resolve(t, nodes) for t in terms],
        root_hash=merkle.resolve(root, nodes),
    )


@dataclass(frozen=True)
class ConsistencyProof:
    first: int
    second: int
    first_root: bytes
    second_root: bytes
    proof: list[bytes]

    def as_dict(self) -> dict[str, Any]:
        return {
            "first": self.first,
            "second": self.second,
            "first_root": self.first_root.hex(),
            "second_root": self.second_root.hex(),
            "proof": [h.hex() for h in self.proof],
        }


def consistency_proof(
    first: int, second: int | None = None, using: str = DEFAULT_DB_ALIAS
) -> ConsistencyProof:
    current = tree_size(using)
    second = current if second is None else second
    if not 1 <= first <= second <= current:
        raise ProofUnavailable(f"need 1 <= first <= second <= {current}")
    terms = merkle.consistency_terms(first, second)
    r1, r2 = merkle.root_term(first), merkle.root_term(second)
    nodes = _nodes_for([*terms, r1, r2], using)
    return ConsistencyProof(
        first,
        second,
        merkle.resolve(r1, nodes),
        merkle.resolve(r2, nodes),
        [merkle.resolve(t, nodes) for t in terms],
    )


def leaf_hash_of(event: AuditEvent) -> bytes:
    """Recompute an event's leaf hash from its stored row (for display and tests)."""
    conn = connections[event._state.db or DEFAULT_DB_ALIAS]
    with conn.cursor() as cur:
        rows = tree.canonical_rows(cur, conn.vendor, int(event.seq) - 1, 1)
    if not rows or rows[0][0] != event.seq:
        raise NotFound("no such event")
    return merkle.leaf_hash(canonical.leaf_bytes(rows[0]))


# -- event search (security_auditor; metadata only) --
@dataclass(frozen=True)
class EventFilter:
    actor: str = ""
    customer: str = ""
    object_type: str = ""
    object_id: str = ""
    action: str = ""
    outcome: str = ""
    purpose: str = ""
    since: datetime | None = None
    until: datetime | None = None


def search_events(flt: EventFilter) -> Any:
    """QuerySet of events matching the filter, newest first."""
    qs = AuditEvent.objects.all()
    if flt.actor:
        qs = (
            qs.filter(actor_id=int(flt.actor))
            if flt.actor.isdigit()
            else qs.filter(actor_username=flt.actor)
        )
    if flt.customer:  # its own events and the batch events naming it (decision 0023)
        qs = qs & events_naming(flt.customer)
    if flt.object_type:
        qs = qs.filter(object_type=flt.object_type)
    if flt.object_id:
        qs = qs.filter(object_id=flt.object_id)
    if flt.action:
        qs = (
            qs.filter(action__startswith=flt.action.rstrip("*"))
            if flt.action.endswith("*")
            else qs.filter(action=flt.action)
        )
    if flt.outcome:
        qs = qs.filter(outcome=flt.outcome)
    if flt.purpose:
        qs = qs.filter(purpose=flt.purpose)
    if flt.since:
        qs = qs.filter(at__gte=flt.since)
    if flt.until:
        qs = qs.filter(at__lt=flt.until)
    return qs.order_by("-seq")


def events_naming(customer_id: object) -> Any:
    """Every event about this customer: its `object_id`, or a batch event naming it among
    others (an import batch, decision 0023)."""
    cid = str(customer_id)
    batch = AuditEventSubject.objects.filter(subject_id=cid).values("seq")
    return AuditEvent.objects.filter(Q(object_type="customer", object_id=cid) | Q(seq__in=batch))


def customer_history(customer_id: str) -> Any:
    """Who saw or changed this customer's data, when, why: events naming the customer."""
    return events_naming(customer_id).order_by("-seq")


def build_naming(
    action: Action | str, actor: ActorLike | None, subjects: Iterable[object], **kwargs: Any
) -> AuditEvent:
    """One event that names many customers (an import batch, decision 0023): `subjects`
    are indexed for their histories when the event is appended; the caller lists them in
    the event's `detail` too, so its Merkle leaf commits to them."""
    event = _event(action, actor, **kwargs)
    event._subjects = [str(s) for s in subjects]  # type: ignore[attr-defined]
    return event


def filter_summary(flt: EventFilter) -> dict[str, str]:
    """The filters used in a search, for the auditor's own audit event (ids and codes)."""
    return {
        k: (v.isoformat() if isinstance(v, datetime) else str(v))
        for k, v in flt.__dict__.items()
        if v not in ("", None)
    }
