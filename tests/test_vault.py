"""The vault (R-C2, R-C5, R-F1; DESIGN.md §4): ciphertexts bound to their place, tamper
detection, key-file hygiene, KEK rotation / rewrap / retirement, crypto-shredding.

Data is built through the services; raw rows are only read (to get ciphertext) or
tampered with (to prove detection), never written around the vault.
"""

from __future__ import annotations

import io
import json
import os
import uuid
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError, SystemCheckError

from baomi.audit.models import Action, AuditEvent
from baomi.core.errors import Gone, IntegrityFailure
from baomi.customers import gate, services
from baomi.customers.models import Booking, Customer, Stay
from baomi.vault import keys
from baomi.vault import services as vault
from baomi.vault.crypto import NONCE_LEN, SubjectKey, dek_aad
from baomi.vault.models import BlindIndexEntry, DataKey, ShredJournal

pytestmark = pytest.mark.django_db

OFFICER_PURPOSE = "rights_request"  # privacy officer: every field plain, so every field opened


# -- helpers ---------------------------------------------------------------------------------
@pytest.fixture
def officer(make_staff: Any) -> Any:
    return make_staff("privacy_officer")


@pytest.fixture
def desk(make_staff: Any) -> Any:
    return make_staff("front_desk")


def fresh_process() -> None:
    """What a new process sees: keyring reloaded from disk, no cached data keys."""
    keys.reset_cache()
    vault.clear_caches()


def raw(model: Any, pk: Any, column: str) -> bytes:
    value = model.objects.values_list(column, flat=True).get(pk=pk)
    return bytes(value)


def tamper(model: Any, pk: Any, **columns: Any) -> None:
    assert model.objects.filter(pk=pk).update(**columns) == 1


def flip(data: bytes, offset: int, mask: int) -> bytes:
    b = bytearray(data)
    b[offset] ^= mask
    return bytes(b)


def read(officer: Any, customer_id: Any) -> gate.CustomerView:
    return gate.access_customer(officer, OFFICER_PURPOSE, customer_id)


def ok_reads_of(customer_id: Any) -> int:
    return AuditEvent.objects.filter(
        action=Action.CUSTOMER_READ, object_id=str(customer_id), outcome="ok"
    ).count()


# rotate and retire are break-glass operations on the CLI (issue #9 §2)
EMERGENCY = ("--reason-category", "key_compromise", "--reason", "yearly rotation, ticket 42")


def keys_json(*args: str) -> dict[str, Any]:
    out = io.StringIO()
    extra = EMERGENCY if args and args[0] in ("rotate", "retire") else ()
    call_command("keys", *args, *extra, stdout=out)
    return json.loads(out.getvalue())


# -- R-C2: a ciphertext is bound to its table, field, customer and row -------------------------
@pytest.mark.parametrize("field", ["name", "phone", "email", "id_number", "address", "gender"])
def test_field_moved_to_another_customer_is_refused(
    make_customer: Any, officer: Any, field: str
) -> None:
    """R-C2: customer A's ciphertext pasted into customer B's row fails authentication when B
    is read through the gate: IntegrityFailure, no view, no partial data, no 'ok' read."""
    a, b = make_customer(), make_customer()
    tamper(Customer, b.id, **{field: raw(Customer, a.id, field)})
    for cold in (False, True):  # with this process's key cache and as a fresh process
        if cold:
            fresh_process()
        with pytest.raises(IntegrityFailure):
            read(officer, b.id)
    assert ok_reads_of(b.id) == 0
    assert read(officer, a.id).fields[field]  # the source row is untouched and readable


@pytest.mark.parametrize(
    ("src", "dst"),
    [("name", "address"), ("phone", "email"), ("id_number", "id_type"), ("email", "name")],
)
def test_field_moved_to_another_field_of_the_same_row_is_refused(
    make_customer: Any, officer: Any, src: str, dst: str
) -> None:
    """R-C2: the field name is in the associated data, so a value moved within the row is
    refused too."""
    c = make_customer()
    tamper(Customer, c.id, **{dst: raw(Customer, c.id, src)})
    with pytest.raises(IntegrityFailure):
        read(officer, c.id)
    assert ok_reads_of(c.id) == 0


def test_fields_swapped_within_a_row_are_refused(make_customer: Any, officer: Any) -> None:
    """R-C2: swapping two fields (name ↔ phone) is refused, not shown transposed."""
    c = make_customer()
    name, phone = raw(Customer, c.id, "name"), raw(Customer, c.id, "phone")
    tamper(Customer, c.id, name=phone, phone=name)
    with pytest.raises(IntegrityFailure):
        read(officer, c.id)


@pytest.mark.parametrize(
    ("src_field", "dst_field"),
    [("destination", "destination"), ("amount", "amount"), ("product", "destination")],
)
def test_booking_value_moved_to_another_booking_of_the_same_customer_is_refused(
    make_customer: Any, desk: Any, officer: Any, synth: Any, src_field: str, dst_field: str
) -> None:
    """R-C2: record ciphertexts bind the record's row id, so even within one customer (same
    data key) a booking value cannot be replayed into another booking."""
    c = make_customer()
    b1 = services.add_record(desk, "reception", c.id, "booking", synth.booking())
    b2 = services.add_record(desk, "reception", c.id, "booking", synth.booking())
    assert len(read(officer, c.id).records["booking"]) == 2  # readable before
    tamper(Booking, b2.id, **{dst_field: raw(Booking, b1.id, src_field)})
    fresh_process()
    with pytest.raises(IntegrityFailure):
        read(officer, c.id)
    assert ok_reads_of(c.id) == 1  # only the read before the tampering


def test_record_value_moved_across_tables_or_into_the_profile_is_refused(
    make_customer: Any, desk: Any, officer: Any, synth: Any
) -> None:
    """R-C2: the table is bound too: a booking value in a stay row, or a profile value in a
    booking row, is refused."""
    c = make_customer()
    bk = services.add_record(desk, "reception", c.id, "booking", synth.booking())
    st = services.add_record(desk, "reception", c.id, "stay", synth.stay())
    tamper(Stay, st.id, special_requests=raw(Booking, bk.id, "product"))
    with pytest.raises(IntegrityFailure):
        read(officer, c.id)
    tamper(Stay, st.id, special_requests=None)
    read(officer, c.id)  # the stay field removed: readable again
    tamper(Booking, bk.id, travellers=raw(Customer, c.id, "name"))
    with pytest.raises(IntegrityFailure):
        read(officer, c.id)


def test_bulk_read_with_one_tampered_customer_returns_nothing(
    make_customer: Any, officer: Any
) -> None:
    """R-C2 'never partial data': the bulk gate fails as a whole, it does not return the
    untampered customers and silently drop the bad one."""
    a, b, c = make_customer(), make_customer(), make_customer()
    tamper(Customer, b.id, phone=raw(Customer, a.id, "phone"))
    before = AuditEvent.objects.filter(action=Action.CUSTOMER_READ).count()
    with pytest.raises(IntegrityFailure):
        gate.access_customers(officer, OFFICER_PURPOSE, [a.id, b.id, c.id])
    assert AuditEvent.objects.filter(action=Action.CUSTOMER_READ).count() == before


def test_tampered_candidate_fails_the_search_instead_of_matching(
    make_customer: Any, officer: Any
) -> None:
    """R-C2: exact matching opens the candidates; a moved phone ciphertext is refused rather
    than making customer B answer a search for customer A's phone."""
    a = make_customer(phone="13911112222")
    b = make_customer()
    tamper(Customer, b.id, phone=raw(Customer, a.id, "phone"))
    # put b into a's phone bucket, as an attacker with database access could
    bucket = BlindIndexEntry.objects.get(subject_id=a.id, field="phone").bucket
    BlindIndexEntry.objects.filter(subject_id=b.id, field="phone").update(bucket=bucket)
    with pytest.raises(IntegrityFailure):
        services.search_customers(officer, OFFICER_PURPOSE, {"phone": "13911112222"})


def test_api_answers_integrity_failure_without_any_value(
    make_customer: Any, api_client: Any, officer: Any
) -> None:
    """R-C2 + DESIGN §5: the API answers a tampered row with problem+json
    `integrity_failure` and no personal value of either customer."""
    a, b = make_customer(), make_customer()
    personal = ("name", "phone", "email", "id_number", "address", "birth_date")
    values = [read(officer, c.id).fields[f] for c in (a, b) for f in personal]
    tamper(Customer, b.id, name=raw(Customer, a.id, "name"))
    client, headers = api_client("privacy_officer", OFFICER_PURPOSE)
    r = client.get(f"/api/v1/customers/{b.id}", headers=headers)
    assert r.status_code == 500
    assert r["Content-Type"] == "application/problem+json"
    assert r.json()["code"] == "integrity_failure"
    body = r.content.decode()
    for v in values:
        assert v not in body


# -- R-C2: any single flipped bit is refused ---------------------------------------------------
def test_every_single_bit_flip_and_truncation_of_a_sealed_value_is_refused() -> None:
    """R-C2: exhaustively, every bit of a sealed value (format byte, nonce, ciphertext, tag)
    is authenticated; truncation and extension are refused too."""
    key = SubjectKey(str(uuid.uuid4()), 1, os.urandom(32))
    sealed = key.seal("customer", "name", "欧阳娜娜")
    assert key.open("customer", "name", sealed) == "欧阳娜娜"
    for bit in range(len(sealed) * 8):
        with pytest.raises(IntegrityFailure):
            key.open("customer", "name", flip(sealed, bit // 8, 1 << (bit % 8)))
    for n in range(len(sealed)):
        with pytest.raises(IntegrityFailure):
            key.open("customer", "name", sealed[:n])
    with pytest.raises(IntegrityFailure):
        key.open("customer", "name", sealed + b"\x00")


def test_sealed_value_depends_on_every_binding() -> None:
    """R-C2: the same value sealed twice differs (random nonce), and opening under another
    table, field, subject, row or data-key version fails."""
    sid = str(uuid.uuid4())
    raw_key = os.urandom(32)
    key = SubjectKey(sid, 1, raw_key)
    row = uuid.uuid4()
    sealed = key.seal("booking", "destination", "大阪", row)
    assert sealed != key.seal("booking", "destination", "大阪", row)
    assert key.open("booking", "destination", sealed, row) == "大阪"
    wrong = [
        (key, "stay", "destination", row),
        (key, "booking", "product", row),
        (key, "booking", "destination", uuid.uuid4()),
        (key, "booking", "destination", None),
        (SubjectKey(str(uuid.uuid4()), 1, raw_key), "booking", "destination", row),
        (SubjectKey(sid, 2, raw_key), "booking", "destination", row),
        (SubjectKey(sid, 1, os.urandom(32)), "booking", "destination", row),
    ]
    for k, table, field, r in wrong:
        with pytest.raises(IntegrityFailure):
            k.open(table, field, sealed, r)


def _regions(length: int) -> list[tuple[str, int, int]]:
    nonce_end = 1 + NONCE_LEN
    return [
        ("format", 0, 0x01),
        ("nonce-first", 1, 0x80),
        ("nonce-middle", 1 + NONCE_LEN // 2, 0x10),
        ("nonce-last", nonce_end - 1, 0x01),
        ("ciphertext-first", nonce_end, 0x01),
        ("ciphertext-last", length - 17, 0x80),
        ("tag-first", length - 16, 0x01),
        ("tag-middle", length - 8, 0x20),
        ("tag-last", length - 1, 0x80),
    ]


REGIONS = [r[0] for r in _regions(64)]


@pytest.mark.parametrize("region", REGIONS)
def test_flipped_bit_in_a_stored_customer_field_is_refused(
    make_customer: Any, officer: Any, region: str
) -> None:
    """R-C2: one flipped bit in the nonce, ciphertext or tag of a stored field — read
    through the gate — is IntegrityFailure, with a warm and with a cold key cache."""
    c = make_customer()
    blob = raw(Customer, c.id, "phone")
    _, offset, mask = next(r for r in _regions(len(blob)) if r[0] == region)
    tamper(Customer, c.id, phone=flip(blob, offset, mask))
    with pytest.raises(IntegrityFailure):
        read(officer, c.id)
    fresh_process()
    with pytest.raises(IntegrityFailure):
        read(officer, c.id)
    tamper(Customer, c.id, phone=blob)
    assert read(officer, c.id).fields["phone"].startswith("+")  # restored: readable


@pytest.mark.parametrize("region", ["nonce-first", "ciphertext-first", "tag-last"])
def test_flipped_bit_in_a_stored_record_field_is_refused(
    make_customer: Any, desk: Any, officer: Any, synth: Any, region: str
) -> None:
    """R-C2: the same holds for industry records (a stay's room)."""
    c = make_customer()
    st = services.add_record(desk, "reception", c.id, "stay", synth.stay())
    blob = raw(Stay, st.id, "room")
    _, offset, mask = next(r for r in _regions(len(blob)) if r[0] == region)
    tamper(Stay, st.id, room=flip(blob, offset, mask))
    with pytest.raises(IntegrityFailure):
        read(officer, c.id)


def test_emptied_or_garbage_field_is_refused(make_customer: Any, officer: Any) -> None:
    """R-C2: an emptied column or random bytes are refused, not read as 'no value'."""
    c = make_customer()
    for bad in (b"", b"\x01", os.urandom(40), b"\x02" + raw(Customer, c.id, "name")[1:]):
        tamper(Customer, c.id, name=bad)
        with pytest.raises(IntegrityFailure):
            read(officer, c.id)


WRAPPED_REGIONS = [
    ("nonce-first", 0, 0x01),
    ("nonce-last", NONCE_LEN - 1, 0x80),
    ("key-first", NONCE_LEN, 0x01),
    ("key-last", NONCE_LEN + 31, 0x40),
    ("tag-first", NONCE_LEN + 32, 0x01),
    ("tag-last", NONCE_LEN + 47, 0x80),
]


@pytest.mark.parametrize(("region", "offset", "mask"), WRAPPED_REGIONS)
def test_flipped_bit_in_a_wrapped_data_key_is_refused(
    make_customer: Any, officer: Any, region: str, offset: int, mask: int
) -> None:
    """R-C2: vault_data_key.wrapped is authenticated under the KEK: a flipped bit anywhere
    (nonce, wrapped key, tag) makes every read of that customer fail."""
    c = make_customer()
    wrapped = raw(DataKey, c.id, "wrapped")
    assert len(wrapped) == NONCE_LEN + 32 + 16
    tamper(DataKey, c.id, wrapped=flip(wrapped, offset, mask))
    fresh_process()  # a process that has not cached the unwrapped key
    with pytest.raises(IntegrityFailure):
        read(officer, c.id)
    assert ok_reads_of(c.id) == 0


def test_every_single_bit_flip_of_a_wrapped_key_is_refused(_keys: Any) -> None:
    """R-C2: exhaustively, through the KEK provider."""
    ring = keys.get_keyring()
    aad = dek_aad(str(uuid.uuid4()), 1)
    version, wrapped = ring.wrap(os.urandom(32), aad)
    for bit in range(len(wrapped) * 8):
        with pytest.raises(IntegrityFailure):
            ring.unwrap(version, flip(wrapped, bit // 8, 1 << (bit % 8)), aad)
    for n in range(len(wrapped)):
        with pytest.raises(IntegrityFailure):
            ring.unwrap(version, wrapped[:n], aad)


def test_wrapped_key_moved_to_another_customer_or_version_is_refused(
    make_customer: Any, officer: Any
) -> None:
    """R-C2: the wrapped DEK is bound to its customer (a swapped key cannot decrypt the
    other customer's row) and to its KEK version."""
    a, b = make_customer(), make_customer()
    tamper(DataKey, b.id, wrapped=raw(DataKey, a.id, "wrapped"))
    fresh_process()
    with pytest.raises(IntegrityFailure):
        read(officer, b.id)
    read(officer, a.id)
    keys_json("rotate")  # version 2 exists, but a's key is wrapped under version 1
    tamper(DataKey, a.id, kek_version=2)
    fresh_process()
    with pytest.raises(IntegrityFailure):
        read(officer, a.id)
    tamper(DataKey, a.id, kek_version=99)
    fresh_process()
    with pytest.raises(IntegrityFailure) as exc:
        read(officer, a.id)
    assert exc.value.code == "kek_unknown"


# -- key files: never readable by others ------------------------------------------------------
KEY_TARGETS = ["dir", keys.KEYRING_FILE, keys.INDEX_ROOT_FILE]


@pytest.mark.parametrize("target", KEY_TARGETS)
@pytest.mark.parametrize("mode", [0o040, 0o004, 0o020, 0o001])
def test_key_files_readable_by_others_are_refused(
    _keys: Any, settings: Any, target: str, mode: int
) -> None:
    """R-C2 / DESIGN §4: LocalKeyring refuses to load (KeyFilesInsecure) when the key dir or
    any key file has a group/other permission bit; `baomi check` reports baomi.E001 — also
    in a process that loaded the keys before the mode changed."""
    directory = settings.BAOMI_KEY_DIR
    path = directory if target == "dir" else directory / target
    secure = 0o700 if target == "dir" else 0o600
    call_command("check", "--tag", "baomi")  # secure: no error
    os.chmod(path, secure | mode)
    try:
        with pytest.raises(keys.KeyFilesInsecure) as exc:
            keys.LocalKeyring(directory)
        material = json.loads((directory / keys.KEYRING_FILE).read_text())["keys"][0]["key"]
        assert material not in str(exc.value)  # the message names the file, not the key
        with pytest.raises(SystemCheckError, match=r"baomi\.E001"):
            call_command("check")
        keys.reset_cache()
        with pytest.raises(keys.KeyFilesInsecure):
            keys.get_keyring()
    finally:
        os.chmod(path, secure)
    keys.reset_cache()
    assert keys.get_keyring().primary_version() == 1
    call_command("check", "--tag", "baomi")


def test_created_key_files_are_private(settings: Any, tmp_path: Any) -> None:
    """DESIGN §4: keys created by `baomi migrate` are 0700 / 0600 and the index root is a
    different secret from every KEK."""
    ring = keys.LocalKeyring.create(tmp_path / "k")
    assert (tmp_path / "k").stat().st_mode & 0o777 == 0o700
    for name in (keys.KEYRING_FILE, keys.INDEX_ROOT_FILE):
        assert (tmp_path / "k" / name).stat().st_mode & 0o777 == 0o600
    doc = json.loads((tmp_path / "k" / keys.KEYRING_FILE).read_text())
    kek = doc["keys"][0]["key"]
    assert len(ring.index_root()) == 32
    assert ring.index_root() != __import__("base64").b64decode(kek)


# -- KEK rotation, rewrap, retirement ---------------------------------------------------------
def _version(status: dict[str, Any], v: int) -> dict[str, Any]:
    return next(x for x in status["versions"] if x["version"] == v)


def _all_readable(officer: Any, customers: list[Any], expected: dict[Any, str]) -> None:
    views = gate.access_customers(officer, OFFICER_PURPOSE, [c.id for c in customers])
    assert len(views) == len(customers)
    for view in views:
        assert view.fields["phone"] == expected[uuid.UUID(view.id)]


def test_rotate_makes_a_new_primary_and_old_keys_still_decrypt(
    make_customer: Any, officer: Any
) -> None:
    """R-C2 rotation: `keys rotate` makes a new primary KEK; new customers are wrapped under
    it, existing ones stay on the old version and still decrypt (in a fresh process)."""
    old = [make_customer() for _ in range(3)]
    phones = {c.id: read(officer, c.id).fields["phone"] for c in old}
    status = keys_json("status")
    assert status["primary"] == 1 and _version(status, 1)["wrapped_keys"] == 3
    assert keys_json("rotate") == {"primary": 2}
    assert AuditEvent.objects.filter(action=Action.KEY_ROTATED, object_id="2").exists()
    new = make_customer()
    phones[new.id] = read(officer, new.id).fields["phone"]
    assert DataKey.objects.get(subject_id=new.id).kek_version == 2
    assert set(
        DataKey.objects.filter(subject_id__in=[c.id for c in old]).values_list(
            "kek_version", flat=True
        )
    ) == {1}
    fresh_process()
    assert keys.get_keyring().primary_version() == 2  # persisted in the keyring file
    _all_readable(officer, [*old, new], phones)
    status = keys_json("status")
    assert status["primary"] == 2
    assert _version(status, 1)["state"] == "active" and _version(status, 1)["wrapped_keys"] == 3
    assert _version(status, 2)["state"] == "primary" and _version(status, 2)["wrapped_keys"] == 1
    assert status["stale_keys"] == 3


def test_rewrap_is_resumable_after_a_kill(
    make_customer: Any, officer: Any, monkeypatch: Any
) -> None:
    """R-C2 rotation: `keys rewrap` commits batch by batch; killed after the first batch it
    loses nothing (every customer readable, half on each version), and a re-run finishes
    with every key on the primary. Field ciphertexts are not touched (the DEKs stay)."""
    customers = [make_customer() for _ in range(12)]
    phones = {c.id: read(officer, c.id).fields["phone"] for c in customers}
    names_before = {c.id: raw(Customer, c.id, "name") for c in customers}
    wrapped_before = {c.id: raw(DataKey, c.id, "wrapped") for c in customers}
    keys_json("rotate")

    ring = keys.get_keyring()
    real_wrap = ring.wrap
    calls = {"n": 0}

    def dying_wrap(plaintext: bytes, aad: bytes) -> tuple[int, bytes]:
        calls["n"] += 1
        if calls["n"] > 5:  # the first batch of 5 went through; die inside the second
            raise KeyboardInterrupt("killed")
        return real_wrap(plaintext, aad)

    monkeypatch.setattr(ring, "wrap", dying_wrap)
    with pytest.raises(KeyboardInterrupt):
        call_command("keys", "rewrap", "--batch", "5", stdout=io.StringIO())
    monkeypatch.undo()

    versions = list(DataKey.objects.values_list("kek_version", flat=True))
    assert sorted(versions) == [1] * 7 + [2] * 5  # batch 1 committed, batch 2 rolled back
    fresh_process()  # the restarted process
    _all_readable(officer, customers, phones)
    status = keys_json("status")
    assert status["stale_keys"] == 7 and _version(status, 2)["wrapped_keys"] == 5

    out = keys_json("rewrap", "--batch", "5")  # staff TOTP seeds are re-sealed too
    assert (out["rewrapped"], out["primary"]) == (7, 2)
    assert set(DataKey.objects.values_list("kek_version", flat=True)) == {2}
    assert keys_json("rewrap") == {"rewrapped": 0, "totp_seeds": 0, "primary": 2}  # idempotent
    status = keys_json("status")
    assert status["stale_keys"] == 0
    assert _version(status, 1)["wrapped_keys"] == 0 and _version(status, 2)["wrapped_keys"] == 12
    for c in customers:
        assert raw(DataKey, c.id, "wrapped") != wrapped_before[c.id]
        assert raw(Customer, c.id, "name") == names_before[c.id]
    fresh_process()
    _all_readable(officer, customers, phones)
    assert AuditEvent.objects.filter(action=Action.KEY_REWRAPPED).count() == 2


def test_retire_refuses_while_keys_use_the_version_and_works_after_rewrap(
    make_customer: Any, officer: Any, settings: Any
) -> None:
    """R-C2 rotation: `keys retire V` refuses while live data keys are wrapped under V (or V
    is the primary / unknown); after rewrap it destroys V's key material and every customer
    still decrypts. A shredded key on V does not block retirement."""
    customers = [make_customer() for _ in range(3)]
    shredded = make_customer()
    vault.shred(shredded.id, "test")
    phones = {c.id: read(officer, c.id).fields["phone"] for c in customers}
    keys_json("rotate")
    with pytest.raises(CommandError, match="still wraps"):
        call_command("keys", "retire", "1", *EMERGENCY)
    with pytest.raises(CommandError):
        call_command("keys", "retire", "2", *EMERGENCY)  # the primary
    with pytest.raises(CommandError):
        call_command("keys", "retire", "7", *EMERGENCY)  # no such version
    with pytest.raises(CommandError):
        call_command("keys", "retire", *EMERGENCY)
    assert _version(keys_json("status"), 1)["state"] == "active"
    fresh_process()
    _all_readable(officer, customers, phones)  # nothing was destroyed by the refusals

    keys_json("rewrap")
    assert keys_json("retire", "1") == {"retired": 1}
    assert AuditEvent.objects.filter(action=Action.KEY_RETIRED, object_id="1").exists()
    doc = json.loads((settings.BAOMI_KEY_DIR / keys.KEYRING_FILE).read_text())
    entry = next(k for k in doc["keys"] if k["version"] == 1)
    assert entry["state"] == "retired" and entry["key"] == ""  # material destroyed
    fresh_process()
    assert _version(keys_json("status"), 1)["state"] == "retired"
    with pytest.raises(IntegrityFailure):
        keys.get_keyring().unwrap(1, b"\0" * 60, b"")
    _all_readable(officer, customers, phones)


def test_status_counts(make_customer: Any) -> None:
    """`keys status` JSON: primary, wrapped keys per version, stale and shredded counts."""
    v1 = [make_customer() for _ in range(3)]
    keys_json("rotate")
    [make_customer() for _ in range(2)]
    vault.shred(v1[0].id, "test")
    status = keys_json("status")
    assert status["primary"] == 2
    assert [(v["version"], v["state"], v["wrapped_keys"]) for v in status["versions"]] == [
        (1, "active", 2),
        (2, "primary", 2),
    ]
    assert status["stale_keys"] == 2
    assert status["shredded"] == 1
    assert status["key_dir"] == str(keys.get_keyring().directory)


# -- crypto-shredding (R-F1 erase, R-C5) --------------------------------------------------------
def test_shred_makes_the_customer_gone_unsearchable_and_unopenable(
    make_customer: Any, desk: Any, officer: Any, api_client: Any, synth: Any
) -> None:
    """R-F1/R-C5: after crypto-shredding the gate answers Gone (410), the API too, search
    finds nothing by any field, the blind-index rows are gone, and even with the KEK the
    stored ciphertext cannot be opened: the wrapped DEK is empty."""
    c = make_customer()
    other = make_customer()
    services.add_record(desk, "reception", c.id, "booking", synth.booking())
    view = read(officer, c.id)
    criteria = {k: view.fields[k] for k in ("phone", "email", "id_number", "name")}
    for k, v in criteria.items():
        assert services.search_customers(officer, OFFICER_PURPOSE, {k: v}).total >= 1
    assert BlindIndexEntry.objects.filter(subject_id=c.id).count() == 4
    kek_version = DataKey.objects.get(subject_id=c.id).kek_version

    vault.shred(c.id, "rights request: erase")

    with pytest.raises(Gone) as exc:
        read(officer, c.id)
    assert exc.value.status == 410
    assert gate.access_customers(officer, OFFICER_PURPOSE, [c.id]) == []
    client, headers = api_client("privacy_officer", OFFICER_PURPOSE)
    r = client.get(f"/api/v1/customers/{c.id}", headers=headers)
    assert r.status_code == 410 and r.json()["code"] == "erased"
    for k, v in criteria.items():
        page = services.search_customers(officer, OFFICER_PURPOSE, {k: v})
        assert str(c.id) not in [x.id for x in page.results]
        assert page.total == 0 or k == "name"
    assert not BlindIndexEntry.objects.filter(subject_id=c.id).exists()
    assert BlindIndexEntry.objects.filter(subject_id=other.id).count() == 4
    row = DataKey.objects.get(subject_id=c.id)
    assert bytes(row.wrapped) == b"" and row.destroyed_at is not None
    assert ShredJournal.objects.filter(subject_id=c.id, basis="rights request: erase").exists()
    fresh_process()
    ring = keys.get_keyring()  # the KEK is still here ...
    with pytest.raises(IntegrityFailure):  # ... but there is nothing left for it to unwrap
        ring.unwrap(kek_version, bytes(row.wrapped), dek_aad(str(c.id), row.dek_version))
    assert vault.subject_keys([c.id]) == {}
    with pytest.raises(Gone):
        vault.subject_key(c.id)
    assert raw(Customer, c.id, "name")  # the ciphertext is still there: now noise
    read(officer, other.id)  # everyone else is untouched
    vault.shred(c.id, "again")  # idempotent
    assert ShredJournal.objects.filter(subject_id=c.id).count() == 1


def test_shred_in_another_process_is_honoured_despite_a_warm_key_cache(
    make_customer: Any, officer: Any
) -> None:
    """R-F1: a DEK cached by this process (an app-server worker) must not keep decrypting a
    customer that another process (a CLI or background erasure job) has shredded."""
    c = make_customer()
    key = vault.subject_key(c.id)  # cached here
    vault.shred(c.id, "erased elsewhere")
    vault._remember(key)  # the other process's shred cannot evict this process's cache
    with pytest.raises(Gone):
        read(officer, c.id)
    assert (
        gate.match_exact(
            {"phone": key.open("customer", "phone", raw(Customer, c.id, "phone"))}, [c.id]
        )
        == []
    )


def test_replaying_the_shred_journal_after_a_restore_erases_again(
    make_customer: Any, officer: Any
) -> None:
    """R-C5: a restored backup still holds an erased customer's DEK; replaying the (newer)
    shred journal destroys it again."""
    c = make_customer()
    keep = make_customer()
    assert vault.replay_shred_journal([c.id]) == 1
    with pytest.raises(Gone):
        read(officer, c.id)
    assert ShredJournal.objects.get(subject_id=c.id).basis == "replayed"
    assert not BlindIndexEntry.objects.filter(subject_id=c.id).exists()
    read(officer, keep.id)
