"""Retention and destruction (issue #16 §3; R-C8).

`run` executes every retention rule the domains registered (`Participant(retention=...)`):
each rule finds what expired, skips what a legal hold names, destroys the rest (crypto-
shredding a profile, clearing a record's sealed columns, shredding a case key) in its own
transaction, audited by the domain that owns the data. The run then writes one audit
event and a destruction certificate — what, how many, which rule, when; never a value —
with its SHA-256. A dry run counts the same way and destroys nothing.

Restores: a profile's destruction is an erasure (journalled, replayed by `baomi restore`);
records and case texts are found again by the next run (rules are a function of the clock
and the data), so the restore procedure runs `baomi retention run` after replaying."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from baomi import audit
from baomi.access.enums import Role
from baomi.access.models import Staff
from baomi.contract import participants
from baomi.contract.participants import Expiry, RetentionRule
from baomi.core import clock
from baomi.core.errors import Conflict, Forbidden, NotFound
from baomi.core.inputs import invalid, iso_date, text
from baomi.customers.models import Customer

from .enums import ArchiveKind, DestructionMethod, HoldKind, RetentionAction
from .models import ArchiveLoan, LegalHold, PaperArchive, RetentionRun

RUN_ROLES = frozenset({"system", Role.PRIVACY_OFFICER.value})
DRY_RUN_ROLES = RUN_ROLES | {Role.DATA_STEWARD.value, Role.INSPECTOR.value}
HOLD_ROLES = frozenset({Role.PRIVACY_OFFICER.value, Role.LEGAL.value})
ARCHIVE_ROLES = frozenset({Role.PRIVACY_OFFICER.value, Role.DATA_STEWARD.value})


def _role(actor: Any) -> str:
    return str(getattr(actor, "role_code", ""))


def _require(actor: Any, roles: frozenset[str]) -> None:
    if _role(actor) not in roles:
        raise Forbidden("your role may not do this", code="role_required")


VIEW_ROLES = DRY_RUN_ROLES | HOLD_ROLES


def require_viewer(actor: Any) -> None:
    """Runs, certificates, holds and the archive register: no personal value in them."""
    _require(actor, VIEW_ROLES)


def rules() -> list[tuple[str, RetentionRule]]:
    """(app, rule) for every registered rule, in a stable order."""
    out = [(p.app, r) for p in participants.all_participants() for r in p.retention]
    return sorted(out, key=lambda ar: (ar[0], ar[1].entity, ar[1].starts))


def _as_expiry(value: int | Expiry) -> Expiry:
    if isinstance(value, Expiry):
        return value
    return Expiry(expired=int(value), destroyed=int(value))


def _digest(cert: dict[str, Any]) -> str:
    body = json.dumps(cert, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


def run(actor: Any, *, dry_run: bool = False, now: datetime | None = None) -> RetentionRun:
    """Run every rule (or count, on a dry run); answer the recorded run."""
    _require(actor, DRY_RUN_ROLES if dry_run else RUN_ROLES)
    started = clock.now()
    at = now or started
    results: list[dict[str, Any]] = []
    for app, rule in rules():
        entry: dict[str, Any] = {
            "app": app,
            "entity": rule.entity,
            "starts": rule.starts,
            "keep_days": rule.keep_days,
            "basis_zh": rule.basis_zh,
            "basis_en": rule.basis_en,
        }
        if rule.expire is None:
            entry["error"] = "no_expire"
            results.append(entry)
            continue
        try:
            with transaction.atomic():
                got = _as_expiry(rule.expire(at, dry_run))
        except Exception as exc:  # one rule's failure rolls back that rule only
            entry["error"] = type(exc).__name__
        else:
            entry.update(
                expired=got.expired,
                destroyed=got.destroyed,
                held=got.held,
                by_hold=dict(sorted(got.by_hold.items())),
            )
        results.append(entry)
    totals = {k: sum(int(r.get(k, 0)) for r in results) for k in ("expired", "destroyed", "held")}
    failed = [f"{r['app']}.{r['entity']}" for r in results if "error" in r]
    finished = clock.now()
    summary = {**totals, "failed": failed, "rules": results}
    with transaction.atomic():
        rec = RetentionRun.objects.create(
            started_at=started,
            finished_at=finished,
            dry_run=dry_run,
            actor_id=getattr(actor, "pk", None),
            actor_username=str(getattr(actor, "username", "system"))[:150],
            summary=summary,
        )
        cert = {
            "certificate": "retention_destruction" if not dry_run else "retention_dry_run",
            "run": rec.pk,
            "issued_at": finished.isoformat(),
            "as_of": at.isoformat(),
            "by": rec.actor_username,
            "dry_run": dry_run,
            "method_zh": "客户档案：销毁数据密钥（加密擦除）；记录：清除加密字段；"
            "事件文字：销毁案件密钥",
            "method_en": "profiles: data key destroyed (crypto-shredding); records: sealed "
            "columns cleared; case texts: case key destroyed",
            "rules": [
                {k: r.get(k) for k in ("app", "entity", "starts", "keep_days", "basis_en")}
                | {k: r.get(k, 0) for k in ("expired", "destroyed", "held")}
                | ({"error": r["error"]} if "error" in r else {})
                for r in results
            ],
            "totals": totals,
        }
        rec.certificate = cert
        rec.digest = _digest(cert)
        rec.save(update_fields=["certificate", "digest"])
        audit.record(
            RetentionAction.RUN,
            actor,
            object_type="retention_run",
            object_id=rec.pk,
            detail={**totals, "dry_run": dry_run, "failed": failed, "certificate": rec.digest},
        )
    return rec


def as_json(rec: RetentionRun) -> dict[str, Any]:
    s = rec.summary
    return {
        "run": rec.pk,
        "dry_run": rec.dry_run,
        "expired": s.get("expired", 0),
        "destroyed": s.get("destroyed", 0),
        "held": s.get("held", 0),
        "failed": s.get("failed", []),
        "certificate": {"id": rec.pk, "sha256": rec.digest},
        "rules": s.get("rules", []),
    }


# -- legal holds placed by hand --------------------------------------------------------------
def _customer_id(value: object) -> uuid.UUID:
    try:
        cid = uuid.UUID(str(value).strip())
    except ValueError:
        raise invalid("customer_id", "invalid_id", "not a customer id", "客户编号无效") from None
    if not Customer.objects.filter(id=cid).exists():
        raise NotFound("no such customer", code="customer_not_found")
    return cid


@transaction.atomic
def place_hold(actor: Any, customer_id: object, kind: object, reference: object) -> LegalHold:
    _require(actor, HOLD_ROLES)
    cid = _customer_id(customer_id)
    if str(kind) not in HoldKind.values:
        raise invalid(
            "kind", "invalid_choice", "dispute, litigation, authority or other", "类型无效"
        )
    ref = str(reference or "").strip()
    if not ref or len(ref) > 120:
        raise invalid(
            "reference",
            "required",
            "a case or file number (≤ 120)",
            "请填写案号或文号（120 字以内）",
        )
    hold = LegalHold.objects.create(
        customer_id=cid,
        kind=str(kind),
        reference=ref,
        placed_at=clock.now(),
        placed_by_id=getattr(actor, "pk", None),
    )
    audit.record(
        RetentionAction.HOLD_PLACED,
        actor,
        object_type="customer",
        object_id=cid,
        detail={"hold": hold.pk, "kind": hold.kind},
    )
    return hold


@transaction.atomic
def lift_hold(actor: Any, hold_id: object) -> LegalHold:
    _require(actor, HOLD_ROLES)
    hold = LegalHold.objects.select_for_update().filter(pk=_pk(hold_id)).first()
    if hold is None:
        raise NotFound("no such hold", code="hold_not_found")
    if hold.lifted_at is not None:
        raise Conflict("the hold was already lifted", code="hold_lifted")
    hold.lifted_at = clock.now()
    hold.lifted_by_id = getattr(actor, "pk", None)
    hold.save(update_fields=["lifted_at", "lifted_by_id"])
    audit.record(
        RetentionAction.HOLD_LIFTED,
        actor,
        object_type="customer",
        object_id=hold.customer_id,
        detail={"hold": hold.pk},
    )
    return hold


def held_by_hand(ids: list[uuid.UUID]) -> set[uuid.UUID]:
    rows = LegalHold.objects.filter(customer_id__in=ids, lifted_at__isnull=True)
    return set(rows.values_list("customer_id", flat=True))


def _pk(value: object) -> int:
    try:
        return int(str(value))
    except ValueError:
        raise NotFound("no such record") from None


# -- paper archives (R-C9: locked storage, a named keeper, a check-out log, destruction) ---


@transaction.atomic
def register_archive(actor: Any, data: dict[str, Any]) -> PaperArchive:
    _require(actor, ARCHIVE_ROLES)
    kind = str(data.get("kind") or "")
    if kind not in ArchiveKind.values:
        raise invalid("kind", "invalid_choice", "unknown kind of archive", "档案类型无效")
    keeper = Staff.objects.filter(username=str(data.get("keeper") or "").strip(), is_active=True)
    keeper_obj = keeper.first()
    if keeper_obj is None:
        raise invalid(
            "keeper", "unknown_account", "no active staff account", "没有这个在职员工账号"
        )
    start = iso_date(data.get("covers_from"), "covers_from")
    end = iso_date(data.get("covers_to"), "covers_to")
    until = iso_date(data.get("retain_until"), "retain_until")
    if end < start:
        raise invalid("covers_to", "before_start", "ends before it starts", "结束日期早于开始日期")
    if until < end:
        raise invalid(
            "retain_until",
            "before_end",
            "kept until before its last record",
            "保存期限早于档案截止日期",
        )
    archive = PaperArchive.objects.create(
        title=text(data.get("title"), "title", "名称"),
        kind=kind,
        location=text(data.get("location"), "location", "存放位置"),
        keeper=keeper_obj,
        covers_from=start,
        covers_to=end,
        retain_until=until,
        registered_at=clock.now(),
    )
    audit.record(
        RetentionAction.ARCHIVE_REGISTERED,
        actor,
        object_type="paper_archive",
        object_id=archive.pk,
        detail={"kind": kind, "retain_until": until.isoformat()},
    )
    return archive


@transaction.atomic
def destroy_archive(
    actor: Any, archive_id: object, *, method: object, witness: object, on: object = None
) -> PaperArchive:
    """Log a paper archive's destruction — not before its retention ends, never twice."""
    _require(actor, ARCHIVE_ROLES)
    archive = PaperArchive.objects.select_for_update().filter(pk=_pk(archive_id)).first()
    if archive is None:
        raise NotFound("no such archive", code="archive_not_found")
    if archive.destroyed_on is not None:
        raise Conflict("already destroyed", code="archive_destroyed")
    if archive.loans.filter(back_at__isnull=True).exists():
        raise Conflict("out of the cabinet: return it first", code="archive_out")
    today = timezone.localdate(clock.now())
    day = today if on in (None, "") else iso_date(on, "destroyed_on")
    if day > today:
        raise invalid("destroyed_on", "in_future", "a day in the future", "销毁日期晚于今天")
    if day <= archive.retain_until:
        raise Conflict(f"kept until {archive.retain_until.isoformat()}", code="retention_not_over")
    if str(method) not in DestructionMethod.values:
        raise invalid(
            "method", "invalid_choice", "shredding, incineration or pulping", "销毁方式无效"
        )
    archive.method = str(method)
    archive.witness = text(witness, "witness", "监销人")
    archive.destroyed_on = day
    archive.destroyed_by_id = getattr(actor, "pk", None)
    archive.save(update_fields=["method", "witness", "destroyed_on", "destroyed_by_id"])
    audit.record(
        RetentionAction.ARCHIVE_DESTROYED,
        actor,
        object_type="paper_archive",
        object_id=archive.pk,
        detail={"method": archive.method, "on": day.isoformat()},
    )
    return archive


def archives_past_due(today: date | None = None) -> list[PaperArchive]:
    day = today or timezone.localdate(clock.now())
    return list(PaperArchive.objects.filter(destroyed_on__isnull=True, retain_until__lt=day))


@transaction.atomic
def lend_archive(actor: Any, archive_id: object, reason: object) -> ArchiveLoan:
    """Take an archive out of its cabinet (logged); one loan open at a time."""
    _require(actor, ARCHIVE_ROLES | {Role.FRONT_DESK.value, Role.COURIER.value})
    archive = PaperArchive.objects.select_for_update().filter(pk=_pk(archive_id)).first()
    if archive is None:
        raise NotFound("no such archive", code="archive_not_found")
    if archive.destroyed_on is not None:
        raise Conflict("destroyed", code="archive_destroyed")
    if archive.loans.filter(back_at__isnull=True).exists():
        raise Conflict("already out of the cabinet", code="archive_out")
    loan = ArchiveLoan.objects.create(
        archive=archive, borrower=actor, reason=text(reason, "reason", "用途"), out_at=clock.now()
    )
    audit.record(
        RetentionAction.ARCHIVE_OUT,
        actor,
        object_type="paper_archive",
        object_id=archive.pk,
        detail={"loan": loan.pk},
    )
    return loan


@transaction.atomic
def return_archive(actor: Any, archive_id: object) -> ArchiveLoan:
    _require(actor, ARCHIVE_ROLES | {Role.FRONT_DESK.value, Role.COURIER.value})
    loan = (
        ArchiveLoan.objects.select_for_update()
        .filter(archive_id=_pk(archive_id), back_at__isnull=True)
        .first()
    )
    if loan is None:
        raise Conflict("the archive is in its cabinet", code="archive_not_out")
    loan.back_at = clock.now()
    loan.save(update_fields=["back_at"])
    audit.record(
        RetentionAction.ARCHIVE_BACK,
        actor,
        object_type="paper_archive",
        object_id=loan.archive_id,
        detail={"loan": loan.pk},
    )
    return loan
