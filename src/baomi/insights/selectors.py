"""Insights reads for aggregate viewers: sizes (suppressed below k), definitions, runs."""

from __future__ import annotations

from typing import Any

from baomi.contract.kpis import Period, current_period, parse_period
from baomi.core import clock
from baomi.core.errors import NotFound
from baomi.core.i18n import bi

from .models import Campaign, InsightRun, SegmentSize
from .segments import BY_CODE, INDUSTRY_LABELS, SEGMENTS
from .services import cells_view, k_min, results

REASON_WORDS = {
    "below_k": ("人数少于 k，不予显示", "Fewer than k customers: not shown"),
    "differencing": (
        "与另一分群相减可识别个人，不予显示",
        "Would single out people by subtraction: not shown",
    ),
    "complementary": (
        "可由同组其他数字推算，不予显示",
        "Could be worked out from the others: not shown",
    ),
    "not_sent": ("尚未发送", "Not sent yet"),
}


def reason_text(code: str) -> str:
    words = REASON_WORDS.get(code)
    return bi(*words) if words else ""


def period_of(code: str | None) -> Period:
    return parse_period(code) if code else current_period("month", clock.now())


def latest_run(period: Period) -> InsightRun | None:
    return (
        InsightRun.objects.filter(started_at__gte=period.start, started_at__lt=period.end)
        .order_by("-started_at", "-id")
        .first()
    )


def run_json(r: InsightRun) -> dict[str, Any]:
    return {
        "id": r.pk,
        "period": r.period,
        "started_at": r.started_at.isoformat(),
        "k": r.k,
        "considered": r.considered,
        "profiling": r.profiling,
        "analysed": r.analysed,
        "segmented": r.segmented,
    }


def size_json(row: SegmentSize | None, code: str) -> dict[str, Any]:
    seg = BY_CODE[code]
    out: dict[str, Any] = {
        "code": code,
        "version": seg.version if row is None else row.version,
        "kind": seg.kind.value,
        "industry": seg.industry,
        "name": bi(seg.name_zh, seg.name_en),
        "rule": bi(seg.rule_zh, seg.rule_en),
        "size": None,
        "suppressed": False,
        "reason": "",
        "reason_text": "",
        "avg_recency_days": None,
        "avg_frequency": None,
        "avg_monetary": None,
    }
    if row is None:
        out["reason"] = "no_run"
        return out
    if row.suppressed:
        out.update(suppressed=True, reason=row.suppressed, reason_text=reason_text(row.suppressed))
        return out
    out.update(
        size=row.size,
        avg_recency_days=row.avg_recency_days,
        avg_frequency=row.avg_frequency,
        avg_monetary=row.avg_monetary,
    )
    return out


def rfm_json(r: InsightRun) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for industry, cells in sorted(r.rfm.items()):
        dims: dict[str, Any] = {}
        for dim in ("r", "f", "m"):
            part = {f"{dim}{i}": int(cells.get(f"{dim}{i}", 0)) for i in (1, 2, 3)}
            if any(part.values()):
                dims[dim] = cells_view(part, r.k)
        zh, en = INDUSTRY_LABELS.get(industry, (industry, industry))
        out[industry] = {"name": bi(zh, en), **dims}
    return out


def segments(period: Period) -> dict[str, Any]:
    r = latest_run(period)
    rows = {s.code: s for s in r.sizes.all()} if r else {}
    return {
        "period": period.code,
        "run": run_json(r) if r else None,
        "segments": [size_json(rows.get(s.code), s.code) for s in SEGMENTS],
        "rfm": rfm_json(r) if r else {},
    }


def segment(code: str, periods: int = 12) -> dict[str, Any]:
    seg = BY_CODE.get(code)
    if seg is None:
        raise NotFound("no such segment", code="segment_not_found")
    now = current_period("month", clock.now())
    history = []
    for n in range(periods):
        p = now.previous(n) if n else now
        r = latest_run(p)
        row = r.sizes.filter(code=code).first() if r else None
        entry = size_json(row, code)
        history.append(
            {
                "period": p.code,
                "version": entry["version"],
                "size": entry["size"],
                "suppressed": entry["suppressed"],
                "reason": entry["reason"],
                "avg_recency_days": entry["avg_recency_days"],
                "avg_frequency": entry["avg_frequency"],
                "avg_monetary": entry["avg_monetary"],
            }
        )
    current = history[0]
    return {
        **size_json(None, code),
        **{k: v for k, v in current.items() if k != "period"},
        "reason_text": reason_text(current["reason"]),
        "history": history,
    }


def campaign_json(c: Campaign) -> dict[str, Any]:
    res = results(c)
    seg = BY_CODE.get(c.segment)
    return {
        "id": str(c.pk),
        "name": c.name,
        "segment": c.segment,
        "segment_name": bi(seg.name_zh, seg.name_en) if seg else c.segment,
        "segment_version": c.segment_version,
        "purpose": c.purpose,
        "channel": c.channel,
        "state": c.state,
        "window_days": c.window_days,
        "created_at": c.created_at.isoformat(),
        "sent_at": c.sent_at.isoformat() if c.sent_at else None,
        "audience": None if c.audience_suppressed else c.audience,
        "audience_suppressed": bool(c.audience_suppressed),
        "excluded": {r: (n if not 0 < n < k_min() else None) for r, n in c.excluded.items()},
        "recipients": res.recipients,
        "converted": res.converted,
        "conversion_rate": res.rate,
        "suppressed": bool(res.suppressed) and res.suppressed != "not_sent",
        "reason": res.suppressed,
        "reason_text": reason_text(res.suppressed),
        "window_end": res.window_end.isoformat() if res.window_end else None,
        "complete": res.complete,
    }


def recommendations(period: Period) -> dict[str, Any]:
    """The latest run's next-best-product table: per product (bought by ≥ k customers),
    the top 10 next products and how many customers bought both (≥ k)."""
    from .recommend import Model, recommend

    r = latest_run(period)
    recs = getattr(r, "recs", None) if r else None
    if r is None or recs is None:
        return {"period": period.code, "run": None, "customers": 0, "products": []}
    model = Model(pairs=recs.pairs, buyers=recs.buyers, customers=recs.customers)
    products = []
    for item in sorted(model.buyers, key=lambda i: (-model.buyers[i], i)):
        ranked = [
            b
            for b in recommend(model, [item], 10, exclude_seen=True)
            if b in model.pairs.get(item, {})
        ]
        products.append(
            {
                "product": item,
                "customers": model.buyers[item],
                "next": [{"product": b, "customers": model.pairs[item][b]} for b in ranked],
            }
        )
    return {"period": period.code, "run": r.pk, "customers": recs.customers, "products": products}
