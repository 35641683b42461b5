"""The sharing indicators in the registry (issue #10 §3): partners audited in the last 12
months (R-G2, 100 %), transfers sent encrypted (R-C3, ≥ 99 %), agreements ending within 30
days (R-G2) and disclosures refused, by reason (R-G1). Computed from the register; a
figure with nothing to measure is None with a reason, never 0."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from baomi.catalog.enums import Role
from baomi.contract.kpis import (
    AT_LEAST,
    AT_MOST,
    MONTH,
    YEAR,
    Drill,
    DrillRow,
    Indicator,
    Measurement,
    Period,
    as_of,
)

from . import selectors
from .models import (
    AuditResult,
    DataLocation,
    Disclosure,
    DisclosureState,
    Exclusion,
    PartnerAudit,
    Refusal,
)

# Every reason code the sharing indicators answer with no value, in both languages (the
# console and the API show these words; baomi.E203 checks none is missing).
REASONS = (
    ("no_partners_under_agreement", "期内没有签约合作方", "No partner under agreement"),
    ("no_transfers", "期内没有对外提供", "No transfer in this period"),
    ("nothing_to_measure", "本期没有可计算的记录", "Nothing to measure in this period"),
)


def _m(fig: selectors.Figure) -> Measurement:
    if fig.value is None:
        return Measurement(None, fig.reason or "nothing_to_measure")
    return Measurement(
        float(fig.value),
        numerator=fig.numerator,
        denominator=fig.denominator or None,
        detail=dict(fig.breakdown),
    )


# -- R-G2: partners audited in the last 12 months -------------------------------------------
def audited(period: Period) -> Measurement:
    day = as_of(period)
    if day is None:
        return Measurement(None, "period_in_future")
    return _m(selectors.partners_audited(day))


def audited_drill(period: Period) -> Drill:
    day = as_of(period) or selectors.today()
    live = {p.pk for p in selectors._live_partners(day)}
    rows = [r for r in selectors.register(day) if r.partner.pk in live]
    recent = {
        a.partner_id
        for a in PartnerAudit.objects.filter(
            partner_id__in=live,
            audited_on__gt=day - selectors.AUDIT_WINDOW,
            audited_on__lte=day,
        )
    }
    return Drill(
        groups=[
            {
                "group": loc,
                "label": DataLocation(loc).label,
                "total": sum(1 for r in rows if r.partner.data_location == loc),
                "counted": sum(
                    1 for r in rows if r.partner.data_location == loc and r.partner.pk in recent
                ),
            }
            for loc in DataLocation.values
        ],
        rows=[
            DrillRow(
                id=str(r.partner.pk),
                cells={
                    "partner": r.partner.name,
                    "last_audit": r.last_audit.audited_on.isoformat() if r.last_audit else None,
                    "result": AuditResult(r.last_audit.result).label if r.last_audit else None,
                },
                counts=r.partner.pk in recent,
                href=reverse("sharing:partner", args=[r.partner.pk]),
            )
            for r in rows
        ],
    )


PARTNERS_AUDITED = Indicator(
    code="sharing.partners_audited",
    name_zh="近 12 个月已审计的合作方比例",
    name_en="Partners audited in the last 12 months",
    requirement="R-G2",
    target=100.0,
    direction=AT_LEAST,
    unit="%",
    period=YEAR,
    compute=audited,
    drill=audited_drill,
    columns=(
        ("partner", "合作方", "Partner"),
        ("last_audit", "最近审计", "Last audit"),
        ("result", "结论", "Result"),
    ),
    description_zh="期末在协议期内的合作方中，过去 12 个月内完成年度审计的比例。",
    description_en="Of the partners with an agreement in force at the end of the period, "
    "the share audited in the 12 months before.",
    reasons=REASONS,
)


# -- R-C3: transfers sent encrypted ------------------------------------------------------
def encrypted(period: Period) -> Measurement:
    return _m(selectors.encrypted_transfers(period.start, period.end))


def encrypted_drill(period: Period) -> Drill:
    sent = (
        Disclosure.objects.filter(created_at__gte=period.start, created_at__lt=period.end)
        .exclude(state__in=[DisclosureState.REFUSED, DisclosureState.EMPTY])
        .select_related("partner")
        .defer("package")
        .order_by("created_at")
    )
    rows = list(sent)
    return Drill(
        groups=[
            {
                "group": "disclosures",
                "label": "对外提供数据包 / disclosure packages",
                "total": len(rows),
                "counted": sum(1 for d in rows if d.encrypted),
            }
        ],
        rows=[
            DrillRow(
                id=str(d.pk),
                cells={
                    "partner": d.partner.name,
                    "created_at": timezone.localtime(d.created_at).date().isoformat(),
                    "state": DisclosureState(d.state).label,
                    "scheme": d.scheme or None,
                },
                counts=d.encrypted,
                href=reverse("sharing:disclosure", args=[d.pk]),
            )
            for d in rows
        ],
    )


ENCRYPTED_TRANSFERS = Indicator(
    code="sharing.encrypted_transfers",
    name_zh="加密传输比例（对外提供与依法调取）",
    name_en="Transfers sent encrypted (disclosures and lawful answers)",
    requirement="R-C3",
    target=99.0,
    direction=AT_LEAST,
    unit="%",
    period=MONTH,
    compute=encrypted,
    drill=encrypted_drill,
    columns=(
        ("partner", "合作方", "Partner"),
        ("created_at", "日期", "Date"),
        ("state", "状态", "State"),
        ("scheme", "加密方式", "Scheme"),
    ),
    description_zh="本期对外提供的数据包与依法调取的答复中，以加密方式交付的比例（纸质、现场查阅计为未加密）。",
    description_en="Of the packages disclosed and the answers handed to authorities in the "
    "period, the share delivered encrypted (paper and on-site inspection count as not).",
    reasons=REASONS,
)


# -- R-G2: agreements ending within 30 days ----------------------------------------------
def expiring(period: Period) -> Measurement:
    day = as_of(period)
    if day is None:
        return Measurement(None, "period_in_future")
    return _m(selectors.agreements_expiring(day))


def expiring_drill(period: Period) -> Drill:
    day = as_of(period) or selectors.today()
    rows = [r for r in selectors.register(day) if r.expiring]
    return Drill(
        groups=[],
        rows=[
            DrillRow(
                id=str(r.partner.pk),
                cells={
                    "partner": r.partner.name,
                    "expires_on": r.standing.agreement.expires_on.isoformat()
                    if r.standing.agreement
                    else None,
                },
                counts=False,
                href=reverse("sharing:partner", args=[r.partner.pk]),
            )
            for r in rows
        ],
    )


AGREEMENTS_EXPIRING = Indicator(
    code="sharing.agreements_expiring",
    name_zh="30 天内到期且未续签的协议",
    name_en="Agreements ending within 30 days, not renewed",
    requirement="R-G2",
    target=0.0,
    direction=AT_MOST,
    unit="count",
    period=MONTH,
    compute=expiring,
    drill=expiring_drill,
    columns=(("partner", "合作方", "Partner"), ("expires_on", "到期日", "Ends on")),
    description_zh="到期后对该合作方的提供将自动暂停；请提前续签。",
    description_en="Disclosures stop automatically when an agreement ends: renew in time.",
    reasons=REASONS,
)


# -- R-G1: disclosures refused, by reason -------------------------------------------------
def refused(period: Period) -> Measurement:
    return _m(selectors.refusals(period.start, period.end))


def _role_label(code: str) -> str:
    try:
        return str(Role(code).label)
    except ValueError:
        return code


def refused_drill(period: Period) -> Drill:
    fig = selectors.refusals(period.start, period.end)
    groups = []
    for code, n in fig.breakdown.items():
        if code.startswith("customer:"):
            reason = code.split(":", 1)[1]
            label = "客户排除：" + str(Exclusion(reason).label)
        else:
            label = str(Refusal(code).label)
        groups.append({"group": code, "label": label, "total": n, "counted": n})
    rows = (
        Disclosure.objects.filter(
            state=DisclosureState.REFUSED, created_at__gte=period.start, created_at__lt=period.end
        )
        .select_related("partner")
        .defer("package")
        .order_by("created_at")
    )
    return Drill(
        groups=groups,
        rows=[
            DrillRow(
                id=str(d.pk),
                cells={
                    "partner": d.partner.name,
                    "created_at": timezone.localtime(d.created_at).date().isoformat(),
                    "reason": Refusal(d.refusal).label,
                    "role": _role_label(d.requested_role),
                },
                counts=False,
                href=reverse("sharing:disclosure", args=[d.pk]),
            )
            for d in rows
        ],
    )


DISCLOSURES_REFUSED = Indicator(
    code="sharing.disclosures_refused",
    name_zh="被拒绝的对外提供（按原因）",
    name_en="Disclosures refused, by reason",
    requirement="R-G1",
    target=0.0,
    direction=AT_MOST,
    unit="count",
    period=MONTH,
    compute=refused,
    drill=refused_drill,
    columns=(
        ("partner", "合作方", "Partner"),
        ("created_at", "日期", "Date"),
        ("reason", "原因", "Reason"),
        ("role", "岗位", "Role"),
    ),
    description_zh="每次拒绝都是一次被拦下的不合规提供，应逐一复核原因（明细含按原因统计与被排除的客户数）。",
    description_en="Each refusal is a non-compliant disclosure stopped at the gate; review "
    "each reason (the detail counts refusals and excluded customers by reason).",
    reasons=REASONS,
)

INDICATORS = (PARTNERS_AUDITED, ENCRYPTED_TRANSFERS, AGREEMENTS_EXPIRING, DISCLOSURES_REFUSED)
