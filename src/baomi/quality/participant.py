"""The quality app in the participant contract (issue #16): its audit actions, the read
closer of merged-away customers, the eraser, the steward's console pages and nav entry."""

from __future__ import annotations

from baomi.catalog import masking
from baomi.catalog.enums import FieldClass, Purpose, Role
from baomi.catalog.fields import FieldSpec
from baomi.contract.participants import (
    DemoStep,
    EraseContext,
    Erasure,
    NavEntry,
    Participant,
    ReadCloser,
    register,
)
from baomi.core.i18n import Bi
from baomi.customers.signals import merge_held

from . import demo, indicators
from .enums import QualityAction
from .models import HeldValue
from .services import duplicates, held, metrics

FIELDS = (
    # values an import held back instead of overwriting (survivorship): sealed under the
    # customer's data key, opened only by the gate for the steward's review
    FieldSpec(
        "quality_held_value",
        "values",
        "待审的导入值",
        "Import values held for review",
        FieldClass.BASIC,
        "json",
        (Purpose.DATA_QUALITY,),
        "until the data steward decides, then cleared",
        masking.hidden,
        method="import",
    ),
)
NON_PERSONAL = {
    "quality_held_value": frozenset(
        {
            "id",
            "customer",
            "fields",
            "reason",
            "source",
            "row",
            "state",
            "held_at",
            "decided_at",
            "decided_by",
        }
    ),
}


def erase(ctx: EraseContext) -> Erasure:
    cleared = duplicates.erase(ctx.customer_id)
    facts = metrics.erase(ctx.customer_id)
    if facts:
        cleared["customer_facts"] = facts
    kept = held.erase(ctx.customer_id)
    if kept:
        cleared["quality_held_value"] = kept
    return Erasure(cleared=cleared)


merge_held.connect(held.on_held, dispatch_uid="quality.held")

register(
    Participant(
        app="quality",
        entity_labels={"quality_held_value": ("导入待审核的值", "Import values held for review")},
        texts_zh={"until the data steward decides, then cleared": "数据管理员处理后清除"},
        fields=FIELDS,
        non_personal=NON_PERSONAL,
        models={"quality_held_value": HeldValue},
        actions=(QualityAction,),
        closers=(
            ReadCloser(
                "merged_duplicate",
                duplicates.closes_merged,
                refuse_single=True,
                refusal_code="customer_merged",
                refusal_message="this customer record was merged into another one",
                sql=duplicates.merged_sql,
            ),
        ),
        eraser=erase,
        nav=(
            NavEntry(
                "quality:queue",
                Bi("重复客户", "Duplicates"),
                "nav-duplicates",
                frozenset({Role.DATA_STEWARD}),
                80,
            ),
            NavEntry(
                "quality:metrics",
                Bi("数据质量", "Data quality"),
                "nav-quality",
                frozenset({Role.DATA_STEWARD}),
                79,
            ),
        ),
        urls=(("quality/", "baomi.quality.urls"),),
        indicators=indicators.INDICATORS,
        demo=(DemoStep(90, demo.run),),
    )
)
