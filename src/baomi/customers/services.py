"""Customer state changes: the only code that saves customers and their records.

Each service validates the whole input first (nothing half-written), encrypts every value
under the customer's data key, updates blind indexes and lineage, and appends its audit
event in the same transaction (DESIGN.md §3).
"""

from __future__ import annotations

import re
import secrets
import unicodedata
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction

from baomi import audit
from baomi.access.policy import decide, may_write
from baomi.audit import services as audit_services
from baomi.audit.models import Action
from baomi.catalog import fields as catalog
from baomi.catalog import validators
from baomi.catalog.enums import Purpose, Treatment
from baomi.core import clock
from baomi.core.errors import Conflict, FieldIssue, Forbidden, Gone, NotFound, ValidationFailed
from baomi.vault import services as vault
from baomi.vault.crypto import SubjectKey

from . import gate
from .models import (
    ENTITY_MODELS,
    Booking,
    Customer,
    PaymentMethod,
    Shipment,
    ShipmentStatus,
    Stay,
)
from .validation import birth_date_of, clean_customer, clean_record, reject_cvv
from .validation import channel as clean_channel


def index_values(values: Mapping[str, str]) -> dict[str, str]:
    """Blind-index inputs (normalised) for the indexed customer fields present."""
    out = {}
    for code in catalog.INDEXED_CUSTOMER_FIELDS:
        v = values.get(code)
        if v:
            spec = catalog.spec("customer", code)
            out[code] = spec.index_key(v) if spec.index_key else v
    return out


def _check_write(
    actor: Any, purpose: Purpose | str | None, fields: list[str], customer_id: object = ""
) -> Purpose:
    """Role, purpose and fields may write — decided before anything is decrypted or
    validated, so a refusal reveals nothing about the stored values (issue #9 §3).
    Every refusal leaves an `access.denied` event, also when the caller rolls back."""
    p = gate.check_purpose(actor, purpose, customer_id)
    if not may_write(actor.role_code, p):
        audit.record_refusal(
            Action.ACCESS_DENIED,
            actor,
            purpose=p,
            object_type="customer",
            object_id=customer_id,
            detail={"reason": "write_not_allowed"},
        )
        raise Forbidden(
            f"role {actor.role_code} may not change customer data", code="write_forbidden"
        )
    hidden = [
        f
        for f in fields
        if f in catalog.CUSTOMER_FIELDS
        and decide(actor.role_code, p, catalog.spec("customer", f)) is Treatment.WITHHELD
    ]
    if hidden:
        audit.record_refusal(
            Action.ACCESS_DENIED,
            actor,
            purpose=p,
            object_type="customer",
            object_id=customer_id,
            fields=sorted(hidden),
            detail={"reason": "field_forbidden"},
        )
        raise Forbidden(
            f"fields not writable under this purpose: {', '.join(sorted(hidden))}",
            code="field_forbidden",
        )
    return p


def lock_identity(values: Mapping[str, str]) -> None:
    """Hold back every other create / import of the same ID number or phone until this
    transaction ends, so the duplicate check below cannot race (decision 0014)."""
    idx = index_values(values)
    vault.lock_identities({f: idx[f] for f in ("id_number", "phone") if f in idx})


def find_duplicates(values: Mapping[str, str]) -> list[uuid.UUID]:
    """Exact duplicates: same ID number, or same phone and name (blind index + exact compare).
    Call `lock_identity(values)` first in the same transaction."""
    idx = index_values(values)
    if "id_number" in idx:
        hits = gate.match_exact(
            {"id_number": values["id_number"]}, vault.candidates("id_number", idx["id_number"])
        )
        if hits:
            return hits
    if "phone" in idx and "name" in idx:
        cands = set(vault.candidates("phone", idx["phone"])) & set(
            vault.candidates("name", idx["name"])
        )
        return gate.match_exact({"phone": values["phone"], "name": values["name"]}, cands)
    return []


# lineage `basis`: how a value was confirmed. A value the customer confirmed or corrected
# through a rights request is never overwritten by an import merge (issue #16
# survivorship): a conflicting value goes to the data steward's queue instead.
CONFIRMED_BASES = frozenset({"rights_request", "customer_confirmed", "id_document"})


def seal_customer(
    customer: Customer,
    key: SubjectKey,
    values: Mapping[str, str],
    ch: str,
    at_iso: str,
    basis: str | None = None,
) -> None:
    for code, v in values.items():
        setattr(customer, code, key.seal("customer", code, v))
        customer.lineage[code] = {"channel": ch, "at": at_iso}
        if basis:
            customer.lineage[code]["basis"] = basis


def clean_new_customer(
    data: Mapping[str, Any], channel: str | None = None
) -> tuple[str, dict[str, str], CardValues | None]:
    """(channel, profile values, card values) of a new customer's input, or every problem
    with it at once (ValidationFailed). Pure: nothing is read or written, so a form can
    report these together with its own problems before anything is created."""
    payload = dict(data)
    reject_cvv(payload)  # R-C4 first: a CVV is refused before anything else is looked at
    card = payload.pop("payment_card", None)
    payload.pop("consent", None)
    ch = clean_channel(channel or payload.pop("channel", None))
    payload.pop("channel", None)
    # validate the profile and the card together so every problem is reported at once
    issues: list[FieldIssue] = []
    values: dict[str, str] = {}
    card_values = None
    try:
        values = clean_customer(payload)
    except ValidationFailed as exc:
        issues.extend(exc.issues)
    if card:
        try:
            card_values = clean_card(card)
        except ValidationFailed as exc:
            issues.extend(exc.issues)
    if issues:
        raise ValidationFailed(issues)
    return ch, values, card_values


@transaction.atomic
def create_customer(
    actor: Any,
    purpose: Purpose | str | None,
    data: Mapping[str, Any],
    *,
    channel: str | None = None,
) -> Customer:
    ch, values, card_values = clean_new_customer(data, channel)
    p = _check_write(actor, purpose, list(values))
    lock_identity(values)
    if find_duplicates(values):
        # an existence oracle unless logged: who asked, under which purpose, which fields
        # matched (names only, never the values, never the existing customer's id)
        audit.record_refusal(
            Action.CUSTOMER_CREATE_REFUSED,
            actor,
            purpose=p,
            object_type="customer",
            fields=sorted(values),
            detail={"reason": "duplicate_customer", "channel": ch},
        )
        raise Conflict(
            "a customer with the same ID number, or the same phone and name, exists",
            code="duplicate_customer",
        )
    now = clock.now()
    customer = Customer(
        id=uuid.uuid4(), primary_channel=ch, created_at=now, updated_at=now, lineage={}
    )
    key = vault.create_data_key(customer.id)
    seal_customer(customer, key, values, ch, now.isoformat())
    customer.save(force_insert=True)
    vault.replace_index(customer.id, index_values(values))
    audit.record(
        Action.CUSTOMER_CREATED,
        actor,
        purpose=p,
        object_type="customer",
        object_id=customer.id,
        fields=list(values),
        detail={"channel": ch},
    )
    if card_values:
        _add_card(actor, p, customer, key, card_values, ch)
    return customer


def _live(customer_id: uuid.UUID | str) -> Customer:
    try:
        cid = uuid.UUID(str(customer_id))
    except ValueError:
        raise NotFound("no such customer") from None
    c = Customer.objects.select_for_update().filter(id=cid).first()
    if c is None:
        raise NotFound("no such customer")
    if c.erased_at is not None:
        raise Gone("this customer's data has been erased")
    return c


def update_customer(
    actor: Any,
    purpose: Purpose | str | None,
    customer_id: uuid.UUID | str,
    data: Mapping[str, Any],
    *,
    channel: str | None = None,
) -> Customer:
    # authorise first (role, purpose, every catalogued field sent), outside the change's
    # transaction: nothing is looked up, decrypted or validated for a caller who may not
    # write, and the refusal is logged (issue #9 §3: a bad id_number answered "not a valid
    # passport number" to auditors and administrators, revealing the stored ID type)
    p = _check_write(actor, purpose, [k for k in data if k != "channel"], customer_id)
    with transaction.atomic():
        return _update_customer(actor, p, customer_id, data, channel)


def _update_customer(
    actor: Any,
    p: Purpose,
    customer_id: uuid.UUID | str,
    data: Mapping[str, Any],
    channel: str | None,
) -> Customer:
    payload = dict(data)
    ch = clean_channel(channel or payload.pop("channel", None) or "store")
    payload.pop("channel", None)
    customer = _live(customer_id)
    reject_cvv(payload)
    existing_type = None
    if "id_number" in payload and "id_type" not in payload and customer.id_type is not None:
        existing_type = gate.stored_id_type(customer)
    try:
        values = clean_customer(payload, partial=True, existing_id_type=existing_type)
    except ValidationFailed as exc:
        raise (_without_stored_type(exc, actor, p) if existing_type else exc) from None
    if not values:
        raise ValidationFailed(
            [FieldIssue("*", "nothing_to_change", "no field to change", "没有需要修改的字段")]
        )
    basis = "rights_request" if p is Purpose.RIGHTS_REQUEST else None
    return _store_update(actor, p, customer, values, ch, basis, {"channel": ch})


# fields a customer keeps up to date themself in the portal (issue #17 §1): no staff,
# no request — the value is theirs; lineage basis `customer_confirmed`
SELF_SERVICE_FIELDS = ("birth_date", "preferences")


def confirm_own_details(subject: gate.DataSubject, data: Mapping[str, Any]) -> Customer:
    """The signed-in customer sets their own birthday and preferences (portal). Only
    `SELF_SERVICE_FIELDS`, only their own profile; validated as any input; sealed with
    lineage basis `customer_confirmed` (an import merge never overwrites it, issue #16);
    one `customer.updated` event under `rights_request` (actor: the data subject). A
    birthday that contradicts a mainland resident ID on file is refused — that takes a
    correction request, checked by staff. `preferences` replaces the whole object (the
    caller merges: the portal form keeps the keys it does not show)."""
    if not isinstance(subject, gate.DataSubject):
        raise Forbidden("only the customer themself edits these", code="write_forbidden")
    other = sorted(set(data) - set(SELF_SERVICE_FIELDS))
    if other:
        raise ValidationFailed(
            [
                FieldIssue(
                    k[:40], "field_not_self_service", "not editable here", "此项不能自行修改"
                )
                for k in other
            ]
        )
    with transaction.atomic():
        customer = _live(subject.customer_id)
        values = clean_customer(dict(data), partial=True)
        if not values:
            raise ValidationFailed(
                [FieldIssue("*", "nothing_to_change", "no field to change", "没有需要修改的字段")]
            )
        if "birth_date" in values:  # the ID on file, read as the customer reads it
            view = gate.access_customer(subject, Purpose.RIGHTS_REQUEST, customer.id, related=False)
            number = str(view.fields.get("id_number") or "")
            if (
                view.fields.get("id_type") == "cn_resident_id"
                and number
                and birth_date_of(number) != values["birth_date"]
            ):
                raise ValidationFailed(
                    [
                        FieldIssue(
                            "birth_date",
                            "birth_date_mismatch",
                            "does not match the birth date in your ID number: ask for a "
                            "correction instead",
                            "与您身份证号码中的出生日期不一致，如需更正请提交更正申请",
                        )
                    ]
                )
        return _store_update(
            subject,
            Purpose.RIGHTS_REQUEST,
            customer,
            values,
            "web",
            "customer_confirmed",
            {"channel": "web", "via": "portal", "basis": "customer_confirmed"},
        )


def _store_update(
    actor: Any,
    purpose: Purpose,
    customer: Customer,
    values: Mapping[str, str],
    channel: str,
    basis: str | None,
    detail: dict[str, Any],
) -> Customer:
    """The one way validated values reach a stored customer: an ID number is refused when
    another customer holds it (under the identity lock), the values are sealed under the
    customer's key with their lineage, the blind index follows, and the change is audited."""
    if values.get("id_number"):
        # an ID number names one customer: refuse moving it onto a second one
        lock_identity({"id_number": values["id_number"]})
        if any(o != customer.id for o in find_duplicates({"id_number": values["id_number"]})):
            raise Conflict("another customer has this ID number", code="duplicate_customer")
    now = clock.now()
    seal_customer(customer, vault.subject_key(customer.id), values, channel, now.isoformat(), basis)
    customer.updated_at = now
    customer.save()
    vault.replace_index(customer.id, index_values(values))
    audit.record(
        Action.CUSTOMER_UPDATED,
        actor,
        purpose=purpose,
        object_type="customer",
        object_id=customer.id,
        fields=list(values),
        detail=detail,
    )
    return customer


def _without_stored_type(exc: ValidationFailed, actor: Any, p: Purpose) -> ValidationFailed:
    """An id_number checked against the *stored* ID type must not name that type to a
    writer whose view does not show it plainly ("not a valid passport number")."""
    if decide(actor.role_code, p, catalog.spec("customer", "id_type")) is Treatment.PLAIN:
        return exc
    return ValidationFailed(
        [
            FieldIssue(
                "id_number",
                "id_number_invalid",
                "not a valid number for this customer's ID type",
                "证件号码与该客户的证件类型不符",
            )
            if i.field == "id_number"
            else i
            for i in exc.issues
        ]
    )


# -- payment cards (R-C4) -----------------------------------------------------------------
@dataclass(frozen=True)
class CardValues:
    brand: str
    card: str  # "first6|last4"
    expiry: str
    holder: str | None


def clean_card(data: Any) -> CardValues:
    if not isinstance(data, Mapping):
        raise ValidationFailed(
            [
                FieldIssue(
                    "payment_card",
                    "card_object",
                    "payment_card must be an object",
                    "银行卡信息格式错误",
                )
            ]
        )
    reject_cvv(data, "payment_card.")
    issues = []
    unknown = set(data) - {"number", "expiry", "holder"}
    for k in sorted(unknown):
        issues.append(
            FieldIssue(
                f"payment_card.{k}",
                "field_unknown",
                "not a catalogued field",
                "未在数据目录中声明的字段",
            )
        )
    brand = first6 = last4 = expiry = ""
    holder = None
    try:
        brand, first6, last4 = validators.card_number(data.get("number", ""))
    except validators.Invalid as exc:
        issues.append(FieldIssue("payment_card.number", exc.code, exc.en, exc.zh))
    try:
        expiry = validators.card_expiry(data.get("expiry", ""))
    except validators.Invalid as exc:
        issues.append(FieldIssue("payment_card.expiry", exc.code, exc.en, exc.zh))
    if data.get("holder"):
        try:
            holder = validators.name(data["holder"])
        except validators.Invalid as exc:
            issues.append(FieldIssue("payment_card.holder", exc.code, exc.en, exc.zh))
    if issues:
        raise ValidationFailed(issues)
    return CardValues(brand, f"{first6}|{last4}", expiry, holder)


def _add_card(
    actor: Any, p: Purpose, customer: Customer, key: SubjectKey, cv: CardValues, ch: str
) -> PaymentMethod:
    pm = PaymentMethod(
        id=uuid.uuid4(),
        customer=customer,
        channel=ch,
        created_at=clock.now(),
        token="tok_" + secrets.token_urlsafe(24),
        brand=cv.brand,
    )
    pm.card = key.seal("payment_method", "card", cv.card, pm.id)
    pm.expiry = key.seal("payment_method", "expiry", cv.expiry, pm.id)
    if cv.holder:
        pm.holder = key.seal("payment_method", "holder", cv.holder, pm.id)
    pm.save(force_insert=True)
    audit.record(
        Action.PAYMENT_ADDED,
        actor,
        purpose=p,
        object_type="payment_method",
        object_id=pm.id,
        fields=["card", "expiry", *(["holder"] if cv.holder else [])],
        detail={"customer": str(customer.id), "brand": cv.brand},
    )
    return pm


@transaction.atomic
def add_payment_card(
    actor: Any,
    purpose: Purpose | str | None,
    customer_id: uuid.UUID | str,
    data: Mapping[str, Any],
    *,
    channel: str = "store",
) -> PaymentMethod:
    cv = clean_card(data)
    p = _check_write(actor, purpose, [])
    customer = _live(customer_id)
    return _add_card(actor, p, customer, vault.subject_key(customer.id), cv, clean_channel(channel))


# -- industry records (R-A6) ------------------------------------------------------------------
RECORD_MODELS: dict[str, type[Booking] | type[Stay] | type[Shipment]] = {
    "booking": Booking,
    "stay": Stay,
    "shipment": Shipment,
}


@transaction.atomic
def add_record(
    actor: Any,
    purpose: Purpose | str | None,
    customer_id: uuid.UUID | str,
    entity: str,
    data: Mapping[str, Any],
    *,
    channel: str = "store",
    reference: str | None = None,
    status: str | None = None,
) -> Any:
    if entity not in RECORD_MODELS:
        raise ValidationFailed(
            [FieldIssue("entity", "entity_unknown", "unknown record type", "未知记录类型")]
        )
    values = clean_record(entity, data)
    ch = clean_channel(channel)
    p = gate.check_purpose(actor, purpose)
    if not may_write(actor.role_code, p) and not (entity == "shipment" and p == Purpose.DELIVERY):
        raise Forbidden("role may not add records", code="write_forbidden")
    customer = _live(customer_id)
    key = vault.subject_key(customer.id)
    model = RECORD_MODELS[entity]
    obj: Any = model(id=uuid.uuid4(), customer=customer, channel=ch, created_at=clock.now())
    if entity == "shipment":
        obj.waybill_no = reference or new_waybill_no()
        obj.status = status or ShipmentStatus.CREATED
    else:
        obj.reference = reference or new_reference(entity)
    for code, v in values.items():
        setattr(obj, code, key.seal(entity, code, v, obj.id))
    obj.save(force_insert=True)
    audit.record(
        Action.RECORD_CREATED,
        actor,
        purpose=p,
        object_type=entity,
        object_id=obj.id,
        fields=list(values),
        detail={"customer": str(customer.id), "channel": ch},
    )
    return obj


@transaction.atomic
def update_record(
    actor: Any,
    purpose: Purpose | str | None,
    entity: str,
    record_id: uuid.UUID | str,
    data: Mapping[str, Any],
    *,
    action: Any = Action.RECORD_UPDATED,
    status: str | None = None,
    detail: Mapping[str, Any] | None = None,
) -> Any:
    """Change catalogued fields of one record (a room change, the spend at check-out) and
    / or a shipment's status, in the caller's transaction, with one audit event (`action`:
    the calling domain's own code, e.g. `stay.room_changed`). Validated as `add_record`
    validates; authorised first, so a refused caller learns nothing about the record."""
    if entity not in RECORD_MODELS:
        raise ValidationFailed(
            [FieldIssue("entity", "entity_unknown", "unknown record type", "未知记录类型")]
        )
    p = gate.check_purpose(actor, purpose)
    if not may_write(actor.role_code, p) and not (entity == "shipment" and p == Purpose.DELIVERY):
        audit.record_refusal(
            Action.ACCESS_DENIED,
            actor,
            purpose=p,
            object_type=entity,
            object_id=str(record_id),
            detail={"reason": "write_not_allowed"},
        )
        raise Forbidden("role may not change records", code="write_forbidden")
    values = clean_record(entity, data)
    if status is not None and (entity != "shipment" or status not in ShipmentStatus.values):
        raise ValidationFailed(
            [FieldIssue("status", "status_unknown", "unknown status", "未知状态")]
        )
    model = RECORD_MODELS[entity]
    try:
        obj: Any = model.objects.select_for_update().filter(pk=uuid.UUID(str(record_id))).first()
    except ValueError:
        obj = None
    if obj is None:
        raise NotFound("no such record")
    customer = _live(obj.customer_id)
    key = vault.subject_key(customer.id)
    for code, v in values.items():
        setattr(obj, code, key.seal(entity, code, v, obj.id))
    if status is not None:
        obj.status = status
    obj.save()
    audit.record(
        action,
        actor,
        purpose=p,
        object_type=entity,
        object_id=obj.id,
        fields=list(values),
        detail={"customer": str(customer.id), **(detail or {})},
    )
    return obj


def new_reference(entity: str) -> str:
    prefix = {"booking": "BK", "stay": "ST"}.get(entity, "RC")
    return prefix + secrets.token_hex(5).upper()


def new_waybill_no() -> str:
    return "BM" + "".join(secrets.choice("0123456789") for _ in range(12))


# -- search -------------------------------------------------------------------------------
SEARCH_FIELDS = ("phone", "email", "id_number", "name")


@dataclass
class SearchPage:
    results: list[gate.CustomerView]
    page: int
    page_size: int
    total: int


def search_customers(
    actor: Any,
    purpose: Purpose | str | None,
    criteria: Mapping[str, str],
    *,
    page: int = 1,
    page_size: int | None = None,
) -> SearchPage:
    """Exact search through the blind indexes; candidates decrypted and compared exactly."""
    p = gate.check_purpose(actor, purpose)
    page_size = page_size or settings.BAOMI_PAGE_SIZE
    given = {k: v for k, v in criteria.items() if k in SEARCH_FIELDS and v and str(v).strip()}
    if not given:
        raise ValidationFailed(
            [
                FieldIssue(
                    "*",
                    "criteria_required",
                    "give a phone, email, id_number or name",
                    "请提供手机号、邮箱、证件号码或姓名",
                )
            ]
        )
    norm: dict[str, str] = {}
    issues = []
    for code, raw in given.items():
        if decide(actor.role_code, p, catalog.spec("customer", code)) is Treatment.WITHHELD:
            raise Forbidden(f"cannot search by {code} under this purpose", code="field_forbidden")
        try:
            if code == "id_number":
                norm[code] = _id_key(raw)
            else:
                spec = catalog.spec("customer", code)
                assert spec.normalise is not None
                norm[code] = spec.normalise(raw)
        except validators.Invalid as exc:
            issues.append(FieldIssue(code, exc.code, exc.en, exc.zh))
    if issues:
        raise ValidationFailed(issues)
    idx = index_values(norm)
    cand: set[uuid.UUID] | None = None
    for code, v in idx.items():
        found = set(vault.candidates(code, v))
        cand = found if cand is None else cand & found
    hits = gate.match_exact(norm, sorted(cand or []))
    hits.sort()
    total = len(hits)
    page = max(1, int(page))
    chunk = hits[(page - 1) * page_size : page * page_size]
    audit.record(
        Action.CUSTOMER_SEARCHED,
        actor,
        purpose=p,
        object_type="customer",
        fields=list(given),
        detail={"results": total, "page": page},
    )
    views = gate.access_customers(actor, p, chunk) if chunk else []
    return SearchPage(views, page, page_size, total)


def _id_key(raw: object) -> str:
    s = re.sub(r"[\s-]", "", unicodedata.normalize("NFKC", str(raw))).upper()
    if not s:
        raise validators.Invalid("required", "must not be empty", "不能为空")
    return s


# -- duplicate merges (issue #16): the steward's queue merges and unmerges ---------------
def merge_into(
    actor: Any,
    purpose: Purpose,
    survivor_id: uuid.UUID,
    absorbed_id: uuid.UUID,
    take: list[str],
    *,
    ref: str,
) -> dict[str, Any]:
    """Copy the fields `take` of `absorbed` onto `survivor` (sealed again under the
    survivor's key, lineage `merged_from`), in the caller's transaction, audited. Returns
    the survivor's state before — sealed columns (ciphertext, hex), lineage and blind-index
    buckets — so `restore_columns` undoes the merge without decrypting anything. The
    caller has authorised the actor (the quality app: data steward under data_quality)."""
    survivor = _live(survivor_id)
    _live(absorbed_id)
    codes = [c for c in take if c in catalog.CUSTOMER_FIELDS]
    snapshot = _snapshot(survivor)
    values = {k: v for k, v in gate.merge_values(actor, purpose, absorbed_id, codes).items()}
    present = {k: v for k, v in values.items() if v is not None}
    key = vault.subject_key(survivor.id)
    now = clock.now()
    for code in codes:
        if code in present:
            text = present[code] if isinstance(present[code], str) else _json(present[code])
            setattr(survivor, code, key.seal("customer", code, text))
        else:
            setattr(survivor, code, None)
        survivor.lineage[code] = {
            "channel": survivor.lineage.get(code, {}).get("channel", survivor.primary_channel),
            "at": now.isoformat(),
            "merged_from": str(absorbed_id),
        }
    survivor.updated_at = now
    survivor.save()
    idx = index_values({k: v for k, v in present.items() if isinstance(v, str)})
    vault.replace_index(survivor.id, idx)
    gone = [c for c in codes if c in catalog.INDEXED_CUSTOMER_FIELDS and c not in idx]
    if gone:  # the absorbed customer had none: the survivor keeps none either
        vault.drop_index_fields(survivor.id, gone)
    audit.record(
        Action.CUSTOMER_MERGED,
        actor,
        purpose=purpose,
        object_type="customer",
        object_id=survivor.id,
        fields=codes,
        detail={"via": "duplicate_queue", "absorbed": str(absorbed_id), "ref": ref},
    )
    return snapshot


def _json(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _snapshot(customer: Customer) -> dict[str, Any]:
    cols = {
        code: (bytes(blob).hex() if blob is not None else None)
        for code in catalog.CUSTOMER_FIELDS
        for blob in [getattr(customer, code)]
    }
    index = vault.index_rows_of(customer.id)
    return {"columns": cols, "lineage": dict(customer.lineage), "index": index}


def restore_columns(
    actor: Any, purpose: Purpose, customer_id: uuid.UUID, snapshot: Mapping[str, Any], *, ref: str
) -> None:
    """Put back a customer's sealed columns, lineage and blind-index buckets as a
    `merge_into` snapshot left them (unmerge), audited. Nothing is decrypted."""
    customer = _live(customer_id)
    for code, hexed in snapshot["columns"].items():
        if code in catalog.CUSTOMER_FIELDS:
            setattr(customer, code, bytes.fromhex(hexed) if hexed else None)
    customer.lineage = dict(snapshot["lineage"])
    customer.updated_at = clock.now()
    customer.save()
    vault.restore_index_rows(customer.id, [(f, int(b)) for f, b in snapshot["index"]])
    audit.record(
        Action.CUSTOMER_UPDATED,
        actor,
        purpose=purpose,
        object_type="customer",
        object_id=customer.id,
        fields=sorted(snapshot["columns"]),
        detail={"via": "unmerge", "ref": ref},
    )


def apply_reviewed(
    actor: Any, purpose: Purpose, customer_id: uuid.UUID, values: Mapping[str, str], *, ref: str
) -> Customer:
    """Values a data steward accepted from the review queue (an import held them back):
    sealed under the customer's key, lineage `basis: steward_review`, index, audit. The
    values were validated when the import read them; an ID number is still refused when
    another customer holds it."""
    customer = _live(customer_id)
    clean = {k: v for k, v in values.items() if k in catalog.CUSTOMER_FIELDS and v}
    return _store_update(
        actor,
        purpose,
        customer,
        clean,
        customer.primary_channel,
        "steward_review",
        {"via": "review_queue", "ref": ref},
    )


def clear_records(actor: Any, entity: str, record_ids: list[uuid.UUID], basis: str) -> int:
    """Retention (R-C8): clear every sealed column of these records (the ciphertext goes;
    the reference, channel, creation date stay) and audit it — one `record.destroyed`
    event per 500 records, naming their customers (each customer's history lists it)."""
    model = ENTITY_MODELS[entity]
    blank = {spec.code: None for spec in catalog.fields_of(entity)}
    done = 0
    with transaction.atomic():
        for n in range(0, len(record_ids), 500):
            chunk = record_ids[n : n + 500]
            owners = sorted(
                {
                    str(c)
                    for c in model._default_manager.filter(id__in=chunk).values_list(
                        "customer_id", flat=True
                    )
                }
            )
            cleared = model._default_manager.filter(id__in=chunk).update(**blank)
            done += cleared
            audit_services.record_many(
                [
                    audit_services.build_naming(
                        Action.RECORD_DESTROYED,
                        actor,
                        owners,
                        object_type=entity,
                        fields=sorted(blank),
                        detail={
                            "basis": basis[:200],
                            "records": sorted(str(r) for r in chunk),
                            "cleared": cleared,
                            "customers": owners,
                        },
                    )
                ]
            )
    return done
