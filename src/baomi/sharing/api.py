"""Third-party API (INTERFACES.md): partners, audits, disclosures, lawful requests. Thin:
parse, authorise, call a service, shape. Bodies are taken as JSON objects and validated by
the services (one set of bilingual, per-field errors for API and console)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Body, Query, Router, Schema, Status

from baomi.access.enums import Role
from baomi.access.services import require_role
from baomi.core.errors import NotFound

from . import selectors
from .models import Disclosure, LawfulRequest, Partner
from .services import disclosures, lawful, notices, partners
from .services.common import REGISTER_ROLES

partners_router = Router(tags=["third parties"])
disclosures_router = Router(tags=["third parties"])
lawful_router = Router(tags=["lawful requests"])


def _staff(request: HttpRequest) -> Any:
    return request.staff  # type: ignore[attr-defined]


def _register_role(request: HttpRequest) -> Any:
    actor = _staff(request)
    require_role(actor, *REGISTER_ROLES)
    return actor


def _d(v: Any) -> str | None:
    return v.isoformat() if v else None


# -- partners -------------------------------------------------------------------------------
class ExcludedOut(Schema):
    customer_id: str
    reason: str


def partner_json(p: Partner) -> dict[str, Any]:
    st = selectors.standing(p)
    detail = selectors.partner_detail(p.pk) or {}
    return {
        "id": p.pk,
        "name": p.name,
        "kind": p.kind,
        "data_location": p.data_location,
        "assessment_ref": p.assessment_ref,
        "public_key": p.public_key,
        "incident_contact": p.incident_contact,
        "standing": st.standing.value,
        "suspension_reason": p.suspension_reason or None,
        "agreement_in_force": st.agreement.pk if st.agreement else None,
        "agreements": [
            {
                "id": a.pk,
                "document_ref": a.document_ref,
                "signed_on": a.signed_on.isoformat(),
                "expires_on": a.expires_on.isoformat(),
                "signatories": a.signatories,
                "purposes": a.purposes,
                "fields": a.fields,
                "obligations": a.obligations,
            }
            for a in detail.get("agreements", [])
        ],
        "audits": [
            {
                "id": a.pk,
                "audited_on": a.audited_on.isoformat(),
                "auditor": a.auditor,
                "result": a.result,
                "next_due_on": a.next_due_on.isoformat(),
                "checklist": a.checklist,
                "findings": [
                    {
                        "id": f.pk,
                        "text": f.text,
                        "severity": f.severity,
                        "owner": f.owner,
                        "due_on": f.due_on.isoformat(),
                        "closed_on": _d(f.closed_on),
                    }
                    for f in a.findings.all()
                ],
            }
            for a in detail.get("audits", [])
        ],
    }


@partners_router.post("", response={201: dict[str, Any]})
def register_partner(request: HttpRequest, body: Body[dict[str, Any]]) -> Status[dict[str, Any]]:
    """Register a partner with its signed agreement (legal, privacy_officer): name, kind,
    data_location (mainland | cross_border + assessment_ref), public_key (age1…),
    incident_contact, agreement {document_ref, signed_on, expires_on, signatories, purposes,
    fields, obligations}."""
    p = partners.register_partner(_staff(request), body)
    return Status(201, partner_json(p))


@partners_router.get("", response=list[dict[str, Any]])
def register(request: HttpRequest) -> list[dict[str, Any]]:
    """The register: every partner with its standing, last audit and warnings."""
    _register_role(request)
    return [
        {
            "id": r.partner.pk,
            "name": r.partner.name,
            "kind": r.partner.kind,
            "data_location": r.partner.data_location,
            "standing": r.standing.standing.value,
            "agreement_expires_on": _d(r.standing.agreement and r.standing.agreement.expires_on),
            "last_audit_on": _d(r.last_audit and r.last_audit.audited_on),
            "last_audit_result": r.last_audit.result if r.last_audit else None,
            "audit_due": r.audit_due,
            "expiring": r.expiring,
            "open_findings": r.open_findings,
        }
        for r in selectors.register()
    ]


@partners_router.get("/notifications", response=list[dict[str, Any]])
def to_notify(request: HttpRequest) -> list[dict[str, Any]]:
    """Partners to tell that a customer withdrew partner_sharing or was erased."""
    _register_role(request)
    return [
        {
            "partner_id": t.partner.pk,
            "partner": t.partner.name,
            "customer_id": str(t.customer_id),
            "cause": t.cause.value,
            "since": t.since.isoformat(),
            "disclosures": t.disclosures,
        }
        for t in selectors.to_notify()
    ]


@partners_router.get("/{partner_id}", response=dict[str, Any])
def get_partner(request: HttpRequest, partner_id: int) -> dict[str, Any]:
    _register_role(request)
    p = Partner.objects.filter(pk=partner_id).first()
    if p is None:
        raise NotFound("no such partner")
    return partner_json(p)


@partners_router.post("/{partner_id}/agreements", response={201: dict[str, Any]})
def add_agreement(
    request: HttpRequest, partner_id: int, body: Body[dict[str, Any]]
) -> Status[dict[str, Any]]:
    a = partners.add_agreement(_staff(request), partner_id, body)
    return Status(201, partner_json(a.partner))


@partners_router.post("/{partner_id}/audits", response={201: dict[str, Any]})
def record_audit(
    request: HttpRequest, partner_id: int, body: Body[dict[str, Any]]
) -> Status[dict[str, Any]]:
    """The yearly audit: audited_on, auditor, checklist [{item, ok, note}] (one per
    obligation of the agreement), result (passed | passed_with_findings | failed), findings
    [{text, severity, owner, due_on}]. A failed audit suspends disclosures at once."""
    a = partners.record_audit(_staff(request), partner_id, body)
    return Status(201, partner_json(a.partner))


class NoteIn(Schema):
    note: str


@partners_router.post("/{partner_id}/suspend", response=dict[str, Any])
def suspend(request: HttpRequest, partner_id: int, body: NoteIn) -> dict[str, Any]:
    return partner_json(partners.suspend(_staff(request), partner_id, body.note))


@partners_router.post("/{partner_id}/reinstate", response=dict[str, Any])
def reinstate(request: HttpRequest, partner_id: int, body: NoteIn) -> dict[str, Any]:
    return partner_json(partners.reinstate(_staff(request), partner_id, body.note))


class NoticeIn(Schema):
    customer_id: str
    cause: str
    method: str
    reference: str = ""


@partners_router.post("/{partner_id}/notices", response={201: dict[str, Any]})
def record_notice(request: HttpRequest, partner_id: int, body: NoticeIn) -> Status[dict[str, Any]]:
    n = notices.record_notice(
        _staff(request), partner_id, body.customer_id, body.cause, body.method, body.reference
    )
    return Status(
        201,
        {
            "id": n.pk,
            "partner_id": n.partner_id,
            "customer_id": str(n.customer_id),
            "cause": n.cause,
            "recorded_at": n.recorded_at.isoformat(),
        },
    )


# -- disclosures ----------------------------------------------------------------------------
class DisclosureIn(Schema):
    partner_id: int
    purpose: str
    customer_ids: list[str]
    fields: list[str]


def disclosure_json(d: Disclosure, included: list[str] | None = None) -> dict[str, Any]:
    return {
        "id": d.pk,
        "partner_id": d.partner_id,
        "purpose": d.purpose,
        "fields": d.fields,
        "state": d.state,
        "created_at": d.created_at.isoformat(),
        "included": included if included is not None else selectors.included_ids(d),
        "excluded": [
            {"customer_id": str(i.customer_id), "reason": i.reason}
            for i in selectors.excluded_of(d)
        ],
        "refusal": d.refusal or None,
        "manifest": d.manifest or None,
        "encrypted": d.encrypted,
        "expires_at": _d(d.expires_at),
        "downloaded_at": _d(d.downloaded_at),
        "void_reason": d.void_reason or None,
    }


@disclosures_router.post("", response={201: dict[str, Any]})
def prepare(request: HttpRequest, body: DisclosureIn) -> Status[dict[str, Any]]:
    """Prepare a disclosure through the gate → {id, included, excluded: [{customer_id,
    reason}], manifest, download: {url, token, expires_at}} (the token is shown once).
    409 agreement_expired | agreement_missing | partner_suspended; 422 field_out_of_scope |
    purpose_out_of_scope | field_not_permitted; 403 when the role may not use the purpose."""
    result = disclosures.prepare(_staff(request), body.dict())
    out = disclosure_json(result.disclosure, result.included)
    out["excluded"] = result.excluded
    if result.token:
        out["download"] = {
            "url": f"/api/v1/disclosures/{result.disclosure.pk}/package",
            "header": "X-Download-Token",
            "token": result.token,
            "expires_at": _d(result.disclosure.expires_at),
        }
    return Status(201, out)


@disclosures_router.get("", response=list[dict[str, Any]])
def list_disclosures(request: HttpRequest, partner_id: int | None = None) -> list[dict[str, Any]]:
    _register_role(request)
    return [
        {
            "id": d.pk,
            "partner_id": d.partner_id,
            "purpose": d.purpose,
            "state": d.state,
            "refusal": d.refusal or None,
            "included": d.included_count,
            "excluded": d.excluded_count,
            "encrypted": d.encrypted,
            "created_at": d.created_at.isoformat(),
        }
        for d in selectors.disclosures(partner_id)
    ]


@disclosures_router.get("/{disclosure_id}", response=dict[str, Any])
def get_disclosure(request: HttpRequest, disclosure_id: int) -> dict[str, Any]:
    """A disclosure's register entry (the preparer, legal, privacy_officer): ids and reason
    codes, the manifest; never values."""
    actor = _staff(request)
    d = Disclosure.objects.defer("package").filter(pk=disclosure_id).first()
    if d is None or (
        d.requested_by_id != actor.pk and actor.role_code not in {r.value for r in REGISTER_ROLES}
    ):
        raise NotFound("no such disclosure")
    return disclosure_json(d)


@disclosures_router.post("/{disclosure_id}/void", response=dict[str, Any])
def void(request: HttpRequest, disclosure_id: int) -> dict[str, Any]:
    return disclosure_json(disclosures.void(_staff(request), disclosure_id))


@disclosures_router.get("/{disclosure_id}/package", auth=None)  # the partner: token only
def download(request: HttpRequest, disclosure_id: int) -> HttpResponse:
    """The encrypted package, once (header `X-Download-Token`). age format: the partner
    opens it with `age -d -i key.txt`. 404 for a wrong token, 410 once used, expired or
    voided."""
    pkg = disclosures.download(disclosure_id, request.headers.get("X-Download-Token"))
    resp = HttpResponse(pkg.ciphertext, content_type="application/octet-stream")
    resp["Content-Disposition"] = f'attachment; filename="disclosure-{pkg.disclosure_id}.age"'
    resp["X-Package-SHA256"] = pkg.manifest.get("package_sha256", "")
    resp["Cache-Control"] = "no-store"
    return resp


# -- lawful requests --------------------------------------------------------------------------
def lawful_json(r: LawfulRequest, reads: bool = False) -> dict[str, Any]:
    out = {
        "id": r.pk,
        "authority_type": r.authority_type,
        "authority_name": r.authority_name,
        "officers": r.officers,
        "document_type": r.document_type,
        "document_no": r.document_no,
        "legal_basis": r.legal_basis,
        "customer_ids": r.customer_ids,
        "fields": r.fields,
        "period_from": _d(r.period_from),
        "period_to": _d(r.period_to),
        "deadline": r.deadline.isoformat(),
        "requested_by": r.requested_by_id,
        "handler_id": r.handler_id,
        "state": r.state,
        "registered_at": r.registered_at.isoformat(),
        "approvals": [
            {
                "role": a.role,
                "staff_id": a.staff_id,
                "approve": a.approve,
                "note": a.note,
                "at": a.at.isoformat(),
            }
            for a in r.approvals.order_by("at")
        ],
        "approved_at": _d(r.approved_at),
        "window_closes_at": _d(r.window_closes_at),
        "window_open": lawful.window_open(r),
        "closed_at": _d(r.closed_at),
        "outcome_reason": r.outcome_reason,
        "delivery": r.delivery or None,
        "customer_notice": r.customer_notice,
        "notice_not_before": _d(r.notice_not_before),
        "customers_notified_at": _d(r.customers_notified_at),
    }
    if reads:
        out["reads"] = [{**x, "at": x["at"].isoformat()} for x in selectors.reads_of(r)]
    return out


@lawful_router.post("", response={201: dict[str, Any]})
def register_lawful(request: HttpRequest, body: Body[dict[str, Any]]) -> Status[dict[str, Any]]:
    """Register a request (legal, privacy_officer): authority_type (public_security |
    state_security | procuratorate), authority_name, officers [{name, badge_no}] (two or
    more), document_type, document_no, legal_basis, customer_ids, fields, period_from?,
    period_to?, deadline, handler_id, customer_notice? (default legal_hold)."""
    return Status(201, lawful_json(lawful.register(_staff(request), body)))


@lawful_router.get("", response=list[dict[str, Any]])
def lawful_queue(request: HttpRequest, include_closed: bool = False) -> list[dict[str, Any]]:
    _register_role(request)
    return [lawful_json(r) for r in selectors.lawful_queue(include_closed)]


@lawful_router.get("/transparency", response=dict[str, Any])
def transparency(request: HttpRequest, year: int = Query(..., ge=1900, le=9999)) -> dict[str, Any]:
    """Yearly counts by authority type and outcome (no personal data)."""
    require_role(_staff(request), *REGISTER_ROLES, Role.MANAGER)
    return selectors.transparency(year)


@lawful_router.get("/{request_id}", response=dict[str, Any])
def get_lawful(request: HttpRequest, request_id: int) -> dict[str, Any]:
    """The request with its approvals and everything the handler read in its window."""
    actor = _staff(request)
    r = LawfulRequest.objects.filter(pk=request_id).first()
    if r is None or (
        actor.pk != r.handler_id and actor.role_code not in {x.value for x in REGISTER_ROLES}
    ):
        raise NotFound("no such lawful request")
    return lawful_json(r, reads=True)


class DecisionIn(Schema):
    approve: bool
    note: str = ""


@lawful_router.post("/{request_id}/decision", response=dict[str, Any])
def decision(request: HttpRequest, request_id: int, body: DecisionIn) -> dict[str, Any]:
    """One approval (privacy_officer or legal; neither the requester nor the handler) or a
    rejection (with a note). Both roles approving opens the handler's window."""
    r = lawful.decide(_staff(request), request_id, body.approve, body.note)
    return lawful_json(r)


@lawful_router.get("/{request_id}/scope", response=list[dict[str, Any]])
def read_scope(request: HttpRequest, request_id: int) -> list[dict[str, Any]]:
    """The handler reads the approved scope under legal_request, within the window."""
    return lawful.read_scope(_staff(request), request_id)


class ExportIn(Schema):
    public_key: str


@lawful_router.post("/{request_id}/export")
def export(request: HttpRequest, request_id: int, body: ExportIn) -> HttpResponse:
    """The handler's scoped export for the authority, encrypted with age to the key the
    authority gave (`public_key`, age1…), handed over at once (nothing is stored)."""
    blob, manifest = lawful.export_scope(_staff(request), request_id, body.public_key)
    resp = HttpResponse(blob, content_type="application/octet-stream")
    resp["Content-Disposition"] = f'attachment; filename="lawful-request-{request_id}.age"'
    resp["X-Package-SHA256"] = manifest["package_sha256"]
    resp["Cache-Control"] = "no-store"
    return resp


@lawful_router.post("/{request_id}/outcome", response=dict[str, Any])
def outcome(request: HttpRequest, request_id: int, body: Body[dict[str, Any]]) -> dict[str, Any]:
    """outcome (answered | partial | refused), reason (partial/refused), delivery
    (encrypted_package | paper | on_site), customer_notice?, notice_not_before?"""
    return lawful_json(lawful.close(_staff(request), request_id, body), reads=True)


@lawful_router.post("/{request_id}/customer-notice", response=dict[str, Any])
def customer_notice(
    request: HttpRequest, request_id: int, body: Body[dict[str, Any]]
) -> dict[str, Any]:
    """customer_notice (legal_hold | notify | not_required), notice_not_before?, notified?"""
    return lawful_json(lawful.customer_notice(_staff(request), request_id, body))
