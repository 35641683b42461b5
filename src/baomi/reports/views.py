"""Console pages of supervision: the inspections with their checklists and findings, the
meetings, one's own findings, and the report downloads. Thin: forms post an `op`; the
services check roles and audit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from baomi.access.enums import Role
from baomi.console.actions import attempt, refusal_text
from baomi.console.decorators import error_page, role_required, staff_required
from baomi.contract import kpis
from baomi.core import clock
from baomi.core.downloads import attachment
from baomi.core.errors import BaomiError, NotFound
from baomi.core.i18n import bi, half

from . import inspections as svc
from . import render as reports
from .enums import CheckResult, FindingState, InspectionState, ReportFormat, ReportKind, Severity
from .models import Finding, Inspection, Meeting

VIEWERS = (Role.INSPECTOR, Role.MANAGER, Role.PRIVACY_OFFICER)
MESSAGES = {
    "role_required": ("您的岗位不能执行此操作。", "Your role cannot do this."),
    "inspection_exists": ("本半年度已有检查计划。", "This half-year already has an inspection."),
    "inspection_closed": ("检查已完成。", "The inspection is closed."),
    "checks_open": ("还有检查项未记录结果。", "Some checks have no result yet."),
    "move_not_allowed": ("该问题不能这样变更。", "That change is not allowed for this finding."),
    "not_owner": ("只有责任人可以提交整改。", "Only the owner reports a rectification."),
}


def _do(request: HttpRequest, fn: Callable[[], Any], ok: str) -> Any:
    return attempt(request, fn, ok, MESSAGES)


def _choices(enum: Any) -> list[tuple[str, str]]:
    return [(c.value, half(c.label)) for c in enum]


def _label(enum: Any, value: str) -> str:
    try:
        return half(enum(value).label)
    except ValueError:
        return value


def _finding_rows(qs: Any) -> list[dict[str, Any]]:
    today = clock.now().date()
    return [
        {
            "f": f,
            "state": _label(FindingState, f.state),
            "severity": _label(Severity, f.severity),
            "overdue": f.state in (FindingState.OPEN, FindingState.REOPENED) and f.due_on < today,
        }
        for f in qs
    ]


@staff_required
@require_http_methods(["GET", "POST"])
def home(request: HttpRequest) -> HttpResponse:
    """Inspectors, managers and the privacy officer see the programme; every member of
    staff sees the findings they own (to report a rectification)."""
    u = request.user
    role = u.role_code  # type: ignore[union-attr]
    if request.method == "POST":
        p = request.POST
        op = p.get("op")
        if op == "plan":
            _do(
                request,
                lambda: svc.plan(u, period=p.get("period"), scope=p.get("scope")),
                bi("已制定检查计划。", "Inspection planned."),
            )
        elif op == "meeting":
            _do(
                request,
                lambda: svc.record_meeting(u, dict(p.items())),
                bi("会议已记录。", "Meeting recorded."),
            )
        elif op == "move":
            _do(
                request,
                lambda: svc.move_finding(u, p.get("finding"), p.get("to"), p.get("note", "")),
                bi("已更新。", "Updated."),
            )
        return redirect("reports:home")
    viewer = role in VIEWERS
    now = clock.now()
    half_now = kpis.current_period(kpis.HALF, now)
    quarter_prev = kpis.current_period(kpis.QUARTER, now).previous()
    ctx = {
        "viewer": viewer,
        "is_inspector": role == Role.INSPECTOR,
        "inspections": [
            {"i": i, "state": _label(InspectionState, i.state)}
            for i in Inspection.objects.select_related("lead")[:20]
        ]
        if viewer
        else [],
        "meetings": list(Meeting.objects.all()[:20]) if viewer else [],
        "mine": _finding_rows(Finding.objects.filter(owner_id=u.pk).select_related("owner")[:100]),
        "open": _finding_rows(
            Finding.objects.filter(
                state__in=(FindingState.OPEN, FindingState.REOPENED, FindingState.RECTIFIED)
            ).select_related("owner")[:200]
        )
        if viewer
        else [],
        "kinds": _choices(ReportKind),
        "formats": _choices(ReportFormat),
        "half_now": half_now.code,
        "quarter_prev": quarter_prev.code,
        "year": str(now.year),
    }
    return render(request, "reports/home.html", ctx)


@role_required(*VIEWERS)
@require_http_methods(["GET", "POST"])
def inspection(request: HttpRequest, inspection_id: int) -> HttpResponse:
    insp = Inspection.objects.select_related("lead").filter(pk=inspection_id).first()
    if insp is None:
        return error_page(request, NotFound("no such inspection"))
    u = request.user
    if request.method == "POST":
        p = request.POST
        op = p.get("op")
        if op == "check":
            _do(
                request,
                lambda: svc.record_check(
                    u, p.get("check"), result=p.get("result"), evidence=p.get("evidence", "")
                ),
                bi("已记录。", "Recorded."),
            )
        elif op == "finding":
            _do(
                request,
                lambda: svc.raise_finding(
                    u,
                    inspection_id=insp.pk,
                    check_id=p.get("check") or None,
                    title=p.get("title"),
                    severity=p.get("severity"),
                    owner=p.get("owner"),
                    due_on=p.get("due_on"),
                ),
                bi("已提出问题。", "Finding raised."),
            )
        elif op == "move":
            _do(
                request,
                lambda: svc.move_finding(u, p.get("finding"), p.get("to"), p.get("note", "")),
                bi("已更新。", "Updated."),
            )
        elif op == "close":
            _do(request, lambda: svc.close(u, insp.pk), bi("检查已完成。", "Inspection closed."))
        return redirect("reports:inspection", inspection_id=insp.pk)
    lang_zh = not str(getattr(request, "LANGUAGE_CODE", "zh")).startswith("en")
    checks = [
        {
            "c": c,
            "title": c.title_zh if lang_zh else c.title_en,
            "result": _label(CheckResult, c.result),
            "measured": c.measured,
        }
        for c in insp.checks.all()
    ]
    ctx = {
        "i": insp,
        "state": _label(InspectionState, insp.state),
        "checks": checks,
        "findings": _finding_rows(insp.findings.select_related("owner")),
        "results": [(c.value, half(c.label)) for c in CheckResult if c != CheckResult.OPEN],
        "severities": _choices(Severity),
        "is_inspector": request.user.role_code == Role.INSPECTOR,  # type: ignore[union-attr]
    }
    return render(request, "reports/inspection.html", ctx)


@role_required(*VIEWERS)
@require_GET
def download(request: HttpRequest) -> HttpResponse:
    g = request.GET
    lang = "en" if str(getattr(request, "LANGUAGE_CODE", "zh")).startswith("en") else "zh"
    try:
        body, name, run = reports.generate(
            request.user, g.get("kind"), g.get("period"), g.get("format", "pdf"), lang
        )
    except BaomiError as exc:
        messages.error(request, refusal_text(exc, MESSAGES))
        return redirect("reports:home")
    resp = HttpResponse(body, content_type=reports.MIME[ReportFormat(run.format)])
    resp["Content-Disposition"] = attachment(name)
    return resp
