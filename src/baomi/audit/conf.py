"""Audit settings with their defaults (override any of them in Django settings)."""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # checkpoints: the note origin (names the log and its key) and when to sign automatically
    "BAOMI_AUDIT_ORIGIN": "baomi.local/audit",
    "BAOMI_AUDIT_CHECKPOINT_EVERY": 10_000,  # events since the last checkpoint; 0 = never
    "BAOMI_AUDIT_CHECKPOINT_SECONDS": 3600,  # age of the last checkpoint; 0 = never
    "BAOMI_AUDIT_CHECKPOINT_ON_MIGRATE": True,  # sign one after every `migrate`
    # checkpoints kept outside the database (docs/audit.md §4): None = `witness` beside
    # BAOMI_KEY_DIR, "" = no witness directory; URL of a C2SP tlog-witness ("" = none)
    "BAOMI_AUDIT_WITNESS_DIR": None,
    "BAOMI_AUDIT_WITNESS_URL": "",
    "BAOMI_AUDIT_WITNESS_TIMEOUT": 5.0,  # seconds per push
    # monitoring thresholds
    "BAOMI_AUDIT_WINDOW_MINUTES": 60,
    "BAOMI_AUDIT_MAX_DISTINCT_CUSTOMERS": 100,  # per actor per window
    "BAOMI_AUDIT_BASELINE_DAYS": 14,
    "BAOMI_AUDIT_BASELINE_FACTOR": 5.0,  # reads this hour > factor × own hourly mean …
    "BAOMI_AUDIT_BASELINE_MIN_READS": 50,  # … and above this floor
    "BAOMI_AUDIT_DENIAL_WINDOW_MINUTES": 15,
    "BAOMI_AUDIT_MAX_DENIALS": 5,  # denials/failures per actor (or client IP) per window
    "BAOMI_AUDIT_EXPORT_WINDOW_MINUTES": 60,
    "BAOMI_AUDIT_MAX_EXPORTS": 5,  # export events per actor per window
    "BAOMI_AUDIT_MAX_EXPORT_ROWS": 1000,  # rows exported per actor per window
    "BAOMI_AUDIT_EXPORT_ACTIONS": ["*.export", "*.exported", "export.*", "rights.access_copy"],
    "BAOMI_AUDIT_WORK_TIME_ZONE": "Asia/Shanghai",
    "BAOMI_AUDIT_WORK_HOURS": (7, 22),  # local [start, end) hours
    "BAOMI_AUDIT_WORK_DAYS": (0, 1, 2, 3, 4, 5, 6),  # Monday = 0
    "BAOMI_AUDIT_DORMANT_DAYS": 90,
    # action pattern → severity: every matching event raises an alert ("*" wildcards)
    "BAOMI_AUDIT_ALERT_ACTIONS": {
        "access.break_glass": "high",
        "system.break_glass_operation": "high",
        "audit.verify_failed": "critical",
        "auth.locked_out": "medium",
        "audit.witness_failed": "high",
        "system.restored": "high",
        "audit.restore_acknowledged": "high",
    },
    # action pattern → further roles whose console inbox gets the alert (the security
    # auditor always does): emergency access alerts the privacy officer too (issue #9 §3)
    "BAOMI_AUDIT_ALERT_ALSO_TO": {"access.break_glass": ["privacy_officer"]},
    # rule code → False to switch a rule off
    "BAOMI_AUDIT_RULES": {},
    "BAOMI_AUDIT_NOTIFIERS": ["baomi.audit.monitoring.ConsoleInboxNotifier"],
    "BAOMI_AUDIT_ALERT_EMAILS": [],
    "BAOMI_AUDIT_ALERT_WEBHOOK": "",
}


def get(name: str) -> Any:
    return getattr(settings, name, DEFAULTS[name])
