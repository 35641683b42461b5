"""Alert notifiers (R-E3): the console inbox (default), e-mail and a webhook, chosen by
BAOMI_AUDIT_NOTIFIERS (dotted paths). Split out of `audit.monitoring` (issue #10 §2)."""

from __future__ import annotations

import json
import logging
import urllib.request
from typing import Any, Protocol

from django.db import transaction
from django.utils.module_loading import import_string

from baomi.core import clock

from . import conf
from .models import Alert, InboxMessage
from .rules import _matches

log = logging.getLogger("baomi.audit")


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
