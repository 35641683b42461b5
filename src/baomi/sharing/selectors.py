"""Reads of the third-party register: a partner's standing (computed), the register with
audit status, a customer's disclosures, partners to notify, and the indicators (R-G2, R-C3)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Max, Q

from baomi.audit.models import AuditEvent
from baomi.consent.models import ConsentPurpose, ConsentState
from baomi.core import clock
from baomi.customers.models import Customer

from .models import (
    Agreement,
    AuditFinding,
    Delivery,
    Disclosure,
    DisclosureItem,
    DisclosureState,
    LawfulRequest,
    LawfulState,
    NoticeCause,
    Partner,
    PartnerAudit,
    PartnerNotice,
    Standing,
)

EXPIRY_WARNING_DAYS = 30
AUDIT_WINDOW = dt.timedelta(days=365)


def today() -> dt.date:
    from django.utils import timezone

    return timezone.localdate(clock.now())


def agreement_on(partner: Partner, day: dt.date) -> Agreement | None:
    """The agreement in force on `day`: the latest signed whose term covers it."""
    return (
        Agreement.objects.filter(partner=partner, signed_on__lte=day, expires_on__gte=day)
        .order_by("-signed_on", "-pk")
        .first()
    )


@dataclass
class PartnerStanding:
    standing: Standing
    agreement: Agreement | None
    reason: str = ""  # suspension reason code when suspended

    @property
    def active(self) -> bool:
        return self.standing == Standing.ACTIVE


def standing(
    partner: Partner, day: dt.date | None = None, agreements: Sequence[Agreement] | None = None
) -> PartnerStanding:
    """`agreements`: the partner's agreements, latest signed first, when already loaded."""
    day = day or today()
    if agreements is None:
        agreement = agreement_on(partner, day)
        ever = agreement is not None or (
            Agreement.objects.filter(partner=partner, signed_on__lte=day).exists()
        )
    else:
        signed = [a for a in agreements if a.signed_on <= day]
        agreement = next((a for a in signed if a.expires_on >= day), None)
        ever = bool(signed)
    if agreement is None:
        return PartnerStanding(
            Standing.AGREEMENT_EXPIRED if ever else Standing.AGREEMENT_MISSING, None
        )
    if partner.suspended_at is not None:
        return PartnerStanding(Standing.SUSPENDED, agreement, partner.suspension_reason)
    return PartnerStanding(Standing.ACTIVE, agreement)


@dataclass
class RegisterRow:
    partner: Partner
    standing: PartnerStanding
    last_audit: PartnerAudit | None
    audit_due: bool  # no audit in the last 12 months
    expiring: bool  # the agreement in force ends within 30 days
    open_findings: int
    overdue_findings: int = 0


def register(day: dt.date | None = None) -> list[RegisterRow]:
    day = day or today()
    partners = list(Partner.objects.order_by("name"))
    last: dict[int, PartnerAudit] = {}
    for row in PartnerAudit.objects.filter(partner__in=partners).order_by(
        "partner_id", "audited_on", "pk"
    ):
        last[row.partner_id] = row
    open_f = dict(
        AuditFinding.objects.filter(closed_on__isnull=True)
        .values_list("audit__partner_id")
        .annotate(n=Count("id"))
        .values_list("audit__partner_id", "n")
    )
    overdue_f = dict(
        AuditFinding.objects.filter(closed_on__isnull=True, due_on__lt=day)
        .values_list("audit__partner_id")
        .annotate(n=Count("id"))
        .values_list("audit__partner_id", "n")
    )
    agreements: dict[int, list[Agreement]] = {}
    for ag in Agreement.objects.filter(partner__in=partners).order_by("-signed_on", "-pk"):
        agreements.setdefault(ag.partner_id, []).append(ag)
    rows = []
    for p in partners:
        mine = agreements.get(p.pk, [])
        st = standing(p, day, mine)
        a = last.get(p.pk)
        rows.append(
            RegisterRow(
                partner=p,
                standing=st,
                last_audit=a,
                audit_due=a is None or a.audited_on <= day - AUDIT_WINDOW,
                expiring=bool(
                    st.agreement
                    and st.agreement.expires_on <= day + dt.timedelta(days=EXPIRY_WARNING_DAYS)
                    and not any(x.expires_on > st.agreement.expires_on for x in mine)
                ),
                open_findings=open_f.get(p.pk, 0),
                overdue_findings=overdue_f.get(p.pk, 0),
            )
        )
    return rows


def partner_detail(partner_id: int) -> dict[str, Any] | None:
    partner = Partner.objects.filter(pk=partner_id).first()
    if partner is None:
        return None
    return {
        "partner": partner,
        "standing": standing(partner),
        "agreements": list(partner.agreements.order_by("-signed_on", "-pk")),
        "audits": list(partner.audits.order_by("-audited_on", "-pk").prefetch_related("findings")),
        "disclosures": list(partner.disclosures.order_by("-created_at")[:50]),
    }


# -- a customer's disclosures (access copy, 360 page) ---------------------------------------
@dataclass
class SharedLine:
    disclosure_id: int
    partner: str
    partner_kind: str
    data_location: str
    purpose: str
    fields: list[str]
    at: dt.datetime
    state: str


def shared_with(customer_id: uuid.UUID | str) -> list[SharedLine]:
    """Every disclosure that included this customer: partner, date, purpose, fields (names,
    never values). One query."""
    items = (
        DisclosureItem.objects.filter(customer_id=customer_id, included=True)
        .select_related("disclosure__partner")
        .order_by("-disclosure__created_at")
    )
    return [
        SharedLine(
            disclosure_id=i.disclosure_id,
            partner=i.disclosure.partner.name,
            partner_kind=i.disclosure.partner.kind,
            data_location=i.disclosure.partner.data_location,
            purpose=i.disclosure.purpose,
            fields=list(i.disclosure.fields),
            at=i.disclosure.created_at,
            state=i.disclosure.state,
        )
        for i in items
    ]


def lawful_requests_of(customer_id: uuid.UUID | str) -> list[LawfulRequest]:
    """Lawful requests that named the customer and are no longer under a legal hold."""
    cid = str(customer_id)
    return [
        r
        for r in LawfulRequest.objects.filter(customers_notified_at__isnull=False).order_by(
            "registered_at"
        )
        if cid in r.customer_ids
    ]


# -- partners to notify --------------------------------------------------------------------
@dataclass
class ToNotify:
    partner: Partner
    customer_id: uuid.UUID
    cause: NoticeCause
    since: dt.datetime  # withdrawal or erasure time
    disclosures: list[int] = field(default_factory=list)


def to_notify(customer_ids: Sequence[uuid.UUID] | None = None) -> list[ToNotify]:
    """Partners that received a customer's data before the customer withdrew
    `partner_sharing` (or `cross_border`, for a partner abroad) or was erased, and have not
    been told yet. Derived from the consent ledger, the tombstones and the register —
    nothing to forget to call. The candidates are found in the database (subqueries on
    withdrawn / erased customers), not by walking every disclosure."""
    withdrawals = ConsentState.objects.filter(
        purpose__in=[ConsentPurpose.PARTNER_SHARING, ConsentPurpose.CROSS_BORDER], given=False
    )
    erasures = Customer.objects.filter(erased_at__isnull=False)
    if customer_ids is not None:
        withdrawals = withdrawals.filter(customer_id__in=list(customer_ids))
        erasures = erasures.filter(id__in=list(customer_ids))
    items = (
        DisclosureItem.objects.filter(included=True)
        .filter(
            Q(customer_id__in=withdrawals.values("customer_id"))
            | Q(customer_id__in=erasures.values("id"))
        )
        .select_related("disclosure__partner")
    )
    by_customer: dict[uuid.UUID, list[DisclosureItem]] = {}
    for it in items:
        by_customer.setdefault(it.customer_id, []).append(it)
    if not by_customer:
        return []
    ids = list(by_customer)
    withdrawn: dict[tuple[uuid.UUID, str], dt.datetime] = {
        (cid, purpose): at
        for cid, purpose, at in withdrawals.filter(customer_id__in=ids).values_list(
            "customer_id", "purpose", "at"
        )
    }
    erased = dict(erasures.filter(id__in=ids).values_list("id", "erased_at"))
    told = set(
        PartnerNotice.objects.filter(customer_id__in=ids).values_list(
            "partner_id", "customer_id", "cause"
        )
    )
    out: dict[tuple[int, uuid.UUID, str], ToNotify] = {}
    for cid, its in by_customer.items():
        for it in its:
            d = it.disclosure
            sharing = withdrawn.get((cid, ConsentPurpose.PARTNER_SHARING.value))
            abroad = withdrawn.get((cid, ConsentPurpose.CROSS_BORDER.value))
            withdrawal = min(
                (t for t in (sharing, abroad if d.partner.cross_border else None) if t),
                default=None,
            )
            for cause, since in (
                (NoticeCause.ERASED, erased.get(cid)),
                (NoticeCause.CONSENT_WITHDRAWN, withdrawal),
            ):
                if since is None or d.created_at > since:
                    continue
                key = (d.partner_id, cid, cause.value)
                if key in told:
                    continue
                row = out.setdefault(key, ToNotify(d.partner, cid, cause, since))
                row.disclosures.append(d.pk)
    return sorted(out.values(), key=lambda r: (r.since, r.partner.name))


# -- indicators -----------------------------------------------------------------------------
@dataclass
class Figure:
    value: float | int | None
    reason: str = ""
    numerator: int = 0
    denominator: int = 0
    breakdown: dict[str, int] = field(default_factory=dict)


def _live_partners(day: dt.date) -> list[Partner]:
    """Partners with an agreement in force on `day` (the ones the yearly audit is owed by)."""
    ids = Agreement.objects.filter(signed_on__lte=day, expires_on__gte=day).values("partner_id")
    return list(Partner.objects.filter(pk__in=ids))


def partners_audited(day: dt.date | None = None) -> Figure:
    """R-G2: share of partners under agreement audited in the 12 months before `day`."""
    day = day or today()
    partners = _live_partners(day)
    if not partners:
        return Figure(None, "no_partners_under_agreement")
    recent = set(
        PartnerAudit.objects.filter(
            partner__in=partners, audited_on__gt=day - AUDIT_WINDOW, audited_on__lte=day
        ).values_list("partner_id", flat=True)
    )
    n = sum(1 for p in partners if p.pk in recent)
    return Figure(round(100 * n / len(partners), 1), numerator=n, denominator=len(partners))


def agreements_expiring(day: dt.date | None = None) -> Figure:
    """R-G2: partners whose agreement in force ends within 30 days with no renewal signed."""
    day = day or today()
    horizon = day + dt.timedelta(days=EXPIRY_WARNING_DAYS)
    latest = (
        Agreement.objects.filter(signed_on__lte=day)
        .values("partner_id")
        .annotate(end=Max("expires_on"))
    )
    n = sum(1 for r in latest if day <= r["end"] <= horizon)
    return Figure(n, numerator=n)


def _in(qs: Any, field_name: str, start: dt.datetime | None, end: dt.datetime | None) -> Any:
    if start is not None:
        qs = qs.filter(**{f"{field_name}__gte": start})
    if end is not None:
        qs = qs.filter(**{f"{field_name}__lt": end})
    return qs


def encrypted_transfers(start: dt.datetime | None = None, end: dt.datetime | None = None) -> Figure:
    """R-C3: share of transfers out of baomi sent encrypted — the disclosure packages and the
    answers handed to authorities (paper or inspection on site count as not encrypted)."""
    sent = _in(
        Disclosure.objects.exclude(state__in=[DisclosureState.REFUSED, DisclosureState.EMPTY]),
        "created_at",
        start,
        end,
    )
    total = sent.count()
    enc = sent.filter(encrypted=True).count()
    answered = _in(
        LawfulRequest.objects.filter(state__in=[LawfulState.ANSWERED, LawfulState.PARTIAL]).exclude(
            delivery__in=["", Delivery.NONE]
        ),
        "closed_at",
        start,
        end,
    )
    total += answered.count()
    enc += answered.filter(delivery=Delivery.ENCRYPTED_PACKAGE).count()
    if not total:
        return Figure(None, "no_transfers")
    return Figure(round(100 * enc / total, 1), numerator=enc, denominator=total)


def refusals(start: dt.datetime | None = None, end: dt.datetime | None = None) -> Figure:
    """Disclosures refused, by reason code (and customers excluded, by reason)."""
    refused = _in(
        Disclosure.objects.filter(state=DisclosureState.REFUSED), "created_at", start, end
    )
    by = Counter(
        dict(refused.values_list("refusal").annotate(n=Count("id")).values_list("refusal", "n"))
    )
    excluded = _in(
        DisclosureItem.objects.filter(included=False), "disclosure__created_at", start, end
    )
    for reason, n in (
        excluded.values_list("reason").annotate(n=Count("id")).values_list("reason", "n")
    ):
        by[f"customer:{reason}"] += n
    total = sum(v for k, v in by.items() if not k.startswith("customer:"))
    return Figure(total, numerator=total, breakdown=dict(sorted(by.items())))


# -- transparency report ----------------------------------------------------------------------
def transparency(year: int) -> dict[str, Any]:
    """Yearly counts of lawful requests by authority type and outcome — no personal data,
    no document numbers (R-G1)."""
    rows = (
        LawfulRequest.objects.filter(registered_at__year=year)
        .values_list("authority_type", "state")
        .annotate(n=Count("id"))
        .values_list("authority_type", "state", "n")
    )
    table: dict[str, dict[str, int]] = {}
    for authority, state, n in rows:
        table.setdefault(authority, {})[state] = n
    customers = sum(
        len(r.customer_ids)
        for r in LawfulRequest.objects.filter(
            registered_at__year=year, state__in=[LawfulState.ANSWERED, LawfulState.PARTIAL]
        ).only("customer_ids")
    )
    return {
        "year": year,
        "by_authority": table,
        "total": sum(sum(v.values()) for v in table.values()),
        "customers_affected": customers,
    }


def lawful_queue(include_closed: bool = False) -> list[LawfulRequest]:
    qs = LawfulRequest.objects.select_related("requested_by", "handler").prefetch_related(
        "approvals"
    )
    if not include_closed:
        qs = qs.filter(state__in=[LawfulState.PENDING, LawfulState.APPROVED])
    return list(qs.order_by("deadline", "pk"))


def disclosures(partner_id: int | None = None, limit: int = 100) -> list[Disclosure]:
    qs = Disclosure.objects.select_related("partner").defer("package").order_by("-created_at")
    if partner_id is not None:
        qs = qs.filter(partner_id=partner_id)
    return list(qs[:limit])


def excluded_of(disclosure: Disclosure) -> list[DisclosureItem]:
    return list(disclosure.items.filter(included=False).order_by("pk"))


def included_ids(disclosure: Disclosure) -> list[str]:
    return [
        str(c)
        for c in disclosure.items.filter(included=True)
        .order_by("pk")
        .values_list("customer_id", flat=True)
    ]


def partners_of(ids: Iterable[int]) -> dict[int, Partner]:
    return {p.pk: p for p in Partner.objects.filter(pk__in=list(ids))}


def reads_of(req: LawfulRequest) -> list[dict[str, Any]]:
    """Everything the handler read under `legal_request` in the request's window, from the
    audit log (so a read by any path — API, console — is listed): when, whom, which fields."""
    if req.approved_at is None:
        return []
    end = req.window_closes_at or clock.now()
    events = AuditEvent.objects.filter(
        actor_id=req.handler_id,
        purpose="legal_request",
        action="customer.read",
        at__gte=req.approved_at,
        at__lte=end,
    ).order_by("seq")
    return [
        {
            "seq": e.seq,
            "at": e.at,
            "customer_id": e.object_id,
            "fields": sorted(k for k, v in (e.fields or {}).items() if v != "withheld"),
            "in_scope": e.object_id in req.customer_ids,
        }
        for e in events.only("seq", "at", "object_id", "fields")
    ]


# -- what the customer and the console see about sharing ----------------------------------------
def copy_section(customer_id: uuid.UUID | str) -> dict[str, Any]:
    """The access-copy section (PIPL art. 45): with whom the customer's data was shared,
    when, for what and which fields (names, never values); partners told of a withdrawal
    or erasure; lawful requests once the customers may be told. Codes with their labels in
    the active language."""
    from . import presenters as P
    from .models import AuthorityType, DataLocation, LawfulState, NoticeCause, PartnerKind

    lines = shared_with(customer_id)
    told = PartnerNotice.objects.filter(customer_id=customer_id).select_related("partner")
    return {
        "disclosures": [
            {
                "partner": line.partner,
                "partner_kind": line.partner_kind,
                "partner_kind_label": P.label(PartnerKind, line.partner_kind),
                "data_location": line.data_location,
                "data_location_label": P.label(DataLocation, line.data_location),
                "purpose": line.purpose,
                "purpose_label": P.purpose(line.purpose),
                "fields": line.fields,
                "fields_label": P.fields(line.fields),
                "at": line.at.isoformat(),
            }
            for line in lines
        ],
        "partners_told": [
            {
                "partner": n.partner.name,
                "cause": n.cause,
                "cause_label": P.label(NoticeCause, n.cause),
                "at": n.recorded_at.isoformat(),
            }
            for n in told.order_by("recorded_at")
        ],
        "lawful_requests": [
            {
                "authority_type": r.authority_type,
                "authority_type_label": P.label(AuthorityType, r.authority_type),
                "authority_name": r.authority_name,
                "registered_at": r.registered_at.isoformat(),
                "outcome": r.state,
                "outcome_label": P.label(LawfulState, r.state),
                "fields": r.fields,
                "fields_label": P.fields(r.fields),
            }
            for r in lawful_requests_of(customer_id)
        ],
    }


def banner_counts(day: dt.date | None = None) -> dict[str, int]:
    """What legal and the privacy officer should act on, for the console banner."""
    day = day or today()
    rows = register(day)
    soon = day + dt.timedelta(days=3)
    return {
        "to_notify": len(to_notify()),
        "expiring": sum(1 for r in rows if r.expiring),
        "audit_due": sum(1 for r in rows if r.audit_due and r.standing.agreement is not None),
        "lawful_due": LawfulRequest.objects.filter(
            state__in=[LawfulState.PENDING, LawfulState.APPROVED], deadline__lte=soon
        ).count(),
    }
