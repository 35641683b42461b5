"""Lawful requests from public security, state security and procuratorate bodies (R-G1).

pending ──(privacy_officer approves + legal approves, neither the requester nor the
handler)──▶ approved: the named handler may read exactly the scope (customers × fields,
records of the period) under purpose `legal_request` until the end of the deadline day
──▶ answered / partial / refused (reason recorded). Either approver may reject ──▶ rejected.
The gate learns who may read what from `grants()` (registered through the participant
contract): nobody else, nothing else, never outside the window.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from baomi import audit
from baomi.access.enums import Role
from baomi.audit.models import Outcome
from baomi.catalog import fields as catalog
from baomi.catalog.enums import Purpose
from baomi.core import clock
from baomi.core.errors import Conflict, Forbidden, NotFound
from baomi.customers import gate
from baomi.customers.models import Customer

from ..enums import SharingAction
from ..models import (
    AuthorityType,
    CustomerNotice,
    Delivery,
    LawfulApproval,
    LawfulRequest,
    LawfulState,
)
from . import common as c

APPROVER_ROLES = (Role.PRIVACY_OFFICER, Role.LEGAL)
HANDLER_ROLES = frozenset({Role.PRIVACY_OFFICER, Role.LEGAL})
LAWFUL_ENTITIES = ("customer", "booking", "stay", "shipment", "payment_method")
LAWFUL_FIELDS = tuple(f.key for f in catalog.FIELDS if f.entity in LAWFUL_ENTITIES)
MAX_SCOPE = 1000


def _fields(value: object) -> list[str]:
    if isinstance(value, str):
        value = [v for v in value.replace("，", ",").split(",") if v.strip()]
    if not isinstance(value, list | tuple) or not value:
        raise c.invalid("fields", "required", "name at least one field", "至少选择一个字段")
    out: list[str] = []
    for v in value:
        key = str(v).strip()
        key = key if "." in key else f"customer.{key}"
        if key not in LAWFUL_FIELDS:
            raise c.invalid(
                "fields", "field_unknown", f"not a catalogue field: {key[:60]}", "非数据目录字段"
            )
        if key not in out:
            out.append(key)
    return out


def _officers(value: object) -> list[dict[str, str]]:
    if not isinstance(value, list | tuple):
        raise c.invalid("officers", "list_required", "[{name, badge_no}]", "应逐一登记办案人员")
    out = []
    for row in value:
        if not isinstance(row, Mapping):
            raise c.invalid("officers", "officer_invalid", "{name, badge_no}", "办案人员格式无效")
        out.append(
            {
                "name": c.text(row.get("name"), "officers.name", limit=50),
                "badge_no": c.text(row.get("badge_no"), "officers.badge_no", limit=50),
            }
        )
    if len(out) < 2:
        # evidence is collected by at least two officers who show their credentials
        raise c.invalid(
            "officers",
            "two_officers_required",
            "at least two officers, each with a badge number",
            "应登记至少两名办案人员及其证件号",
        )
    return out


def _scope_ids(value: object) -> list[str]:
    from .disclosures import clean_customer_ids

    ids = clean_customer_ids(value)
    if len(ids) > MAX_SCOPE:
        raise c.invalid(
            "customer_ids", "too_many", f"at most {MAX_SCOPE}", f"最多 {MAX_SCOPE} 位客户"
        )
    found = set(Customer.objects.filter(id__in=ids).values_list("id", flat=True))
    if len(found) != len(ids):
        raise c.invalid(
            "customer_ids",
            "customer_unknown",
            f"{len(ids) - len(found)} customer id(s) not found",
            f"有 {len(ids) - len(found)} 个客户编号不存在",
        )
    return [str(i) for i in ids]


def _handler(value: object) -> Any:
    staff = get_user_model().objects.filter(pk=int(str(value or 0) or 0), is_active=True).first()
    if staff is None or staff.role_code not in {r.value for r in HANDLER_ROLES}:
        raise c.invalid(
            "handler_id",
            "handler_invalid",
            "the handler is an active privacy officer or legal officer",
            "经办人应为在职的隐私官或法务人员",
        )
    return staff


def _get(request_id: object, *, lock: bool = False) -> LawfulRequest:
    try:
        pk = int(str(request_id))
    except ValueError:
        raise NotFound("no such lawful request") from None
    qs = LawfulRequest.objects.select_for_update() if lock else LawfulRequest.objects
    req = qs.filter(pk=pk).first()
    if req is None:
        raise NotFound("no such lawful request")
    return req


@transaction.atomic
def register(actor: Any, data: Mapping[str, Any]) -> LawfulRequest:
    c.require(actor, c.REGISTER_ROLES, "register lawful requests")
    authority = str(data.get("authority_type") or "")
    if authority not in AuthorityType.values:
        raise c.invalid(
            "authority_type",
            "choice_invalid",
            "public_security, state_security or procuratorate",
            "机关类型应为公安机关、国家安全机关或检察机关",
        )
    today = timezone.localdate(clock.now())
    deadline = c.date(data.get("deadline"), "deadline")
    assert deadline is not None
    if deadline < today:
        raise c.invalid("deadline", "in_past", "the deadline has passed", "期限已过")
    period_from = c.date(data.get("period_from"), "period_from", required=False)
    period_to = c.date(data.get("period_to"), "period_to", required=False)
    if period_from and period_to and period_to < period_from:
        raise c.invalid("period_to", "period_invalid", "ends before it starts", "期间结束早于开始")
    notice = str(data.get("customer_notice") or CustomerNotice.LEGAL_HOLD)
    if notice not in CustomerNotice.values:
        raise c.invalid(
            "customer_notice", "choice_invalid", "legal_hold, notify, not_required", "告知决定无效"
        )
    req = LawfulRequest.objects.create(
        authority_type=authority,
        authority_name=c.text(data.get("authority_name"), "authority_name"),
        officers=_officers(data.get("officers")),
        document_type=c.text(data.get("document_type"), "document_type", limit=100),
        document_no=c.text(data.get("document_no"), "document_no", limit=100),
        legal_basis=c.text(data.get("legal_basis"), "legal_basis", limit=300),
        customer_ids=_scope_ids(data.get("customer_ids")),
        fields=_fields(data.get("fields")),
        period_from=period_from,
        period_to=period_to,
        deadline=deadline,
        requested_by=actor,
        handler=_handler(data.get("handler_id")),
        registered_at=clock.now(),
        state=LawfulState.PENDING,
        customer_notice=notice,
        notice_not_before=c.date(
            data.get("notice_not_before"), "notice_not_before", required=False
        ),
    )
    audit.record(
        SharingAction.LAWFUL_REGISTERED,
        actor,
        purpose=Purpose.LEGAL_REQUEST,
        object_type="lawful_request",
        object_id=req.pk,
        fields={"names": req.fields},
        detail={
            "authority_type": authority,
            "customers": len(req.customer_ids),
            "deadline": deadline.isoformat(),
            "handler": req.handler_id,
        },
    )
    return req


def _deny(actor: Any, req: LawfulRequest | None, reason: str, err: Exception) -> Exception:
    with transaction.atomic():
        audit.record(
            SharingAction.LAWFUL_DENIED,
            actor,
            purpose=Purpose.LEGAL_REQUEST,
            object_type="lawful_request",
            object_id=req.pk if req else "",
            outcome=Outcome.DENIED,
            detail={"reason": reason},
        )
    return err


def decide(actor: Any, request_id: object, approve: bool, note: str = "") -> LawfulRequest:
    """One approver's decision. Both roles must approve; one rejection closes the request."""
    req = _get(request_id)
    role = getattr(actor, "role_code", "")
    if role not in {r.value for r in APPROVER_ROLES}:
        raise _deny(
            actor,
            req,
            "role_required",
            Forbidden("a privacy officer and a legal officer approve", code="role_required"),
        )
    if actor.pk in (req.requested_by_id, req.handler_id):
        raise _deny(
            actor,
            req,
            "four_eyes",
            Forbidden("neither the requester nor the handler approves", code="four_eyes"),
        )
    note = c.text(note, "note", required=not approve, limit=c.MAX_TEXT)
    with transaction.atomic():
        req = _get(request_id, lock=True)
        if req.state != LawfulState.PENDING:
            raise Conflict(f"the request is {req.state}", code="not_pending")
        if req.approvals.filter(role=role).exists():
            raise Conflict("this role has decided already", code="already_decided")
        now = clock.now()
        LawfulApproval.objects.create(
            request=req, role=role, staff=actor, approve=approve, note=note, at=now
        )
        if not approve:
            req.state, req.closed_at = LawfulState.REJECTED, now
        elif req.approvals.filter(approve=True).count() == len(APPROVER_ROLES):
            req.state, req.approved_at = LawfulState.APPROVED, now
            req.window_closes_at = window_end(req.deadline)
        req.save()
        audit.record(
            SharingAction.LAWFUL_APPROVAL,
            actor,
            purpose=Purpose.LEGAL_REQUEST,
            object_type="lawful_request",
            object_id=req.pk,
            detail={"approve": approve, "role": role, "state": req.state},
        )
    return req


def window_end(deadline: dt.date) -> dt.datetime:
    """The end of the deadline day, local time (Asia/Shanghai)."""
    tz = timezone.get_current_timezone()
    return dt.datetime.combine(deadline + dt.timedelta(days=1), dt.time(), tzinfo=tz)


def window_open(req: LawfulRequest, at: dt.datetime | None = None) -> bool:
    at = at or clock.now()
    return (
        req.state == LawfulState.APPROVED
        and req.approved_at is not None
        and req.window_closes_at is not None
        and req.approved_at <= at < req.window_closes_at
    )


# -- the gate's grant: who may read what under legal_request, now ----------------------------
@dataclass(frozen=True)
class Grant:
    ref: str  # "lawful_request:<id>"
    fields: frozenset[str]  # catalogue keys


def grants(
    actor: Any, purpose: Purpose, customer_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Grant]:
    """For the gate: the customers this actor may read under `purpose` by an approved lawful
    request whose window is open, and which fields. Empty for any other purpose."""
    if purpose != Purpose.LEGAL_REQUEST or getattr(actor, "pk", None) is None:
        return {}
    now = clock.now()
    wanted = {str(i) for i in customer_ids}
    out: dict[uuid.UUID, Grant] = {}
    for req in LawfulRequest.objects.filter(
        handler_id=actor.pk,
        state=LawfulState.APPROVED,
        approved_at__lte=now,
        window_closes_at__gt=now,
    ).order_by("pk"):
        for cid in wanted.intersection(req.customer_ids):
            key = uuid.UUID(cid)
            prev = out.get(key)
            fields = frozenset(req.fields) | (prev.fields if prev else frozenset())
            ref = prev.ref if prev else f"lawful_request:{req.pk}"
            out[key] = Grant(ref, fields)
    return out


def holds_grant(actor: Any, purpose: Purpose) -> bool:
    """Does this actor hold any open lawful-request window for `purpose`?"""
    if purpose != Purpose.LEGAL_REQUEST or getattr(actor, "pk", None) is None:
        return False
    now = clock.now()
    return LawfulRequest.objects.filter(
        handler_id=actor.pk,
        state=LawfulState.APPROVED,
        approved_at__lte=now,
        window_closes_at__gt=now,
    ).exists()


# -- the scoped read ----------------------------------------------------------------------------
def read_scope(actor: Any, request_id: object) -> list[dict[str, Any]]:
    """The handler reads the request's scope through the gate under `legal_request`: the
    fields of the scope, records of the period. Everything read is on the audit log (and so
    listed on the request, selectors `reads_of`)."""
    req = _get(request_id)
    if actor.pk != req.handler_id:
        raise _deny(
            actor,
            req,
            "not_handler",
            Forbidden("only the named handler reads the scope", code="not_handler"),
        )
    if req.state == LawfulState.PENDING:
        raise _deny(
            actor,
            req,
            "not_approved",
            Conflict("two approvals are needed first", code="not_approved"),
        )
    if not window_open(req):
        raise _deny(
            actor,
            req,
            "window_closed",
            Conflict("the request's window is closed", code="window_closed"),
        )
    entities = sorted({k.split(".")[0] for k in req.fields} - {"customer"})
    views = gate.access_customers(
        actor, Purpose.LEGAL_REQUEST, req.customer_ids, related=bool(entities)
    )
    wanted = sorted(k.split(".", 1)[1] for k in req.fields if k.startswith("customer."))
    out = []
    for v in views:
        row: dict[str, Any] = {
            "customer_id": v.id,
            "customer": {k: v.fields.get(k) for k in wanted},
        }
        for e in entities:
            codes = sorted(k.split(".", 1)[1] for k in req.fields if k.startswith(f"{e}."))
            row[e] = [
                {"id": r.id, **r.meta, **{k: r.fields.get(k) for k in codes}}
                for r in v.records.get(e, [])
                if _in_period(req, r.meta.get("created_at", ""))
            ]
        out.append(row)
    with transaction.atomic():
        audit.record(
            SharingAction.LAWFUL_READ,
            actor,
            purpose=Purpose.LEGAL_REQUEST,
            object_type="lawful_request",
            object_id=req.pk,
            fields={"names": req.fields},
            detail={"customers": len(out)},
        )
    return out


def _in_period(req: LawfulRequest, created_at: str) -> bool:
    if not (req.period_from or req.period_to) or not created_at:
        return True
    day = timezone.localdate(dt.datetime.fromisoformat(created_at))
    return (req.period_from is None or day >= req.period_from) and (
        req.period_to is None or day <= req.period_to
    )


# -- closing ------------------------------------------------------------------------------------
OUTCOMES = {
    "answered": LawfulState.ANSWERED,
    "partial": LawfulState.PARTIAL,
    "refused": LawfulState.REFUSED,
}


@transaction.atomic
def close(actor: Any, request_id: object, data: Mapping[str, Any]) -> LawfulRequest:
    """Record the outcome: answered, partly answered or refused, with the reason, how the
    answer was handed over, and the customer-notice decision. Closes the window."""
    req = _get(request_id, lock=True)
    if actor.pk != req.handler_id and actor.role_code not in {r.value for r in c.REGISTER_ROLES}:
        raise Forbidden("the handler or the register keepers close a request", code="role_required")
    outcome = str(data.get("outcome") or "")
    if outcome not in OUTCOMES:
        raise c.invalid(
            "outcome",
            "choice_invalid",
            "answered, partial or refused",
            "结果应为已提供、部分提供或拒绝",
        )
    state = OUTCOMES[outcome]
    if state != LawfulState.REFUSED and req.state != LawfulState.APPROVED:
        raise Conflict("an answer needs two approvals first", code="not_approved")
    if req.state not in (LawfulState.PENDING, LawfulState.APPROVED):
        raise Conflict(f"the request is {req.state}", code="closed")
    reason = c.text(
        data.get("reason"), "reason", required=state != LawfulState.ANSWERED, limit=c.MAX_TEXT
    )
    delivery = str(data.get("delivery") or (Delivery.NONE if state == LawfulState.REFUSED else ""))
    if delivery not in Delivery.values or (
        state != LawfulState.REFUSED and delivery == Delivery.NONE
    ):
        raise c.invalid(
            "delivery", "choice_invalid", "encrypted_package, paper or on_site", "提供方式无效"
        )
    now = clock.now()
    req.state, req.closed_at, req.outcome_reason, req.delivery = state, now, reason, delivery
    if req.window_closes_at is None or req.window_closes_at > now:
        req.window_closes_at = now
    _notice(req, data)
    req.save()
    audit.record(
        SharingAction.LAWFUL_CLOSED,
        actor,
        purpose=Purpose.LEGAL_REQUEST,
        object_type="lawful_request",
        object_id=req.pk,
        detail={"outcome": state, "delivery": delivery, "customer_notice": req.customer_notice},
    )
    return req


def _notice(req: LawfulRequest, data: Mapping[str, Any]) -> None:
    if data.get("customer_notice"):
        code = str(data["customer_notice"])
        if code not in CustomerNotice.values:
            raise c.invalid(
                "customer_notice",
                "choice_invalid",
                "legal_hold, notify, not_required",
                "告知决定无效",
            )
        req.customer_notice = code
    if "notice_not_before" in data:
        req.notice_not_before = c.date(
            data.get("notice_not_before"), "notice_not_before", required=False
        )


@transaction.atomic
def customer_notice(actor: Any, request_id: object, data: Mapping[str, Any]) -> LawfulRequest:
    """Change the customer-notice decision, or record that the customers were told (then
    the request appears in their access copy)."""
    c.require(actor, c.REGISTER_ROLES, "decide on customer notice")
    req = _get(request_id, lock=True)
    _notice(req, data)
    if data.get("notified"):
        if req.customer_notice != CustomerNotice.NOTIFY:
            raise Conflict("the decision is not to tell the customers", code="notice_not_decided")
        today = timezone.localdate(clock.now())
        if req.notice_not_before and req.notice_not_before > today:
            raise Conflict("the legal hold has not lifted yet", code="legal_hold")
        req.customers_notified_at = clock.now()
    req.save()
    audit.record(
        SharingAction.LAWFUL_NOTICE,
        actor,
        object_type="lawful_request",
        object_id=req.pk,
        detail={
            "customer_notice": req.customer_notice,
            "notified": bool(req.customers_notified_at),
        },
    )
    return req


def export_scope(
    actor: Any, request_id: object, public_key: object
) -> tuple[bytes, dict[str, Any]]:
    """The scoped export for the authority (as §2's packages): the handler's scoped read,
    encrypted in memory with age to the key the authority gave; nothing plain is stored.
    Returns the ciphertext (handed over at once) and its manifest; audited with its hash."""
    import hashlib
    import json

    import pyrage

    from .partners import clean_public_key

    key = clean_public_key(public_key)
    req = _get(request_id)
    rows = read_scope(actor, request_id)  # every check and audit of the scoped read
    now = clock.now()
    manifest = {
        "format": "baomi-lawful-request/1",
        "lawful_request_id": req.pk,
        "authority": req.authority_name,
        "document_no": req.document_no,
        "fields": req.fields,
        "count": len(rows),
        "created_at": now.isoformat(),
        "scheme": "age-v1/x25519",
        "recipient": key,
    }
    plaintext = json.dumps({"manifest": manifest, "records": rows}, ensure_ascii=False)
    blob = pyrage.encrypt(plaintext.encode(), [pyrage.x25519.Recipient.from_str(key)])
    del plaintext, rows
    manifest["package_sha256"] = hashlib.sha256(blob).hexdigest()
    with transaction.atomic():
        audit.record(
            SharingAction.LAWFUL_EXPORTED,
            actor,
            purpose=Purpose.LEGAL_REQUEST,
            object_type="lawful_request",
            object_id=req.pk,
            fields={"names": req.fields},
            detail={"count": manifest["count"], "package_sha256": manifest["package_sha256"]},
        )
    return blob, manifest
