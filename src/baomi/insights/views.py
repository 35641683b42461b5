"""Console pages for `marketing` and `manager` (`/insights/`): segment sizes with a bar
chart (server-rendered, no script), one segment's rule and monthly sizes, campaigns with
their results. Aggregates only, suppressed below k. Thin: parse, call a service, render."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from baomi.catalog.enums import Purpose, Role
from baomi.console.views import role_required
from baomi.core.errors import BaomiError, ValidationFailed
from baomi.core.i18n import bi

from . import selectors, services
from .enums import CampaignChannel, CampaignState
from .models import Campaign
from .segments import SEGMENTS

VIEWERS = (Role.MARKETING, Role.MANAGER)
KIND_LABELS = {
    "lifecycle": ("生命周期", "Lifecycle"),
    "value": ("价值", "Value"),
    "preference": ("偏好", "Preference"),
}
CHANNEL_LABELS = {
    "sms": ("短信", "SMS"),
    "email": ("电子邮件", "E-mail"),
    "wechat": ("微信", "WeChat"),
}
STATE_LABELS = {"draft": ("草稿", "Draft"), "sent": ("已发送", "Sent")}
MESSAGES = {
    "campaign_sent": ("该活动已发送。", "This campaign was already sent."),
    "segment_changed": (
        "分群规则已变更，请重新创建活动。",
        "The segment's rules changed: create the campaign again.",
    ),
    "role_required": ("您的岗位不能执行此操作。", "Your role cannot do this."),
    "purpose_forbidden": ("您的岗位不能以此目的处理。", "Your role cannot use this purpose."),
}


def _error(exc: BaomiError) -> str:
    if isinstance(exc, ValidationFailed):
        return bi("；".join(i.zh for i in exc.issues), "; ".join(i.en for i in exc.issues))
    zh, en = MESSAGES.get(exc.code, ("操作未完成。", "The action did not complete."))
    return bi(zh, en)


def _width(size: int | None, top: int) -> int:
    if not size or not top:
        return 0
    return max(5, round(20 * size / top) * 5)


@role_required(*VIEWERS)
def segments_page(request: HttpRequest) -> HttpResponse:
    try:
        period = selectors.period_of(request.GET.get("period"))
    except ValidationFailed as exc:
        messages.error(request, _error(exc))
        period = selectors.period_of(None)
    data = selectors.segments(period)
    if data["run"]:
        at = timezone.localtime(datetime.fromisoformat(data["run"]["started_at"]))
        data["run"]["started_local"] = at.strftime("%Y-%m-%d %H:%M")
    top = max((s["size"] or 0 for s in data["segments"]), default=0)
    groups: list[dict[str, Any]] = []
    for kind, (zh, en) in KIND_LABELS.items():
        rows = [
            dict(s, width=_width(s["size"], top)) for s in data["segments"] if s["kind"] == kind
        ]
        groups.append({"label": bi(zh, en), "rows": rows})
    return render(
        request,
        "insights/segments.html",
        {
            "data": data,
            "groups": groups,
            "can_run": request.user.role_code == Role.MARKETING,  # type: ignore[union-attr]
        },
    )


@role_required(Role.MARKETING)
@require_POST
def run_now(request: HttpRequest) -> HttpResponse:
    try:
        r = services.run(request.user)
        messages.success(
            request,
            bi(
                f"已完成分群计算：分析 {r.analysed} 位已同意的客户。",
                f"Segments computed over {r.analysed} consenting customers.",
            ),
        )
    except BaomiError as exc:
        messages.error(request, _error(exc))
    return redirect("insights:segments")


@role_required(*VIEWERS)
def segment_page(request: HttpRequest, code: str) -> HttpResponse:
    data = selectors.segment(code)
    top = max((h["size"] or 0 for h in data["history"]), default=0)
    history = [
        dict(h, width=_width(h["size"], top), reason_text=selectors.reason_text(h["reason"]))
        for h in data["history"]
    ]
    return render(request, "insights/segment.html", {"seg": data, "history": history})


def _campaign_row(c: Campaign) -> dict[str, Any]:
    row = selectors.campaign_json(c)
    row["channel_label"] = bi(*CHANNEL_LABELS.get(c.channel, (c.channel, c.channel)))
    row["state_label"] = bi(*STATE_LABELS.get(c.state, (c.state, c.state)))
    row["draft"] = c.state == CampaignState.DRAFT
    return row


@role_required(*VIEWERS)
def campaigns_page(request: HttpRequest) -> HttpResponse:
    is_marketing = request.user.role_code == Role.MARKETING  # type: ignore[union-attr]
    if request.method == "POST":
        if not is_marketing:
            messages.error(request, _error(BaomiError(code="role_required")))
            return redirect("insights:campaigns")
        try:
            services.create_campaign(request.user, request.POST.dict())
            messages.success(request, bi("已创建活动草稿。", "Campaign draft created."))
        except BaomiError as exc:
            messages.error(request, _error(exc))
        return redirect("insights:campaigns")
    return render(
        request,
        "insights/campaigns.html",
        {
            "rows": [_campaign_row(c) for c in Campaign.objects.all()[:100]],
            "can_edit": is_marketing,
            "segments": [(s.code, bi(s.name_zh, s.name_en)) for s in SEGMENTS],
            "channels": [(c, bi(*CHANNEL_LABELS[c])) for c in CampaignChannel.values],
            "purpose": Purpose.MARKETING.value,
        },
    )


@role_required(Role.MARKETING)
@require_POST
def campaign_send(request: HttpRequest, campaign_id: str) -> HttpResponse:
    try:
        c = services.send_campaign(request.user, campaign_id)
        if c.audience_suppressed:  # the size would single people out (decision 0037)
            messages.success(
                request, bi("已发送。人数不予显示。", "Sent. The number is not shown.")
            )
        else:
            messages.success(
                request, bi(f"已发送给 {c.audience} 位客户。", f"Sent to {c.audience} customers.")
            )
    except BaomiError as exc:
        messages.error(request, _error(exc))
    return redirect("insights:campaigns")
