"""`/privacy`: the privacy notice in force (or an earlier version), zh-Hans or English."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.views.decorators.http import require_GET, require_http_methods

from baomi.access.enums import Role
from baomi.catalog.enums import Channel
from baomi.console.decorators import role_required
from baomi.core import clock
from baomi.core.errors import BaomiError, ValidationFailed
from baomi.core.i18n import bi, half, is_zh

from . import platforms, selectors, services
from .models import PrivacyNotice


@require_GET
def privacy(request: HttpRequest) -> HttpResponse:
    current = services.current_notice()
    row = current
    wanted = request.GET.get("version", "")
    if wanted:
        found = (
            PrivacyNotice.objects.filter(version=int(wanted)).first() if wanted.isdigit() else None
        )
        if found is None:
            raise Http404("no such notice version")
        row = found
    lang = "zh-hans" if is_zh(get_language()) else "en"
    ctx = {
        "row": row,
        "notice": _labelled(row.content[lang]),
        "lang": lang,
        "in_force": row.pk == current.pk,
        "versions": selectors.notice_versions(),
    }
    return render(request, "consent/privacy.html", ctx)


def _labelled(content: dict[str, Any]) -> dict[str, Any]:
    """Each table cell paired with its column name (phones show tables as stacked cards)."""
    out = dict(content)
    out["sections"] = [
        {
            **sec,
            "tables": [
                {**t, "cells": [list(zip(t["columns"], r, strict=False)) for r in t["rows"]]}
                for t in sec.get("tables", [])
            ],
        }
        for sec in content["sections"]
    ]
    return out


@role_required(Role.PRIVACY_OFFICER)
@require_http_methods(["GET", "POST"])
def platforms_page(request: HttpRequest) -> HttpResponse:
    """The notice register (R-B2): where the notice must be visible, which version each
    platform shows, and the 3-month update deadline after a change."""
    if request.method == "POST":
        p = request.POST
        try:
            if p.get("op") == "add":
                platforms.add_platform(
                    request.user, code=p.get("code"), channel=p.get("channel"), name=p.get("name")
                )
            elif p.get("op") == "retire":
                platforms.retire_platform(request.user, p.get("platform"))
            else:
                platforms.record_posting(
                    request.user, platform=p.get("platform"), evidence=p.get("evidence")
                )
        except ValidationFailed as exc:
            messages.error(
                request,
                bi("；".join(i.zh for i in exc.issues), "; ".join(i.en for i in exc.issues)),
            )
        except BaomiError as exc:
            words = {
                "platform_exists": ("已有该编号的渠道。", "A platform with this code exists."),
                "platform_not_found": ("没有这个在用渠道。", "No such active platform."),
            }.get(exc.code, ("操作未完成。", "The action was not completed."))
            messages.error(request, bi(*words))
        else:
            messages.success(request, bi("已保存。", "Saved."))
        return redirect("notice_platforms")
    now = clock.now()
    rows = [
        {
            "s": s,
            "channel": half(Channel(s.platform.channel).label),
            "state": bi("已公示现行版本", "shows the version in force")
            if s.up_to_date
            else bi("未公示", "not shown")
            if not s.visible
            else bi("待更新", "to update"),
            "late": not s.in_time(now),
        }
        for s in platforms.standing(now)
    ]
    current = services.current_notice()
    ctx = {
        "rows": rows,
        "current": current,
        "due_by": clock.add_months(current.published_at, platforms.UPDATE_MONTHS),
        "channels": [(c.value, half(c.label)) for c in Channel if c not in (Channel.IMPORT,)],
    }
    return render(request, "consent/platforms.html", ctx)
