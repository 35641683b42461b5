"""Consent reads: state and history of one customer, the gate's batch lookup, the KPI."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q

from baomi.catalog.enums import Channel, Purpose
from baomi.customers.models import Customer

from .models import ConsentEvent, ConsentPurpose, ConsentState, PrivacyNotice
from .purposes import CONSENTS, GATE_CONSENT, asked

KPI_TARGET = 0.95  # R-B3: at least 95 % of customers confirmed


def consented(customer_ids: Iterable[uuid.UUID | str], purpose: Purpose) -> set[uuid.UUID]:
    """Of these customers, those whose latest decision for the consent tied to `purpose` is
    "given" — one query for the whole batch (the access gate calls this)."""
    code = GATE_CONSENT.get(purpose)
    ids = [uuid.UUID(str(c)) for c in customer_ids]
    if code is None or not ids:
        return set(ids) if code is None else set()
    return set(
        ConsentState.objects.filter(customer_id__in=ids, purpose=code, given=True).values_list(
            "customer_id", flat=True
        )
    )


@dataclass
class ConsentLine:
    purpose: str
    label_zh: str
    label_en: str
    text_zh: str
    text_en: str
    separate: bool
    industry: str
    given: bool | None  # None: never asked
    at: str | None
    channel: str
    method: str
    notice_version: int | None
    # a "no" never preceded by a "yes" is a refusal, not a withdrawal (issue #17 §5)
    refused: bool = False


def state_of(customer_id: uuid.UUID | str) -> list[ConsentLine]:
    yes_before = ConsentEvent.objects.filter(
        customer_id=OuterRef("customer_id"), purpose=OuterRef("purpose"), given=True
    )
    rows = {
        s.purpose: s
        for s in ConsentState.objects.filter(customer_id=customer_id)
        .select_related("event", "event__notice")
        .annotate(ever_given=Exists(yes_before))  # one query: refused vs withdrawn
    }
    out = []
    offered = asked()
    for spec in CONSENTS:
        s = rows.get(spec.code.value)
        if spec not in offered and s is None:  # not asked here, nothing on record
            continue
        out.append(
            ConsentLine(
                purpose=spec.code.value,
                label_zh=spec.label_zh,
                label_en=spec.label_en,
                text_zh=spec.text_zh,
                text_en=spec.text_en,
                separate=spec.separate,
                industry=spec.industry.value if spec.industry else "all",
                given=None if s is None else s.given,
                at=None if s is None else s.at.isoformat(),
                channel="" if s is None else s.event.channel,
                method="" if s is None else s.event.method,
                notice_version=None if s is None else s.event.notice.version,
                refused=s is not None and not s.given and not s.ever_given,
            )
        )
    return out


def history(customer_id: uuid.UUID | str) -> list[dict[str, Any]]:
    """Every decision, oldest first: codes, times and evidence — never staff names. A "no"
    before any "yes" for that purpose is `refused`; after one, a withdrawal."""
    seen: set[str] = set()

    def refused(purpose: str, given: bool) -> bool:
        if given:
            seen.add(purpose)
            return False
        return purpose not in seen

    return [
        {
            "purpose": e.purpose,
            "given": e.given,
            "refused": refused(e.purpose, e.given),
            "at": e.at.isoformat(),
            "channel": e.channel,
            "method": e.method,
            "notice_version": e.notice.version,
            "self_service": e.self_service,
            "operator_role": e.operator_role,
            "evidence": e.evidence,
        }
        for e in ConsentEvent.objects.filter(customer_id=customer_id)
        .select_related("notice")
        .order_by("at", "id")
    ]


def kpi(notice: PrivacyNotice | None = None) -> dict[str, Any]:
    """Share of (not erased) customers with a recorded consent decision under the notice
    version in force, overall and per channel (the customer's primary channel, where the
    data was collected). Target ≥ 95 % (R-B3). Two queries."""
    if notice is None:
        from .services import current_notice

        notice = current_notice()
    recorded = ConsentEvent.objects.filter(customer_id=OuterRef("pk"), notice=notice)
    rows = (
        Customer.objects.filter(erased_at__isnull=True)
        .values("primary_channel")
        .annotate(total=Count("id"), confirmed=Count("id", filter=Q(Exists(recorded))))
        .order_by("primary_channel")
    )
    labels = dict(Channel.choices)
    per_channel = []
    total = confirmed = 0
    for r in rows:
        t, c = int(r["total"]), int(r["confirmed"])
        total += t
        confirmed += c
        per_channel.append(
            {
                "channel": r["primary_channel"],
                "label": str(labels.get(r["primary_channel"], r["primary_channel"])),
                "total": t,
                "confirmed": c,
                "share": round(c / t, 4) if t else None,
                "meets_target": bool(t) and c / t >= KPI_TARGET,
            }
        )
    share = round(confirmed / total, 4) if total else None
    return {
        "notice_version": notice.version,
        "target": KPI_TARGET,
        "total": total,
        "confirmed": confirmed,
        "share": share,
        "meets_target": bool(total) and confirmed / total >= KPI_TARGET,
        "per_channel": per_channel,
    }


def notice_versions() -> Sequence[PrivacyNotice]:
    return list(PrivacyNotice.objects.order_by("-version").defer("content"))


def purposes() -> list[str]:
    return list(ConsentPurpose.values)


def given_now(
    consent: ConsentPurpose, customer_ids: Iterable[uuid.UUID] | None = None
) -> set[uuid.UUID]:
    """Customers (not erased; of `customer_ids` when given) whose latest decision for
    `consent` is "given" — a consent not tied to a gate purpose (profiling) asked by the
    domain that relies on it (insights, issue #18). One query."""
    rows = ConsentState.objects.filter(
        purpose=consent.value, given=True, customer__erased_at__isnull=True
    )
    if customer_ids is not None:
        rows = rows.filter(customer_id__in=list(customer_ids))
    return set(rows.values_list("customer_id", flat=True))
