"""R-B3 as an indicator: the share of customers with a recorded consent decision under the
privacy-notice version in force (target ≥ 95 %), as at the end of the period.

Counted: customers created before the period's end and not erased by then. Confirmed: those
with a ledger entry under the notice in force at the period's end, recorded before it.
The current period uses the version in force now (`services.current_notice`); a past one
the last version published before its end. No customers, or no notice yet: no value."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from baomi.catalog.enums import Channel
from baomi.contract.kpis import (
    AT_LEAST,
    MONTH,
    Drill,
    DrillRow,
    Indicator,
    Measurement,
    Period,
    is_current,
    share,
)
from baomi.customers.models import Customer

from . import platforms
from .models import ConsentEvent, PrivacyNotice

MAX_ROWS = 500  # customers listed in a drill-down (the counts are always complete)


def _notice(period: Period) -> PrivacyNotice | None:
    if is_current(period):
        from .services import current_notice

        return current_notice()
    return PrivacyNotice.objects.filter(published_at__lt=period.end).order_by("-version").first()


def _population(period: Period) -> tuple[PrivacyNotice | None, Any, Any]:
    """(notice in force, customers on file at the period's end, the "has a decision" test)."""
    notice = _notice(period)
    recorded = Exists(
        ConsentEvent.objects.filter(customer_id=OuterRef("pk"), notice=notice, at__lt=period.end)
    )
    qs = Customer.objects.filter(created_at__lt=period.end).filter(
        Q(erased_at__isnull=True) | Q(erased_at__gte=period.end)
    )
    return notice, qs, recorded


def consent_share(period: Period) -> Measurement:
    notice, qs, recorded = _population(period)
    if notice is None:
        return Measurement(None, "no_notice")
    agg = qs.aggregate(total=Count("id"), confirmed=Count("id", filter=Q(recorded)))
    total, confirmed = int(agg["total"]), int(agg["confirmed"])
    detail = {"notice_version": notice.version} if total else None
    return share(confirmed, total, "no_customers", detail=detail)


def drill(period: Period) -> Drill:
    """Per collection channel (aggregates), and the customers without a decision (ids,
    channel, date only — their profiles open through the gate)."""
    notice, qs, recorded = _population(period)
    if notice is None:
        return Drill([], [])
    labels = dict(Channel.choices)
    groups = [
        {
            "group": r["primary_channel"],
            "label": str(labels.get(r["primary_channel"], r["primary_channel"])),
            "total": r["total"],
            "counted": r["ok"],
        }
        for r in qs.values("primary_channel")
        .annotate(total=Count("id"), ok=Count("id", filter=Q(recorded)))
        .order_by("primary_channel")
    ]
    missing = qs.filter(~recorded).order_by("created_at", "id")
    rows = [
        DrillRow(
            id=str(c.id),
            cells={
                "channel": labels.get(c.primary_channel, c.primary_channel),
                "created_at": timezone.localtime(c.created_at).date().isoformat(),
            },
            counts=False,
            href=reverse("console:customer_detail", args=[c.id]),
        )
        for c in missing.only("id", "primary_channel", "created_at")[:MAX_ROWS]
    ]
    return Drill(groups, rows)


CONSENT_SHARE = Indicator(
    code="consent.confirmed_share",
    name_zh="客户知情同意确认率",
    name_en="Customers with a recorded consent decision",
    requirement="R-B3",
    target=95.0,
    direction=AT_LEAST,
    unit="%",
    period=MONTH,
    compute=consent_share,
    drill=drill,
    columns=(("channel", "采集渠道", "Channel"), ("created_at", "建档日期", "Created")),
    description_zh="期末在册客户中，已就现行隐私政策版本记录同意决定的比例。",
    description_en="Of the customers on file at the period's end, the share with a consent "
    "decision recorded under the privacy-notice version in force.",
    reasons=(
        ("no_notice", "期末尚未发布隐私政策", "No privacy notice published by the period's end"),
        ("no_customers", "期末没有在册客户", "No customers on file at the period's end"),
    ),
)


def _platform_drill(period: Any) -> Drill:
    at = platforms._as_of(period)
    rows = [
        DrillRow(
            id=s.platform.code,
            cells={
                "platform": s.platform.name,
                "shown": f"v{s.shown.version}" if s.shown else "—",
                "current": f"v{s.current.version}" if s.current else "—",
            },
            counts=s.in_time(at) if at else False,
            href="/privacy/platforms/",
        )
        for s in (platforms.standing(at) if at else [])
    ]
    return Drill([], rows)


def _visibility(period: Any) -> Any:
    return platforms.visibility(period)


def _in_time(period: Any) -> Any:
    return platforms.updated_in_time(period)


_PLATFORM_COLUMNS = (
    ("platform", "公示渠道", "Platform"),
    ("shown", "公示版本", "Version shown"),
    ("current", "现行版本", "Version in force"),
)
_PLATFORM_REASONS = (("no_platforms", "尚未登记公示渠道", "No notice platform registered"),)

NOTICE_VISIBILITY = Indicator(
    code="consent.notice_visibility",
    name_zh="隐私政策公示覆盖率",
    name_en="Platforms showing the privacy notice",
    requirement="R-B2",
    target=100.0,
    direction=AT_LEAST,
    unit="%",
    period=MONTH,
    compute=_visibility,
    drill=_platform_drill,
    columns=_PLATFORM_COLUMNS,
    description_zh="期末在用的公示渠道中，已公示隐私政策（任一版本）的比例。",
    description_en="Of the active platforms at the period's end, the share showing the "
    "privacy notice (any version).",
    reasons=_PLATFORM_REASONS,
)
NOTICE_UPDATED = Indicator(
    code="consent.notice_updated",
    name_zh="隐私政策变更后 3 个月内更新的渠道比例",
    name_en="Platforms updated within 3 months of a notice change",
    requirement="R-B2",
    target=100.0,
    direction=AT_LEAST,
    unit="%",
    period=MONTH,
    compute=_in_time,
    drill=_platform_drill,
    columns=_PLATFORM_COLUMNS,
    description_zh="期末在用的公示渠道中，已公示现行版本、或距版本变更未满 3 个月的比例。",
    description_en="Of the active platforms at the period's end, the share showing the "
    "version in force, or still within 3 months of the change.",
    reasons=_PLATFORM_REASONS,
)
