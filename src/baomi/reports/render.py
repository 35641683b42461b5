"""Reports as files (issue #19 §3): PDF (fpdf2, Noto Sans CJK embedded, bar charts drawn
in the PDF itself — nothing rendered online), XLSX (openpyxl) and HTML (a template).
`generate` records each report — kind, period, who, the audit tree size and root, the
file's SHA-256 — and audits it; a report is generated, never edited."""

from __future__ import annotations

import hashlib
import io
from typing import Any

from django.template.loader import render_to_string

from baomi import audit
from baomi.access.enums import Role
from baomi.contract import kpis
from baomi.core import clock
from baomi.core.errors import Forbidden
from baomi.core.fonts import cjk_font
from baomi.core.inputs import invalid

from .enums import ReportFormat, ReportKind, ReportsAction
from .figures import Report, _fmt, _t, build
from .models import ReportRun

READERS = frozenset(
    {"system", Role.MANAGER.value, Role.INSPECTOR.value, Role.PRIVACY_OFFICER.value}
)
MIME = {
    ReportFormat.PDF: "application/pdf",
    ReportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ReportFormat.HTML: "text/html; charset=utf-8",
}


def _rows_table(rep: Report) -> tuple[list[str], list[list[str]]]:
    lang = rep.lang
    head = [
        _t(lang, "要求", "Req."),
        _t(lang, "指标", "Indicator"),
        _t(lang, "本期", "This period"),
        _t(lang, "上期", "Previous"),
        _t(lang, "目标", "Target"),
        _t(lang, "是否达标", "Met"),
    ]
    rows = []
    for r in rep.rows:
        met = (
            "—"
            if r.met is None
            else (_t(lang, "达标", "met") if r.met else _t(lang, "未达标", "not met"))
        )
        value = _fmt(r.value, r.unit) if r.value is not None else (r.reason or "—")
        target = ("≥ " if r.direction == kpis.AT_LEAST else "≤ ") + _fmt(r.target, r.unit)
        rows.append([r.requirement, r.name, value, _fmt(r.previous, r.unit), target, met])
    return head, rows


def html(rep: Report) -> bytes:
    head, rows = _rows_table(rep)
    return render_to_string(
        "reports/report.html", {"rep": rep, "head": head, "rows": rows}
    ).encode()


def xlsx(rep: Report) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = rep.kind
    ws.append([rep.title, rep.period])
    ws.append([_t(rep.lang, "生成时间（北京时间）", "Generated (Beijing time)"), rep.generated_at])
    ws.append([_t(rep.lang, "审计日志", "Audit log"), rep.tree_size, rep.root_hash])
    ws.append([])
    for label, value in rep.facts:
        ws.append([label, value])
    if rep.rows:
        ws.append([])
        head, rows = _rows_table(rep)
        ws.append(head)
        for r, row in zip(rep.rows, rows, strict=True):
            ws.append([*row[:2], r.value, r.previous, r.target, row[5]])
    for t in rep.tables:
        ws.append([])
        ws.append([t["title"]])
        ws.append(t["head"])
        for row in t["rows"]:
            ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def pdf(rep: Report) -> bytes:
    from fpdf import FPDF

    path, index = cjk_font()
    doc = FPDF(orientation="P", unit="mm", format="A4")
    doc.set_auto_page_break(auto=True, margin=15)
    doc.add_font("cjk", fname=path, collection_font_number=index)
    doc.set_title(f"{rep.title} {rep.period}")
    doc.set_creator("baomi")
    doc.add_page()
    doc.set_font("cjk", size=16)
    doc.cell(0, 10, f"{rep.title} · {rep.period}", new_x="LMARGIN", new_y="NEXT")
    doc.set_font("cjk", size=8)
    doc.multi_cell(
        0,
        4,
        _t(rep.lang, "生成时间（北京时间）：", "Generated (Beijing time): ")
        + rep.generated_at
        + _t(rep.lang, "；审计日志：", "; audit log: ")
        + f"{rep.tree_size} · {rep.root_hash[:32]}…",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    doc.ln(2)
    doc.set_font("cjk", size=10)
    for label, value in rep.facts:
        doc.cell(60, 6, label)
        doc.cell(0, 6, value, new_x="LMARGIN", new_y="NEXT")
    if rep.sections:
        doc.ln(3)
        doc.set_font("cjk", size=12)
        doc.cell(
            0,
            7,
            _t(rep.lang, "各领域达标情况", "Targets met by area"),
            new_x="LMARGIN",
            new_y="NEXT",
        )
        _bars(doc, rep)
    if rep.rows:
        head, rows = _rows_table(rep)
        _table(
            doc, _t(rep.lang, "全部考核指标", "All targets"), head, rows, (14, 68, 26, 22, 24, 16)
        )
        _trends(doc, rep)
    for t in rep.tables:
        widths = _widths(len(t["head"]))
        _table(doc, t["title"], t["head"], t["rows"], widths)
    return bytes(doc.output())


def _widths(n: int) -> tuple[float, ...]:
    first = 190 - 30 * (n - 1)
    return (first, *([30.0] * (n - 1)))


def _bars(doc: Any, rep: Report) -> None:
    """One horizontal bar per area: targets met out of those with a value."""
    doc.set_font("cjk", size=9)
    x0, width = doc.l_margin + 40, 120
    for s in rep.sections:
        y = doc.get_y()
        doc.cell(40, 6, s["title"])
        have = s["total"] - s["none"]
        doc.set_fill_color(230, 230, 230)
        doc.rect(x0, y + 1, width, 4, style="F")
        if have:
            doc.set_fill_color(46, 125, 50)
            doc.rect(x0, y + 1, width * s["met"] / have, 4, style="F")
        doc.set_xy(x0 + width + 2, y)
        doc.cell(
            0,
            6,
            f"{s['met']}/{have}" + (f" (+{s['none']} —)" if s["none"] else ""),
            new_x="LMARGIN",
            new_y="NEXT",
        )


def _trends(doc: Any, rep: Report) -> None:
    """Each indicator's last four periods as small bars (a period without a value: a
    dash), scaled to the largest of the four and the target; this period's bar green
    when the target is met, red when not."""
    rows = [r for r in rep.rows if any(v is not None for v in r.trend)]
    if not rows:
        return
    doc.ln(3)
    doc.set_font("cjk", size=12)
    doc.cell(0, 7, _t(rep.lang, "近四期趋势", "Last four periods"), new_x="LMARGIN", new_y="NEXT")
    doc.set_font("cjk", size=7)
    x0, bar_w, gap, h = doc.l_margin + 80, 16.0, 4.0, 4.0
    for r in rows:
        if doc.get_y() > doc.h - 20:
            doc.add_page()
        y = doc.get_y()
        doc.cell(80, 6, r.name[:40])
        values = [abs(v) for v in r.trend if v is not None]
        top = max([*values, abs(r.target), 1e-9])
        for i, v in enumerate(r.trend):
            x = x0 + i * (bar_w + gap)
            doc.set_fill_color(230, 230, 230)
            doc.rect(x, y + 1, bar_w, h, style="F")
            if v is None:
                doc.set_xy(x, y)
                doc.cell(bar_w, 6, "—", align="C")
                continue
            last = i == len(r.trend) - 1
            if last and r.met is False:
                doc.set_fill_color(198, 40, 40)
            elif last:
                doc.set_fill_color(46, 125, 50)
            else:
                doc.set_fill_color(120, 144, 156)
            doc.rect(x, y + 1, bar_w * min(abs(v) / top, 1.0), h, style="F")
        doc.set_xy(x0 + 4 * (bar_w + gap), y)
        doc.cell(0, 6, _fmt(r.trend[-1], r.unit), new_x="LMARGIN", new_y="NEXT")


def _table(
    doc: Any, title: str, head: list[str], rows: list[list[str]], widths: tuple[float, ...]
) -> None:
    doc.ln(3)
    doc.set_font("cjk", size=12)
    doc.cell(0, 7, title, new_x="LMARGIN", new_y="NEXT")
    doc.set_font("cjk", size=8)
    doc.set_fill_color(255, 255, 255)  # the charts leave their colour set: cells stay white
    from fpdf.fonts import FontFace

    heading = FontFace(emphasis="", fill_color=(240, 242, 246))  # one CJK face, no bold
    with doc.table(
        col_widths=widths, text_align="LEFT", line_height=4.5, headings_style=heading
    ) as table:
        row = table.row()
        for h in head:
            row.cell(h)
        for r in rows:
            row = table.row()
            for cell in r:
                row.cell(str(cell))


RENDERERS = {ReportFormat.PDF: pdf, ReportFormat.XLSX: xlsx, ReportFormat.HTML: html}


def generate(
    actor: Any, kind: object, period: object, fmt: object = "pdf", lang: str = "zh"
) -> tuple[bytes, str, ReportRun]:
    """Build and render a report, record and audit it; (file bytes, file name, the run)."""
    if str(getattr(actor, "role_code", "")) not in READERS:
        raise Forbidden("your role may not generate reports", code="role_required")
    try:
        k = ReportKind(str(kind))
    except ValueError:
        raise invalid(
            "kind", "invalid_choice", "management, quarterly, inspection or privacy", "报告类型无效"
        ) from None
    try:
        f = ReportFormat(str(fmt))
    except ValueError:
        raise invalid(
            "format", "invalid_choice", "pdf, xlsx or html", "格式应为 pdf、xlsx 或 html"
        ) from None
    p = kpis.parse_period(str(period or ""))
    if k is ReportKind.QUARTERLY and p.granularity != kpis.QUARTER:
        raise invalid("period", "quarter", "a quarter such as 2026Q4", "应为季度，如 2026Q4")
    if p.granularity == kpis.MONTH:
        raise invalid("period", "too_short", "a quarter, half-year or year", "应为季度、半年或年度")
    language = "en" if str(lang).startswith("en") else "zh"
    rep = build(k, p, language)
    body = RENDERERS[f](rep)
    digest = hashlib.sha256(body).hexdigest()
    run = ReportRun.objects.create(
        kind=k,
        period=p.code,
        format=f,
        lang=language,
        generated_at=clock.now(),
        generated_by=str(getattr(actor, "username", "system"))[:150],
        tree_size=rep.tree_size,
        root_hash=rep.root_hash,
        sha256=digest,
        size=len(body),
    )
    audit.record(
        ReportsAction.REPORT_GENERATED,
        actor,
        object_type="report",
        object_id=run.pk,
        detail={
            "kind": k.value,
            "period": p.code,
            "format": f.value,
            "sha256": digest,
            "tree_size": rep.tree_size,
        },
    )
    return body, f"baomi-{k.value}-{p.code}.{f.value}", run
