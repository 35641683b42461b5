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
from baomi.audit.services import build, record_many
from baomi.catalog.enums import Channel, Purpose
from baomi.core import clock
from baomi.core.errors import FieldIssue, Forbidden, Gone, NotFound, ValidationFailed
from baomi.core.sql import db_value, insert_sql
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
) -> int:
    """Bulk capture for imports (consent columns): a few statements for the whole batch,
    one audit event per customer. Each item may state its own method and evidence (a
    signed form number per row). Erased or unknown customers are skipped."""
    ch, m, ev = _clean(channel, method, evidence)
    how: dict[tuple[str, str], tuple[str, str]] = {("", ""): (m, ev)}
    wanted = []
    for item in items:
        cap = item if isinstance(item, Capture) else Capture(*item)
        key = (cap.method, cap.evidence)
        if key not in how:
            how[key] = _clean(ch, cap.method or m, cap.evidence or ev)[1:]
        choices = {clean_purpose(p): bool(g) for p, g in cap.choices.items()}
        wanted.append((uuid.UUID(str(cap.customer_id)), choices, how[key]))
    if not wanted:
        return 0
    if isinstance(actor, gate.DataSubject):
        raise Forbidden("bulk capture is for imports and staff", code="role_forbidden")
    authorise(actor, staff_purpose, "")
    live = set(
        Customer.objects.filter(
            id__in=[c for c, _, _ in wanted], erased_at__isnull=True
        ).values_list("id", flat=True)
    )
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
    _write_events(decided, ch, notice, at, operator_id, role)
    _project(decided, notice, at)
    per_customer: dict[uuid.UUID, list[tuple[str, bool, str]]] = {}
    for cid, purpose, given, em, _ in decided:
        per_customer.setdefault(cid, []).append((purpose, given, em))
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
    rows = [
        (db_value(ConsentEvent, "customer", cid), purpose, given, method, evidence, *shared)
        for cid, purpose, given, method, evidence in decided
    ]
    if rows:
        with connection.cursor() as cur:
            cur.executemany(insert_sql(ConsentEvent, _EVENT_COLS), rows)


def _project(
    decided: list[tuple[uuid.UUID, str, bool, str, str]], notice: PrivacyNotice, at: Any
) -> None:
    """Move `consent_state` to the batch's latest decision per customer × purpose. The new
    events share one timestamp and notice, so their ids are read back by those (the
    highest id per customer × purpose is the latest: a later row of the same customer
    wins)."""
    latest: dict[tuple[uuid.UUID, str], bool] = {}
    for cid, purpose, given, _, _ in decided:
        latest[(cid, purpose)] = given
    cids = sorted({cid for cid, _ in latest})
    event_ids: dict[tuple[uuid.UUID, str], int] = {}
    existing: set[tuple[uuid.UUID, str]] = set()
    for n in range(0, len(cids), 500):
        part = cids[n : n + 500]
        for row in (
            ConsentEvent.objects.filter(at=at, notice=notice, customer_id__in=part)
            .values("customer_id", "purpose")
            .annotate(last=Max("id"))
        ):
            event_ids[(row["customer_id"], row["purpose"])] = row["last"]
        existing.update(
            ConsentState.objects.filter(customer_id__in=part).values_list("customer_id", "purpose")
        )
    when = db_value(ConsentState, "at", at)
    new, changed = [], []
    for (cid, purpose), given in latest.items():
        sid = db_value(ConsentState, "customer", cid)
        if (cid, purpose) in existing:
            changed.append((given, when, event_ids[(cid, purpose)], sid, purpose))
        else:
            new.append((sid, purpose, given, event_ids[(cid, purpose)], when))
    qn = connection.ops.quote_name
    with connection.cursor() as cur:
        if new:
            cur.executemany(
                insert_sql(ConsentState, ("customer", "purpose", "given", "event", "at")), new
            )
        if changed:  # a re-import of known customers: their states move to this batch
            cur.executemany(
                f"UPDATE {qn(ConsentState._meta.db_table)} SET {qn('given')} = %s, "  # noqa: S608
                f"{qn('at')} = %s, {qn('event_id')} = %s "
                f"WHERE {qn('customer_id')} = %s AND {qn('purpose')} = %s",
                changed,
            )
