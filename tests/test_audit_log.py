"""The tamper-evident audit log on a real database (SQLite and PostgreSQL): contiguous seq
numbers, stored tree, proofs, signed checkpoints and `baomi audit verify` against every
kind of tampering (edited, deleted, inserted, reordered, truncated events; rewritten
hashes; forged checkpoints), done with raw SQL after switching the triggers off."""

from __future__ import annotations

import io
import itertools
import json
import os
import re
import stat
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.utils import DatabaseError

from baomi import audit
from baomi.audit import canonical, checkpoints, merkle, services, tree, verification
from baomi.audit.models import (
    Action,
    AuditEvent,
    AuditHead,
    AuditNode,
    Checkpoint,
    Outcome,
    VerificationRun,
)
from baomi.audit.services import build, record_many

pytestmark = pytest.mark.django_db


# -- helpers --
class Actor:
    def __init__(self, pk: int = 7, username: str = "alice", role: str = "front_desk") -> None:
        self.pk, self.username, self._role = pk, username, role
        self.is_active = True

    @property
    def role_code(self) -> str:
        return self._role


def fill(n: int, *, batch: int = 7) -> None:
    """n events: a mix of single appends and bulk appends, with varied detail."""
    actor = Actor()
    i = 0
    while i < n:
        if i % 3 == 0:
            audit.record(
                Action.CUSTOMER_READ,
                actor,
                purpose="reception",
                object_type="customer",
                object_id=uuid.uuid4(),
                fields={"name": "plain", "phone": "masked"},
                detail={"n": i, "ratio": 0.25, "big": 1e20, "tags": {"b", "a"}, "zh": "读取"},
            )
            i += 1
        else:
            k = min(batch, n - i)
            record_many(
                [
                    build(
                        Action.CUSTOMER_CREATED,
                        None,
                        object_type="customer",
                        object_id=uuid.uuid4(),
                        fields=["name", "phone"],
                        detail={"via": "import", "n": i + j},
                    )
                    for j in range(k)
                ]
            )
            i += k


@contextmanager
def triggers_off() -> Iterator[None]:
    """What an attacker with database access does first (the test transaction restores)."""
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN "
                "('audit_event', 'audit_node', 'audit_checkpoint')"
            )
            saved = cur.fetchall()
            for name, _ in saved:
                cur.execute(f'DROP TRIGGER "{name}"')
        else:
            for t in ("audit_event", "audit_node", "audit_checkpoint"):
                cur.execute(f"ALTER TABLE {t} DISABLE TRIGGER USER")
    try:
        yield
    finally:
        with connection.cursor() as cur:
            if connection.vendor == "sqlite":
                for _, sql in saved:
                    cur.execute(sql)
            else:
                for t in ("audit_event", "audit_node", "audit_checkpoint"):
                    cur.execute(f"ALTER TABLE {t} ENABLE TRIGGER USER")


def sql(statement: str, params: list[Any] | None = None) -> None:
    with connection.cursor() as cur:
        cur.execute(statement, params or [])


def run_verify(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("audit", "verify", *args, stdout=out)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue()
    return 0, out.getvalue()


def first_bad(*args: str) -> int | None:
    code, out = run_verify(*args)
    assert code != 0, out
    marker = "First bad sequence number: "
    assert marker in out, out
    value = out.split(marker, 1)[1].split()[0]
    return int(value) if value.isdigit() else None


def recorded_leaves() -> list[bytes]:
    with connection.cursor() as cur:
        rows = [r for chunk in tree.iter_canonical_rows(cur, connection.vendor) for r in chunk]
    return [merkle.leaf_hash(canonical.leaf_bytes(r)) for r in rows]


# -- appending --
def test_seq_numbers_are_contiguous_and_the_tree_is_rfc6962() -> None:
    fill(40)
    seqs = list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, 41))
    head = AuditHead.objects.get()
    assert head.size == 40
    leaves = recorded_leaves()
    root = merkle.compute_root(leaves)
    assert merkle.Frontier.from_blob(40, bytes(head.frontier)).root() == root
    assert services.root_at(40) == root
    assert AuditNode.objects.count() == 2 * 40 - bin(40).count("1")  # perfect subtrees only
    for size in (1, 2, 17, 32, 40):
        r = services.root_at(size)
        assert r == merkle.compute_root(leaves[:size])
        for seq in range(1, size + 1):
            p = services.inclusion_proof(seq, size)
            assert p.leaf_hash == leaves[seq - 1]
            merkle.verify_inclusion(seq - 1, size, p.leaf_hash, p.proof, r)
    for a, b in ((1, 40), (7, 33), (32, 40), (40, 40)):
        c = services.consistency_proof(a, b)
        merkle.verify_consistency(a, b, c.proof, c.first_root, c.second_root)


def test_record_returns_a_saved_event_and_callers_need_no_change() -> None:
    ev = audit.record(Action.LOGIN, Actor(), object_type="staff", object_id=7)
    assert ev.seq == 1 and not ev._state.adding
    got = AuditEvent.objects.get(seq=1)
    assert got.actor_username == "alice" and got.object_id == "7" and got.fields == {}
    assert services.leaf_hash_of(got) == services.inclusion_proof(1).leaf_hash


def test_json_values_round_trip_to_the_same_leaf() -> None:
    fill(3)
    ev = AuditEvent.objects.get(seq=1)
    assert ev.detail["big"] == 10**20 and ev.detail["tags"] == ["a", "b"]
    assert ev.detail["ratio"] == 0.25 and ev.detail["zh"] == "读取"
    assert run_verify("--no-record")[0] == 0


def test_a_rolled_back_transaction_leaves_no_gap() -> None:
    fill(3)
    with pytest.raises(RuntimeError), transaction.atomic():
        fill(5)
        raise RuntimeError
    fill(2)
    assert list(AuditEvent.objects.values_list("seq", flat=True).order_by("seq")) == [1, 2, 3, 4, 5]
    assert run_verify("--no-record")[0] == 0


def test_the_log_tables_refuse_update_and_delete() -> None:
    fill(2)
    cp = checkpoints.make_checkpoint()
    for statement in (
        "UPDATE audit_event SET actor_username = 'x' WHERE seq = 1",
        "DELETE FROM audit_event WHERE seq = 2",
        "UPDATE audit_node SET hash = hash WHERE id = 0",
        "DELETE FROM audit_node",
        f"UPDATE audit_checkpoint SET tree_size = 1 WHERE id = {cp.pk}",
        "DELETE FROM audit_checkpoint",
    ):
        with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
            sql(statement)


def test_no_personal_value_reaches_the_log(make_customer: Any, make_staff: Any) -> None:
    from baomi.customers import gate

    canaries = {"name": "甄金丝雀", "phone": "13912345678", "email": "canary.bird@example.com"}
    c = make_customer(**canaries)
    gate.access_customer(make_staff("front_desk"), "reception", c.id)
    with connection.cursor() as cur:
        cur.execute(f"SELECT {tree.EVENT_COLUMNS} FROM audit_event")
        dump = json.dumps([list(map(str, r)) for r in cur.fetchall()], ensure_ascii=False)
    assert str(c.id) in dump
    for value in canaries.values():
        assert value not in dump
    # not even the last 4 digits (masked phones end in them); hashes, ids and microseconds
    # are digit / hex runs that may contain them, so only a free-standing 5678 counts
    assert not re.search(r"(?<![0-9a-f])5678(?![0-9a-f])", dump.replace(str(c.id), ""))


# -- checkpoints --
def test_checkpoint_is_signed_text_and_the_key_file_is_private(settings: Any) -> None:
    fill(9)
    out = io.StringIO()
    call_command("audit", "checkpoint", stdout=out)
    text = out.getvalue()
    key = Path(settings.BAOMI_KEY_DIR) / checkpoints.KEY_FILE
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(key.parent.stat().st_mode) == 0o700
    note = checkpoints.verify_note(text)
    assert note.tree_size == 9 and note.root_hash == services.root_at(9)
    lines = text.splitlines()
    assert lines[0] == note.origin and lines[1] == "9" and lines[3].startswith("time ")
    assert lines[5].startswith("\u2014 ")
    # anyone holding the verifier key can check it
    vkey = io.StringIO()
    call_command("audit", "pubkey", stdout=vkey)
    assert checkpoints.verify_note(text, vkey.getvalue().strip()).tree_size == 9
    forged = text.replace("\n9\n", "\n10\n")
    with pytest.raises(checkpoints.NoteInvalid):
        checkpoints.verify_note(forged)
    # the checkpoint command itself is logged, after the checkpoint
    assert AuditEvent.objects.get(seq=10).action == Action.AUDIT_CHECKPOINT


def test_insecure_signing_key_is_refused(settings: Any) -> None:
    checkpoints.make_checkpoint()
    key = Path(settings.BAOMI_KEY_DIR) / checkpoints.KEY_FILE
    os.chmod(key, 0o644)
    checkpoints._cache.clear()
    with pytest.raises(checkpoints.SigningKeyInsecure):
        checkpoints.make_checkpoint()
    os.chmod(key, 0o600)


def test_checkpoints_are_made_automatically(settings: Any) -> None:
    settings.BAOMI_AUDIT_CHECKPOINT_EVERY = 10
    fill(25, batch=4)
    sizes = list(Checkpoint.objects.values_list("tree_size", flat=True))
    # the first append of a log never checkpointed signs at once (issue #9 §5), then every 10
    assert sizes[0] == 1 and all(b - a >= 10 for a, b in itertools.pairwise(sizes))
    assert all(checkpoints.signature_ok(cp) for cp in Checkpoint.objects.all())
    assert run_verify("--no-record")[0] == 0


def test_external_checkpoint_file_is_checked(tmp_path: Path) -> None:
    fill(6)
    anchored = tmp_path / "anchor.txt"
    anchored.write_text(checkpoints.make_checkpoint().text)
    fill(3)
    assert run_verify("--no-record", "--checkpoint", str(anchored))[0] == 0
    forged = tmp_path / "forged.txt"
    forged.write_text(anchored.read_text().replace("\n6\n", "\n7\n"))
    code, out = run_verify("--no-record", "--checkpoint", str(forged))
    assert code == 1 and "signature" in out


# -- verify: intact --
def test_verify_intact_exits_zero_and_is_recorded() -> None:
    fill(30)
    checkpoints.make_checkpoint()
    fill(12)
    checkpoints.make_checkpoint()
    code, out = run_verify()
    # 3: the log's first append signed one (it had none), then the two above
    assert code == 0 and out.startswith("OK: 42 events, 3 checkpoints")
    assert VerificationRun.objects.get().ok
    assert AuditEvent.objects.order_by("-seq").first().action == Action.AUDIT_VERIFIED  # type: ignore[union-attr]
    code, out = run_verify("--json", "--no-record")
    report = json.loads(out)
    assert code == 0 and report["ok"] and report["events"] == 43


def test_verify_empty_log() -> None:
    assert run_verify("--no-record")[0] == 0


# -- verify: every kind of tampering, on both databases --
@pytest.fixture
def log40() -> None:
    fill(40)


@pytest.mark.usefixtures("log40")
@pytest.mark.parametrize(
    "column,value",
    [("actor_username", "mallory"), ("outcome", "denied"), ("purpose", "billing")],
)
def test_an_edited_event_is_named(column: str, value: str) -> None:
    with triggers_off():
        sql(f"UPDATE audit_event SET {column} = %s WHERE seq = 17", [value])
    assert first_bad() == 17


@pytest.mark.usefixtures("log40")
def test_one_byte_of_json_or_time_is_enough() -> None:
    with triggers_off():
        if connection.vendor == "sqlite":
            sql(
                "UPDATE audit_event SET detail = replace(detail, '\"n\": 21', '\"n\": 22') "
                "WHERE seq = 22"
            )
            sql("UPDATE audit_event SET at = replace(at, '.', ',') WHERE seq = 30")
        else:
            sql("UPDATE audit_event SET detail = jsonb_set(detail, '{n}', '22') WHERE seq = 22")
            sql("UPDATE audit_event SET at = at + interval '1 microsecond' WHERE seq = 30")
    code, out = run_verify()
    assert code == 1 and "First bad sequence number: 22" in out and "seq 30" in out


@pytest.mark.usefixtures("log40")
def test_a_deleted_event_is_named() -> None:
    with triggers_off():
        sql("DELETE FROM audit_event WHERE seq = 9")
    assert first_bad() == 9


@pytest.mark.usefixtures("log40")
def test_an_inserted_event_is_named() -> None:
    with triggers_off():  # make room at 12 by shifting the rest up, then forge an event there
        for seq in range(40, 11, -1):
            sql("UPDATE audit_event SET seq = seq + 1 WHERE seq = %s", [seq])
        ev = build(Action.CUSTOMER_READ, Actor(), object_type="customer", object_id="forged")
        with connection.cursor() as cur:
            services._prepare(ev)
            row = [12, ev.at, *[getattr(ev, c) for c in canonical.COLUMNS[2:]]]
            row[9], row[14] = canonical.json_text(ev.fields), canonical.json_text(ev.detail)
            if connection.vendor == "sqlite":
                row[1] = canonical.time_text(ev.at)
            cur.execute(tree.INSERT_EVENT[connection.vendor], row)
    assert first_bad() == 12


@pytest.mark.usefixtures("log40")
def test_an_event_appended_behind_the_logs_back_is_named() -> None:
    with triggers_off():
        sql(
            f"INSERT INTO audit_event ({tree.EVENT_COLUMNS}) SELECT 41, at, actor_id, "
            "actor_username, actor_role, action, purpose, object_type, object_id, fields, "
            "outcome, request_id, client_ip, user_agent, detail FROM audit_event WHERE seq = 40"
        )
    assert first_bad("--no-record") == 41


@pytest.mark.usefixtures("log40")
def test_reordered_events_are_named() -> None:
    with triggers_off():
        sql("UPDATE audit_event SET seq = -1 WHERE seq = 25")
        sql("UPDATE audit_event SET seq = 25 WHERE seq = 26")
        sql("UPDATE audit_event SET seq = 26 WHERE seq = -1")
    assert first_bad() == 25


@pytest.mark.usefixtures("log40")
def test_a_truncated_log_is_named() -> None:
    with triggers_off():
        sql("DELETE FROM audit_event WHERE seq > 36")
    assert first_bad() == 37


@pytest.mark.usefixtures("log40")
def test_truncation_with_its_hashes_is_caught_by_the_checkpoint() -> None:
    checkpoints.make_checkpoint()
    with triggers_off():  # cut events, their nodes and the head back to 36: looks consistent
        sql("DELETE FROM audit_event WHERE seq > 36")
        sql("DELETE FROM audit_node WHERE id >= 72")
        f = merkle.Frontier()
        for leaf in recorded_leaves():
            f.push(leaf)
        sql("UPDATE audit_head SET size = 36, frontier = %s", [f.blob()])
    assert first_bad() == 37


@pytest.mark.usefixtures("log40")
def test_a_consistent_rewrite_is_caught_by_the_next_checkpoint() -> None:
    fill(0)
    checkpoints.make_checkpoint()  # size 40
    fill(20)
    checkpoints.make_checkpoint()  # size 60
    with triggers_off():  # edit event 50 and rewrite every hash so the stored tree agrees
        sql("UPDATE audit_event SET actor_username = 'mallory' WHERE seq = 50")
        sql("DELETE FROM audit_node")
        f = merkle.Frontier()
        nodes: list[tuple[int, bytes]] = []
        for leaf in recorded_leaves():
            nodes.extend(f.push(leaf))
        with connection.cursor() as cur:
            tree.insert_nodes(cur, nodes)
        sql("UPDATE audit_head SET frontier = %s", [f.blob()])
    code, out = run_verify()
    assert code == 1 and "First bad sequence number: 41" in out and "checkpoint" in out


@pytest.mark.usefixtures("log40")
def test_a_tampered_node_or_head_is_caught() -> None:
    with triggers_off():
        sql("UPDATE audit_node SET hash = %s WHERE id = 3", [b"\x00" * 32])  # level-2 node
    code, out = run_verify("--no-record")
    assert code == 1 and "[node]" in out and "First bad sequence number: 1" in out


@pytest.mark.usefixtures("log40")
def test_a_forged_checkpoint_is_caught() -> None:
    cp = checkpoints.make_checkpoint()
    with triggers_off():
        sql("UPDATE audit_checkpoint SET tree_size = 39 WHERE id = %s", [cp.pk])
    code, out = run_verify("--no-record")
    assert code == 1 and "bad signature" in out


def test_verify_failure_raises_a_critical_alert() -> None:
    from baomi.audit.models import Alert

    fill(10)
    with triggers_off():
        sql("UPDATE audit_event SET action = 'customer.updated' WHERE seq = 4")
    assert first_bad() == 4
    alert = Alert.objects.get(rule="watched_action")
    assert alert.severity == "critical" and "verify_failed" in alert.summary
    ev = AuditEvent.objects.get(action=Action.AUDIT_VERIFY_FAILED)
    assert ev.outcome == Outcome.FAILED and ev.detail["first_bad_seq"] == 4


def test_verify_report_object() -> None:
    fill(5)
    r = verification.verify_log(save=False)
    assert r.ok and r.events == 5 and r.tree_size == 5
    assert r.root_hash == services.root_at(5).hex()


def test_proof_cli(capsys: Any) -> None:
    fill(11)
    out = io.StringIO()
    call_command("audit", "proof", "5", "--tree-size", "9", stdout=out)
    p = json.loads(out.getvalue())
    assert p["leaf_index"] == 4 and p["tree_size"] == 9
    merkle.verify_inclusion(
        4,
        9,
        bytes.fromhex(p["leaf_hash"]),
        [bytes.fromhex(h) for h in p["proof"]],
        bytes.fromhex(p["root_hash"]),
    )
    out = io.StringIO()
    call_command("audit", "consistency", "3", "11", stdout=out)
    c = json.loads(out.getvalue())
    merkle.verify_consistency(
        3,
        11,
        [bytes.fromhex(h) for h in c["proof"]],
        bytes.fromhex(c["first_root"]),
        bytes.fromhex(c["second_root"]),
    )


def test_head_row_is_rebuilt_when_missing() -> None:
    fill(13)
    sql("DELETE FROM audit_head")
    fill(2)
    assert AuditHead.objects.get().size == 15
    assert run_verify("--no-record")[0] == 0


def test_the_orm_cannot_bypass_the_tree() -> None:
    ev = build(Action.LOGIN, Actor())
    with pytest.raises(TypeError):
        ev.save()
    with pytest.raises(TypeError):
        AuditEvent.objects.bulk_create([ev])
    audit.record(Action.LOGIN, Actor())
    with pytest.raises(TypeError):
        AuditEvent.objects.filter(seq=1).update(actor_username="x")
    with pytest.raises(TypeError):
        AuditEvent.objects.filter(seq=1).delete()
    with pytest.raises(TypeError):
        AuditEvent.objects.get(seq=1).delete()


@pytest.mark.parametrize("chunk", [1, 4, 8, 64])
def test_small_chunks_and_checkpoints_inside_pieces(chunk: int) -> None:
    fill(13)
    checkpoints.make_checkpoint()  # 13: inside pieces of every size above
    fill(14)
    checkpoints.make_checkpoint()  # 27
    fill(5)
    r = verification.verify_log(save=False, chunk=chunk)
    assert r.ok and r.tree_size == 32, r.problems
    with triggers_off():
        sql("UPDATE audit_event SET client_ip = '10.9.9.9' WHERE seq = 19")
        sql("DELETE FROM audit_event WHERE seq = 30")
    r = verification.verify_log(save=False, chunk=chunk)
    assert not r.ok and r.first_bad_seq == 19
    assert {(p.kind, p.seq) for p in r.problems} == {("altered", 19), ("missing", 30)}
