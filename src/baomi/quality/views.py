"""Console pages of the data steward (`/quality/`): the duplicate queue (pairs with their
probability and evidence), one pair side by side — masked through the gate — with merge
(survivor and the fields to take), not-a-duplicate, defer and unmerge. Thin: parse, call a
service, render; errors in words, in the active language."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from baomi.catalog import fields as catalog
from baomi.catalog.enums import Channel, Role
from baomi.console import labels
from baomi.console.presenters import CHOICE_ENUMS
from baomi.console.views import error_page, role_required
from baomi.core.errors import BaomiError, ValidationFailed
from baomi.core.i18n import bi, country_name

from . import selectors
from .enums import PairState
from .services import duplicates, held, metrics

STEWARD = Role.DATA_STEWARD
STATE_LABELS = {
    PairState.OPEN: ("待处理", "Open"),
    PairState.DEFERRED: ("暂缓", "Deferred"),
    PairState.MERGED: ("已合并", "Merged"),
    PairState.DISMISSED: ("非重复", "Not a duplicate"),
    PairState.UNMERGED: ("已撤销合并", "Merge undone"),
}
MESSAGES = {
    "pair_state": ("该记录对已处理，不能再执行此操作。", "This pair was already decided."),
    "role_required": ("您的岗位不能执行此操作。", "Your role cannot do this."),
    "not_found": ("未找到该记录。", "Not found."),
    "held_decided": ("该冲突已处理。", "This conflict was already decided."),
    "duplicate_customer": ("另一位客户已使用该证件号码。", "Another customer has this ID number."),
}


def _error(exc: BaomiError) -> str:
    if isinstance(exc, ValidationFailed):
        return bi("；".join(i.zh for i in exc.issues), "; ".join(i.en for i in exc.issues))
    zh, en = MESSAGES.get(exc.code, ("操作未完成。", "The action did not complete."))
    return bi(zh, en)


def _state(value: str) -> str:
    zh, en = STATE_LABELS.get(PairState(value), (value, value))
    return bi(zh, en)


def _level(level: int) -> dict[str, Any]:
    zh, en = selectors.LEVELS.get(level, selectors.LEVELS[-1])
    css = {0: "plain", 1: "plain", 2: "masked", 3: "withheld"}.get(level, "")
    return {"text": bi(zh, en), "css": css}


def _shown(code: str, value: Any) -> Any:
    """A value as the console shows it: choice codes (gender, ID type) in words, a
    nationality as its country's name ("中国", not "CN"; a masked value stays as it is)."""

    if value is not None and code in CHOICE_ENUMS:
        return labels.choice_label(CHOICE_ENUMS[code], value)
    if value is not None and code == "nationality":
        return country_name(value)
    return value


@role_required(STEWARD)
def queue(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state") or None
    if state is not None and state not in PairState.values:
        state = None
    rows = [
        {
            "p": p,
            "percent": round(p.probability * 100, 1),
            "state": _state(p.state),
            "agree": [
                bi(selectors_label(code)[0], selectors_label(code)[1])
                for code, lv in p.levels.items()
                if int(lv) in (0, 1)
            ],
        }
        for p in selectors.pairs(state)
    ]
    counts = selectors.counts()
    tabs = [
        {
            "value": s.value,
            "label": _state(s.value),
            "count": counts[s.value],
            "on": state == s.value,
        }
        for s in PairState
    ]
    held_rows = [
        {
            "h": h,
            "reason": bi(*HELD_REASONS.get(h.reason, ("待审", "to review"))),
            "fields": "、".join(bi(*selectors_label(f)) for f in h.fields),
        }
        for h in selectors.held_open()
    ]
    return render(
        request,
        "quality/queue.html",
        {"rows": rows, "counts": counts, "tabs": tabs, "state": state, "held": held_rows},
    )


HELD_REASONS = {
    "identity_conflict": ("身份信息不一致，整行未导入", "Identity differs: the whole row was held"),
    "confirmed_value": ("已确认的值未被覆盖", "A confirmed value was not overwritten"),
}


@role_required(STEWARD)
@require_http_methods(["GET", "POST"])
def held_page(request: HttpRequest, held_id: str) -> HttpResponse:
    try:
        h = selectors.held_one(held_id)
    except BaomiError as exc:
        return error_page(request, exc)
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "keep":
                held.keep(request.user, h.id)
                messages.success(request, bi("已保留原值。", "The stored values stand."))
            elif action == "take":
                held.take(request.user, h.id)
                messages.success(
                    request, bi("已采用导入的值。", "The imported values were applied.")
                )
            else:
                messages.error(request, bi("未知操作。", "Unknown action."))
        except BaomiError as exc:
            messages.error(request, _error(exc))
        return redirect("quality:held", held_id=h.id)
    try:
        rows = selectors.held_comparison(request.user, h)
    except BaomiError as exc:
        return error_page(request, exc)
    return render(
        request,
        "quality/held.html",
        {
            "h": h,
            "rows": [
                {"r": r, "left": _shown(r.code, r.left), "right": _shown(r.code, r.right)}
                for r in rows
            ],
            "reason": bi(*HELD_REASONS.get(h.reason, ("待审", "to review"))),
            "open": h.state == "open",
            "state": bi(
                *{
                    "open": ("待处理", "Open"),
                    "kept": ("已保留原值", "Stored values kept"),
                    "taken": ("已采用导入值", "Imported values applied"),
                }.get(h.state, ("", ""))
            ),
        },
    )


def selectors_label(code: str) -> tuple[str, str]:

    spec = catalog.spec("customer", code)
    return spec.label_zh, spec.label_en


@role_required(STEWARD)
@require_POST
def scan(request: HttpRequest) -> HttpResponse:
    try:
        r = duplicates.scan(request.user)
    except BaomiError as exc:
        messages.error(request, _error(exc))
    else:
        messages.success(
            request,
            bi(
                f"查重完成：比对 {r.candidates} 对候选，新增 {r.queued} 对待处理。",
                f"Scan done: {r.candidates} candidate pairs compared, {r.queued} new pairs queued.",
            ),
        )
    return redirect("quality:queue")


@role_required(STEWARD)
@require_http_methods(["GET", "POST"])
def pair(request: HttpRequest, pair_id: int) -> HttpResponse:
    try:
        p = selectors.pair(pair_id)
    except BaomiError as exc:
        return error_page(request, exc)
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "merge":
                take = [f for f in request.POST.getlist("take") if f]
                duplicates.merge(request.user, p.pk, request.POST.get("survivor", ""), take)
                messages.success(request, bi("已合并，可随时撤销。", "Merged; it can be undone."))
            elif action == "dismiss":
                duplicates.dismiss(request.user, p.pk)
                messages.success(request, bi("已标记为非重复。", "Marked as not a duplicate."))
            elif action == "defer":
                duplicates.defer(request.user, p.pk)
                messages.success(request, bi("已暂缓。", "Deferred."))
            elif action == "unmerge":
                duplicates.unmerge(request.user, p.pk)
                messages.success(request, bi("已撤销合并。", "Merge undone."))
            else:
                messages.error(request, bi("未知操作。", "Unknown action."))
        except BaomiError as exc:
            messages.error(request, _error(exc))
        return redirect("quality:pair", pair_id=p.pk)
    try:
        rows = selectors.comparison(request.user, p)
    except BaomiError as exc:
        return error_page(request, exc)
    merge = selectors.active_merge(p)
    return render(
        request,
        "quality/pair.html",
        {
            "p": p,
            "percent": round(p.probability * 100, 1),
            "state": _state(p.state),
            "open": p.state in (PairState.OPEN, PairState.DEFERRED),
            "can_defer": p.state == PairState.OPEN,
            "merged": merge,
            "rows": [
                {
                    "r": r,
                    "left": _shown(r.code, r.left),
                    "right": _shown(r.code, r.right),
                    "level": _level(r.level),
                }
                for r in rows
            ],
        },
    )


METRIC_LABELS = {
    "completeness": ("完整性", "Completeness"),
    "validity": ("有效性", "Validity"),
    "accuracy": ("准确性", "Accuracy"),
    "timeliness": ("及时性", "Timeliness"),
    "consistency": ("一致性", "Consistency"),
    "uniqueness": ("唯一性", "Uniqueness"),
    "compliance": ("达标率", "Compliance"),
}
TARGET = 95.0


def _cell(cell: dict[str, int] | None) -> dict[str, Any]:
    value = metrics.share(cell)
    return {
        "value": "—" if value is None else f"{value:.1f}".rstrip("0").rstrip(".") + " %",
        "ratio": f"{cell['num']} / {cell['den']}" if cell else "",
        "css": "" if value is None else ("plain" if value >= TARGET else "withheld"),
    }


@role_required(STEWARD)
def metrics_page(request: HttpRequest) -> HttpResponse:

    run = metrics.latest()
    names = [(m, bi(*METRIC_LABELS[m])) for m in metrics.METRICS]
    ctx: dict[str, Any] = {"run": run, "names": names, "target": "≥ 95 %"}
    if run is not None:
        ctx["totals"] = [{"code": m, "name": n, **_cell(run.totals.get(m))} for m, n in names]
        field_metrics = ("completeness", "validity", "accuracy", "timeliness")
        ctx["field_names"] = [bi(*METRIC_LABELS[m]) for m in field_metrics]
        ctx["fields"] = [
            {
                "label": bi(
                    catalog.spec("customer", f).label_zh, catalog.spec("customer", f).label_en
                ),
                "cells": [_cell(run.by_field.get(f, {}).get(m)) for m in field_metrics],
            }
            for f in metrics.FIELDS
        ]
        channels = dict(Channel.choices)
        ctx["channels"] = [
            {
                "label": bi(*str(channels.get(ch, ch)).split(" / ", 1))
                if " / " in str(channels.get(ch, ch))
                else str(channels.get(ch, ch)),
                "cells": [_cell(cells.get(m)) for m, _ in names],
            }
            for ch, cells in run.by_channel.items()
        ]
    return render(request, "quality/metrics.html", ctx)


@role_required(STEWARD)
@require_POST
def metrics_compute(request: HttpRequest) -> HttpResponse:
    try:
        run = metrics.compute(request.user)
    except BaomiError as exc:
        messages.error(request, _error(exc))
    else:
        messages.success(
            request,
            bi(
                f"已计算：{run.customers} 位客户，其中 {run.recomputed} 位的资料有变更。",
                f"Computed: {run.customers} customers, {run.recomputed} changed since last time.",
            ),
        )
    return redirect("quality:metrics")
