"""Retention API: runs and certificates, legal holds, paper archives. Thin: parse, call,
shape (the services check roles and audit)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status

from baomi.core.errors import NotFound

from . import services
from .models import ArchiveLoan, LegalHold, PaperArchive, RetentionRun

router = Router(tags=["retention"])


def _staff(request: HttpRequest) -> Any:
    return request.staff  # type: ignore[attr-defined]


class RunIn(Schema):
    dry_run: bool = False


class HoldIn(Schema):
    customer_id: str
    kind: str
    reference: str


class ArchiveIn(Schema):
    title: str
    kind: str
    location: str
    keeper: str
    covers_from: str
    covers_to: str
    retain_until: str


class LoanIn(Schema):
    reason: str


class DestroyIn(Schema):
    method: str
    witness: str
    destroyed_on: str | None = None


def hold_json(h: LegalHold) -> dict[str, Any]:
    return {
        "id": h.pk,
        "customer_id": str(h.customer_id),
        "kind": h.kind,
        "reference": h.reference,
        "placed_at": h.placed_at.isoformat(),
        "lifted_at": h.lifted_at.isoformat() if h.lifted_at else None,
    }


def archive_json(a: PaperArchive) -> dict[str, Any]:
    out = next(iter(a.loans.filter(back_at__isnull=True)), None)
    return {
        "id": a.pk,
        "title": a.title,
        "kind": a.kind,
        "location": a.location,
        "keeper": a.keeper.username,
        "covers_from": a.covers_from.isoformat(),
        "covers_to": a.covers_to.isoformat(),
        "retain_until": a.retain_until.isoformat(),
        "out": None if out is None else {"since": out.out_at.isoformat(), "reason": out.reason},
        "destroyed_on": a.destroyed_on.isoformat() if a.destroyed_on else None,
        "method": a.method or None,
    }


@router.post("/runs", response={201: dict[str, Any]})
def run(request: HttpRequest, body: RunIn) -> Status[dict[str, Any]]:
    """Run every retention rule (privacy officer), or count only (`dry_run`: also the data
    steward and the inspector). Answers `{expired, destroyed, held, certificate}`."""
    rec = services.run(_staff(request), dry_run=body.dry_run)
    return Status(201, services.as_json(rec))


@router.get("/runs", response=list[dict[str, Any]])
def runs(request: HttpRequest) -> list[dict[str, Any]]:
    services.require_viewer(_staff(request))
    return [services.as_json(r) for r in RetentionRun.objects.all()[:50]]


@router.get("/runs/{int:run_id}", response=dict[str, Any])
def one_run(request: HttpRequest, run_id: int) -> dict[str, Any]:
    """The run with its certificate (what, how many, rule, time; no values) and SHA-256."""
    services.require_viewer(_staff(request))
    rec = RetentionRun.objects.filter(pk=run_id).first()
    if rec is None:
        raise NotFound("no such run", code="run_not_found")
    return {**services.as_json(rec), "certificate": {**rec.certificate, "sha256": rec.digest}}


@router.post("/holds", response={201: dict[str, Any]})
def place(request: HttpRequest, body: HoldIn) -> Status[dict[str, Any]]:
    h = services.place_hold(_staff(request), body.customer_id, body.kind, body.reference)
    return Status(201, hold_json(h))


@router.get("/holds", response=list[dict[str, Any]])
def holds(request: HttpRequest) -> list[dict[str, Any]]:
    services.require_viewer(_staff(request))
    return [hold_json(h) for h in LegalHold.objects.filter(lifted_at__isnull=True)[:500]]


@router.post("/holds/{int:hold_id}/lift", response=dict[str, Any])
def lift(request: HttpRequest, hold_id: int) -> dict[str, Any]:
    return hold_json(services.lift_hold(_staff(request), hold_id))


@router.post("/archives", response={201: dict[str, Any]})
def register(request: HttpRequest, body: ArchiveIn) -> Status[dict[str, Any]]:
    return Status(201, archive_json(services.register_archive(_staff(request), body.dict())))


@router.get("/archives", response=list[dict[str, Any]])
def archives(request: HttpRequest) -> list[dict[str, Any]]:
    services.require_viewer(_staff(request))
    return [archive_json(a) for a in PaperArchive.objects.select_related("keeper")[:500]]


@router.post("/archives/{int:archive_id}/out", response=dict[str, Any])
def out(request: HttpRequest, archive_id: int, body: LoanIn) -> dict[str, Any]:
    loan: ArchiveLoan = services.lend_archive(_staff(request), archive_id, body.reason)
    return archive_json(loan.archive)


@router.post("/archives/{int:archive_id}/back", response=dict[str, Any])
def back(request: HttpRequest, archive_id: int) -> dict[str, Any]:
    loan = services.return_archive(_staff(request), archive_id)
    return archive_json(loan.archive)


@router.post("/archives/{int:archive_id}/destroy", response=dict[str, Any])
def destroy(request: HttpRequest, archive_id: int, body: DestroyIn) -> dict[str, Any]:
    a = services.destroy_archive(
        _staff(request), archive_id, method=body.method, witness=body.witness, on=body.destroyed_on
    )
    return archive_json(a)
