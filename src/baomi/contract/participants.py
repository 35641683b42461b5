"""The participant contract (DESIGN.md §2, issue #10, decision 0013).

Each app declares what it contributes in ONE place — `<app>/participant.py`, imported at
start-up by `baomi.contract` (as Django imports `admin` modules) — by calling::

    from baomi.contract.participants import Participant, register

    register(Participant(app="sharing", fields=..., closers=..., eraser=..., ...))

The core iterates over these registrations and names no domain: the gate asks every read
closer, erasure calls every eraser, the access copy gathers every section, the importer takes
every app's intake columns, approvals dispatch on the registered kind, the console lists the
registered nav entries / banners / cards, the KPI endpoint lists the registered indicators.
Saleor's plugin manager and Django's app registry are the models: registration happens
once, while apps load; afterwards the registry is sealed and read-only.

Rules a participant keeps (checked by `baomi check`, `baomi.contract.checks`):
  * every personal column of its models is a catalogue field; every other column is listed
    in `non_personal` (the catalogue completeness test reads both);
  * everything it writes on erasure goes through its `eraser`, in the caller's transaction;
  * closers, erasers and indicators run one query per batch / period, never per customer.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Any
from unittest import mock

from baomi.catalog import fields as catalog
from baomi.catalog.enums import FieldClass, Purpose, Role
from baomi.core import clock

if TYPE_CHECKING:
    from django.db.models import Model
    from django.http import HttpRequest

    from .kpis import Indicator


# -- the gate ------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReadCloser:
    """Customers closed for a purpose: every field is withheld when read under it, and the
    audit event says why (`withheld_because: <code>`). Examples: no marketing consent
    (consent), a restriction of processing (rights), a legal hold on a case (incidents).

    `closes(purpose, ids)` answers the subset of `ids` closed for `purpose` in one query.
    With `refuse_single`, a single read (`access_customer`) answers 403 with `code`
    instead of an all-withheld view (a restricted customer is not shown at all).

    `sql(purpose)`, optional, answers the same question inside the gate's one query per
    read (decision 0040): `None` when the closer closes nobody for this purpose, else
    `(expression, params)` — an SQL boolean expression, true when the customer whose id
    column is written `{id}` is closed (e.g. an `EXISTS (…)` on the domain's own table,
    names from its models), a function of the purpose alone (the gate keeps the statement
    per purpose). It must agree with `closes` (tests/test_gate_statements.py
    checks every registered closer on both databases); without it the gate calls
    `closes` — one more query per read."""

    code: str
    closes: Callable[[Purpose, list[uuid.UUID]], set[uuid.UUID]]
    refuse_single: bool = False
    refusal_code: str = ""
    refusal_message: str = ""
    sql: Callable[[Purpose], tuple[str, list[Any]] | None] | None = None


@dataclass(frozen=True)
class Scope:
    """What a read grant opens for one customer: `fields` (catalogue keys) plain, nothing
    else; `ref` names the record that granted it (audited on every read it allows)."""

    ref: str
    fields: frozenset[str]


@dataclass(frozen=True)
class ReadGrant:
    """Opens a purpose the actor's role policy does not give, for named customers, fields
    and a time (decision 0009: an approved lawful request's scope). `holds(actor, purpose)`
    says whether the actor holds any such grant now (the purpose check passes);
    `grants(actor, purpose, ids)` answers `{customer id: Scope}` in one query. A role that
    may use the purpose itself is never asked: grants only add reads on record."""

    code: str
    holds: Callable[[Any, Purpose], bool]
    grants: Callable[[Any, Purpose, Sequence[uuid.UUID]], Mapping[uuid.UUID, Scope]]


@dataclass(frozen=True)
class RecordOpener:
    """Shows some masked fields of named records in full to an actor whose duty covers
    those records (decision 0025: the front desk of the stay's own hotel sees its room and
    dates). `opens(actor, purpose, records)` answers `{record pk: field codes}` in one query
    for the batch of `entity` records. Only a field the view masks can be opened — never a
    withheld one, never a field a catalogue coupling ties to another (catalog.inference).
    """

    code: str
    entity: str
    opens: Callable[[Any, Purpose, Sequence[Any]], Mapping[Any, frozenset[str]]]


@dataclass(frozen=True)
class StaffWithholder:
    """Field classes withheld from a member of staff who is not (yet) fit to read them,
    whatever the customer (decision 0030: staff whose required training or confidentiality
    agreement is not current see no sensitive field — reason `training_required`).

    `withholds(actor)` answers the field classes withheld from this actor now — empty when
    none — in a constant number of queries (the gate asks once per read, not per
    customer). The gate only ever tightens: a withheld field stays withheld; a plain or
    masked field of a named class becomes withheld, and the view and the audit event name
    `code` as the reason. Basic work continues: other classes keep the role's treatment."""

    code: str
    withholds: Callable[[Any], frozenset[FieldClass]]
    label_zh: str = ""
    label_en: str = ""
    url_name: str = ""  # a console page that tells the actor what to do (e.g. My training)


# -- erasure --------------------------------------------------------------------------------
@dataclass(frozen=True)
class EraseContext:
    """What an eraser is told. `erased_at` is None when the customer was already erased and
    the erasure is replayed onto a restored backup (clear columns, keep timestamps)."""

    customer_id: uuid.UUID
    erased_at: datetime | None
    basis: str


@dataclass(frozen=True)
class Kept:
    """A record kept after erasure and why (a statutory hold): non-personal columns only."""

    entity: str
    records: int
    columns: tuple[str, ...]
    basis_zh: str
    basis_en: str
    period_zh: str
    period_en: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "entity": self.entity,
            "records": self.records,
            "columns": list(self.columns),
            "basis_zh": self.basis_zh,
            "basis_en": self.basis_en,
            "period_zh": self.period_zh,
            "period_en": self.period_en,
        }


@dataclass
class Erasure:
    """An eraser's answer: rows whose personal columns it cleared, per entity, and what it
    kept and why. The erasure certificate lists both."""

    cleared: dict[str, int] = field(default_factory=dict)
    kept: list[Kept] = field(default_factory=list)


Eraser = Callable[[EraseContext], Erasure]


def kept_under_holds(cleared: Mapping[str, int]) -> list[Kept]:
    """The catalogue's legal holds that apply to these cleared records (helper for erasers
    of entities with a `catalog.LegalHold`)."""
    return [
        Kept(
            h.entity,
            cleared[h.entity],
            tuple(h.keeps),
            h.basis_zh,
            h.basis_en,
            h.period_zh,
            h.period_en,
        )
        for h in catalog.LEGAL_HOLDS
        if cleared.get(h.entity)
    ]


# -- access copy (R-F1, PIPL art. 45) ---------------------------------------------------------
@dataclass(frozen=True)
class AccessCopySection:
    """One key of the customer's access copy: `build(actor, customer_id)` returns what the
    customer sees about this domain (JSON-ready). Personal values only through the gate
    (`gate.access_customer`, `gate.open_attached_many`) under `rights_request`."""

    key: str
    title_zh: str
    title_en: str
    build: Callable[[Any, uuid.UUID], Any]
    order: int = 100
    # the readable (HTML) copy: a template fragment rendered with `section` = what `build`
    # returned; without one the section is in the JSON copy only
    template: str = ""


# -- approvals (R-D4 four eyes) ---------------------------------------------------------------
DEFAULT_REQUESTERS = frozenset({Role.SECURITY_ADMIN, Role.SYSTEM_ADMIN, Role.PRIVACY_OFFICER})


@dataclass(frozen=True)
class ApprovalKind:
    """A privileged operation that needs a second person. `validate(actor, payload)` raises
    a BaomiError before the request is filed; `execute(actor, request)` runs inside the
    approving transaction and writes its own audit event. No `execute`: the approved
    request is itself the permission a command checks (`access.services.approved_for`)."""

    code: str
    label: str  # "中文 / English"
    validate: Callable[[Any, dict[str, Any]], None] | None = None
    execute: Callable[[Any, Any], None] | None = None
    requesters: frozenset[Role] = DEFAULT_REQUESTERS


# -- console -------------------------------------------------------------------------------
@dataclass(frozen=True)
class NavEntry:
    """A console navigation link, shown to `roles` (the page checks the role again)."""

    url_name: str
    label: Any  # a lazy gettext string
    testid: str
    roles: frozenset[Role]
    order: int = 100
    # shown only when this answers True for the request (e.g. staff posted at a travel
    # counter); None: shown to every role in `roles`
    shown: Callable[[HttpRequest], bool] | None = None


@dataclass(frozen=True)
class Banner:
    """A message on every console page for `roles`: `build(request, role)` returns the
    template context, or None when there is nothing to say. Rendered with `template`."""

    code: str
    template: str
    roles: frozenset[Role]
    build: Callable[[HttpRequest, str], dict[str, Any] | None]


@dataclass(frozen=True)
class DashboardCard:
    """A card on the console home page for `roles` (figures only, no personal values)."""

    code: str
    template: str
    roles: frozenset[Role]
    build: Callable[[HttpRequest, str], dict[str, Any] | None]
    order: int = 100


@dataclass(frozen=True)
class CustomerPanel:
    """A section of the customer 360 page, built only after the gate let the viewer read
    the customer (so it shows to whoever may read that customer): `build(request, view)`
    returns the template context — names, codes and dates; personal values only from the
    gate's `view` — or None to show nothing. Rendered with `template` (context `panel`)."""

    code: str
    template: str
    build: Callable[[HttpRequest, Any], dict[str, Any] | None]
    order: int = 100


# -- retention (R-C8) ------------------------------------------------------------------------
@dataclass
class Expiry:
    """What one retention rule found: `expired` items past their period, of which
    `destroyed` were (or, on a dry run, would be) destroyed and `held` were not because a
    legal hold names their customer (`by_hold`: hold code → count)."""

    expired: int = 0
    destroyed: int = 0
    held: int = 0
    by_hold: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class RetentionRule:
    """What expires when: records of `entity` are kept `keep_days` after `starts` (an
    event: "last_service", "check_out", "delivery", "closed"...), then `expire(now,
    dry_run)` destroys or anonymises them (crypto-shredding or clearing the sealed
    columns, audited) and answers an `Expiry` (or just how many). A rule over customers'
    data skips the customers `held_customers` names. The retention domain runs every
    registered rule (`baomi retention run`) and certifies what it destroyed."""

    entity: str
    starts: str
    keep_days: int
    basis_zh: str
    basis_en: str
    expire: Callable[[datetime, bool], int | Expiry] | None = None


@dataclass(frozen=True)
class Retrainer:
    """Retraining after a failure (R-J2): `assign(staff, reason, ref)` gives `staff` the
    retraining the training domain's rules name for a failed evaluation `ref` and answers
    the assignment ids ([] when no course applies). Registered by the training app; the
    service-quality domain calls `participants.retrain` without importing it."""

    assign: Callable[[Any, str, str], list[str]]


@dataclass(frozen=True)
class HoldSource:
    """A legal hold (an open incident that names the customer, a lawful request, a dispute,
    a hold placed by hand): `held(ids)` answers which of `ids` must not be destroyed now,
    in one query. Retention rules over customers' data skip them."""

    code: str
    label_zh: str
    label_en: str
    held: Callable[[list[uuid.UUID]], set[uuid.UUID]]


# -- the demo (issue #19) ----------------------------------------------------------------------
@dataclass(frozen=True)
class DemoStep:
    """One domain's part of `baomi demo`: `run(ctx)` creates demo records through the
    domain's own services only (never a table written directly, never past the gate, the
    vault or the audit log), after customers, the day's operations and training are loaded.
    Steps run in `order` (then app name); `ctx` is a `DemoContext`."""

    order: int
    run: Callable[[DemoContext], None]


@dataclass
class DemoContext:
    """What `baomi demo` tells each step: the seed (a step seeds its own `random.Random`
    from it, so the demo is deterministic), the demo staff by role value
    (`staff["privacy_officer"]`), the customers loaded, and `notes` a step may append to
    (lines the command prints at the end)."""

    seed: int
    staff: Mapping[str, Any]
    customer_ids: Sequence[uuid.UUID]
    notes: list[str] = field(default_factory=list)

    @staticmethod
    @contextmanager
    def at(when: datetime) -> Iterator[None]:
        """Inside the block `baomi.core.clock.now` reads `when`, moving on with real time
        (as tests fake time): a step records what happened days or a year ago through the
        services' own clocks, never by editing timestamps afterwards."""
        real = clock.now
        offset = when - real()
        with mock.patch.object(clock, "now", lambda: real() + offset):
            yield


# -- the registration ------------------------------------------------------------------------
@dataclass(frozen=True)
class Participant:
    """Everything one app contributes. Only `app` is required."""

    app: str
    # catalogue: personal fields of the app's entities, the other columns of those models,
    # the models themselves (entity → model with a `customer` foreign key), statutory holds
    fields: tuple[catalog.FieldSpec, ...] = ()
    non_personal: Mapping[str, frozenset[str]] = field(default_factory=dict)
    models: Mapping[str, type[Model]] = field(default_factory=dict)
    legal_holds: tuple[catalog.LegalHold, ...] = ()
    # the gate, erasure, access copy
    closers: tuple[ReadCloser, ...] = ()
    grants: tuple[ReadGrant, ...] = ()
    openers: tuple[RecordOpener, ...] = ()
    withholders: tuple[StaffWithholder, ...] = ()
    eraser: Eraser | None = None
    access_copy: tuple[AccessCopySection, ...] = ()
    # intake: column extensions for `baomi import` (decision 0007: claims / check_header /
    # parse / write, picklable); API and console take the same payload key
    intake: tuple[Any, ...] = ()
    # workflow and evidence
    approvals: tuple[ApprovalKind, ...] = ()
    actions: tuple[type[Enum], ...] = ()
    # console
    nav: tuple[NavEntry, ...] = ()
    banners: tuple[Banner, ...] = ()
    cards: tuple[DashboardCard, ...] = ()
    panels: tuple[CustomerPanel, ...] = ()
    urls: tuple[tuple[str, str], ...] = ()  # (prefix, "baomi.<app>.urls") console pages
    # lifecycle and measurement
    retention: tuple[RetentionRule, ...] = ()
    holds: tuple[HoldSource, ...] = ()
    # words for the customer-facing privacy notice: the app's entities (code → (中文,
    # English)) and the Chinese of its catalogue retention texts (English → 中文)
    entity_labels: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    texts_zh: Mapping[str, str] = field(default_factory=dict)
    retrainers: tuple[Retrainer, ...] = ()
    indicators: tuple[Indicator, ...] = ()
    # `baomi demo`: the app's demo data, through its own services (its `demo.py`)
    demo: tuple[DemoStep, ...] = ()


class RegistryError(RuntimeError):
    pass


_registry: dict[str, Participant] = {}
_sealed = False


def register(p: Participant) -> Participant:
    """Register an app's contributions (from its `participant.py`). Twice for one app, a
    clash of codes with another app, or a call after start-up is an error."""
    if _sealed:
        raise RegistryError(f"{p.app}: participants register while apps load, not later")
    if p.app in _registry:
        raise RegistryError(f"{p.app} is registered twice")
    _check_unique(p)
    _registry[p.app] = p
    if p.fields or p.non_personal or p.legal_holds:
        catalog.register(p.fields, p.non_personal, p.legal_holds)
    for enum in p.actions:
        register_actions(enum)
    return p


_actions: dict[str, str] = {}  # declared audit action code → label


def register_actions(actions: Iterable[Enum | str]) -> None:
    """Declare audit action codes ('domain.verb', ≤ 40 characters). The audit log refuses
    codes nobody declared (`baomi.audit.actions.is_known`); no migration is needed."""
    for a in actions:
        code = str(a.value if isinstance(a, Enum) else a)
        if not code or len(code) > 40 or "." not in code:
            raise RegistryError(f"audit action {code!r}: use 'domain.verb', at most 40 characters")
        _actions[code] = str(getattr(a, "label", code))


def declared_actions() -> dict[str, str]:
    return dict(_actions)


def _check_unique(p: Participant) -> None:
    def codes(of: Iterable[Participant], attr: str, key: str) -> set[str]:
        return {getattr(x, key) for q in of for x in getattr(q, attr)}

    for attr, key in (
        ("closers", "code"),
        ("grants", "code"),
        ("openers", "code"),
        ("withholders", "code"),
        ("access_copy", "key"),
        ("approvals", "code"),
        ("indicators", "code"),
        ("nav", "url_name"),
        ("banners", "code"),
        ("cards", "code"),
        ("panels", "code"),
    ):
        mine = [getattr(x, key) for x in getattr(p, attr)]
        clash = (set(mine) & codes(_registry.values(), attr, key)) | {
            c for c in mine if mine.count(c) > 1
        }
        if clash:
            raise RegistryError(f"{p.app}: {attr} {sorted(clash)} already registered")
    taken = {e for q in _registry.values() for e in q.models}
    if set(p.models) & taken:
        raise RegistryError(f"{p.app}: entities {sorted(set(p.models) & taken)} already taken")


def seal() -> None:
    global _sealed
    _sealed = True


def all_participants() -> list[Participant]:
    return list(_registry.values())


def get(app: str) -> Participant | None:
    return _registry.get(app)


# -- what the core iterates over ---------------------------------------------------------------
def closers() -> list[ReadCloser]:
    return [c for p in _registry.values() for c in p.closers]


def grants() -> list[ReadGrant]:
    return [g for p in _registry.values() for g in p.grants]


def openers(entity: str) -> list[RecordOpener]:
    return [o for p in _registry.values() for o in p.openers if o.entity == entity]


def staff_withholders() -> list[StaffWithholder]:
    return [w for p in _registry.values() for w in p.withholders]


def erasers() -> list[tuple[str, Eraser]]:
    return [(p.app, p.eraser) for p in _registry.values() if p.eraser is not None]


def access_copy_sections() -> list[AccessCopySection]:
    return sorted(
        (s for p in _registry.values() for s in p.access_copy), key=lambda s: (s.order, s.key)
    )


def intake_extensions() -> tuple[Any, ...]:
    return tuple(e for p in _registry.values() for e in p.intake)


def approval_kinds() -> dict[str, ApprovalKind]:
    return {k.code: k for p in _registry.values() for k in p.approvals}


def approval_kind(code: str) -> ApprovalKind | None:
    return approval_kinds().get(code)


def nav_entries() -> list[NavEntry]:
    return sorted((n for p in _registry.values() for n in p.nav), key=lambda n: n.order)


def banners() -> list[Banner]:
    return [b for p in _registry.values() for b in p.banners]


def cards() -> list[DashboardCard]:
    return sorted((c for p in _registry.values() for c in p.cards), key=lambda c: c.order)


def customer_panels() -> list[CustomerPanel]:
    return sorted((c for p in _registry.values() for c in p.panels), key=lambda c: c.order)


def console_urls() -> list[tuple[str, str]]:
    return [u for p in _registry.values() for u in p.urls]


def retention_rules() -> list[RetentionRule]:
    return [r for p in _registry.values() for r in p.retention]


def entity_label(entity: str) -> tuple[str, str] | None:
    """(中文, English) name of an entity some app registered, else None."""
    for p in _registry.values():
        if entity in p.entity_labels:
            return tuple(p.entity_labels[entity])  # type: ignore[return-value]
    return None


def text_zh(english: str) -> str | None:
    """The Chinese some app registered for one of its English texts, else None."""
    for p in _registry.values():
        if english in p.texts_zh:
            return p.texts_zh[english]
    return None


def retrain(staff: Any, reason: str, ref: str) -> list[str]:
    """Assign retraining through every registered retrainer; the assignment ids."""
    out: list[str] = []
    for p in _registry.values():
        for r in p.retrainers:
            out += r.assign(staff, reason, ref)
    return out


def hold_sources() -> list[HoldSource]:
    return [h for p in _registry.values() for h in p.holds]


def held_customers(ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    """Customer id → the codes of the legal holds on them (only held customers appear)."""
    wanted = list(dict.fromkeys(ids))
    out: dict[uuid.UUID, list[str]] = {}
    for n in range(0, len(wanted), 500):
        chunk = wanted[n : n + 500]
        for source in hold_sources():
            for cid in source.held(chunk):
                out.setdefault(cid, []).append(source.code)
    return out


def indicators() -> list[Indicator]:
    return [i for p in _registry.values() for i in p.indicators]


def demo_steps() -> list[DemoStep]:
    """Every app's demo steps, in `order` (then app name): `baomi demo` runs them all."""
    steps = [(s.order, p.app, n, s) for p in _registry.values() for n, s in enumerate(p.demo)]
    return [s for *_, s in sorted(steps, key=lambda t: t[:3])]


def entity_models() -> dict[str, type[Model]]:
    """Catalogue entity → model, for every registered app (one home for the map)."""
    return {e: m for p in _registry.values() for e, m in p.models.items()}


def customer_entities() -> dict[str, type[Model]]:
    """Entities whose rows belong to one customer (a `customer` foreign key), but not the
    profile itself: the records a 360 view and an erasure walk."""
    return {e: m for e, m in entity_models().items() if e != "customer"}
