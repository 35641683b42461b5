"""The access app's four-eyes operations (R-D4), as registered approval kinds: each one's
payload check and what an approval carries out. `services.decide_approval` dispatches on
the registry (`baomi.contract.participants.approval_kind`) and names no kind."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from baomi import audit
from baomi.audit.models import Action
from baomi.catalog import fields as catalog
from baomi.catalog.enums import ADMIN_ROLES, Purpose, Role, Treatment
from baomi.contract.participants import ApprovalKind
from baomi.core import clock
from baomi.core.errors import Forbidden, NotFound
from baomi.vault.keys import get_keyring

from . import services
from .enums import PRIVILEGED_ROLES
from .models import ApiToken, ApprovalRequest, PolicyOverride, Staff
from .models import ApprovalKind as Kind
from .policy import clear_override_cache, may_use
from .services import (
    CREDENTIAL_HOURS,
    _execute_credential_reset,
    _invalid,
    _kill_sessions,
    _staff_id,
)


def validate_role_change(actor: Any, payload: dict[str, Any]) -> None:
    target = Staff.objects.filter(pk=_staff_id(payload)).first()
    if target is None:
        raise NotFound("no such staff member")
    if target.pk == actor.pk:
        raise Forbidden("nobody changes their own role", code="self_change")
    if payload.get("role") not in Role.values:
        raise _invalid("role", "role_unknown", "unknown role", "角色代码无效")
    # promoting an account whose credentials you hold would hand you a second voice
    # (a new account's activation is the approver's informed decision instead)
    promote = Role(payload["role"]) in PRIVILEGED_ROLES and not payload.get("activate")
    if promote and actor.pk in (target.credentials_set_by or []):
        raise Forbidden(
            "four eyes: you set this account's credentials; it cannot be given a "
            "privileged role at your request until it has set its own",
            code="four_eyes",
        )


def validate_credential_reset(actor: Any, payload: dict[str, Any]) -> None:
    target = Staff.objects.filter(pk=_staff_id(payload)).first()
    if target is None:
        raise NotFound("no such staff member")
    if target.pk == actor.pk:
        raise Forbidden("use your own settings page for your own account", code="self_change")
    if actor.role_code != Role.SECURITY_ADMIN:
        raise Forbidden("only a security_admin asks for a reset", code="role_required")
    if not (payload.get("password") is True or payload.get("mfa") is True):
        raise _invalid(
            "payload", "reset_empty", "reset the password, the MFA or both", "请选择重置内容"
        )


def execute_role_change(actor: Any, req: ApprovalRequest) -> None:
    p = req.payload
    target = Staff.objects.select_for_update().get(pk=p["staff_id"])
    old = target.role
    target.role = p["role"]
    if p.get("activate"):
        target.is_active = True
        if target.must_change_password:  # the generated password now has 24 h
            target.credentials_expire_at = clock.now() + timedelta(hours=CREDENTIAL_HOURS)
    target.save(update_fields=["role", "is_active", "credentials_expire_at"])
    ApiToken.objects.filter(staff=target, revoked_at__isnull=True).update(revoked_at=clock.now())
    _kill_sessions(target)
    audit.record(
        Action.STAFF_ROLE_CHANGED,
        actor,
        object_type="staff",
        object_id=target.pk,
        detail={"from": old, "to": p["role"], "approval": req.pk},
    )


def validate_policy_change(actor: Any, payload: dict[str, Any]) -> None:
    if payload.get("role") not in Role.values or Role(payload["role"]) in ADMIN_ROLES:
        raise _invalid(
            "role",
            "role_invalid",
            "overrides apply to customer-facing roles",
            "仅可为业务角色设置例外",
        )
    if payload.get("purpose") not in Purpose.values:
        raise _invalid("purpose", "purpose_unknown", "unknown purpose", "用途代码无效")
    if payload.get("field") not in catalog.BY_KEY:
        raise _invalid("field", "field_unknown", "not a catalogue field", "非数据目录字段")
    if payload.get("treatment") not in Treatment.values:
        raise _invalid(
            "treatment", "treatment_unknown", "plain, masked or withheld", "处理方式无效"
        )
    if not may_use(payload["role"], Purpose(payload["purpose"])):
        raise _invalid(
            "purpose",
            "purpose_not_allowed",
            "the role cannot use this purpose",
            "该角色不能使用此用途",
        )
    services._check_override_purpose(payload)  # through the module: tests patch it


def execute_policy_change(actor: Any, req: ApprovalRequest) -> None:
    p = req.payload
    services._check_override_purpose(p)  # refused at decision time too; nothing written
    PolicyOverride.objects.filter(
        role=p["role"], purpose=p["purpose"], field=p["field"], revoked_at__isnull=True
    ).update(revoked_at=clock.now())
    PolicyOverride.objects.create(
        role=p["role"],
        purpose=p["purpose"],
        field=p["field"],
        treatment=p["treatment"],
        created_at=clock.now(),
        created_by=req.requested_by,
        approval=req,
    )
    clear_override_cache()
    audit.record(
        Action.POLICY_CHANGED, actor, object_type="policy", object_id=req.pk, detail=dict(p)
    )


def execute_key_rotation(actor: Any, req: ApprovalRequest) -> None:
    v = get_keyring().rotate()
    audit.record(
        Action.KEY_ROTATED, actor, object_type="kek", object_id=v, detail={"approval": req.pk}
    )


KINDS: tuple[ApprovalKind, ...] = (
    ApprovalKind(
        Kind.ROLE_CHANGE, Kind.ROLE_CHANGE.label, validate_role_change, execute_role_change
    ),
    ApprovalKind(
        Kind.POLICY_CHANGE, Kind.POLICY_CHANGE.label, validate_policy_change, execute_policy_change
    ),
    ApprovalKind(
        Kind.CREDENTIAL_RESET,
        Kind.CREDENTIAL_RESET.label,
        validate_credential_reset,
        _execute_credential_reset,
    ),
    ApprovalKind(Kind.KEY_ROTATION, Kind.KEY_ROTATION.label, None, execute_key_rotation),
    # the approved request is the permission the export / checkpoint-key command checks for
    # (`services.approved_for`)
    ApprovalKind(Kind.BULK_EXPORT, Kind.BULK_EXPORT.label),
    ApprovalKind(Kind.CHECKPOINT_KEY_CHANGE, Kind.CHECKPOINT_KEY_CHANGE.label),
)
