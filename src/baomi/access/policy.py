"""Role × purpose × field class → plain / masked / withheld (R-D1, R-D2, R-D4).

This is the first, code-declared version of the default policy from the business
documents; the access-control issue (#3) adds versioned, audited per-field overrides.
Two rules sit on top of the table:
  * purpose limitation: a field is withheld when the purpose is not one it is collected
    for (catalogue `purposes`), except the rights/investigation/legal purposes;
  * the administrator roles (三员) never read customer data under any purpose.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from baomi.catalog import fields as catalog
from baomi.catalog import inference
from baomi.catalog.enums import FieldClass, Purpose, Treatment
from baomi.catalog.fields import FieldSpec

from .enums import Role

POLICY_VERSION = "2026.1-default"
PLAIN, MASKED, WITHHELD = Treatment.PLAIN, Treatment.MASKED, Treatment.WITHHELD

ALL_FIELD_PURPOSES = frozenset(
    {Purpose.RIGHTS_REQUEST, Purpose.INVESTIGATION, Purpose.LEGAL_REQUEST}
)


@dataclass(frozen=True)
class RolePolicy:
    purposes: frozenset[Purpose]
    by_class: dict[FieldClass, Treatment]
    by_tag: dict[str, Treatment] = field(default_factory=dict)
    by_field: dict[str, Treatment] = field(default_factory=dict)  # "entity.code"
    can_write: bool = False


_NONE = RolePolicy(frozenset(), {c: WITHHELD for c in FieldClass})

DEFAULT_POLICY: dict[Role, RolePolicy] = {
    Role.FRONT_DESK: RolePolicy(
        frozenset({Purpose.RECEPTION, Purpose.CUSTOMER_SERVICE}),
        {FieldClass.BASIC: PLAIN, FieldClass.SENSITIVE: MASKED, FieldClass.PREFERENCE: PLAIN},
        by_tag={"payment": WITHHELD},
        can_write=True,
    ),
    Role.FINANCE: RolePolicy(
        frozenset({Purpose.BILLING}),
        {FieldClass.BASIC: PLAIN, FieldClass.SENSITIVE: MASKED, FieldClass.PREFERENCE: WITHHELD},
    ),
    Role.MARKETING: RolePolicy(
        frozenset({Purpose.MARKETING}),
        {FieldClass.BASIC: MASKED, FieldClass.SENSITIVE: WITHHELD, FieldClass.PREFERENCE: PLAIN},
    ),
    Role.CUSTOMER_SERVICE: RolePolicy(
        frozenset({Purpose.CUSTOMER_SERVICE}),
        {FieldClass.BASIC: PLAIN, FieldClass.SENSITIVE: MASKED, FieldClass.PREFERENCE: PLAIN},
        can_write=True,
    ),
    Role.COURIER: RolePolicy(
        frozenset({Purpose.DELIVERY}),
        {
            FieldClass.BASIC: WITHHELD,
            FieldClass.SENSITIVE: WITHHELD,
            FieldClass.PREFERENCE: WITHHELD,
        },
        by_field={
            "customer.name": MASKED,
            "customer.phone": MASKED,
            "customer.address": PLAIN,
            "shipment.sender_name": MASKED,
            "shipment.sender_phone": MASKED,
            "shipment.sender_address": PLAIN,
            "shipment.recipient_name": MASKED,
            "shipment.recipient_phone": MASKED,
            "shipment.recipient_address": PLAIN,
            "shipment.item_type": PLAIN,
        },
    ),
    Role.PRIVACY_OFFICER: RolePolicy(
        frozenset({Purpose.RIGHTS_REQUEST, Purpose.INVESTIGATION}),
        {c: PLAIN for c in FieldClass},
        can_write=True,
    ),
    Role.SECURITY_ADMIN: _NONE,
    Role.SYSTEM_ADMIN: _NONE,
    Role.SECURITY_AUDITOR: _NONE,
    # data-quality review and duplicate merges (R-K1, R-K3): only under data_quality, only
    # the identity fields a duplicate comparison needs (catalogue purposes), masked — a
    # masked name / phone / e-mail / ID number still shows whether two records agree. The
    # short codes (ID type, gender, nationality) are plain: a mask would hide them entirely
    # and they say little on their own. Birth date stays masked to the year, so it never
    # fills in the birth-date digits the masked ID number hides (DESIGN §4 joint disclosure).
    Role.DATA_STEWARD: RolePolicy(
        frozenset({Purpose.DATA_QUALITY}),
        {FieldClass.BASIC: MASKED, FieldClass.SENSITIVE: MASKED, FieldClass.PREFERENCE: WITHHELD},
        by_tag={"payment": WITHHELD, "track": WITHHELD},
        by_field={
            "customer.id_type": PLAIN,
            "customer.gender": PLAIN,
            "customer.nationality": PLAIN,
        },
    ),
    # aggregate-only roles (issue #10 §4): figures, reports, agreements, inspections — never
    # an individual customer's data by default; exceptions go through approvals (R-D4)
    Role.HR: _NONE,
    Role.LEGAL: _NONE,
    Role.INSPECTOR: _NONE,
    Role.MANAGER: _NONE,
}


def role_policy(role: str) -> RolePolicy:
    try:
        return DEFAULT_POLICY[Role(role)]
    except ValueError:
        return _NONE


def allowed_purposes(role: str) -> list[Purpose]:
    return sorted(role_policy(role).purposes, key=lambda p: list(Purpose).index(p))


def may_use(role: str, purpose: Purpose) -> bool:
    return purpose in role_policy(role).purposes


def may_write(role: str, purpose: Purpose) -> bool:
    pol = role_policy(role)
    return pol.can_write and purpose in pol.purposes


_OVERRIDE_TTL = 5.0  # seconds: other processes see an approved override within this time
_override_cache: tuple[float, dict[tuple[str, str, str], Treatment]] | None = None


def clear_override_cache() -> None:
    global _override_cache
    _override_cache = None
    _view_cache.clear()


def overrides() -> dict[tuple[str, str, str], Treatment]:
    """Active per-field overrides (role, purpose, field key) → treatment, from approved
    policy changes (issue #3). Cached briefly; cleared when an override is approved."""
    global _override_cache
    now = time.monotonic()
    if _override_cache is None or now - _override_cache[0] > _OVERRIDE_TTL:
        from .models import PolicyOverride

        table = {
            (o.role, o.purpose, o.field): Treatment(o.treatment)
            for o in PolicyOverride.objects.filter(revoked_at__isnull=True)
        }
        _override_cache = (now, table)
    return _override_cache[1]


def decide(role: str, purpose: Purpose, spec: FieldSpec) -> Treatment:
    """The treatment of one field for one read, as part of its view: the per-field
    decision, tightened so that nothing else the same view shows undoes a mask
    (`view`, catalog.inference). Unknown role or disallowed purpose: withheld."""
    settled = view(role, purpose).treatments.get(spec.key)
    return settled if settled is not None else decide_field(role, purpose, spec)


# (role, purpose) → settled view; valid for one overrides table (identity-checked)
_view_cache: dict[tuple[str, Purpose], tuple[object, inference.SettledView]] = {}


def view(role: str, purpose: Purpose) -> inference.SettledView:
    """Every catalogued field's treatment for one role × purpose, decided together: a mask
    must hold against everything else the same view shows (DESIGN §4, issue #9 §3)."""
    table = overrides() if role_policy(role).purposes else None
    hit = _view_cache.get((role, purpose))
    if hit is not None and hit[0] is table:
        return hit[1]
    settled = inference.settle({f.key: decide_field(role, purpose, f) for f in catalog.FIELDS})
    _view_cache[(role, purpose)] = (table, settled)
    return settled


def decide_field(role: str, purpose: Purpose, spec: FieldSpec) -> Treatment:
    """One field on its own: role × purpose × class / tag / field, overrides, purpose
    limitation. Use `decide` or `view`: this one alone does not see the rest of the view."""
    pol = role_policy(role)
    if purpose not in pol.purposes:
        return WITHHELD
    # purpose limitation comes before any override: an approved exception never reaches a
    # field the catalogue does not collect for this purpose (issue #9 §3)
    if not within_purpose(purpose, spec):
        return WITHHELD
    override = overrides().get((role, purpose.value, spec.key)) if pol.purposes else None
    if override is not None:
        return override
    if spec.key in pol.by_field:
        return pol.by_field[spec.key]
    for tag in sorted(spec.tags):
        if tag in pol.by_tag:
            return pol.by_tag[tag]
    return pol.by_class[spec.klass]


def within_purpose(purpose: Purpose, spec: FieldSpec) -> bool:
    """Catalogue purpose limitation: the field is collected for this purpose (or the purpose
    is one of the rights / investigation / legal purposes that may see every field)."""
    return purpose in ALL_FIELD_PURPOSES or purpose in spec.purposes


def emergency_treatment(role: str, purpose: Purpose, spec: FieldSpec) -> Treatment:
    """Under a break-glass grant: plain for what the purpose could need per the catalogue,
    the ordinary decision for everything else (withheld outside the purpose) — never
    everything (issue #9 §3)."""
    if may_use(role, purpose) and purpose in spec.purposes:
        return PLAIN
    return decide(role, purpose, spec)
