"""The catalogue in the participant contract: the R-B1 indicator (collection checklist
coverage). Registration glue, like an app's api.py: the catalogue's domain modules do not
import the contract layer."""

from __future__ import annotations

from baomi.contract.kpis import (
    AT_LEAST,
    QUARTER,
    Drill,
    DrillRow,
    Indicator,
    Measurement,
    Period,
    is_current,
    share,
)
from baomi.contract.participants import Participant, register

from . import services
from .enums import FieldClass


def _covered(row: dict[str, object]) -> bool:
    """A checklist item states a purpose, a scope (retention) and a method (R-B1)."""
    return bool(row["purposes"]) and bool(row["retention"]) and bool(row["method"])


def checklist_coverage(period: Period) -> Measurement:
    """The catalogue is code: it can be measured as deployed now, not as it was. A past
    period has no value (`snapshot_only`) rather than today's figure passed off as then."""
    if not is_current(period):
        return Measurement(None, "snapshot_only")
    rows = services.checklist()
    return share(sum(1 for r in rows if _covered(r)), len(rows), "empty_catalogue")


def drill(period: Period) -> Drill:
    if not is_current(period):
        return Drill([], [])
    rows = services.checklist()
    zh = {r["item"]: r["label"] for r in services.checklist("zh-hans")}
    for r in rows:
        r["label_zh"] = zh[r["item"]]
    classes: dict[str, list[int]] = {}
    for r in rows:
        k = str(r["class"])
        classes.setdefault(k, [0, 0])
        classes[k][0] += 1
        classes[k][1] += 1 if _covered(r) else 0
    return Drill(
        groups=[
            {"group": k, "label": FieldClass(k).label, "total": t, "counted": c}
            for k, (t, c) in classes.items()
        ],
        rows=[
            DrillRow(
                id=str(r["item"]),
                cells={
                    "label": f"{r['label_zh']} / {r['label']}",
                    "class": FieldClass(r["class"]).label,
                    "purposes": len(r["purposes"]),
                    "method": "✓" if r["method"] else "✗",
                    "retention": "✓" if r["retention"] else "✗",
                },
                counts=_covered(r),
            )
            for r in rows
        ],
    )


CHECKLIST_COVERAGE = Indicator(
    code="catalog.checklist_coverage",
    name_zh="采集清单覆盖率（目的、范围、方式）",
    name_en="Collection checklist coverage (purpose, scope, method)",
    requirement="R-B1",
    target=100.0,
    direction=AT_LEAST,
    unit="%",
    period=QUARTER,
    compute=checklist_coverage,
    drill=drill,
    columns=(
        ("label", "采集项", "Item"),
        ("class", "类别", "Class"),
        ("purposes", "目的数", "Purposes"),
        ("method", "采集方式", "Method"),
        ("retention", "保存期限", "Retention"),
    ),
    description_zh="数据目录中说明了目的、保存期限与采集方式的采集项比例。",
    description_en="Share of collected items in the catalogue that state their purpose, "
    "retention and collection method.",
    reasons=(
        (
            "snapshot_only",
            "数据目录只能按当前版本计算",
            "The catalogue is measured as deployed now",
        ),
        ("empty_catalogue", "数据目录为空", "The catalogue is empty"),
    ),
)

register(Participant(app="catalog", indicators=(CHECKLIST_COVERAGE,)))
