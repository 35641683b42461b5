"""Shared helpers of the incidents domain: input parsing with bilingual errors, row ids,
the local calendar (Asia/Shanghai), role checks and the domain's audit event. Every other
module of the app imports these from here (no module imports `services` for them)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.dateparse import parse_datetime

from baomi import audit
from baomi.access.enums import Role
from baomi.core import clock
from baomi.core.errors import FieldIssue, Forbidden, NotFound, ValidationFailed

from .enums import IncidentAction, Step
from .models import Incident, PlanVersion


def invalid(field: str, code: str, en: str, zh: str) -> ValidationFailed:
    return ValidationFailed([FieldIssue(field, code, en, zh)])


def pk(value: object) -> int:
    """A row id from a form or path; anything that is not a positive integer is -1 (found
    by no query, so the caller answers 404 rather than a server error)."""
    text = str(value or "").strip()
    return int(text) if text.isdigit() and len(text) < 19 else -1


def require(actor: Any, roles: tuple[Role, ...]) -> None:
    if getattr(actor, "role_code", None) not in {r.value for r in roles}:
        raise Forbidden(
            f"this needs the role {' or '.join(r.value for r in roles)}", code="role_required"
        )


def event(action: IncidentAction, actor: Any, obj: Any, /, **detail: Any) -> None:
    """The domain's audit event (codes, ids and times only — never a text staff wrote)."""
    audit.record(
        action,
        actor,
        object_type=obj._meta.db_table[:32],
        object_id=obj.pk,
        detail=detail,
    )


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def local_today() -> date:
    """Today in the configured zone (Asia/Shanghai): due dates are local calendar days."""
    return clock.now().astimezone(local_zone()).date()


def parse_instant(value: object, field: str) -> datetime:
    """An ISO 8601 time; without an offset it is read in the configured zone (Asia/Shanghai),
    and stored in UTC."""
    if isinstance(value, datetime):
        dt = value
    else:
        text = str(value or "").strip()
        dt = parse_datetime(text) if text else None  # type: ignore[assignment]
        if dt is None:
            raise invalid(
                field,
                "invalid_datetime",
                "expected an ISO 8601 date and time",
                "应为 ISO 8601 日期时间（如 2026-11-03T09:30+08:00）",
            )
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=local_zone())
    return dt.astimezone(UTC)


def _choice(enum: Any, value: object, field: str, zh: str) -> Any:
    try:
        return enum(str(value or ""))
    except ValueError:
        codes = ", ".join(c.value for c in enum if c.value)
        raise invalid(
            field, "invalid_choice", f"one of: {codes}", f"{zh}无效，可选：{codes}"
        ) from None


def _text(value: object, field: str, limit: int, zh: str, *, required: bool = True) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise invalid(field, "required", "this field is required", f"请填写{zh}")
    if len(text) > limit:
        raise invalid(field, "too_long", f"at most {limit} characters", f"{zh}最多 {limit} 个字")
    return text


# who works cases: the privacy officer and the security administrator run them; the
# security auditor (who works audit alerts) may open one from an alert and scope it
CASE_ROLES = (Role.PRIVACY_OFFICER, Role.SECURITY_ADMIN)
OPEN_ROLES = (Role.PRIVACY_OFFICER, Role.SECURITY_ADMIN, Role.SECURITY_AUDITOR)
# whistle-blowing reports reach the privacy officer and the auditor (R-D8)
WHISTLE_READERS = (Role.PRIVACY_OFFICER, Role.SECURITY_AUDITOR)


def current_plan() -> PlanVersion | None:
    return PlanVersion.objects.order_by("-version").first()


def default_duties() -> dict[str, dict[str, str]]:
    """The owner of each step before any plan is published (R-D7)."""
    return {
        Step.TRIAGE: {"department": "信息安全部", "role": Role.SECURITY_ADMIN.value},
        Step.CONTAIN: {"department": "信息安全部", "role": Role.SECURITY_ADMIN.value},
        Step.SCOPE: {"department": "审计", "role": Role.SECURITY_AUDITOR.value},
        Step.NOTIFY: {"department": "隐私保护办公室", "role": Role.PRIVACY_OFFICER.value},
        Step.AUTHORITIES: {"department": "隐私保护办公室", "role": Role.PRIVACY_OFFICER.value},
        Step.REVIEW: {"department": "隐私保护办公室", "role": Role.PRIVACY_OFFICER.value},
    }


def get(incident_id: object, *, lock: bool = False) -> Incident:
    qs = Incident.objects.select_for_update() if lock else Incident.objects
    try:
        inc = qs.filter(pk=pk(incident_id)).first()
    except ValueError:
        inc = None
    if inc is None:
        raise NotFound("no such incident", code="incident_not_found")
    return inc
