"""Monitoring alerts (R-E3): raised from the rules' findings (de-duplicated by key),
handed to the notifiers, worked by the security auditor (open → investigating → closed,
audited). Split out of `audit.monitoring` (issue #10 §2)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from baomi.core import clock
from baomi.core.errors import FieldIssue, Forbidden, NotFound, ValidationFailed

from . import canonical, services
from .models import Action, Alert, AlertState, AlertTransition
from .notifiers import notifiers
from .rules import Finding, _remember


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
