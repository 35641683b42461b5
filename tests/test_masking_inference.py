"""A mask must hold against everything else the same view shows (issue #9 §3, DESIGN §4,
R-D2, R-C1; ASVS 5.0 V8.2.3, V14.2.6).

Found on the demo: the front desk saw `310104********6441` beside the plain birth date
`1955-05-08`; the hidden digits were exactly the birth date, so all 179 demo IDs could be
rebuilt. These tests attack every view of the real policy (every role × purpose it allows)
the way that finding did: an attacker who knows how a mainland ID is built (region code,
birth date, sequence with the gender digit, check digit), every region code that ever
existed (python-stdnum's data) and what the view's address says, counts the IDs consistent
with everything the view shows. One candidate = the mask is undone.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import stdnum
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stdnum.cn import ric

from baomi.access.enums import Role
from baomi.access.policy import may_use
from baomi.catalog import inference
from baomi.catalog.enums import Purpose, Treatment

pytestmark = pytest.mark.django_db

WEIGHTS = [pow(2, 17 - i, 11) for i in range(17)]
CHECK = "10X98765432"  # check character for (sum of weighted digits) mod 11


# -- the attacker ---------------------------------------------------------------------------
@cache
def regions() -> dict[str, str]:
    """Every region code that ever existed → 'province county' (python-stdnum's table)."""
    out: dict[str, str] = {}
    province = ""
    path = Path(stdnum.__file__).parent / "cn" / "loc.dat"
    prefix = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        m = re.match(r'^(\d{2}) province="([^"]*)"', line)
        if m:
            prefix, province = m.group(1), m.group(2)
            continue
        m = re.match(r'^\s+(\d{4}) county="(?:\[[^\]]*\])?([^"]*)"', line)
        if m and prefix:
            out[prefix + m.group(1)] = f"{province} {m.group(2)}"
    return out


def regions_for(address: str | None) -> list[str]:
    """The region codes an attacker keeps after reading the view's address: those whose
    county (or, failing that, province) name appears in it; all of them otherwise."""
    codes = regions()
    if not address:
        return list(codes)
    text = address.replace("*", "")
    county = [c for c, n in codes.items() if len(n.split(" ")[1]) >= 2 and n.split(" ")[1] in text]
    county = [c for c in county if codes[c].split(" ")[0][:2] in text] or county
    if county:
        return county
    prov = [c for c, n in codes.items() if n.split(" ")[0][:2] and n.split(" ")[0][:2] in text]
    return prov or list(codes)


def _dates(birth: str | None) -> list[str]:
    """YYYYMMDD strings consistent with the view's birth date (plain, year only, absent)."""
    today = dt.date.today()
    if birth and re.fullmatch(r"\d{4}-\d{2}-\d{2}", birth):
        return [birth.replace("-", "")]
    years = range(1900, today.year + 1)
    if birth and re.fullmatch(r"\d{4}-\*\*-\*\*", birth):
        years = range(int(birth[:4]), int(birth[:4]) + 1)
    out = []
    for y in years:
        d = dt.date(y, 1, 1)
        while d.year == y and d <= today:
            out.append(d.strftime("%Y%m%d"))
            d += dt.timedelta(days=1)
    return out


def candidates(view: dict[str, Any]) -> int:
    """How many 18-character IDs agree with everything one view shows: the masked ID's
    visible characters, the birth date, the gender, the address, the check digit."""
    shown = view.get("id_number")
    if shown is None:
        return 10**9  # withheld: nothing to undo
    if "*" not in shown:
        return 1  # plain
    visible = shown.replace("*", "")
    # right-aligned visible tail (fixed-width masks show the end of the number)
    tail = shown[len(shown) - len(shown.lstrip("*")) :]
    known = {18 - len(tail) + i: ch for i, ch in enumerate(tail) if ch != "*"}
    if shown.startswith(tuple("0123456789")):  # a mask that shows the start (old style)
        head = shown[: len(shown) - len(shown.lstrip("0123456789X"))]
        known.update(dict(enumerate(head)))
    del visible

    def ok(pos: int, ch: str) -> bool:
        return pos not in known or known[pos] == ch

    region_mod = [0] * 11
    for code in regions_for(view.get("address")):
        if all(ok(i, code[i]) for i in range(6)):
            region_mod[sum(int(code[i]) * WEIGHTS[i] for i in range(6)) % 11] += 1
    date_mod = [0] * 11
    for d in _dates(view.get("birth_date")):
        if all(ok(6 + i, d[i]) for i in range(8)):
            date_mod[sum(int(d[i]) * WEIGHTS[6 + i] for i in range(8)) % 11] += 1
    gender = view.get("gender")
    seq_mod = [0] * 11
    for s in range(1000):
        digits = f"{s:03d}"
        if not all(ok(14 + i, digits[i]) for i in range(3)):
            continue
        if gender in ("male", "female") and (int(digits[2]) % 2 == 1) != (gender == "male"):
            continue
        seq_mod[sum(int(digits[i]) * WEIGHTS[14 + i] for i in range(3)) % 11] += 1
    total = 0
    for a in range(11):
        for b in range(11):
            for c in range(11):
                if region_mod[a] and date_mod[b] and seq_mod[c]:
                    check = CHECK[(a + b + c) % 11]
                    if ok(17, check):
                        total += region_mod[a] * date_mod[b] * seq_mod[c]
    return total


def test_attacker_rebuilds_the_old_mask() -> None:
    """Positive control: the attacker undoes the finding's view (old mask + plain birth
    date) — exactly one candidate — and cannot undo the same ID behind the new mask."""
    truth = "310104195505086441"
    assert ric.is_valid(truth)
    old = {
        "id_number": "310104********6441",
        "birth_date": "1955-05-08",
        "gender": "female",
        "address": "上海市徐汇区漕溪北路 1 号",
    }
    assert candidates(old) == 1
    new = {**old, "id_number": "****6441", "birth_date": "1955-**-**"}
    assert candidates(new) >= 20
    # the new mask beside the plain birth date would still be undone through the address
    assert candidates({**old, "id_number": "****6441"}) <= 2


# -- the property, through the gate, over the real policy ---------------------------------
VIEWS = [(r, p) for r in Role for p in Purpose if may_use(r.value, p)]
DESTINATIONS = ["三亚", "昆明", "大理", "丽江", "大阪", "Paris", "西双版纳"]


@st.composite
def resident(draw: Any) -> dict[str, Any]:
    today = dt.date.today()
    born = draw(st.dates(dt.date(1900, 1, 1), today - dt.timedelta(days=60)))
    male = draw(st.booleans())
    valid = [c for c in sorted(regions()) if c[2:] != "0000" and c[4:] != "00"]
    for _ in range(50):
        region = draw(st.sampled_from(valid))
        seq = draw(st.integers(0, 49)) * 2 + (1 if male else 0)
        body = f"{region}{born:%Y%m%d}{seq:03d}"
        number = body + ric.calc_check_digit(body + "0")
        if ric.is_valid(number):
            break
    else:  # pragma: no cover - hypothesis rejects the draw
        from hypothesis import reject

        reject()
    province, county = regions()[region].split(" ")
    destination = draw(st.sampled_from(DESTINATIONS))
    product = destination + draw(st.sampled_from(["自由行", "五日游", " 7 days", "亲子游"]))
    return {
        "profile": {
            "name": "测试客",
            "phone": "138" + f"{draw(st.integers(0, 10**8 - 1)):08d}",
            "email": f"guest{draw(st.integers(0, 10**6))}@example.cn",
            "id_type": "cn_resident_id",
            "id_number": number,
            "gender": "male" if male else "female",
            "birth_date": born.isoformat(),
            "nationality": "CN",
            "address": f"{province}{county}人民路 {draw(st.integers(1, 999))} 号",
        },
        "booking": {
            "product": product,
            "destination": destination,
            "start_date": "2026-10-01",
            "end_date": "2026-10-06",
            "travellers": "2",
            "amount": "5999.00",
        },
    }


def _shown(view: Any) -> list[tuple[str, str, str]]:
    """(entity, field, shown text) of every value one view shows."""
    out = [
        ("customer", k, json.dumps(v, ensure_ascii=False) if not isinstance(v, str) else v)
        for k, v in view.fields.items()
        if v is not None
    ]
    for entity, records in view.records.items():
        for r in records:
            out += [(entity, k, str(v)) for k, v in r.fields.items() if v is not None]
    return out


@pytest.fixture
def staff_by_role(make_staff: Any) -> dict[str, Any]:
    return {r.value: make_staff(r) for r in {r for r, _ in VIEWS}}


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=resident())
def test_no_view_undoes_a_mask(case: dict[str, Any], staff_by_role: dict[str, Any]) -> None:
    """For every role × purpose the policy allows, read a customer through the gate and
    attack the view: the masked ID keeps ≥ 2 candidates, and a hidden destination (or any
    other masked or withheld value) appears in no other field the view shows."""
    from baomi.consent import services as consent
    from baomi.customers import gate, services

    truth = case["profile"]
    with transaction.atomic():
        desk = staff_by_role["front_desk"]
        c = services.create_customer(desk, "reception", truth, channel="store")
        consent.give(None, c.id, "marketing", channel="store", method="signature")
        services.add_record(desk, "reception", c.id, "booking", case["booking"])
        plain_record = {**truth, **case["booking"]}
        for role, purpose in VIEWS:
            view = gate.access_customer(staff_by_role[role.value], purpose, c.id)
            shown = _shown(view)
            if view.treatment("id_number") is Treatment.MASKED:
                n = candidates(view.fields)
                assert n >= 2, (role, purpose, view.fields, n)
            hidden = {
                ("customer", k): truth[k]
                for k in truth
                if view.treatment(k) is not Treatment.PLAIN and len(str(truth[k])) >= 2
            }
            for rec in view.records.get("booking", []):
                for k in rec.masked + rec.withheld:
                    if len(str(plain_record[k])) >= 2:
                        hidden[("booking", k)] = plain_record[k]
            for (entity, field), secret in hidden.items():
                for e, f, text in shown:
                    if (e, f) != (entity, field):
                        assert str(secret) not in text, (role, purpose, field, f)
        transaction.set_rollback(True)


# -- the rule itself -------------------------------------------------------------------------
def test_settle_tightens_only_and_explains() -> None:
    """The joint rule never loosens a treatment and says which coupling tightened what."""
    P, M, W = Treatment.PLAIN, Treatment.MASKED, Treatment.WITHHELD
    base = {
        "customer.id_number": M,
        "customer.birth_date": P,
        "customer.gender": W,
        "customer.email": P,
        "customer.phone": M,
        "booking.product": P,
        "booking.destination": W,
    }
    v = inference.settle(base)
    assert v.treatments["customer.birth_date"] is M  # beside a masked ID
    assert v.refinements["customer.id_number"]  # the gender digit goes too
    assert v.treatments["customer.email"] is M  # may carry the masked phone
    assert v.treatments["booking.product"] is W  # carries the withheld destination
    order = [P, M, W]
    for k, t in base.items():
        assert order.index(v.treatments[k]) >= order.index(t)
    assert inference.settle({k: P for k in base}).treatments == {k: P for k in base}


# -- through the surfaces where it was found --------------------------------------------------
def test_front_desk_api_cannot_rebuild_the_id(api_client: Any, make_customer: Any) -> None:
    """The finding, replayed on the API: front desk × reception now gets `****` + last 4
    and the birth year; the attacker is left with many candidates, not one."""
    c = make_customer(
        id_type="cn_resident_id",
        id_number="310104195505086441",
        birth_date="1955-05-08",
        gender="female",
        address="上海市徐汇区漕溪北路 1 号",
    )
    client, h = api_client("front_desk", "reception")
    body = client.get(f"/api/v1/customers/{c.id}", headers=h).json()
    assert body["id_number"] == "****6441"
    assert body["birth_date"] == "1955-**-**"
    assert {"id_number", "birth_date"} <= set(body["masked"])
    assert "0508" not in json.dumps(body) and "310104" not in json.dumps(body)
    assert candidates(body) >= 20
    # finance × billing sees no gender: the ID's gender digit is hidden as well
    client, h = api_client("finance", "billing")
    body = client.get(f"/api/v1/customers/{c.id}", headers=h).json()
    assert body["id_number"] == "****64*1"
    assert "gender" not in body


def test_front_desk_console_cannot_rebuild_the_id(desk: Any, make_customer: Any) -> None:
    """The same view in the console: neither the full birth date nor the ID's hidden digits
    appear anywhere on the customer page."""
    client, _ = desk
    c = make_customer(
        id_type="cn_resident_id",
        id_number="310104195505086441",
        birth_date="1955-05-08",
        gender="female",
    )
    page = client.get(f"/customers/{c.id}/").content.decode()
    assert "****6441" in page
    for leak in ("1955-05-08", "19550508", "310104", "05-08"):
        assert leak not in page


def test_catalog_prints_the_masking_table() -> None:
    """`baomi catalog` lists each field's mask and the joint-disclosure rules (R-B1)."""
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command("catalog", "--json", "--lang", "en", stdout=out)
    doc = json.loads(out.getvalue())
    rows = {r["item"]: r for r in doc["items"]}
    assert rows["customer.id_number"]["mask"] == "last 4 characters only (fixed width)"
    pairs = {(r["field"], r["carries"]) for r in doc["joint_disclosure"]}
    assert ("customer.id_number", "customer.birth_date") in pairs
    assert ("booking.product", "booking.destination") in pairs
    out = io.StringIO()
    call_command("catalog", stdout=out)
    text = out.getvalue()
    assert "脱敏" in text and "仅后4位" in text and "联合披露" in text
