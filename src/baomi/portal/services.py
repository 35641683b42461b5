"""Portal sign-in with a one-time code, and the data subject's self-service actions.

Sign-in: phone or e-mail → if it matches exactly one (not erased) customer, a 6-digit code
valid 10 minutes is sent through the configured sender; 5 attempts per code; code
requests rate-limited per address and IP (5/h), per address from all IPs (10/h) and per IP
(20/h), failed attempts per IP. The answer to the
visitor never says whether the address is on file. A verified code yields a `DataSubject`
actor for that one customer; every action below goes through the rights services and the
gate as that actor, and each is a rights request (audited).
"""

from __future__ import annotations

import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils.crypto import salted_hmac

from baomi import audit
from baomi.audit.models import Action, Outcome
from baomi.catalog import deployment, masking, validators
from baomi.catalog import fields as catalog
from baomi.catalog.enums import Purpose
from baomi.consent import services as consent
from baomi.core import clock
from baomi.core.errors import BaomiError, FieldIssue, ValidationFailed
from baomi.customers import gate
from baomi.customers import services as customers
from baomi.customers.models import Customer
from baomi.customers.services import index_values
from baomi.rights import services as rights
from baomi.rights.models import OPEN_STATES, RequestKind, RequestState, RightsRequest, Via
from baomi.vault import services as vault

from .models import AddressKind, Challenge, OutboxMessage, OutboxStatus
from .senders import Message, get_sender

WINDOW = timedelta(hours=1)


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def code_ttl() -> timedelta:
    return timedelta(seconds=_setting("BAOMI_PORTAL_CODE_TTL_SECONDS", 600))


def max_attempts() -> int:
    return _setting("BAOMI_PORTAL_CODE_ATTEMPTS", 5)


class RateLimited(BaomiError):
    status = 429
    code = "rate_limited"
    title = "Too many requests"


class CodeRejected(BaomiError):
    status = 400
    code = "code_invalid"
    title = "Code not accepted"


def _digest(purpose: str, value: str) -> str:
    return salted_hmac(f"baomi.portal.{purpose}", value, algorithm="sha256").hexdigest()


def parse_address(raw: str) -> tuple[AddressKind, str, str]:
    """(kind, normalised value, masked value) of a phone number or e-mail address."""
    text = str(raw or "").strip()
    try:
        if "@" in text:
            value = validators.email(text)
            return AddressKind.EMAIL, value, masking.email(value)
        value = validators.phone(text)
        return AddressKind.SMS, value, masking.phone(value)
    except validators.Invalid as exc:
        raise ValidationFailed(
            [
                FieldIssue(
                    "address",
                    "address_invalid",
                    "enter a mobile number or an e-mail address",
                    "请输入手机号码或电子邮箱",
                )
            ],
            detail=exc.en,
        ) from None


def _identify(kind: AddressKind, value: str) -> uuid.UUID | None:
    code = "email" if kind is AddressKind.EMAIL else "phone"
    idx = index_values({code: value})
    if code not in idx:
        return None
    hits = gate.match_exact({code: value}, vault.candidates(code, idx[code]))
    return hits[0] if len(hits) == 1 else None


@dataclass(frozen=True)
class CodeSent:
    token: str
    kind: str
    destination_masked: str
    expires_at: Any


def request_code(address: str, ip: str) -> CodeSent:
    kind, value, masked = parse_address(address)
    now = clock.now()
    a_dig, i_dig = _digest("address", value), _digest("ip", ip or "-")
    recent = Challenge.objects.filter(created_at__gte=now - WINDOW)
    # Per address *from this IP* first: someone who knows a customer's phone number cannot
    # use up that customer's own requests from another network; the higher all-IP cap
    # still bounds how many messages one address receives (SMS flooding).
    for_address = recent.filter(address_digest=a_dig)
    if (
        for_address.filter(ip_digest=i_dig).count() >= _setting("BAOMI_PORTAL_CODES_PER_ADDRESS", 5)
        or for_address.count() >= _setting("BAOMI_PORTAL_CODES_PER_ADDRESS_ALL_IPS", 10)
        or recent.filter(ip_digest=i_dig).count() >= _setting("BAOMI_PORTAL_CODES_PER_IP", 20)
    ):
        audit.record(
            Action.PORTAL_CODE_REFUSED,
            None,
            object_type="portal",
            outcome=Outcome.DENIED,
            detail={"reason": "rate_limited", "kind": kind.value},
        )
        raise RateLimited("too many code requests; try again later")
    cid = _identify(kind, value)
    code = f"{secrets.randbelow(10**6):06d}"
    with transaction.atomic():
        ch = Challenge.objects.create(
            token=secrets.token_urlsafe(32),
            kind=kind.value,
            address_digest=a_dig,
            ip_digest=i_dig,
            destination_masked=masked,
            customer_id=cid,
            created_at=now,
            expires_at=now + code_ttl(),
        )
        if cid is not None:
            ch.code_digest = _digest("code", f"{ch.token}:{code}")
            ch.save(update_fields=["code_digest"])
        audit.record(
            Action.PORTAL_CODE_SENT if cid else Action.PORTAL_CODE_REFUSED,
            None,
            object_type="customer" if cid else "portal",
            object_id=cid or "",
            outcome=Outcome.OK if cid else Outcome.FAILED,
            detail={"kind": kind.value, "challenge": ch.pk}
            | ({} if cid else {"reason": "no_single_match"}),
        )
    if cid is not None:
        _send(ch, value, code)
    return CodeSent(ch.token, kind.value, masked, ch.expires_at)


def _send(ch: Challenge, destination: str, code: str) -> None:
    sender = get_sender()
    msg = OutboxMessage.objects.create(
        challenge=ch,
        kind=ch.kind,
        destination_masked=ch.destination_masked,
        sender=sender.name,
        created_at=ch.created_at,
    )
    try:
        sender.deliver(Message(msg, destination, code, ch.expires_at))
    except Exception:  # delivery failures are recorded, never shown with the address
        msg.status = OutboxStatus.FAILED
        msg.save(update_fields=["status"])
        return
    msg.status = OutboxStatus.SENT
    msg.sent_at = clock.now()
    msg.save(update_fields=["status", "sent_at"])


def verify_code(token: str, code: str, ip: str) -> gate.DataSubject:
    now = clock.now()
    i_dig = _digest("ip", ip or "-")
    failures = (
        Challenge.objects.filter(ip_digest=i_dig, created_at__gte=now - WINDOW).aggregate(
            n=Sum("attempts")
        )["n"]
        or 0
    )
    if failures >= _setting("BAOMI_PORTAL_FAILURES_PER_IP", 30):
        raise RateLimited("too many wrong codes from this address; try again later")
    entered = "".join(ch for ch in str(code or "") if ch.isdigit())
    with transaction.atomic():
        ch = Challenge.objects.select_for_update().filter(token=str(token or "")).first()
        problem = _check(ch, now)
        if problem is None and ch is not None:
            good = bool(ch.code_digest) and hmac.compare_digest(
                ch.code_digest, _digest("code", f"{ch.token}:{entered}")
            )
            if good:
                ch.consumed_at = now
                ch.save(update_fields=["consumed_at"])
            else:
                ch.attempts += 1
                ch.save(update_fields=["attempts"])
                problem = "code_wrong" if ch.attempts < max_attempts() else "code_exhausted"
        if problem is None and ch is not None and ch.customer_id is not None:
            subject = gate.DataSubject(ch.customer_id)
            if Customer.objects.filter(id=ch.customer_id, erased_at__isnull=True).exists():
                audit.record(
                    Action.PORTAL_SIGNED_IN,
                    subject,
                    object_type="customer",
                    object_id=ch.customer_id,
                    detail={"kind": ch.kind},
                )
                return subject
            problem = "code_expired"
        audit.record(
            Action.PORTAL_SIGN_IN_FAILED,
            None,
            object_type="portal",
            outcome=Outcome.FAILED,
            detail={"reason": problem, "challenge": ch.pk if ch else None},
        )
    left = max(0, max_attempts() - ch.attempts) if ch is not None else 0
    raise CodeRejected("the code is not valid", code=problem or "code_invalid", attempts_left=left)


def _check(ch: Challenge | None, now: Any) -> str | None:
    if ch is None or ch.consumed_at is not None or ch.expires_at <= now:
        return "code_expired"
    if ch.attempts >= max_attempts():
        return "code_exhausted"
    return None


def sign_out(subject: gate.DataSubject) -> None:
    audit.record(
        Action.PORTAL_SIGNED_OUT, subject, object_type="customer", object_id=subject.customer_id
    )


# -- the data subject's actions (each one a rights request) ---------------------------------
def _self_served(subject: gate.DataSubject, kind: RequestKind, **kw: Any) -> RightsRequest:
    req = rights.create_request(subject, subject.customer_id, kind, via=Via.PORTAL, **kw)
    for to in (RequestState.VERIFIED, RequestState.IN_PROGRESS, RequestState.COMPLETED):
        req = rights.move(subject, req.pk, to, "自助服务 / self-service")
    return req


def _filed(subject: gate.DataSubject, kind: RequestKind, **kw: Any) -> RightsRequest:
    """A request for the privacy officer; identity is already verified by the code."""
    req = rights.create_request(subject, subject.customer_id, kind, via=Via.PORTAL, **kw)
    why = "已通过一次性验证码核实身份 / identity verified by one-time code"
    return rights.move(subject, req.pk, RequestState.VERIFIED, why)


@transaction.atomic
def download_copy(subject: gate.DataSubject) -> dict[str, Any]:
    _self_served(subject, RequestKind.ACCESS)
    return rights.access_copy(subject, subject.customer_id)


def request_erasure(subject: gate.DataSubject, detail: str = "") -> RightsRequest:
    existing = RightsRequest.objects.filter(
        customer_id=subject.customer_id, kind=RequestKind.ERASE, state__in=OPEN_STATES
    ).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        return _filed(subject, RequestKind.ERASE, detail=detail)


@transaction.atomic
def request_rectification(
    subject: gate.DataSubject, changes: dict[str, Any], detail: str = ""
) -> RightsRequest:
    wanted = {k: v for k, v in changes.items() if v not in (None, "")}
    if not wanted and not str(detail or "").strip():
        raise ValidationFailed(
            [
                FieldIssue(
                    "changes",
                    "nothing_to_change",
                    "enter a corrected value or describe the correction",
                    "请填写正确的值或说明需要更正的内容",
                )
            ]
        )
    return _filed(subject, RequestKind.RECTIFY, changes=wanted or None, detail=detail)


def own_preference_keys() -> list[catalog.PreferenceKey]:
    """The preferences a customer sets in this deployment's portal (general ones and those
    of the industries it runs)."""
    return [k for k in catalog.PREFERENCE_KEYS if deployment.runs(k.industry)]


def shown_value(value: Any) -> str:
    return "、".join(str(v) for v in value) if isinstance(value, list) else str(value or "")


@transaction.atomic
def update_own_details(
    subject: gate.DataSubject, birth_date: str, preferences: dict[str, str]
) -> bool:
    """The customer's own birthday and preferences, straight into the profile (no request:
    `customers.confirm_own_details`, lineage basis `customer_confirmed`). `preferences`
    holds the keys the form showed (`own_preference_keys`); an empty one is removed; keys
    it did not show are kept as they are. Answers whether anything changed."""
    view = gate.access_customer(subject, Purpose.RIGHTS_REQUEST, subject.customer_id, related=False)
    current = view.fields.get("preferences") or {}
    if not isinstance(current, dict):
        current = {}
    shown = {k.code for k in own_preference_keys()}
    merged = {k: v for k, v in current.items() if k not in shown}
    for code in shown:
        new = str(preferences.get(code) or "").strip()
        if not new:
            continue
        old = current.get(code)
        merged[code] = old if old is not None and shown_value(old) == new else new
    data: dict[str, Any] = {}
    birth = str(birth_date or "").strip()
    if birth and birth != (view.fields.get("birth_date") or ""):
        data["birth_date"] = birth
    if merged != current:
        data["preferences"] = merged
    if not data:
        return False
    customers.confirm_own_details(subject, data)
    return True


@transaction.atomic
def file_complaint(subject: gate.DataSubject, text: str) -> RightsRequest:
    return _filed(subject, RequestKind.COMPLAINT, detail=text)


@transaction.atomic
def set_consent(
    subject: gate.DataSubject, purpose: str, given: bool, *, refuse: bool = False
) -> None:
    """Giving consent is a ledger entry, and so is refusing one never given (`refuse`: a
    "no" to a question, not a withdrawal); withdrawing a consent given is a
    withdraw_consent request carried out at once (in force on the next read)."""
    if given:
        consent.give(subject, subject.customer_id, purpose, channel="web", method="portal")
    elif refuse:
        consent.withdraw(subject, subject.customer_id, purpose, channel="web", method="portal")
    else:
        consent.clean_purpose(purpose)
        _self_served(subject, RequestKind.WITHDRAW_CONSENT, consents=[purpose], channel="web")


def forget_customer(customer_id: uuid.UUID) -> int:
    """Erasure: drop the customer's sign-in challenges and outbox rows (masked addresses).
    Answers how many challenges went."""
    ids = list(Challenge.objects.filter(customer_id=customer_id).values_list("id", flat=True))
    OutboxMessage.objects.filter(challenge_id__in=ids).delete()
    Challenge.objects.filter(id__in=ids).delete()
    return len(ids)
