"""Turn what the gate returned into display rows. Pure formatting: no database, no keys.

Only values already present in a `CustomerView` (plain or masked by the gate) are shown;
withheld fields carry no value at all. Which record columns exist for the viewer comes
from the same policy the gate applied (`baomi.access.policy.decide`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Choices

from baomi.access.policy import decide
from baomi.catalog import fields as catalog
from baomi.catalog.enums import Channel, FieldClass, Gender, IdType, Purpose, Treatment
from baomi.customers.gate import CustomerView, RecordView
from baomi.customers.models import ShipmentStatus

from . import labels

CHOICE_ENUMS: dict[str, type[Choices]] = {"id_type": IdType, "gender": Gender}


@dataclass
class Cell:
    code: str
    treatment: str
    treatment_label: str
    text: str | None = None  # None: no value stored (or withheld)
    items: list[tuple[str, str]] = field(default_factory=list)  # preferences


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


def parse_time(value: object) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


def _text(spec: catalog.FieldSpec, value: Any, treatment: Treatment) -> Cell:
    cell = Cell(spec.code, treatment.value, labels.bilingual(treatment.label))
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
                cell=_text(spec, view.fields.get(spec.code), t),
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
        cells.append(_text(spec, item.fields.get(spec.code), t))
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
    )


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


def search_columns() -> list[tuple[str, str]]:
    return [(c, labels.spec_label(catalog.spec("customer", c))) for c in SEARCH_COLUMNS]


def page_numbers(page: int, total: int, page_size: int) -> tuple[int, list[int]]:
    """(number of pages, the page numbers to offer: first, last and a window around page)."""
    pages = max(1, math.ceil(total / page_size)) if page_size else 1
    window = {1, pages, *range(max(1, page - 2), min(pages, page + 2) + 1)}
    return pages, sorted(window)
