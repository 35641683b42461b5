"""Issue #9 §5: a rewrite of the audit log by someone who can write the database (but not
the key directory) is caught, because signed checkpoints also live outside the database —
the witness directory and an HTTP witness (C2SP tlog-witness) — and `baomi audit verify`
checks the log against them (R-E1). Runs on SQLite and PostgreSQL.

The attacks are done as in tests/test_audit_log.py: raw SQL with the triggers off, then
every hash, the head and the checkpoint rows rebuilt so that the database agrees with
itself. On the main branch before this change `verify` said OK to each of them."""

from __future__ import annotations

import base64
import io
import json
import stat
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from tests.test_audit_log import fill, recorded_leaves, run_verify, sql, triggers_off

from baomi import audit
from baomi.audit import checkpoints, merkle, monitoring, services, tree, witness
from baomi.audit.models import Action, Alert, AuditEvent, Checkpoint
from baomi.core import clock

pytestmark = pytest.mark.django_db


@pytest.fixture
def commit(django_capture_on_commit_callbacks: Any) -> Iterator[Any]:
    """Run the after-commit work (witnessing) as a real commit would; the test transaction
    itself never commits."""

    def run(fn: Any, *args: Any, **kwargs: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    yield run
    # the after-commit hooks also ran monitoring's "alerts known to exist" memory, for
    # alerts this test's rollback removes: forget them, or a later test's alert is skipped
    monitoring._known_alerts.clear()


def lines(kind: str | None = None) -> list[dict[str, Any]]:
    p = witness.path()
    assert p is not None
    if not p.exists():
        return []
    out = [json.loads(x) for x in p.read_text().splitlines() if x.strip()]
    return [x for x in out if kind is None or x["kind"] == kind]


def verify(commit: Any, *args: str) -> tuple[int, str]:
    result: tuple[int, str] = commit(run_verify, *args)
    return result


def rebuild_everything_and_drop_checkpoints() -> None:
    """The attacker's clean-up: every node recomputed from the (edited) events, the head
    rewritten, every checkpoint row deleted — the database agrees with itself again."""
    sql("DELETE FROM audit_node")
    f = merkle.Frontier()
    nodes: list[tuple[int, bytes]] = []
    for leaf in recorded_leaves():
        nodes.extend(f.push(leaf))
    with connection.cursor() as cur:
        tree.insert_nodes(cur, nodes)
    sql(
        "UPDATE audit_head SET size = %s, frontier = %s, checkpoint_size = 0, checkpoint_at = NULL",
        [f.size, f.blob()],
    )
    sql("DELETE FROM audit_checkpoint")


@pytest.fixture
def witnessed40(commit: Any) -> None:
    fill(40)
    commit(checkpoints.make_checkpoint)
    fill(5)


# -- the attack of the issue: rewrite, then erase the traces inside the database --
@pytest.mark.parametrize(
    ("attack", "expected"),
    [
        ("edit", "differs"),
        ("delete_tail", "is missing"),
        ("truncate", "is missing"),
    ],
)
def test_a_rewrite_with_rebuilt_hashes_and_no_checkpoint_rows_is_tampered(
    witnessed40: None, commit: Any, attack: str, expected: str
) -> None:
    assert verify(commit, "--no-record")[0] == 0
    with triggers_off():
        if attack == "edit":
            sql("UPDATE audit_event SET actor_username = 'mallory' WHERE seq = 12")
        elif attack == "delete_tail":
            sql("DELETE FROM audit_event WHERE seq > 20")
        else:
            sql("DELETE FROM audit_event")
        rebuild_everything_and_drop_checkpoints()
    assert Checkpoint.objects.count() == 0
    code, out = verify(commit)
    assert code == 1, out
    assert out.startswith("TAMPERED") and "[witness]" in out and expected in out
    assert "witnessed tree of 40 events" in out
    assert Alert.objects.filter(severity="critical").exists()
    # the live system may go on to sign the rewritten tree (the attacker reset the head's
    # checkpoint time): that does not launder it, the earlier witnessed tree still counts
    commit(checkpoints.make_checkpoint)
    code, out = verify(commit, "--no-record")
    assert code == 1 and "witnessed tree of 40 events" in out


def test_without_a_witness_the_same_rewrite_is_not_detectable(settings: Any, commit: Any) -> None:
    """The limit, stated: with the witness switched off only the database is left."""
    settings.BAOMI_AUDIT_WITNESS_DIR = ""
    fill(20)
    commit(checkpoints.make_checkpoint)
    with triggers_off():
        sql("UPDATE audit_event SET actor_username = 'mallory' WHERE seq = 3")
        rebuild_everything_and_drop_checkpoints()
    code, out = verify(commit, "--no-record")
    assert code == 0 and "Witness: none configured" in out


def test_a_forged_or_garbled_witness_line_is_reported(witnessed40: None, commit: Any) -> None:
    p = witness.path()
    assert p is not None
    good = lines("checkpoint")[-1]
    forged = dict(good, note=good["note"].replace("\n40\n", "\n41\n"))
    with p.open("a") as fh:
        fh.write(json.dumps(forged) + "\n" + "not json\n")
    code, out = verify(commit, "--no-record")
    assert code == 1 and "[witness]" in out and "signature" in out and "not a JSON line" in out


# -- where and when checkpoints are signed and witnessed --
def test_witness_file_is_private_and_append_only(witnessed40: None, commit: Any) -> None:
    p = witness.path()
    assert p is not None
    assert stat.S_IMODE(p.stat().st_mode) == 0o600
    assert stat.S_IMODE(p.parent.stat().st_mode) == 0o700
    first = p.read_bytes()
    commit(checkpoints.make_checkpoint)
    assert p.read_bytes().startswith(first)  # appended, never rewritten
    entries = witness.read_entries()
    assert [e.tree_size for e in entries] == [40, 45] and all(not e.error for e in entries)


def test_a_rolled_back_transaction_is_never_witnessed(commit: Any) -> None:
    from django.db import transaction

    fill(3)

    def sign_then_fail() -> None:
        with transaction.atomic():
            checkpoints.make_checkpoint()
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        commit(sign_then_fail)
    assert lines() == []


def test_the_first_write_an_hour_after_the_last_checkpoint_signs_one(
    commit: Any, monkeypatch: Any
) -> None:
    t = [clock.now()]
    monkeypatch.setattr(clock, "now", lambda: t[0])
    commit(fill, 3)  # a log never checkpointed: its first append signs at once
    assert [x["trigger"] for x in lines()] == ["auto"]
    t[0] += timedelta(minutes=59)
    commit(fill, 3)
    assert len(lines()) == 1
    t[0] += timedelta(minutes=2)
    commit(fill, 1)
    assert [x["trigger"] for x in lines()] == ["auto", "auto"]
    assert lines()[-1]["tree_size"] == 7


def test_checkpoint_if_changed_for_cron(commit: Any) -> None:
    fill(4)
    out = io.StringIO()
    commit(call_command, "audit", "checkpoint", "--if-changed", stdout=out)
    assert "\n" in out.getvalue() and lines()[-1]["trigger"] == "cron"
    out = io.StringIO()
    commit(call_command, "audit", "checkpoint", "--if-changed", stdout=out)
    assert "none signed" in out.getvalue() and len(lines()) == 1


def test_migrate_ends_with_a_witnessed_checkpoint(settings: Any, commit: Any) -> None:
    settings.BAOMI_AUDIT_CHECKPOINT_ON_MIGRATE = True
    fill(2)
    before = Checkpoint.objects.count()
    out = io.StringIO()
    commit(call_command, "migrate", verbosity=1, stdout=out)
    assert Checkpoint.objects.count() == before + 1
    assert "checkpoint signed at tree size 2" in out.getvalue()
    assert lines()[-1]["trigger"] == "migrate" and lines()[-1]["tree_size"] == 2


def test_every_passing_verify_signs_and_witnesses_a_checkpoint(commit: Any) -> None:
    fill(10)
    code, out = verify(commit)
    assert code == 0 and "Checkpoint" in out and "signed over the verified log" in out
    last = lines()[-1]
    assert last["trigger"] == "verify"
    # the checkpoint covers the audit.verified event of the run
    assert last["tree_size"] == services.tree_size()
    assert AuditEvent.objects.get(seq=last["tree_size"]).action == Action.AUDIT_VERIFIED


# -- a restore: reported as a rollback, acknowledged on the record --
def _simulate_restore_to(size: int) -> None:
    """What `baomi restore` of an older backup leaves (the real one runs end to end in
    tests/test_audit_restore_cli.py): the log of an earlier day, then system.restored."""
    with triggers_off():
        sql("DELETE FROM audit_event WHERE seq > %s", [size])
        rebuild_everything_and_drop_checkpoints()
    audit.record(Action.RESTORED, None, object_type="backup", detail={"restored_tree_size": size})


def test_a_restore_is_a_rollback_until_acknowledged_and_the_ack_is_evidence(
    witnessed40: None, commit: Any
) -> None:
    commit(_simulate_restore_to, 30)
    code, out = verify(commit)
    assert code == 2, out
    assert out.startswith("ROLLED BACK") and "[rollback]" in out and "system.restored" in out
    assert "acknowledge-restore" in out

    with pytest.raises(CommandError, match="10-300"):
        call_command("audit", "acknowledge-restore", "--by", "li.wei", "--reason", "short", "--yes")
    with pytest.raises(CommandError, match="--yes"):
        call_command(
            "audit", "acknowledge-restore", "--by", "li.wei", "--reason", "disk failure INC-1024"
        )
    out_ack = io.StringIO()
    commit(
        call_command,
        "audit",
        "acknowledge-restore",
        "--by",
        "li.wei",
        "--reason",
        "disk failure, INC-1024",
        "--yes",
        stdout=out_ack,
    )
    assert "1 witnessed tree(s) superseded" in out_ack.getvalue()
    ack = AuditEvent.objects.filter(action=Action.RESTORE_ACKNOWLEDGED).get()
    assert ack.detail["by"] == "li.wei" and ack.detail["superseded"][0]["tree_size"] == 40
    assert Alert.objects.filter(first_seq=ack.seq, severity="high").exists()
    assert lines("restore_ack")[-1]["by"] == "li.wei"

    code, out = verify(commit)
    assert code == 0, out
    assert "superseded: witnessed tree of 40 events" in out and "li.wei" in out

    # nothing left to acknowledge
    with pytest.raises(CommandError, match="nothing to acknowledge"):
        call_command(
            "audit", "acknowledge-restore", "--by", "x", "--reason", "again, by mistake", "--yes"
        )

    # erasing the acknowledgement from the database is tampering: its tree was witnessed
    with triggers_off():
        sql("DELETE FROM audit_event WHERE seq >= %s", [ack.seq])
        rebuild_everything_and_drop_checkpoints()
    code, out = verify(commit, "--no-record")
    assert code == 1 and out.startswith("TAMPERED"), out


def test_an_acknowledgement_cannot_clear_tampering(witnessed40: None, commit: Any) -> None:
    with triggers_off():
        sql("UPDATE audit_event SET action = 'customer.read' WHERE seq = 3")
        rebuild_everything_and_drop_checkpoints()
    with pytest.raises(CommandError, match="does not explain"):
        call_command(
            "audit", "acknowledge-restore", "--by", "x", "--reason", "hide my edit please", "--yes"
        )
    assert not AuditEvent.objects.filter(action=Action.RESTORE_ACKNOWLEDGED).exists()


# -- the HTTP witness (C2SP tlog-witness), a real local server --
class _Witness(BaseHTTPRequestHandler):
    """A minimal tlog-witness: keeps the latest size/root per origin, checks the note's
    signature and the consistency proof from its size, answers 409 with its size when the
    client's `old` is not it, and a cosignature line when all is well."""

    state: dict[str, Any] = {}

    def do_POST(self) -> None:
        st = self.state
        st["requests"] = st.get("requests", 0) + 1
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        if st.get("fail"):
            return self._answer(503, "down for maintenance\n")
        head, _, note_text = body.partition("\n\n")
        old_line, *proof_lines = head.split("\n")
        old = int(old_line.removeprefix("old "))
        note = checkpoints.verify_note(note_text, st["vkey"])
        if old != st["size"]:
            return self._answer(409, f"{st['size']}\n")
        proof = [base64.b64decode(x) for x in proof_lines if x]
        if old:
            merkle.verify_consistency(old, note.tree_size, proof, st["root"], note.root_hash)
        st["size"], st["root"] = note.tree_size, note.root_hash
        return self._answer(200, "— witness.test AAAAcosig\n")

    def _answer(self, status: int, text: str) -> None:
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/x.tlog.size" if status == 409 else "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def http_witness(settings: Any) -> Iterator[dict[str, Any]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Witness)
    _Witness.state = {"size": 0, "root": merkle.EMPTY_ROOT, "vkey": checkpoints.verifier_key()}
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.BAOMI_AUDIT_WITNESS_URL = f"http://127.0.0.1:{server.server_address[1]}/w"
    witness._known_sizes.clear()
    yield _Witness.state
    server.shutdown()
    server.server_close()
    witness._known_sizes.clear()


def test_checkpoints_are_pushed_with_consistency_proofs(
    http_witness: dict[str, Any], commit: Any
) -> None:
    fill(9)
    commit(checkpoints.make_checkpoint)
    assert http_witness["size"] == 9
    fill(14)
    commit(checkpoints.make_checkpoint)  # proof 9 → 23, checked by the witness
    assert http_witness["size"] == 23
    witness._known_sizes.clear()  # a restarted process: learns the size from a 409
    fill(3)
    commit(checkpoints.make_checkpoint)
    assert http_witness["size"] == 26
    pushes = lines("push")
    assert all(p["ok"] for p in pushes) and pushes[-1]["cosignatures"]
    info = witness.status()
    assert info["last_push"]["ok"] and info["state"] == "ok"


def test_a_failed_push_is_recorded_and_never_blocks_the_write(
    http_witness: dict[str, Any], commit: Any
) -> None:
    http_witness["fail"] = True
    fill(5)
    cp = commit(checkpoints.make_checkpoint)
    assert Checkpoint.objects.filter(pk=cp.pk).exists()  # the write stands
    push = lines("push")[-1]
    assert push["ok"] is False and push["status"] == 503 and "maintenance" in push["error"]
    failed = AuditEvent.objects.filter(action=Action.WITNESS_FAILED).get()
    assert failed.outcome == "failed" and failed.detail["status"] == 503
    assert Alert.objects.filter(severity="high").exists()
    assert lines("checkpoint")[-1]["tree_size"] == cp.tree_size  # the directory still has it


def test_an_unreachable_witness_is_recorded(settings: Any, commit: Any) -> None:
    settings.BAOMI_AUDIT_WITNESS_URL = "http://127.0.0.1:9/"  # discard port: refused
    settings.BAOMI_AUDIT_WITNESS_TIMEOUT = 1
    fill(2)
    commit(checkpoints.make_checkpoint)
    assert lines("push")[-1]["ok"] is False
    assert AuditEvent.objects.filter(action=Action.WITNESS_FAILED).exists()


# -- the API and console show the witness --
def test_checkpoint_api_shows_the_witness_state(
    api_client: Any, commit: Any, http_witness: dict[str, Any]
) -> None:
    c, h = api_client("front_desk")
    commit(checkpoints.make_checkpoint)
    body = c.get("/api/v1/audit/checkpoint", headers=h).json()
    w = body["witness"]
    assert w["state"] == "ok" and w["entries"] == 1 and w["http_configured"]
    assert w["latest"]["tree_size"] == body["tree_size"] and w["last_push"]["ok"]
    assert "directory" not in w  # no server path for every signed-in role
    with triggers_off():
        sql("DELETE FROM audit_event WHERE seq > 1")
        rebuild_everything_and_drop_checkpoints()
    commit(checkpoints.make_checkpoint)
    w = c.get("/api/v1/audit/checkpoint", headers=h).json()["witness"]
    assert w["state"] in ("shorter", "different")


def test_console_checkpoint_page_shows_the_witness(staff_client: Any, commit: Any) -> None:
    c, _ = staff_client("security_auditor")
    commit(checkpoints.make_checkpoint)
    body = c.get("/audit/checkpoints/").content.decode()
    assert 'data-testid="witness" data-state="ok"' in body and "仍完整保存在日志中" in body
    with triggers_off():
        sql("DELETE FROM audit_event WHERE seq > 1")
        rebuild_everything_and_drop_checkpoints()
    body = c.get("/audit/checkpoints/").content.decode()
    assert 'data-testid="witness-alarm"' in body and "回滚或改写" in body


def test_witness_cli_status(commit: Any, tmp_path: Path) -> None:
    fill(3)
    commit(checkpoints.make_checkpoint)
    out = io.StringIO()
    call_command("audit", "witness", stdout=out)
    assert "Witnessed checkpoints: 1" in out.getvalue() and "state: ok" in out.getvalue()
