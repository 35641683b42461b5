"""Consent and notice state changes: publish a notice version, record consent decisions.

Every decision appends a `ConsentEvent` (never edited), moves the `ConsentState` projection
and writes its audit event in the same transaction. Entry points — API, console, portal,
import — all call `record` / `capture` / `capture_many`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from django.db import IntegrityError, connection, transaction
from django.db.models import Max

from baomi import audit
from baomi.access.policy import may_write
from baomi.audit.models import Action, Outcome
from baomi.audit.services import build, build_naming, record_many
from baomi.catalog.enums import Channel, Purpose
from baomi.core import clock
from baomi.core.errors import FieldIssue, Forbidden, Gone, NotFound, ValidationFailed
from baomi.core.sql import db_converter, db_value, insert_sql
from baomi.customers import gate
from baomi.customers import services as customer_services
from baomi.customers.models import Customer

from . import notice as notice_text
from .models import ConsentEvent, ConsentMethod, ConsentPurpose, ConsentState, PrivacyNotice

EVIDENCE_FORMAT = re.compile(r"^[A-Za-z0-9._:/-]{0,64}$")
# Django's `Choices.values` builds a new list on every access: bulk capture checks one
# method / evidence per imported row, so the code sets are computed once.
_CHANNELS = frozenset(Channel.values)
_METHODS = frozenset(ConsentMethod.values)


# -- the privacy notice ----------------------------------------------------------------
def current_notice() -> PrivacyNotice:
    """The version in force: the one whose digest matches the notice rendered from the
    catalogue deployed now. Published (version n+1, audited) the first time it is asked for."""
    content, digest = notice_text.rendered()
    row = PrivacyNotice.objects.filter(digest=digest).first()
    return row if row is not None else _publish(content, digest)


def _publish(content: dict[str, Any], digest: str) -> PrivacyNotice:
    try:
        with transaction.atomic():
            last = PrivacyNotice.objects.aggregate(v=Max("version"))["v"] or 0
            row = PrivacyNotice.objects.create(
                version=last + 1, digest=digest, published_at=clock.now(), content=content
            )
            audit.record(
                Action.NOTICE_PUBLISHED,
                None,
                object_type="privacy_notice",
                object_id=row.version,
                detail={"version": row.version, "digest": digest},
            )
            return row
    except IntegrityError:  # published by a concurrent request
        return PrivacyNotice.objects.get(digest=digest)


# -- consent decisions ---------------------------------------------------------------------
def _issue(field: str, code: str, en: str, zh: str) -> ValidationFailed:
    return ValidationFailed([FieldIssue(field, code, en, zh)])


def clean_purpose(value: object) -> ConsentPurpose:
    try:
        return ConsentPurpose(str(value))
    except ValueError:
        raise _issue(
            "purpose",
            "consent_purpose_unknown",
            f"purpose must be one of {', '.join(ConsentPurpose.values)}",
            "同意事项代码无效",
        ) from None


def how_issues(
    method: object, evidence: object, methods: Iterable[str] = _METHODS
) -> list[FieldIssue]:
    """What is wrong with a decision's method and evidence code (empty: nothing). Entry
    points check these before they write anything (console form, import rows); `methods`
    narrows the codes an entry point may use."""
    issues = []
    allowed = frozenset(methods)
    if str(method or "").strip().lower() not in allowed:
        issues.append(
            FieldIssue(
                "method",
                "consent_method_unknown",
                f"method must be one of {', '.join(sorted(allowed))}",
                "同意方式代码无效",
            )
        )
    if not EVIDENCE_FORMAT.match(str(evidence or "").strip()):
        issues.append(
            FieldIssue(
                "evidence",
                "evidence_format",
                "evidence is a reference code (letters, digits . _ : / -, at most 64)",
                "凭证编号只能包含字母、数字及 . _ : / -，最多 64 个字符",
            )
        )
    return issues


def _clean(channel: object, method: object, evidence: object) -> tuple[str, str, str]:
    issues = []
    ch = str(channel or "").strip().lower()
    if ch not in _CHANNELS:
        issues.append(FieldIssue("channel", "channel_unknown", "unknown channel", "渠道代码无效"))
    issues.extend(how_issues(method, evidence))
    if issues:
        raise ValidationFailed(issues)
    return ch, str(method).strip().lower(), str(evidence or "").strip()


def authorise(actor: Any, purpose: Purpose | str | None, customer_id: object) -> None:
    """Who may record a decision: the data subject for themself (portal), the system
    (import jobs), or staff whose role may change customer data under the purpose."""
    if isinstance(actor, gate.DataSubject):
        gate.check_purpose(actor, Purpose.RIGHTS_REQUEST, customer_id)
        return
    if actor is None or actor.role_code == "system":
        return
    p = gate.check_purpose(actor, purpose, customer_id)
    if not may_write(actor.role_code, p):
        audit.record(
            Action.ACCESS_DENIED,
            actor,
            purpose=p,
            object_type="consent",
            object_id=customer_id,
            outcome=Outcome.DENIED,
            detail={"reason": "write_not_allowed"},
        )
        raise Forbidden(f"role {actor.role_code} may not record consent", code="write_forbidden")


def _live_customer(customer_id: object) -> uuid.UUID:
    try:
        cid = uuid.UUID(str(customer_id))
    except ValueError:
        raise NotFound("no such customer") from None
    row = Customer.objects.filter(id=cid).values("erased_at").first()
    if row is None:
        raise NotFound("no such customer")
    if row["erased_at"] is not None:
        raise Gone("this customer's data has been erased")
    return cid


def _event(
    actor: Any,
    cid: uuid.UUID,
    purpose: ConsentPurpose,
    given: bool,
    ch: str,
    method: str,
    evidence: str,
    notice: PrivacyNotice,
) -> ConsentEvent:
    self_service = isinstance(actor, gate.DataSubject)
    staff_id = None if self_service or actor is None else actor.pk
    event = ConsentEvent(
        customer_id=cid,
        purpose=purpose.value,
        given=given,
        channel=ch,
        method=method,
        notice=notice,
        at=clock.now(),
        operator_id=staff_id,
        operator_role="" if actor is None else actor.role_code,
        self_service=self_service,
        evidence=evidence,
    )
    return event


@transaction.atomic
def record(
    actor: Any,
    customer_id: uuid.UUID | str,
    purpose: str,
    given: bool,
    *,
    channel: str,
    method: str,
    evidence: str = "",
    staff_purpose: Purpose | str | None = None,
) -> ConsentEvent:
    """Append one decision. `staff_purpose` is the processing purpose a staff member works
    under (X-Purpose / console); the data subject and the system need none."""
    cp = clean_purpose(purpose)
    ch, m, ev = _clean(channel, method, evidence)
    authorise(actor, staff_purpose, customer_id)
    cid = _live_customer(customer_id)
    notice = current_notice()
    event = _event(actor, cid, cp, bool(given), ch, m, ev, notice)
    event.save(force_insert=True)
    ConsentState.objects.update_or_create(
        customer_id=cid,
        purpose=cp.value,
        defaults={"given": event.given, "event": event, "at": event.at},
    )
    audit.record(
        Action.CONSENT_GIVEN if given else Action.CONSENT_WITHDRAWN,
        actor,
        purpose=str(staff_purpose or ""),
        object_type="customer",
        object_id=cid,
        detail={
            "consent": cp.value,
            "channel": ch,
            "method": m,
            "notice_version": notice.version,
            "self_service": event.self_service,
        },
    )
    return event


def give(actor: Any, customer_id: uuid.UUID | str, purpose: str, **kw: Any) -> ConsentEvent:
    return record(actor, customer_id, purpose, True, **kw)


def withdraw(actor: Any, customer_id: uuid.UUID | str, purpose: str, **kw: Any) -> ConsentEvent:
    return record(actor, customer_id, purpose, False, **kw)


def capture(
    actor: Any, customer_id: uuid.UUID | str, choices: Mapping[str, bool], **kw: Any
) -> list[ConsentEvent]:
    """Several decisions at once (a sign-up form's tick boxes, a counter form)."""
    with transaction.atomic():
        return [record(actor, customer_id, p, bool(g), **kw) for p, g in choices.items()]


def create_customer_with_consent(
    actor: Any,
    purpose: Purpose | str | None,
    data: Mapping[str, Any],
    choices: Mapping[str, bool] | None = None,
    *,
    method: str,
    channel: str | None = None,
    evidence: str = "",
) -> Customer:
    """A new customer and the consent decisions given at sign-up, in one transaction: a
    decision the ledger refuses leaves no customer behind (R-B3). The one way the API
    (`POST /customers` with `consent`) and the console's new-customer form create a
    customer with consents (issue #10 §1); the ledger depends on customers, not the
    reverse, so the composition lives here."""
    with transaction.atomic():
        customer = customer_services.create_customer(actor, purpose, data, channel=channel)
        if choices:
            capture(
                actor,
                customer.id,
                choices,
                channel=channel or customer.primary_channel,
                method=method,
                evidence=evidence,
                staff_purpose=purpose,
            )
    return customer


class Capture(NamedTuple):
    """One customer's decisions in a bulk capture; method / evidence "" = the batch's."""

    customer_id: uuid.UUID | str
    choices: Mapping[str, bool]
    method: str = ""
    evidence: str = ""


@transaction.atomic
def capture_many(
    actor: Any,
    items: Iterable[Capture | tuple[uuid.UUID | str, Mapping[str, bool]]],
    *,
    channel: str,
    method: str = ConsentMethod.IMPORT,
    evidence: str = "",
    staff_purpose: Purpose | str | None = None,
    per_batch: bool = False,
) -> int:
    """Bulk capture for imports (consent columns): a few statements for the whole batch,
    one audit event per customer. Each item may state its own method and evidence (a
    signed form number per row). Erased or unknown customers are skipped.

    `per_batch` (an import's batch, decision 0038): instead of one event per customer, at
    most two for the whole call — `consent.given` naming every customer with a decision
    given, `consent.withdrawn` naming the rest — each listing its customers' decisions in
    its `detail` (so its Merkle leaf commits to them) and indexed for each customer's
    history and access copy (`audit.build_naming`, as the import's own batch event)."""
    ch, m, ev = _clean(channel, method, evidence)
    how: dict[tuple[str, str], tuple[str, str]] = {("", ""): (m, ev)}
    wanted = []
    for item in items:
        cap = item if isinstance(item, Capture) else Capture(*item)
        key = (cap.method, cap.evidence)
        if key not in how:
            how[key] = _clean(ch, cap.method or m, cap.evidence or ev)[1:]
        choices = {clean_purpose(p): bool(g) for p, g in cap.choices.items()}
        cid = cap.customer_id
        wanted.append(
            (cid if isinstance(cid, uuid.UUID) else uuid.UUID(str(cid)), choices, how[key])
        )
    if not wanted:
        return 0
    if isinstance(actor, gate.DataSubject):
        raise Forbidden("bulk capture is for imports and staff", code="role_forbidden")
    authorise(actor, staff_purpose, "")
    live = _live_customers([c for c, _, _ in wanted])
    notice = current_notice()
    at = clock.now()
    operator_id = None if actor is None or actor.role_code == "system" else actor.pk
    role = "" if actor is None else actor.role_code
    decided: list[tuple[uuid.UUID, str, bool, str, str]] = [
        (cid, cp.value, given, em, eev)
        for cid, decisions, (em, eev) in wanted
        if cid in live
        for cp, given in decisions.items()
    ]
    before = _last_event_id()
    _write_events(decided, ch, notice, at, operator_id, role)
    _project(decided, notice, at, before)
    per_customer: dict[uuid.UUID, list[tuple[str, bool, str]]] = {}
    for cid, purpose, given, em, _ in decided:
        per_customer.setdefault(cid, []).append((purpose, given, em))
    if per_batch:
        record_many(_batch_events(actor, staff_purpose, ch, notice, per_customer))
        return len(decided)
    record_many(
        [
            build(
                Action.CONSENT_GIVEN if any(g for _, g, _ in ds) else Action.CONSENT_WITHDRAWN,
                actor,
                purpose=str(staff_purpose or ""),
                object_type="customer",
                object_id=cid,
                detail={
                    "decisions": sorted(f"{p}:{'given' if g else 'withdrawn'}" for p, g, _ in ds),
                    "channel": ch,
                    "method": ",".join(sorted({em for _, _, em in ds})),
                    "notice_version": notice.version,
                    "bulk": True,
                },
            )
            for cid, ds in per_customer.items()
        ]
    )
    return len(decided)


def _batch_events(
    actor: Any,
    staff_purpose: Any,
    ch: str,
    notice: PrivacyNotice,
    per_customer: Mapping[uuid.UUID, list[tuple[str, bool, str]]],
) -> list[Any]:
    """An import batch's consent decisions as ≤ 2 audit events (decision 0038): the
    customers grouped by (their decisions, methods) — the same facts the per-customer
    events held, purposes and codes only, never a value — under `consent.given` (any
    decision given, as the per-customer event's action) or `consent.withdrawn`."""
    groups: dict[Action, dict[tuple[tuple[str, ...], str], list[str]]] = {}
    for cid, ds in per_customer.items():
        action = Action.CONSENT_GIVEN if any(g for _, g, _ in ds) else Action.CONSENT_WITHDRAWN
        decisions = tuple(sorted(f"{p}:{'given' if g else 'withdrawn'}" for p, g, _ in ds))
        methods = ",".join(sorted({em for _, _, em in ds}))
        groups.setdefault(action, {}).setdefault((decisions, methods), []).append(str(cid))
    batch = uuid.uuid4()  # names the batch's (at most two) events
    return [
        build_naming(
            action,
            actor,
            [cid for ids in by.values() for cid in ids],
            purpose=str(staff_purpose or ""),
            object_type="consent_batch",
            object_id=batch,
            detail={
                "channel": ch,
                "notice_version": notice.version,
                "bulk": True,
                "customers": sum(len(ids) for ids in by.values()),
                "changes": [
                    {"decisions": list(ds), "method": meth, "customers": ids}
                    for (ds, meth), ids in by.items()
                ],
            },
        )
        for action, by in groups.items()
    ]


def _live_customers(cids: list[uuid.UUID]) -> set[uuid.UUID]:
    """Which of these customers exist and are not erased: one raw query per 500 ids (the
    ORM's `id__in` built and converted 500 parameters per query: docs/performance.md)."""
    to_db = db_converter(Customer, "id")
    qn = connection.ops.quote_name
    by_db = {to_db(c): c for c in cids}
    keys = list(by_db)
    live: set[uuid.UUID] = set()
    with connection.cursor() as cur:
        for n in range(0, len(keys), 500):
            part = keys[n : n + 500]
            cur.execute(
                f"SELECT {qn('id')} FROM {qn(Customer._meta.db_table)} "  # noqa: S608
                f"WHERE {qn('erased_at')} IS NULL AND {qn('id')} IN "
                f"({', '.join(['%s'] * len(part))})",
                part,
            )
            # ids come back as they were sent (hex text on SQLite, uuid on PostgreSQL)
            live.update(by_db[row[0]] for row in cur.fetchall())
    return live


def _last_event_id() -> int:
    """The highest consent event id now: the batch's own events get higher ones (ids come
    from a sequence / AUTOINCREMENT, never reused), so they are read back by id."""
    qn = connection.ops.quote_name
    with connection.cursor() as cur:
        cur.execute(f"SELECT MAX({qn('id')}) FROM {qn(ConsentEvent._meta.db_table)}")  # noqa: S608
        row = cur.fetchone()
    return int(row[0] or 0) if row else 0


_EVENT_COLS = (
    "customer",
    "purpose",
    "given",
    "method",
    "evidence",
    "channel",
    "notice",
    "at",
    "operator_id",
    "operator_role",
    "self_service",
)


def _write_events(
    decided: list[tuple[uuid.UUID, str, bool, str, str]],
    ch: str,
    notice: PrivacyNotice,
    at: Any,
    operator_id: int | None,
    role: str,
) -> None:
    """Append the batch's events with one prepared statement (`executemany`): the ORM's
    bulk_create built and compiled a model per decision (~250 us each, docs/performance.md).
    The values shared by the batch are converted for the database once."""
    shared = (
        ch,
        notice.pk,
        db_value(ConsentEvent, "at", at),
        operator_id,
        role,
        False,  # bulk capture is never self-service
    )
    to_db = db_converter(ConsentEvent, "customer")
    rows = [
        (to_db(cid), purpose, given, method, evidence, *shared)
        for cid, purpose, given, method, evidence in decided
    ]
    if rows:
        with connection.cursor() as cur:
            cur.executemany(insert_sql(ConsentEvent, _EVENT_COLS), rows)


def _project(
    decided: list[tuple[uuid.UUID, str, bool, str, str]],
    notice: PrivacyNotice,
    at: Any,
    after: int,
) -> None:
    """Move `consent_state` to the batch's latest decision per customer × purpose. The
    batch's events are the ones with ids above `after` and the batch's timestamp and
    notice (the highest id per customer × purpose is the latest: a later row of the same
    customer wins). Raw statements: the ORM's `id__in` queries cost ≈ 130 µs per
    imported row (docs/performance.md)."""
    latest: dict[tuple[uuid.UUID, str], bool] = {}
    for cid, purpose, given, _, _ in decided:
        latest[(cid, purpose)] = given
    if not latest:
        return
    to_db = db_converter(ConsentState, "customer")
    db_of = {cid: to_db(cid) for cid in dict.fromkeys(cid for cid, _ in latest)}
    by_db = {v: cid for cid, v in db_of.items()}  # ids come back in the form sent
    qn = connection.ops.quote_name
    ev_t, st_t = qn(ConsentEvent._meta.db_table), qn(ConsentState._meta.db_table)
    cust, purp = qn("customer_id"), qn("purpose")
    event_ids: dict[tuple[uuid.UUID, str], int] = {}
    existing: set[tuple[uuid.UUID, str]] = set()
    keys = list(by_db)
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT {cust}, {purp}, MAX({qn('id')}) FROM {ev_t} "  # noqa: S608
            f"WHERE {qn('id')} > %s AND {qn('at')} = %s AND {qn('notice_id')} = %s "
            f"GROUP BY {cust}, {purp}",
            [after, db_value(ConsentEvent, "at", at), notice.pk],
        )
        for c, purpose, last in cur.fetchall():
            mine = by_db.get(c)
            if mine is not None:
                event_ids[(mine, purpose)] = int(last)
        for n in range(0, len(keys), 500):
            part = keys[n : n + 500]
            cur.execute(
                f"SELECT {cust}, {purp} FROM {st_t} "  # noqa: S608
                f"WHERE {cust} IN ({', '.join(['%s'] * len(part))})",
                part,
            )
            existing.update((by_db[c], purpose) for c, purpose in cur.fetchall())
    when = db_value(ConsentState, "at", at)
    new, changed = [], []
    for (cid, purpose), given in latest.items():
        sid = db_of[cid]
        if (cid, purpose) in existing:
            changed.append((given, when, event_ids[(cid, purpose)], sid, purpose))
        else:
            new.append((sid, purpose, given, event_ids[(cid, purpose)], when))
    with connection.cursor() as cur:
        if new:
            cur.executemany(
                insert_sql(ConsentState, ("customer", "purpose", "given", "event", "at")), new
            )
        if changed:  # a re-import of known customers: their states move to this batch
            cur.executemany(
                f"UPDATE {st_t} SET {qn('given')} = %s, "  # noqa: S608
                f"{qn('at')} = %s, {qn('event_id')} = %s "
                f"WHERE {cust} = %s AND {purp} = %s",
                changed,
            )
