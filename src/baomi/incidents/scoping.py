"""Who was affected — from the audit log (R-E1, R-H2).

A scope is a query over the Merkle log fixed to a tree size: "every customer whose data
account X was shown between T1 and T2" (by account, or by an API token's account and
lifetime), every customer disclosed to a partner in a window (the disclosure events name
them), or a list the officer imports. The affected set, with the fields each customer
had exposed (the events' field treatments: plain beats masked; withheld fields were not
shown), is stored with the tree size, that tree's root hash, and a digest of the set.

Re-proving a scope runs the same query against the same tree size and checks that
  1. the log's root at that size is still the stored root (nodes not rewritten);
  2. the set and its fields hash to the stored digest (same answer);
  3. the matched events' rows still hash to their leaves and those leaves are in the tree
     of the stored root (RFC 6962 inclusion proofs) — for every event up to
     `PROOF_LIMIT`, beyond that for an evenly spread sample (the count is reported).
Queries use the (actor_id, at) index of the log: scoping stays in seconds at 10^6 events
(benchmarks/bench_incident_scope.py, docs/performance.md).
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction

from baomi.access.models import ApiToken, Staff
from baomi.audit import services as log
from baomi.audit.merkle import ProofError, verify_inclusion
from baomi.audit.models import AuditEvent, Outcome
from baomi.core import clock
from baomi.core.errors import Conflict, NotFound
from baomi.customers.models import Customer

from .enums import IncidentAction, ScopeMethod
from .inputs import OPEN_ROLES, event, get, invalid, parse_instant, pk, require
from .models import Incident, Scope, ScopeMember

# audit actions that put a customer's data in front of someone: a read through the gate.
# Other domains add theirs (an export, a disclosure to a partner) with `exposure_action`.
EXPOSURE_ACTIONS: set[str] = {"customer.read"}
SHOWN = ("plain", "masked")
PROOF_LIMIT = 2000
MAX_IMPORT = 100_000


def exposure_action(action: str) -> None:
    """Register an audit action whose events expose the customer they name."""
    EXPOSURE_ACTIONS.add(action)


@dataclass
class Exposure:
    fields: dict[str, str] = field(default_factory=dict)
    events: int = 0
    first_seq: int | None = None
    last_seq: int | None = None


@dataclass
class Result:
    affected: dict[str, Exposure]
    tree_size: int
    root_hash: str
    seqs: list[int]

    @property
    def digest(self) -> str:
        return set_digest({cid: e.fields for cid, e in self.affected.items()})

    def field_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for e in self.affected.values():
            for code in e.fields:
                counts[code] = counts.get(code, 0) + 1
        return dict(sorted(counts.items()))


def set_digest(members: dict[str, dict[str, str]]) -> str:
    h = hashlib.sha256()
    for cid in sorted(members):
        h.update(json.dumps([cid, sorted(members[cid].items())], separators=(",", ":")).encode())
        h.update(b"\n")
    return h.hexdigest()


def _merge(target: dict[str, str], fields: dict[str, str]) -> None:
    for code, treatment in fields.items():
        if treatment not in SHOWN:
            continue
        if target.get(code) != "plain":
            target[code] = treatment


def _shown(fields: Any, detail: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    if isinstance(fields, dict):
        if "names" in fields and isinstance(fields["names"], list):
            out.update({str(n): "plain" for n in fields["names"]})
        else:
            out.update({str(k): str(v) for k, v in fields.items() if str(v) in SHOWN})
    if isinstance(detail, dict) and isinstance(detail.get("records"), dict):
        for entity, n in detail["records"].items():
            if n:
                out[f"records.{entity}"] = "plain"
    return out


def query(params: dict[str, Any], tree_size: int) -> tuple[dict[str, Exposure], list[int]]:
    """Run a scope's query over the first `tree_size` events (the same answer every time)."""
    qs = AuditEvent.objects.filter(
        actor_id=int(params["actor_id"]),
        at__gte=datetime.fromisoformat(params["from"]),
        at__lt=datetime.fromisoformat(params["to"]),
        seq__lte=tree_size,
        action__in=sorted(EXPOSURE_ACTIONS),
        outcome=Outcome.OK,
    ).values_list("seq", "object_type", "object_id", "fields", "detail")
    affected: dict[str, Exposure] = {}
    seqs: list[int] = []
    for seq, otype, oid, fields, detail in qs.iterator(chunk_size=5000):
        if otype == "customer":
            cid = oid
        elif isinstance(detail, dict) and detail.get("customer"):
            cid = str(detail["customer"])  # a sealed text of the customer (rights, notices)
        else:
            continue
        shown = _shown(fields, detail)
        if not shown:
            continue  # every field withheld: nothing was exposed
        e = affected.get(cid)
        if e is None:
            e = affected[cid] = Exposure()
        _merge(e.fields, shown)
        e.events += 1
        e.first_seq = seq if e.first_seq is None else min(e.first_seq, seq)
        e.last_seq = seq if e.last_seq is None else max(e.last_seq, seq)
        seqs.append(seq)
    return affected, seqs


def _imported(params: dict[str, Any]) -> dict[str, Exposure]:
    fields = {str(f): "plain" for f in params.get("fields") or ["*"]}
    return {cid: Exposure(fields=dict(fields)) for cid in params["customer_ids"]}


def _resolve_actor(value: object) -> Staff:
    text = str(value or "").strip()
    if not text:
        raise invalid("actor", "required", "the account to scope by", "请填写账号")
    staff = (
        Staff.objects.filter(pk=int(text)).first()
        if text.isdigit()
        else Staff.objects.filter(username=text).first()
    )
    if staff is None:
        raise invalid("actor", "unknown_account", "no such staff account", "没有这个员工账号")
    return staff


def account_params(actor: object, start: object, end: object) -> dict[str, Any]:
    staff = _resolve_actor(actor)
    t1, t2 = parse_instant(start, "from"), parse_instant(end, "to")
    if t2 <= t1:
        raise invalid("to", "window_empty", "`to` must be after `from`", "结束时间须晚于开始时间")
    return {
        "actor_id": staff.pk,
        "username": staff.username,
        "from": t1.isoformat(),
        "to": t2.isoformat(),
    }


def token_params(token_id: object) -> dict[str, Any]:
    """A compromised API token: every read its account made during the token's lifetime
    (an audit event does not name the token, so the account's other reads in that window
    are included — the safe side)."""
    try:
        tok = ApiToken.objects.select_related("staff").filter(pk=pk(token_id)).first()
    except ValueError:
        tok = None
    if tok is None:
        raise invalid("token_id", "unknown_token", "no such API token", "没有这个接口令牌")
    end = min(t for t in (tok.revoked_at, tok.expires_at, clock.now()) if t is not None)
    return {
        "actor_id": tok.staff_id,
        "username": tok.staff.username,
        "token_id": tok.pk,
        "from": tok.created_at.isoformat(),
        "to": end.isoformat(),
    }


# a disclosure to a partner (sharing): its event names the partner and every customer
# in the package; the fields are the package's catalogue fields
DISCLOSURE_ACTION = "sharing.disclosed"


def partner_params(partner: object, start: object, end: object) -> dict[str, Any]:
    """A partner's breach: every customer disclosed to that partner in the window (by the
    partner's id as the disclosure events name it)."""
    try:
        pid = int(str(partner or "").strip())
    except ValueError:
        raise invalid("partner", "required", "the partner's id", "请选择合作方") from None
    t1, t2 = parse_instant(start, "from"), parse_instant(end, "to")
    if t2 <= t1:
        raise invalid("to", "window_empty", "`to` must be after `from`", "结束时间须晚于开始时间")
    name = next((n for p, n in disclosed_partners() if p == pid), None)
    if name is None:
        raise invalid(
            "partner",
            "no_disclosures",
            "the log holds no disclosure to this partner",
            "审计日志中没有向该合作方提供数据的记录",
        )
    return {"partner_id": pid, "partner": name, "from": t1.isoformat(), "to": t2.isoformat()}


def disclosed_partners() -> list[tuple[int, str]]:
    """(id, name) of every partner the log shows a disclosure to, by name."""
    seen: dict[int, str] = {}
    rows = AuditEvent.objects.filter(action=DISCLOSURE_ACTION, outcome=Outcome.OK)
    for detail in rows.values_list("detail", flat=True).iterator(chunk_size=2000):
        if isinstance(detail, dict) and isinstance(detail.get("partner"), int):
            seen[detail["partner"]] = str(detail.get("partner_name") or detail["partner"])
    return sorted(seen.items(), key=lambda kv: kv[1])


def partner_query(params: dict[str, Any], tree_size: int) -> tuple[dict[str, Exposure], list[int]]:
    qs = AuditEvent.objects.filter(
        action=DISCLOSURE_ACTION,
        at__gte=datetime.fromisoformat(params["from"]),
        at__lt=datetime.fromisoformat(params["to"]),
        seq__lte=tree_size,
        outcome=Outcome.OK,
    ).values_list("seq", "fields", "detail")
    affected: dict[str, Exposure] = {}
    seqs: list[int] = []
    for seq, fields, detail in qs.iterator(chunk_size=500):
        if not isinstance(detail, dict) or detail.get("partner") != params["partner_id"]:
            continue
        shown = _shown(fields, None)
        for cid in detail.get("customers") or []:
            e = affected.get(str(cid))
            if e is None:
                e = affected[str(cid)] = Exposure()
            _merge(e.fields, shown)
            e.events += 1
            e.first_seq = seq if e.first_seq is None else min(e.first_seq, seq)
            e.last_seq = seq if e.last_seq is None else max(e.last_seq, seq)
        seqs.append(seq)
    return affected, seqs


def import_params(customer_ids: Iterable[object], fields: Iterable[object] = ()) -> dict[str, Any]:
    ids: list[str] = []
    bad = 0
    for raw in customer_ids:
        try:
            ids.append(str(uuid.UUID(str(raw).strip())))
        except ValueError:
            bad += 1
    if bad:
        raise invalid(
            "customer_ids",
            "invalid_id",
            f"{bad} entries are not customer ids",
            f"{bad} 个条目不是有效的客户编号",
        )
    ids = sorted(set(ids))
    if not ids:
        raise invalid("customer_ids", "required", "the list is empty", "名单为空")
    if len(ids) > MAX_IMPORT:
        raise invalid("customer_ids", "too_many", f"at most {MAX_IMPORT}", f"最多 {MAX_IMPORT} 个")
    known = (
        set(str(c) for c in Customer.objects.filter(id__in=ids).values_list("id", flat=True))
        if len(ids) <= 5000
        else _known_many(ids)
    )
    unknown = len(ids) - len(known)
    if unknown:
        raise invalid(
            "customer_ids",
            "unknown_customer",
            f"{unknown} ids match no customer",
            f"{unknown} 个编号没有对应客户",
        )
    codes = sorted({str(f).strip() for f in fields if str(f).strip()})
    return {"customer_ids": ids, "fields": codes}


def _known_many(ids: list[str]) -> set[str]:
    out: set[str] = set()
    for i in range(0, len(ids), 5000):
        part = ids[i : i + 5000]
        out.update(
            str(c) for c in Customer.objects.filter(id__in=part).values_list("id", flat=True)
        )
    return out


def compute(method: ScopeMethod, params: dict[str, Any], tree_size: int | None = None) -> Result:
    size = log.tree_size() if tree_size is None else tree_size
    root = log.root_at(size).hex() if size else ""
    if method is ScopeMethod.IMPORT:
        return Result(_imported(params), size, root, [])
    if method is ScopeMethod.PARTNER:
        affected, seqs = partner_query(params, size)
        return Result(affected, size, root, seqs)
    affected, seqs = query(params, size)
    return Result(affected, size, root, seqs)


@transaction.atomic
def scope_incident(
    actor: Any, incident_id: object, method: ScopeMethod, params: dict[str, Any]
) -> Scope:
    """Compute and store who was affected (privacy officer, security admin or auditor)."""
    require(actor, OPEN_ROLES)
    inc: Incident = get(incident_id, lock=True)
    if not inc.is_open:
        raise Conflict("the case is closed", code="incident_closed")
    started = time.perf_counter()
    result = compute(method, params)
    now = clock.now()
    scope = Scope.objects.create(
        incident=inc,
        method=method,
        params=params,
        tree_size=result.tree_size,
        root_hash=result.root_hash,
        digest=result.digest,
        affected=len(result.affected),
        events=len(result.seqs),
        field_counts=result.field_counts(),
        computed_at=now,
        seconds=round(time.perf_counter() - started, 3),
        created_by_id=getattr(actor, "pk", None),
    )
    ScopeMember.objects.bulk_create(
        [
            ScopeMember(
                scope=scope,
                customer_id=uuid.UUID(cid),
                fields=e.fields,
                events=e.events,
                first_seq=e.first_seq,
                last_seq=e.last_seq,
            )
            for cid, e in sorted(result.affected.items())
        ],
        batch_size=2000,
    )
    event(
        IncidentAction.SCOPED,
        actor,
        inc,
        scope=scope.pk,
        method=method.value,
        tree_size=scope.tree_size,
        root_hash=scope.root_hash,
        affected=scope.affected,
        digest=scope.digest,
    )
    return scope


@dataclass(frozen=True)
class Proof:
    ok: bool
    root_matches: bool
    set_matches: bool
    leaves_checked: int
    leaves_total: int
    problems: list[str]

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _sample(seqs: list[int], limit: int) -> list[int]:
    if len(seqs) <= limit:
        return seqs
    step = len(seqs) / limit
    return [seqs[int(i * step)] for i in range(limit)]


@transaction.atomic
def reprove(actor: Any, scope_id: object) -> Proof:
    """Re-prove a stored scope against the log (module doc). Audited; the outcome is kept."""
    require(actor, OPEN_ROLES)
    try:
        scope = Scope.objects.select_for_update().filter(pk=pk(scope_id)).first()
    except ValueError:
        scope = None
    if scope is None:
        raise NotFound("no such scope", code="scope_not_found")
    problems: list[str] = []
    try:
        root = log.root_at(scope.tree_size).hex() if scope.tree_size else ""
    except Exception:
        root = ""
    root_ok = root == scope.root_hash
    if not root_ok:
        problems.append("root_mismatch")
    result = compute(ScopeMethod(scope.method), scope.params, scope.tree_size)
    stored = {str(m.customer_id): m.fields for m in scope.members.all()}
    set_ok = result.digest == scope.digest and set_digest(stored) == scope.digest
    if not set_ok:
        problems.append("set_mismatch")
    checked = 0
    if root_ok:
        by_seq = {
            ev.seq: ev
            for ev in AuditEvent.objects.filter(seq__in=_sample(result.seqs, PROOF_LIMIT))
        }
        want = bytes.fromhex(scope.root_hash)
        for seq, ev in sorted(by_seq.items()):
            proof = log.inclusion_proof(seq, scope.tree_size)
            try:
                if log.leaf_hash_of(ev) != proof.leaf_hash:
                    raise ProofError("event row does not hash to its leaf")
                verify_inclusion(seq - 1, scope.tree_size, proof.leaf_hash, proof.proof, want)
            except ProofError:
                problems.append(f"event_{seq}_not_proven")
                break
            checked += 1
    out = Proof(not problems, root_ok, set_ok, checked, len(result.seqs), problems)
    scope.reproved_at = clock.now()
    scope.reproved_ok = out.ok
    scope.save(update_fields=["reproved_at", "reproved_ok"])
    event(
        IncidentAction.REPROVED,
        actor,
        scope,
        ok=out.ok,
        problems=problems[:5],
        leaves_checked=checked,
        incident=scope.incident_id,
    )
    return out


def affected_union(inc: Incident) -> dict[str, dict[str, str]]:
    """Every customer in any scope of the case, with the fields exposed (merged)."""
    out: dict[str, dict[str, str]] = {}
    rows = ScopeMember.objects.filter(scope__incident=inc).values_list("customer_id", "fields")
    for cid, fields in rows.iterator(chunk_size=5000):
        _merge(out.setdefault(str(cid), {}), {k: v for k, v in (fields or {}).items()})
    return out
