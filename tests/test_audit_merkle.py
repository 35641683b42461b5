"""RFC 6962 hashing and proofs: the transparency-dev/merkle test vectors and a brute-force
cross-check of the proof construction used by the audit log (no database)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from baomi.audit import merkle


def _vectors_dir() -> Path | None:
    for candidate in (
        Path(__file__).resolve().parents[2] / "shared" / "data" / "rfc6962",
        Path("/work/shared/data/rfc6962"),
    ):
        if candidate.is_dir():
            return candidate
    return None


VECTORS = _vectors_dir()
needs_vectors = pytest.mark.skipif(VECTORS is None, reason="rfc6962 test vectors not found")


def _cases(kind: str) -> list[Any]:
    if VECTORS is None:
        return []
    return [
        pytest.param(json.loads(p.read_text()), id=str(p.relative_to(VECTORS / kind)))
        for p in sorted((VECTORS / kind).rglob("*.json"))
    ]


def _b(value: str | None) -> bytes:
    return base64.b64decode(value) if value else b""


@needs_vectors
def test_the_vector_set_is_complete() -> None:
    assert len(_cases("inclusion")) >= 90
    assert len(_cases("consistency")) >= 90
    assert any(not c.values[0]["wantErr"] for c in _cases("inclusion"))
    assert any(not c.values[0]["wantErr"] for c in _cases("consistency"))


@needs_vectors
@pytest.mark.parametrize("case", _cases("inclusion"))
def test_inclusion_vectors(case: dict[str, Any]) -> None:
    proof = [_b(p) for p in case["proof"] or []]
    args = (case["leafIdx"], case["treeSize"], _b(case["leafHash"]), proof, _b(case["root"]))
    if case["wantErr"]:
        with pytest.raises(merkle.ProofError):
            merkle.verify_inclusion(*args)
    else:
        merkle.verify_inclusion(*args)


@needs_vectors
@pytest.mark.parametrize("case", _cases("consistency"))
def test_consistency_vectors(case: dict[str, Any]) -> None:
    proof = [_b(p) for p in case["proof"] or []]
    args = (case["size1"], case["size2"], proof, _b(case["root1"]), _b(case["root2"]))
    if case["wantErr"]:
        with pytest.raises(merkle.ProofError):
            merkle.verify_consistency(*args)
    else:
        merkle.verify_consistency(*args)


# -- reference implementation straight from RFC 6962 §2.1 -------------------------------------
def _mth(d: list[bytes]) -> bytes:
    if not d:
        return merkle.EMPTY_ROOT
    if len(d) == 1:
        return merkle.leaf_hash(d[0])
    k = merkle.split_point(len(d))
    return merkle.node_hash(_mth(d[:k]), _mth(d[k:]))


def _path(m: int, d: list[bytes]) -> list[bytes]:
    if len(d) <= 1:
        return []
    k = merkle.split_point(len(d))
    if m < k:
        return [*_path(m, d[:k]), _mth(d[k:])]
    return [*_path(m - k, d[k:]), _mth(d[:k])]


def _subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    n = len(d)
    if m == n:
        return [] if b else [_mth(d)]
    k = merkle.split_point(n)
    if m <= k:
        return [*_subproof(m, d[:k], b), _mth(d[k:])]
    return [*_subproof(m - k, d[k:], False), _mth(d[:k])]


def _stored(d: list[bytes]) -> tuple[merkle.Frontier, dict[int, bytes]]:
    f, nodes = merkle.Frontier(), {}
    for x in d:
        nodes.update(f.push(merkle.leaf_hash(x)))
    return f, nodes


def test_the_rfc_examples_and_empty_tree() -> None:
    assert merkle.compute_root([]).hex() == (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )
    # the 8-leaf tree of the vectors (leaves are the RFC 6962 test inputs)
    leaves = [
        b"",
        b"\x00",
        b"\x10",
        b"\x20\x21",
        b"\x30\x31",
        b"\x40\x41\x42\x43",
        b"\x50\x51\x52\x53\x54\x55\x56\x57",
        b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
    ]
    assert base64.b64encode(_mth(leaves)).decode() == (
        "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg="
    )
    assert merkle.compute_root(merkle.leaf_hash(x) for x in leaves) == _mth(leaves)


def test_stored_nodes_give_the_rfc_proofs_for_every_size_up_to_70() -> None:
    for n in range(1, 71):
        d = [n.to_bytes(2, "big") + i.to_bytes(2, "big") for i in range(n)]
        f, nodes = _stored(d)
        root = _mth(d)
        assert f.root() == root
        assert merkle.resolve(merkle.root_term(n), nodes) == root
        assert merkle.root_from_hashes([nodes[i] for i in merkle.frontier_terms(n)]) == root
        for i in range(n):
            proof = [merkle.resolve(t, nodes) for t in merkle.inclusion_terms(i, n)]
            assert proof == _path(i, d)
            merkle.verify_inclusion(i, n, merkle.leaf_hash(d[i]), proof, root)
        for m in range(1, n + 1):
            proof = [merkle.resolve(t, nodes) for t in merkle.consistency_terms(m, n)]
            assert proof == (_subproof(m, d, True) if m < n else [])
            merkle.verify_consistency(m, n, proof, _mth(d[:m]), root)


def test_proofs_need_only_logarithmically_many_stored_nodes() -> None:
    n = 1_000_003
    for i in (0, 1, n // 2, n - 2, n - 1):
        ids = merkle.term_ids(
            [*merkle.inclusion_terms(i, n), merkle.root_term(n), merkle.node_id(0, i)]
        )
        assert len(ids) <= 3 * n.bit_length()
    assert len(merkle.term_ids(merkle.consistency_terms(777_777, n))) <= 3 * n.bit_length()


def test_a_stored_node_is_written_once_and_amortised_constant() -> None:
    f, writes = merkle.Frontier(), 0
    for i in range(4096):
        writes += len(f.push(merkle.leaf_hash(i.to_bytes(4, "big"))))
    assert writes == 2 * 4096 - 1  # every perfect subtree exactly once
    assert f.blob() == f.stack[0] and merkle.Frontier.from_blob(4096, f.blob()).root() == f.root()


def test_tampered_proofs_are_refused() -> None:
    d = [bytes([i]) for i in range(13)]
    _, nodes = _stored(d)
    root = _mth(d)
    proof = [merkle.resolve(t, nodes) for t in merkle.inclusion_terms(5, 13)]
    bad = [*proof]
    bad[1] = bytes([bad[1][0] ^ 1]) + bad[1][1:]
    for args in (
        (5, 13, merkle.leaf_hash(d[5]), bad, root),
        (4, 13, merkle.leaf_hash(d[5]), proof, root),
        (5, 8, merkle.leaf_hash(d[5]), proof, root),
        (5, 13, merkle.leaf_hash(d[6]), proof, root),
        (5, 13, merkle.leaf_hash(d[5]), proof[:-1], root),
        (5, 13, merkle.leaf_hash(d[5]), [*proof, root], root),
    ):
        with pytest.raises(merkle.ProofError):
            merkle.verify_inclusion(*args)
    cons = [merkle.resolve(t, nodes) for t in merkle.consistency_terms(6, 13)]
    with pytest.raises(merkle.ProofError):
        merkle.verify_consistency(6, 13, cons, _mth(d[:6]), _mth(d[:12]))
    with pytest.raises(merkle.ProofError):
        merkle.verify_consistency(7, 13, cons, _mth(d[:7]), root)
