"""Monitoring rules over the event stream, alert de-duplication, lifecycle and notifiers."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from baomi import audit
from baomi.audit import checkpoints, monitoring
from baomi.audit.models import (
    Action,
    Alert,
    AlertTransition,
    AuditEvent,
    InboxMessage,
    Outcome,
)
from baomi.audit.services import build, record_many
from baomi.core import clock
from baomi.core.errors import Forbidden, ValidationFailed
from baomi.core.middleware import RequestContext, _current

pytestmark = pytest.mark.django_db
# 10:00 on a Wednesday in Asia/Shanghai (02:00 UTC): inside working hours
WORK = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
NIGHT = datetime(2026, 11, 25, 19, 30, tzinfo=UTC)  # 03:30 in Shanghai


class Actor:
    def __init__(self, pk: int = 41, username: str = "bob", active: bool = True) -> None:
        self.pk, self.username, self.is_active = pk, username, active

    @property
    def role_code(self) -> str:
        return "customer_service"


@pytest.fixture
def now(monkeypatch: Any) -> Iterator[list[datetime]]:
    """A settable clock: now[0] is the current time."""
    t = [WORK]
    monkeypatch.setattr(clock, "now", lambda: t[0])
    yield t


def reads(actor: Any, n: int, *, distinct: bool = True) -> None:
    record_many(
        [
            build(
                Action.CUSTOMER_READ,
                actor,
                purpose="customer_service",
                object_type="customer",
                object_id=uuid.uuid4() if distinct else "same-customer",
                fields={"name": "plain"},
            )
            for _ in range(n)
        ]
    )


def rules() -> list[str]:
    return sorted(Alert.objects.values_list("rule", flat=True))


def test_distinct_customers_in_a_window(settings: Any, now: Any) -> None:
    settings.BAOMI_AUDIT_MAX_DISTINCT_CUSTOMERS = 5
    bob = Actor()
    reads(bob, 20, distinct=False)  # many reads of one customer: fine
    reads(bob, 4)
    assert rules() == []
    for _ in range(3):
        audit.record(Action.CUSTOMER_READ, bob, object_type="customer", object_id=uuid.uuid4())
    [alert] = Alert.objects.all()  # raised once, de-duplicated afterwards
    assert alert.rule == "distinct_customers" and alert.severity == "high"
    assert alert.actor_username == "bob" and alert.detail["distinct_customers"] == 6
    now[0] = WORK + timedelta(hours=2)  # a later window starts afresh
    reads(bob, 2)
    assert rules() == ["distinct_customers"]


def test_reads_far_above_the_actors_own_baseline(settings: Any, now: Any) -> None:
    settings.BAOMI_AUDIT_BASELINE_MIN_READS = 20
    settings.BAOMI_AUDIT_MAX_DISTINCT_CUSTOMERS = 10_000
    bob = Actor()
    for day in range(1, 15):  # history: 6 reads a day for two weeks
        now[0] = WORK - timedelta(days=day)
        reads(bob, 6)
    now[0] = WORK
    reads(bob, 20)
    assert rules() == []  # not above the floor yet
    reads(bob, 5)
    [alert] = Alert.objects.all()
    assert alert.rule == "read_baseline" and alert.detail["limit"] == 20
    assert alert.detail["baseline_per_hour"] == pytest.approx(6 * 14 / (14 * 24), abs=0.01)
    # an actor without history is left to the distinct-customer rule
    reads(Actor(pk=99, username="new"), 30)
    assert rules() == ["read_baseline"]


def test_access_outside_working_hours(now: Any) -> None:
    now[0] = NIGHT
    bob = Actor()
    audit.record(Action.LOGIN, bob, object_type="staff", object_id=bob.pk)  # not customer data
    assert rules() == []
    reads(bob, 2)
    reads(bob, 1)
    [alert] = Alert.objects.all()  # once per actor per local day
    assert alert.rule == "off_hours" and "03:30" in alert.summary
    reads(Actor(pk=None, username="system"), 3)  # type: ignore[arg-type]
    assert Alert.objects.count() == 1  # the system actor (imports) is not a person


def test_repeated_denials_by_actor_and_by_client_ip(settings: Any, now: Any) -> None:
    settings.BAOMI_AUDIT_MAX_DENIALS = 3
    bob = Actor()
    for _ in range(3):
        audit.record(Action.ACCESS_DENIED, bob, object_type="customer", outcome=Outcome.DENIED)
    assert rules() == ["repeated_denials"]
    token = _current.set(RequestContext("r1", "203.0.113.9", "curl"))
    try:
        for _ in range(3):
            audit.record(Action.LOGIN_FAILED, None, object_type="staff", outcome=Outcome.FAILED)
    finally:
        _current.reset(token)
    alerts = Alert.objects.filter(rule="repeated_denials")
    assert alerts.count() == 2 and any("203.0.113.9" in a.summary for a in alerts)


def test_export_spike_counts_events_and_rows(settings: Any, now: Any, monkeypatch: Any) -> None:
    from baomi.contract import participants

    settings.BAOMI_AUDIT_MAX_EXPORT_ROWS = 1000
    bob = Actor()
    # an export action the product does not have yet (a domain would declare it through the
    # participant contract): the rule table matches by pattern
    monkeypatch.setattr(participants, "_actions", dict(participants._actions))
    participants.register_actions(["customer.exported"])
    audit.record("customer.exported", bob, object_type="export", detail={"rows": 600})
    assert rules() == []
    audit.record("customer.exported", bob, object_type="export", detail={"rows": 600})
    [alert] = Alert.objects.all()
    assert alert.rule == "export_spike" and alert.detail["rows"] == 1200


def test_break_glass_and_configurable_watched_actions(settings: Any, now: Any) -> None:
    bob = Actor()
    audit.record(Action.BREAK_GLASS, bob, object_type="customer", object_id=uuid.uuid4())
    [alert] = Alert.objects.all()
    assert alert.rule == "watched_action" and alert.severity == "high"
    assert "access.break_glass" in alert.summary
    settings.BAOMI_AUDIT_ALERT_ACTIONS = {"policy.*": "critical"}
    audit.record(Action.POLICY_CHANGED, bob, object_type="policy")
    assert Alert.objects.filter(severity="critical").count() == 1


def test_any_access_by_a_deactivated_account(now: Any) -> None:
    gone = Actor(active=False)
    reads(gone, 1)
    [alert] = Alert.objects.all()
    assert alert.rule == "deactivated_account" and alert.severity == "critical"


def test_sign_in_of_a_dormant_account(settings: Any, now: Any) -> None:
    settings.BAOMI_AUDIT_DORMANT_DAYS = 90
    bob = Actor()
    now[0] = WORK - timedelta(days=120)
    audit.record(Action.LOGIN, bob, object_type="staff", object_id=bob.pk)
    now[0] = WORK
    audit.record(Action.TOKEN_ISSUED, bob, object_type="staff", object_id=bob.pk)
    [alert] = Alert.objects.all()
    assert alert.rule == "dormant_account" and alert.detail["silent_days"] == 120
    audit.record(Action.LOGIN, bob, object_type="staff", object_id=bob.pk)
    assert Alert.objects.count() == 1  # active again


def test_rules_can_be_switched_off_and_added(settings: Any, now: Any) -> None:
    now[0] = NIGHT
    settings.BAOMI_AUDIT_RULES = {"off_hours": False}
    reads(Actor(), 1)
    assert rules() == []

    class CanaryRule:
        code = "canary"

        def evaluate(self, batch: monitoring.Batch) -> Any:
            for ev in batch.events:
                if ev.object_id == "honeypot":
                    yield monitoring.Finding(self.code, "critical", f"canary:{ev.seq}", "touched")

    monitoring.register(CanaryRule())
    try:
        audit.record(Action.CUSTOMER_READ, Actor(), object_type="customer", object_id="honeypot")
    finally:
        monitoring.RULES[:] = [r for r in monitoring.RULES if r.code != "canary"]
    assert rules() == ["canary"]


def test_import_batches_are_evaluated_cheaply(now: Any) -> None:
    """The importer appends thousands of system events per batch: a constant number of
    queries per batch, independent of its size."""
    checkpoints.make_checkpoint()  # as after `migrate`: no checkpoint is due in the batches
    counts = []
    for n in (10, 2000):
        events = [
            build(Action.CUSTOMER_CREATED, None, object_type="customer", object_id=uuid.uuid4())
            for _ in range(n)
        ]
        with CaptureQueriesContext(connection) as ctx:
            record_many(events)
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1] <= 6, counts  # savepoint, head, events, nodes, head
    assert AuditEvent.objects.count() == 2010


def test_a_single_read_costs_one_monitoring_query(now: Any) -> None:
    bob = Actor()
    reads(bob, 1)
    with CaptureQueriesContext(connection) as ctx:
        reads(bob, 1)
    sql = [q["sql"] for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"]]
    # head, events, nodes, head update, and one bounded monitoring count
    assert len(sql) == 5 and sum("COUNT(DISTINCT" in q for q in sql) == 1, sql


# -- lifecycle and notification ---------------------------------------------------------------
@pytest.fixture
def alert(now: Any) -> Alert:
    [a] = monitoring.raise_alerts(
        [monitoring.Finding("watched_action", "high", "x:1", "something odd", 41, "bob", 1)]
    )
    return a


def test_new_alerts_land_in_the_auditor_inbox(alert: Alert) -> None:
    [msg] = InboxMessage.objects.all()
    assert msg.alert_id == alert.pk and msg.recipient_role == "security_auditor"
    assert monitoring.unread_count("security_auditor") == 1
    assert [t.to_state for t in AlertTransition.objects.all()] == ["open"]


def test_lifecycle_open_investigating_closed_with_note(alert: Alert, make_staff: Any) -> None:
    auditor = make_staff("security_auditor")
    with pytest.raises(ValidationFailed):
        monitoring.transition_alert(auditor, alert.pk, "closed", "  ")
    with pytest.raises(ValidationFailed):
        monitoring.transition_alert(auditor, alert.pk, "done")
    monitoring.transition_alert(auditor, alert.pk, "investigating")
    done = monitoring.transition_alert(auditor, alert.pk, "closed", "false positive: audit")
    assert done.state == "closed" and done.closed_note == "false positive: audit"
    trail = list(AlertTransition.objects.filter(alert=alert).values_list("to_state", "note"))
    assert trail == [("open", ""), ("investigating", ""), ("closed", "false positive: audit")]
    events = AuditEvent.objects.filter(action=Action.ALERT_TRANSITIONED).order_by("seq")
    assert [(e.actor_username, e.detail["to"]) for e in events] == [
        (auditor.username, "investigating"),
        (auditor.username, "closed"),
    ]
    with pytest.raises(ValidationFailed):
        monitoring.transition_alert(auditor, alert.pk, "open")
    with pytest.raises(Forbidden):
        monitoring.transition_alert(make_staff("front_desk"), alert.pk, "investigating")


def test_email_and_webhook_notifiers(
    settings: Any, now: Any, django_capture_on_commit_callbacks: Any, monkeypatch: Any
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.BAOMI_AUDIT_NOTIFIERS = [
        "baomi.audit.monitoring.ConsoleInboxNotifier",
        "baomi.audit.monitoring.EmailNotifier",
        "baomi.audit.monitoring.WebhookNotifier",
    ]
    settings.BAOMI_AUDIT_ALERT_EMAILS = ["soc@example.com"]
    settings.BAOMI_AUDIT_ALERT_WEBHOOK = "https://soc.example.com/hook"
    posted: list[bytes] = []

    class Resp:
        def close(self) -> None:
            pass

    def fake_urlopen(req: Any, timeout: float) -> Resp:
        posted.append(req.data)
        return Resp()

    monkeypatch.setattr(monitoring.urllib.request, "urlopen", fake_urlopen)
    with django_capture_on_commit_callbacks(execute=True):
        audit.record(Action.BREAK_GLASS, Actor(), object_type="customer", object_id="c")
    assert len(mail.outbox) == 1 and "watched_action" in mail.outbox[0].subject
    assert len(posted) == 1 and b'"severity": "high"' in posted[0]
    # the auditor's inbox, and the privacy officer's for emergency access (issue #9 §3)
    assert set(InboxMessage.objects.values_list("recipient_role", flat=True)) == {
        "security_auditor",
        "privacy_officer",
    }


def test_an_actor_alerted_this_hour_costs_no_more_volume_queries(
    settings: Any, now: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.BAOMI_AUDIT_MAX_DISTINCT_CUSTOMERS = 3
    settings.BAOMI_AUDIT_RULES = {"read_baseline": False}
    bob = Actor()
    try:
        with django_capture_on_commit_callbacks(execute=True):
            reads(bob, 5)  # alerted; the key is remembered once committed
        assert rules() == ["distinct_customers"]
        with CaptureQueriesContext(connection) as ctx:
            reads(bob, 1)
        assert not [q for q in ctx.captured_queries if "COUNT(DISTINCT" in q["sql"]]
        now[0] = WORK + timedelta(hours=1)  # a new hour: counted (and alerted) again
        reads(bob, 4)
        assert rules() == ["distinct_customers", "distinct_customers"]
    finally:
        monitoring._known_alerts.clear()
