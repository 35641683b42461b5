"""Turn what the gate returned into display rows. Pure formatting: no database, no keys.

Only values already present in a `CustomerView` (plain or masked by the gate) are shown;
withheld fields carry no value at all. Which record columns exist for the viewer comes
from the same policy the gate applied (`baomi.access.policy.decide`). The consent panel
formats what `baomi.consent.selectors` returned (codes, times, roles — no personal values).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db.models import Choices

from baomi.access.enums import Role
from baomi.access.policy import decide
from baomi.catalog import fields as catalog
from baomi.catalog.enums import Channel, FieldClass, Gender, IdType, Industry, Purpose, Treatment
from baomi.consent.models import ConsentMethod
from baomi.contract import participants
from baomi.core.i18n import bi, country_name
from baomi.customers.gate import CustomerView, RecordView
from baomi.customers.models import ShipmentStatus

from . import labels

if TYPE_CHECKING:
    from baomi.consent.selectors import ConsentLine

CHOICE_ENUMS: dict[str, type[Choices]] = {"id_type": IdType, "gender": Gender}


@dataclass
class Cell:
    code: str
    treatment: str
    treatment_label: str
    text: str | None = None  # None: no value stored (or withheld)
    items: list[tuple[str, str]] = field(default_factory=list)  # preferences
    reason_code: str = ""  # withheld from this member of staff (a staff withholder, 0030)
    reason: str = ""  # its words in the active language


@dataclass
class ProfileRow:
    code: str
    label: str
    klass: str
    klass_label: str
    cell: Cell
    channel: str = ""
    channel_label: str = ""
    at: datetime | None = None


@dataclass
class RecordRow:
    id: str
    reference: str
    status: str
    channel_label: str
    created_at: datetime | None
    cells: list[Cell]


@dataclass
class RecordTable:
    entity: str
    title: str
    available: bool  # False: the policy withholds every field of this entity
    columns: list[tuple[str, str]]
    rows: list[RecordRow]


@dataclass
class CustomerPage:
    id: str
    title: str
    purpose: str
    purpose_label: str
    primary_channel_label: str
    created_at: datetime | None
    updated_at: datetime | None
    profile: list[ProfileRow]
    records: list[RecordTable]
    counts: dict[str, int]
    break_glass: bool = False
    nothing_shown: bool = False  # every field withheld (e.g. no consent for this purpose)
    # why some fields are withheld from this member of staff (decision 0030): words, link
    staff_withheld: list[dict[str, str]] = field(default_factory=list)


def parse_time(value: object) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


def reason_words(code: str) -> str:
    """A staff withholder's reason in the active language (its code if it has none)."""
    for w in participants.staff_withholders():
        if w.code == code:
            return bi(w.label_zh, w.label_en) if w.label_zh or w.label_en else code
    return code


def staff_withheld(view: CustomerView) -> list[dict[str, str]]:
    """The reasons a staff withholder gave for this view, once each, with the withholder's
    help page (e.g. "My training")."""
    codes = set(view.withheld_reasons.values())
    for items in view.records.values():
        for item in items:
            codes |= set(item.withheld_reasons.values())
    out = []
    for w in participants.staff_withholders():
        if w.code in codes:
            out.append({"code": w.code, "text": reason_words(w.code), "url_name": w.url_name})
    return out


def _text(spec: catalog.FieldSpec, value: Any, treatment: Treatment, reason_code: str = "") -> Cell:
    cell = Cell(spec.code, treatment.value, labels.bilingual(treatment.label))
    if treatment is Treatment.WITHHELD and reason_code:
        cell.reason_code, cell.reason = reason_code, reason_words(reason_code)
    if treatment is Treatment.WITHHELD or value is None:
        return cell
    if spec.code == "preferences" and isinstance(value, dict):
        cell.items = [
            (labels.preference_label(k), labels.preference_value(v)) for k, v in value.items()
        ]
        cell.text = "" if cell.items else None
        return cell
    if treatment is Treatment.PLAIN and spec.code in CHOICE_ENUMS:
        cell.text = labels.choice_label(CHOICE_ENUMS[spec.code], value)
        return cell
    if treatment is Treatment.PLAIN and spec.code == "nationality":
        cell.text = country_name(value)  # "中国", not the code "CN"
        return cell
    cell.text = str(value)
    return cell


def profile_rows(view: CustomerView) -> list[ProfileRow]:
    rows = []
    for spec in catalog.fields_of("customer"):
        t = view.treatment(spec.code)
        lineage = view.lineage.get(spec.code) if t is not Treatment.WITHHELD else None
        lineage = lineage if isinstance(lineage, dict) else {}
        channel = str(lineage.get("channel", ""))
        rows.append(
            ProfileRow(
                code=spec.code,
                label=labels.spec_label(spec),
                klass=spec.klass.value,
                klass_label=labels.bilingual(FieldClass(spec.klass).label),
                cell=_text(
                    spec, view.fields.get(spec.code), t, view.withheld_reasons.get(spec.code, "")
                ),
                channel=channel,
                channel_label=labels.choice_label(Channel, channel) if channel else "",
                at=parse_time(lineage.get("at")),
            )
        )
    return rows


def _record_row(entity: str, specs: list[catalog.FieldSpec], item: RecordView) -> RecordRow:
    cells = []
    for spec in specs:
        if spec.code in item.withheld:
            t = Treatment.WITHHELD
        elif spec.code in item.masked:
            t = Treatment.MASKED
        else:
            t = Treatment.PLAIN
        cells.append(
            _text(spec, item.fields.get(spec.code), t, item.withheld_reasons.get(spec.code, ""))
        )
    meta = item.meta
    if entity == "shipment":
        reference = meta.get("waybill_no", "")
    elif entity == "payment_method":
        reference = meta.get("brand", "").upper()  # the vault token is never displayed
    else:
        reference = meta.get("reference", "")
    status = meta.get("status", "")
    return RecordRow(
        id=item.id,
        reference=reference,
        status=labels.choice_label(ShipmentStatus, status) if status else "",
        channel_label=labels.choice_label(Channel, meta.get("channel", "")),
        created_at=parse_time(meta.get("created_at")),
        cells=cells,
    )


def visible_specs(
    role: str, purpose: Purpose, view: CustomerView, entity: str, items: list[RecordView]
) -> list[catalog.FieldSpec]:
    """The record columns this viewer gets: what the gate returned for the rows present;
    for an empty list, what the policy would return (all of them under an emergency grant)."""
    specs = catalog.fields_of(entity)
    if items:
        return [s for s in specs if any(s.code not in i.withheld for i in items)]
    if getattr(view, "break_glass", False):
        return specs
    return [s for s in specs if decide(role, purpose, s) is not Treatment.WITHHELD]


def record_tables(role: str, purpose: Purpose, view: CustomerView) -> list[RecordTable]:
    tables = []
    for entity, items in view.records.items():
        visible = visible_specs(role, purpose, view, entity, items)
        title = str(labels.ENTITY_TITLES.get(entity, entity))
        if not visible:
            tables.append(RecordTable(entity, title, False, [], []))
            continue
        tables.append(
            RecordTable(
                entity,
                title,
                True,
                [(s.code, labels.spec_label(s)) for s in visible],
                [_record_row(entity, visible, i) for i in items],
            )
        )
    return tables


def customer_page(role: str, view: CustomerView) -> CustomerPage:
    name = view.fields.get("name")
    tables = record_tables(role, view.purpose, view)
    return CustomerPage(
        id=view.id,
        title=str(name) if name else "",
        purpose=view.purpose.value,
        purpose_label=labels.bilingual(view.purpose.label),
        primary_channel_label=labels.choice_label(Channel, view.primary_channel),
        created_at=parse_time(view.created_at),
        updated_at=parse_time(view.updated_at),
        profile=profile_rows(view),
        records=tables,
        counts={t.entity: len(t.rows) for t in tables if t.available},
        break_glass=bool(getattr(view, "break_glass", False)),
        nothing_shown=not view.fields,
        staff_withheld=staff_withheld(view),
    )


# -- consents (R-A4, R-B3): codes and times from the consent ledger, never a staff name -------
GIVEN, WITHDRAWN, REFUSED, NEVER = "given", "withdrawn", "refused", "never"


@dataclass
class ConsentEntry:
    """One decision of the ledger as displayed."""

    state: str  # given / withdrawn / refused (refused: never given before)
    state_label: str
    at: datetime | None
    channel_label: str
    method_label: str
    notice_version: int | None
    by: str  # self_service / staff / system
    by_label: str
    evidence: str = ""


@dataclass
class ConsentRow:
    """One consent purpose: its current state (None: never asked) and its history."""

    code: str
    label: str
    separate: bool
    industry_label: str
    state: str  # given / withdrawn / refused / never
    state_label: str
    current: ConsentEntry | None
    history: list[ConsentEntry]  # newest first


def _state_label(state: str) -> str:
    from django.utils.translation import gettext as _

    return {
        GIVEN: _("Given"),
        WITHDRAWN: _("Withdrawn"),
        REFUSED: _("Refused"),
        NEVER: _("Never asked"),
    }[state]


def _by(event: dict[str, Any]) -> tuple[str, str]:
    """Who recorded a decision: the customer (self-service), staff (role only) or the system."""
    from django.utils.translation import gettext as _

    role = str(event.get("operator_role") or "")
    if event.get("self_service"):
        return "self_service", _("Customer, self-service")
    if role in Role.values:
        return "staff", _("Staff: %(role)s") % {"role": labels.choice_label(Role, role)}
    return "system", _("System")


def _entry(event: dict[str, Any], given_before: bool) -> ConsentEntry:
    state = GIVEN if event["given"] else (WITHDRAWN if given_before else REFUSED)
    by, by_label = _by(event)
    return ConsentEntry(
        state=state,
        state_label=_state_label(state),
        at=parse_time(event.get("at")),
        channel_label=labels.choice_label(Channel, event.get("channel", "")),
        method_label=labels.choice_label(ConsentMethod, event.get("method", "")),
        notice_version=event.get("notice_version"),
        by=by,
        by_label=by_label,
        evidence=str(event.get("evidence") or ""),
    )


def consent_rows(lines: list[ConsentLine], events: list[dict[str, Any]]) -> list[ConsentRow]:
    """The consent panel: `consent.selectors.state_of` (current state, every purpose) and
    `history` (every decision, oldest first). The current entry is the history's event the
    state points to (same purpose and time), so both always agree."""
    from django.utils.translation import gettext as _

    zh = labels.is_zh()
    per_purpose: dict[str, list[ConsentEntry]] = {}
    given_before: set[str] = set()
    for e in events:  # oldest first: a "no" after a "yes" is a withdrawal
        code = str(e["purpose"])
        per_purpose.setdefault(code, []).append(_entry(e, code in given_before))
        if e["given"]:
            given_before.add(code)
    rows = []
    for line in lines:
        history = per_purpose.get(line.purpose, [])
        at = parse_time(line.at)
        current = None
        if line.given is not None:
            matches = [h for h in history if h.at == at]
            current = matches[-1] if matches else (history[-1] if history else None)
        if current is not None:
            state = current.state
        else:
            refused = REFUSED if line.refused else WITHDRAWN
            state = NEVER if line.given is None else (GIVEN if line.given else refused)
        industry = ""
        if line.industry != "all":
            industry = _("Industry: %(industry)s") % {
                "industry": labels.choice_label(Industry, line.industry)
            }
        rows.append(
            ConsentRow(
                code=line.purpose,
                label=line.label_zh if zh else line.label_en,
                separate=line.separate,
                industry_label=industry,
                state=state,
                state_label=_state_label(state),
                current=current,
                history=history[::-1],
            )
        )
    return rows


@dataclass
class SearchRow:
    id: str
    cells: list[Cell]
    channel_label: str
    created_at: datetime | None


SEARCH_COLUMNS = ("name", "phone", "email")


def search_rows(views: list[CustomerView]) -> list[SearchRow]:
    out = []
    for v in views:
        cells = [
            _text(catalog.spec("customer", c), v.fields.get(c), v.treatment(c))
            for c in SEARCH_COLUMNS
        ]
        out.append(
            SearchRow(
                v.id,
                cells,
                labels.choice_label(Channel, v.primary_channel),
                parse_time(v.created_at),
            )
        )
    return out


@dataclass
class RecentRow:
    id: str
    name: Cell
    phone: Cell
    opened_at: datetime


def recent_rows(items: list[tuple[CustomerView, datetime]]) -> list[RecentRow]:
    """The recent-customers list: name and phone as the gate's view shows them."""
    return [
        RecentRow(
            v.id,
            _text(catalog.spec("customer", "name"), v.fields.get("name"), v.treatment("name")),
            _text(catalog.spec("customer", "phone"), v.fields.get("phone"), v.treatment("phone")),
            at,
        )
        for v, at in items
    ]


def search_columns() -> list[tuple[str, str]]:
    return [(c, labels.spec_label(catalog.spec("customer", c))) for c in SEARCH_COLUMNS]


def page_numbers(page: int, total: int, page_size: int) -> tuple[int, list[int]]:
    """(number of pages, the page numbers to offer: first, last and a window around page)."""
    pages = max(1, math.ceil(total / page_size)) if page_size else 1
    window = {1, pages, *range(max(1, page - 2), min(pages, page + 2) + 1)}
    return pages, sorted(window)
