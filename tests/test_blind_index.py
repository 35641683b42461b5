"""Blind indexes (DESIGN.md §4; R-C2 search without plaintext; R-A4 find the one profile).

Planner guarantee, as implemented in `baomi.vault.blind.plan_bits` and tested exactly here:
  * for every planned N ≥ 16:  2 ≤ N / 2^bits < √N   (CipherSweet's rule)
  * for N ≥ 32 additionally:   4 ≤ N / 2^bits < 8     (b = floor(log2(N / 4)))
Gaps, documented and pinned by tests below:
  * N < 16 is planned as 16 (3 bits), so the *actual* bucket size for a tiny N is N / 8 < 2:
    the "≥ 2 per bucket" rule only holds from 16 planned customers on.
  * Until 2026-11 the planner used floor(log2(N / 4)) for every N, which gave N / 4 ≥ √N for
    16 ≤ N < 32 (e.g. N = 20: 5 per bucket ≥ √20 ≈ 4.47); it now adds one bit there.
  * The plan is fixed when first used (BlindIndexPlan). If the real population outgrows the
    planned N by a lot, buckets grow past √N (more decrypts per lookup) until a re-plan,
    which needs a re-index job that does not exist yet.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import os
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from hypothesis import example, given
from hypothesis import strategies as st

from baomi.catalog import validators
from baomi.customers import gate, services
from baomi.vault import keys
from baomi.vault import services as vault
from baomi.vault.blind import MAX_BITS, FieldIndexer, derive_field_key, plan_bits
from baomi.vault.models import BlindIndexEntry, BlindIndexPlan

SEARCH_FIELDS = ("phone", "email", "id_number", "name")


# -- the planner ---------------------------------------------------------------------------------
@given(st.integers(min_value=16, max_value=2**63 - 1))
@example(16)
@example(17)
@example(31)
@example(32)
@example(63)
@example(64)
@example(2**53 + 1)
@example(2**63 - 1)
def test_plan_bits_bucket_size_is_at_least_2_and_below_sqrt_n(n: int) -> None:
    """DESIGN §4 / CipherSweet: for N ≥ 16 planned customers the expected bucket size
    N / 2^b satisfies 2 ≤ N / 2^b < √N (checked in exact integers: 2^(b+1) ≤ N < 4^b)."""
    b = plan_bits(n)
    assert 2 <= b <= MAX_BITS
    assert 2 ** (b + 1) <= n, (n, b)  # N / 2^b ≥ 2: a bucket never pins one person
    assert n < 4**b, (n, b)  # N / 2^b < √N: a lookup decrypts few candidates


@given(st.integers(min_value=32, max_value=2**63 - 1))
@example(32)
@example(2**62)
@example(2**63 - 1)
def test_plan_bits_targets_four_to_eight_per_bucket_from_32_on(n: int) -> None:
    """The documented target: 4–8 per bucket (b = floor(log2(N / 4))) once N ≥ 32."""
    b = plan_bits(n)
    assert 2 ** (b + 2) <= n < 2 ** (b + 3), (n, b)


@given(st.integers(min_value=0, max_value=2**40), st.integers(min_value=0, max_value=2**40))
def test_plan_bits_is_monotonic(a: int, b: int) -> None:
    """More expected customers never means fewer bits."""
    lo, hi = sorted((a, b))
    assert plan_bits(lo) <= plan_bits(hi)


@pytest.mark.parametrize("n", [0, 1, 4, 15])
def test_plan_for_fewer_than_16_is_the_plan_for_16(n: int) -> None:
    """Gap (documented): below 16 the planner plans for 16, so the real bucket holds fewer
    than 2 customers on average — the ≥ 2 rule starts at N = 16."""
    assert plan_bits(n) == plan_bits(16) == 3
    assert n / 2 ** plan_bits(n) < 2


def test_plan_bits_examples() -> None:
    """Concrete values the settings rely on (test settings plan 1 000, production 10^6)."""
    assert [plan_bits(n) for n in (16, 20, 32, 64, 1000, 10**6, 10**9)] == [
        3,
        3,
        3,
        4,
        7,
        17,
        27,
    ]
    for n in (1000, 10**6):
        assert 4 <= n / 2 ** plan_bits(n) < 8 < math.sqrt(n)


# -- keys: per field, from the index root, not from the KEK ---------------------------------------
def test_field_keys_are_hkdf_of_the_index_root_per_field(_keys: Any) -> None:
    """DESIGN §4: per-field keys = HKDF-SHA256(index root, info='baomi/blind-index/v1/<f>');
    the bucket is the top `bits` bits of HMAC-SHA256(field key, normalised value)."""
    root = keys.get_keyring().index_root()
    for field, value in [("phone", "+8613812345678"), ("name", "张三"), ("email", "a@b.cn")]:
        expected_key = HKDF(
            algorithm=hashes.SHA256(),
            length=32,
            salt=None,
            info=f"baomi/blind-index/v1/{field}".encode(),
        ).derive(root)
        assert derive_field_key(root, field) == expected_key
        ix = FieldIndexer(field, expected_key, 20)
        mac = hmac.new(expected_key, value.encode(), hashlib.sha256).digest()
        assert ix.bucket(value) == int.from_bytes(mac[:8], "big") >> (64 - 20)
        assert 0 <= ix.bucket(value) < 2**20


@pytest.mark.django_db
def test_indexer_uses_the_index_root_with_the_planned_bits(_keys: Any) -> None:
    """The vault's indexer is exactly that construction with the persisted plan's bits."""
    root = keys.get_keyring().index_root()
    ix = vault.indexer("phone")
    plan = BlindIndexPlan.objects.get(field="phone")
    assert ix.bits == plan.bits == plan_bits(plan.planned_for)
    reference = FieldIndexer("phone", derive_field_key(root, "phone"), plan.bits)
    for v in ("+8613812345678", "+12125550100", "+442079460123"):
        assert ix.bucket(v) == reference.bucket(v)


def test_per_field_keys_differ() -> None:
    """The same value in two fields lands in unrelated buckets: one field's index tells
    nothing about another's (a phone bucket cannot be joined to a name bucket)."""
    root = os.urandom(32)
    fields = ["phone", "email", "id_number", "name"]
    derived = {f: derive_field_key(root, f) for f in fields}
    assert len(set(derived.values())) == len(fields)
    values = [f"value-{i}" for i in range(300)]
    wide = {f: FieldIndexer(f, derived[f], 62) for f in fields}
    for v in values:
        assert len({wide[f].bucket(v) for f in fields}) == len(fields)
    # with a realistic 7-bit plan, equal buckets across fields happen only by chance (1/128)
    narrow = {f: FieldIndexer(f, derived[f], 7) for f in ("phone", "name")}
    same = sum(narrow["phone"].bucket(v) == narrow["name"].bucket(v) for v in values)
    assert same < 15  # expected ≈ 2.3; 15 or more has probability < 10^-7


def test_index_root_is_separate_from_the_kek(_keys: Any, settings: Any) -> None:
    """DESIGN §3 rule 2: blind-index keys come from a separate root: not a KEK, not
    derived from one, stored in its own file; rotating the KEK leaves buckets unchanged."""
    ring = keys.get_keyring()
    root = ring.index_root()
    import base64
    import json

    doc = json.loads((settings.BAOMI_KEY_DIR / keys.KEYRING_FILE).read_text())
    keks = [base64.b64decode(k["key"]) for k in doc["keys"]]
    assert root not in keks
    assert (settings.BAOMI_KEY_DIR / keys.INDEX_ROOT_FILE).exists()
    before = FieldIndexer("phone", derive_field_key(root, "phone"), 62).bucket("+8613800000000")
    ring.rotate()
    keys.reset_cache()
    root_after = keys.get_keyring().index_root()
    assert root_after == root
    after = FieldIndexer("phone", derive_field_key(root_after, "phone"), 62).bucket(
        "+8613800000000"
    )
    assert after == before
    for kek in keks:  # a KEK used as the root would give other buckets
        assert (
            FieldIndexer("phone", derive_field_key(kek, "phone"), 62).bucket("+8613800000000")
            != before
        )


# -- the plan is persisted and reused --------------------------------------------------------------
@pytest.mark.django_db
def test_plan_is_persisted_and_reused_when_settings_change(
    settings: Any, make_customer: Any, make_staff: Any
) -> None:
    """A field's truncation is fixed at first use (BlindIndexPlan); changing
    BAOMI_EXPECTED_CUSTOMERS later must not change it, or existing rows would be lost."""
    settings.BAOMI_EXPECTED_CUSTOMERS = 1000
    c = make_customer(phone="13700001111")
    plans = {p.field: p for p in BlindIndexPlan.objects.all()}
    assert set(plans) == set(SEARCH_FIELDS)
    for p in plans.values():
        assert (p.bits, p.planned_for) == (plan_bits(1000), 1000)
    stored = set(BlindIndexEntry.objects.filter(subject_id=c.id).values_list("field", "bucket"))

    settings.BAOMI_EXPECTED_CUSTOMERS = 10**9
    vault.clear_caches()  # as a new process would
    assert vault.indexer("phone").bits == plan_bits(1000)
    make_customer()
    assert BlindIndexPlan.objects.count() == 4
    assert all(p.bits == plan_bits(1000) for p in BlindIndexPlan.objects.all())
    cs = make_staff("customer_service")
    page = services.search_customers(cs, "customer_service", {"phone": "137 0000 1111"})
    assert [v.id for v in page.results] == [str(c.id)]
    again = set(BlindIndexEntry.objects.filter(subject_id=c.id).values_list("field", "bucket"))
    assert again == stored


# -- exact search despite shared buckets ----------------------------------------------------------
@pytest.fixture
def crowded(settings: Any, make_customer: Any, make_staff: Any) -> dict[str, Any]:
    """~30 customers under a 16-customer plan: 8 buckets per field, so buckets are shared."""
    settings.BAOMI_EXPECTED_CUSTOMERS = 16
    officer = make_staff("privacy_officer")
    made = [make_customer() for _ in range(26)]
    # three namesakes (different phones), one Latin name written differently later
    made += [make_customer(name="王芳", phone=f"1590000{i:04d}") for i in range(3)]
    made.append(make_customer(name="Anna Maria Schmidt", phone="+49 30 90182099"))
    views = gate.access_customers(officer, "rights_request", [c.id for c in made])
    return {"officer": officer, "plain": {v.id: v.fields for v in views}}


def _ids(page: services.SearchPage) -> list[str]:
    return [v.id for v in page.results]


@pytest.mark.django_db
def test_buckets_really_are_shared(crowded: dict[str, Any]) -> None:
    """Precondition of the next tests: with 3 bits and 30 customers every field has
    buckets holding several customers (so exact matching is what separates them)."""
    assert vault.indexer("phone").bits == 3
    for field in SEARCH_FIELDS:
        buckets = list(BlindIndexEntry.objects.filter(field=field).values_list("bucket", flat=True))
        assert len(buckets) == 30
        assert len(set(buckets)) <= 8
        assert max(buckets.count(b) for b in set(buckets)) >= 4  # pigeonhole: 30 / 8


@pytest.mark.django_db
@pytest.mark.parametrize("field", SEARCH_FIELDS)
def test_search_finds_exactly_the_right_customers(crowded: dict[str, Any], field: str) -> None:
    """R-A4 / INTERFACES: GET /customers?phone=|email=|id_number=|name= is an exact match:
    for every customer, searching by the field returns exactly the customers holding that
    value (namesakes for names), although ~4 customers share each bucket."""
    officer, plain = crowded["officer"], crowded["plain"]
    for cid, fields in plain.items():
        value = fields[field]
        if field == "name":
            key = validators.name_key(value)
            expected = sorted(i for i, f in plain.items() if validators.name_key(f["name"]) == key)
        else:
            expected = sorted(i for i, f in plain.items() if f[field] == value)
        assert cid in expected
        candidates = vault.candidates(field, services.index_values({field: value})[field])
        assert len(candidates) >= len(expected)
        page = services.search_customers(officer, "rights_request", {field: value})
        assert sorted(_ids(page)) == expected, (field, cid)
        assert page.total == len(expected)


@pytest.mark.django_db
def test_search_accepts_every_input_form(crowded: dict[str, Any]) -> None:
    """Inputs are normalised like stored values: national / E.164 / spaced phones,
    upper-case e-mails, lower-case 'x' in IDs, names in another case or spacing."""
    officer, plain = crowded["officer"], crowded["plain"]
    cn = sorted(
        (i, f) for i, f in plain.items() if f["phone"].startswith("+86") and len(f["phone"]) == 14
    )
    cid, f = next(((i, g) for i, g in cn if g["id_number"].endswith("X")), cn[0])
    national = f["phone"][3:]
    forms = {
        "phone": [
            national,
            f"{national[:3]} {national[3:7]} {national[7:]}",
            f["phone"],
            f"+86-{national}",
        ],
        "email": [f["email"].upper(), f"  {f['email']}  "],
        "id_number": [f["id_number"].lower(), f" {f['id_number']} "],
    }
    for field, inputs in forms.items():
        for raw in inputs:
            assert cid in _ids(services.search_customers(officer, "rights_request", {field: raw}))
    latin = next(i for i, g in plain.items() if g["name"] == "Anna Maria Schmidt")
    for raw in ("anna maria schmidt", "ANNA  MARIA  SCHMIDT", "Anna Maria  Schmidt"):
        assert _ids(services.search_customers(officer, "rights_request", {"name": raw})) == [latin]


@pytest.mark.django_db
def test_namesakes_and_combined_criteria(crowded: dict[str, Any]) -> None:
    """Three namesakes: name alone finds all three; name + phone finds exactly one."""
    officer, plain = crowded["officer"], crowded["plain"]
    wang = sorted(i for i, f in plain.items() if f["name"] == "王芳")
    assert len(wang) == 3
    page = services.search_customers(officer, "rights_request", {"name": "王芳"})
    assert sorted(_ids(page)) == wang and page.total == 3
    for cid in wang:
        both = {"name": "王芳", "phone": plain[cid]["phone"]}
        assert _ids(services.search_customers(officer, "rights_request", both)) == [cid]
    other = next(i for i in plain if i not in wang)
    mixed = {"name": "王芳", "phone": plain[other]["phone"]}
    assert services.search_customers(officer, "rights_request", mixed).total == 0


@pytest.mark.django_db
def test_absent_value_in_an_occupied_bucket_finds_nothing(crowded: dict[str, Any]) -> None:
    """A value nobody has, whose bucket holds other customers, returns no one (the
    candidates are decrypted and compared, never returned on bucket equality)."""
    officer = crowded["officer"]
    taken = {f["phone"] for f in crowded["plain"].values()}
    for i in range(100):
        probe = f"+86136{i:08d}"
        if probe not in taken and vault.candidates("phone", probe):
            break
    else:  # pragma: no cover - 8 buckets, 30 rows: never happens
        pytest.fail("no occupied bucket found")
    page = services.search_customers(officer, "rights_request", {"phone": probe})
    assert page.total == 0 and page.results == []


@pytest.mark.django_db
def test_index_follows_updates(crowded: dict[str, Any], make_staff: Any) -> None:
    """After a phone change the old phone finds nothing and the new one finds the customer."""
    officer, plain = crowded["officer"], crowded["plain"]
    cid, f = next(iter(plain.items()))
    desk = make_staff("front_desk")
    services.update_customer(desk, "reception", cid, {"phone": "13600009999"})
    assert services.search_customers(officer, "rights_request", {"phone": f["phone"]}).total == 0
    found = services.search_customers(officer, "rights_request", {"phone": "13600009999"})
    assert _ids(found) == [cid]


@pytest.mark.django_db
def test_pagination(settings: Any, make_customer: Any, make_staff: Any) -> None:
    """Pages are disjoint, ordered, complete; total counts all matches; a page past the
    end is empty; page < 1 is page 1."""
    settings.BAOMI_EXPECTED_CUSTOMERS = 16
    ids = sorted(str(make_customer(name="李娜", phone=f"1580000{i:04d}").id) for i in range(12))
    make_customer(name="李四")
    cs = make_staff("customer_service")
    pages = [
        services.search_customers(cs, "customer_service", {"name": "李娜"}, page=n, page_size=5)
        for n in (1, 2, 3, 4)
    ]
    assert [len(p.results) for p in pages] == [5, 5, 2, 0]
    assert all(p.total == 12 and p.page_size == 5 for p in pages)
    assert [p.page for p in pages] == [1, 2, 3, 4]
    seen = [i for p in pages for i in _ids(p)]
    assert seen == ids  # disjoint, in a stable order, nothing missing
    first = services.search_customers(cs, "customer_service", {"name": "李娜"}, page=0, page_size=5)
    assert first.page == 1 and _ids(first) == ids[:5]
    settings.BAOMI_PAGE_SIZE = 7
    default = services.search_customers(cs, "customer_service", {"name": "李娜"})
    assert default.page_size == 7 and _ids(default) == ids[:7]
