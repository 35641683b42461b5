"""RFC 6962 Merkle tree hashing, proofs and their verification (no database here).

* leaf hash  = SHA-256(0x00 || leaf bytes)
* node hash  = SHA-256(0x01 || left || right)
* MTH({})    = SHA-256("")
* MTH(D[n])  = H(MTH(D[0:k]), MTH(D[k:n])) with k the largest power of two < n.

Storage: every node of the tree whose subtree is *perfect* (2^level leaves, aligned) is
stored once, keyed by its in-order position ``node_id(level, index)`` (leaf i is 2i, the
parent of leaves 0 and 1 is 1, …). Every hash an RFC 6962 proof needs is either such a
node or the hash of a right-edge subtree, which is the fold of at most log2(n) perfect
subtrees. So proofs are built in two steps: `*_terms` say which stored nodes are needed
(O(log n) ids, fetched in one query) and `resolve` combines them.

The verifiers (`verify_inclusion`, `verify_consistency`) follow transparency-dev/merkle
(proof/verify.go) and are what the tests run against ../shared/data/rfc6962.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import TypeAlias

HASH_SIZE = 32
LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
EMPTY_ROOT = hashlib.sha256(b"").digest()

_sha256 = hashlib.sha256


class ProofError(ValueError):
    """A proof does not verify (wrong size, wrong hash, mismatching root...)."""


def leaf_hash(data: bytes) -> bytes:
    return _sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return _sha256(NODE_PREFIX + left + right).digest()


def node_id(level: int, index: int) -> int:
    """In-order position of the perfect subtree (level, index): leaves are even numbers."""
    return (index << (level + 1)) + (1 << level) - 1


def split_point(n: int) -> int:
    """The largest power of two strictly smaller than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def _is_pow2(n: int) -> bool:
    return n > 0 and n & (n - 1) == 0


# -- symbolic subtree hashes: an int is a stored node id, a tuple is H(left, right) -------
Term: TypeAlias = int | tuple["Term", "Term"]


def subtree_term(start: int, end: int) -> Term:
    """MTH(D[start:end]) for a subtree of the RFC 6962 tree (start aligned as it always is)."""
    n = end - start
    if _is_pow2(n):
        level = n.bit_length() - 1
        return node_id(level, start >> level)
    k = split_point(n)
    return (subtree_term(start, start + k), subtree_term(start + k, end))


def root_term(size: int) -> Term | None:
    return subtree_term(0, size) if size else None


def inclusion_terms(index: int, size: int) -> list[Term]:
    """PATH(index, D[0:size]) of RFC 6962 §2.1.1, bottom-up."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is outside a tree of size {size}")
    out: list[Term] = []
    start, end = 0, size
    # walk down from the root, collecting siblings; reverse at the end (bottom-up order)
    while end - start > 1:
        k = split_point(end - start)
        if index - start < k:
            out.append(subtree_term(start + k, end))
            end = start + k
        else:
            out.append(subtree_term(start, start + k))
            start = start + k
    out.reverse()
    return out


def consistency_terms(size1: int, size2: int) -> list[Term]:
    """PROOF(size1, D[0:size2]) of RFC 6962 §2.1.2 (0 < size1 < size2), bottom-up."""
    if not 0 < size1 <= size2:
        raise ProofError(f"no consistency proof from size {size1} to size {size2}")
    if size1 == size2:
        return []
    out: list[Term] = []
    start, end, complete = 0, size2, True
    while True:
        n, m = end - start, size1 - start
        if m == n:
            if not complete:
                out.append(subtree_term(start, end))
            break
        k = split_point(n)
        if m <= k:
            out.append(subtree_term(start + k, end))
            end = start + k
        else:
            out.append(subtree_term(start, start + k))
            start, complete = start + k, False
    out.reverse()
    return out


def term_ids(terms: Iterable[Term | None]) -> set[int]:
    ids: set[int] = set()
    stack: list[Term | None] = list(terms)
    while stack:
        t = stack.pop()
        if t is None:
            continue
        if isinstance(t, int):
            ids.add(t)
        else:
            stack.extend(t)
    return ids


def resolve(term: Term | None, nodes: Mapping[int, bytes]) -> bytes:
    """The hash a term stands for, from stored nodes (KeyError if one is missing)."""
    if term is None:
        return EMPTY_ROOT
    if isinstance(term, int):
        return bytes(nodes[term])
    return node_hash(resolve(term[0], nodes), resolve(term[1], nodes))


# -- streaming construction (appends and full verification) --
class Frontier:
    """The right edge of a growing tree: the roots of its perfect subtrees, largest first.

    ``push`` appends a leaf hash and returns the nodes it completes as (node id, hash):
    the leaf itself and on average one interior node — amortised O(1) writes per append.
    """

    __slots__ = ("size", "stack")

    def __init__(self, size: int = 0, stack: list[bytes] | None = None) -> None:
        self.size = size
        self.stack = list(stack or [])
        if len(self.stack) != size.bit_count():
            raise ValueError("frontier does not match the tree size")

    @classmethod
    def from_blob(cls, size: int, blob: bytes) -> Frontier:
        blob = bytes(blob)
        return cls(size, [blob[i : i + HASH_SIZE] for i in range(0, len(blob), HASH_SIZE)])

    def blob(self) -> bytes:
        return b"".join(self.stack)

    def push(self, leaf: bytes) -> list[tuple[int, bytes]]:
        i = self.size
        stack = self.stack
        out = [(i << 1, leaf)]
        h = leaf
        level = 0
        while (i >> level) & 1:
            h = _sha256(NODE_PREFIX + stack.pop() + h).digest()
            level += 1
            out.append((node_id(level, i >> level), h))
        stack.append(h)
        self.size = i + 1
        return out

    def push_subtree(self, level: int, h: bytes) -> list[tuple[int, bytes]]:
        """Append a whole perfect subtree of 2^level leaves (size must be a multiple of it);
        returns the nodes above it that this completes."""
        n = self.size
        if n & ((1 << level) - 1):
            raise ValueError("a subtree must start at a multiple of its size")
        stack, out = self.stack, []
        lv = level
        while (n >> lv) & 1:
            h = _sha256(NODE_PREFIX + stack.pop() + h).digest()
            lv += 1
            out.append((node_id(lv, n >> lv), h))
        stack.append(h)
        self.size = n + (1 << level)
        return out

    def root(self) -> bytes:
        if not self.stack:
            return EMPTY_ROOT
        it = reversed(self.stack)
        h = next(it)
        for left in it:
            h = node_hash(left, h)
        return h

    def copy(self) -> Frontier:
        return Frontier(self.size, self.stack)


def frontier_terms(size: int) -> list[int]:
    """Node ids of the perfect subtrees that make up D[0:size], largest first."""
    ids, start = [], 0
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            ids.append(node_id(level, start >> level))
            start += 1 << level
    return ids


def root_from_hashes(hashes: Sequence[bytes]) -> bytes:
    """Fold perfect-subtree roots (largest first) into the tree root."""
    if not hashes:
        return EMPTY_ROOT
    h = bytes(hashes[-1])
    for left in reversed(hashes[:-1]):
        h = node_hash(bytes(left), h)
    return h


# -- verification (transparency-dev/merkle proof/verify.go) -------------------------------
def _check_hash(name: str, value: bytes) -> None:
    if len(value) != HASH_SIZE:
        raise ProofError(f"{name} has {len(value)} bytes, want {HASH_SIZE}")


def _decomp(index: int, size: int) -> tuple[int, int]:
    inner = (index ^ (size - 1)).bit_length()
    border = (index >> inner).bit_count()
    return inner, border


def _chain_inner(seed: bytes, proof: Sequence[bytes], index: int) -> bytes:
    for i, h in enumerate(proof):
        seed = node_hash(seed, h) if (index >> i) & 1 == 0 else node_hash(h, seed)
    return seed


def _chain_inner_right(seed: bytes, proof: Sequence[bytes], index: int) -> bytes:
    for i, h in enumerate(proof):
        if (index >> i) & 1 == 1:
            seed = node_hash(h, seed)
    return seed


def _chain_border_right(seed: bytes, proof: Sequence[bytes]) -> bytes:
    for h in proof:
        seed = node_hash(h, seed)
    return seed


def root_from_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    if index < 0 or index >= size:
        raise ProofError(f"index {index} is beyond size {size}")
    _check_hash("leaf hash", leaf)
    inner, border = _decomp(index, size)
    if len(proof) != inner + border:
        raise ProofError(f"wrong proof size {len(proof)}, want {inner + border}")
    for h in proof:
        _check_hash("proof element", h)
    res = _chain_inner(leaf, proof[:inner], index)
    return _chain_border_right(res, proof[inner:])


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes] | None, root: bytes
) -> None:
    """Raise ProofError unless `proof` shows leaf `index` is in the tree (size, root)."""
    got = root_from_inclusion(index, size, leaf, list(proof or []))
    if got != root:
        raise ProofError("calculated root does not match the expected root")


def verify_consistency(
    size1: int, size2: int, proof: Sequence[bytes] | None, root1: bytes, root2: bytes
) -> None:
    """Raise ProofError unless `proof` shows tree (size1, root1) is a prefix of (size2, root2).

    A proof *from* the empty tree proves nothing (every tree extends it), so size1 = 0 is
    refused, as the test vectors require; callers treat "no earlier checkpoint" themselves.
    """
    proof = list(proof or [])
    if size1 < 0 or size2 < size1:
        raise ProofError(f"size2 ({size2}) < size1 ({size1})")
    if size1 == 0:
        raise ProofError("a consistency check against the empty tree is meaningless")
    if size1 == size2:
        if proof:
            raise ProofError("size1 = size2 but the proof is not empty")
        if root1 != root2:
            raise ProofError("roots differ for equal tree sizes")
        return
    if not proof:
        raise ProofError("empty proof")
    for h in proof:
        _check_hash("proof element", h)
    inner, border = _decomp(size1 - 1, size2)
    shift = (size1 & -size1).bit_length() - 1
    inner -= shift
    if size1 == 1 << shift:
        seed, start = root1, 0
    else:
        seed, start = proof[0], 1
    if len(proof) != start + inner + border:
        raise ProofError(f"wrong proof size {len(proof)}, want {start + inner + border}")
    rest = proof[start:]
    mask = (size1 - 1) >> shift
    hash1 = _chain_border_right(_chain_inner_right(seed, rest[:inner], mask), rest[inner:])
    if hash1 != root1:
        raise ProofError("first root does not match")
    hash2 = _chain_border_right(_chain_inner(seed, rest[:inner], mask), rest[inner:])
    if hash2 != root2:
        raise ProofError("second root does not match")


def compute_root(leaves: Iterable[bytes]) -> bytes:
    f = Frontier()
    for leaf in leaves:
        f.push(leaf)
    return f.root()
