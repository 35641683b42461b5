"""The responsibility matrix (R-D7, issue #14 §3): every step of the information lifecycle
(collection, storage, use, sharing, destruction, incident response, training, inspection)
has a named owner and a deputy per site or department. Gaps (no owner) and departed
owners or deputies (account deactivated) are flagged on the dashboard.

Units are the organisation as a whole (`ORG`) plus every site and department on file
(training `Employment`) or already named in the matrix."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from baomi import audit
from baomi.access.services import require_role
from baomi.catalog.enums import Role
from baomi.core import clock
from baomi.core.errors import FieldIssue, ValidationFailed

from .enums import LifecycleStep, TrainingAction
from .models import Duty, Employment

ORG = "*"  # the whole organisation
EDITORS = (Role.HR, Role.PRIVACY_OFFICER)
Staff = get_user_model()


def _active(s: Any) -> bool:
    return bool(s is not None and s.is_active and s.deactivated_at is None)


def set_duty(actor: Any, step: str, unit: str, owner: str, deputy: str | None = None) -> Duty:
    require_role(actor, *EDITORS)
    issues = []
    if step not in LifecycleStep.values:
        issues.append(FieldIssue("step", "step_unknown", "unknown lifecycle step", "未知的环节"))
    unit = (unit or ORG).strip()[:64]
    people = {s.username: s for s in Staff.objects.filter(username__in=[owner, deputy or ""])}
    if owner not in people or not _active(people[owner]):
        issues.append(
            FieldIssue("owner", "owner_unknown", "an active member of staff", "应为在职员工")
        )
    if deputy and (deputy not in people or not _active(people[deputy])):
        issues.append(
            FieldIssue("deputy", "deputy_unknown", "an active member of staff", "应为在职员工")
        )
    if deputy and deputy == owner:
        issues.append(FieldIssue("deputy", "deputy_is_owner", "someone else", "不能与负责人相同"))
    if issues:
        raise ValidationFailed(issues)
    with transaction.atomic():
        duty, _ = Duty.objects.update_or_create(
            step=step,
            unit=unit,
            defaults={
                "owner": people[owner],
                "deputy": people.get(deputy) if deputy else None,
                "updated_at": clock.now(),
                "updated_by": actor,
            },
        )
        audit.record(
            TrainingAction.DUTY,
            actor,
            object_type="training_duty",
            object_id=duty.pk,
            detail={"step": step, "unit": unit, "owner": owner, "deputy": deputy or ""},
        )
    return duty


@dataclass(frozen=True)
class Cell:
    step: str
    unit: str
    owner: str
    deputy: str
    gap: bool  # nobody owns this step here
    departed: bool  # the owner or the deputy has left (account deactivated)
    no_deputy: bool


def units() -> list[str]:
    named = set(Duty.objects.values_list("unit", flat=True))
    for dept, site in Employment.objects.values_list("department", "site"):
        named |= {u for u in (dept, site) if u}
    named.discard(ORG)
    return [ORG, *sorted(named)]


def matrix() -> list[list[Cell]]:
    """One row per unit, one cell per lifecycle step (three queries)."""
    duties = {(d.step, d.unit): d for d in Duty.objects.select_related("owner", "deputy").all()}
    rows = []
    for unit in units():
        row = []
        for step in LifecycleStep.values:
            d = duties.get((step, unit))
            if d is None:
                row.append(Cell(step, unit, "", "", True, False, True))
                continue
            departed = not _active(d.owner) or (d.deputy is not None and not _active(d.deputy))
            row.append(
                Cell(
                    step,
                    unit,
                    d.owner.username,
                    d.deputy.username if d.deputy else "",
                    False,
                    departed,
                    d.deputy is None,
                )
            )
        rows.append(row)
    return rows


def flags() -> dict[str, int]:
    """Counts for the dashboard: steps without an owner (organisation-wide only: a site
    or department without its own owner falls back to the organisation's), and cells whose
    owner or deputy has left."""
    cells = [c for row in matrix() for c in row]
    return {
        "gaps": sum(1 for c in cells if c.gap and c.unit == ORG),
        "departed": sum(1 for c in cells if c.departed),
    }
