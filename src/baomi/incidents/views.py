"""Console pages of the incidents domain (`/incidents/`): the case register with clocks and
unlinked audit alerts (one click opens a case), case detail with every step, printable
regulator report and management summary, whistle-blowing, the response plan, drills and
security assessments. Thin: parse, authorise, call a service, render. zh-Hans first; every
time is shown in Asia/Shanghai (the configured zone)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from baomi.access.enums import Role
from baomi.console.decorators import error_page, role_required, staff_required
from baomi.core import clock
from baomi.core.errors import BaomiError, NotFound, ValidationFailed
from baomi.core.i18n import bi, half

from . import indicators, inputs, notices, programme, scoping, selectors, services, texts
from .enums import (
    TRANSITIONS,
    AssessmentKind,
    AuthorityKind,
    DrillKind,
    FindingState,
    Kind,
    NoticeStatus,
    ScopeMethod,
    Severity,
    Source,
    State,
    Step,
)
from .models import (
    Assessment,
    Drill,
    Incident,
    Notice,
    PlanAcknowledgement,
    WhistleReport,
)

PO, SA, AUD = Role.PRIVACY_OFFICER, Role.SECURITY_ADMIN, Role.SECURITY_AUDITOR
CASE_VIEWERS = (PO, SA, AUD)

MESSAGES = {
    "transition_not_allowed": ("当前状态不能执行这一步。", "This step is not possible now."),
    "notice_undecided": (
        "请先通知客户，或决定（并说明理由）无需通知。",
        "Notify the customers first, or decide (with a reason) that no notice is needed.",
    ),
    "obligation_pending": (
        "还有待报告的监管报告：请报告或说明无需报告的理由。",
        "A regulator report is still pending: file it or decide it is not required.",
    ),
    "notices_missing": ("尚未生成客户通知。", "No customer notices were prepared."),
    "notices_unsent": ("还有通知未发送。", "Some notices have not been sent yet."),
    "notice_not_required": ("已决定无需通知客户。", "Customer notice was decided not required."),
    "scope_empty": ("没有受影响的客户：请先确定影响范围。", "No affected customers: scope first."),
    "alert_has_incident": ("该告警已立案。", "This alert already has an incident."),
    "alert_not_found": ("未找到该告警。", "No such alert."),
    "incident_closed": ("事件已结案。", "The case is closed."),
    "obligation_decided": ("该报告义务已处理。", "This duty is already decided."),
    "role_required": ("您的岗位不能执行此操作。", "Your role cannot do this."),
    "whistle_has_incident": ("该举报已立案。", "An incident was opened from this report."),
    "plan_missing": ("尚未发布应急预案。", "No response plan has been published."),
    "plan_outdated": (
        "预案已更新，请阅读最新版本。",
        "The plan changed: read the current version.",
    ),
    "not_a_drill": ("只能关联演练事件。", "Only a drill incident can be linked."),
}


def _message(exc: BaomiError) -> str:
    if isinstance(exc, ValidationFailed):
        return bi("；".join(i.zh for i in exc.issues), "; ".join(i.en for i in exc.issues))
    pair = MESSAGES.get(exc.code)
    return bi(*pair) if pair else bi("操作未完成。", "The action was not completed.")


def _try(request: HttpRequest, fallback: str, fn: Callable[[], Any], ok: str = "") -> Any:
    try:
        out = fn()
    except BaomiError as exc:
        messages.error(request, _message(exc))
        return None
    if ok:
        messages.success(request, ok)
    return out if out is not None else True


def _choices(enum: Any) -> list[tuple[str, str]]:
    return [(c.value, half(c.label)) for c in enum if c.value]


def _label(enum: Any, value: str) -> str:
    try:
        return half(enum(value).label)
    except ValueError:
        return value


def _kpis() -> list[dict[str, Any]]:
    now = clock.now()
    local = now.astimezone(inputs.local_zone())
    start = local.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    out = []
    for ind in indicators.INDICATORS:
        fig = ind.compute(start, now + timedelta(seconds=1))
        out.append(
            {
                "code": ind.code,
                "name": bi(ind.name_zh, ind.name_en),
                "value": fig.value,
                "unit": ind.unit,
                "target": ind.target,
                "direction": ind.direction,
                "met": ind.met(fig.value),
                "reason": fig.reason,
                "requirement": ind.requirement,
            }
        )
    return out


def _case_row(r: selectors.Row) -> dict[str, Any]:
    inc = r.incident
    return {
        "r": r,
        "i": inc,
        "kind": _label(Kind, inc.kind),
        "severity": _label(Severity, inc.severity),
        "state": _label(State, inc.state),
    }


@role_required(*CASE_VIEWERS)
def dashboard(request: HttpRequest) -> HttpResponse:
    closed = request.GET.get("closed") == "1"
    rows = [_case_row(r) for r in selectors.cases(include_closed=closed, drills=None)]
    role = request.user.role_code  # type: ignore[union-attr]
    ctx = {
        "rows": rows,
        "include_closed": closed,
        "due": selectors.due_counts(),
        "alerts": selectors.alerts_without_incident(),
        "kinds": _choices(Kind),
        "kpis": _kpis(),
        "whistle_new": selectors.new_whistle_reports() if role in (PO, AUD) else None,
        "can_open": True,
    }
    return render(request, "incidents/dashboard.html", ctx)


@role_required(*CASE_VIEWERS)
@require_http_methods(["GET", "POST"])
def new(request: HttpRequest) -> HttpResponse:
    form = request.POST if request.method == "POST" else request.GET
    if request.method == "POST":
        inc = _try(
            request,
            "",
            lambda: services.open_incident(
                request.user,
                title=form.get("title"),
                kind=form.get("kind"),
                severity=form.get("severity"),
                detected_at=form.get("detected_at"),
                summary=form.get("summary", ""),
                partner=form.get("partner", ""),
                whistle_id=form.get("whistle_id") or None,
                drill=form.get("drill") == "1",
            ),
        )
        if isinstance(inc, Incident):
            return redirect("incidents:detail", inc.pk)
    ctx = {
        "kinds": _choices(Kind),
        "severities": _choices(Severity),
        "form": form,
        "now": clock.now(),
    }
    return render(
        request, "incidents/new.html", ctx, status=422 if request.method == "POST" else 200
    )


@role_required(*CASE_VIEWERS)
@require_POST
def from_alert(request: HttpRequest, alert_id: int) -> HttpResponse:
    """One click: the alert becomes a case (linked), with the alert's title, grade and time."""
    inc = _try(
        request,
        "",
        lambda: services.open_incident(
            request.user,
            title="",
            kind=request.POST.get("kind") or Kind.UNAUTHORISED_ACCESS,
            severity="",
            detected_at="",
            alert_id=alert_id,
        ),
    )
    if isinstance(inc, Incident):
        return redirect("incidents:detail", inc.pk)
    return redirect("incidents:dashboard")


@role_required(*CASE_VIEWERS)
def detail(request: HttpRequest, incident_id: int) -> HttpResponse:
    try:
        inc = services.get(incident_id)
    except NotFound as exc:
        return error_page(request, exc)
    r = selectors.row(inc)
    role = request.user.role_code  # type: ignore[union-attr]
    moves, contacts = list(inc.moves.all()), list(inc.contacts.all())
    summary, move_notes, contact_notes = texts.case_texts(request.user, inc, moves, contacts)
    nexts = [(s.value, half(s.label)) for s in State if s in TRANSITIONS[State(inc.state)]]
    owners = [
        {
            "step": half(s.label),
            "department": (inc.owners.get(s.value) or {}).get("department", ""),
            "role": _label(Role, (inc.owners.get(s.value) or {}).get("role", "")),
        }
        for s in Step
    ]
    ctx = {
        "i": inc,
        "summary": summary,
        "r": r,
        "kind": _label(Kind, inc.kind),
        "severity": _label(Severity, inc.severity),
        "state": _label(State, inc.state),
        "next_states": nexts,
        "owners": owners,
        "severities": _choices(Severity),
        "obligations": [{"o": o, "c": c, "status": _label_ob(o.status)} for o, c in r.obligations],
        "actions": list(inc.actions.all()),
        "contacts": [
            {"a": a, "kind": _label(AuthorityKind, a.kind), "note": contact_notes[a.pk]}
            for a in contacts
        ],
        "authority_kinds": _choices(AuthorityKind),
        "partners": scoping.disclosed_partners() if inc.is_open else [],
        "moves": [
            {"m": m, "to": _label(State, m.to_state), "note": move_notes[m.pk]} for m in moves
        ],
        "scopes": [
            {
                "s": s,
                "method": _label(ScopeMethod, s.method),
                "fields": [(notices.field_label(code), n) for code, n in s.field_counts.items()],
            }
            for s in inc.scopes.all()[:10]
        ],
        "notices": list(inc.notices.all()[:200]),
        "notice_counts": [(_label(NoticeStatus, k), v) for k, v in _notice_counts(inc).items()],
        "is_officer": role == PO,
        "can_work": role in (PO, SA),
        "source": _label(Source, inc.source),
    }
    return render(request, "incidents/detail.html", ctx)


def _label_ob(status: str) -> str:
    from .enums import ObligationStatus

    return _label(ObligationStatus, status)


def _notice_counts(inc: Incident) -> dict[str, int]:
    from django.db.models import Count

    return {r["status"]: r["n"] for r in inc.notices.values("status").annotate(n=Count("id"))}


ACTS: dict[str, tuple[str, str]] = {
    "transition": ("状态已更新。", "State updated."),
    "severity": ("分级已更新。", "Grade updated."),
    "containment": ("处置措施已记录。", "Containment action recorded."),
    "authority": ("已记录与监管机关的联系。", "Contact with the authorities recorded."),
    "file": ("已记录报告。", "Report recorded as filed."),
    "not_required": ("已记录无需报告的决定。", "Decision recorded."),
    "scope": ("影响范围已计算并保存。", "Scope computed and stored."),
    "reprove": ("", ""),
    "decision": ("通知决定已记录。", "Notice decision recorded."),
    "texts": ("通知内容已保存。", "Notice texts saved."),
    "prepare": ("客户通知已生成（已加密保存）。", "Customer notices prepared (sealed)."),
    "send": ("通知已交付发送。", "Notices handed to the sender."),
}


@role_required(*CASE_VIEWERS)
@require_POST
def act(request: HttpRequest, incident_id: int) -> HttpResponse:
    """Every step on a case posts here with `op`; errors come back as bilingual messages."""
    p, u = request.POST, request.user
    op = p.get("op", "")
    calls: dict[str, Callable[[], Any]] = {
        "transition": lambda: services.transition(u, incident_id, p.get("to"), p.get("note", "")),
        "severity": lambda: services.set_severity(
            u, incident_id, p.get("severity"), p.get("note", "")
        ),
        "containment": lambda: services.add_containment(
            u, incident_id, p.get("action"), p.get("owner"), p.get("done_at") or None
        ),
        "authority": lambda: services.add_authority_contact(
            u,
            incident_id,
            kind=p.get("kind"),
            authority=p.get("authority"),
            contact=p.get("contact", ""),
            reference=p.get("reference", ""),
            note=p.get("note", ""),
            at=p.get("at") or None,
        ),
        "file": lambda: services.file_obligation(
            u,
            p.get("obligation"),
            reference=p.get("reference", ""),
            filed_at=p.get("filed_at") or None,
        ),
        "not_required": lambda: services.obligation_not_required(
            u, p.get("obligation"), p.get("reason", "")
        ),
        "scope": lambda: _scope(u, incident_id, p),
        "reprove": lambda: scoping.reprove(u, p.get("scope")),
        "decision": lambda: services.decide_notice(
            u, incident_id, p.get("decision"), p.get("reason", "")
        ),
        "texts": lambda: services.set_notice_texts(
            u,
            incident_id,
            **{
                k: p.get(k, "")
                for k in ("notice_what", "notice_measures", "notice_advice", "notice_contact")
            },
        ),
        "prepare": lambda: notices.prepare(u, incident_id),
        "send": lambda: notices.send(u, incident_id),
    }
    if op not in calls:
        messages.error(request, bi("未知的操作。", "Unknown action."))
        return redirect("incidents:detail", incident_id)
    out = _try(request, "", calls[op], bi(*ACTS[op]) if ACTS[op][0] else "")
    if op == "reprove" and isinstance(out, scoping.Proof):
        if out.ok:
            messages.success(
                request,
                bi(
                    f"影响范围已复核：与保存的根哈希一致，已验证 {out.leaves_checked} 条审计记录。",
                    f"Scope re-proven against the stored root; {out.leaves_checked} events checked",
                ),
            )
        else:
            messages.error(
                request,
                bi(
                    "复核失败：影响范围与审计日志不一致。",
                    "Re-proof failed: the scope does not match the log.",
                ),
            )
    if op == "send" and isinstance(out, notices.Sent) and out.failed:
        messages.warning(
            request,
            bi(
                f"{out.failed} 条通知发送失败，可重试。", f"{out.failed} notices failed; try again."
            ),
        )
    return redirect(reverse("incidents:detail", args=[incident_id]) + f"#{op}")


def _scope(actor: Any, incident_id: int, p: Any) -> Any:
    method = p.get("method", "account")
    if method == "token":
        params = scoping.token_params(p.get("token_id"))
        return scoping.scope_incident(actor, incident_id, scoping.ScopeMethod.TOKEN, params)
    if method == "partner":
        params = scoping.partner_params(p.get("partner_id"), p.get("from"), p.get("to"))
        return scoping.scope_incident(actor, incident_id, scoping.ScopeMethod.PARTNER, params)
    if method == "import":
        ids = [x for x in p.get("customer_ids", "").replace(",", "\n").split() if x.strip()]
        fields = [x for x in p.get("fields", "").replace("，", ",").split(",") if x.strip()]
        params = scoping.import_params(ids, fields)
        return scoping.scope_incident(actor, incident_id, scoping.ScopeMethod.IMPORT, params)
    params = scoping.account_params(p.get("actor"), p.get("from"), p.get("to"))
    return scoping.scope_incident(actor, incident_id, scoping.ScopeMethod.ACCOUNT, params)


@role_required(*CASE_VIEWERS)
def report(request: HttpRequest, incident_id: int, kind: str) -> HttpResponse:
    """Printable regulator report or management summary, from the case (no personal values:
    counts and field names only)."""
    if kind not in ("regulator", "management"):
        return error_page(request, NotFound("no such report"))
    try:
        inc = services.get(incident_id)
    except NotFound as exc:
        return error_page(request, exc)
    r = selectors.row(inc)
    moves, contacts = list(inc.moves.all()), list(inc.contacts.all())
    summary, move_notes, contact_notes = texts.case_texts(request.user, inc, moves, contacts)
    union = scoping.affected_union(inc)
    counts: dict[str, int] = {}
    for fields in union.values():
        for code in fields:
            counts[code] = counts.get(code, 0) + 1
    ctx = {
        "i": inc,
        "summary": summary,
        "r": r,
        "kind_label": _label(Kind, inc.kind),
        "severity": _label(Severity, inc.severity),
        "state": _label(State, inc.state),
        "affected": len(union),
        "field_counts": [(notices.field_label(c), n) for c, n in sorted(counts.items())],
        "actions": list(inc.actions.all()),
        "contacts": [{"a": a, "note": contact_notes[a.pk]} for a in contacts],
        "obligations": r.obligations,
        "notice_counts": [(_label(NoticeStatus, k), v) for k, v in _notice_counts(inc).items()],
        "scopes": list(inc.scopes.all()),
        "report_kind": kind,
        "generated_at": clock.now(),
        "moves": [
            {"m": m, "to": _label(State, m.to_state), "note": move_notes[m.pk]} for m in moves
        ],
    }
    return render(request, "incidents/report.html", ctx)


@role_required(PO)
def notice(request: HttpRequest, notice_id: int) -> HttpResponse:
    """One customer's notice, opened by the gate under `investigation` (audited)."""
    n = Notice.objects.select_related("incident").filter(pk=notice_id).first()
    if n is None:
        return error_page(request, NotFound("no such notice"))
    text = notices.open_notice(request.user, n)
    return render(
        request,
        "incidents/notice.html",
        {"n": n, "text": text, "deliveries": list(n.deliveries.all())},
    )


@staff_required
@require_http_methods(["GET", "POST"])
def whistle(request: HttpRequest) -> HttpResponse:
    """Any staff member: report a suspected leak, anonymously by default (R-D8)."""
    if request.method == "POST":
        p = request.POST
        r = _try(
            request,
            "",
            lambda: programme.report_leak(
                request.user,
                summary=p.get("summary"),
                text=p.get("text"),
                anonymous=p.get("anonymous", "1") == "1",
            ),
        )
        if isinstance(r, WhistleReport):
            messages.success(
                request,
                bi(
                    "举报已提交。隐私官和安全审计员会处理。"
                    + ("匿名举报不记录您的账号。" if r.anonymous else ""),
                    "Report received. The privacy officer and the security auditor will act on it."
                    + (
                        " An anonymous report keeps no link to your account." if r.anonymous else ""
                    ),
                ),
            )
            return redirect("incidents:whistle")
    return render(request, "incidents/whistle.html", {"form": request.POST})


@role_required(PO, AUD)
@require_http_methods(["GET", "POST"])
def whistle_reports(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        p = request.POST
        if p.get("op") == "open":
            inc = _try(
                request,
                "",
                lambda: services.open_incident(
                    request.user,
                    title=p.get("title"),
                    kind=p.get("kind"),
                    severity=p.get("severity") or "low",
                    detected_at=p.get("detected_at") or clock.now(),
                    whistle_id=p.get("report"),
                ),
            )
            if isinstance(inc, Incident):
                return redirect("incidents:detail", inc.pk)
        else:
            _try(
                request,
                "",
                lambda: programme.review_whistle(request.user, p.get("report"), p.get("to")),
                bi("已更新。", "Updated."),
            )
        return redirect("incidents:whistle_reports")
    from .enums import WhistleState

    reports = list(WhistleReport.objects.all()[:200])
    opened = texts.whistle_texts(request.user, reports)
    rows = [
        {"w": w, "t": t, "state": _label(WhistleState, w.state)}
        for w, t in zip(reports, opened, strict=True)
    ]
    return render(
        request,
        "incidents/whistle_reports.html",
        {"rows": rows, "kinds": _choices(Kind), "severities": _choices(Severity)},
    )


@staff_required
@require_http_methods(["GET", "POST"])
def plan(request: HttpRequest) -> HttpResponse:
    """The current response plan (everyone reads and acknowledges it); the privacy officer
    publishes new versions."""
    u = request.user
    if request.method == "POST":
        p = request.POST
        if p.get("op") == "publish":
            duties = {
                s.value: {
                    "department": p.get(f"dept_{s.value}", ""),
                    "role": p.get(f"role_{s.value}", ""),
                }
                for s in Step
            }
            _try(
                request,
                "",
                lambda: programme.publish_plan(
                    u, title=p.get("title"), body=p.get("body"), duties=duties
                ),
                bi("新版本已发布。", "New version published."),
            )
        else:
            _try(
                request,
                "",
                lambda: programme.acknowledge_plan(u, p.get("version")),
                bi("已确认阅读。", "Acknowledged."),
            )
        return redirect("incidents:plan")
    current = services.current_plan()
    duties = current.duties if current else services.default_duties()
    rows = [
        {
            "code": s.value,
            "step": half(s.label),
            "department": duties[s.value]["department"],
            "role": duties[s.value]["role"],
            "role_label": _label(Role, duties[s.value]["role"]),
        }
        for s in Step
    ]
    acked = (
        current is not None
        and PlanAcknowledgement.objects.filter(plan=current, staff_id=int(u.pk or 0)).exists()
    )
    awareness = indicators.plan_awareness(clock.now(), clock.now())
    return render(
        request,
        "incidents/plan.html",
        {
            "plan": current,
            "rows": rows,
            "acked": acked,
            "awareness": awareness,
            "is_officer": u.role_code == PO,  # type: ignore[union-attr]
            "roles": _choices(Role),
        },
    )


@role_required(PO, SA, AUD)
@require_http_methods(["GET", "POST"])
def drills(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        p = request.POST
        _try(
            request,
            "",
            lambda: programme.record_drill(
                request.user,
                held_on=p.get("held_on"),
                kind=p.get("kind"),
                scenario=p.get("scenario"),
                participants=p.get("participants", ""),
                initial_handling_minutes=p.get("initial_handling_minutes"),
                notice_minutes=p.get("notice_minutes"),
                lessons=p.get("lessons", ""),
                actions=p.get("actions", ""),
                incident_id=p.get("incident") or None,
            ),
            bi("演练已记录。", "Drill recorded."),
        )
        return redirect("incidents:drills")
    rows = [{"d": d, "kind": _label(DrillKind, d.kind)} for d in Drill.objects.all()[:100]]
    year = inputs.local_today().year
    return render(
        request,
        "incidents/drills.html",
        {
            "rows": rows,
            "kinds": _choices(DrillKind),
            "this_year": Drill.objects.filter(held_on__year=year).count(),
            "drill_cases": Incident.objects.filter(drill=True).order_by("-id")[:50],
        },
    )


@role_required(PO, SA, AUD)
@require_http_methods(["GET", "POST"])
def assessments(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        p, u = request.POST, request.user
        op = p.get("op")
        if op == "storage":
            manual = {
                c: p.get(f"m_{c}") == "1"
                for c in programme.MANUAL_CHECKS
                if p.get(f"m_{c}") in ("0", "1")
            }
            _try(
                request,
                "",
                lambda: programme.storage_assessment(u, manual),
                bi("存储安全检查已完成并记录。", "Storage checks run and recorded."),
            )
        elif op == "assessment":
            _try(
                request,
                "",
                lambda: programme.record_assessment(
                    u,
                    kind=p.get("kind"),
                    title=p.get("title"),
                    performed_on=p.get("performed_on"),
                    performer=p.get("performer", ""),
                    summary=p.get("summary", ""),
                    next_due_on=p.get("next_due_on") or None,
                ),
                bi("评估已记录。", "Recorded."),
            )
        elif op == "finding":
            _try(
                request,
                "",
                lambda: programme.add_finding(
                    u,
                    p.get("assessment"),
                    title=p.get("title"),
                    severity=p.get("severity"),
                    owner=p.get("owner"),
                    due_on=p.get("due_on"),
                ),
                bi("问题已登记。", "Finding added."),
            )
        elif op == "move":
            _try(
                request,
                "",
                lambda: programme.move_finding(u, p.get("finding"), p.get("to"), p.get("note", "")),
                bi("已更新。", "Updated."),
            )
        return redirect("incidents:assessments")
    latest = selectors.latest_storage_assessment()
    passed, total = selectors.storage_share(latest)
    rows = []
    for a in Assessment.objects.prefetch_related("findings", "checks")[:50]:
        rows.append(
            {
                "a": a,
                "kind": _label(AssessmentKind, a.kind),
                "checks": [
                    {"c": c, "label": half(CHECK_LABELS.get(c.code, c.code))}
                    for c in a.checks.all()
                ],
                "findings": [
                    {
                        "f": f,
                        "state": _label(FindingState, f.state),
                        "severity": _label(Severity, f.severity),
                        "past_due": f.due_on < inputs.local_today()
                        and f.state in (FindingState.OPEN, FindingState.FIXED),
                    }
                    for f in a.findings.all()
                ],
            }
        )
    return render(
        request,
        "incidents/assessments.html",
        {
            "rows": rows,
            "passed": passed,
            "total": total,
            "share": round(100 * passed / total, 1) if total else None,
            "kinds": _choices(AssessmentKind),
            "severities": _choices(Severity),
            "manual": [(c, half(CHECK_LABELS[c])) for c in programme.MANUAL_CHECKS],
            "can_edit": getattr(request.user, "role_code", "") in (PO.value, SA.value),
            "finding_states": _choices(FindingState),
        },
    )


CHECK_LABELS = {
    "encryption_at_rest": "个人信息加密存储（抽查密文格式） / personal data encrypted at rest",
    "key_file_modes": "密钥文件权限 0700/0600 / key file modes 0700/0600",
    "debug_off": "关闭调试模式 / debug mode off",
    "tls_enforced": "强制 HTTPS、安全 Cookie 与 HSTS / HTTPS, secure cookies and HSTS",
    "deploy_check_clean": "部署检查无警告 / `check --deploy` clean",
    "audit_log_intact": "审计日志 7 天内校验通过 / audit log verified within 7 days",
    "backups_encrypted": "备份介质加密 / backup media encrypted",
    "backup_restore_tested": "备份恢复已演练 / backup restore tested",
    "keys_stored_offline": "密钥离线备份与保管 / keys backed up offline",
    "media_disposal": "存储介质销毁有记录 / media disposal recorded",
    "server_room_access": "机房门禁 / server room access control",
}
