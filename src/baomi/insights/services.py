"""Insights services (issue #18): the segment run, k-suppression, campaigns.

* Population: live customers whose `profiling` consent is current now; the gate's bulk
  analysis path (`gate.process_records`, purpose `marketing`) then leaves out anyone
  closed for marketing (no marketing consent, a restriction, merged away) — decision 0036.
  A withdrawal therefore takes effect on the next run: nothing about a customer is kept
  between runs (no membership table), so every segment and send list is built anew.
* Pseudonyms: inside the gate's callback each customer id becomes an HMAC under a key
  drawn for this run (`secrets.token_bytes`) and never stored; profiles are keyed by it
  and die with the run. Only counts and averages of groups are written.
* Suppression: a size 1..k-1 is `below_k`; a shown segment nested in another shown one
  (or in everyone analysed) whose difference is 1..k-1 is `differencing`; a family that
  partitions its base (lifecycle stages, values of one preference) with one suppressed
  member gets its next smallest suppressed too (`complementary`).
* Campaigns: segment + purpose + channel + message. The send resolves the audience anew
  (profiling and marketing consent now, restrictions) inside the sender; the outbox row
  (`CampaignMessage`) is the delivery with the outbox sender. Marketing sees counts.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction

from baomi import audit
from baomi.access.services import require_role
from baomi.catalog.enums import Purpose, Role
from baomi.consent.models import ConsentPurpose
from baomi.consent.selectors import given_now
from baomi.contract.kpis import current_period
from baomi.core import clock
from baomi.core.errors import Conflict, FieldIssue, NotFound, ValidationFailed
from baomi.customers import gate
from baomi.customers.models import Booking, Customer, Shipment, Stay
from baomi.portal.senders import get_sender

from . import recommend
from .enums import CampaignChannel, CampaignState, InsightsAction, MessageStatus
from .models import Campaign, CampaignMessage, InsightRun, Recommendations, SegmentSize
from .segments import BY_CODE, SEGMENTS, Profile, build_profile, rfm_scores

P = Purpose.MARKETING
EVERYONE = "_all"  # the pseudo-segment of everyone analysed (its size is published)
READ = {"customer": ["preferences"], "booking": ["amount", "product"], "stay": ["spend"]}
RECORDS = (Booking, Stay, Shipment)


def k_min() -> int:
    return max(2, int(getattr(settings, "BAOMI_INSIGHTS_K", 10)))


def _pseudonymiser() -> Callable[[uuid.UUID], str]:
    key = secrets.token_bytes(32)  # per run, never stored: pseudonyms die with the run

    def pseudonym(cid: uuid.UUID) -> str:
        return hmac.new(key, cid.bytes, hashlib.sha256).hexdigest()[:32]

    return pseudonym


@dataclass
class Evaluation:
    """One run's in-memory result: pseudonymous profiles and memberships (never stored)."""

    at: datetime
    considered: int
    profiling: int
    candidates: list[uuid.UUID]
    pseudonym: Callable[[uuid.UUID], str]
    profiles: dict[str, Profile] = field(default_factory=dict)
    members: dict[str, set[str]] = field(default_factory=dict)


def evaluate(actor: Any, *, marketing_only: bool = False) -> Evaluation:
    """Read consented customers through the gate and place their profiles in segments."""
    now = clock.now()
    considered = Customer.objects.filter(erased_at__isnull=True).count()
    ids = given_now(ConsentPurpose.PROFILING)
    profiling = len(ids)
    if marketing_only:
        ids &= given_now(ConsentPurpose.MARKETING, ids)
    pseudonym = _pseudonymiser()
    ev = Evaluation(now, considered, profiling, sorted(ids), pseudonym)

    def analyse(values: dict[uuid.UUID, dict[str, Any]]) -> dict[str, Profile]:
        return {pseudonym(cid): build_profile(v, now) for cid, v in values.items()}

    ev.profiles = gate.process_records(actor, P, ev.candidates, READ, analyse) if ids else {}
    for seg in SEGMENTS:
        ev.members[seg.code] = {ps for ps, p in ev.profiles.items() if seg.test(p, now)}
    return ev


def suppress(members: dict[str, set[str]], k: int, families: dict[str, str]) -> dict[str, str]:
    """code → reason for every group whose size must not be shown (see module doc)."""
    reasons = {c: "below_k" for c, m in members.items() if 0 < len(m) < k}
    changed = True
    while changed:
        changed = False
        shown = sorted((c for c in members if c not in reasons), key=lambda c: len(members[c]))
        for i, small in enumerate(shown):
            ms = members[small]
            for big in shown[i + 1 :]:
                mb = members[big]
                if 0 < len(mb) - len(ms) < k and ms <= mb:
                    reasons[small] = "differencing"
                    changed = True
                    break
            if changed:
                break
        by_family: dict[str, list[str]] = {}
        for c, fam in families.items():
            if c in members:
                by_family.setdefault(fam, []).append(c)
        for codes in by_family.values():
            hidden = [c for c in codes if c in reasons and members[c]]
            visible = sorted(
                (c for c in codes if c not in reasons and members[c]), key=lambda c: len(members[c])
            )
            if len(hidden) == 1 and visible:
                reasons[visible[0]] = "complementary"
                changed = True
    reasons.pop(EVERYONE, None)
    return reasons


def cells_view(cells: dict[str, int], k: int) -> dict[str, int | None]:
    """A breakdown whose total is known: cells 1..k-1 hidden (None), and when exactly one
    is hidden the next smallest too, so no cell follows from the others."""
    hidden = {c for c, n in cells.items() if 0 < n < k}
    if len(hidden) == 1:
        rest = sorted((c for c, n in cells.items() if c not in hidden and n), key=cells.__getitem__)
        if rest:
            hidden.add(rest[0])
    return {c: (None if c in hidden else n) for c, n in cells.items()}


def _averages(
    seg_industry: str, profiles: Iterable[Profile], now: datetime
) -> tuple[float | None, ...]:
    rec, freq, money = [], [], []
    for p in profiles:
        acts = (
            [p.activity[seg_industry]] if seg_industry in p.activity else list(p.activity.values())
        )
        if seg_industry and seg_industry not in p.activity:
            acts = []
        if not acts:
            continue
        last = max(a.last for a in acts)
        rec.append((now - last).total_seconds() / 86400)
        freq.append(sum(a.count_year for a in acts))
        spends = [a.spend_year for a in acts if a.spend_year is not None]
        if spends:
            money.append(float(sum(spends, Decimal(0))))

    def mean(xs: list[float]) -> float | None:
        return round(sum(xs) / len(xs), 1) if xs else None

    return mean(rec), mean([float(f) for f in freq]), mean(money)


@transaction.atomic
def run(actor: Any) -> InsightRun:
    """Compute every segment now and store the sizes (counts only) for this month."""
    require_role(actor, Role.MARKETING)
    k = k_min()
    ev = evaluate(actor)
    members = dict(ev.members)
    members[EVERYONE] = set(ev.profiles)
    families = {s.code: s.family for s in SEGMENTS if s.family}
    reasons = suppress(members, k, families)
    rfm: dict[str, dict[str, int]] = {}
    for p in ev.profiles.values():
        for industry, cell in rfm_scores(p, ev.at).items():
            bucket = rfm.setdefault(industry, {})
            for dim, score in cell.items():
                key = f"{dim}{score}"
                bucket[key] = bucket.get(key, 0) + 1
    segmented = {ps for seg in SEGMENTS for ps in ev.members[seg.code]}
    r = InsightRun.objects.create(
        period=current_period("month", ev.at).code,
        started_at=ev.at,
        finished_at=clock.now(),
        k=k,
        considered=ev.considered,
        profiling=ev.profiling,
        analysed=len(ev.profiles),
        segmented=len(segmented),
        rfm=rfm,
        run_by_role=str(actor.role_code),
    )
    rows = []
    for seg in SEGMENTS:
        m = ev.members[seg.code]
        avg: tuple[float | None, ...] = (None, None, None)
        if m and seg.code not in reasons:
            avg = _averages(seg.industry, (ev.profiles[ps] for ps in m), ev.at)
        rows.append(
            SegmentSize(
                run=r,
                code=seg.code,
                version=seg.version,
                kind=seg.kind,
                industry=seg.industry,
                size=len(m),
                suppressed=reasons.get(seg.code, ""),
                avg_recency_days=avg[0],
                avg_frequency=avg[1],
                avg_monetary=avg[2],
            )
        )
    SegmentSize.objects.bulk_create(rows)
    model = recommend.train((p.products for p in ev.profiles.values()), min_support=k)
    Recommendations.objects.create(
        run=r, customers=model.customers, buyers=model.buyers, pairs=model.pairs
    )
    audit.record(
        InsightsAction.RUN,
        actor,
        purpose=P,
        object_type="insights_run",
        object_id=r.pk,
        detail={
            "considered": r.considered,
            "profiling": r.profiling,
            "analysed": r.analysed,
            "segments": len(rows),
            "k": k,
        },
    )
    return r


# -- campaigns -----------------------------------------------------------------------------
def _issue(fld: str, code: str, en: str, zh: str) -> ValidationFailed:
    return ValidationFailed([FieldIssue(fld, code, en, zh)])


def create_campaign(actor: Any, data: dict[str, Any]) -> Campaign:
    require_role(actor, Role.MARKETING)
    gate.check_purpose(actor, P)
    issues: list[FieldIssue] = []
    name = str(data.get("name") or "").strip()
    if not 1 <= len(name) <= 120:
        issues.append(
            FieldIssue(
                "name", "name_invalid", "a name of 1–120 characters", "名称须为 1–120 个字符"
            )
        )
    seg = BY_CODE.get(str(data.get("segment") or ""))
    if seg is None:
        issues.append(FieldIssue("segment", "segment_unknown", "unknown segment", "未知客户分群"))
    channel = str(data.get("channel") or "")
    if channel not in CampaignChannel.values:
        issues.append(
            FieldIssue(
                "channel",
                "channel_invalid",
                "sms, email or wechat",
                "渠道须为 sms、email 或 wechat",
            )
        )
    purpose = str(data.get("purpose") or P.value)
    if purpose != P.value:
        issues.append(
            FieldIssue(
                "purpose",
                "purpose_invalid",
                "campaigns are for marketing only",
                "营销活动仅用于营销目的",
            )
        )
    zh = str(data.get("template_zh") or "").strip()
    en = str(data.get("template_en") or "").strip()
    if not 1 <= len(zh) <= 500 or len(en) > 500:
        issues.append(
            FieldIssue(
                "template_zh",
                "template_invalid",
                "a message of 1–500 characters",
                "消息须为 1–500 个字符",
            )
        )
    try:
        raw: Any = data.get("window_days")
        window = 30 if raw is None or raw == "" else int(raw)
    except (TypeError, ValueError):
        window = 0
    if not 1 <= window <= 180:
        issues.append(FieldIssue("window_days", "window_invalid", "1–180 days", "须为 1–180 天"))
    if issues or seg is None:
        raise ValidationFailed(issues)
    c = Campaign.objects.create(
        name=name,
        segment=seg.code,
        segment_version=seg.version,
        purpose=P.value,
        channel=channel,
        template_zh=zh,
        template_en=en,
        window_days=window,
        state=CampaignState.DRAFT,
        created_by_role=str(actor.role_code),
        created_at=clock.now(),
    )
    audit.record(
        InsightsAction.CAMPAIGN_CREATED,
        actor,
        purpose=P,
        object_type="insights_campaign",
        object_id=c.pk,
        detail={"segment": seg.code, "version": seg.version, "channel": channel},
    )
    return c


def get_campaign(campaign_id: object) -> Campaign:
    try:
        return Campaign.objects.get(pk=uuid.UUID(str(campaign_id)))
    except (ValueError, Campaign.DoesNotExist):
        raise NotFound("no such campaign", code="campaign_not_found") from None


@transaction.atomic
def send_campaign(actor: Any, campaign_id: object) -> Campaign:
    """Resolve the audience now — profiling and marketing consent current, not restricted,
    in the segment under its current rules — inside the sender, and hand it to the outbox.
    Refused (nothing written) when the audience is smaller than k."""
    require_role(actor, Role.MARKETING)
    c = get_campaign(campaign_id)
    if c.state != CampaignState.DRAFT:
        raise Conflict("this campaign was already sent", code="campaign_sent")
    seg = BY_CODE[c.segment]
    if seg.version != c.segment_version:
        raise Conflict(
            "the segment's rules changed since the campaign was made", code="segment_changed"
        )
    ev = evaluate(actor, marketing_only=True)
    back = {ev.pseudonym(cid): cid for cid in ev.candidates}  # inside the sender only
    audience = sorted(back[ps] for ps in ev.members[seg.code])
    k = k_min()
    if len(audience) < k:
        raise _issue(
            "segment",
            "audience_below_k",
            f"fewer than {k} customers may be contacted: nothing sent",
            f"可联系的客户少于 {k} 人：未发送",
        )
    now = clock.now()
    outbox = get_sender().name == "outbox"  # the row is the delivery (as feedback / notices)
    status = MessageStatus.SENT if outbox else MessageStatus.QUEUED
    CampaignMessage.objects.bulk_create(
        CampaignMessage(
            campaign=c,
            customer_id=cid,
            channel=c.channel,
            status=status,
            created_at=now,
            sent_at=now if outbox else None,
        )
        for cid in audience
    )
    c.state = CampaignState.SENT
    c.sent_at = now
    c.audience = len(audience)
    c.excluded = {
        "no_profiling_consent": ev.considered - ev.profiling,
        "no_marketing_consent": ev.profiling - len(ev.candidates),
        "closed": len(ev.candidates) - len(ev.profiles),
    }
    # the audience size is a segment size: the same checks as a run's (decision 0037)
    members = dict(ev.members)
    members[EVERYONE] = set(ev.profiles)
    families = {s.code: s.family for s in SEGMENTS if s.family}
    c.audience_suppressed = suppress(members, k, families).get(seg.code, "")
    c.save(update_fields=["state", "sent_at", "audience", "excluded", "audience_suppressed"])
    audit.record(
        InsightsAction.CAMPAIGN_SENT,
        actor,
        purpose=P,
        object_type="insights_campaign",
        object_id=c.pk,
        detail={"segment": seg.code, "audience": len(audience), "status": status},
    )
    return c


def _converted(customer_ids: set[uuid.UUID], start: datetime, end: datetime) -> set[uuid.UUID]:
    out: set[uuid.UUID] = set()
    for model in RECORDS:
        out |= set(
            model.objects.filter(
                customer_id__in=list(customer_ids), created_at__gt=start, created_at__lte=end
            ).values_list("customer_id", flat=True)
        )
    return out


@dataclass(frozen=True)
class Results:
    recipients: int | None
    converted: int | None
    rate: float | None
    suppressed: str
    window_end: datetime | None
    complete: bool


def conversion(c: Campaign) -> tuple[int, int]:
    """(recipients, of them with a booking / stay / shipment within the window)."""
    if c.sent_at is None:
        return 0, 0
    ids = set(
        CampaignMessage.objects.filter(campaign=c, customer__isnull=False).values_list(
            "customer_id", flat=True
        )
    )
    end = c.sent_at + timedelta(days=c.window_days)
    return len(ids), len(_converted(ids, c.sent_at, end))


def results(c: Campaign) -> Results:
    """Aggregates only: counts below k (converted or not converted) are not shown."""
    if c.sent_at is None:
        return Results(0, None, None, "not_sent", None, False)
    k = k_min()
    n, conv = conversion(c)
    end = c.sent_at + timedelta(days=c.window_days)
    complete = clock.now() >= end
    if c.audience_suppressed:  # the size would single people out: no count at all
        return Results(None, None, None, c.audience_suppressed, end, complete)
    if n < k or 0 < conv < k or 0 < n - conv < k:
        return Results(n if n >= k else None, None, None, "below_k", end, complete)
    return Results(n, conv, round(100 * conv / n, 2), "", end, complete)


def erase(customer_id: uuid.UUID) -> int:
    """Erasure: the campaign outbox forgets the customer (counts of past sends stay)."""
    return CampaignMessage.objects.filter(customer_id=customer_id).update(customer=None)
