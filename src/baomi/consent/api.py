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

from . import platforms, selectors, services
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
    # who publishes the notice: {name, address, email, phone} (decision 0041 §4); null for
    # versions published before the operator was named, or while it is not configured
    operator: dict[str, str] | None = None


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
        "operator": content.get("operator"),
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


# -- where the notice is published (R-B2) -------------------------------------------------------
class PlatformIn(Schema):
    code: str
    channel: str
    name: str


class PostingIn(Schema):
    platform: str
    version: int | None = None
    evidence: str
    at: str | None = None


def _actor(request: HttpRequest) -> Any:
    return request.staff  # type: ignore[attr-defined]


def _standing_json(s: Any) -> dict[str, Any]:
    return {
        "code": s.platform.code,
        "channel": s.platform.channel,
        "name": s.platform.name,
        "shown_version": s.shown.version if s.shown else None,
        "posted_at": s.posted_at.isoformat() if s.posted_at else None,
        "current_version": s.current.version if s.current else None,
        "up_to_date": s.up_to_date,
        "due_by": s.due_by.isoformat() if s.due_by else None,
    }


@notice_router.get("/privacy-notice/platforms", response=list[dict[str, Any]])
def notice_platforms(request: HttpRequest) -> list[dict[str, Any]]:
    """Each active platform: the version it shows and whether it is current (R-B2)."""
    require_role(_actor(request), Role.PRIVACY_OFFICER, Role.INSPECTOR, Role.MANAGER)
    return [_standing_json(s) for s in platforms.standing()]


@notice_router.post("/privacy-notice/platforms", response={201: dict[str, Any]})
def add_notice_platform(request: HttpRequest, body: PlatformIn) -> Status[dict[str, Any]]:
    p = platforms.add_platform(
        _actor(request), code=body.code, channel=body.channel, name=body.name
    )
    return Status(201, {"code": p.code, "channel": p.channel, "name": p.name})


@notice_router.post("/privacy-notice/publications", response={201: dict[str, Any]})
def post_notice(request: HttpRequest, body: PostingIn) -> Status[dict[str, Any]]:
    """Record that a notice version (default: the one in force) is up on a platform."""
    row = platforms.record_posting(
        _actor(request),
        platform=body.platform,
        version=body.version,
        evidence=body.evidence,
        at=body.at,
    )
    return Status(
        201,
        {
            "platform": row.platform.code,
            "version": row.notice.version,
            "posted_at": row.posted_at.isoformat(),
        },
    )
