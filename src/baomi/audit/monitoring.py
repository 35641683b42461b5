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

import logging
import urllib  # noqa: F401 - tests reach urllib.request through this module

from baomi.core.errors import BaomiError

from .alerts import ALERT_ROLES, TRANSITIONS, raise_alerts, transition_alert
from .models import Alert, AuditEvent
from .notifiers import (
    ConsoleInboxNotifier,
    EmailNotifier,
    Notifier,
    WebhookNotifier,
    also_to,
    mark_read,
    notifiers,
    unread_count,
)
from .rules import (
    RULES,
    Batch,
    Finding,
    ReadVolumeRule,
    Rule,
    _known_alerts,
    register,
    rule_enabled,
)

# the names callers (and BAOMI_AUDIT_NOTIFIERS dotted paths) reach through this module
__all__ = [
    "ALERT_ROLES",
    "RULES",
    "TRANSITIONS",
    "Batch",
    "ConsoleInboxNotifier",
    "EmailNotifier",
    "Finding",
    "Notifier",
    "Rule",
    "WebhookNotifier",
    "_known_alerts",
    "also_to",
    "evaluate",
    "mark_read",
    "notifiers",
    "raise_alerts",
    "register",
    "rule_enabled",
    "transition_alert",
    "unread_count",
]
log = logging.getLogger("baomi.audit")


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
