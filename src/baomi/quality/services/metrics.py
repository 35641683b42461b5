"""Data-quality metrics (issue #16 §1, R-K2, R-K3): completeness, validity, accuracy,
timeliness, uniqueness, consistency — per field and per channel, counts only.

Values are decrypted only in the gate's bulk path under `data_quality`
(`gate.process_customers`), and only for customers changed since their facts were
computed (incremental): the facts kept are bits (present, valid, consistent), never a
value. Accuracy and timeliness come from the lineage (basis and time of each value), which
is not personal. A run stores its counts (`MetricsRun`); the dashboard, the API and the
indicators read the latest run, so they answer in milliseconds.

Definitions (each a share of a count, in %):
  completeness  fields present / (customers × profile fields)
  validity      present values that pass the catalogue's validator today / present values
  accuracy      present values confirmed (rights request, customer, ID document) / present
  timeliness    present contact values (phone, e-mail, address) updated within their
                refresh period (2 years) / present contact values
  consistency   resident-ID holders whose gender and birth date agree with the ID number /
                resident-ID holders with both present
  uniqueness    customers in no open duplicate pair / customers
  compliance    customers whose profile has its required fields, only valid values, is
                consistent and is in no open duplicate pair / customers (target ≥ 95 %)
"""

from __future__ import annotations

import uuid
from collections import deque
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Exists, OuterRef

from baomi import audit
from baomi.access.services import require_role
from baomi.catalog import fields as catalog
from baomi.catalog import validators
from baomi.catalog.enums import Purpose, Role
from baomi.core import clock
from baomi.core.errors import ValidationFailed
from baomi.core.workers import offload, spare
from baomi.customers import gate
from baomi.customers.models import Customer
from baomi.customers.services import CONFIRMED_BASES
from baomi.customers.validation import clean_customer
from baomi.quality.enums import PairState, QualityAction
from baomi.quality.models import CustomerFacts, DuplicatePair, MetricsRun

P = Purpose.DATA_QUALITY
FIELDS = (
    "name",
    "phone",
    "email",
    "id_type",
    "id_number",
    "gender",
    "birth_date",
    "nationality",
    "address",
)
REFRESH_DAYS = {"phone": 730, "email": 730, "address": 730}
METRICS = (
    "completeness",
    "validity",
    "accuracy",
    "timeliness",
    "consistency",
    "uniqueness",
    "compliance",
)
REQUIRED = tuple(f for f in FIELDS if catalog.spec("customer", f).required)
CHUNK = 2000


def _facts(values: Mapping[str, Any]) -> tuple[int, int, bool | None]:
    present = valid = 0
    given = {k: v for k, v in values.items() if v not in (None, "")}
    bad: set[str] = set()
    try:
        # the keys are FIELDS (catalogued, checked here once), the values the gate's text
        clean_customer(given, partial=True, keys_checked=True)
    except ValidationFailed as exc:
        bad = {i.field for i in exc.issues}
    for i, f in enumerate(FIELDS):
        if f in given:
            present |= 1 << i
            if f not in bad:
                valid |= 1 << i
    consistent = None
    number, born, gender = given.get("id_number"), given.get("birth_date"), given.get("gender")
    if given.get("id_type") == "cn_resident_id" and number and len(number) == 18 and born:
        same_birth = number[6:14] == str(born).replace("-", "")
        same_gender = (
            gender is None
            or gender not in ("male", "female")
            or ((int(number[16]) % 2 == 1) == (gender == "male") if number[16].isdigit() else False)
        )
        consistent = same_birth and same_gender
    return present, valid, consistent


def _facts_of(
    values: Mapping[uuid.UUID, Mapping[str, Any]],
) -> list[tuple[uuid.UUID, int, int, bool | None]]:
    """One chunk's facts (pure: it may run in a worker process; only bits come back)."""
    return [(cid, *_facts(v)) for cid, v in values.items()]


def _write_facts(
    chunk: list[uuid.UUID], facts: list[tuple[uuid.UUID, int, int, bool | None]], now: datetime
) -> None:
    stamp = CustomerFacts._meta.get_field("computed_at").get_db_prep_save(now, connection)
    uid = CustomerFacts._meta.get_field("customer").target_field
    with transaction.atomic(), connection.cursor() as cur:
        CustomerFacts.objects.filter(customer_id__in=chunk).delete()
        cur.executemany(
            "INSERT INTO quality_customer_facts"
            " (customer_id, present, valid, consistent, computed_at) "
            "VALUES (%s, %s, %s, %s, %s)",
            [(uid.get_db_prep_save(c, connection), p, v, k, stamp) for c, p, v, k in facts],
        )


def refresh_facts(actor: Any, workers: int | None = None) -> int:
    """Facts of customers changed since their facts were computed (all, the first time).
    The gate opens each chunk in this process; the checks run in worker processes for
    large runs (`core.workers`), at most 2 chunks per worker in flight."""
    fresh = CustomerFacts.objects.filter(
        customer_id=OuterRef("pk"), computed_at__gte=OuterRef("updated_at")
    )
    stale = list(
        Customer.objects.filter(erased_at__isnull=True)
        .exclude(Exists(fresh))
        .values_list("id", flat=True)
    )
    now = clock.now()
    n_workers = spare(len(stale)) if workers is None else workers
    with offload(n_workers, preload=validators.preload) as submit:
        pending: deque[tuple[list[uuid.UUID], Any]] = deque()
        for n in range(0, len(stale), CHUNK):
            chunk = stale[n : n + CHUNK]
            result = gate.process_customers(
                actor, P, chunk, list(FIELDS), lambda values: submit(_facts_of, values)
            )
            pending.append((chunk, result))
            if len(pending) > 2 * max(n_workers, 0):
                done, res = pending.popleft()
                _write_facts(done, res.get(), now)
        while pending:
            done, res = pending.popleft()
            _write_facts(done, res.get(), now)
    return len(stale)


class _Tally:
    def __init__(self) -> None:
        self.c: dict[str, list[int]] = {m: [0, 0] for m in METRICS}

    def add(self, metric: str, ok: bool, n: int = 1) -> None:
        self.c[metric][1] += n
        if ok:
            self.c[metric][0] += n

    def as_dict(self) -> dict[str, dict[str, int]]:
        return {m: {"num": a, "den": b} for m, (a, b) in self.c.items() if b}


def _recent(at: str | None, days: int, now: datetime) -> bool:
    if not at:
        return False
    try:
        stamp = datetime.fromisoformat(at)
    except ValueError:
        return False
    return now - stamp <= timedelta(days=days)


def compute(actor: Any) -> MetricsRun:
    """Refresh the facts of changed customers, then count everything (audited)."""
    require_role(actor, Role.DATA_STEWARD)
    gate.check_purpose(actor, P)
    recomputed = refresh_facts(actor)
    now = clock.now()
    in_pair = set(
        DuplicatePair.objects.filter(state__in=(PairState.OPEN, PairState.DEFERRED))
        .values_list("left_id", "right_id")
        .distinct()
    )
    paired = {c for pair in in_pair for c in pair}
    total, by_field = _Tally(), {f: _Tally() for f in FIELDS}
    by_channel: dict[str, _Tally] = {}
    rows = (
        CustomerFacts.objects.filter(customer__erased_at__isnull=True)
        .values_list(
            "customer_id",
            "present",
            "valid",
            "consistent",
            "customer__lineage",
            "customer__primary_channel",
        )
        .iterator(chunk_size=5000)
    )
    customers = 0
    for cid, present, valid, consistent, lineage, primary in rows:
        customers += 1
        lineage = lineage or {}
        ch_tally = by_channel.setdefault(primary, _Tally())
        for i, f in enumerate(FIELDS):
            has = bool(present >> i & 1)
            line = lineage.get(f) or {}
            for t in (total, by_field[f], ch_tally):
                t.add("completeness", has)
            if not has:
                continue
            ok = bool(valid >> i & 1)
            confirmed = line.get("basis") in CONFIRMED_BASES
            for t in (total, by_field[f], ch_tally):
                t.add("validity", ok)
                t.add("accuracy", confirmed)
            if f in REFRESH_DAYS:
                timely = _recent(line.get("at"), REFRESH_DAYS[f], now)
                for t in (total, by_field[f], ch_tally):
                    t.add("timeliness", timely)
        if consistent is not None:
            for t in (total, ch_tally):
                t.add("consistency", bool(consistent))
        unique = cid not in paired
        required_ok = all(present >> FIELDS.index(f) & 1 for f in REQUIRED)
        compliant = unique and required_ok and valid == present and consistent is not False
        for t in (total, ch_tally):
            t.add("uniqueness", unique)
            t.add("compliance", compliant)
    with transaction.atomic():
        run = MetricsRun.objects.create(
            computed_at=now,
            customers=customers,
            recomputed=recomputed,
            totals=total.as_dict(),
            by_field={f: t.as_dict() for f, t in by_field.items()},
            by_channel={c: t.as_dict() for c, t in sorted(by_channel.items())},
            run_by=actor.username,
        )
        audit.record(
            QualityAction.METRICS_COMPUTED,
            actor,
            purpose=P,
            object_type="metrics_run",
            object_id=run.pk,
            detail={"customers": customers, "recomputed": recomputed},
        )
    return run


def share(cell: Mapping[str, int] | None) -> float | None:
    if not cell or not cell.get("den"):
        return None
    return round(100.0 * cell["num"] / cell["den"], 2)


def latest(before: datetime | None = None, after: datetime | None = None) -> MetricsRun | None:
    qs = MetricsRun.objects.all()
    if before is not None:
        qs = qs.filter(computed_at__lt=before)
    if after is not None:
        qs = qs.filter(computed_at__gte=after)
    return qs.order_by("-computed_at", "-pk").first()


def erase(customer_id: uuid.UUID) -> int:
    n, _ = CustomerFacts.objects.filter(customer_id=customer_id).delete()
    return n
