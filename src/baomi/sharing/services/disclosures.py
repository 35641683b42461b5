"""Disclosures to partners, prepared through the access gate (R-G1, R-G3, R-C3).

A disclosure = partner + purpose + customers + fields. In this order:
  1. the preparer's role may use the purpose (the gate's own check, audited);
  2. the partner is in good standing: an agreement in force (else 409 agreement_missing /
     agreement_expired), not suspended (409 partner_suspended);
  3. the purpose and every field are in the agreement (422 purpose_out_of_scope /
     field_out_of_scope), and the gate gives the preparer every field in plain (422
     field_not_permitted — an export never carries more than its preparer may see);
  4. per customer, a lawful basis: `partner_sharing` consent, and `cross_border` consent too
     for a partner abroad (PIPL arts. 23, 39); erased or unknown customers are excluded;
  5. the customers with a basis — and only they — are read through the bulk gate under the
     purpose (one audit event each); one the gate closes (restriction …) is excluded;
  6. the package (manifest + records, JSON) is encrypted in memory to the partner's age
     X25519 key; only the ciphertext is stored, behind a single-use token that expires.
A refusal (steps 2–3) is itself recorded — a register row and an audit event — before the
error goes back. Every path leaves ids and reason codes, never a value.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pyrage
from django.conf import settings
from django.db import transaction

from baomi import audit
from baomi.access.policy import decide
from baomi.audit import services as log
from baomi.audit.models import Outcome
from baomi.catalog import fields as catalog
from baomi.catalog.enums import Purpose, Treatment
from baomi.consent.models import ConsentPurpose, ConsentState
from baomi.core import clock
from baomi.core.errors import BaomiError, Conflict, Gone, NotFound
from baomi.customers import gate
from baomi.customers.models import Customer

from ..enums import SharingAction
from ..models import (
    Disclosure,
    DisclosureItem,
    DisclosureState,
    Exclusion,
    Partner,
    Refusal,
    VoidReason,
)
from . import common as c

MAX_CUSTOMERS = 5000
SCHEME = "age-v1/x25519"
FORMAT = "baomi-disclosure/1"


class Unprocessable(BaomiError):
    status = 422
    code = "unprocessable"
    title = "Unprocessable"


def download_ttl() -> timedelta:
    return timedelta(hours=int(getattr(settings, "BAOMI_SHARING_DOWNLOAD_HOURS", 72)))


@dataclass
class Prepared:
    disclosure: Disclosure
    included: list[str]
    excluded: list[dict[str, str]]
    token: str | None  # shown once; only its digest is kept


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def clean_customer_ids(value: object) -> list[uuid.UUID]:
    if isinstance(value, str):
        value = [v for v in value.replace("，", ",").replace("\n", ",").split(",") if v.strip()]
    if not isinstance(value, list | tuple) or not value:
        raise c.invalid("customer_ids", "required", "at least one customer id", "至少一位客户")
    if len(value) > MAX_CUSTOMERS:
        raise c.invalid(
            "customer_ids",
            "too_many",
            f"at most {MAX_CUSTOMERS} customers per disclosure",
            f"每次最多 {MAX_CUSTOMERS} 位客户",
        )
    out: list[uuid.UUID] = []
    for v in value:
        try:
            cid = uuid.UUID(str(v).strip())
        except ValueError:
            raise c.invalid(
                "customer_ids", "customer_id_invalid", "customer ids are UUIDs", "客户编号格式无效"
            ) from None
        if cid not in out:
            out.append(cid)
    return out


def _refuse(
    actor: Any,
    partner: Partner,
    purpose: Purpose,
    keys: list[str],
    ids: list[uuid.UUID],
    refusal: Refusal,
    detail: dict[str, Any] | None = None,
) -> BaomiError:
    """Record the refusal (register row + audit event, committed on their own) and return
    the error to raise."""
    with transaction.atomic():
        d = Disclosure.objects.create(
            partner=partner,
            purpose=purpose.value,
            fields=keys,
            requested_by=actor,
            requested_role=actor.role_code,
            created_at=clock.now(),
            state=DisclosureState.REFUSED,
            refusal=refusal.value,
            refusal_detail=detail or {},
            requested_count=len(ids),
        )
        audit.record(
            SharingAction.DISCLOSURE_REFUSED,
            actor,
            purpose=purpose,
            object_type="disclosure",
            object_id=d.pk,
            outcome=Outcome.DENIED,
            detail={"reason": refusal.value, "partner": partner.pk, **(detail or {})},
        )
    message = {
        Refusal.AGREEMENT_MISSING: "the partner has no signed agreement",
        Refusal.AGREEMENT_EXPIRED: "the partner's agreement has expired",
        Refusal.PARTNER_SUSPENDED: "disclosures to this partner are suspended",
        Refusal.PURPOSE_OUT_OF_SCOPE: "the agreement does not cover this purpose",
        Refusal.FIELD_OUT_OF_SCOPE: "the agreement does not cover these fields",
        Refusal.FIELD_NOT_PERMITTED: "your role does not see these fields in plain under "
        "this purpose",
    }[refusal]
    extra = {"disclosure_id": d.pk, **(detail or {})}
    if refusal in (Refusal.AGREEMENT_MISSING, Refusal.AGREEMENT_EXPIRED, Refusal.PARTNER_SUSPENDED):
        return Conflict(message, code=refusal.value, **extra)
    return Unprocessable(message, code=refusal.value, **extra)


def _bases(partner: Partner, ids: list[uuid.UUID]) -> dict[uuid.UUID, Exclusion | None]:
    """Per customer: None when a lawful basis holds, else the exclusion reason."""
    rows = dict(Customer.objects.filter(id__in=ids).values_list("id", "erased_at"))
    given = set(
        ConsentState.objects.filter(customer_id__in=ids, given=True)
        .filter(purpose__in=[ConsentPurpose.PARTNER_SHARING, ConsentPurpose.CROSS_BORDER])
        .values_list("customer_id", "purpose")
    )
    out: dict[uuid.UUID, Exclusion | None] = {}
    for cid in ids:
        if cid not in rows:
            out[cid] = Exclusion.NOT_FOUND
        elif rows[cid] is not None:
            out[cid] = Exclusion.ERASED
        elif (cid, ConsentPurpose.PARTNER_SHARING.value) not in given:
            out[cid] = Exclusion.NO_PARTNER_SHARING_CONSENT
        elif partner.cross_border and (cid, ConsentPurpose.CROSS_BORDER.value) not in given:
            out[cid] = Exclusion.NO_CROSS_BORDER_CONSENT
        else:
            out[cid] = None
    return out


def prepare(actor: Any, data: Mapping[str, Any]) -> Prepared:
    """Prepare one disclosure (see the module doc for the order of the checks)."""
    partner = c.get_partner(data.get("partner_id"))
    purpose = gate.parse_purpose(str(data.get("purpose") or ""))
    keys = c.field_keys(data.get("fields"))
    ids = clean_customer_ids(data.get("customer_ids"))
    gate.check_purpose(actor, purpose)  # 403 purpose_forbidden, audited
    from ..selectors import standing

    st = standing(partner)
    if not st.active:
        raise _refuse(actor, partner, purpose, keys, ids, Refusal(st.standing.value))
    agreement = st.agreement
    assert agreement is not None
    if purpose.value not in agreement.purposes:
        raise _refuse(actor, partner, purpose, keys, ids, Refusal.PURPOSE_OUT_OF_SCOPE)
    outside = [k for k in keys if k not in agreement.fields]
    if outside:
        raise _refuse(
            actor, partner, purpose, keys, ids, Refusal.FIELD_OUT_OF_SCOPE, {"fields": outside}
        )
    not_plain = [
        k
        for k in keys
        if decide(actor.role_code, purpose, catalog.BY_KEY[k]) is not Treatment.PLAIN
    ]
    if not_plain:
        raise _refuse(
            actor, partner, purpose, keys, ids, Refusal.FIELD_NOT_PERMITTED, {"fields": not_plain}
        )
    return _prepare(actor, partner, agreement, purpose, keys, ids)


@transaction.atomic
def _prepare(
    actor: Any,
    partner: Partner,
    agreement: Any,
    purpose: Purpose,
    keys: list[str],
    ids: list[uuid.UUID],
) -> Prepared:
    now = clock.now()
    bases = _bases(partner, ids)
    eligible = [cid for cid in ids if bases[cid] is None]
    entities = sorted({k.split(".")[0] for k in keys} - {"customer"})
    views = gate.access_customers(actor, purpose, eligible, related=bool(entities))
    by_id = {uuid.UUID(v.id): v for v in views}
    wanted = {k.split(".", 1)[1] for k in keys if k.startswith("customer.")}
    records: list[dict[str, Any]] = []
    reasons: dict[uuid.UUID, Exclusion | None] = dict(bases)
    for cid in eligible:
        view = by_id.get(cid)
        if view is None:  # erased between the basis check and the read
            reasons[cid] = Exclusion.ERASED
            continue
        codes = {e: {k.split(".", 1)[1] for k in keys if k.startswith(f"{e}.")} for e in entities}
        # the policy gives every requested field in plain (checked above): anything less
        # means the gate closed this customer for the purpose (restriction, legal hold …)
        if wanted & {*view.withheld, *view.masked} or any(
            codes[e] & {*r.withheld, *r.masked} for e in entities for r in view.records.get(e, [])
        ):
            reasons[cid] = Exclusion.CLOSED_FOR_PURPOSE
            continue
        row: dict[str, Any] = {"customer_id": str(cid)}
        if wanted:
            row["customer"] = {code: view.fields.get(code) for code in sorted(wanted)}
        for e in entities:
            row[e] = [
                {"id": r.id, **{code: r.fields.get(code) for code in sorted(codes[e])}}
                for r in view.records.get(e, [])
            ]
        records.append(row)
    included = [r["customer_id"] for r in records]
    excluded = [
        {"customer_id": str(cid), "reason": reason.value}
        for cid, reason in reasons.items()
        if reason is not None
    ]
    d = Disclosure.objects.create(
        partner=partner,
        agreement=agreement,
        purpose=purpose.value,
        fields=keys,
        requested_by=actor,
        requested_role=actor.role_code,
        created_at=now,
        state=DisclosureState.READY if records else DisclosureState.EMPTY,
        requested_count=len(ids),
        included_count=len(included),
        excluded_count=len(excluded),
    )
    DisclosureItem.objects.bulk_create(
        [
            DisclosureItem(
                disclosure=d,
                customer_id=cid,
                included=reasons[cid] is None,
                reason="" if reasons[cid] is None else reasons[cid].value,  # type: ignore[union-attr]
            )
            for cid in ids
        ]
    )
    token = None
    if records:
        token = secrets.token_urlsafe(32)
        expires = now + download_ttl()
        manifest = {
            "format": FORMAT,
            "disclosure_id": d.pk,
            "partner": partner.name,
            "agreement": agreement.document_ref,
            "purpose": purpose.value,
            "fields": keys,
            "count": len(records),
            "created_at": now.isoformat(),
            "expires_at": expires.isoformat(),
            "scheme": SCHEME,
            "recipient": partner.public_key,
        }
        body = json.dumps(records, ensure_ascii=False, sort_keys=True).encode()
        inner = dict(manifest, records_sha256=hashlib.sha256(body).hexdigest())
        plaintext = json.dumps({"manifest": inner, "records": records}, ensure_ascii=False)
        ciphertext = pyrage.encrypt(
            plaintext.encode(), [pyrage.x25519.Recipient.from_str(partner.public_key)]
        )
        del plaintext, body, records  # in memory only; nothing plain is written anywhere
        manifest["package_sha256"] = hashlib.sha256(ciphertext).hexdigest()
        manifest["package_size"] = len(ciphertext)
        d.package = ciphertext
        d.package_sha256 = manifest["package_sha256"]
        d.package_size = len(ciphertext)
        d.encrypted = True
        d.scheme = SCHEME
        d.manifest = manifest
        d.token_digest = _digest(token)
        d.expires_at = expires
        d.save()
    # the event names every customer in the package (committed in its Merkle leaf and
    # indexed for each customer's history): an incident scoped by this partner computes
    # who was exposed from the log alone (issue #13 §2)
    log.append(
        [
            log.build_naming(
                SharingAction.DISCLOSED,
                actor,
                included,
                purpose=purpose,
                object_type="disclosure",
                object_id=d.pk,
                fields={"names": keys},
                detail={
                    "partner": partner.pk,
                    "partner_name": partner.name,
                    "agreement": agreement.pk,
                    "customers": sorted(included),
                    "included": len(included),
                    "excluded": _count(excluded),
                    "encrypted": d.encrypted,
                    "package_sha256": d.package_sha256,
                },
            )
        ]
    )
    return Prepared(d, included, excluded, token)


def _count(excluded: Sequence[Mapping[str, str]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for e in excluded:
        out[e["reason"]] = out.get(e["reason"], 0) + 1
    return out


# -- download --------------------------------------------------------------------------------
@dataclass
class Package:
    disclosure_id: int
    ciphertext: bytes
    manifest: dict[str, Any]


def _lapsed(d: Disclosure) -> VoidReason | None:
    """Has anything happened since preparing that makes the package unlawful to hand over:
    a customer erased or withdrawn, the partner out of standing?"""
    from ..selectors import standing

    if not standing(d.partner).active:
        return VoidReason.PARTNER_OUT_OF_STANDING
    ids = list(d.items.filter(included=True).values_list("customer_id", flat=True))
    if Customer.objects.filter(id__in=ids, erased_at__isnull=False).exists():
        return VoidReason.ERASURE
    needed = [ConsentPurpose.PARTNER_SHARING]
    if d.partner.cross_border:
        needed.append(ConsentPurpose.CROSS_BORDER)
    if ConsentState.objects.filter(customer_id__in=ids, purpose__in=needed, given=False).exists():
        return VoidReason.CONSENT_WITHDRAWN
    return None


def download(disclosure_id: object, token: str | None) -> Package:
    """Hand the package over once: the right token, before expiry, while every included
    customer still allows it. The ciphertext is dropped as it leaves. Refusals audited."""
    try:
        pk = int(str(disclosure_id))
    except ValueError:
        raise NotFound("no such package") from None
    outcome: Package | BaomiError
    with transaction.atomic():
        d = Disclosure.objects.select_for_update().select_related("partner").filter(pk=pk).first()
        outcome = _hand_over(d, token)
    if isinstance(outcome, BaomiError):
        raise outcome
    return outcome


def _hand_over(d: Disclosure | None, token: str | None) -> Package | BaomiError:
    def refused(reason: str, err: BaomiError) -> BaomiError:
        audit.record(
            SharingAction.DOWNLOAD_REFUSED,
            None,
            object_type="disclosure",
            object_id=d.pk if d else "",
            outcome=Outcome.DENIED,
            detail={"reason": reason},
        )
        return err

    if d is None or not d.token_digest or not token:
        return refused("unknown", NotFound("no such package"))
    if not hmac.compare_digest(d.token_digest, _digest(token)):
        return refused("bad_token", NotFound("no such package"))
    if d.state == DisclosureState.VOIDED:
        return refused(d.state, Gone("this package was voided", code="package_voided"))
    if d.state != DisclosureState.READY:
        return refused(d.state, Gone(f"this package is {d.state}", code="package_gone"))
    if d.expires_at is None or d.expires_at <= clock.now():
        _drop(d, DisclosureState.EXPIRED)
        return refused("expired", Gone("this package has expired", code="package_gone"))
    lapse = _lapsed(d)
    if lapse is not None:
        _void(None, d, lapse)
        return refused(lapse.value, Gone("this package was voided", code="package_voided"))
    blob = bytes(d.package or b"")
    manifest = dict(d.manifest)
    # claim it with a conditional update: of two simultaneous downloads exactly one wins,
    # on SQLite as on PostgreSQL (the row lock above is a no-op on SQLite)
    claimed = Disclosure.objects.filter(pk=d.pk, state=DisclosureState.READY).update(
        package=None, state=DisclosureState.DOWNLOADED, downloaded_at=clock.now()
    )
    if not claimed:
        return refused("downloaded", Gone("this package is downloaded", code="package_gone"))
    audit.record(
        SharingAction.PACKAGE_DOWNLOADED,
        None,
        object_type="disclosure",
        object_id=d.pk,
        detail={"partner": d.partner_id, "package_sha256": d.package_sha256},
    )
    return Package(d.pk, blob, manifest)


def _drop(d: Disclosure, state: DisclosureState) -> None:
    d.package = None
    d.state = state
    d.save(update_fields=["package", "state", "downloaded_at", "voided_at", "void_reason"])


def _void(actor: Any, d: Disclosure, reason: VoidReason) -> None:
    d.voided_at = clock.now()
    d.void_reason = reason
    _drop(d, DisclosureState.VOIDED)
    audit.record(
        SharingAction.PACKAGE_VOIDED,
        actor,
        object_type="disclosure",
        object_id=d.pk,
        detail={"reason": reason.value, "partner": d.partner_id},
    )


def void_pending(
    actor: Any,
    *,
    partner_id: int | None = None,
    customer_id: uuid.UUID | None = None,
    reason: VoidReason = VoidReason.STAFF,
) -> int:
    """Void the packages not yet downloaded (of a partner, or holding a customer)."""
    qs = Disclosure.objects.select_for_update().filter(state=DisclosureState.READY)
    if partner_id is not None:
        qs = qs.filter(partner_id=partner_id)
    if customer_id is not None:
        qs = qs.filter(items__customer_id=customer_id, items__included=True)
    n = 0
    for d in qs.defer("package"):
        _void(actor, d, reason)
        n += 1
    return n


@transaction.atomic
def void(actor: Any, disclosure_id: object) -> Disclosure:
    c.require(actor, c.REGISTER_ROLES, "void packages")
    d = Disclosure.objects.select_for_update().filter(pk=int(str(disclosure_id))).first()
    if d is None:
        raise NotFound("no such disclosure")
    if d.state != DisclosureState.READY:
        raise Conflict(f"the package is {d.state}", code="package_gone")
    _void(actor, d, VoidReason.STAFF)
    return d


def void_out_of_standing(actor: Any) -> int:
    """Expire overdue packages and void those of partners out of standing (sweep)."""
    from ..selectors import standing

    n = 0
    for d in (
        Disclosure.objects.select_for_update()
        .select_related("partner")
        .filter(state=DisclosureState.READY)
    ):
        if d.expires_at is not None and d.expires_at <= clock.now():
            _drop(d, DisclosureState.EXPIRED)
            n += 1
        elif not standing(d.partner).active:
            _void(actor, d, VoidReason.PARTNER_OUT_OF_STANDING)
            n += 1
    return n


def on_erasure(customer_id: uuid.UUID) -> int:
    """An erased customer's data must not leave any more: void every package still waiting
    that holds them (the register rows stay — ids and codes — so the partners that already
    received the data are listed to be told)."""
    return void_pending(None, customer_id=customer_id, reason=VoidReason.ERASURE)
