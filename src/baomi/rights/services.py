"""Rights-request state changes (R-F1, R-F2): create, move through the state machine,
carry out the request on completion (rectify, erase, restrict, withdraw consent), produce
access copies, and replay erasures after a restore (R-C5).

Every change writes its audit event in the same transaction. The privacy officer moves
requests; the portal's data subject creates its own and the self-served ones (a copy, a
consent withdrawal) complete at once, each move recorded like any other.
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Count, Max, Min

from baomi import audit
from baomi.access.enums import Role
from baomi.audit import services as audit_services
from baomi.audit.models import Action
from baomi.catalog import fields as catalog
from baomi.catalog.enums import Channel, Purpose
from baomi.consent import selectors as consents
from baomi.consent import services as consent
from baomi.consent.services import clean_purpose
from baomi.contract import participants
from baomi.core import clock
from baomi.core.errors import (
    Conflict,
    FieldIssue,
    Forbidden,
    Gone,
    NotFound,
    ValidationFailed,
)
from baomi.customers import gate
from baomi.customers import services as customers
from baomi.customers.models import Customer
from baomi.customers.validation import clean_customer
from baomi.vault import services as vault
from baomi.vault.crypto import SubjectKey
from baomi.vault.models import BlindIndexEntry, ShredJournal

from . import conf
from .models import (
    OPEN_STATES,
    RequestKind,
    RequestState,
    Restriction,
    RightsRequest,
    RightsTransition,
    Tombstone,
    Via,
    transition_row,
)

S = RequestState
ALLOWED: dict[str, frozenset[str]] = {
    S.RECEIVED: frozenset({S.VERIFIED, S.REFUSED}),
    S.VERIFIED: frozenset({S.IN_PROGRESS, S.REFUSED}),
    S.IN_PROGRESS: frozenset({S.COMPLETED, S.REFUSED}),
    S.COMPLETED: frozenset(),
    S.REFUSED: frozenset(),
}
STAMP = {
    S.VERIFIED: "verified_at",
    S.IN_PROGRESS: "started_at",
    S.COMPLETED: "completed_at",
    S.REFUSED: "refused_at",
}
# Staff who take requests from customers on the phone or at a counter; only the privacy
# officer moves them (R-D7: a named owner).
INTAKE_ROLES = frozenset({Role.PRIVACY_OFFICER, Role.CUSTOMER_SERVICE, Role.FRONT_DESK})
# Requests the portal carries out at once for the data subject (a copy, a withdrawal)
SELF_SERVED = frozenset({RequestKind.ACCESS, RequestKind.WITHDRAW_CONSENT})
RECTIFIABLE = tuple(c for c in catalog.CUSTOMER_FIELDS)
MAX_DETAIL = 2000
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _invalid(field: str, code: str, en: str, zh: str) -> ValidationFailed:
    return ValidationFailed([FieldIssue(field, code, en, zh)])


def _customer_id(value: object) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotFound("no such customer") from None


def _live(cid: uuid.UUID, *, lock: bool = False) -> Customer:
    qs = Customer.objects.select_for_update() if lock else Customer.objects
    row = qs.filter(id=cid).only("id", "erased_at", "primary_channel").first()
    if row is None:
        raise NotFound("no such customer")
    if row.erased_at is not None:
        raise Gone("this customer's data has been erased")
    return row


def clean_detail(value: object) -> str:
    """The customer's own words: composed (NFC) but kept as written — NFKC would turn
    Chinese full-width punctuation (，。（）) into ASCII."""
    text = unicodedata.normalize("NFC", str(value or "")).strip()
    if _CONTROL.search(text):
        raise _invalid("detail", "control_chars", "contains control characters", "包含控制字符")
    if len(text) > MAX_DETAIL:
        raise _invalid(
            "detail",
            "too_long",
            f"at most {MAX_DETAIL} characters",
            f"最多 {MAX_DETAIL} 个字符",
        )
    return text


def clean_changes(value: object) -> dict[str, str]:
    if not isinstance(value, Mapping) or not value:
        raise _invalid(
            "changes",
            "changes_object",
            "changes must be an object of field → corrected value",
            "更正内容必须是“字段: 正确值”的对象",
        )
    extra = sorted(set(value) - set(RECTIFIABLE))
    if extra:
        raise ValidationFailed(
            [
                FieldIssue(
                    f"changes.{k}"[:60],
                    "field_unknown",
                    "not a catalogued profile field",
                    "不是数据目录中的档案字段",
                )
                for k in extra
            ]
        )
    try:
        return clean_customer(value, partial=True)
    except ValidationFailed as exc:
        for i in exc.issues:
            i.field = f"changes.{i.field}"
        raise


def clean_consents(value: object) -> list[str]:
    if value in (None, ""):
        return []
    if not isinstance(value, list | tuple):
        raise _invalid("consents", "consents_list", "a list of purpose codes", "同意事项列表")
    return sorted({clean_purpose(v).value for v in value})


def _authorise_intake(actor: Any, cid: uuid.UUID) -> None:
    if isinstance(actor, gate.DataSubject):
        gate.check_purpose(actor, Purpose.RIGHTS_REQUEST, cid)
        return
    if actor is None or actor.role_code not in INTAKE_ROLES:
        raise Forbidden("your role does not take rights requests", code="role_forbidden")


def _require_officer(actor: Any) -> None:
    if getattr(actor, "role_code", "") != Role.PRIVACY_OFFICER:
        raise Forbidden("only the privacy officer handles rights requests", code="role_forbidden")


# -- intake -------------------------------------------------------------------------------
@transaction.atomic
def create_request(
    actor: Any,
    customer_id: uuid.UUID | str,
    kind: str,
    *,
    detail: str | None = None,
    changes: Mapping[str, Any] | None = None,
    consents: list[str] | None = None,
    via: str = Via.API,
    channel: str | None = None,
) -> RightsRequest:
    """A new request in state `received` (the SLA clock starts now)."""
    try:
        k = RequestKind(str(kind))
    except ValueError:
        raise _invalid(
            "kind",
            "kind_unknown",
            f"kind must be one of {', '.join(RequestKind.values)}",
            "请求类型无效",
        ) from None
    text = clean_detail(detail)
    proposed = clean_changes(changes) if changes else {}
    purposes = clean_consents(consents) if k is RequestKind.WITHDRAW_CONSENT else []
    if k is RequestKind.COMPLAINT and not text:
        raise _invalid("detail", "required", "describe the complaint", "请描述投诉内容")
    ch = str(channel or ("web" if via == Via.PORTAL else "call_center")).lower()
    if ch not in Channel.values:
        raise _invalid("channel", "channel_unknown", "unknown channel", "渠道代码无效")
    cid = _customer_id(customer_id)
    _authorise_intake(actor, cid)
    _live(cid)
    now = clock.now()
    req = RightsRequest(
        customer_id=cid,
        kind=k.value,
        state=S.RECEIVED,
        via=Via(via).value,
        channel=ch,
        consents=purposes,
        received_at=now,
        created_by_id=getattr(actor, "pk", None),
        created_by_role=actor.role_code,
    )
    req.save(force_insert=True)
    if text or proposed:
        key = vault.subject_key(cid)
        if text:
            req.detail = key.seal("rights_request", "detail", text, req.pk)
        if proposed:
            req.changes = key.seal("rights_request", "changes", json.dumps(proposed), req.pk)
        req.save(update_fields=["detail", "changes"])
    RightsTransition.objects.create(
        request=req, from_state="", to_state=S.RECEIVED, at=now, **_who(actor)
    )
    audit.record(
        Action.RIGHTS_REQUESTED,
        actor,
        purpose=Purpose.RIGHTS_REQUEST,
        object_type="rights_request",
        object_id=req.pk,
        fields=sorted(proposed),
        detail={"customer": str(cid), "kind": k.value, "via": req.via, "channel": ch},
    )
    return req


def _who(actor: Any) -> dict[str, Any]:
    return {"actor_id": getattr(actor, "pk", None), "actor_role": actor.role_code}


# -- the state machine ---------------------------------------------------------------------
def transition(actor: Any, request_id: int | str, to: str, reason: str = "") -> RightsRequest:
    """The privacy officer moves a request (API and console)."""
    _require_officer(actor)
    return move(actor, request_id, to, reason)


@transaction.atomic
def move(actor: Any, request_id: int | str, to: str, reason: str = "") -> RightsRequest:
    try:
        target = RequestState(str(to))
    except ValueError:
        raise _invalid(
            "to", "state_unknown", f"to must be one of {', '.join(S.values)}", "目标状态无效"
        ) from None
    req = RightsRequest.objects.select_for_update().filter(pk=_int(request_id)).first()
    if req is None:
        raise NotFound("no such rights request")
    if isinstance(actor, gate.DataSubject):
        gate.check_purpose(actor, Purpose.RIGHTS_REQUEST, req.customer_id)
        if target is not S.VERIFIED and req.kind not in SELF_SERVED:
            raise Forbidden("only the privacy officer handles this request", code="role_forbidden")
    if target not in ALLOWED[req.state]:
        raise Conflict(
            f"a {req.state} request cannot move to {target}", code="transition_not_allowed"
        )
    why = clean_detail(reason)[:500]
    if target is S.REFUSED and not why:
        raise _invalid("reason", "reason_required", "a refusal needs a reason", "拒绝须说明理由")
    if target is S.COMPLETED:
        _carry_out(actor, req, why)
    now = clock.now()
    before = req.state
    req.state = target.value
    setattr(req, STAMP[target], now)
    # the reason is personal text: sealed under the customer's data key (after an erasure —
    # this one, or an earlier one — there is no key and the text is not kept at all)
    key = _sealing_key(req.customer_id) if why else None
    if key is not None and target is S.COMPLETED:
        req.resolution = key.seal("rights_request", "resolution", why, req.pk)
    if key is not None and target is S.REFUSED:
        req.refusal_reason = key.seal("rights_request", "refusal_reason", why, req.pk)
    # only these columns: an erasure has just cleared the other sealed ones in the database
    req.save(update_fields=["state", STAMP[target], "refusal_reason", "resolution", "outcome"])
    RightsTransition.objects.create(  # append-only: sealed now, bound to (request, state)
        request=req,
        from_state=before,
        to_state=target,
        at=now,
        reason=None
        if key is None
        else key.seal("rights_transition", "reason", why, transition_row(req.pk, target.value)),
        **_who(actor),
    )
    audit.record(
        Action.RIGHTS_TRANSITION,
        actor,
        purpose=Purpose.RIGHTS_REQUEST,
        object_type="rights_request",
        object_id=req.pk,
        detail={
            "customer": str(req.customer_id),
            "kind": req.kind,
            "from": before,
            "to": target.value,
            "reason_given": bool(why),
        },
    )
    return req


def _int(value: object) -> int:
    try:
        return int(str(value))
    except ValueError:
        raise NotFound("no such rights request") from None


def _carry_out(actor: Any, req: RightsRequest, note: str) -> None:
    """What completing a request does, inside the same transaction as the move."""
    kind = RequestKind(req.kind)
    if kind is RequestKind.ERASE:
        tomb = erase_customer(
            actor, req.customer_id, basis=f"PIPL art. 47 · rights request {req.pk}", request=req
        )
        req.outcome = {"tombstone": tomb.pk, "certificate": tomb.certificate["certificate_no"]}
    elif kind is RequestKind.RESTRICT:
        r = restrict(actor, req.customer_id, request=req)
        req.outcome = {"restriction": r.pk}
    elif kind is RequestKind.RECTIFY:
        changes = texts(actor, req).get("changes") or {}
        if changes:
            customers.update_customer(
                actor, Purpose.RIGHTS_REQUEST, req.customer_id, changes, channel=req.channel
            )
        req.outcome = {"fields_changed": sorted(changes)}
    elif kind is RequestKind.WITHDRAW_CONSENT:
        req.outcome = {"withdrawn": _withdraw(actor, req)}
    elif kind is RequestKind.ACCESS:
        _live(req.customer_id)
        req.outcome = {"copy": "provided"}
    else:
        req.outcome = {"resolved": True}


def _withdraw(actor: Any, req: RightsRequest) -> list[str]:
    wanted = list(req.consents) or [
        line.purpose for line in consents.state_of(req.customer_id) if line.given
    ]
    method = {
        Via.PORTAL: "portal",
        Via.API: "api",
    }.get(Via(req.via), "verbal_recorded" if req.channel == "call_center" else "signature")
    for code in wanted:
        consent.withdraw(
            actor,
            req.customer_id,
            code,
            channel=req.channel,
            method=method,
            evidence=f"rights-request:{req.pk}",
            staff_purpose=None if isinstance(actor, gate.DataSubject) else Purpose.RIGHTS_REQUEST,
        )
    return sorted(wanted)


# -- sealed texts ------------------------------------------------------------------------------
REQUEST_TEXTS = ("detail", "changes", "refusal_reason", "resolution")


def _sealing_key(cid: uuid.UUID) -> SubjectKey | None:
    """The customer's data key, to seal staff text with; None once the customer is erased."""
    return vault.subject_keys([cid]).get(str(cid))


@dataclass
class Texts:
    """A customer's rights texts as opened by the gate: per request id its texts (code →
    value; `changes` decoded), per transition id its reason, per restriction id why it was
    lifted. `erased`: the customer is erased — the texts went with the data key."""

    requests: dict[int, dict[str, Any]] = field(default_factory=dict)
    moves: dict[int, str] = field(default_factory=dict)
    lifts: dict[int, str] = field(default_factory=dict)
    erased: bool = False

    def of(self, req: RightsRequest) -> dict[str, Any]:
        return self.requests.get(req.pk, {})

    def text(self, req: RightsRequest, code: str) -> str:
        return str(self.of(req).get(code) or "")

    def reason(self, move: RightsTransition) -> str:
        return self.moves.get(move.pk, "")


def open_texts(
    actor: Any,
    customer_id: uuid.UUID | str,
    requests: Iterable[RightsRequest] = (),
    moves: Iterable[RightsTransition] = (),
    restrictions: Iterable[Restriction] = (),
    *,
    codes: Iterable[str] = REQUEST_TEXTS,
) -> Texts:
    """Open the sealed texts of one customer's requests, their moves and restrictions in one
    gate call (`gate.open_attached_many`: purpose rights_request, erasure check, one audit
    event per row read). Rows without text are not read (and not audited)."""
    cid = _customer_id(customer_id)
    wanted = tuple(codes)
    reqs, restr = list(requests), list(restrictions)
    if any(r.customer_id != cid for r in reqs) or any(x.customer_id != cid for x in restr):
        raise ValueError("open_texts reads the texts of one customer per call")
    rows: list[tuple[str, object, dict[str, Any]]] = []
    kinds: list[tuple[str, int]] = []
    for r in reqs:
        blobs = {c: getattr(r, c) for c in wanted if getattr(r, c) is not None}
        if blobs:
            rows.append(("rights_request", r.pk, blobs))
            kinds.append(("request", r.pk))
    for m in moves:
        if m.reason is not None:
            rows.append(("rights_transition", m.sealed_row, {"reason": m.reason}))
            kinds.append(("move", m.pk))
    for x in restr:
        if x.lift_reason is not None:
            rows.append(("rights_restriction", x.pk, {"lift_reason": x.lift_reason}))
            kinds.append(("lift", x.pk))
    if not rows:
        return Texts()
    try:
        opened = gate.open_attached_many(actor, Purpose.RIGHTS_REQUEST, cid, rows)
    except Gone:  # erased: the texts went with the data key
        return Texts(erased=True)
    out = Texts()
    for (kind, pk), values in zip(kinds, opened, strict=True):
        if kind == "request":
            if values.get("changes"):
                values["changes"] = json.loads(values["changes"])
            out.requests[pk] = values
        elif kind == "move":
            out.moves[pk] = str(values["reason"] or "")
        else:
            out.lifts[pk] = str(values["lift_reason"] or "")
    return out


def texts(actor: Any, req: RightsRequest) -> dict[str, Any]:
    """The request's sealed texts — free text, proposed corrections, refusal reason,
    resolution — opened by the gate under rights_request (audited). Empty once the customer
    is erased (shredded with the rest)."""
    return open_texts(actor, req.customer_id, [req]).of(req)


# -- restriction ---------------------------------------------------------------------------
@transaction.atomic
def restrict(
    actor: Any, customer_id: uuid.UUID | str, *, request: RightsRequest | None = None
) -> Restriction:
    cid = _customer_id(customer_id)
    _live(cid, lock=True)
    current = Restriction.objects.filter(customer_id=cid, lifted_at__isnull=True).first()
    if current is not None:
        return current
    r = Restriction.objects.create(customer_id=cid, request=request, started_at=clock.now())
    audit.record(
        Action.CUSTOMER_RESTRICTED,
        actor,
        purpose=Purpose.RIGHTS_REQUEST,
        object_type="customer",
        object_id=cid,
        detail={"restriction": r.pk, "request": request.pk if request else None},
    )
    return r


@transaction.atomic
def lift_restriction(actor: Any, customer_id: uuid.UUID | str, reason: str) -> Restriction:
    _require_officer(actor)
    why = clean_detail(reason)[:500]
    if not why:
        raise _invalid("reason", "reason_required", "say why it is lifted", "请说明解除理由")
    cid = _customer_id(customer_id)
    r = (
        Restriction.objects.select_for_update()
        .filter(customer_id=cid, lifted_at__isnull=True)
        .first()
    )
    if r is None:
        raise NotFound("no active restriction")
    r.lifted_at = clock.now()
    key = _sealing_key(cid)  # None once erased: the text is not kept at all
    r.lift_reason = (
        None if key is None else key.seal("rights_restriction", "lift_reason", why, r.pk)
    )
    r.save(update_fields=["lifted_at", "lift_reason"])
    audit.record(
        Action.RESTRICTION_LIFTED,
        actor,
        purpose=Purpose.RIGHTS_REQUEST,
        object_type="customer",
        object_id=cid,
        detail={"restriction": r.pk},
    )
    return r


# -- erasure ----------------------------------------------------------------------------------
def _clear_personal_columns(
    cid: uuid.UUID, erased_at: Any | None, basis: str = ""
) -> tuple[dict[str, int], list[Any]]:
    """Run every registered eraser (participant contract) for the customer, in this
    transaction: each app clears its own personal columns and says what it kept and why.
    Returns (cleared rows per entity, kept records)."""
    ctx = participants.EraseContext(cid, erased_at, basis)
    cleared: dict[str, int] = {}
    kept: list[participants.Kept] = []
    for _app, eraser in participants.erasers():
        done = eraser(ctx)
        cleared.update(done.cleared)
        kept.extend(done.kept)
    return cleared, kept


def _certificate(
    cid: uuid.UUID,
    now: Any,
    basis: str,
    request: RightsRequest | None,
    counts: dict[str, int],
    kept: list[participants.Kept],
    index_rows: int,
    actor: Any,
) -> dict[str, Any]:
    return {
        "certificate_no": f"EC-{now:%Y%m%d}-{cid.hex[:8].upper()}",
        "customer_id": str(cid),
        "erased_at": now.isoformat(),
        "basis": basis,
        "request_id": request.pk if request else None,
        "method": "crypto-shredding",
        "destroyed": {
            "data_key": True,
            "blind_index_rows": index_rows,
            "profile_fields": list(catalog.CUSTOMER_FIELDS),
            "records": counts,
            "request_texts": True,
        },
        "retained": [k.as_dict() for k in kept],
        "also_retained": ["tombstone", "consent_history_codes", "audit_events_field_names"],
        "issued_by_role": actor.role_code,
    }


@transaction.atomic
def erase_customer(
    actor: Any,
    customer_id: uuid.UUID | str,
    *,
    basis: str,
    request: RightsRequest | None = None,
) -> Tombstone:
    """Crypto-shred the customer (data key and blind-index rows), clear every personal
    column of the profile and its records, keep a tombstone with the erasure certificate.
    Afterwards the gate answers 410 and no search finds the customer (R-F1, R-C5)."""
    cid = _customer_id(customer_id)
    _live(cid, lock=True)
    now = clock.now()
    index_rows = BlindIndexEntry.objects.filter(subject_id=cid).count()
    vault.shred(cid, basis)
    counts, kept = _clear_personal_columns(cid, now, basis)
    tomb = Tombstone.objects.create(
        customer_id=cid,
        erased_at=now,
        basis=basis[:200],
        request_id=request.pk if request else None,
        certificate=_certificate(cid, now, basis, request, counts, kept, index_rows, actor),
    )
    audit.record(
        Action.CUSTOMER_SHREDDED,
        actor,
        purpose=Purpose.RIGHTS_REQUEST,
        object_type="customer",
        object_id=cid,
        detail={
            "basis": basis[:200],
            "request": request.pk if request else None,
            "records": counts,
            "tombstone": tomb.pk,
        },
    )
    entry = {
        "customer_id": str(cid),
        "erased_at": now.isoformat(),
        "basis": basis[:200],
        "request_id": request.pk if request else None,
    }
    transaction.on_commit(lambda: append_journal(entry))
    return tomb


def append_journal(entry: Mapping[str, Any]) -> None:
    """One JSON line per erasure in the journal file beside the keys (fsync'd): outlives a
    lost database, so `baomi restore` can replay it onto any older backup."""
    path = conf.erasure_journal_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(fd, (json.dumps(dict(entry), sort_keys=True) + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def read_journal_file() -> list[dict[str, Any]]:
    path = conf.erasure_journal_path()
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines():
        line = line.strip()
        if line:
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                continue  # a torn last line after a crash: skip it
    return out


def erasure_journal() -> list[dict[str, Any]]:
    """Every known erasure: tombstones and the vault's shred journal in this database, plus
    the journal file. Deduplicated by customer id (earliest entry wins)."""
    entries: dict[str, dict[str, Any]] = {}
    rows: list[dict[str, Any]] = [
        {
            "customer_id": str(t.customer_id),
            "erased_at": t.erased_at.isoformat(),
            "basis": t.basis,
            "request_id": t.request_id,
        }
        for t in Tombstone.objects.all()
    ]
    rows += [
        {"customer_id": str(j.subject_id), "erased_at": j.shredded_at.isoformat(), "basis": j.basis}
        for j in ShredJournal.objects.all()
    ]
    rows += read_journal_file()
    for e in rows:
        entries.setdefault(str(e["customer_id"]), e)
    return list(entries.values())


@transaction.atomic
def replay_erasures(entries: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """After a restore: make every journalled erasure true again in this database — key
    destroyed, index rows gone, personal columns cleared, erased_at and tombstone set —
    whether or not the backup already knew about it. Idempotent."""
    wanted = {str(e["customer_id"]): e for e in entries}
    ids = [uuid.UUID(k) for k in wanted]
    if not ids:
        return {"journal": 0, "re_erased": 0}
    live_before = set(
        Customer.objects.filter(id__in=ids, erased_at__isnull=True).values_list("id", flat=True)
    )
    vault.replay_shred_journal(ids)
    known = set(Tombstone.objects.filter(customer_id__in=ids).values_list("customer_id", flat=True))
    now = clock.now()
    for cid in ids:
        e = wanted[str(cid)]
        at = _when(e.get("erased_at")) or now
        counts, _kept = _clear_personal_columns(cid, at if cid in live_before else None)
        if cid not in known:
            Tombstone.objects.create(
                customer_id=cid,
                erased_at=at,
                basis=str(e.get("basis") or "replayed")[:200],
                request_id=e.get("request_id"),
                certificate={"replayed": True, "records": counts},
            )
    return {"journal": len(ids), "re_erased": len(live_before)}


def _when(value: object) -> Any:
    from datetime import datetime

    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


# -- access copy -------------------------------------------------------------------------------
def access_copy(actor: Any, customer_id: uuid.UUID | str) -> dict[str, Any]:
    """Everything about the customer (R-F1): personal data read through the gate under
    rights_request, every registered section (participant contract: requests, consents,
    ...), and who accessed the data — by role and purpose from the audit log, never staff
    names."""
    view = gate.access_customer(actor, Purpose.RIGHTS_REQUEST, customer_id, related=True)
    cid = uuid.UUID(view.id)
    reads = audit_services.events_naming(cid)  # an import batch's event too (0023)
    by_role = [
        {
            "role": r["actor_role"],
            "purpose": r["purpose"],
            "action": r["action"],
            "count": r["n"],
            "first": r["first"].isoformat(),
            "last": r["last"].isoformat(),
        }
        for r in reads.values("actor_role", "purpose", "action")
        .annotate(n=Count("seq"), first=Min("at"), last=Max("at"))
        .order_by("actor_role", "purpose", "action")
    ]
    recent = [
        {
            "at": r["at"].isoformat(),
            "role": r["actor_role"],
            "purpose": r["purpose"],
            "action": r["action"],
            "fields": _field_names(r["fields"]),
        }
        for r in reads.order_by("-seq").values("at", "actor_role", "purpose", "action", "fields")[
            :200
        ]
    ]
    copy = {
        "format": "baomi.access-copy/1",
        "generated_at": clock.now().isoformat(),
        "customer_id": str(cid),
        "profile": {k: v for k, v in view.fields.items() if v is not None},
        "lineage": view.lineage,
        "primary_channel": view.primary_channel,
        "created_at": view.created_at,
        "updated_at": view.updated_at,
        "records": {
            entity: [
                {
                    "id": r.id,
                    "meta": r.meta,
                    "fields": {k: v for k, v in r.fields.items() if v is not None},
                }
                for r in records
            ]
            for entity, records in view.records.items()
        },
        **{s.key: s.build(actor, cid) for s in participants.access_copy_sections()},
        "access_log": {"by_role": by_role, "recent": recent},
    }
    audit.record(
        Action.RIGHTS_COPY,
        actor,
        purpose=Purpose.RIGHTS_REQUEST,
        object_type="customer",
        object_id=cid,
        detail={"records": {k: len(v) for k, v in view.records.items()}},
    )
    return copy


def requests_for_copy(actor: Any, cid: uuid.UUID) -> list[dict[str, Any]]:
    """The access copy's requests section: every request with what the customer wrote and
    what they were told (PIPL art. 45), opened in one gate call (audited)."""
    mine = list(RightsRequest.objects.filter(customer_id=cid).order_by("received_at"))
    # what the customer wrote and what they were told are theirs too (PIPL art. 45): every
    # request text, opened in one gate call (audited)
    said = open_texts(actor, cid, mine)
    return [
        {
            "id": r.pk,
            "kind": r.kind,
            "state": r.state,
            "via": r.via,
            "received_at": r.received_at.isoformat(),
            "closed_at": r.completed_at.isoformat()
            if r.completed_at
            else r.refused_at.isoformat()
            if r.refused_at
            else None,
            "detail": said.text(r, "detail"),
            "changes": said.of(r).get("changes") or {},
            "refusal_reason": said.text(r, "refusal_reason"),
            "resolution": said.text(r, "resolution"),
        }
        for r in mine
    ]


def _field_names(doc: Any) -> list[str]:
    doc = doc or {}
    return sorted(doc["names"]) if "names" in doc else sorted(doc)


def open_requests_of(customer_id: uuid.UUID) -> list[RightsRequest]:
    return list(RightsRequest.objects.filter(customer_id=customer_id, state__in=OPEN_STATES))
