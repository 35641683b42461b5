"""The customers app in the participant contract: the profile and its records (the
catalogue's core entities), the eraser that clears them, and the records' import columns
(`record_columns`, decision 0039)."""

from __future__ import annotations

from typing import Any

from baomi.catalog import fields as catalog
from baomi.contract.participants import (
    EraseContext,
    Erasure,
    Participant,
    kept_under_holds,
    register,
)
from baomi.core import clock

from .models import ENTITY_MODELS
from .record_columns import RECORD_COLUMNS
from .retention import RULES


def erase(ctx: EraseContext) -> Erasure:
    """Set every sealed column of the profile and its records to NULL (belt and braces after
    the data key is destroyed: no ciphertext left); stamp erased_at unless replaying onto a
    customer a backup already knew as erased. The records' non-personal columns stay under
    the catalogue's legal holds (booking references, waybill numbers)."""
    cleared: dict[str, int] = {}
    for entity, model in ENTITY_MODELS.items():
        blank: dict[str, Any] = {f.code: None for f in catalog.fields_of(entity)}
        if entity == "customer":
            if ctx.erased_at is not None:
                blank.update(erased_at=ctx.erased_at, updated_at=clock.now(), lineage={})
            model.objects.filter(id=ctx.customer_id).update(**blank)  # type: ignore[attr-defined]
        else:
            cleared[entity] = model.objects.filter(customer_id=ctx.customer_id).update(**blank)  # type: ignore[attr-defined]
    return Erasure(cleared=cleared, kept=kept_under_holds(cleared))


register(
    Participant(
        app="customers",
        models=ENTITY_MODELS,
        eraser=erase,
        retention=RULES,
        intake=RECORD_COLUMNS,  # stay.* / booking.* / shipment.* import columns (0039)
    )
)
