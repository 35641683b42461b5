"""What a report says (issue #19 §3; R-N2, R-B2, R-L2): built from the indicator registry
(the same evaluation as `GET /api/v1/kpis?period=`, so a report's figures equal the API's)
and from the supervision records. Counts, codes and targets — never a personal value.
Every report carries the audit log's size and root when it was built."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count
from django.utils import timezone

from baomi.audit import services as log
from baomi.contract import kpis
from baomi.core import clock
from baomi.sharing.models import AuthorityType, LawfulRequest

from .enums import CheckResult, FindingState, ReportKind
from .models import Finding, Inspection, Meeting

# requirement letter → the section it belongs to (zh, en)
SECTIONS = {
    "A": ("客户资料", "Customer data"),
    "B": ("透明与同意", "Transparency and consent"),
    "C": ("数据安全", "Data security"),
    "D": ("访问控制", "Access control"),
    "E": ("审计", "Audit"),
    "F": ("个人权利", "Individual rights"),
    "G": ("对外提供", "Sharing"),
    "H": ("安全事件", "Incidents"),
    "I": ("培训", "Training"),
    "J": ("服务质量", "Service quality"),
    "K": ("数据质量", "Data quality"),
    "L": ("客户洞察", "Insights"),
    "M": ("快递运单", "Waybills"),
    "N": ("监督", "Supervision"),
}


@dataclass
class Row:
    code: str
    requirement: str
    name: str
    unit: str
    target: float
    direction: str
    value: float | None
    met: bool | None
    reason: str
    previous: float | None
    trend: list[float | None]
    numerator: int | None
    denominator: int | None


@dataclass
class Report:
    kind: str
    title: str
    period: str
    lang: str
    generated_at: str
    tree_size: int
    root_hash: str
    rows: list[Row] = field(default_factory=list)
    sections: list[dict[str, Any]] = field(default_factory=list)
    facts: list[tuple[str, str]] = field(default_factory=list)  # (label, value)
    tables: list[dict[str, Any]] = field(default_factory=list)  # {title, head, rows}

    @property
    def met(self) -> int:
        return sum(1 for r in self.rows if r.met)

    @property
    def computable(self) -> int:
        return sum(1 for r in self.rows if r.value is not None)


def _t(lang: str, zh: str, en: str) -> str:
    return zh if lang.startswith("zh") else en


def _fmt(v: float | None, unit: str) -> str:
    if v is None:
        return "—"
    text = f"{v:g}"
    return f"{text} %" if unit == "%" else text


def indicator_rows(period: kpis.Period, lang: str) -> list[Row]:
    rows = []
    for ind in kpis.registered():
        r = kpis.evaluate(ind, period)
        prev = kpis.evaluate(ind, period.previous())
        trend = [t.measurement.value for t in kpis.trend(ind, period, 4)]
        m = r.measurement
        rows.append(
            Row(
                code=ind.code,
                requirement=ind.requirement,
                name=ind.name_zh if lang.startswith("zh") else ind.name_en,
                unit=ind.unit,
                target=ind.target,
                direction=ind.direction,
                value=m.value,
                met=ind.met(m.value),
                reason=ind.reason_text(m.reason, lang) if m.value is None else "",
                previous=prev.measurement.value,
                trend=trend,
                numerator=m.numerator,
                denominator=m.denominator,
            )
        )
    return sorted(rows, key=lambda r: (r.requirement, r.code))


def _sections(rows: list[Row], lang: str) -> list[dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        letter = r.requirement[2:3] if r.requirement.startswith("R-") else "?"
        zh, en = SECTIONS.get(letter, ("其他", "Other"))
        s = out.setdefault(letter, {"title": _t(lang, zh, en), "met": 0, "total": 0, "none": 0})
        s["total"] += 1
        s["met"] += 1 if r.met else 0
        s["none"] += 1 if r.value is None else 0
    return [out[k] for k in sorted(out)]


def _find(rows: list[Row], code: str) -> Row | None:
    return next((r for r in rows if r.code == code), None)


def _inspection_for(period: kpis.Period) -> Inspection | None:
    half = kpis.parse_period(f"{period.start.year}H{1 if period.start.month <= 6 else 2}")
    return Inspection.objects.filter(period=half.code).first()


def build(kind: ReportKind, period: kpis.Period, lang: str = "zh") -> Report:
    size = log.tree_size()
    titles = {
        ReportKind.MANAGEMENT: (
            "个人信息保护管理层报告",
            "Privacy programme report for management",
        ),
        ReportKind.QUARTERLY: ("季度考核评估", "Quarterly KPI evaluation"),
        ReportKind.INSPECTION: ("监督检查报告", "Inspection report"),
        ReportKind.PRIVACY: ("个人信息保护报告", "Privacy report"),
    }
    rep = Report(
        kind=kind.value,
        title=_t(lang, *titles[kind]),
        period=period.code,
        lang=lang,
        generated_at=timezone.localtime(clock.now()).strftime("%Y-%m-%d %H:%M"),
        tree_size=size,
        root_hash=log.root_at(size).hex() if size else "",
    )
    if kind in (ReportKind.MANAGEMENT, ReportKind.QUARTERLY):
        rep.rows = indicator_rows(period, lang)
        rep.sections = _sections(rep.rows, lang)
        rep.facts = [
            (_t(lang, "考核指标", "Targets"), str(len(rep.rows))),
            (_t(lang, "可计算", "Computable"), str(rep.computable)),
            (_t(lang, "达标", "Met"), str(rep.met)),
            (
                _t(lang, "达标率", "Share met"),
                _fmt(round(100 * rep.met / rep.computable, 1) if rep.computable else None, "%"),
            ),
        ]
        unmet = [r for r in rep.rows if r.met is False]
        if unmet:
            rep.tables.append(
                {
                    "title": _t(lang, "未达标项目", "Targets not met"),
                    "head": [
                        _t(lang, "指标", "Indicator"),
                        _t(lang, "实际", "Value"),
                        _t(lang, "目标", "Target"),
                    ],
                    "rows": [
                        [r.name, _fmt(r.value, r.unit), _fmt(r.target, r.unit)] for r in unmet
                    ],
                }
            )
    if kind is ReportKind.INSPECTION:
        insp = _inspection_for(period)
        if insp is None:
            rep.facts = [
                (_t(lang, "检查", "Inspection"), _t(lang, "本期未开展", "none this half-year"))
            ]
        else:
            checks = list(insp.checks.all())
            findings = list(insp.findings.select_related("owner"))
            rep.facts = [
                (_t(lang, "检查期间", "Half-year"), insp.period),
                (_t(lang, "范围", "Scope"), insp.scope),
                (_t(lang, "检查项", "Checks"), str(len(checks))),
                (
                    _t(lang, "不符合", "Failed"),
                    str(sum(1 for c in checks if c.result == CheckResult.FAIL)),
                ),
                (_t(lang, "问题", "Findings"), str(len(findings))),
                (
                    _t(lang, "已整改并复查", "Rectified and verified"),
                    str(sum(1 for f in findings if f.state == FindingState.VERIFIED)),
                ),
            ]
            rep.tables.append(
                {
                    "title": _t(lang, "检查清单", "Checklist"),
                    "head": [
                        _t(lang, "要求", "Req."),
                        _t(lang, "检查项", "Item"),
                        _t(lang, "结果", "Result"),
                    ],
                    "rows": [
                        [
                            c.requirement,
                            c.title_zh if lang.startswith("zh") else c.title_en,
                            _label(CheckResult, c.result, lang),
                        ]
                        for c in checks
                    ],
                }
            )
            rep.tables.append(
                {
                    "title": _t(lang, "问题与整改", "Findings and rectification"),
                    "head": [
                        _t(lang, "问题", "Finding"),
                        _t(lang, "责任人", "Owner"),
                        _t(lang, "期限", "Due"),
                        _t(lang, "状态", "State"),
                    ],
                    "rows": [
                        [
                            f.title,
                            f.owner.username,
                            f.due_on.isoformat(),
                            _label(FindingState, f.state, lang),
                        ]
                        for f in findings
                    ],
                }
            )
        meetings = Meeting.objects.filter(
            held_on__gte=period.start.date(), held_on__lt=period.end.date()
        )
        rep.facts.append((_t(lang, "工作会议", "Working meetings"), str(meetings.count())))
    if kind is ReportKind.PRIVACY:
        rows = indicator_rows(period, lang)
        rights = _find(rows, "rights.answered_in_time")
        notice = _find(rows, "incidents.customer_notice_72h")
        lawful = (
            LawfulRequest.objects.filter(
                registered_at__gte=period.start, registered_at__lt=period.end
            )
            .values("authority_type")
            .annotate(n=Count("id"))
        )
        by_type = {x["authority_type"]: x["n"] for x in lawful}
        rep.facts = [
            (
                _t(lang, "答复的个人权利请求", "Rights requests answered"),
                str(rights.denominator or 0) if rights else "—",
            ),
            (
                _t(lang, "按期答复比例", "Answered on time"),
                _fmt(rights.value, "%") if rights else "—",
            ),
            (
                _t(lang, "已通知客户的安全事件", "Incidents notified to customers"),
                str(notice.denominator or 0) if notice else "—",
            ),
        ]
        rep.tables.append(
            {
                "title": _t(lang, "依法调取请求（按机关类型）", "Lawful requests by authority"),
                "head": [_t(lang, "机关", "Authority"), _t(lang, "件数", "Requests")],
                "rows": [
                    [_label(AuthorityType, t, lang), str(by_type.get(t, 0))]
                    for t in AuthorityType.values
                ],
            }
        )
    return rep


def _label(enum: Any, value: str, lang: str) -> str:
    try:
        label = str(enum(value).label)
    except ValueError:
        return value
    zh, _, en = label.partition(" / ")
    return zh if lang.startswith("zh") or not en else en


def overdue_for(owner_id: int) -> int:
    return Finding.objects.filter(
        owner_id=owner_id,
        state__in=(FindingState.OPEN, FindingState.REOPENED),
        due_on__lt=timezone.localdate(clock.now()),
    ).count()
