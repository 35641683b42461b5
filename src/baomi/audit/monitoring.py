"""Access monitoring (R-E2, R-E3): rules over the event stream, evaluated as events arrive.

`evaluate(events)` runs after every append, in the same transaction, once per *batch*
(an import appends thousands of events and pays for one evaluation). Per-event rules are
plain Python checks on the batch; windowed rules issue one bounded, indexed query per
human actor in the batch — the system actor (imports, jobs) is not windowed.

Rules (codes; thresholds in settings, see `conf.DEFAULTS`; switch one off with
``BAOMI_AUDIT_RULES = {"off_hours": False}``):

* ``watched_action``     any event whose action matches BAOMI_AUDIT_ALERT_ACTIONS
                         (break-glass, failed verification, lock-outs …; patterns may
                         name actions that do not exist yet)
* ``deactivated_account`` any event by an account that was inactive when it acted
* ``dormant_account``    a sign-in by an account silent for BAOMI_AUDIT_DORMANT_DAYS
* ``off_hours``          customer-data access outside working hours (Asia/Shanghai)
* ``distinct_customers`` more than N distinct customers read by one actor in the window
* ``read_baseline``      reads in the last hour far above the actor's own hourly mean
* ``repeated_denials``   denials/failures per actor (or client IP) in a short window
* ``export_spike``       export events or exported rows per actor above a threshold

More rules: subclass `Rule` and `register(MyRule())`. Alerts are de-duplicated by a key
(rule, subject, time bucket) so a burst raises one alert, not one per event. A new alert
is handed to each notifier in BAOMI_AUDIT_NOTIFIERS (the console inbox by default).
"""

from __future__ import annotations

import fnmatch
import json
import logging
import urllib.request
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.utils.module_loading import import_string

from baomi.core import clock
from baomi.core.errors import BaomiError, FieldIssue, Forbidden, NotFound, ValidationFailed

from . import canonical, conf
from .models import (
    Alert,
    AlertState,
    AlertTransition,
    AuditEvent,
    InboxMessage,
    Outcome,
    Severity,
)

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


def evaluate(events: list[AuditEvent]) -> list[Alert]:
    """Run every enabled rule over one appended batch; raise (and notify) new alerts."""
    batch = Batch(events)
    if not batch.events:
        return []
    findings: list[Finding] = []
    for rule in RULES:
        if rule.code != ReadVolumeRule.code and not rule_enabled(rule.code):
            continue
        try:
            findings.extend(rule.evaluate(batch))
        except BaomiError:
            log.exception("monitoring rule %s failed", rule.code)
    findings = [f for f in findings if f.dedupe_key[:200] not in _known_alerts]
    return raise_alerts(findings) if findings else []


# -- alerts --
def raise_alerts(findings: list[Finding]) -> list[Alert]:
    """Create the alerts not raised before (dedupe key) and notify. Runs under the append
    lock, so two appends never race on one key."""
    unique: dict[str, Finding] = {}
    for f in findings:
        unique.setdefault(f.dedupe_key[:200], f)
    seen = set(
        Alert.objects.filter(dedupe_key__in=list(unique)).values_list("dedupe_key", flat=True)
    )
    keys = list(unique)
    transaction.on_commit(lambda: _remember(keys))
    now = clock.now()
    created = []
    for key, f in unique.items():
        if key in seen:
            continue
        alert = Alert.objects.create(
            rule=f.rule,
            severity=str(f.severity),
            state=AlertState.OPEN,
            dedupe_key=key,
            actor_id=f.actor_id,
            actor_username=f.actor_username[:150],
            summary=f.summary[:300],
            detail=canonical.normalise(f.detail),
            first_seq=f.first_seq,
            created_at=now,
            updated_at=now,
        )
        AlertTransition.objects.create(
            alert=alert, from_state="", to_state=AlertState.OPEN, actor_username="system", at=now
        )
        created.append(alert)
    for alert in created:
        for notifier in notifiers():
            notifier.notify(alert)
    return created


# Dedupe keys of alerts known to exist, filled only after commit (a rolled-back alert is
# never remembered): lets the volume rules skip their queries for an actor already
# alerted this hour. Per process, bounded; forgetting only costs a query.
_known_alerts: set[str] = set()


def _remember(keys: list[str]) -> None:
    if len(_known_alerts) > 50_000:
        _known_alerts.clear()
    _known_alerts.update(keys)


TRANSITIONS = {
    AlertState.OPEN: {AlertState.INVESTIGATING, AlertState.CLOSED},
    AlertState.INVESTIGATING: {AlertState.CLOSED, AlertState.OPEN},
    AlertState.CLOSED: {AlertState.INVESTIGATING},
}
ALERT_ROLES = frozenset({"security_auditor", "security_admin"})


@transaction.atomic
def transition_alert(actor: Any, alert_id: int, to: str, note: str = "") -> Alert:
    """Move an alert along open → investigating → closed (a note is required to close;
    a closed alert may be reopened for investigation). Audited."""
    from . import services
    from .models import Action

    if getattr(actor, "role_code", "") not in ALERT_ROLES:
        raise Forbidden("only the security auditor works alerts", code="role_forbidden")
    alert = Alert.objects.select_for_update().filter(pk=alert_id).first()
    if alert is None:
        raise NotFound("no such alert")
    try:
        target = AlertState(to)
    except ValueError:
        raise _invalid("to", "invalid", "unknown alert state", "未知的告警状态") from None
    current = AlertState(alert.state)
    if target not in TRANSITIONS[current]:
        raise _invalid(
            "to",
            "transition_invalid",
            f"an alert cannot go from {current.value} to {target.value}",
            "不允许的状态变更",
        )
    note = (note or "").strip()
    if target is AlertState.CLOSED and not note:
        raise _invalid("note", "required", "closing an alert needs a note", "关闭告警须填写说明")
    now = clock.now()
    AlertTransition.objects.create(
        alert=alert,
        from_state=current,
        to_state=target,
        actor_id=actor.pk,
        actor_username=actor.username,
        note=note[:2000],
        at=now,
    )
    alert.state = target
    alert.updated_at = now
    if target is AlertState.CLOSED:
        alert.closed_note = note[:2000]
    alert.save(update_fields=["state", "updated_at", "closed_note"])
    services.record(
        Action.ALERT_TRANSITIONED,
        actor,
        object_type="alert",
        object_id=alert.pk,
        detail={"rule": alert.rule, "from": current.value, "to": target.value},
    )
    return alert


def _invalid(fieldname: str, code: str, en: str, zh: str) -> ValidationFailed:
    return ValidationFailed([FieldIssue(fieldname, code, en, zh)])


# -- notifiers --
class Notifier(Protocol):
    def notify(self, alert: Alert) -> None: ...


class ConsoleInboxNotifier:
    """Default: a message in the security auditors' console inbox (same transaction)."""

    role = "security_auditor"

    def notify(self, alert: Alert) -> None:
        now = clock.now()
        for role in [self.role, *sorted(also_to(alert) - {self.role})]:
            InboxMessage.objects.create(recipient_role=role, alert=alert, created_at=now)


def also_to(alert: Alert) -> set[str]:
    """Roles besides the auditor whose inbox gets this alert (BAOMI_AUDIT_ALERT_ALSO_TO,
    matched on the action that raised it)."""
    action = str((alert.detail or {}).get("action", "")) if isinstance(alert.detail, dict) else ""
    table: dict[str, list[str]] = dict(conf.get("BAOMI_AUDIT_ALERT_ALSO_TO"))
    return {r for pattern, roles in table.items() if _matches(action, [pattern]) for r in roles}


def _payload(alert: Alert) -> dict[str, Any]:
    return {
        "id": alert.pk,
        "rule": alert.rule,
        "severity": alert.severity,
        "summary": alert.summary,
        "first_seq": alert.first_seq,
        "created_at": alert.created_at.isoformat(),
    }


class EmailNotifier:
    """Mail to BAOMI_AUDIT_ALERT_EMAILS after commit (metadata only, no customer data)."""

    def notify(self, alert: Alert) -> None:
        to = list(conf.get("BAOMI_AUDIT_ALERT_EMAILS"))
        if not to:
            return
        payload = _payload(alert)

        def send() -> None:
            from django.core.mail import send_mail

            try:
                send_mail(
                    f"[baomi] {payload['severity']} alert: {payload['rule']}",
                    json.dumps(payload, ensure_ascii=False, indent=1),
                    None,
                    to,
                )
            except OSError:
                log.warning("alert e-mail failed for alert %s", payload["id"])

        transaction.on_commit(send)


class WebhookNotifier:
    """POST the alert as JSON to BAOMI_AUDIT_ALERT_WEBHOOK after commit."""

    def notify(self, alert: Alert) -> None:
        url = str(conf.get("BAOMI_AUDIT_ALERT_WEBHOOK") or "")
        if not url.startswith(("https://", "http://")):
            return
        body = json.dumps(_payload(alert)).encode()

        def send() -> None:
            req = urllib.request.Request(  # noqa: S310 - scheme checked above
                url, data=body, headers={"Content-Type": "application/json"}, method="POST"
            )
            try:
                urllib.request.urlopen(req, timeout=5).close()  # noqa: S310
            except OSError:
                log.warning("alert webhook failed for alert %s", _payload(alert)["id"])

        transaction.on_commit(send)


_notifier_cache: dict[tuple[str, ...], list[Notifier]] = {}


def notifiers() -> list[Notifier]:
    paths = tuple(conf.get("BAOMI_AUDIT_NOTIFIERS"))
    if paths not in _notifier_cache:
        _notifier_cache[paths] = [import_string(p)() for p in paths]
    return _notifier_cache[paths]


def unread_count(role: str) -> int:
    return InboxMessage.objects.filter(recipient_role=role, read_at__isnull=True).count()


def mark_read(role: str) -> int:
    """Mark every unread inbox message of a role read (a role that sees its alerts in one
    list, e.g. the privacy officer's emergency-access list)."""
    return InboxMessage.objects.filter(recipient_role=role, read_at__isnull=True).update(
        read_at=clock.now()
    )
