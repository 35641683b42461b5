"""Telling partners that a customer withdrew `partner_sharing` or was erased (PIPL art. 47:
the recipients of the data are told to stop and delete). The list of partners to tell is
derived (selectors.to_notify); recording that one was told closes its line."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction

from baomi import audit
from baomi.core import clock
from baomi.core.errors import Conflict

from ..enums import SharingAction
from ..models import NoticeCause, PartnerNotice
from . import common as c


@transaction.atomic
def record_notice(
    actor: Any,
    partner_id: object,
    customer_id: object,
    cause: object,
    method: object,
    reference: object = "",
) -> PartnerNotice:
    c.require(actor, c.REGISTER_ROLES, "record partner notices")
    from ..selectors import to_notify

    try:
        cid = uuid.UUID(str(customer_id))
        pid = int(str(partner_id))
    except ValueError:
        raise c.invalid(
            "customer_id", "invalid", "a customer and a partner", "客户或合作方无效"
        ) from None
    code = str(cause or "")
    if code not in NoticeCause.values:
        raise c.invalid("cause", "choice_invalid", "consent_withdrawn or erased", "原因无效")
    due = [t for t in to_notify([cid]) if t.partner.pk == pid and t.cause.value == code]
    if not due:
        raise Conflict("nothing to tell this partner about this customer", code="nothing_to_notify")
    notice = PartnerNotice.objects.create(
        partner_id=pid,
        customer_id=cid,
        cause=code,
        method=c.text(method, "method", limit=100),
        reference=c.text(reference, "reference", required=False, limit=100),
        recorded_at=clock.now(),
        recorded_by=actor,
    )
    audit.record(
        SharingAction.PARTNER_NOTIFIED,
        actor,
        object_type="customer",
        object_id=cid,
        detail={"partner": pid, "cause": code, "disclosures": due[0].disclosures},
    )
    return notice
