"""Console pages of retention: rules, runs and certificates, legal holds, paper archives.
Thin: each form posts an `op`; the services check roles and audit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from baomi.access.enums import Role
from baomi.console.actions import attempt
from baomi.console.decorators import error_page, role_required
from baomi.core import clock
from baomi.core.errors import NotFound
from baomi.core.i18n import bi, half

from . import services
from .enums import ArchiveKind, DestructionMethod, HoldKind
from .models import LegalHold, PaperArchive, RetentionRun

VIEWERS = (Role.PRIVACY_OFFICER, Role.DATA_STEWARD, Role.LEGAL, Role.INSPECTOR)

MESSAGES = {
    "role_required": ("您的岗位不能执行此操作。", "Your role cannot do this."),
    "customer_not_found": ("没有这个客户。", "No such customer."),
    "hold_not_found": ("没有这个保留。", "No such hold."),
    "hold_lifted": ("该保留已解除。", "The hold was already lifted."),
    "archive_not_found": ("没有这个档案。", "No such archive."),
    "archive_destroyed": ("该档案已销毁。", "The archive was destroyed."),
    "archive_out": (
        "档案已借出，请先归还。",
        "The archive is out of its cabinet: return it first.",
    ),
    "archive_not_out": ("档案在柜中。", "The archive is in its cabinet."),
    "retention_not_over": ("保存期限未到，不能销毁。", "Its retention period is not over."),
}


def _do(request: HttpRequest, fn: Callable[[], Any], ok: str) -> Any:
    return attempt(request, fn, ok, MESSAGES)


ENTITY_LABELS = {
    "customer": ("客户档案", "Customer profiles"),
    "stay": ("住宿记录", "Stays"),
    "booking": ("旅行订单", "Bookings"),
    "shipment": ("快递运单", "Waybills"),
    "payment_method": ("支付卡", "Payment cards"),
    "incident": ("安全事件与举报文字", "Incident and whistle-blowing texts"),
    "incident_notice": ("安全事件告知", "Breach notices"),
    "feedback_ticket": ("客户反馈与投诉", "Feedback and complaints"),
}
HOLD_LABELS = {
    "manual": ("人工保留", "placed by hand"),
    "incident": ("安全事件", "incident"),
    "lawful_request": ("依法调取", "lawful request"),
    "rights_request": ("权利请求", "rights request"),
}


def _entity(code: str) -> str:
    """The data a rule destroys, in words (a rule of an app not listed: 'other data')."""
    return bi(*ENTITY_LABELS.get(code, ("其他数据", "Other data")))


def _label(enum: Any, value: str) -> str:
    try:
        return half(enum(value).label)
    except ValueError:
        return value


def _run_row(r: RetentionRun) -> dict[str, Any]:
    s = r.summary
    return {
        "r": r,
        "expired": s.get("expired", 0),
        "destroyed": s.get("destroyed", 0),
        "held": s.get("held", 0),
        "failed": len(s.get("failed", [])),
    }


def _post(request: HttpRequest) -> None:
    p, u = request.POST, request.user
    op = p.get("op", "")
    if op in ("run", "dry_run"):
        dry = op == "dry_run"
        rec = _do(
            request,
            lambda: services.run(u, dry_run=dry),
            bi("试运行完成，未销毁任何数据。", "Dry run done: nothing was destroyed.")
            if dry
            else bi("已执行保存期限，并出具销毁证明。", "Retention ran; a certificate was issued."),
        )
        if rec is not None and rec.summary.get("failed"):
            messages.warning(
                request,
                bi("有规则执行失败，请查看证明。", "Some rules failed: see the certificate."),
            )
    elif op == "hold":
        _do(
            request,
            lambda: services.place_hold(u, p.get("customer_id"), p.get("kind"), p.get("reference")),
            bi("已设置法定保留。", "Legal hold placed."),
        )
    elif op == "lift":
        _do(request, lambda: services.lift_hold(u, p.get("hold")), bi("已解除。", "Lifted."))
    elif op == "archive":
        _do(
            request,
            lambda: services.register_archive(u, dict(p.items())),
            bi("档案已登记。", "Archive registered."),
        )
    elif op == "out":
        _do(
            request,
            lambda: services.lend_archive(u, p.get("archive"), p.get("reason")),
            bi("已登记借出。", "Taken out (logged)."),
        )
    elif op == "back":
        _do(
            request,
            lambda: services.return_archive(u, p.get("archive")),
            bi("已归还。", "Returned."),
        )
    elif op == "destroy":
        _do(
            request,
            lambda: services.destroy_archive(
                u,
                p.get("archive"),
                method=p.get("method"),
                witness=p.get("witness"),
                on=p.get("on"),
            ),
            bi("已记录销毁。", "Destruction recorded."),
        )


@role_required(*VIEWERS)
@require_http_methods(["GET", "POST"])
def home(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        _post(request)
        return redirect("retention:home")
    role = request.user.role_code  # type: ignore[union-attr]
    today = clock.now()
    rules = [
        {
            "app": app,
            "entity": _entity(r.entity),
            "years": f"{r.keep_days / 365:g}",
            "basis": bi(r.basis_zh, r.basis_en),
        }
        for app, r in services.rules()
    ]
    holds = [
        {"h": h, "kind": _label(HoldKind, h.kind)}
        for h in LegalHold.objects.filter(lifted_at__isnull=True)[:200]
    ]
    archives = []
    for a in PaperArchive.objects.select_related("keeper")[:200]:
        out = next(iter(a.loans.filter(back_at__isnull=True)), None)
        if a.destroyed_on:
            state = bi("已销毁", "destroyed")
        elif out is not None:
            state = bi("已借出", "out")
        elif a.retain_until < today.date():
            state = bi("已过保存期限", "past retention")
        else:
            state = bi("在柜", "in cabinet")
        archives.append({"a": a, "kind": _label(ArchiveKind, a.kind), "state": state, "out": out})
    ctx = {
        "rules": rules,
        "runs": [_run_row(r) for r in RetentionRun.objects.all()[:20]],
        "holds": holds,
        "archives": archives,
        "hold_kinds": [(c.value, half(c.label)) for c in HoldKind],
        "archive_kinds": [(c.value, half(c.label)) for c in ArchiveKind],
        "methods": [(c.value, half(c.label)) for c in DestructionMethod],
        "may_run": role == Role.PRIVACY_OFFICER,
        "may_dry_run": role in (Role.PRIVACY_OFFICER, Role.DATA_STEWARD, Role.INSPECTOR),
        "may_hold": role in (Role.PRIVACY_OFFICER, Role.LEGAL),
        "may_archive": role in (Role.PRIVACY_OFFICER, Role.DATA_STEWARD),
    }
    return render(request, "retention/home.html", ctx)


@role_required(*VIEWERS)
def run_page(request: HttpRequest, run_id: int) -> HttpResponse:
    """The destruction certificate, printable."""
    rec = RetentionRun.objects.filter(pk=run_id).first()
    if rec is None:
        return error_page(request, NotFound("no such run"))
    rows = [
        {
            "entity": _entity(r.get("entity", "")),
            "basis": bi(r.get("basis_zh", ""), r.get("basis_en", "")),
            "expired": r.get("expired", 0),
            "destroyed": r.get("destroyed", 0),
            "held": r.get("held", 0),
            "holds": [
                (bi(*HOLD_LABELS.get(code, (code, code))), n)
                for code, n in (r.get("by_hold") or {}).items()
            ],
            "failed": "error" in r,
        }
        for r in rec.summary.get("rules", [])
    ]
    return render(request, "retention/run.html", {"rec": _run_row(rec), "rows": rows})
