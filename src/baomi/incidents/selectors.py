"""Reads of the incidents domain: the case list with clocks, due counts for the console
banner, whistle-blowing and assessment summaries. No personal values here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Prefetch

from baomi.audit.models import Alert, AlertState
from baomi.core import clock

from . import clocks
from .enums import OPEN_STATES, FindingState, ObligationStatus, WhistleState
from .inputs import current_plan, default_duties, local_today
from .models import Assessment, Finding, Incident, Obligation, WhistleReport


@dataclass
class Row:
    incident: Incident
    initial: clocks.Clock
    notice: clocks.Clock
    obligations: list[tuple[Obligation, clocks.Clock]] = field(default_factory=list)

    @property
    def clocks(self) -> list[clocks.Clock]:
        return [self.initial, self.notice, *(c for _, c in self.obligations)]

    @property
    def overdue(self) -> bool:
        return any(c.overdue for c in self.clocks)

    @property
    def near_due(self) -> bool:
        return not self.overdue and any(c.near_due for c in self.clocks)

    @property
    def next_due(self) -> datetime | None:
        pending = [c.due_at for c in self.clocks if c.required and c.done_at is None]
        return min(pending) if pending else None


def row(inc: Incident, now: datetime | None = None) -> Row:
    now = now or clock.now()
    obs = list(inc.obligations.all())
    return Row(
        inc,
        clocks.initial_handling(inc, now),
        clocks.customer_notice(inc, now),
        [(o, clocks.obligation(o, inc, now)) for o in obs],
    )


def cases(*, include_closed: bool = False, drills: bool | None = False) -> list[Row]:
    """Cases with their clocks, most urgent first (two queries, whatever the count)."""
    qs = Incident.objects.prefetch_related(
        Prefetch("obligations", queryset=Obligation.objects.select_related("rule"))
    )
    if not include_closed:
        qs = qs.filter(state__in=OPEN_STATES)
    if drills is not None:
        qs = qs.filter(drill=drills)
    now = clock.now()
    rows = [row(i, now) for i in qs.order_by("-detected_at")[:500]]
    far = datetime.max.replace(tzinfo=now.tzinfo)
    rows.sort(key=lambda r: (not r.overdue, not r.near_due, r.next_due or far))
    return rows


def due_counts() -> dict[str, int]:
    rows = cases()
    return {
        "overdue": sum(r.overdue for r in rows),
        "near_due": sum(r.near_due for r in rows),
        "open": len(rows),
    }


def plan_roles() -> set[str]:
    """The roles named in the current plan's duties (the people on the plan)."""
    plan = current_plan()
    duties = plan.duties if plan else default_duties()
    return {str(d.get("role")) for d in duties.values() if isinstance(d, dict)}


def banner(role: str) -> dict[str, int] | None:
    """Overdue / near-due cases for the console banner of the people on the plan; None when
    there is nothing to say or the role is not on the plan."""
    if role not in plan_roles():
        return None
    due = due_counts()
    return due if due["overdue"] or due["near_due"] else None


def new_whistle_reports() -> int:
    return WhistleReport.objects.filter(state=WhistleState.NEW).count()


def open_findings_past_due() -> list[Finding]:
    today = local_today()
    return list(
        Finding.objects.filter(
            state__in=[FindingState.OPEN, FindingState.FIXED], due_on__lt=today
        ).select_related("assessment")
    )


def latest_storage_assessment() -> Assessment | None:
    return Assessment.objects.filter(checks__isnull=False).order_by("-performed_on", "-id").first()


def storage_share(a: Assessment | None) -> tuple[int, int]:
    if a is None:
        return 0, 0
    checks = list(a.checks.all())
    return sum(c.passed for c in checks), len(checks)


def pending_obligations() -> int:
    return Obligation.objects.filter(
        status=ObligationStatus.PENDING, incident__state__in=OPEN_STATES, incident__drill=False
    ).count()


def alerts_without_incident(limit: int = 20) -> list[Any]:
    """Open audit alerts that no case links yet (one click opens one)."""
    linked = Incident.objects.filter(alert__isnull=False).values("alert_id")
    return list(
        Alert.objects.exclude(state=AlertState.CLOSED)
        .exclude(pk__in=linked)
        .order_by("-id")[:limit]
    )
