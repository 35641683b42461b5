"""Privacy notice (public) and consent ledger API. Thin: parse, authorise, call, shape."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status

from baomi.access.enums import Role
from baomi.access.services import require_role
from baomi.api.auth import purpose_header
from baomi.core.errors import NotFound
from baomi.core.i18n import is_zh
from baomi.customers import gate
from baomi.customers.models import Customer

from . import selectors, services
from .models import PrivacyNotice

notice_router = Router(tags=["privacy notice"])
router = Router(tags=["consent"])


class NoticeOut(Schema):
    version: int
    digest: str
    published_at: str
    lang: str
    title: str
    sections: list[dict[str, Any]]


def notice_body(row: PrivacyNotice, lang: str) -> dict[str, Any]:
    key = "zh-hans" if is_zh(lang) else "en"
    content = row.content[key]
    return {
        "version": row.version,
        "digest": row.digest,
        "published_at": row.published_at.isoformat(),
        "lang": key,
        "title": content["title"],
        "sections": content["sections"],
    }


@notice_router.get("/privacy-notice", response=NoticeOut, auth=None)
def privacy_notice(
    request: HttpRequest, lang: str = "zh-hans", version: int | None = None
) -> dict[str, Any]:
    """The privacy notice in force (or an earlier `version`), generated from the catalogue."""
    if version is None:
        row = services.current_notice()
    else:
        found = PrivacyNotice.objects.filter(version=version).first()
        if found is None:
            raise NotFound("no such notice version")
        row = found
    return notice_body(row, lang)


class ConsentIn(Schema):
    customer_id: str
    purpose: str
    given: bool
    channel: str
    method: str = "api"
    evidence: str = ""


class ConsentEventOut(Schema):
    id: int
    customer_id: str
    purpose: str
    given: bool
    channel: str
    method: str
    notice_version: int
    at: str


class CustomerQuery(Schema):
    customer_id: str


@router.post("", response={201: ConsentEventOut})
def record_consent(request: HttpRequest, body: ConsentIn) -> Status[dict[str, Any]]:
    """Record one decision (given or withdrawn) with its evidence, under the notice in force."""
    e = services.record(
        request.staff,  # type: ignore[attr-defined]
        body.customer_id,
        body.purpose,
        body.given,
        channel=body.channel,
        method=body.method,
        evidence=body.evidence,
        staff_purpose=purpose_header(request),
    )
    return Status(
        201,
        {
            "id": e.pk,
            "customer_id": str(e.customer_id),
            "purpose": e.purpose,
            "given": e.given,
            "channel": e.channel,
            "method": e.method,
            "notice_version": e.notice.version,
            "at": e.at.isoformat(),
        },
    )


@router.get("", response=dict[str, Any])
def customer_consents(request: HttpRequest, q: Query[CustomerQuery]) -> dict[str, Any]:
    """A customer's current consents and full history (codes and times only)."""
    try:
        cid = uuid.UUID(q.customer_id)
    except ValueError:
        raise NotFound("no such customer") from None
    gate.check_purpose(request.staff, purpose_header(request), cid)  # type: ignore[attr-defined]
    if not Customer.objects.filter(id=cid).exists():
        raise NotFound("no such customer")
    return {
        "customer_id": str(cid),
        "current": [asdict(line) for line in selectors.state_of(cid)],
        "history": selectors.history(cid),
    }


@router.get("/kpi", response=dict[str, Any])
def consent_kpi(request: HttpRequest) -> dict[str, Any]:
    """Share of customers with a recorded consent for the notice in force, per channel."""
    require_role(request.staff, Role.PRIVACY_OFFICER, Role.SECURITY_AUDITOR)  # type: ignore[attr-defined]
    return selectors.kpi()
