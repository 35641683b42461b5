"""`baomi audit verify`: recompute the log from the raw rows and check every stored hash.

Two independent chains are checked, which together tie every event to every checkpoint:

1. events → stored leaves: each event row's canonical bytes are hashed again and compared
   with its stored leaf hash; seq numbers must run 1, 2, 3 … without a gap;
2. stored leaves → stored nodes → checkpoints: every interior node is recomputed from the
   stored leaves and compared; the root at each checkpoint's size must equal the signed
   root; each checkpoint's Ed25519 signature must verify; successive checkpoints must be
   consistent (RFC 6962 consistency proof from the stored nodes, checked with
   `merkle.verify_consistency`); the head row must equal the recomputed right edge.

An edited, reordered or inserted event breaks (1) at its seq; a deleted event leaves a gap
(or, at the end, a tree larger than the log); rewriting an event *and* its hashes
consistently breaks (2) at the first checkpoint after it — the report then names the
first seq after the last checkpoint that still matches. What happened after the newest
checkpoint is covered by (1) only: sign checkpoints often and anchor them outside.
"""

from __future__ import annotations

import bisect
import multiprocessing
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db import connection, connections, transaction

from baomi.core import clock

from . import canonical, checkpoints, merkle, tree, witness
from .models import Action, Checkpoint, VerificationRun
from .services import ProofUnavailable, consistency_proof, record

MAX_PROBLEMS = 50


@dataclass
class Problem:
    kind: str
    seq: int | None
    message: str
    checkpoint: int | None = None


@dataclass
class Report:
    ok: bool = True
    events: int = 0
    tree_size: int = 0
    checkpoints: int = 0
    root_hash: str = ""
    first_bad_seq: int | None = None
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0
    seconds: float = 0.0
    run_id: int | None = None
    # checkpoints kept outside the database (witness.py): where, how many, what was found
    witness: dict[str, Any] = field(default_factory=dict)
    superseded: list[dict[str, Any]] = field(default_factory=list)
    checkpoint_id: int | None = None  # the checkpoint signed after a passing run

    @property
    def status(self) -> str:
        """ok; rolled_back (the only problems: witnessed trees lost to a recorded restore
        that no one has acknowledged); tampered (anything else)."""
        if self.ok:
            return "ok"
        only_rollback = self.problem_count == len(self.problems) and all(
            p.kind == "rollback" for p in self.problems
        )
        return "rolled_back" if only_rollback else "tampered"

    def add(self, kind: str, seq: int | None, message: str, checkpoint: int | None = None) -> None:
        self.ok = False
        self.problem_count += 1
        if seq is not None and (self.first_bad_seq is None or seq < self.first_bad_seq):
            self.first_bad_seq = seq
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(kind, seq, message, checkpoint))

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["events_per_second"] = round(self.events / self.seconds) if self.seconds else None
        d["status"] = self.status
        return d


@dataclass
class _External:
    label: str
    note: checkpoints.Note


CHUNK = 1 << 16  # leaves per read; a power of two so that chunks are perfect subtrees


def verify_log(
    *,
    external: list[tuple[str, str]] | None = None,
    vkey: str | None = None,
    progress: Callable[[int], None] | None = None,
    save: bool = True,
    workers: int | None = None,
    chunk: int = CHUNK,
) -> Report:
    """Check the whole log. `external`: (label, note text) checkpoints kept outside.

    `workers` > 1 spreads the hashing over processes (default: one per CPU, up to 4, when
    the database is one other processes can read — not inside a transaction, not an
    in-memory SQLite database)."""
    started = time.perf_counter()
    report = Report()
    cps = list(Checkpoint.objects.order_by("id"))
    report.checkpoints = len(cps)
    exts: list[_External] = []
    for label, text in external or []:
        try:
            exts.append(_External(label, checkpoints.verify_note(text, vkey)))
        except checkpoints.NoteInvalid as exc:
            report.add("external", None, f"{label}: {exc.detail}")
    witnessed = witness.read_entries() if witness.directory() is not None else []
    wanted = (
        {cp.tree_size for cp in cps}
        | {e.note.tree_size for e in exts}
        | {e.tree_size for e in witnessed if e.note is not None}
    )
    if chunk <= 0 or chunk & (chunk - 1):
        raise ValueError("chunk must be a power of two")
    v = _Verifier(report, wanted, chunk)
    v.run(cps, progress, _workers(workers))
    roots, size = v.roots, v.f.size
    report.tree_size = size
    report.root_hash = v.f.root().hex()
    matched = _check_checkpoints(report, cps, roots)
    for e in exts:
        got = roots.get(e.note.tree_size)
        if got is None:
            report.add("external", size + 1, f"{e.label}: size {e.note.tree_size} exceeds the log")
        elif got != e.note.root_hash:
            good = max((s for s in matched if s < e.note.tree_size), default=0)
            first = None if _explained(report, good, e.note.tree_size) else good + 1
            report.add("external", first, f"{e.label}: root at size {e.note.tree_size} differs")
    _check_witness(report, witnessed, roots, matched)
    report.seconds = time.perf_counter() - started
    if save:
        run = VerificationRun.objects.create(
            started_at=clock.now(),
            seconds=report.seconds,
            ok=report.ok,
            tree_size=report.tree_size,
            checkpoints=report.checkpoints,
            first_bad_seq=report.first_bad_seq,
            problems=[asdict(p) for p in report.problems[:20]],
        )
        report.run_id = run.pk
    return report


class _Verifier:
    """Walks the leaves in aligned perfect pieces (2^k leaves starting at a multiple of
    2^k). The fast path hashes a whole piece with list comprehensions and compares it, laid
    out in in-order position, with the stored nodes of the piece in one equality test. A
    piece that differs in any way is walked again leaf by leaf (`slow`), which names what is
    wrong. Nodes above a piece are collected and compared at the end in bulk."""

    def __init__(self, report: Report, wanted: set[int], chunk: int = CHUNK) -> None:
        self.chunk_size = chunk
        self.vendor = connection.vendor
        self.report = report
        self.wanted = wanted
        self.wanted_sorted = sorted(wanted)
        self.roots: dict[int, bytes] = {0: merkle.EMPTY_ROOT} if 0 in wanted else {}
        self.f = merkle.Frontier()
        self.upper: list[tuple[int, bytes]] = []
        self.bad_leaves: list[int] = []  # increasing leaf indices already reported

    @property
    def cur(self) -> Any:
        if self._cur is None:
            self._cur = connection.cursor()
        return self._cur

    _cur: Any = None

    def run(
        self, cps: list[Checkpoint], progress: Callable[[int], None] | None, workers: int
    ) -> None:
        head = tree.read_head(self.cur)
        self.cur.execute("SELECT COUNT(*), COALESCE(MAX(seq), 0) FROM audit_event")
        count, top = (int(x) for x in self.cur.fetchone())
        self.report.events = count
        size = self.chunk_size
        chunks = [(a, min(a + size, top)) for a in range(0, top, size)]
        if workers > 1 and len(chunks) > 1:
            self._cur.close()
            self._cur = None
            connections.close_all()  # children must not share the parent's connection
            ctx = multiprocessing.get_context("fork")
            with ctx.Pool(workers, initializer=_child_init) as pool:
                jobs = [(a, b, sorted(w for w in self.wanted if a < w <= b)) for a, b in chunks]
                for a, b, pieces, n in pool.imap(_chunk_job, jobs):
                    if pieces is None:
                        self.chunk(a, b)  # something differs: find out what, here
                    else:
                        for _s, k, root, inner in pieces:
                            for size, hashes in inner.items():
                                self.roots[size] = merkle.root_from_hashes([*self.f.stack, *hashes])
                            self.upper.extend(self.f.push_subtree(k, root))
                    if progress:
                        progress(n)
        else:
            for a, b in chunks:
                n = self.chunk(a, b)
                if progress:
                    progress(n)
        self.finish(head, cps)
        self.cur.close()

    def chunk(self, a: int, b: int) -> int:
        rows = tree.leaf_bytes_rows(self.cur, self.vendor, a, b)
        for s, k, part in _split(a, b, rows):
            self.piece(s, k, part)
        return len(rows)

    def piece(self, s: int, k: int, rows: list[tuple[int, bytes]]) -> None:
        fast = _fast_piece(self.cur, s, k, rows)
        if fast is None:
            self.slow(s, k, rows)
            return
        root, levels = fast
        lo = bisect.bisect_right(self.wanted_sorted, s)
        hi = bisect.bisect_right(self.wanted_sorted, s + (1 << k))
        for size in self.wanted_sorted[lo:hi]:
            self.roots[size] = merkle.root_from_hashes([*self.f.stack, *_inner(levels, s, k, size)])
        self.upper.extend(self.f.push_subtree(k, root))

    def slow(self, s: int, k: int, rows: list[tuple[int, bytes]]) -> None:
        report = self.report
        e = s + (1 << k)
        pending = tree.read_node_range(self.cur, 2 * s, 2 * e - 1)
        expected = s + 1
        for seq, data in [*rows, (e + 1, b"")]:
            while expected < seq and expected <= e:  # a gap: events deleted
                report.add("missing", expected, f"event {expected} is missing")
                self.bad_leaves.append(expected - 1)
                self._push(s, pending.pop(2 * (expected - 1), bytes(32)), pending)
                expected += 1
            if seq > e:
                break
            leaf = merkle.leaf_hash(data)
            stored: bytes | None = pending.pop(2 * (seq - 1), None)
            if stored != leaf and stored is not None and self.vendor == "sqlite":
                leaf = _python_leaf(self.cur, self.vendor, seq)  # the exact encoder decides
            if stored != leaf:
                self.bad_leaves.append(seq - 1)
                if stored is None:
                    report.add("unhashed", seq, f"event {seq} has no stored leaf hash")
                else:
                    report.add("altered", seq, f"event {seq} does not match its leaf hash")
            # push the stored leaf: chain (2) checks the stored tree on its own
            self._push(s, stored or leaf, pending)
            expected = seq + 1
        if pending:
            report.add("node", None, f"{len(pending)} stored node(s) belong to no leaf")

    def _push(self, s: int, leaf: bytes, pending: dict[int, bytes]) -> None:
        for nid, h in self.f.push(leaf)[1:]:
            level, first = _node_span(nid)
            if first < s:  # spans earlier pieces: compared at the end
                self.upper.append((nid, h))
            elif pending.pop(nid, None) != h and not self._covers_bad(nid):
                self.report.add(
                    "node", first + 1, f"stored node {nid} (level {level}) does not match"
                )
        if self.f.size in self.wanted:
            self.roots[self.f.size] = self.f.root()

    def _covers_bad(self, nid: int) -> bool:
        level, first = _node_span(nid)
        i = bisect.bisect_left(self.bad_leaves, first)
        return i < len(self.bad_leaves) and self.bad_leaves[i] < first + (1 << level)

    def finish(self, head: tuple[int, bytes] | None, cps: list[Checkpoint]) -> None:
        report, f, cur = self.report, self.f, self.cur
        if self.upper:
            stored = tree.read_nodes(cur, [nid for nid, _ in self.upper])
            for nid, h in self.upper:
                if stored.get(nid) != h and not self._covers_bad(nid):
                    level, first = _node_span(nid)
                    report.add(
                        "node", first + 1, f"stored node {nid} (level {level}) does not match"
                    )
        stored_size, stored_frontier = head if head else (0, b"")
        # leaves beyond the last event: the log was cut short (events deleted at the end)
        cur.execute("SELECT MAX(id) FROM audit_node WHERE id >= %s", [2 * f.size])
        top = cur.fetchone()[0]
        tail = max(stored_size, max((cp.tree_size for cp in cps), default=0))
        if top is not None:
            tail = max(tail, int(top) // 2 + 1)
        if tail > f.size:
            report.add(
                "truncated",
                f.size + 1,
                f"events {f.size + 1}..{tail} are missing (the log was cut short)",
            )
            # finish the stored tree from its stored leaves so checkpoints can be checked
            more = tree.read_node_range(cur, 2 * f.size, 2 * tail)
            while f.size < tail and (leaf := more.get(2 * f.size)) is not None:
                f.push(leaf)
                if f.size in self.wanted:
                    self.roots[f.size] = f.root()
            return
        if stored_size != f.size or stored_frontier != f.blob():
            report.add("head", None, "the head row does not match the recomputed tree")
        cur.execute("SELECT COUNT(*) FROM audit_node WHERE id < %s", [2 * f.size])
        if int(cur.fetchone()[0]) > 2 * f.size - f.size.bit_count():
            report.add("node", None, "the tree holds stored nodes that belong to no leaf")


def _fast_piece(
    cur: Any, s: int, k: int, rows: list[tuple[int, bytes]]
) -> tuple[bytes, list[list[bytes]]] | None:
    """Hash the perfect piece [s, s + 2^k) and compare every stored node of it at once;
    (root, hashes per level) when all agree, None when anything differs or is missing."""
    n = 1 << k
    if len(rows) != n or rows[0][0] != s + 1 or rows[-1][0] != s + n:
        return None
    span = 2 * n - 1  # the piece's own nodes have in-order ids 2s .. 2s + span - 1
    cur.execute(
        "SELECT hash FROM audit_node WHERE id >= %s AND id < %s ORDER BY id",
        [2 * s, 2 * s + span],
    )
    stored = [bytes(r[0]) for r in cur.fetchall()]
    if len(stored) != span:
        return None
    sha = merkle._sha256
    lp, np_ = merkle.LEAF_PREFIX, merkle.NODE_PREFIX
    level = [sha(lp + d).digest() for _, d in rows]
    inorder: list[bytes] = [b""] * span
    inorder[0::2] = level
    levels = [level]
    for lv in range(1, k + 1):
        level = [sha(np_ + x + y).digest() for x, y in zip(level[0::2], level[1::2], strict=True)]
        inorder[(1 << lv) - 1 :: 1 << (lv + 1)] = level
        levels.append(level)
    if inorder != stored:
        return None
    return level[0], levels


def _inner(levels: list[list[bytes]], s: int, k: int, size: int) -> list[bytes]:
    """Perfect subtrees inside the piece that cover its first `size - s` leaves."""
    off, out = size - s, []
    for lv in range(k, -1, -1):
        if off >> lv & 1:
            out.append(levels[lv][(off >> lv) - 1])
    return out


def _split(
    a: int, b: int, rows: list[tuple[int, bytes]]
) -> list[tuple[int, int, list[tuple[int, bytes]]]]:
    out, i = [], 0
    seqs = [r[0] for r in rows]
    for s, k in _pieces(a, b):
        j = bisect.bisect_right(seqs, s + (1 << k), lo=i)
        out.append((s, k, rows[i:j]))
        i = j
    return out


def _workers(requested: int | None) -> int:
    if requested is not None:
        return max(1, requested)
    name = str(connection.settings_dict.get("NAME") or "")
    if connection.in_atomic_block or (
        connection.vendor == "sqlite" and (not name or "memory" in name)
    ):
        return 1
    return max(1, min(4, os.cpu_count() or 1))


def _child_init() -> None:
    for conn in connections.all(initialized_only=True):
        conn.connection = None  # inherited from the parent: never use it here


def _chunk_job(
    job: tuple[int, int, list[int]],
) -> tuple[int, int, list[tuple[int, int, bytes, dict[int, list[bytes]]]] | None, int]:
    """In a worker process: the fast check of one chunk (None when it needs a closer look)."""
    a, b, wanted = job
    with connection.cursor() as cur:
        rows = tree.leaf_bytes_rows(cur, connection.vendor, a, b)
        pieces = []
        for s, k, part in _split(a, b, rows):
            fast = _fast_piece(cur, s, k, part)
            if fast is None:
                connection.close()
                return a, b, None, len(rows)
            root, levels = fast
            inner = {w: _inner(levels, s, k, w) for w in wanted if s < w <= s + (1 << k)}
            pieces.append((s, k, root, inner))
    connection.close()
    return a, b, pieces, len(rows)


def _pieces(a: int, b: int) -> list[tuple[int, int]]:
    """[a, b) as aligned perfect pieces (start, level), largest first (a is aligned)."""
    out, s = [], a
    for lv in range((b - a).bit_length() - 1, -1, -1):
        if (b - a) >> lv & 1:
            out.append((s, lv))
            s += 1 << lv
    return out


def _node_span(nid: int) -> tuple[int, int]:
    """(level, first leaf index) of the node with in-order id `nid`."""
    level = ((nid + 1) & -(nid + 1)).bit_length() - 1
    return level, (nid + 1 - (1 << level)) >> 1


def _python_leaf(cur: Any, vendor: str, seq: int) -> bytes:
    rows = tree.canonical_rows(cur, vendor, seq - 1, 1)
    return merkle.leaf_hash(canonical.leaf_bytes(rows[0]))


def _check_checkpoints(report: Report, cps: list[Checkpoint], roots: dict[int, bytes]) -> set[int]:
    """Check signatures, roots and consistency; return the sizes whose roots matched."""
    matched: set[int] = set()
    try:
        pub = checkpoints.public_key(create=False)
    except Exception:  # no key file: every signature fails below
        pub = None
    good_size = 0  # largest checkpoint size whose root matched so far
    prev: Checkpoint | None = None
    for cp in cps:
        root = bytes(cp.root_hash)
        if pub is None or not checkpoints.signature_ok(cp, pub):
            report.add("signature", None, f"checkpoint {cp.pk}: bad signature", cp.pk)
        got = roots.get(cp.tree_size)
        if got is None:
            report.add(
                "checkpoint",
                report.tree_size + 1,
                f"checkpoint {cp.pk} covers {cp.tree_size} events; the log has fewer",
                cp.pk,
            )
        elif got != root:
            # the stored tree was rewritten consistently: the damage is after `good_size`
            first = None if _explained(report, good_size, cp.tree_size) else good_size + 1
            report.add(
                "checkpoint",
                first,
                f"checkpoint {cp.pk}: the tree of size {cp.tree_size} has another root",
                cp.pk,
            )
        else:
            good_size = max(good_size, cp.tree_size)
            matched.add(cp.tree_size)
        if prev is not None:
            _check_consistency(report, prev, cp)
        prev = cp
    return matched


def _explained(report: Report, lo: int, hi: int) -> bool:
    return report.first_bad_seq is not None and lo < report.first_bad_seq <= hi


def _check_consistency(report: Report, a: Checkpoint, b: Checkpoint) -> None:
    if b.tree_size < a.tree_size:
        report.add(
            "consistency",
            None,
            f"checkpoint {b.pk} is smaller than checkpoint {a.pk} before it",
            b.pk,
        )
        return
    if a.tree_size == 0:
        return  # every tree extends the empty tree
    try:
        proof = consistency_proof(a.tree_size, b.tree_size).proof
        merkle.verify_consistency(
            a.tree_size, b.tree_size, proof, bytes(a.root_hash), bytes(b.root_hash)
        )
    except (merkle.ProofError, ProofUnavailable, tree.TreeCorrupt) as exc:
        report.add(
            "consistency",
            None,
            f"checkpoints {a.pk} → {b.pk} are not consistent: {exc}",
            b.pk,
        )


def _check_witness(
    report: Report, entries: list[witness.Entry], roots: dict[int, bytes], matched: set[int]
) -> None:
    """The log must still hold every tree the witness directory saw (a missing, shorter or
    different tree is tampering), except trees lost to a restore: those are reported as a
    rollback until `baomi audit acknowledge-restore` supersedes them (a signed ``restore_ack``
    line whose own tree the log still holds)."""
    from .models import Action, AuditEvent

    size = report.tree_size
    where = witness.path()
    info: dict[str, Any] = {"path": str(where) if where else None, "entries": 0}
    report.witness = info
    if where is None:
        info["state"] = "disabled"
        return
    valid = [e for e in entries if e.note is not None]
    info["entries"] = len(valid)
    for e in entries:
        if e.error:
            report.add("witness", None, f"witness line {e.line}: {e.error}")
    if not valid:
        info["state"] = "none"
        return

    def holds(e: witness.Entry) -> bool:
        return roots.get(e.tree_size) == e.root

    acks = [i for i, e in enumerate(valid) if e.kind == "restore_ack" and holds(e)]
    last_ack = acks[-1] if acks else -1
    restores = list(
        AuditEvent.objects.filter(action=Action.RESTORED).order_by("seq").values_list("seq", "at")
    )
    seen: set[tuple[int, bytes]] = set()
    for i, e in enumerate(valid):
        if holds(e) or (e.tree_size, e.root) in seen:
            continue
        seen.add((e.tree_size, e.root))
        when = e.signed_at.strftime("%Y-%m-%d %H:%M:%S UTC") if e.signed_at else "?"
        what = f"the witnessed tree of {e.tree_size} events (signed {when}, witness line {e.line})"
        lost = (
            f"the log has only {size} events"
            if e.tree_size > size
            else f"the log's first {e.tree_size} events have another root"
        )
        if i < last_ack:
            ack = valid[last_ack]
            report.superseded.append(
                {
                    "tree_size": e.tree_size,
                    "root_hash": e.root.hex(),
                    "signed_at": when,
                    "acknowledged_line": ack.line,
                    "acknowledged_by": str(ack.raw.get("by", "")),
                    "reason": str(ack.raw.get("reason", "")),
                }
            )
            continue
        later = [seq for seq, at in restores if e.signed_at is None or at >= e.signed_at]
        if later:
            info.setdefault("rolled_back", []).append(
                {
                    "tree_size": e.tree_size,
                    "root_hash": e.root.hex(),
                    "signed_at": when,
                    "line": e.line,
                    "restore_seq": later[0],
                }
            )
            report.add(
                "rollback",
                None,
                f"{what} is gone: {lost}. The database was restored from a backup "
                f"(system.restored, seq {later[0]}); if that restore was intended, "
                "acknowledge it with `baomi audit acknowledge-restore`",
            )
            continue
        if e.tree_size > size:
            report.add("witness", size + 1, f"{what} is missing: {lost} (events removed)")
        else:
            good = max((s for s in matched if s < e.tree_size), default=0)
            first = None if _explained(report, good, e.tree_size) else good + 1
            report.add("witness", first, f"{what} differs: {lost} (events rewritten)")
    latest = valid[-1]
    info["latest"] = {
        "tree_size": latest.tree_size,
        "root_hash": latest.root.hex(),
        "signed_at": latest.signed_at.isoformat() if latest.signed_at else None,
        "line": latest.line,
    }
    if holds(latest) and 0 < latest.tree_size <= size:
        _witness_consistency(report, latest, bytes.fromhex(report.root_hash))
    kinds = {p.kind for p in report.problems}
    info["state"] = (
        "tampered" if "witness" in kinds else "rolled_back" if "rollback" in kinds else "ok"
    )


def _witness_consistency(report: Report, e: witness.Entry, current: bytes) -> None:
    """RFC 6962: the newest witnessed tree is a prefix of the current one (a proof built
    from the stored nodes, checked against the witnessed root and the recomputed root)."""
    size = report.tree_size
    try:
        proof = consistency_proof(e.tree_size, size).proof if e.tree_size < size else []
        merkle.verify_consistency(e.tree_size, size, proof, e.root, current)
    except (merkle.ProofError, ProofUnavailable, tree.TreeCorrupt) as exc:
        report.add(
            "witness",
            None,
            f"no valid consistency proof from the witnessed tree of {e.tree_size} events "
            f"to the log's {size}: {exc}",
        )


# -- acknowledging a restore (moved from audit.witness: it verifies, so it lives here) --
class AcknowledgeRefused(Exception):
    """Nothing to acknowledge, or problems a restore does not explain."""


def acknowledge_restore(by: str, reason: str, os_user: str = "") -> tuple[Any, dict[str, Any]]:
    """Accept that witnessed trees were lost to a recorded restore. Runs a full verify
    first and refuses unless the only problems are such rollbacks. Then, in one
    transaction, logs `audit.restore_acknowledged` (who, why, which witnessed trees) and
    signs a checkpoint over it, witnessed as a ``restore_ack`` line: from then on `verify`
    reports those trees as superseded. The acknowledgement is itself evidence: it is in the
    log, in the witness file and raises an alert; removing it from the database makes the
    witnessed acknowledgement tree go missing, which is tampering."""
    report = verify_log(save=False)
    if report.status == "ok":
        raise AcknowledgeRefused("nothing to acknowledge: the log holds every witnessed checkpoint")
    if report.status != "rolled_back":
        raise AcknowledgeRefused(
            "the log has problems that a restore does not explain; an acknowledgement cannot "
            "clear them (run `baomi audit verify`)"
        )
    lost = list(report.witness.get("rolled_back", []))
    detail = {
        "by": by[:150],
        "os_user": os_user[:64],
        "reason": reason[:300],
        "restore_seq": max((x["restore_seq"] for x in lost), default=None),
        "superseded_count": len(lost),
        "superseded": [
            {"tree_size": x["tree_size"], "root_hash": x["root_hash"]} for x in lost[:20]
        ],
    }
    with transaction.atomic():
        event = record(Action.RESTORE_ACKNOWLEDGED, None, object_type="audit_log", detail=detail)
        cp = checkpoints.make_checkpoint(
            "acknowledge",
            extra={
                "by": detail["by"],
                "os_user": detail["os_user"],
                "reason": detail["reason"],
                "event_seq": event.seq,
                "superseded": detail["superseded"],
            },
        )
    return cp, detail
