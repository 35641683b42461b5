"""`/privacy`: the privacy notice in force (or an earlier version), zh-Hans or English."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from baomi.core.i18n import is_zh

from . import selectors, services
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
