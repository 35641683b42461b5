"""The data catalogue (R-A2 one data standard, R-B1 collection checklist, R-C1 classes).

Completeness is checked against the models themselves: every sealed column must be
catalogued, every other column must be declared non-personal — a new column that is neither
fails here before it can hold personal data unseen.
"""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import models

from baomi.catalog import fields as catalog
from baomi.catalog import services as catalog_services
from baomi.catalog.enums import FieldClass, Purpose
from baomi.customers.models import ENTITY_MODELS
from baomi.vault.fields import SealedField

CJK = re.compile(r"[\u3400-\u9fff]")
MODEL_ENTITY: dict[type[models.Model], str] = {m: e for e, m in ENTITY_MODELS.items()}


def _sealed(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return [f for f in model._meta.concrete_fields if isinstance(f, SealedField)]


def _personal_models() -> list[type[models.Model]]:
    """Every model of the customers app, and every model anywhere with a SealedField."""
    found = set(apps.get_app_config("customers").get_models())
    found |= {m for m in apps.get_models() if _sealed(m)}
    return sorted(found, key=lambda m: m._meta.label)


def entity_of(model: type[models.Model]) -> str:
    """The catalogue entity of a model: its ENTITY_MODELS name (customers app), else its
    table name — the `table` its values are sealed under (e.g. rights_request)."""
    return MODEL_ENTITY.get(model) or model._meta.db_table


def model_of(entity: str) -> type[models.Model] | None:
    return next((m for m in _personal_models() if entity_of(m) == entity), None)


def test_the_walk_sees_the_known_personal_models() -> None:
    """Guard for the walk itself: it must find at least the five entity models."""
    labels = {m._meta.label for m in _personal_models()}
    assert {
        "customers.Customer",
        "customers.Booking",
        "customers.Stay",
        "customers.Shipment",
        "customers.PaymentMethod",
    } <= labels


def test_customers_app_models_are_entities() -> None:
    """Every model of the customers app is an ENTITY_MODELS entity (the gate reads those)."""
    for model in apps.get_app_config("customers").get_models():
        assert model in MODEL_ENTITY, model._meta.label


@pytest.mark.parametrize("model", _personal_models(), ids=lambda m: m._meta.label)
def test_every_column_is_catalogued_or_declared_non_personal(model: type[models.Model]) -> None:
    """R-A2 / R-B1 / R-C2: each SealedField has a catalogue entry '<entity>.<column>'; every
    other concrete column is listed in NON_PERSONAL_COLUMNS[entity]; nothing is in both."""
    entity = entity_of(model)
    non_personal = catalog.NON_PERSONAL_COLUMNS.get(entity)
    assert non_personal is not None, f"no NON_PERSONAL_COLUMNS for {entity} ({model})"
    problems = []
    for f in model._meta.concrete_fields:
        key = f"{entity}.{f.name}"
        if isinstance(f, SealedField):
            if key not in catalog.BY_KEY:
                problems.append(f"sealed column {key} has no catalogue entry")
            if f.name in non_personal:
                problems.append(f"{key} is sealed but declared non-personal")
        elif f.name not in non_personal:
            problems.append(f"column {key} is neither sealed+catalogued nor non-personal")
    assert not problems, problems


CATALOGUE_ENTITIES = sorted({f.entity for f in catalog.FIELDS} | set(ENTITY_MODELS))


@pytest.mark.parametrize("entity", CATALOGUE_ENTITIES)
def test_every_catalogue_entry_is_a_sealed_column(entity: str) -> None:
    """The other direction: each catalogued field is stored in a SealedField of its
    entity's model (never a plain column), and declared non-personal columns exist."""
    model = model_of(entity)
    assert model is not None, f"catalogue entity {entity} has no model with sealed columns"
    columns = {f.name: f for f in model._meta.concrete_fields}
    for spec in catalog.fields_of(entity):
        assert isinstance(columns.get(spec.code), SealedField), spec.key
    assert catalog.NON_PERSONAL_COLUMNS[entity] <= set(columns), entity


def test_non_personal_declarations_belong_to_models() -> None:
    for entity in catalog.NON_PERSONAL_COLUMNS:
        assert model_of(entity) is not None, entity


def test_non_personal_columns_are_not_free_text_about_people() -> None:
    """Columns declared non-personal on the customer entities are ids, keys, codes,
    timestamps or lineage — never a free-text field that could quietly hold a name or
    address. (The rights tables' staff-written texts are sealed and catalogued; their
    non-personal columns are checked in tests/test_rights_sealed_text.py.)"""
    for entity, model in ENTITY_MODELS.items():
        for name in catalog.NON_PERSONAL_COLUMNS[entity]:
            f = model._meta.get_field(name)
            ok = (
                isinstance(f, (models.UUIDField, models.DateTimeField, models.ForeignKey))
                or name == "lineage"
                or (isinstance(f, models.CharField) and (f.choices or (f.max_length or 0) <= 40))
            )
            assert ok, f"{entity}.{name}"


@pytest.mark.parametrize("spec", catalog.FIELDS, ids=lambda s: s.key)
def test_every_entry_is_complete(spec: catalog.FieldSpec) -> None:
    """R-B1: each item states a purpose (≥ 1, all known purpose codes, no duplicates), a
    class, zh and en labels, a retention rule, a collection method and a mask."""
    assert spec.purposes and all(isinstance(p, Purpose) for p in spec.purposes)
    assert len(set(spec.purposes)) == len(spec.purposes)
    assert isinstance(spec.klass, FieldClass)
    assert CJK.search(spec.label_zh), spec.label_zh
    assert spec.label_en and spec.label_en.isascii() and not CJK.search(spec.label_en)
    assert spec.retention.strip()
    assert spec.method.strip()
    assert callable(spec.mask)
    assert spec.mask("张三丰") != "张三丰" or spec.klass == FieldClass.PREFERENCE
    if spec.indexed:
        assert spec.entity == "customer"  # blind indexes exist for customer fields only


def test_keys_are_unique_and_by_key_is_complete() -> None:
    keys = [f.key for f in catalog.FIELDS]
    assert len(keys) == len(set(keys))
    assert set(catalog.BY_KEY) == set(keys)
    assert catalog.spec("customer", "id_number") is catalog.BY_KEY["customer.id_number"]


def test_indexed_customer_fields_are_the_search_fields() -> None:
    """INTERFACES: search by phone, email, id_number, name — exactly the indexed fields."""
    assert set(catalog.INDEXED_CUSTOMER_FIELDS) == {"phone", "email", "id_number", "name"}


# -- R-C1 classes ---------------------------------------------------------------------------------
SENSITIVE = {
    "customer.id_type",
    "customer.id_number",
    "payment_method.card",
    "payment_method.expiry",
    "payment_method.holder",
    "booking.destination",
    "booking.start_date",
    "booking.end_date",
    "stay.room",
    "stay.check_in",
    "stay.check_out",
}


@pytest.mark.parametrize("key", sorted(SENSITIVE))
def test_r_c1_sensitive_fields(key: str) -> None:
    """R-C1: national ID numbers, payment information, accommodation records (where and when
    a guest stayed) and movement tracks (booking destination and dates) are sensitive."""
    assert catalog.BY_KEY[key].klass == FieldClass.SENSITIVE


def test_r_c1_tags_imply_sensitive() -> None:
    """Any field tagged payment, track, identity or child is sensitive, and every field of
    the payment_method entity is tagged payment (so role rules on the tag apply)."""
    for spec in catalog.FIELDS:
        if spec.tags & {"payment", "track", "identity", "child"}:
            assert spec.klass == FieldClass.SENSITIVE, spec.key
        if spec.entity == "payment_method":
            assert "payment" in spec.tags, spec.key
    tracked = {s.key for s in catalog.FIELDS if "track" in s.tags}
    assert tracked >= {k for k in SENSITIVE if k.split(".")[0] in {"booking", "stay"}}


def test_r_c1_basic_and_preference_examples() -> None:
    """R-C1: name and contact are basic; special needs and consumption habits are
    preference/private."""
    for code in ("name", "phone", "email", "address"):
        assert catalog.spec("customer", code).klass == FieldClass.BASIC
    for key in ("customer.preferences", "stay.special_requests", "stay.spend"):
        assert catalog.BY_KEY[key].klass == FieldClass.PREFERENCE


def test_preference_keys_have_labels() -> None:
    codes = [p.code for p in catalog.PREFERENCE_KEYS]
    assert len(codes) == len(set(codes))
    for p in catalog.PREFERENCE_KEYS:
        assert CJK.search(p.label_zh) and p.label_en.isascii()


# -- `baomi catalog` (R-B1 collection checklist) ---------------------------------------------------
def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("catalog", *args, stdout=out)
    return out.getvalue()


def test_catalog_json_lists_every_item_with_full_purpose_coverage() -> None:
    """R-B1: `baomi catalog --json` lists every catalogued field and preference key, each
    with purposes, class, method and retention; purpose_coverage is 1.0 (100 %)."""
    doc = json.loads(_run("--json"))
    assert doc["purpose_coverage"] == 1.0
    items = {i["item"]: i for i in doc["items"]}
    expected = set(catalog.BY_KEY) | {
        f"customer.preferences.{p.code}" for p in catalog.PREFERENCE_KEYS
    }
    assert set(items) == expected
    assert len(doc["items"]) == len(expected)
    for key, spec in catalog.BY_KEY.items():
        item = items[key]
        assert item["purposes"] == [p.value for p in spec.purposes]
        assert item["class"] == spec.klass.value
        assert item["label"] == spec.label_zh  # default language zh-hans
        assert item["blind_indexed"] == spec.indexed
        assert item["method"] and item["retention"]
    for item in doc["items"]:
        assert item["purposes"], item["item"]
        assert set(item["purposes"]) <= set(Purpose.values)
        assert item["class"] in FieldClass.values


def test_catalog_json_in_english() -> None:
    doc = json.loads(_run("--json", "--lang", "en"))
    items = {i["item"]: i for i in doc["items"]}
    assert items["customer.id_number"]["label"] == "ID number"
    assert all(not CJK.search(i["label"]) for i in doc["items"])


def test_coverage_counts_items_without_purpose(monkeypatch: Any) -> None:
    """The coverage figure is computed, not constant: an item without purpose lowers it."""
    import dataclasses

    broken = dataclasses.replace(catalog.FIELDS[0], purposes=())
    monkeypatch.setattr(catalog, "FIELDS", (broken, *catalog.FIELDS[1:]))
    rows = catalog_services.checklist()
    assert catalog_services.coverage() == pytest.approx((len(rows) - 1) / len(rows))


def test_catalog_table_in_chinese() -> None:
    out = _run()
    assert "采集清单" in out
    for header in ("项目", "名称", "分级", "目的", "保存期限"):
        assert header in out
    for label in ("姓名", "证件号码", "手机号码"):
        assert label in out
    assert "purpose coverage: 100%" in out


def test_catalog_table_in_english() -> None:
    out = _run("--lang", "en")
    assert "Collection checklist" in out and "采集清单" not in out
    for header in ("item", "label", "class", "purposes", "retention"):
        assert header in out
    for label in ("Name", "ID number", "Phone", "Recipient address"):
        assert label in out
    assert not CJK.search(out.replace("…", ""))
    assert "purpose coverage: 100%" in out
