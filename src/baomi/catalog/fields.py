"""The data catalogue: every personal field declared once (R-A2, R-B1, R-C1).

The catalogue drives storage (which columns are sealed), validation, masking, blind-index
search, the collection checklist (`baomi catalog`) and later the privacy notice and exports.
Each entry states why the field is collected (purposes), how (method) and for how long.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from . import masking, validators
from .enums import FieldClass, Industry, Purpose

P = Purpose


@dataclass(frozen=True)
class FieldSpec:
    entity: str
    code: str
    label_zh: str
    label_en: str
    klass: FieldClass
    type: str
    purposes: tuple[Purpose, ...]
    retention: str
    mask: Callable[[str], str]
    normalise: Callable[[object], str] | None = None
    indexed: bool = False
    index_key: Callable[[str], str] | None = None  # extra normalisation before HMAC
    tags: frozenset[str] = frozenset()  # e.g. {"payment", "track", "child"}
    method: str = "form"  # how it is collected: form, id_card_reader, import, api, booking
    industry: Industry | None = None
    required: bool = False

    @property
    def key(self) -> str:
        return f"{self.entity}.{self.code}"


SERVICE = (P.RECEPTION, P.CUSTOMER_SERVICE, P.RIGHTS_REQUEST)
_R_PROFILE = "3 years after the last service, then destroyed (R-C5)"
_R_STAY = "2 years after check-out (public-security registration rules), then destroyed"
_R_TRIP = "3 years after the trip, then destroyed"
_R_WAYBILL = "1 year after delivery (Express Market rules), then destroyed"
_R_PAY = "until the customer removes the card, or 1 year unused"

FIELDS: tuple[FieldSpec, ...] = (
    # -- customer profile -------------------------------------------------------------
    FieldSpec(
        "customer",
        "name",
        "姓名",
        "Name",
        FieldClass.BASIC,
        "text",
        (*SERVICE, P.BILLING, P.DELIVERY, P.MARKETING, P.DATA_QUALITY),
        _R_PROFILE,
        masking.name,
        validators.name,
        indexed=True,
        index_key=validators.name_key,
        required=True,
    ),
    FieldSpec(
        "customer",
        "phone",
        "手机号码",
        "Phone",
        FieldClass.BASIC,
        "phone",
        (*SERVICE, P.BILLING, P.DELIVERY, P.MARKETING, P.DATA_QUALITY),
        _R_PROFILE,
        masking.phone,
        validators.phone,
        indexed=True,
    ),
    FieldSpec(
        "customer",
        "email",
        "电子邮箱",
        "E-mail",
        FieldClass.BASIC,
        "email",
        (*SERVICE, P.BILLING, P.MARKETING, P.DATA_QUALITY),
        _R_PROFILE,
        masking.email,
        validators.email,
        indexed=True,
    ),
    FieldSpec(
        "customer",
        "id_type",
        "证件类型",
        "ID type",
        FieldClass.SENSITIVE,
        "choice",
        (P.RECEPTION, P.BILLING, P.RIGHTS_REQUEST, P.LEGAL_REQUEST, P.DATA_QUALITY),
        _R_PROFILE,
        masking.hidden,
        validators.id_type,
        tags=frozenset({"identity"}),
        method="id_card_reader",
    ),
    FieldSpec(
        "customer",
        "id_number",
        "证件号码",
        "ID number",
        FieldClass.SENSITIVE,
        "id",
        (P.RECEPTION, P.BILLING, P.RIGHTS_REQUEST, P.LEGAL_REQUEST, P.DATA_QUALITY),
        _R_PROFILE,
        masking.id_number,
        None,
        indexed=True,
        tags=frozenset({"identity"}),
        method="id_card_reader",
    ),
    FieldSpec(
        "customer",
        "gender",
        "性别",
        "Gender",
        FieldClass.BASIC,
        "choice",
        (P.RECEPTION, P.CUSTOMER_SERVICE, P.RIGHTS_REQUEST, P.DATA_QUALITY),
        _R_PROFILE,
        masking.hidden,
        validators.gender,
    ),
    FieldSpec(
        "customer",
        "birth_date",
        "出生日期",
        "Birth date",
        FieldClass.BASIC,
        "date",
        (P.RECEPTION, P.RIGHTS_REQUEST, P.MARKETING, P.DATA_QUALITY),
        _R_PROFILE,
        masking.year_only,
        validators.birth_date,
    ),
    FieldSpec(
        "customer",
        "nationality",
        "国籍",
        "Nationality",
        FieldClass.BASIC,
        "country",
        (P.RECEPTION, P.RIGHTS_REQUEST, P.LEGAL_REQUEST, P.DATA_QUALITY),
        _R_PROFILE,
        masking.hidden,
        validators.nationality,
    ),
    FieldSpec(
        "customer",
        "address",
        "地址",
        "Address",
        FieldClass.BASIC,
        "text",
        (
            P.RECEPTION,
            P.DELIVERY,
            P.BILLING,
            P.CUSTOMER_SERVICE,
            P.RIGHTS_REQUEST,
            P.DATA_QUALITY,
        ),
        _R_PROFILE,
        masking.address,
        validators.address,
    ),
    FieldSpec(
        "customer",
        "preferences",
        "偏好",
        "Preferences",
        FieldClass.PREFERENCE,
        "json",
        (P.RECEPTION, P.CUSTOMER_SERVICE, P.MARKETING, P.RIGHTS_REQUEST),
        _R_PROFILE,
        masking.hidden,
        None,
        method="self_service",
    ),
    # -- payment methods (R-C4: token + brand + first6/last4 + expiry; never CVV or PAN) ---
    FieldSpec(
        "payment_method",
        "card",
        "银行卡（前6后4）",
        "Card (first 6 / last 4)",
        FieldClass.SENSITIVE,
        "card",
        (P.BILLING, P.RIGHTS_REQUEST),
        _R_PAY,
        masking.card,
        tags=frozenset({"payment"}),
    ),
    FieldSpec(
        "payment_method",
        "expiry",
        "有效期",
        "Expiry",
        FieldClass.SENSITIVE,
        "text",
        (P.BILLING, P.RIGHTS_REQUEST),
        _R_PAY,
        masking.hidden,
        validators.card_expiry,
        tags=frozenset({"payment"}),
    ),
    FieldSpec(
        "payment_method",
        "holder",
        "持卡人",
        "Card holder",
        FieldClass.SENSITIVE,
        "text",
        (P.BILLING, P.RIGHTS_REQUEST),
        _R_PAY,
        masking.name,
        validators.name,
        tags=frozenset({"payment"}),
    ),
    # -- travel pack: bookings -----------------------------------------------------------
    FieldSpec(
        "booking",
        "product",
        "产品",
        "Product",
        FieldClass.PREFERENCE,
        "text",
        (*SERVICE, P.BILLING, P.MARKETING),
        _R_TRIP,
        masking.partial,
        validators.short_text,
        method="booking",
        industry=Industry.TRAVEL,
    ),
    FieldSpec(
        "booking",
        "destination",
        "目的地",
        "Destination",
        FieldClass.SENSITIVE,
        "text",
        (*SERVICE,),
        _R_TRIP,
        masking.partial,
        validators.short_text,
        tags=frozenset({"track"}),
        method="booking",
        industry=Industry.TRAVEL,
    ),
    FieldSpec(
        "booking",
        "start_date",
        "出发日期",
        "Start date",
        FieldClass.SENSITIVE,
        "date",
        (*SERVICE, P.BILLING),
        _R_TRIP,
        masking.year_only,
        validators.plain_date,
        tags=frozenset({"track"}),
        method="booking",
        industry=Industry.TRAVEL,
    ),
    FieldSpec(
        "booking",
        "end_date",
        "返回日期",
        "End date",
        FieldClass.SENSITIVE,
        "date",
        (*SERVICE, P.BILLING),
        _R_TRIP,
        masking.year_only,
        validators.plain_date,
        tags=frozenset({"track"}),
        method="booking",
        industry=Industry.TRAVEL,
    ),
    FieldSpec(
        "booking",
        "travellers",
        "同行人",
        "Travellers",
        FieldClass.BASIC,
        "text",
        (*SERVICE,),
        _R_TRIP,
        masking.partial,
        validators.short_text,
        method="booking",
        industry=Industry.TRAVEL,
    ),
    FieldSpec(
        "booking",
        "amount",
        "金额",
        "Amount",
        FieldClass.PREFERENCE,
        "money",
        (P.BILLING, P.CUSTOMER_SERVICE, P.RIGHTS_REQUEST, P.MARKETING),
        _R_TRIP,
        masking.hidden,
        validators.amount,
        method="booking",
        industry=Industry.TRAVEL,
    ),
    # -- hotel pack: stays (accommodation records are sensitive, R-C1) ----------------
    FieldSpec(
        "stay",
        "room",
        "房间",
        "Room",
        FieldClass.SENSITIVE,
        "text",
        (P.RECEPTION, P.CUSTOMER_SERVICE, P.RIGHTS_REQUEST, P.LEGAL_REQUEST),
        _R_STAY,
        masking.hidden,
        validators.short_text,
        tags=frozenset({"track"}),
        method="check_in",
        industry=Industry.HOTEL,
    ),
    FieldSpec(
        "stay",
        "check_in",
        "入住日期",
        "Check-in",
        FieldClass.SENSITIVE,
        "date",
        (P.RECEPTION, P.BILLING, P.CUSTOMER_SERVICE, P.RIGHTS_REQUEST, P.LEGAL_REQUEST),
        _R_STAY,
        masking.year_only,
        validators.plain_date,
        tags=frozenset({"track"}),
        method="check_in",
        industry=Industry.HOTEL,
    ),
    FieldSpec(
        "stay",
        "check_out",
        "离店日期",
        "Check-out",
        FieldClass.SENSITIVE,
        "date",
        (P.RECEPTION, P.BILLING, P.CUSTOMER_SERVICE, P.RIGHTS_REQUEST, P.LEGAL_REQUEST),
        _R_STAY,
        masking.year_only,
        validators.plain_date,
        tags=frozenset({"track"}),
        method="check_in",
        industry=Industry.HOTEL,
    ),
    FieldSpec(
        "stay",
        "spend",
        "消费金额",
        "Spend",
        FieldClass.PREFERENCE,
        "money",
        (P.BILLING, P.CUSTOMER_SERVICE, P.RIGHTS_REQUEST, P.MARKETING),
        _R_STAY,
        masking.hidden,
        validators.amount,
        method="folio",
        industry=Industry.HOTEL,
    ),
    FieldSpec(
        "stay",
        "special_requests",
        "特殊需求",
        "Special requests",
        FieldClass.PREFERENCE,
        "text",
        (P.RECEPTION, P.CUSTOMER_SERVICE, P.RIGHTS_REQUEST),
        _R_STAY,
        masking.partial,
        validators.short_text,
        method="check_in",
        industry=Industry.HOTEL,
    ),
    # -- courier pack: shipments -----------------------------------------------------------
    FieldSpec(
        "shipment",
        "sender_name",
        "寄件人姓名",
        "Sender name",
        FieldClass.BASIC,
        "text",
        (P.DELIVERY, P.CUSTOMER_SERVICE, P.RIGHTS_REQUEST),
        _R_WAYBILL,
        masking.name,
        validators.name,
        method="waybill",
        industry=Industry.COURIER,
    ),
    FieldSpec(
        "shipment",
        "sender_phone",
        "寄件人电话",
        "Sender phone",
        FieldClass.BASIC,
        "phone",
        (P.DELIVERY, P.CUSTOMER_SERVICE, P.RIGHTS_REQUEST),
        _R_WAYBILL,
        masking.phone,
        validators.phone,
        method="waybill",
        industry=Industry.COURIER,
    ),
    FieldSpec(
        "shipment",
        "sender_address",
        "寄件地址",
        "Sender address",
        FieldClass.BASIC,
        "text",
        (P.DELIVERY, P.CUSTOMER_SERVICE, P.RIGHTS_REQUEST),
        _R_WAYBILL,
        masking.address,
        validators.address,
        method="waybill",
        industry=Industry.COURIER,
    ),
    FieldSpec(
        "shipment",
        "recipient_name",
        "收件人姓名",
        "Recipient name",
        FieldClass.BASIC,
        "text",
        (P.DELIVERY, P.CUSTOMER_SERVICE, P.RIGHTS_REQUEST),
        _R_WAYBILL,
        masking.name,
        validators.name,
        method="waybill",
        industry=Industry.COURIER,
    ),
    FieldSpec(
        "shipment",
        "recipient_phone",
        "收件人电话",
        "Recipient phone",
        FieldClass.BASIC,
        "phone",
        (P.DELIVERY, P.CUSTOMER_SERVICE, P.RIGHTS_REQUEST),
        _R_WAYBILL,
        masking.phone,
        validators.phone,
        method="waybill",
        industry=Industry.COURIER,
    ),
    FieldSpec(
        "shipment",
        "recipient_address",
        "收件地址",
        "Recipient address",
        FieldClass.BASIC,
        "text",
        (P.DELIVERY, P.CUSTOMER_SERVICE, P.RIGHTS_REQUEST),
        _R_WAYBILL,
        masking.address,
        validators.address,
        method="waybill",
        industry=Industry.COURIER,
    ),
    FieldSpec(
        "shipment",
        "item_type",
        "物品类型",
        "Item type",
        FieldClass.PREFERENCE,
        "text",
        (P.DELIVERY, P.CUSTOMER_SERVICE, P.RIGHTS_REQUEST),
        _R_WAYBILL,
        masking.partial,
        validators.short_text,
        method="waybill",
        industry=Industry.COURIER,
    ),
)

BY_KEY: dict[str, FieldSpec] = {f.key: f for f in FIELDS}


def fields_of(entity: str) -> list[FieldSpec]:
    return [f for f in FIELDS if f.entity == entity]


def spec(entity: str, code: str) -> FieldSpec:
    return BY_KEY[f"{entity}.{code}"]


def industry_of(column: str) -> Industry | None:
    """The industry pack an import column belongs to: its catalogue field's (`stay.room` →
    hotel); for another column of an entity (a record's key `stay.reference`, an app's
    `stay.site`), the one pack every catalogued field of that entity shares; else None (the
    profile, consent columns, anything outside the packs)."""
    spec_ = BY_KEY.get(column)
    if spec_ is not None:
        return spec_.industry
    entity, dot, _ = column.partition(".")
    if not dot:
        return None
    packs = {f.industry for f in FIELDS if f.entity == entity}
    return packs.pop() if len(packs) == 1 else None


CUSTOMER_FIELDS = tuple(f.code for f in fields_of("customer"))
INDEXED_CUSTOMER_FIELDS = tuple(f.code for f in fields_of("customer") if f.indexed)


@dataclass(frozen=True)
class PreferenceKey:
    code: str
    label_zh: str
    label_en: str
    industry: Industry | None
    choices: tuple[str, ...] = field(default_factory=tuple)


# Preference keys a profile may hold (the `preferences` object), by industry pack (R-A6).
PREFERENCE_KEYS: tuple[PreferenceKey, ...] = (
    PreferenceKey("language", "沟通语言", "Language", None, ("zh", "en", "ja", "ko", "fr", "de")),
    PreferenceKey("interests", "兴趣", "Interests", None),
    PreferenceKey(
        "contact_time", "联系时段", "Contact time", None, ("morning", "afternoon", "evening", "any")
    ),
    PreferenceKey("seat", "座位", "Seat", Industry.TRAVEL, ("window", "aisle", "any")),
    PreferenceKey(
        "meal",
        "餐食",
        "Meal",
        Industry.TRAVEL,
        ("standard", "vegetarian", "halal", "kosher", "no_pork", "diabetic"),
    ),
    PreferenceKey(
        "travel_style",
        "出行方式",
        "Travel style",
        Industry.TRAVEL,
        ("group", "independent", "family", "business", "luxury", "budget"),
    ),
    PreferenceKey("floor", "楼层", "Floor", Industry.HOTEL, ("low", "middle", "high", "any")),
    PreferenceKey(
        "pillow", "枕头", "Pillow", Industry.HOTEL, ("soft", "firm", "buckwheat", "hypoallergenic")
    ),
    PreferenceKey("smoking", "吸烟", "Smoking", Industry.HOTEL, ("non_smoking", "smoking")),
    PreferenceKey("dietary", "饮食", "Dietary", Industry.HOTEL),
    PreferenceKey(
        "delivery_window",
        "派送时段",
        "Delivery window",
        Industry.COURIER,
        ("weekday", "weekend", "evening", "any"),
    ),
    PreferenceKey("parcel_locker", "快递柜", "Parcel locker", Industry.COURIER, ("yes", "no")),
)
PREFERENCES_BY_CODE = {p.code: p for p in PREFERENCE_KEYS}

# Model columns that are not personal data (ids, keys, statuses, timestamps, lineage
# codes). The catalogue completeness test fails on any other column of a personal model.
NON_PERSONAL_COLUMNS: dict[str, frozenset[str]] = {
    "customer": frozenset(
        {"id", "created_at", "updated_at", "erased_at", "lineage", "primary_channel"}
    ),
    "payment_method": frozenset({"id", "customer", "token", "brand", "channel", "created_at"}),
    "booking": frozenset({"id", "customer", "reference", "channel", "created_at"}),
    "stay": frozenset({"id", "customer", "reference", "channel", "created_at"}),
    "shipment": frozenset({"id", "customer", "waybill_no", "status", "channel", "created_at"}),
}


@dataclass(frozen=True)
class LegalHold:
    """A statutory retention that survives erasure (R-F1, R-C5): after a customer is erased,
    only the listed non-personal columns of these records are kept, for the stated period.
    Every personal column is crypto-shredded regardless; erasure certificates list these."""

    entity: str
    keeps: tuple[str, ...]  # columns from NON_PERSONAL_COLUMNS[entity]
    basis_zh: str
    basis_en: str
    period_zh: str
    period_en: str


LEGAL_HOLDS: tuple[LegalHold, ...] = (
    LegalHold(
        "booking",
        ("reference", "channel", "created_at"),
        "《会计法》《会计档案管理办法》：发票与记账凭证须按法定期限保存（仅保留订单号与日期）",
        "Accounting Law and Accounting Archives Measures: invoices and vouchers are kept for "
        "the statutory period (booking reference and date only)",
        "30 年",
        "30 years",
    ),
    LegalHold(
        "stay",
        ("reference", "channel", "created_at"),
        "《会计法》及《旅馆业治安管理办法》：账单凭证按法定期限保存（仅保留入住单号与日期）",
        "Accounting Law and hotel public-security rules: folios are kept for the statutory "
        "period (stay reference and date only)",
        "30 年",
        "30 years",
    ),
    LegalHold(
        "shipment",
        ("waybill_no", "status", "channel", "created_at"),
        "《快递市场管理办法》：运单记录须保存（仅保留运单号与状态）",
        "Express Market Administration Measures: waybill records are kept (waybill number "
        "and status only)",
        "签收后 1 年",
        "1 year after delivery",
    ),
)
LEGAL_HOLDS_BY_ENTITY: dict[str, LegalHold] = {h.entity: h for h in LEGAL_HOLDS}


def register(
    specs: Iterable[FieldSpec],
    non_personal: Mapping[str, frozenset[str]],
    holds: Iterable[LegalHold] = (),
) -> None:
    """Add a domain app's entities to the catalogue (called by the participant contract,
    `baomi.contract.participants.register`, while apps load). The core profile and the
    industry packs above are the catalogue's own; every other app brings its fields here.
    A key declared twice is an error: one field, one declaration (R-A2)."""
    global FIELDS, LEGAL_HOLDS
    new = tuple(specs)
    dup = sorted({f.key for f in new} & set(BY_KEY)) or sorted(
        {f.key for f in new if [g.key for g in new].count(f.key) > 1}
    )
    if dup:
        raise ValueError(f"catalogue fields declared twice: {dup}")
    clash = sorted(set(non_personal) & set(NON_PERSONAL_COLUMNS))
    if clash:
        raise ValueError(f"catalogue entities declared twice: {clash}")
    FIELDS = (*FIELDS, *new)
    BY_KEY.update({f.key: f for f in new})
    NON_PERSONAL_COLUMNS.update(non_personal)
    LEGAL_HOLDS = (*LEGAL_HOLDS, *holds)
    LEGAL_HOLDS_BY_ENTITY.update({h.entity: h for h in holds})
