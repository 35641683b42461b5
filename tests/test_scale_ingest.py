"""Ingest fast paths (issue #11, decision 0038): each one answers exactly what the slower
machinery it replaces answers. No timings here (docs/performance.md has the numbers)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import connection

from baomi.catalog import validators
from baomi.consent.models import ConsentEvent, ConsentState
from baomi.core.errors import ValidationFailed
from baomi.core.sql import db_converter, db_value
from baomi.customers.models import Customer
from baomi.customers.validation import clean_customer
from baomi.vault.models import BlindIndexEntry, DataKey

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("model", "name"),
    [
        (Customer, "id"),
        (DataKey, "subject_id"),
        (BlindIndexEntry, "subject_id"),
        (ConsentEvent, "customer"),
        (ConsentState, "customer"),
    ],
)
def test_uuid_converter_matches_the_field_machinery(model: Any, name: str) -> None:
    to_db = db_converter(model, name)
    for _ in range(50):
        u = uuid.uuid4()
        for value in (u, str(u), u.hex):
            assert to_db(value) == db_value(model, name, value)
    assert to_db(None) is None and db_value(model, name, None) is None
    native = connection.features.has_native_uuid_field
    assert isinstance(to_db(uuid.uuid4()), uuid.UUID if native else str)


def test_other_fields_go_through_the_field() -> None:
    at = datetime(2026, 12, 7, 6, 30, 1, 123456, tzinfo=UTC)
    assert db_converter(Customer, "created_at")(at) == db_value(Customer, "created_at", at)
    lineage = {"name": {"channel": "import", "at": at.isoformat()}}
    got, want = db_converter(Customer, "lineage")(lineage), db_value(Customer, "lineage", lineage)
    # PostgreSQL: psycopg's Jsonb wrapper (no value equality) around the same object
    assert getattr(got, "obj", got) == getattr(want, "obj", want)


def _ric(body: str) -> str:
    from stdnum.cn import ric

    return body + ric.calc_check_digit(body + "0")


def test_birth_date_is_read_from_the_validated_resident_id() -> None:
    """The cross-field check reads the date from the (validated) number as text: same
    answers as stdnum's `get_birth_date` on matching, mismatching and leap dates."""
    from stdnum.cn import ric

    for born in ("1960-01-01", "1988-02-29", "2000-12-31", "1999-07-04"):
        number = _ric("110105" + born.replace("-", "") + "123")
        assert ric.get_birth_date(number).isoformat() == born
        base = {"name": "张三", "id_type": "cn_resident_id", "id_number": number}
        ok = clean_customer({**base, "birth_date": born}, keys_checked=True)
        assert ok["birth_date"] == born
        with pytest.raises(ValidationFailed) as exc:
            clean_customer({**base, "birth_date": "1970-05-05"}, keys_checked=True)
        assert [i.code for i in exc.value.issues] == ["birth_date_mismatch"]
    # a number given with spaces / lower-case x is compacted first, then read the same way
    number = _ric("310104" + "19850315" + "001")  # 17 digits + check
    spaced = f"{number[:6]} {number[6:14]} {number[14:].lower()}"
    out = clean_customer(
        {
            "name": "李四",
            "id_type": "cn_resident_id",
            "id_number": spaced,
            "birth_date": "1985-03-15",
        },
        keys_checked=True,
    )
    assert out["id_number"] == number


def test_preload_changes_no_answer() -> None:
    before = [validators.phone(p) for p in ("13812345678", "+1 212 555 0123")]
    validators.preload()
    assert [validators.phone(p) for p in ("13812345678", "+1 212 555 0123")] == before
    assert validators.email("A.B@Example.ORG") == "a.b@example.org"


def test_consent_tables_keep_no_prefix_duplicate_indexes(make_customer: Any) -> None:
    """Migration consent 0004: the single-column key indexes are gone (a composite index
    starts with each column), the composite ones and the append-only guard stay."""
    from django.db import DatabaseError, transaction

    with connection.cursor() as cur:
        ev = connection.introspection.get_constraints(cur, "consent_event")
        st = connection.introspection.get_constraints(cur, "consent_state")

    def singles(found: dict[str, Any]) -> set[str]:
        return {
            c["columns"][0]
            for c in found.values()
            if c["index"] and not c["unique"] and not c["primary_key"] and len(c["columns"]) == 1
        }

    assert not singles(ev) & {"customer_id", "notice_id"}
    assert "customer_id" not in singles(st)
    assert ev["consent_ev_cust"]["columns"] == ["customer_id", "purpose", "at"]
    assert ev["consent_ev_notice"]["columns"] == ["notice_id", "customer_id"]
    assert any(c["unique"] and c["columns"] == ["customer_id", "purpose"] for c in st.values())
    from baomi.consent import services

    services.capture_many(None, [(make_customer().id, {"marketing": True})], channel="import")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
        cur.execute("UPDATE consent_event SET given = given")  # still append-only
