"""Customers REST API (INTERFACES.md). Thin: parse, call a service or the gate, shape."""

from __future__ import annotations

import json
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict

from baomi.api.auth import purpose_header
from baomi.consent import services as consent_services
from baomi.core import idempotency
from baomi.core.errors import BaomiError, FieldIssue, ValidationFailed
from baomi.operations.services import bookings as operations_bookings
from baomi.operations.services import stays as operations_stays

from . import gate, mrz, services

router = Router(tags=["customers"])


class CustomerIn(Schema):
    """Extra keys are passed on so the catalogue can refuse them by name (e.g. `cvv`)."""

    model_config = ConfigDict(extra="allow")
    name: str | None = None
    phone: str | None = None
    email: str | None = None
    id_type: str | None = None
    id_number: str | None = None
    gender: str | None = None
    birth_date: str | None = None
    nationality: str | None = None
    address: str | None = None
    preferences: dict[str, Any] | None = None
    channel: str | None = None
    payment_card: dict[str, Any] | None = None


class RecordOut(Schema):
    id: str
    meta: dict[str, str]
    fields: dict[str, Any]
    masked: list[str]
    withheld: list[str]
    # field code → reason, for fields withheld from this member of staff (decision 0030)
    withheld_reasons: dict[str, str] = {}


class CustomerOut(Schema):
    id: str
    name: str | None = None
    phone: str | None = None
    email: str | None = None
    id_type: str | None = None
    id_number: str | None = None
    gender: str | None = None
    birth_date: str | None = None
    nationality: str | None = None
    address: str | None = None
    preferences: dict[str, Any] | str | None = None
    channel: str
    purpose: str
    masked: list[str]
    withheld: list[str]
    # field code → reason, for fields withheld from this member of staff (decision 0030:
    # `training_required`); other withheld fields follow the role and purpose
    withheld_reasons: dict[str, str] = {}
    lineage: dict[str, Any]
    created_at: str
    updated_at: str
    bookings: list[RecordOut] | None = None
    stays: list[RecordOut] | None = None
    shipments: list[RecordOut] | None = None
    payment_methods: list[RecordOut] | None = None


class CustomerPage(Schema):
    items: list[CustomerOut]
    page: int
    page_size: int
    total: int


class SearchQuery(Schema):
    phone: str | None = None
    email: str | None = None
    id_number: str | None = None
    name: str | None = None
    page: int = 1


class RecordIn(Schema):
    model_config = ConfigDict(extra="allow")
    channel: str = "store"
    reference: str | None = None


def shape(view: gate.CustomerView) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": view.id,
        "channel": view.primary_channel,
        "purpose": view.purpose.value,
        "masked": view.masked,
        "withheld": view.withheld,
        "withheld_reasons": view.withheld_reasons,
        "lineage": {k: v for k, v in view.lineage.items() if k not in view.withheld},
        "created_at": view.created_at,
        "updated_at": view.updated_at,
    }
    for code, value in view.fields.items():
        if value is not None:
            out[code] = value
    plural = {
        "booking": "bookings",
        "stay": "stays",
        "shipment": "shipments",
        "payment_method": "payment_methods",
    }
    for entity, records in view.records.items():
        out[plural[entity]] = [
            {
                "id": r.id,
                "meta": r.meta,
                "masked": r.masked,
                "withheld": r.withheld,
                "withheld_reasons": r.withheld_reasons,
                "fields": {k: v for k, v in r.fields.items() if v is not None},
            }
            for r in records
        ]
    return out


def _actor(request: HttpRequest) -> Any:
    return request.staff  # type: ignore[attr-defined]


def raw_body(request: HttpRequest) -> dict[str, Any]:
    """The body exactly as sent. The schemas document the API, but ninja drops keys they do
    not declare; the services must see every key so that a `cvv` or an uncatalogued field
    is refused by name (R-B1, R-C4) instead of being silently ignored."""
    try:
        data = json.loads(request.body or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError):
        data = None
    if not isinstance(data, dict):
        raise ValidationFailed(
            [
                FieldIssue(
                    "body",
                    "body_not_object",
                    "the body must be a JSON object",
                    "请求体必须是 JSON 对象",
                )
            ]
        )
    return {k: v for k, v in data.items() if v is not None}


def _replay(request: HttpRequest, answer: idempotency.Answer, render: Any) -> Status[Any]:
    request.idempotent_replay = True  # type: ignore[attr-defined]
    return Status(answer.status, render(answer.object_id))


def _idempotent(
    request: HttpRequest, scope: str, write: Any, render: Any, target: str = ""
) -> Status[Any]:
    """Run `write()` (→ Answer, inside its transaction) at most once per Idempotency-Key;
    a retry with the key gets the first answer, rendered anew by `render(object_id)`."""
    key = idempotency.key_of(request, _actor(request), scope, target)
    first = idempotency.prior(key)
    if first is not None:
        return _replay(request, first, render)
    try:
        with transaction.atomic():
            answer: idempotency.Answer = write()
            idempotency.remember(key, answer)
    except BaomiError:
        # a concurrent request with the same key may have won (it made the customer this
        # one found as a duplicate): then its answer is this request's answer too
        won = idempotency.replayed(key)
        if won is not None:
            return _replay(request, won, render)
        raise
    return Status(answer.status, render(answer.object_id))


@router.post("", response={201: CustomerOut}, exclude_none=True)
def create_customer(request: HttpRequest, body: CustomerIn) -> Status[Any]:
    """Send `Idempotency-Key: <unique string>` to make a retry safe: the same key returns
    the first answer (201 and the same customer) instead of 409."""
    purpose = purpose_header(request)
    data = raw_body(request)
    consent = data.pop("consent", None)
    if consent is not None and not isinstance(consent, dict):
        raise ValidationFailed(
            [
                FieldIssue(
                    "consent",
                    "consent_object",
                    "consent must map purpose → true/false",
                    "同意项须为 用途 → true/false 的对象",
                )
            ]
        )

    def write() -> idempotency.Answer:
        c = consent_services.create_customer_with_consent(
            _actor(request), purpose, data, consent, method="api"
        )
        return idempotency.Answer(201, "customer", str(c.id))

    def render(cid: str) -> dict[str, Any]:
        return shape(gate.access_customer(_actor(request), purpose, cid))

    return _idempotent(request, "POST /customers", write, render)


def _search(request: HttpRequest, criteria: dict[str, Any], page: int) -> dict[str, Any]:
    result = services.search_customers(
        _actor(request), purpose_header(request), criteria, page=page
    )
    return {
        "items": [shape(v) for v in result.results],
        "page": result.page,
        "page_size": result.page_size,
        "total": result.total,
    }


@router.get(
    "",
    response=CustomerPage,
    exclude_none=True,
    deprecated=True,
    summary="Search customers (query string; prefer POST /customers/search)",
)
def search_customers(request: HttpRequest, q: Query[SearchQuery]) -> dict[str, Any]:
    """Kept for existing callers. The criteria travel in the URL, where proxies and
    browsers may keep them; baomi's own logs cut every query string. Use
    `POST /customers/search`."""
    return _search(request, q.model_dump(exclude={"page"}), q.page)


class SearchIn(Schema):
    """Exact-match criteria (any of them; all given must match) and the page (from 1)."""

    phone: str | None = None
    email: str | None = None
    id_number: str | None = None
    name: str | None = None
    page: int = 1


SEARCH_KEYS = frozenset(SearchIn.model_fields)


class MrzIn(Schema):
    mrz: str


@router.post("/mrz", response=dict[str, str], summary="Read a passport / card MRZ")
def read_mrz(request: HttpRequest, body: MrzIn) -> dict[str, str]:
    """Profile values from a machine-readable zone (check digits verified), for a form to
    validate as typed; nothing is stored (R-A5)."""
    return mrz.parse(body.mrz)


@router.post("/search", response=CustomerPage, exclude_none=True, summary="Search customers")
def search_customers_post(request: HttpRequest, body: SearchIn) -> dict[str, Any]:
    """The documented way to search: the criteria (personal values) travel in the body,
    never in a URL. Same answers as `GET /customers?…`; unknown keys are refused by name."""
    unknown = sorted(set(raw_body(request)) - SEARCH_KEYS)
    if unknown:
        raise ValidationFailed(
            [
                FieldIssue(k[:40], "field_unknown", "not a search criterion", "不是可用的查询条件")
                for k in unknown
            ]
        )
    return _search(request, body.model_dump(exclude={"page"}), body.page)


@router.get("/{customer_id}", response=CustomerOut, exclude_none=True)
def get_customer(request: HttpRequest, customer_id: str) -> dict[str, Any]:
    return shape(gate.access_customer(_actor(request), purpose_header(request), customer_id))


@router.patch("/{customer_id}", response=CustomerOut, exclude_none=True)
def patch_customer(request: HttpRequest, customer_id: str, body: CustomerIn) -> dict[str, Any]:
    purpose = purpose_header(request)
    data = raw_body(request)
    services.update_customer(_actor(request), purpose, customer_id, data)
    return shape(gate.access_customer(_actor(request), purpose, customer_id))


def _add(request: HttpRequest, customer_id: str, entity: str, body: RecordIn) -> Status[Any]:
    data = raw_body(request)
    channel = str(data.pop("channel", "store"))
    reference = data.pop("reference", None)

    def write() -> idempotency.Answer:
        obj = services.add_record(
            _actor(request),
            purpose_header(request),
            customer_id,
            entity,
            data,
            channel=channel,
            reference=reference,
        )
        return idempotency.Answer(201, entity, str(obj.pk))

    return _idempotent(
        request, f"POST /customers/{{id}}/{entity}", write, lambda i: {"id": i}, customer_id
    )


class CreatedOut(Schema):
    id: str


class BookingCreatedOut(Schema):
    id: str
    counter: str | None = None


@router.post("/{customer_id}/bookings", response={201: BookingCreatedOut}, exclude_none=True)
def add_booking(request: HttpRequest, customer_id: str, body: RecordIn) -> Status[Any]:
    """A booking; with `counter` (a travel counter's site code) it is recorded as taken
    there — the start date required, the caller posted there — so the counter's staff see
    it in full and it shows on the counter's list (`GET /bookings?counter=`). Without it
    the booking belongs to no counter (as before: masked to every counter)."""
    return _add_at_site(
        request, customer_id, body, "booking", "counter", operations_bookings.book_at_counter
    )


def _add_at_site(
    request: HttpRequest, customer_id: str, body: RecordIn, entity: str, key: str, book: Any
) -> Status[Any]:
    """A record with its site (`counter` for a booking, `property` for a stay): written by
    the operations service `book` (site checks, posting, the site's list), idempotent like
    every create; without the site key, the plain record."""
    data = raw_body(request)
    site = data.pop(key, None)
    if site in (None, ""):
        return _add(request, customer_id, entity, body)
    channel = str(data.pop("channel", "store"))
    reference = data.pop("reference", None)

    def write() -> idempotency.Answer:
        record = book(
            _actor(request),
            purpose_header(request),
            customer_id,
            str(site),
            data,
            channel=channel,
            reference=reference,
        )
        return idempotency.Answer(201, entity, str(record.pk))

    return _idempotent(
        request,
        f"POST /customers/{{id}}/{entity}",
        write,
        lambda i: {"id": i, key: str(site).strip().upper()},
        customer_id,
    )


class StayCreatedOut(Schema):
    id: str
    property: str | None = None


@router.post("/{customer_id}/stays", response={201: StayCreatedOut})
def add_stay(request: HttpRequest, customer_id: str, body: RecordIn) -> Status[Any]:
    """A stay; with `property` (a hotel's site code) it is recorded at that hotel, as the
    console does — dates required, the caller posted there — and shows on the hotel's
    board (`GET /stays?property=`). Without it the stay belongs to no hotel (a past stay
    on record)."""
    return _add_at_site(request, customer_id, body, "stay", "property", operations_stays.book_stay)


@router.post("/{customer_id}/shipments", response={201: CreatedOut})
def add_shipment(request: HttpRequest, customer_id: str, body: RecordIn) -> Status[Any]:
    return _add(request, customer_id, "shipment", body)


class CardIn(Schema):
    model_config = ConfigDict(extra="allow")
    number: str
    expiry: str
    holder: str | None = None


@router.post("/{customer_id}/payment-methods", response={201: CreatedOut})
def add_card(request: HttpRequest, customer_id: str, body: CardIn) -> Status[Any]:
    data = raw_body(request)

    def write() -> idempotency.Answer:
        pm = services.add_payment_card(_actor(request), purpose_header(request), customer_id, data)
        return idempotency.Answer(201, "payment_method", str(pm.pk))

    return _idempotent(
        request, "POST /customers/{id}/payment-methods", write, lambda i: {"id": i}, customer_id
    )
