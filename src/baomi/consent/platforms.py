"""Where the privacy notice is published (R-B2: visible on 100 % of platforms, every platform
updated within 3 months of a change). The privacy officer registers the platforms and
records each posting of a version with its evidence; the two indicators are computed from
this register and the notice's own version history — as of the period's end."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction

from baomi import audit
from baomi.access.enums import Role
from baomi.catalog.enums import Channel
from baomi.contract import kpis
from baomi.core import clock
from baomi.core.errors import Conflict, Forbidden, NotFound
from baomi.core.inputs import invalid, text

from .models import NoticeAction, NoticePlatform, NoticePublication, PrivacyNotice

UPDATE_MONTHS = 3
EDITORS = frozenset({Role.PRIVACY_OFFICER.value})


def _require(actor: Any) -> None:
    if str(getattr(actor, "role_code", "")) not in EDITORS:
        raise Forbidden("the privacy officer keeps the notice register", code="role_required")


@transaction.atomic
def add_platform(actor: Any, *, code: object, channel: object, name: object) -> NoticePlatform:
    _require(actor)
    c = text(code, "code", "编号", 32).lower()
    if str(channel) not in Channel.values:
        raise invalid("channel", "invalid_choice", "a channel code", "渠道无效")
    try:
        with transaction.atomic():
            p = NoticePlatform.objects.create(
                code=c,
                channel=str(channel),
                name=text(name, "name", "名称", 120),
                added_at=clock.now(),
            )
    except IntegrityError:
        raise Conflict("a platform with this code exists", code="platform_exists") from None
    audit.record(
        NoticeAction.PLATFORM_ADDED,
        actor,
        object_type="notice_platform",
        object_id=p.pk,
        detail={"code": c},
    )
    return p


@transaction.atomic
def retire_platform(actor: Any, code: object) -> NoticePlatform:
    _require(actor)
    p = NoticePlatform.objects.filter(code=str(code or "").strip().lower(), active=True).first()
    if p is None:
        raise NotFound("no such active platform", code="platform_not_found")
    p.active = False
    p.save(update_fields=["active"])
    audit.record(
        NoticeAction.PLATFORM_RETIRED, actor, object_type="notice_platform", object_id=p.pk
    )
    return p


@transaction.atomic
def record_posting(
    actor: Any, *, platform: object, version: object = None, evidence: object, at: object = None
) -> NoticePublication:
    """Version `version` (default: the one in force) is up on `platform` since `at`."""
    _require(actor)
    p = NoticePlatform.objects.filter(code=str(platform or "").strip().lower(), active=True).first()
    if p is None:
        raise NotFound("no such active platform", code="platform_not_found")
    if version in (None, ""):
        notice = PrivacyNotice.objects.order_by("-version").first()
    else:
        try:
            notice = PrivacyNotice.objects.filter(version=int(str(version))).first()
        except ValueError:
            notice = None
    if notice is None:
        raise invalid(
            "version", "unknown_version", "no such notice version", "没有这个版本的隐私政策"
        )
    when = clock.now()
    if at not in (None, ""):
        from django.utils.dateparse import parse_datetime

        parsed = at if isinstance(at, datetime) else parse_datetime(str(at))
        if parsed is None or parsed.tzinfo is None:
            raise invalid("at", "invalid_datetime", "an ISO time with offset", "应为带时区的时间")
        if parsed > when or parsed < notice.published_at:
            raise invalid(
                "at",
                "out_of_range",
                "between the version's publication and now",
                "应在该版本发布之后且不晚于现在",
            )
        when = parsed
    row = NoticePublication.objects.create(
        platform=p,
        notice=notice,
        posted_at=when,
        posted_by_id=getattr(actor, "pk", None),
        evidence=text(evidence, "evidence", "证据（网址、照片编号等）", 300),
    )
    audit.record(
        NoticeAction.POSTED,
        actor,
        object_type="notice_platform",
        object_id=p.pk,
        detail={"version": notice.version, "posted_at": when.isoformat()},
    )
    return row


@dataclass(frozen=True)
class Standing:
    platform: NoticePlatform
    shown: PrivacyNotice | None  # the newest version posted there by `as_of`
    posted_at: datetime | None
    current: PrivacyNotice | None  # the version in force at `as_of`
    due_by: datetime | None  # when the current version must be up there

    @property
    def visible(self) -> bool:
        return self.shown is not None

    @property
    def up_to_date(self) -> bool:
        return (
            self.current is not None
            and self.shown is not None
            and self.shown.version >= self.current.version
        )

    def in_time(self, as_of: datetime) -> bool:
        """Current, or still within 3 months of the change."""
        return self.up_to_date or (self.due_by is not None and as_of <= self.due_by)


def standing(as_of: datetime | None = None) -> list[Standing]:
    at = as_of or clock.now()
    current = PrivacyNotice.objects.filter(published_at__lte=at).order_by("-version").first()
    due = clock.add_months(current.published_at, UPDATE_MONTHS) if current else None
    out = []
    for p in NoticePlatform.objects.filter(added_at__lte=at).order_by("code"):
        if not p.active:
            continue
        last = (
            p.publications.filter(posted_at__lte=at)
            .select_related("notice")
            .order_by("-notice__version", "-posted_at")
            .first()
        )
        out.append(
            Standing(
                p, last.notice if last else None, last.posted_at if last else None, current, due
            )
        )
    return out


def _as_of(period: kpis.Period) -> datetime | None:
    if period.start > clock.now():
        return None
    return min(period.end, clock.now())


def visibility(period: kpis.Period) -> kpis.Measurement:
    at = _as_of(period)
    if at is None:
        return kpis.Measurement(None, "period_in_future")
    rows = standing(at)
    return kpis.share(sum(1 for r in rows if r.visible), len(rows), "no_platforms")


def updated_in_time(period: kpis.Period) -> kpis.Measurement:
    at = _as_of(period)
    if at is None:
        return kpis.Measurement(None, "period_in_future")
    rows = standing(at)
    return kpis.share(sum(1 for r in rows if r.in_time(at)), len(rows), "no_platforms")
