"""The incident clocks, computed from `detected_at` and the state timestamps — never stored
by hand (DESIGN §5). All arithmetic is on aware UTC datetimes: a day boundary or the
viewer's time zone cannot move a due time (R-H2: initial handling ≤ 24 h, customers
notified ≤ 72 h). Regulator obligations carry their own stored due time (incidents.rules).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings

from .enums import NoticeDecision, ObligationStatus, State

if TYPE_CHECKING:
    from .models import Incident, Obligation

NEAR_SHARE = 0.25  # near due: a quarter of the window (or less) is left


def iso(value: datetime | None) -> str | None:
    """An instant as ISO 8601 in UTC (what the API returns; the console shows Asia/Shanghai)."""
    return value.astimezone(UTC).isoformat() if value else None


def initial_hours() -> int:
    return int(getattr(settings, "BAOMI_INCIDENT_INITIAL_HOURS", 24))


def notice_hours() -> int:
    return int(getattr(settings, "BAOMI_INCIDENT_NOTICE_HOURS", 72))


@dataclass(frozen=True)
class Clock:
    code: str  # initial_handling | customer_notice | obligation:<id>
    started_at: datetime
    due_at: datetime
    done_at: datetime | None
    required: bool = True
    now: datetime | None = None

    @property
    def window(self) -> timedelta:
        return self.due_at - self.started_at

    @property
    def met(self) -> bool | None:
        """True/False once done (in time or late); None while running or not required."""
        if not self.required or self.done_at is None:
            return None
        return self.done_at <= self.due_at

    @property
    def overdue(self) -> bool:
        return (
            self.required
            and self.done_at is None
            and self.now is not None
            and (self.now > self.due_at)
        )

    @property
    def near_due(self) -> bool:
        if not self.required or self.done_at is not None or self.now is None or self.overdue:
            return False
        return self.due_at - self.now <= self.window * NEAR_SHARE

    @property
    def status(self) -> str:
        if not self.required:
            return "not_required"
        if self.done_at is not None:
            return "met" if self.met else "late"
        if self.overdue:
            return "overdue"
        return "near_due" if self.near_due else "running"

    @property
    def seconds_left(self) -> int | None:
        if self.done_at is not None or self.now is None or not self.required:
            return None
        return int((self.due_at - self.now).total_seconds())

    def as_dict(self) -> dict[str, Any]:
        return {
            "due_at": iso(self.due_at),
            "done_at": iso(self.done_at),
            "status": self.status,
            "required": self.required,
            "seconds_left": self.seconds_left,
        }


def initial_handling(inc: Incident, now: datetime | None = None) -> Clock:
    """Due 24 h after detection; done when the case is triaged (assessed, an owner acting,
    first containment under way) or found not to be a breach."""
    done = inc.triaged_at or inc.dismissed_at
    due = inc.detected_at + timedelta(hours=initial_hours())
    return Clock("initial_handling", inc.detected_at, due, done, True, now)


def customer_notice(inc: Incident, now: datetime | None = None) -> Clock:
    """Due 72 h after detection; done when the customers are notified (state `notified`).
    Not required when the case is not a breach or a decision says so, with its reason."""
    due = inc.detected_at + timedelta(hours=notice_hours())
    required = inc.state != State.NOT_BREACH and inc.notice_decision != NoticeDecision.NOT_REQUIRED
    return Clock("customer_notice", inc.detected_at, due, inc.notified_at, required, now)


def obligation(ob: Obligation, inc: Incident, now: datetime | None = None) -> Clock:
    required = ob.status != ObligationStatus.NOT_REQUIRED
    done = ob.filed_at if ob.status == ObligationStatus.FILED else None
    return Clock(f"obligation:{ob.pk}", inc.detected_at, ob.due_at, done, required, now)


def due(inc: Incident) -> dict[str, str]:
    """The API's `due`: {initial_handling, customer_notice} as ISO 8601 UTC times."""
    return {
        "initial_handling": str(iso(initial_handling(inc).due_at)),
        "customer_notice": str(iso(customer_notice(inc).due_at)),
    }
