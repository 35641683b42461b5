"""The rights app in the participant contract (issue #10): its catalogue entities (the
sealed request texts), the restriction closer the gate asks, the eraser for its own texts,
the requests section of the access copy, the console entries and the R-F1 indicator."""

from __future__ import annotations

import uuid
from typing import Any

from django.utils.translation import gettext_lazy as _

from baomi.catalog import masking
from baomi.catalog.enums import FieldClass, Purpose, Role
from baomi.catalog.fields import FieldSpec
from baomi.contract.participants import (
    AccessCopySection,
    Banner,
    DemoStep,
    EraseContext,
    Erasure,
    NavEntry,
    Participant,
    ReadCloser,
    register,
)
from baomi.core.sql import exists_naming

from . import demo, indicators, retention, selectors
from .models import Restriction, RightsRequest, RightsTransition

P = Purpose
_R_RIGHTS = "3 years after the request is closed (evidence of handling, R-F1), then destroyed"

RIGHTS_FIELDS: tuple[FieldSpec, ...] = (
    # -- data-subject requests (R-F1, R-F2): sealed under the customer's data key, so an
    # erasure shreds them with the profile; opened only by the gate (open_attached,
    # open_attached_many). The customer's own text and what staff write about the request
    # (refusal reason, resolution, reason for a move, why a restriction was lifted) alike:
    # staff notes routinely quote an ID number or an address ---------------------------
    FieldSpec(
        "rights_request",
        "detail",
        "请求说明",
        "Request details",
        FieldClass.SENSITIVE,  # free text from the customer: may hold anything
        "text",
        (P.RIGHTS_REQUEST,),
        _R_RIGHTS,
        masking.hidden,
        method="rights_request",
    ),
    FieldSpec(
        "rights_request",
        "changes",
        "更正内容",
        "Proposed corrections",
        FieldClass.SENSITIVE,  # proposed profile values, ID numbers included
        "json",
        (P.RIGHTS_REQUEST,),
        _R_RIGHTS,
        masking.hidden,
        method="rights_request",
    ),
    FieldSpec(
        "rights_request",
        "refusal_reason",
        "拒绝理由",
        "Refusal reason",
        FieldClass.SENSITIVE,  # staff free text about the customer: may hold anything
        "text",
        (P.RIGHTS_REQUEST,),
        _R_RIGHTS,
        masking.hidden,
        method="rights_request",
    ),
    FieldSpec(
        "rights_request",
        "resolution",
        "处理结果",
        "Resolution",
        FieldClass.SENSITIVE,
        "text",
        (P.RIGHTS_REQUEST,),
        _R_RIGHTS,
        masking.hidden,
        method="rights_request",
    ),
    FieldSpec(
        "rights_transition",
        "reason",
        "请求处理步骤说明",
        "Reason for a request step",
        FieldClass.SENSITIVE,
        "text",
        (P.RIGHTS_REQUEST,),
        _R_RIGHTS,
        masking.hidden,
        method="rights_request",
    ),
    FieldSpec(
        "rights_restriction",
        "lift_reason",
        "解除限制理由",
        "Reason a restriction was lifted",
        FieldClass.SENSITIVE,
        "text",
        (P.RIGHTS_REQUEST,),
        _R_RIGHTS,
        masking.hidden,
        method="rights_request",
    ),
)

NON_PERSONAL: dict[str, frozenset[str]] = {
    # codes, timestamps and staff ids only: every free-text column of the rights tables
    # (detail, changes, refusal_reason, resolution, reason, lift_reason) is sealed (RIGHTS_FIELDS)
    "rights_request": frozenset(
        {
            "id",
            "customer",
            "kind",
            "state",
            "via",
            "channel",
            "consents",
            "received_at",
            "verified_at",
            "started_at",
            "completed_at",
            "refused_at",
            "outcome",
            "created_by_id",
            "created_by_role",
        }
    ),
    "rights_transition": frozenset(
        {"id", "request", "from_state", "to_state", "at", "actor_id", "actor_role"}
    ),
    "rights_restriction": frozenset({"id", "customer", "request", "started_at", "lifted_at"}),
}

# Purposes that may still read a restricted customer (PIPL art. 44: restriction of processing)
RESTRICTION_EXEMPT = frozenset({Purpose.RIGHTS_REQUEST, Purpose.LEGAL_REQUEST})
REQUEST_TEXTS = ("detail", "changes", "refusal_reason", "resolution")


def closed_by_restriction(purpose: Purpose, ids: list[uuid.UUID]) -> set[uuid.UUID]:
    return set() if purpose in RESTRICTION_EXEMPT else selectors.restricted(ids)


def restriction_sql(purpose: Purpose) -> tuple[str, list[Any]] | None:
    """`closed_by_restriction` inside the gate's one query per read (decision 0040)."""
    if purpose in RESTRICTION_EXEMPT:
        return None
    return exists_naming(Restriction, "customer", ["lifted_at IS NULL"]), []


def erase(ctx: EraseContext) -> Erasure:
    """The customer's request texts and restriction reasons (the moves' reasons stay as
    ciphertext under the destroyed key — that table is append-only)."""
    blank = {code: None for code in REQUEST_TEXTS}
    n = RightsRequest.objects.filter(customer_id=ctx.customer_id).update(**blank)
    m = Restriction.objects.filter(customer_id=ctx.customer_id).update(lift_reason=None)
    return Erasure(cleared={"rights_request": n, "rights_restriction": m})


def _requests_section(actor: Any, customer_id: uuid.UUID) -> Any:
    from .services import requests_for_copy

    return requests_for_copy(actor, customer_id)


def _due_banner(request: Any, role: str) -> dict[str, Any] | None:
    """Overdue and near-due rights requests on every console page of the privacy officer
    (R-F1), but not on the rights dashboard, which shows the same counts."""
    match = getattr(request, "resolver_match", None)
    if match is not None and (match.namespace, match.url_name) == ("rights", "dashboard"):
        return None
    due = selectors.due_counts(selectors.queue())
    return dict(due) if any(due.values()) else None


register(
    Participant(
        app="rights",
        retention=(retention.RULE,),
        holds=(retention.HOLD,),
        fields=RIGHTS_FIELDS,
        non_personal=NON_PERSONAL,
        models={
            "rights_request": RightsRequest,
            "rights_transition": RightsTransition,
            "rights_restriction": Restriction,
        },
        closers=(
            ReadCloser(
                "restricted",
                closed_by_restriction,
                refuse_single=True,
                refusal_code="customer_restricted",
                refusal_message="processing of this customer is restricted",
                sql=restriction_sql,
            ),
        ),
        eraser=erase,
        access_copy=(
            AccessCopySection("requests", "权利请求", "Rights requests", _requests_section, 50),
        ),
        nav=(
            NavEntry(
                "rights:dashboard",
                _("Rights requests"),
                "nav-rights",
                frozenset({Role.PRIVACY_OFFICER}),
                80,
            ),
        ),
        banners=(
            Banner(
                "rights_due",
                "rights/banner_due.html",
                frozenset({Role.PRIVACY_OFFICER}),
                _due_banner,
            ),
        ),
        urls=(("rights/", "baomi.rights.urls"),),
        indicators=(indicators.ANSWERED_IN_TIME,),
        demo=(DemoStep(30, demo.run),),
    )
)
