"""Values an import held back (survivorship, issue #16; R-A3, R-K3): stored sealed when the
importer signals them (`customers.signals.merge_held`), reviewed by the data steward —
keep the stored value, or take the held one (applied under the customer's key, lineage
`basis: steward_review`). Audited at every step."""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.db import transaction

from baomi import audit
from baomi.access.services import require_role
from baomi.audit.services import build, record_many
from baomi.catalog import fields as catalog
from baomi.catalog.enums import Purpose, Role
from baomi.core import clock
from baomi.core.errors import Conflict, NotFound
from baomi.customers import gate
from baomi.customers import services as customers
from baomi.customers.signals import HeldRow
from baomi.quality.enums import QualityAction
from baomi.quality.models import HeldValue
from baomi.vault import services as vault

P = Purpose.DATA_QUALITY
TABLE = "quality_held_value"


def on_held(
    sender: Any, actor: Any, purpose: Any, channel: str, items: list[HeldRow], **_: Any
) -> None:
    """Receiver of `merge_held`, in the import batch's transaction."""
    if not items:
        return
    now = clock.now()
    rows = [(uuid.uuid4(), it) for it in items]
    sealed = vault.seal_for(
        (it.customer_id, TABLE, "values", json.dumps(it.values, ensure_ascii=False), rid)
        for rid, it in rows
    )
    objs = []
    events = []

    for rid, it in rows:
        blob = sealed.get((str(it.customer_id), rid))
        if blob is None:  # erased meanwhile: nothing to hold
            continue
        objs.append(
            HeldValue(
                id=rid,
                customer_id=it.customer_id,
                fields=sorted(it.values),
                reason=it.reason,
                source=it.source[:120],
                row=it.row,
                values=blob,
                held_at=now,
            )
        )
        events.append(
            build(
                QualityAction.CONFLICT_QUEUED,
                actor,
                purpose=str(getattr(purpose, "value", purpose) or ""),
                object_type="customer",
                object_id=it.customer_id,
                fields=sorted(it.values),
                detail={"reason": it.reason, "row": it.row, "channel": channel, "held": str(rid)},
            )
        )
    HeldValue.objects.bulk_create(objs)
    record_many(events)


def _held(held_id: object) -> HeldValue:
    try:
        pk = uuid.UUID(str(held_id))
    except ValueError:
        raise NotFound("no such held value") from None
    h = HeldValue.objects.select_for_update().filter(pk=pk).first()
    if h is None:
        raise NotFound("no such held value")
    if h.state != "open":
        raise Conflict(f"already decided ({h.state})", code="held_decided")
    return h


def open_values(actor: Any, h: HeldValue) -> dict[str, Any]:
    """The held values, opened through the gate under data_quality (audited)."""
    if h.values is None:
        return {}
    opened = gate.open_attached(actor, P, h.customer_id, TABLE, {"values": h.values}, h.id)
    text = opened.get("values")
    return dict(json.loads(text)) if text else {}


def masked(actor: Any, h: HeldValue) -> dict[str, str]:
    """The held values as the steward sees customer values: masked per the catalogue."""
    return {
        code: catalog.spec("customer", code).mask(str(v))
        for code, v in open_values(actor, h).items()
        if code in catalog.CUSTOMER_FIELDS
    }


def _close(actor: Any, h: HeldValue, state: str, action: QualityAction) -> None:
    h.state, h.decided_at, h.decided_by, h.values = state, clock.now(), actor, None
    h.save(update_fields=["state", "decided_at", "decided_by", "values"])
    audit.record(
        action,
        actor,
        purpose=P,
        object_type="customer",
        object_id=h.customer_id,
        fields=h.fields,
        detail={"held": str(h.id), "decision": state},
    )


def keep(actor: Any, held_id: object) -> HeldValue:
    """The stored values stand; the held ones are discarded."""
    require_role(actor, Role.DATA_STEWARD)
    gate.check_purpose(actor, P)
    with transaction.atomic():
        h = _held(held_id)
        _close(actor, h, "kept", QualityAction.CONFLICT_RESOLVED)
    return h


def take(actor: Any, held_id: object) -> HeldValue:
    """The held values replace the stored ones (the steward checked them)."""
    require_role(actor, Role.DATA_STEWARD)
    gate.check_purpose(actor, P)
    with transaction.atomic():
        h = _held(held_id)
        values = open_values(actor, h)
        customers.apply_reviewed(actor, P, h.customer_id, values, ref=f"held:{h.id}")
        _close(actor, h, "taken", QualityAction.CONFLICT_RESOLVED)
    return h


def erase(customer_id: uuid.UUID) -> int:
    n, _ = HeldValue.objects.filter(customer_id=customer_id).delete()
    return n
