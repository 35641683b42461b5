"""Monitoring rules over the audit event stream (R-E2, R-E3): what counts as suspicious.
Split out of `audit.monitoring` (issue #10 §2): rules here, alerts in `audit.alerts`,
notifiers in `audit.notifiers`; `audit.monitoring.evaluate` runs them after each append.

More rules: subclass `Rule` and `register(MyRule())` (e.g. from an app's `ready()`).
"""

from __future__ import annotations

import fnmatch
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from django.db import connection

from baomi.core import clock

from . import canonical, conf
from .models import AuditEvent, Outcome, Severity

log = logging.getLogger("baomi.audit")
READ_ACTIONS = ("customer.read",)
SIGN_IN_ACTIONS = ("auth.login", "auth.token_issued")
NON_HUMAN_ROLES = frozenset({"system", "data_subject", ""})


@dataclass
class Finding:
    rule: str
    severity: str
    dedupe_key: str
    summary: str
    actor_id: int | None = None
    actor_username: str = ""
    first_seq: int | None = None
    detail: dict[str, Any] = field(default_factory=dict)


class Rule(Protocol):
    code: str

    def evaluate(self, batch: Batch) -> Iterable[Finding]: ...


def _human(ev: AuditEvent) -> bool:
    return ev.actor_id is not None and ev.actor_role not in NON_HUMAN_ROLES


def _customer_access(ev: AuditEvent) -> bool:
    return ev.object_type == "customer" or ev.action.startswith("customer.")


def _matches(action: str, patterns: Iterable[str]) -> bool:
    return any(fnmatch.fnmatchcase(action, p) for p in patterns)


def _time_param(at: datetime) -> Any:
    return canonical.time_text(at) if connection.vendor == "sqlite" else at


class Batch:
    """The events of one append, with shared helpers for the rules."""

    def __init__(self, events: list[AuditEvent]) -> None:
        self.events = [e for e in events if not e.action.startswith("alert.")]
        self.now = max((e.at for e in self.events), default=clock.now())
        self.by_actor: dict[int, list[AuditEvent]] = defaultdict(list)
        for e in self.events:
            if _human(e):
                self.by_actor[int(e.actor_id)].append(e)  # type: ignore[arg-type]

    def count(
        self,
        where: str,
        params: list[Any],
        since: datetime,
        cap: int,
        distinct: str | None = None,
    ) -> tuple[int, int]:
        """(rows, distinct values) of events matching `where` since `since`, at most `cap`."""
        inner = "object_id" if distinct is None else distinct
        sql = (
            f"SELECT COUNT(*), COUNT(DISTINCT v) FROM (SELECT {inner} AS v FROM audit_event "  # noqa: S608
            f"WHERE {where} AND at >= %s LIMIT %s) t"
        )
        with connection.cursor() as cur:
            cur.execute(sql, [*params, _time_param(since), cap])
            n, d = cur.fetchone()
        return int(n), int(d)

    def count_distinct(self, where: str, params: list[Any], since: datetime, cap: int) -> int:
        """Distinct object ids of matching events since `since`, counted up to `cap`."""
        sql = (
            "SELECT COUNT(*) FROM (SELECT DISTINCT object_id FROM audit_event "  # noqa: S608
            f"WHERE {where} AND at >= %s LIMIT %s) t"
        )
        with connection.cursor() as cur:
            cur.execute(sql, [*params, _time_param(since), cap])
            return int(cur.fetchone()[0])


# -- the rules --
class WatchedActionRule:
    code = "watched_action"

    def evaluate(self, batch: Batch) -> Iterable[Finding]:
        table: dict[str, str] = dict(conf.get("BAOMI_AUDIT_ALERT_ACTIONS"))
        if not table:
            return
        for ev in batch.events:
            for pattern, severity in table.items():
                if fnmatch.fnmatchcase(ev.action, pattern):
                    yield Finding(
                        self.code,
                        severity,
                        f"{self.code}:{ev.seq}",
                        f"{ev.action} by {ev.actor_username or 'system'}",
                        ev.actor_id,
                        ev.actor_username,
                        ev.seq,
                        {"action": ev.action, "object_type": ev.object_type},
                    )
                    break


class DeactivatedAccountRule:
    code = "deactivated_account"

    def evaluate(self, batch: Batch) -> Iterable[Finding]:
        for ev in batch.events:
            if ev.actor_id is not None and getattr(ev, "_actor_active", None) is False:
                yield Finding(
                    self.code,
                    Severity.CRITICAL,
                    f"{self.code}:{ev.actor_id}:{ev.at:%Y%m%d%H}",
                    f"{ev.action} by deactivated account {ev.actor_username}",
                    ev.actor_id,
                    ev.actor_username,
                    ev.seq,
                    {"action": ev.action},
                )


class DormantAccountRule:
    code = "dormant_account"

    def evaluate(self, batch: Batch) -> Iterable[Finding]:
        days = int(conf.get("BAOMI_AUDIT_DORMANT_DAYS"))
        for actor_id, evs in batch.by_actor.items():
            sign_ins = [e for e in evs if e.action in SIGN_IN_ACTIONS]
            if not sign_ins:
                continue
            first = sign_ins[0]
            prev = (
                AuditEvent.objects.filter(actor_id=actor_id, seq__lt=first.seq)
                .order_by("-at")
                .values_list("at", flat=True)
                .first()
            )
            if prev is not None and first.at - prev >= timedelta(days=days):
                yield Finding(
                    self.code,
                    Severity.HIGH,
                    f"{self.code}:{actor_id}:{first.seq}",
                    f"dormant account {first.actor_username} signed in after "
                    f"{(first.at - prev).days} days",
                    actor_id,
                    first.actor_username,
                    first.seq,
                    {"silent_days": (first.at - prev).days},
                )


class OffHoursRule:
    code = "off_hours"

    def evaluate(self, batch: Batch) -> Iterable[Finding]:
        tz = ZoneInfo(str(conf.get("BAOMI_AUDIT_WORK_TIME_ZONE")))
        start, end = conf.get("BAOMI_AUDIT_WORK_HOURS")
        days = set(conf.get("BAOMI_AUDIT_WORK_DAYS"))
        for actor_id, evs in batch.by_actor.items():
            for ev in evs:
                if not _customer_access(ev):
                    continue
                local = ev.at.astimezone(tz)
                if start <= local.hour < end and local.weekday() in days:
                    continue
                yield Finding(
                    self.code,
                    Severity.MEDIUM,
                    f"{self.code}:{actor_id}:{local:%Y-%m-%d}",
                    f"customer data accessed by {ev.actor_username} outside working hours "
                    f"({local:%Y-%m-%d %H:%M} {tz.key})",
                    actor_id,
                    ev.actor_username,
                    ev.seq,
                    {"local_time": local.isoformat(), "action": ev.action},
                )
                break


class ReadVolumeRule:
    """Both volume rules share one small query per actor and batch: reads and distinct
    customers among at most max(N, floor) + 1 recent reads (exact for a normal reader).
    Only a heavy reader — above the floor — costs the bounded follow-up queries."""

    code = "distinct_customers"
    baseline_code = "read_baseline"

    def evaluate(self, batch: Batch) -> Iterable[Finding]:
        enabled = rule_enabled(self.code)
        baseline_on = rule_enabled(self.baseline_code)
        max_distinct = int(conf.get("BAOMI_AUDIT_MAX_DISTINCT_CUSTOMERS"))
        minimum = int(conf.get("BAOMI_AUDIT_BASELINE_MIN_READS"))
        window = timedelta(minutes=int(conf.get("BAOMI_AUDIT_WINDOW_MINUTES")))
        minutes = int(window.total_seconds() // 60)
        cap = max(max_distinct, minimum) + 1
        marks = ", ".join(["%s"] * len(READ_ACTIONS))
        where = f"actor_id = %s AND action IN ({marks})"
        for actor_id, evs in batch.by_actor.items():
            reads = [e for e in evs if e.action in READ_ACTIONS]
            if not reads:
                continue
            last = reads[-1]
            since = last.at - window
            key = f"{self.code}:{actor_id}:{last.at:%Y%m%d%H}"
            base_key = f"{self.baseline_code}:{actor_id}:{last.at:%Y%m%d%H}"
            enabled_now = enabled and key not in _known_alerts
            baseline_now = baseline_on and base_key not in _known_alerts
            if not (enabled_now or baseline_now):
                continue  # already alerted for this actor and hour: nothing more to learn
            params = [actor_id, *READ_ACTIONS]
            n, distinct = batch.count(where, params, since, cap)
            if enabled_now and n == cap and distinct <= max_distinct:  # sample too small
                distinct = batch.count_distinct(where, params, since, max_distinct + 1)
            if enabled_now and distinct > max_distinct:
                yield Finding(
                    self.code,
                    Severity.HIGH,
                    key,
                    f"{last.actor_username} read more than {max_distinct} distinct customers "
                    f"within {minutes} minutes",
                    actor_id,
                    last.actor_username,
                    last.seq,
                    {
                        "distinct_customers": distinct,
                        "window_minutes": minutes,
                        "limit": max_distinct,
                    },
                )
            if not baseline_now or n <= minimum:
                continue
            mean = _baseline(actor_id, last.at)
            factor = float(conf.get("BAOMI_AUDIT_BASELINE_FACTOR"))
            limit = max(minimum, int(factor * mean))
            if mean <= 0:
                continue  # no history yet: the distinct-customer rule still applies
            n, _ = batch.count(where, params, since, limit + 1)
            if n > limit:
                yield Finding(
                    self.baseline_code,
                    Severity.MEDIUM,
                    base_key,
                    f"{last.actor_username} read more than {limit} customers within {minutes} "
                    f"minutes; own baseline {mean:.1f}/hour",
                    actor_id,
                    last.actor_username,
                    last.seq,
                    {"limit": limit, "baseline_per_hour": round(mean, 2), "factor": factor},
                )


def _baseline(actor_id: int, at: datetime) -> float:
    """Mean hourly reads over the last BAOMI_AUDIT_BASELINE_DAYS before the current hour;
    cached per actor per hour in `audit_actor_baseline` (one key lookup when cached)."""
    hour = at.replace(minute=0, second=0, microsecond=0)
    with connection.cursor() as cur:
        cur.execute(
            "SELECT computed_for, hourly_mean FROM audit_actor_baseline WHERE actor_id = %s",
            [actor_id],
        )
        row = cur.fetchone()
        if row is not None and _same_time(row[0], hour):
            return float(row[1])
        days = int(conf.get("BAOMI_AUDIT_BASELINE_DAYS"))
        marks = ", ".join(["%s"] * len(READ_ACTIONS))
        cur.execute(
            f"SELECT COUNT(*) FROM audit_event WHERE actor_id = %s AND action IN ({marks}) "  # noqa: S608
            "AND at >= %s AND at < %s",
            [
                actor_id,
                *READ_ACTIONS,
                _time_param(hour - timedelta(days=days)),
                _time_param(hour),
            ],
        )
        mean = int(cur.fetchone()[0]) / (days * 24)
        cur.execute(
            "INSERT INTO audit_actor_baseline (actor_id, computed_for, hourly_mean) "
            "VALUES (%s, %s, %s) ON CONFLICT (actor_id) DO UPDATE SET "
            "computed_for = excluded.computed_for, hourly_mean = excluded.hourly_mean",
            [actor_id, _time_param(hour), mean],
        )
    return mean


def _same_time(value: Any, hour: datetime) -> bool:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return bool(value == hour)


class RepeatedDenialsRule:
    code = "repeated_denials"

    def evaluate(self, batch: Batch) -> Iterable[Finding]:
        bad = [e for e in batch.events if e.outcome in (Outcome.DENIED, Outcome.FAILED)]
        if not bad:
            return
        limit = int(conf.get("BAOMI_AUDIT_MAX_DENIALS"))
        minutes = int(conf.get("BAOMI_AUDIT_DENIAL_WINDOW_MINUTES"))
        window = timedelta(minutes=minutes)
        subjects: dict[tuple[str, Any], AuditEvent] = {}
        for e in bad:
            if e.actor_id is not None:
                subjects[("actor", e.actor_id)] = e
            elif e.client_ip:
                subjects[("ip", e.client_ip)] = e
        for (kind, value), ev in subjects.items():
            where = "actor_id = %s" if kind == "actor" else "client_ip = %s"
            n, _ = batch.count(
                f"{where} AND outcome IN ('denied', 'failed')", [value], ev.at - window, limit + 1
            )
            if n >= limit:
                bucket = int(ev.at.timestamp()) // (minutes * 60)
                who = ev.actor_username if kind == "actor" else f"client {value}"
                yield Finding(
                    self.code,
                    Severity.MEDIUM,
                    f"{self.code}:{kind}:{value}:{bucket}",
                    f"{n} denied or failed attempts by {who} within {minutes} minutes",
                    ev.actor_id,
                    ev.actor_username if kind == "actor" else "",
                    ev.seq,
                    {"count": n, "limit": limit, "subject": kind},
                )


class ExportSpikeRule:
    code = "export_spike"

    def evaluate(self, batch: Batch) -> Iterable[Finding]:
        patterns = list(conf.get("BAOMI_AUDIT_EXPORT_ACTIONS"))
        max_events = int(conf.get("BAOMI_AUDIT_MAX_EXPORTS"))
        max_rows = int(conf.get("BAOMI_AUDIT_MAX_EXPORT_ROWS"))
        window = timedelta(minutes=int(conf.get("BAOMI_AUDIT_EXPORT_WINDOW_MINUTES")))
        for actor_id, evs in batch.by_actor.items():
            exports = [e for e in evs if _matches(e.action, patterns)]
            if not exports:
                continue
            last = exports[-1]
            recent = list(
                AuditEvent.objects.filter(actor_id=actor_id, at__gte=last.at - window)
                .order_by("-at")
                .values_list("action", "detail")[: max_events * 50]
            )
            hits = [(a, d) for a, d in recent if _matches(a, patterns)]
            rows = sum(_rows(d) for _, d in hits)
            if len(hits) > max_events or rows > max_rows:
                yield Finding(
                    self.code,
                    Severity.HIGH,
                    f"{self.code}:{actor_id}:{last.at:%Y%m%d%H}",
                    f"{last.actor_username} exported {len(hits)} times ({rows} rows) "
                    f"within {int(window.total_seconds() // 60)} minutes",
                    actor_id,
                    last.actor_username,
                    last.seq,
                    {"exports": len(hits), "rows": rows, "max_exports": max_events},
                )


def _rows(detail: Any) -> int:
    if isinstance(detail, dict):
        for key in ("rows", "count", "customers"):
            v = detail.get(key)
            if isinstance(v, int) and not isinstance(v, bool):
                return v
    return 0


RULES: list[Rule] = [
    WatchedActionRule(),
    DeactivatedAccountRule(),
    DormantAccountRule(),
    OffHoursRule(),
    ReadVolumeRule(),
    RepeatedDenialsRule(),
    ExportSpikeRule(),
]


def register(rule: Rule) -> None:
    """Add a rule (e.g. from an app's `ready()`); replaces a rule with the same code."""
    RULES[:] = [r for r in RULES if r.code != rule.code]
    RULES.append(rule)


def rule_enabled(code: str) -> bool:
    return bool(dict(conf.get("BAOMI_AUDIT_RULES")).get(code, True))


# Dedupe keys of alerts known to exist, filled only after commit (a rolled-back alert is
# never remembered): lets the volume rules skip their queries for an actor already
# alerted this hour. Per process, bounded; forgetting only costs a query.
_known_alerts: set[str] = set()


def _remember(keys: list[str]) -> None:
    if len(_known_alerts) > 50_000:
        _known_alerts.clear()
    _known_alerts.update(keys)
