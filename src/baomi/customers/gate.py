"""The access gate (DESIGN.md §3 rule 1): the one place personal values are decrypted.

`access_customer(actor, purpose, customer_id)` checks role × purpose, decides per field
plain / masked / withheld (baomi.access.policy), decrypts only the fields allowed, masks,
appends the audit event — in that order, every time — and returns a view object.
No view, API handler, export, report or job reads SealedField columns any other way; the
test `tests/test_gate_is_the_only_reader.py` fails if code outside this module opens them.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Model

from baomi import audit
from baomi.access.models import BreakGlassGrant
from baomi.access.policy import decide, emergency_treatment, may_use
from baomi.access.policy import view as policy_view
from baomi.audit.models import Action, Outcome
from baomi.audit.services import build, build_naming, record_committed, record_many
from baomi.catalog import fields as catalog
from baomi.catalog import validators
from baomi.catalog.enums import Purpose, Treatment
from baomi.catalog.fields import FieldSpec
from baomi.catalog.inference import COUPLINGS, SettledView, settle
from baomi.contract import participants
from baomi.core import clock
from baomi.core.errors import Forbidden, Gone, NotFound, PurposeMissing, PurposeUnknown
from baomi.core.sql import Loader, col, db_value, in_marks, statement, uuid_param
from baomi.vault import services as vault
from baomi.vault.crypto import SubjectKey

from .models import ENTITY_MODELS, Booking, Customer, PaymentMethod, Shipment, Stay

RECORD_MODELS: dict[str, type[Model]] = {
    "booking": Booking,
    "stay": Stay,
    "shipment": Shipment,
    "payment_method": PaymentMethod,
}
RECORD_META = {
    "booking": ("reference",),
    "stay": ("reference",),
    "shipment": ("waybill_no", "status"),
    "payment_method": ("token", "brand"),
}


@dataclass
class RecordView:
    entity: str
    id: str
    meta: dict[str, str]
    fields: dict[str, Any]
    masked: list[str] = field(default_factory=list)
    withheld: list[str] = field(default_factory=list)
    customer_id: str = ""
    opened: list[str] = field(default_factory=list)  # shown in full by a record opener
    # field code → why the actor may not see it at all (a staff withholder, decision 0030)
    withheld_reasons: dict[str, str] = field(default_factory=dict)


@dataclass
class CustomerView:
    id: str
    purpose: Purpose
    fields: dict[str, Any]
    masked: list[str]
    withheld: list[str]
    lineage: dict[str, Any]
    primary_channel: str
    created_at: str
    updated_at: str
    records: dict[str, list[RecordView]] = field(default_factory=dict)
    break_glass: bool = False  # read under an emergency grant (flagged for the auditor)
    # field code → why the actor may not see it at all (a staff withholder, decision 0030)
    withheld_reasons: dict[str, str] = field(default_factory=dict)

    def treatment(self, code: str) -> Treatment:
        if code in self.withheld:
            return Treatment.WITHHELD
        return Treatment.MASKED if code in self.masked else Treatment.PLAIN


@dataclass(frozen=True)
class DataSubject:
    """The customer themself, signed in to the self-service portal with a one-time code
    (issue #5). The gate lets this actor read that one customer, in full, under
    `rights_request` and nothing else; audit events carry the role code, no name."""

    customer_id: uuid.UUID
    pk: None = None
    username: str = "data_subject"
    role_code: str = "data_subject"


def _deny(actor: Any, p: Purpose, customer_id: object, reason: str, message: str) -> Forbidden:
    audit.record_refusal(  # logged even when the caller's transaction rolls back
        Action.ACCESS_DENIED,
        actor,
        purpose=p,
        object_type="customer",
        object_id=customer_id,
        outcome=Outcome.DENIED,
        detail={"reason": reason},
    )
    return Forbidden(message, code=reason)


# -- read grants (participant contract, decision 0009): a domain may open a purpose the
# role's policy does not give, for named customers and fields, for a time (a lawful
# request's approved scope). The gate names no domain: it asks every registered grant.
def _holds_grant(actor: Any, purpose: Purpose) -> bool:
    return any(g.holds(actor, purpose) for g in participants.grants())


def _granted(actor: Any, purpose: Purpose, ids: list[uuid.UUID]) -> dict[uuid.UUID, Any]:
    out: dict[uuid.UUID, Any] = {}
    for g in participants.grants():
        for cid, scope in g.grants(actor, purpose, ids).items():
            out.setdefault(cid, scope)
    return out


# -- staff withholders (participant contract, decision 0030): a domain may withhold whole
# field classes from a member of staff (not trained: `training_required`). Asked once per
# read for the actor, never per customer; the gate names no domain.
def _staff_withheld(actor: Any) -> dict[str, str]:
    """Field class code → reason code, for this actor now (empty for the data subject)."""
    if isinstance(actor, DataSubject) or getattr(actor, "pk", None) is None:
        return {}
    out: dict[str, str] = {}
    for w in participants.staff_withholders():
        for klass in w.withholds(actor):
            out.setdefault(str(klass.value if hasattr(klass, "value") else klass), w.code)
    return out


def parse_purpose(value: str | None) -> Purpose:
    if not value:
        raise PurposeMissing("send the X-Purpose header (or choose a purpose in the console)")
    try:
        return Purpose(value.strip())
    except ValueError:
        raise PurposeUnknown(f"unknown purpose code {value[:40]!r}") from None


def check_purpose(actor: Any, purpose: Purpose | str | None, customer_id: object = "") -> Purpose:
    """Parse the purpose and refuse (audited) when the actor's role may not use it."""
    p = purpose if isinstance(purpose, Purpose) else parse_purpose(purpose)
    if isinstance(actor, DataSubject):  # only themself, only under rights_request
        if p is not Purpose.RIGHTS_REQUEST:
            raise _deny(
                actor,
                p,
                customer_id,
                "subject_purpose",
                "the portal reads under rights_request only",
            )
        if customer_id and str(customer_id) != str(actor.customer_id):
            raise _deny(
                actor, p, customer_id, "subject_scope", "a data subject reads only their own data"
            )
        return p
    if not may_use(actor.role_code, p) and not _holds_grant(actor, p):
        audit.record_refusal(
            Action.ACCESS_DENIED,
            actor,
            purpose=p,
            object_type="customer",
            object_id=customer_id,
            outcome=Outcome.DENIED,
            detail={"reason": "purpose_not_allowed_for_role"},
        )
        raise Forbidden(
            f"role {actor.role_code} may not use purpose {p.value}", code="purpose_forbidden"
        )
    return p


def _open(key: SubjectKey, table: str, code: str, blob: Any, row_id: object = None) -> Any:
    if blob is None:
        return None
    value = key.open(table, code, bytes(blob), row_id)
    return json.loads(value) if code == "preferences" else value


def _present(
    role: str,
    purpose: Purpose,
    entity: str,
    key: SubjectKey,
    obj: Model,
    row_id: object,
    emergency: bool = False,
    force: Treatment | None = None,
    only: frozenset[str] | None = None,
    opened: frozenset[str] = frozenset(),
    staff: Mapping[str, str] | None = None,
    reasons: dict[str, str] | None = None,
    memo: dict[tuple[bool, str], Treatment] | None = None,
) -> tuple[dict[str, Any], list[str], list[str], dict[str, str]]:
    """`staff`: field class → reason from the staff withholders (tighten only); the
    reason of each field it withholds is written into `reasons`. `memo`: the policy's
    decisions already taken in this read (role and purpose are the same for every
    customer of one read; nothing is kept beyond it)."""
    values: dict[str, Any] = {}
    masked: list[str] = []
    withheld: list[str] = []
    treatments: dict[str, str] = {}
    settled = policy_view(role, purpose)  # masks decided per view, not per field
    memo = {} if memo is None else memo
    decided: list[tuple[FieldSpec, Treatment]] = []
    opened_here: set[str] = set()  # field keys a record opener turned plain
    for spec in catalog.fields_of(entity):
        if force is None and only is not None:  # a grant: its fields plain, nothing else
            t = Treatment.PLAIN if spec.key in only else Treatment.WITHHELD
        elif force is not None:
            t = force
        else:
            got = memo.get((emergency, spec.key))
            if got is None:
                got = memo[emergency, spec.key] = (emergency_treatment if emergency else decide)(
                    role, purpose, spec
                )
            t = got
        if t is Treatment.MASKED and force is None and spec.code in opened:
            t = Treatment.PLAIN  # a record opener: the actor's duty covers this record
            opened_here.add(spec.key)
        if staff and force is None and t is not Treatment.WITHHELD:
            why = staff.get(spec.klass.value)
            if why is not None:  # a staff withholder: this actor may not see the class
                t = Treatment.WITHHELD
                opened_here.discard(spec.key)
                if reasons is not None:
                    reasons[spec.code] = why
        decided.append((spec, t))
    if opened_here and opened_here & _COUPLED:
        decided = _resettle(settled, decided, opened_here)
    for spec, t in decided:
        treatments[spec.code] = t.value
        blob = getattr(obj, spec.code)
        if t is Treatment.WITHHELD:
            withheld.append(spec.code)
            continue
        value = _open(key, entity, spec.code, blob, row_id)  # decrypt only what is allowed
        if t is Treatment.MASKED and value is not None:
            text = value if isinstance(value, str) else json.dumps(value)
            value = spec.mask(text)
            for refine in settled.refinements.get(spec.key, ()):
                value = refine(value, text)
            masked.append(spec.code)
        elif t is Treatment.MASKED:
            masked.append(spec.code)
        values[spec.code] = value
    return values, masked, withheld, treatments


_LOADERS: dict[str, Loader] = {}


def _loader(model: type[Model]) -> Loader:
    name = model._meta.label
    if name not in _LOADERS:
        _LOADERS[name] = Loader(model)
    return _LOADERS[name]


def _record_rows(
    ids: Sequence[uuid.UUID], entities: Iterable[str] | None = None
) -> dict[str, dict[uuid.UUID, list[Any]]]:
    """entity → customer id → its records, newest first: one prepared statement per record
    table for the whole page (decision 0040), model instances built without the ORM's
    query compiler. `entities`: only these tables (the others are known to be empty)."""
    from django.db import connection

    conv = uuid_param()
    wanted = set(RECORD_MODELS if entities is None else entities)
    out: dict[str, dict[uuid.UUID, list[Any]]] = {e: {} for e in RECORD_MODELS}
    for entity, model in RECORD_MODELS.items():
        if entity not in wanted:
            continue
        ld = _loader(model)

        def build(model: Any = model, ld: Loader = ld) -> str:
            qn = connection.ops.quote_name
            return (  # names from the model; values are parameters
                f"SELECT {ld.columns('r')} FROM {qn(model._meta.db_table)} r "  # noqa: S608
                f"WHERE r.{col(model, 'customer')} IN ({in_marks(len(ids))}) "
                f"ORDER BY r.{col(model, 'created_at')} DESC"
            )

        sql = statement(("records", entity, len(ids)), build)
        got = out[entity]
        with connection.cursor() as cur:
            cur.execute(sql, [conv(i) for i in ids])
            for raw in cur.fetchall():
                obj = ld.load(raw)
                got.setdefault(obj.customer_id, []).append(obj)
    return out


def _records(
    actor: Any,
    purpose: Purpose,
    key: SubjectKey,
    customer_id: uuid.UUID,
    emergency: bool = False,
    force: Treatment | None = None,
    only: frozenset[str] | None = None,
    staff: Mapping[str, str] | None = None,
    rows: Mapping[str, Mapping[uuid.UUID, list[Any]]] | None = None,
    page_opened: Mapping[str, Mapping[Any, frozenset[str]]] | None = None,
    memo: dict[tuple[bool, str], Treatment] | None = None,
) -> tuple[dict[str, list[RecordView]], dict[str, int]]:
    """`page_opened`: the record openers' answers for the whole page (entity → record pk
    → fields), asked once per page; without it, asked here for this customer."""
    rows = rows if rows is not None else _record_rows([customer_id])
    out: dict[str, list[RecordView]] = {}
    counts: dict[str, int] = {}
    for entity in RECORD_MODELS:
        views = []
        objs = rows[entity].get(customer_id, [])
        opened: Mapping[Any, frozenset[str]] = {}
        if force is None and not only:
            opened = (
                page_opened.get(entity, {})
                if page_opened is not None
                else _opened(actor, purpose, entity, objs)
            )
        for obj in objs:
            views.append(
                _record_view(
                    actor,
                    purpose,
                    entity,
                    key,
                    obj,
                    emergency,
                    force,
                    only,
                    opened.get(obj.pk),
                    staff,
                    memo,
                )
            )
        out[entity] = views
        counts[entity] = len(views)
    return out, counts


def _record_view(
    actor: Any,
    purpose: Purpose,
    entity: str,
    key: SubjectKey,
    obj: Any,
    emergency: bool = False,
    force: Treatment | None = None,
    only: frozenset[str] | None = None,
    opened: frozenset[str] | None = None,
    staff: Mapping[str, str] | None = None,
    memo: dict[tuple[bool, str], Treatment] | None = None,
) -> RecordView:
    reasons: dict[str, str] = {}
    values, masked, withheld, _ = _present(
        actor.role_code,
        purpose,
        entity,
        key,
        obj,
        obj.pk,
        emergency,
        force,
        only,
        opened or frozenset(),
        staff,
        reasons,
        memo,
    )
    meta = {m: str(getattr(obj, m)) for m in RECORD_META[entity]}
    meta["channel"] = obj.channel
    meta["created_at"] = obj.created_at.isoformat()
    shown = sorted((opened or frozenset()) - set(masked) - set(withheld))
    return RecordView(
        entity, str(obj.pk), meta, values, masked, withheld, str(obj.customer_id), shown, reasons
    )


def _coupled() -> frozenset[str]:

    return frozenset(k for c in COUPLINGS for k in (c.source, c.target))


_COUPLED = _coupled()


def _resettle(
    settled: SettledView,
    decided: list[tuple[FieldSpec, Treatment]],
    opened: set[str],
) -> list[tuple[FieldSpec, Treatment]]:
    """A record opener turned coupled fields plain (a travel counter's own booking: its
    product *and* destination): the view is settled again with this record's treatments,
    and an opened field stays plain only if nothing it carries is still hidden — the
    product opens with the destination, never alone (catalog.inference, decision 0041 §7).
    Settling only tightens, so the fields no opener touched keep their treatment."""
    base = dict(settled.treatments)
    base.update({spec.key: t for spec, t in decided})
    again = settle(base).treatments
    return [(spec, again.get(spec.key, t) if spec.key in opened else t) for spec, t in decided]


def _opened(
    actor: Any, purpose: Purpose, entity: str, objs: Sequence[Any]
) -> dict[Any, frozenset[str]]:
    """Record pk → masked fields a registered record opener shows in full to this actor
    (participant contract, decisions 0025, 0041). A field a catalogue coupling ties to
    another is opened only where the view, settled again with it plain, keeps it plain
    (`_resettle`): opening it must not undo a mask elsewhere in the view."""
    if not objs or isinstance(actor, DataSubject):
        return {}
    out: dict[Any, frozenset[str]] = {}
    for opener in participants.openers(entity):
        for pk, codes in opener.opens(actor, purpose, objs).items():
            out[pk] = out.get(pk, frozenset()) | frozenset(codes)
    return out


def access_records(
    actor: Any,
    purpose: Purpose | str | None,
    entity: str,
    record_ids: Sequence[Any],
) -> list[RecordView]:
    """Named records (a stay, a parcel) without the rest of their customer's profile: what
    a front desk's arrivals list or a courier's parcel needs, and no more. The same
    decisions as the 360 read (role × purpose, closers, record openers), one audit event
    per record (object type = entity, detail.customer), committed before values leave.
    Records of erased or closed customers come back with every field withheld."""
    p = check_purpose(actor, purpose)
    model = RECORD_MODELS.get(entity)
    if model is None:
        raise NotFound("no such record type")
    if isinstance(actor, DataSubject) or not may_use(actor.role_code, p):
        raise _deny(actor, p, "", "purpose_not_allowed_for_role", "records need a role purpose")
    objs = list(model.objects.filter(pk__in=list(record_ids)))  # type: ignore[attr-defined]
    order = {str(r): n for n, r in enumerate(record_ids)}
    objs.sort(key=lambda o: order.get(str(o.pk), 0))
    cids = list({o.customer_id for o in objs})
    live = set(
        Customer.objects.filter(id__in=cids, erased_at__isnull=True).values_list("id", flat=True)
    )
    keys = vault.subject_keys(list(live))
    closed = _closed(p, cids)
    opened = _opened(actor, p, entity, objs)
    staff = _staff_withheld(actor)
    views: list[RecordView] = []
    events = []

    for obj in objs:
        key = keys.get(str(obj.customer_id))
        shut = obj.customer_id not in live or key is None or obj.customer_id in closed
        if shut:
            views.append(
                RecordView(
                    entity,
                    str(obj.pk),
                    {m: str(getattr(obj, m)) for m in RECORD_META[entity]},
                    {},
                    [],
                    [s.code for s in catalog.fields_of(entity)],
                    str(obj.customer_id),
                )
            )
            continue
        assert key is not None
        view = _record_view(actor, p, entity, key, obj, opened=opened.get(obj.pk), staff=staff)
        views.append(view)
        treatments = {
            s.code: (
                Treatment.WITHHELD.value
                if s.code in view.withheld
                else Treatment.MASKED.value
                if s.code in view.masked
                else Treatment.PLAIN.value
            )
            for s in catalog.fields_of(entity)
        }
        detail: dict[str, Any] = {"customer": str(obj.customer_id)}
        if view.opened:
            detail["opened"] = view.opened
        if view.withheld_reasons:
            detail["withheld_reasons"] = view.withheld_reasons
        events.append(
            build(
                Action.CUSTOMER_READ,
                actor,
                purpose=p,
                object_type=entity,
                object_id=obj.pk,
                fields=treatments,
                detail=detail,
            )
        )
    record_committed(events)
    return views


@dataclass
class _Loaded:
    """What one read needs of its customers, from one statement (`_load`)."""

    rows: dict[uuid.UUID, Any]  # the customer's columns as attributes (`Loader.plain`)
    keys: dict[uuid.UUID, SubjectKey]
    grants: dict[uuid.UUID, int]  # active break-glass grant of the actor → grant id
    closing: dict[uuid.UUID, list[Any]]  # the read closers that close each customer
    with_records: set[str] = field(default_factory=set)  # record tables with rows (related)


_CUSTOMER = Loader(Customer)


def _load_statement(
    with_actor: bool, purpose: Purpose, related: bool, n: int
) -> tuple[str, list[Any], list[Any], list[Any]]:
    """(SQL, the closers answered in it, their parameters, the closers asked by call) —
    built once per shape: `ReadCloser.sql` is a function of the purpose alone."""
    from django.db import connection

    closers = participants.closers()

    def build() -> tuple[str, list[Any], list[Any], list[Any]]:
        qn = connection.ops.quote_name
        cid_col = f"c.{qn('id')}"
        key_cols, key_join = vault.key_join("k", cid_col)
        select = [_CUSTOMER.columns("c"), key_cols]
        if with_actor:
            g = BreakGlassGrant
            select.append(  # names from the model; values are parameters
                f"(SELECT MAX(g.{col(g, 'id')}) FROM {qn(g._meta.db_table)} g "  # noqa: S608
                f"WHERE g.{col(g, 'customer_id')} = {cid_col} AND g.{col(g, 'staff')} = %s "
                f"AND g.{col(g, 'purpose')} = %s AND g.{col(g, 'expires_at')} > %s)"
            )
        else:
            select.append("NULL")
        if related:  # which record tables hold anything for these customers
            for model in RECORD_MODELS.values():
                select.append(  # names from the model
                    f"CASE WHEN EXISTS (SELECT 1 FROM {qn(model._meta.db_table)} r "  # noqa: S608
                    f"WHERE r.{col(model, 'customer')} = {cid_col}) THEN 1 ELSE 0 END"
                )
        in_sql: list[Any] = []
        params: list[Any] = []
        by_call: list[Any] = []
        for closer in closers:
            got = closer.sql(purpose) if closer.sql is not None else None
            if closer.sql is None:
                by_call.append(closer)
            elif got is not None:
                expr, ps = got
                select.append(f"CASE WHEN {expr.replace('{id}', cid_col)} THEN 1 ELSE 0 END")
                params += list(ps)
                in_sql.append(closer)
        sql = (  # names from the models; values are parameters
            f"SELECT {', '.join(select)} FROM {qn(Customer._meta.db_table)} c "  # noqa: S608
            f"{key_join} WHERE {cid_col} IN ({in_marks(n)})"
        )
        return sql, in_sql, params, by_call

    key = ("load", with_actor, purpose, related, n, tuple(id(c) for c in closers))
    got: tuple[str, list[Any], list[Any], list[Any]] = statement(key, build)
    return got


def _load(actor: Any, purpose: Purpose, ids: list[uuid.UUID], related: bool = False) -> _Loaded:
    """The customers, their wrapped data keys, the actor's active break-glass grants and
    every read closer's answer in one prepared statement (decision 0040) — instead of a
    customer query, a key query, a grant query and one query per closer; with `related`,
    also which record tables hold rows for them (the others are not queried). A closer
    without `sql` is asked through `closes` as before. Keys are unwrapped for live
    customers only."""
    from django.db import connection

    with_actor = getattr(actor, "pk", None) is not None
    sql, in_sql, closer_params, by_call = _load_statement(with_actor, purpose, related, len(ids))
    conv = uuid_param()
    params: list[Any] = []
    if with_actor:
        now = db_value(BreakGlassGrant, "expires_at", clock.now())
        params += [actor.pk, str(purpose.value), now]
    params += closer_params
    params += [conv(i) for i in ids]
    width = _CUSTOMER.width
    entities = list(RECORD_MODELS) if related else []
    first_closer = width + 5 + len(entities)
    loaded = _Loaded({}, {}, {}, {})
    with connection.cursor() as cur:
        cur.execute(sql, params)
        fetched = cur.fetchall()
    for raw in fetched:
        row = _CUSTOMER.plain(raw)
        cid = row.id
        loaded.rows[cid] = row
        if row.erased_at is None:
            key = vault.key_of(cid, raw[width : width + 4])
            if key is not None:
                loaded.keys[cid] = key
        grant = raw[width + 4]
        if grant is not None:
            loaded.grants[cid] = int(grant)
        for entity, flag in zip(entities, raw[width + 5 : first_closer], strict=True):
            if flag:
                loaded.with_records.add(entity)
        flags = raw[first_closer:]
        loaded.closing[cid] = [c for c, f in zip(in_sql, flags, strict=True) if f]
    for closer in by_call:
        for cid in closer.closes(purpose, ids):
            loaded.closing.setdefault(cid, []).append(closer)
    return loaded


def _reasons_closed(loaded: _Loaded) -> dict[uuid.UUID, str]:
    """Customer → why it is closed: when several closers close one customer, a closer
    that refuses single reads (a restriction) gives the reason (as `_closed`)."""
    out: dict[uuid.UUID, str] = {}
    for cid, closers in loaded.closing.items():
        for closer in sorted(closers, key=lambda c: c.refuse_single):
            out[cid] = closer.code
    return out


def access_customers(
    actor: Any,
    purpose: Purpose | str | None,
    customer_ids: Sequence[uuid.UUID | str],
    *,
    related: bool = False,
) -> list[CustomerView]:
    """The bulk gate: one policy decision per field, one audit event per customer read."""
    p = check_purpose(actor, purpose)
    ids = [uuid.UUID(str(c)) for c in customer_ids]
    subject = isinstance(actor, DataSubject)
    if subject and any(cid != actor.customer_id for cid in ids):
        raise _deny(actor, p, "", "subject_scope", "a data subject reads only their own data")
    if not ids:
        return []
    return _read(actor, p, ids, _load(actor, p, ids, related), related)


def _read(
    actor: Any, p: Purpose, ids: list[uuid.UUID], loaded: _Loaded, related: bool
) -> list[CustomerView]:
    subject = isinstance(actor, DataSubject)
    rows, keys, grants = loaded.rows, loaded.keys, loaded.grants
    closed = _reasons_closed(loaded)  # restricted, or no consent for a consent-bound purpose
    by_grant = not subject and not may_use(actor.role_code, p)
    granted = _granted(actor, p, ids) if by_grant else {}
    if by_grant:  # read only by a grant: everyone outside it is closed
        closed.update({cid: "no_grant" for cid in ids if cid not in granted})
    staff = _staff_withheld(actor)
    live = [cid for cid in ids if cid in keys and rows[cid].erased_at is None]
    record_rows = _record_rows(live, loaded.with_records) if related and live else None
    page_opened: dict[str, dict[Any, frozenset[str]]] = {}
    if record_rows is not None:  # the record openers, asked once per page and record type
        open_to = [  # customers whose records keep the role's treatment (not closed / granted)
            cid for cid in live if cid not in closed and not subject and cid not in granted
        ]
        for entity in loaded.with_records:
            objs = [o for cid in open_to for o in record_rows[entity].get(cid, [])]
            page_opened[entity] = _opened(actor, p, entity, objs)
    views: list[CustomerView] = []
    events = []
    memo: dict[tuple[bool, str], Treatment] = {}  # the policy's decisions, for this read
    for cid in ids:
        row = rows.get(cid)
        if row is None:
            continue
        key = keys.get(cid)
        if row.erased_at is not None or key is None:
            continue
        grant = grants.get(cid)
        force = Treatment.WITHHELD if cid in closed else Treatment.PLAIN if subject else None
        scope = granted.get(cid)
        only = frozenset(scope.fields) if scope is not None else None
        reasons: dict[str, str] = {}
        values, masked, withheld, treatments = _present(
            actor.role_code,
            p,
            "customer",
            key,
            row,
            None,
            grant is not None,
            force,
            only,
            staff=staff,
            reasons=reasons,
            memo=memo,
        )
        records: dict[str, list[RecordView]] = {}
        counts: dict[str, int] = {}
        if record_rows is not None:
            records, counts = _records(
                actor,
                p,
                key,
                cid,
                grant is not None,
                force,
                only,
                staff,
                record_rows,
                page_opened,
                memo,
            )
        for rec in (r for rs in records.values() for r in rs):
            for code, why in rec.withheld_reasons.items():
                reasons.setdefault(f"{rec.entity}.{code}", why)
        views.append(
            CustomerView(
                id=str(cid),
                purpose=p,
                fields=values,
                masked=masked,
                withheld=withheld,
                lineage=row.lineage,
                primary_channel=row.primary_channel,
                created_at=row.created_at.isoformat(),
                updated_at=row.updated_at.isoformat(),
                records=records,
                break_glass=grant is not None,
                withheld_reasons={k: v for k, v in reasons.items() if "." not in k},
            )
        )
        events.append(
            audit_build(
                actor,
                p,
                cid,
                treatments,
                counts,
                grant,
                closed.get(cid),
                scope and scope.ref,
                reasons,
            )
        )
    record_committed(events)  # logged (committed) before the data leaves the server
    return views


def audit_build(
    actor: Any,
    purpose: Purpose,
    cid: uuid.UUID,
    treatments: dict[str, str],
    counts: dict[str, int],
    grant: int | None = None,
    closed: str | None = None,
    scope: str | None = None,
    reasons: Mapping[str, str] | None = None,
) -> Any:
    detail: dict[str, Any] = {}
    if reasons:  # fields a staff withholder kept from this actor, and why (decision 0030)
        detail["withheld_reasons"] = dict(reasons)
    if scope:
        detail["grant"] = scope
    if counts:
        detail["records"] = counts
    if grant is not None:
        detail["break_glass"] = grant
    if closed:
        detail["withheld_because"] = closed
    return build(
        Action.CUSTOMER_READ,
        actor,
        purpose=purpose,
        object_type="customer",
        object_id=cid,
        fields=treatments,
        detail=detail or None,
    )


def _closed(purpose: Purpose, ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Customers whose every field is withheld for this read, and why: each registered
    read closer (participant contract — a missing consent for a consent-bound purpose, a
    restriction of processing, ...) answers for the whole batch in one query. The gate
    names no domain. When several close one customer, a closer that refuses single reads
    (a restriction) gives the reason."""
    if not ids:
        return {}
    out: dict[uuid.UUID, str] = {}
    for closer in sorted(participants.closers(), key=lambda c: c.refuse_single):
        for cid in closer.closes(purpose, ids):
            out[cid] = closer.code
    return out


def access_customer(
    actor: Any,
    purpose: Purpose | str | None,
    customer_id: uuid.UUID | str,
    *,
    related: bool = True,
) -> CustomerView:
    p = check_purpose(actor, purpose, customer_id)
    try:
        cid = uuid.UUID(str(customer_id))
    except ValueError:
        raise NotFound("no such customer") from None
    loaded = _load(actor, p, [cid], related)
    row = loaded.rows.get(cid)
    if row is None:
        raise NotFound("no such customer")
    if row.erased_at is not None:
        raise Gone("this customer's data has been erased")
    by_grant = not isinstance(actor, DataSubject) and not may_use(actor.role_code, p)
    if by_grant and cid not in _granted(actor, p, [cid]):
        raise _deny(actor, p, cid, "outside_grant", "this customer is outside your grant")
    closing = {c.code for c in loaded.closing.get(cid, [])}
    for closer in participants.closers():
        if closer.refuse_single and closer.code in closing:
            raise _deny(actor, p, cid, closer.refusal_code, closer.refusal_message)
    views = _read(actor, p, [cid], loaded, related)
    if not views:
        raise Gone("this customer's data has been erased")
    return views[0]


def open_attached(
    actor: Any,
    purpose: Purpose | str | None,
    customer_id: uuid.UUID | str,
    table: str,
    blobs: dict[str, Any],
    row_id: object,
) -> dict[str, Any]:
    """Personal text kept outside the profile but sealed under the customer's data key (a
    rights request's free text or proposed corrections): opened here like a field — purpose
    check, erasure check, decrypt, audit — so erasure shreds it with the rest."""
    return open_attached_many(actor, purpose, customer_id, [(table, row_id, blobs)])[0]


def open_attached_many(
    actor: Any,
    purpose: Purpose | str | None,
    customer_id: uuid.UUID | str,
    rows: Sequence[tuple[str, object, Mapping[str, Any]]],
) -> list[dict[str, Any]]:
    """`open_attached` for several rows of one customer in one call — a rights request and
    its history, or the list of a customer's requests (portal, access copy): one purpose
    check, one erasure check, one key fetch, then one audit event per row (object type
    = table, object id = row), appended together before the values are returned.

    `rows` are `(table, row_id, {code: blob})`; the answer is `{code: plaintext}` per row,
    in the same order. Gone once the customer is erased (the texts went with the key)."""
    p = check_purpose(actor, purpose, customer_id)
    cid = uuid.UUID(str(customer_id))
    if not rows:
        return []
    erased = Customer.objects.filter(id=cid).values_list("erased_at", flat=True).first()
    key = None if erased is not None else vault.subject_keys([cid]).get(str(cid))
    if key is None:
        raise Gone("this customer's data has been erased")
    out = [
        {code: _open(key, table, code, blob, row_id) for code, blob in blobs.items()}
        for table, row_id, blobs in rows
    ]
    record_many(
        [
            build(
                Action.CUSTOMER_READ,
                actor,
                purpose=p,
                object_type=table,
                object_id=row_id,
                fields={code: Treatment.PLAIN.value for code in blobs},
                detail={"customer": str(cid)},
            )
            for table, row_id, blobs in rows
        ]
    )
    return out


def open_case_texts(
    actor: Any,
    kind: str,
    roles: Iterable[str],
    rows: Sequence[tuple[object, str, object, Mapping[str, Any]]],
) -> list[dict[str, str | None]]:
    """Staff-written text about a case (whistle-blowing report, incident summary, ticket
    without a customer), sealed under the case's own key (`vault.seal_case`): opened here
    for the roles the domain names, one audit event per case, before the text is returned.

    `rows` are `(case id, table, row id, {code: blob})`; the answer is `{code: text}` per
    row in the same order; a text whose case key was destroyed (retention) is None."""
    allowed = {str(r) for r in roles}
    role = str(getattr(actor, "role_code", ""))
    if role not in allowed:
        audit.record_refusal(
            Action.ACCESS_DENIED,
            actor,
            object_type=kind,
            object_id=str(rows[0][0]) if rows else "",
            outcome=Outcome.DENIED,
            detail={"reason": "case_text_role"},
        )
        raise Forbidden(f"role {role} may not read these texts", code="case_text_role")
    if not rows:
        return []
    subjects = {str(case): vault.case_subject(kind, case) for case, _, _, _ in rows}
    keys = vault.subject_keys(subjects.values())
    out: list[dict[str, str | None]] = []
    opened: dict[str, set[str]] = {}
    for case, table, row_id, blobs in rows:
        key = keys.get(str(subjects[str(case)]))
        texts: dict[str, str | None] = {}
        for code, blob in blobs.items():
            if blob is None:
                texts[code] = ""
            elif key is None:
                texts[code] = None
            else:
                texts[code] = key.open(table, code, bytes(blob), row_id)
                opened.setdefault(str(case), set()).add(f"{table}.{code}")
        out.append(texts)
    if opened:
        record_many(
            [
                build(
                    Action.CASE_TEXT_READ,
                    actor,
                    object_type=kind,
                    object_id=case,
                    fields={c: Treatment.PLAIN.value for c in sorted(codes)},
                )
                for case, codes in opened.items()
            ]
        )
    return out


# -- exact matching for search and de-duplication (values never leave this module) -------
def _comparable(code: str, value: str) -> str:
    return validators.name_key(value) if code == "name" else value


def match_exact(criteria: dict[str, str], candidate_ids: Iterable[uuid.UUID]) -> list[uuid.UUID]:
    """Of the blind-index candidates, those whose decrypted fields equal every criterion.

    `criteria` maps field code → normalised value. Only the criteria fields are opened,
    and only to compare; nothing is returned but ids. The candidates' rows and their
    wrapped data keys come in one prepared statement (decision 0040)."""
    from django.db import connection

    ids = list(dict.fromkeys(candidate_ids))
    if not ids:
        return []
    wanted = {k: _comparable(k, v) for k, v in criteria.items()}
    ld = _match_loader(tuple(sorted(wanted)))
    conv = uuid_param()

    def build() -> str:
        qn = connection.ops.quote_name
        cid_col = f"c.{qn('id')}"
        key_cols, key_join = vault.key_join("k", cid_col)
        return (  # names from the models; values are parameters
            f"SELECT {ld.columns('c')}, {key_cols} FROM {qn(Customer._meta.db_table)} c "  # noqa: S608
            f"{key_join} WHERE {cid_col} IN ({in_marks(len(ids))}) AND c.{qn('erased_at')} IS NULL"
        )

    sql = statement(("match", tuple(sorted(wanted)), len(ids)), build)
    with connection.cursor() as cur:
        cur.execute(sql, [conv(i) for i in ids])
        fetched = cur.fetchall()
    hits = []
    for raw in fetched:
        row = ld.load(raw)
        key = vault.key_of(row.id, raw[ld.width : ld.width + 4])
        if key is None:
            continue
        ok = True
        for code, expected in wanted.items():
            blob = getattr(row, code)
            if (
                blob is None
                or _comparable(code, key.open("customer", code, bytes(blob))) != expected
            ):
                ok = False
                break
        if ok:
            hits.append(row.id)
    return hits


def _match_loader(codes: tuple[str, ...]) -> Loader:
    name = "match:" + ",".join(codes)
    if name not in _LOADERS:
        _LOADERS[name] = Loader(Customer, ["id", *codes])
    return _LOADERS[name]


def match_exact_many(
    queries: Sequence[tuple[dict[str, str], Iterable[uuid.UUID]]],
) -> list[list[uuid.UUID]]:
    """`match_exact` for many (criteria, candidates) pairs at once (bulk import de-dup):
    one row fetch and one key fetch per 500 candidates instead of two queries per pair.
    Same rule and same privacy: values are opened only to compare, only ids come back."""
    qs = [(c, list(dict.fromkeys(ids))) for c, ids in queries]
    all_ids = list(dict.fromkeys(i for _, ids in qs for i in ids))
    codes = sorted({k for c, _ in qs for k in c})
    rows: dict[uuid.UUID, tuple[Any, ...]] = {}
    keys: dict[str, SubjectKey] = {}
    for n in range(0, len(all_ids), 500):
        chunk = all_ids[n : n + 500]
        for r in Customer.objects.filter(id__in=chunk, erased_at__isnull=True).values_list(
            "id", *codes
        ):
            rows[r[0]] = r[1:]
        keys.update(vault.subject_keys(chunk))
    opened: dict[tuple[uuid.UUID, str], str | None] = {}

    def value(cid: uuid.UUID, code: str) -> str | None:
        if (cid, code) not in opened:
            blob = rows[cid][codes.index(code)]
            key = keys.get(str(cid))
            opened[cid, code] = (
                None
                if blob is None or key is None
                else _comparable(code, key.open("customer", code, bytes(blob)))
            )
        return opened[cid, code]

    out = []
    for criteria, ids in qs:
        wanted = {k: _comparable(k, v) for k, v in criteria.items()}
        out.append(
            [
                cid
                for cid in ids
                if cid in rows and all(value(cid, k) == v for k, v in wanted.items())
            ]
        )
    return out


def stored_id_type(customer: Customer) -> str | None:
    """The stored id_type, for validating a new id_number against it (never displayed)."""
    if customer.id_type is None:
        return None
    key = vault.subject_key(customer.id)
    return key.open("customer", "id_type", bytes(customer.id_type))


# -- bulk processing for data quality (issue #16): values in memory, only answers leave ----
BULK_PURPOSES = frozenset({Purpose.DATA_QUALITY})
_BULK_CHUNK = 500


def process_customers(
    actor: Any,
    purpose: Purpose | str | None,
    customer_ids: Sequence[uuid.UUID | str],
    codes: Sequence[str],
    fn: Any,
) -> Any:
    """Decrypt `codes` of many customers in memory and hand them to `fn(values)` —
    `{customer id: {code: plaintext or None}}` — returning only what `fn` answers (scores,
    counts, blocking buckets: never the values). For matching and quality metrics under
    `data_quality` only. Erased customers are left out, and so are customers closed for
    the purpose (a restriction of processing). One audit event per 500 customers read
    (`customer.read`, `detail.bulk` = how many, `detail.ids`), appended before `fn` runs."""
    p = check_purpose(actor, purpose)
    if p not in BULK_PURPOSES:
        raise _deny(actor, p, "", "bulk_purpose", "bulk processing is for data_quality only")
    wanted = [c for c in codes if c in catalog.CUSTOMER_FIELDS]
    ids = list(dict.fromkeys(uuid.UUID(str(c)) for c in customer_ids))
    values: dict[uuid.UUID, dict[str, Any]] = {}
    events = []

    for n in range(0, len(ids), _BULK_CHUNK):
        chunk = ids[n : n + _BULK_CHUNK]
        closed = _closed(p, chunk)
        rows = Customer.objects.filter(id__in=chunk, erased_at__isnull=True).values_list(
            "id", *wanted
        )
        keys = vault.subject_keys(chunk)
        read = []
        for row in rows:
            cid = row[0]
            key = keys.get(str(cid))
            if key is None or cid in closed:
                continue
            values[cid] = {
                code: _open(key, "customer", code, blob)
                for code, blob in zip(wanted, row[1:], strict=True)
            }
            read.append(str(cid))
        if read:
            events.append(
                build(
                    Action.CUSTOMER_READ,
                    actor,
                    purpose=p,
                    object_type="customer",
                    fields={c: "processed" for c in wanted},
                    detail={"bulk": len(read), "ids": read},
                )
            )

    record_committed(events)
    return fn(values)


# -- bulk analysis for insights (issue #18, decision 0036): aggregates only ------------
ANALYSIS_PURPOSES = frozenset({Purpose.MARKETING})
ANALYSIS_ENTITIES = ("booking", "stay", "shipment")


def process_records(
    actor: Any,
    purpose: Purpose | str | None,
    customer_ids: Sequence[uuid.UUID | str],
    codes: Mapping[str, Sequence[str]],
    fn: Any,
) -> Any:
    """Insights (issue #18): decrypt, in memory, the `codes` of each customer's records
    (`{"customer": [...], "booking": [...], "stay": [...], "shipment": [...]}`) and hand
    them to `fn(values)` — `{customer id: {"customer": {code: value}, entity: [{"id",
    "created_at", code: value, ...}]}}` — returning only what `fn` answers (pseudonymous
    scores, counts: never the values). Under `marketing` only, by a role that may use it;
    only fields the catalogue collects for the purpose (purpose limitation: other codes are
    refused). Erased customers and customers closed for the purpose (no marketing consent,
    a restriction, merged away) are left out. One audit event per 500 customers read
    (`customer.read`, `detail.bulk` = how many, `detail.via: insights`, `detail.ids`),
    appended before `fn` runs, as `process_customers`."""
    p = check_purpose(actor, purpose)
    if p not in ANALYSIS_PURPOSES:
        raise _deny(actor, p, "", "bulk_purpose", "bulk analysis is for marketing only")
    wanted: dict[str, list[str]] = {}
    for entity, entity_codes in codes.items():
        if entity != "customer" and entity not in ANALYSIS_ENTITIES:
            raise _deny(actor, p, "", "bulk_field", "not a record type for analysis")
        for code in entity_codes:
            spec = catalog.BY_KEY.get(f"{entity}.{code}")
            if spec is None or p not in spec.purposes:
                raise _deny(actor, p, "", "bulk_field", "a field not collected for the purpose")
        wanted[entity] = list(dict.fromkeys(entity_codes))
    ids = list(dict.fromkeys(uuid.UUID(str(c)) for c in customer_ids))
    values: dict[uuid.UUID, dict[str, Any]] = {}
    events = []
    for n in range(0, len(ids), _BULK_CHUNK):
        chunk = ids[n : n + _BULK_CHUNK]
        closed = _closed(p, chunk)
        own = wanted.get("customer", [])
        rows = Customer.objects.filter(id__in=chunk, erased_at__isnull=True).values_list("id", *own)
        keys = vault.subject_keys(chunk)
        read: dict[uuid.UUID, SubjectKey] = {}
        for row in rows:
            cid = row[0]
            key = keys.get(str(cid))
            if key is None or cid in closed:
                continue
            read[cid] = key
            values[cid] = {
                "customer": {
                    code: _open(key, "customer", code, blob)
                    for code, blob in zip(own, row[1:], strict=True)
                }
            }
            for entity in ANALYSIS_ENTITIES:
                values[cid][entity] = []
        for entity in ANALYSIS_ENTITIES:
            if not read:
                break
            ecodes = wanted.get(entity, [])
            model = RECORD_MODELS[entity]
            for rec in model.objects.filter(customer_id__in=list(read)).values_list(  # type: ignore[attr-defined]
                "id", "customer_id", "created_at", *ecodes
            ):
                rid, cid, created = rec[0], rec[1], rec[2]
                item: dict[str, Any] = {"id": rid, "created_at": created}
                for code, blob in zip(ecodes, rec[3:], strict=True):
                    item[code] = _open(read[cid], entity, code, blob, rid)
                values[cid][entity].append(item)
        if read:
            fields = {f"{e}.{c}": "processed" for e, cs in wanted.items() for c in cs}
            events.append(
                build_naming(
                    Action.CUSTOMER_READ,
                    actor,
                    list(read),
                    purpose=p,
                    object_type="customer",
                    fields=fields,
                    detail={"bulk": len(read), "via": "insights", "ids": [str(c) for c in read]},
                )
            )
    record_committed(events)
    return fn(values)


def expired_records(
    actor: Any, entity: str, record_ids: Sequence[uuid.UUID], code: str, cutoff: date
) -> set[uuid.UUID]:
    """Retention (R-C8): which of these records ended before `cutoff` by their own sealed
    date `code` (a stay's check-out, a trip's end) — decrypted in memory here, compared,
    and only the ids come back. A record without a readable date counts as ended (the
    caller only asks about records created before the cutoff). Only the system (the
    `baomi retention` job) and the privacy officer ask. One audit event per 500 records
    read (`customer.read` under `data_quality`, `detail.via: retention`)."""
    role = str(getattr(actor, "role_code", ""))
    if role not in ("system", "privacy_officer"):
        raise Forbidden("retention reads are for the retention job", code="retention_only")
    model = ENTITY_MODELS[entity]
    out: set[uuid.UUID] = set()
    events = []
    for n in range(0, len(record_ids), _BULK_CHUNK):
        chunk = list(record_ids[n : n + _BULK_CHUNK])
        rows = list(
            model._default_manager.filter(id__in=chunk).values_list("id", "customer_id", code)
        )
        keys = vault.subject_keys({cid for _, cid, _ in rows})
        read: list[str] = []
        for rid, cid, blob in rows:
            key = keys.get(str(cid))
            if key is None:
                continue  # erased: its columns were cleared with it
            text = _open(key, entity, code, blob, rid) if blob is not None else None
            read.append(str(cid))
            try:
                ended = date.fromisoformat(str(text)[:10]) if text else None
            except ValueError:
                ended = None
            if ended is None or ended < cutoff:
                out.add(rid)
        if read:
            events.append(
                build(
                    Action.CUSTOMER_READ,
                    actor,
                    purpose=Purpose.DATA_QUALITY,
                    object_type=entity,
                    fields={code: "processed"},
                    detail={"bulk": len(read), "via": "retention", "ids": sorted(set(read))},
                )
            )
    record_committed(events)
    return out


def merge_values(
    actor: Any, purpose: Purpose | str | None, customer_id: uuid.UUID | str, codes: Sequence[str]
) -> dict[str, Any]:
    """The values of `codes` of one customer, for a merge that copies them onto another
    customer (sealed there again by `customers.services.merge_into`): purpose checked,
    audited as a read under the purpose. Never displayed."""
    p = check_purpose(actor, purpose, customer_id)
    cid = uuid.UUID(str(customer_id))
    out: dict[str, Any] = process_customers(actor, p, [cid], codes, lambda v: v.get(cid))
    if out is None:
        raise Gone("this customer's data has been erased or is closed for this purpose")
    return out


def compare_stored(
    queries: Sequence[tuple[uuid.UUID, Mapping[str, str]]],
) -> list[dict[str, str]]:
    """For each (stored customer, a row's normalised values): per field `same`, `differs`
    or `empty` (nothing stored). The survivorship policy of an import merge decides on
    this (issue #16); values are opened only to compare, only these words come back."""
    ids = list(dict.fromkeys(cid for cid, _ in queries))
    codes = sorted({k for _, v in queries for k in v if k in catalog.CUSTOMER_FIELDS})
    rows: dict[uuid.UUID, tuple[Any, ...]] = {}
    keys: dict[str, SubjectKey] = {}
    for n in range(0, len(ids), 500):
        chunk = ids[n : n + 500]
        for r in Customer.objects.filter(id__in=chunk, erased_at__isnull=True).values_list(
            "id", *codes
        ):
            rows[r[0]] = r[1:]
        keys.update(vault.subject_keys(chunk))
    out: list[dict[str, str]] = []
    for cid, values in queries:
        row, key = rows.get(cid), keys.get(str(cid))
        verdict: dict[str, str] = {}
        for code, incoming in values.items():
            if code not in codes:
                continue
            blob = row[codes.index(code)] if row is not None else None
            if blob is None or key is None:
                verdict[code] = "empty"
                continue
            stored = _open(key, "customer", code, blob)
            if code == "preferences":
                same = stored == (json.loads(incoming) if isinstance(incoming, str) else incoming)
            else:
                same = _comparable(code, str(stored)) == _comparable(code, str(incoming))
            verdict[code] = "same" if same else "differs"
        out.append(verdict)
    return out
