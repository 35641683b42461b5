"""A Fellegi–Sunter linkage engine: comparison levels, blocking, EM without labels, scores.

How it works (the Splink model, small):

1. Every field has a *kind* (name, text, code, number, date, email) that decides how two
   values compare: exact (level 0), close (1: a typo, a transposition, the same name in
   pinyin / traditional-simplified / surname-first order), fuzzy (2) or different (3);
   a missing value on either side gives no evidence at all.
2. Blocking proposes candidate pairs: records that share the value of a discriminating
   field, or of two less discriminating fields together. Which fields and pairs of fields
   is decided from the data (the expected number of pairs each key would produce), so the
   same settings work on any file — and on the stored customers, whose blocking keys are
   blind-index buckets (`pairs=` given by the caller), never plaintext.
3. u-probabilities (how often a level occurs by chance) come from random pairs; the
   m-probabilities (how often among true matches) and the share of matches among the
   candidates (λ) come from expectation–maximisation over the candidates' comparison
   patterns — no labels. A pair's match weight is log2(λ/(1−λ)) + Σ log2(m/u); its match
   probability is 2^w / (1 + 2^w).

Everything is computed on distinct comparison patterns (a few hundred), so EM costs
nothing; the work is the string comparisons, memoised per distinct value pair.
"""

from __future__ import annotations

import math
import random
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from itertools import combinations

from rapidfuzz.distance import DamerauLevenshtein, JaroWinkler

NULL = -1
LEVELS = 4  # 0 exact, 1 close, 2 fuzzy, 3 different


class FieldKind(StrEnum):
    NAME = "name"  # person names: pinyin, traditional/simplified, token order
    TEXT = "text"  # free text: addresses, street names, places
    CODE = "code"  # short codes: gender, state, nationality — equal or not
    NUMBER = "number"  # digit strings: phones, ID numbers, postcodes, house numbers
    DATE = "date"  # dates: typos, day/month swaps
    EMAIL = "email"
    # a number issued to one person (resident ID, passport): equal = one person, one or two
    # characters off = a typo, otherwise two people. A value may carry its scheme
    # ("cn_resident_id:1101…", "passport:E123…"): numbers of two schemes are not compared
    IDENTIFIER = "identifier"


_SPACES = re.compile(r"\s+")
_NUMBERED = re.compile(r"\d+")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def normalise(value: object) -> str:
    """NFKC, lower case, trimmed, inner spaces collapsed; '' for a missing value."""
    if value is None:
        return ""
    s = unicodedata.normalize("NFKC", str(value)).strip().lower()
    return _SPACES.sub(" ", s)


_NOT_ALNUM = re.compile(r"[\W_]+")


@lru_cache(maxsize=262_144)
def _digits(s: str) -> str:
    """Letters and digits only (what `str.isalnum` keeps); cached: a value meets many."""
    return _NOT_ALNUM.sub("", s)


_pinyin_cache: dict[str, str] = {}


def pinyin(s: str) -> str:
    """A Chinese name in toneless pinyin (張三 and 张三 both → 'zhang san'); other text as is."""
    if not _CJK.search(s):
        return s
    hit = _pinyin_cache.get(s)
    if hit is None:
        from pypinyin import lazy_pinyin

        hit = " ".join(p for p in lazy_pinyin(s) if p.strip())
        if len(_pinyin_cache) < 200_000:
            _pinyin_cache[s] = hit
    return hit


@lru_cache(maxsize=262_144)
def _name_variants(s: str) -> tuple[str, str]:
    p = pinyin(s)
    return p, " ".join(sorted(p.replace("·", " ").replace(",", " ").split()))


def _text_level(sim: float) -> int:
    return 1 if sim >= 0.92 else 2 if sim >= 0.80 else 3


def compare(kind: FieldKind, a: str, b: str) -> int:
    """Level of agreement of two normalised values (NULL when either is missing)."""
    if not a or not b:
        return NULL
    if a == b:
        return 0
    if kind is FieldKind.CODE:
        return 3
    if kind is FieldKind.NAME:
        pa, sa = _name_variants(a)
        pb, sb = _name_variants(b)
        if pa == pb or sa == sb or pa.replace(" ", "") == pb.replace(" ", ""):
            return 1  # same name written another way (script, order, spacing)
        sim = max(
            JaroWinkler.normalized_similarity(pa, pb), JaroWinkler.normalized_similarity(sa, sb)
        )
        return _text_level(sim)
    if kind is FieldKind.TEXT:
        return _text_level(JaroWinkler.normalized_similarity(a, b))
    if kind is FieldKind.EMAIL:
        la, _, da = a.partition("@")
        lb, _, db = b.partition("@")
        if la == lb:
            return 1
        if da == db and la != lb and _NUMBERED.sub("", la) == _NUMBERED.sub("", lb):
            # zhangwei123@ and zhangwei523@: numbered handles of one name are usually two
            # people's; one digit off is at most weak evidence
            return 2 if DamerauLevenshtein.distance(la, lb) <= 1 else 3
        if da == db and DamerauLevenshtein.distance(la, lb) <= 1:
            return 1
        return _text_level(JaroWinkler.normalized_similarity(a, b)) if da == db else 3
    if kind is FieldKind.IDENTIFIER:
        sa, _, a = a.rpartition(":")
        sb, _, b = b.rpartition(":")
        if sa != sb:
            return NULL  # a passport and a resident ID number say nothing of each other
        if sa in _CHECKSUMMED and a != b:
            # stored numbers passed their check digit (ISO 7064 MOD 11-2 catches every
            # single-digit error and adjacent swap): one a digit or two from another is
            # not a typo of it but another person's — e.g. two people born the same day
            # in one district, whose numbers differ only in the sequence digits
            return 3
    da, db = _digits(a), _digits(b)
    if da == db:
        return 0
    dist = DamerauLevenshtein.distance(da, db)
    if kind is FieldKind.DATE and len(da) == len(db) == 8:
        if da[:4] == db[:4] and da[4:6] == db[6:8] and da[6:8] == db[4:6]:
            return 1  # day and month swapped
        if dist <= 1:
            return 1
        return 2 if dist == 2 or da[:6] == db[:6] else 3
    if min(len(da), len(db)) < 4:  # a house number: one digit off is weak evidence
        return 2 if dist <= 1 else 3
    return 1 if dist <= 1 else 2 if dist == 2 else 3


@dataclass(frozen=True)
class Comparator:
    """One field: its column name and kind."""

    name: str
    kind: FieldKind


@dataclass(frozen=True)
class Pair:
    left: int  # row indices (into the left rows; into the right rows when linking two)
    right: int
    probability: float
    weight: float
    levels: tuple[int, ...]


# default m / u when there is too little data to estimate them (a handful of customers)
_DEFAULT_M = (0.88, 0.07, 0.03, 0.02)
# an identifier differs for one person only by a typo (close or fuzzy): "different" is rare
_IDENTIFIER_M = (0.96, 0.03, 0.009, 0.001)
_CHECKSUMMED = frozenset({"cn_resident_id"})  # schemes whose stored numbers are check-digit valid
_IDENTIFIER_MAX_DIFFER = 0.01  # EM may not learn that one person holds two ID numbers
_DEFAULT_U = {
    FieldKind.NAME: (0.002, 0.004, 0.03, 0.964),
    FieldKind.TEXT: (0.002, 0.004, 0.03, 0.964),
    FieldKind.CODE: (0.3, 1e-6, 1e-6, 0.7),
    FieldKind.NUMBER: (0.0005, 0.001, 0.005, 0.9935),
    FieldKind.DATE: (0.0005, 0.002, 0.02, 0.9775),
    FieldKind.EMAIL: (0.0005, 0.001, 0.005, 0.9935),
    FieldKind.IDENTIFIER: (0.0001, 0.0005, 0.001, 0.9984),
}
_FLOOR = 1e-6
_IDENTIFYING = frozenset({FieldKind.NUMBER, FieldKind.DATE, FieldKind.EMAIL, FieldKind.IDENTIFIER})
_RARE = 1e-3  # chance agreement of an identifier


@dataclass
class LinkModel:
    """m and u per field and level, and λ (prior share of matches among candidates)."""

    fields: tuple[Comparator, ...]
    m: list[list[float]] = field(default_factory=list)
    u: list[list[float]] = field(default_factory=list)
    prior: float = 0.1
    trained_on: int = 0  # candidate pairs EM saw (0: defaults)
    iterations: int = 0

    @classmethod
    def default(cls, fields: Sequence[Comparator]) -> LinkModel:
        return cls(
            tuple(fields),
            [list(_IDENTIFIER_M if f.kind is FieldKind.IDENTIFIER else _DEFAULT_M) for f in fields],
            [list(_DEFAULT_U[f.kind]) for f in fields],
        )

    # -- scoring ------------------------------------------------------------------------
    def weight(self, levels: Sequence[int]) -> float:
        w = math.log2(self.prior / (1 - self.prior))
        for i, lv in enumerate(levels):
            if lv != NULL:
                w += math.log2(max(self.m[i][lv], _FLOOR) / max(self.u[i][lv], _FLOOR))
        return w

    def probability(self, levels: Sequence[int]) -> float:
        w = self.weight(levels)
        return 1.0 / (1.0 + 2.0 ** (-w)) if w > -1000 else 0.0

    def plausible(self) -> bool:
        """A match model must call a pair that agrees on nothing a non-match and a pair
        that agrees exactly on everything a match — and, with five fields or more, a pair
        that agrees on any two fields and differs on all the others a non-match: two
        people who share a name and an address (a family, a dormitory; or a synthetic file
        whose names and streets come from one pool) are not one person. EM without labels
        explains such a correlation with the match class (conditional independence does not
        hold), learns that matches disagree on their phones and ID numbers, and then queues
        every namesake; the check refuses that model."""
        n = len(self.fields)
        differ, exact = LEVELS - 1, 0
        if not self.probability((differ,) * n) < 0.5 < self.probability((exact,) * n):
            return False
        if n < 5:
            return True
        for i, j in combinations(range(n), 2):
            levels = [differ] * n
            levels[i] = levels[j] = exact
            if self.probability(levels) >= 0.5:
                return False
        # three or more identifiers — numbers, dates, e-mails equal by chance in under one
        # pair in a thousand (ID number, phone, e-mail, birth date) — all different and
        # everything else the same: relatives at one address, not one person
        rare = [
            i
            for i, f in enumerate(self.fields)
            if f.kind in _IDENTIFYING and self.u[i][exact] < _RARE
        ]
        if len(rare) < 3:
            return True
        levels = [exact] * n
        for i in rare:
            levels[i] = differ
        return self.probability(levels) < 0.5

    # -- training -----------------------------------------------------------------------
    def estimate_u(self, sample: Iterable[tuple[int, ...]]) -> None:
        """u from comparison patterns of random pairs (nearly all non-matches)."""
        counts = [[1.0] * LEVELS for _ in self.fields]  # add-one smoothing
        for levels in sample:
            for i, lv in enumerate(levels):
                if lv != NULL:
                    counts[i][lv] += 1
        self.u = [[c / sum(row) for c in row] for row in counts]

    def estimate_m(self, patterns: Mapping[tuple[int, ...], int], max_iter: int = 60) -> None:
        """EM over the candidates' comparison patterns: m and λ (u stays fixed)."""
        total = sum(patterns.values())
        if total == 0:
            return
        items = list(patterns.items())
        for it in range(max_iter):
            acc = [[0.0] * LEVELS for _ in self.fields]
            matched = 0.0
            for levels, count in items:
                pm, pu = self.prior, 1 - self.prior
                for i, lv in enumerate(levels):
                    if lv != NULL:
                        pm *= max(self.m[i][lv], _FLOOR)
                        pu *= max(self.u[i][lv], _FLOOR)
                g = pm / (pm + pu) if pm + pu > 0 else 0.0
                matched += g * count
                for i, lv in enumerate(levels):
                    if lv != NULL:
                        acc[i][lv] += g * count
            new_prior = min(max(matched / total, 1e-9), 1 - 1e-9)
            new_m = [
                [max(a / sum(row), _FLOOR) for a in row] if sum(row) > 0 else list(self.m[i])
                for i, row in enumerate(acc)
            ]
            for f, row in zip(self.fields, new_m, strict=True):
                if f.kind is FieldKind.IDENTIFIER and row[-1] > _IDENTIFIER_MAX_DIFFER:
                    rest = sum(row[:-1]) or 1.0
                    scale = (1 - _IDENTIFIER_MAX_DIFFER) / rest
                    row[:-1] = [x * scale for x in row[:-1]]
                    row[-1] = _IDENTIFIER_MAX_DIFFER
            delta = abs(new_prior - self.prior) + max(
                abs(x - y)
                for r1, r2 in zip(new_m, self.m, strict=True)
                for x, y in zip(r1, r2, strict=True)
            )
            self.m, self.prior, self.iterations = new_m, new_prior, it + 1
            if delta < 1e-6:
                break
        self.trained_on = total


# -- blocking -------------------------------------------------------------------------------
def _block_cost(left: Counter[str], right: Counter[str] | None) -> int:
    if right is None:
        return sum(n * (n - 1) // 2 for n in left.values())
    return sum(n * right.get(k, 0) for k, n in left.items())


def blocking_keys(
    left: Sequence[Sequence[str]],
    right: Sequence[Sequence[str]] | None,
    fields: Sequence[Comparator],
    budget_per_row: int = 6,
) -> list[tuple[int, ...]]:
    """Field sets to block on, chosen from the data: each field whose shared values would
    yield at most `budget_per_row` × rows pairs, else each pair of fields that does
    (neither field of it usable alone). Codes block only together with another field."""
    n = len(left) + (len(right) if right is not None else 0)
    budget = max(budget_per_row * n, 5_000)

    def cost(cols: tuple[int, ...]) -> int:
        def keys(rows: Sequence[Sequence[str]]) -> Counter[str]:
            return Counter("\x1f".join(r[c] for c in cols) for r in rows if all(r[c] for c in cols))

        return _block_cost(keys(left), keys(right) if right is not None else None)

    singles: list[tuple[int, ...]] = [
        (i,) for i, f in enumerate(fields) if f.kind is not FieldKind.CODE and cost((i,)) <= budget
    ]
    alone = {c[0] for c in singles}
    rest = [i for i in range(len(fields)) if i not in alone]
    doubles: list[tuple[int, ...]] = [c for c in combinations(rest, 2) if cost(c) <= budget]
    return singles + doubles


def candidate_pairs(
    left: Sequence[Sequence[str]],
    right: Sequence[Sequence[str]] | None,
    keys: Sequence[tuple[int, ...]],
    max_block: int = 400,
) -> set[tuple[int, int]]:
    """Pairs (i, j) sharing the values of some blocking key; blocks larger than
    `max_block` rows on a side are skipped (a value nobody is identified by)."""
    out: set[tuple[int, int]] = set()
    for cols in keys:
        lb: dict[str, list[int]] = {}
        for i, r in enumerate(left):
            if all(r[c] for c in cols):
                lb.setdefault("\x1f".join(r[c] for c in cols), []).append(i)
        if right is None:
            for ids in lb.values():
                if 1 < len(ids) <= max_block:
                    out.update(combinations(ids, 2))
            continue
        rb: dict[str, list[int]] = {}
        for j, r in enumerate(right):
            if all(r[c] for c in cols):
                rb.setdefault("\x1f".join(r[c] for c in cols), []).append(j)
        for k, ids in lb.items():
            other = rb.get(k)
            if other and len(ids) <= max_block and len(other) <= max_block:
                out.update((i, j) for i in ids for j in other)
    return out


# -- comparison ------------------------------------------------------------------------------
class _Memo:
    def __init__(self, fields: Sequence[Comparator]) -> None:
        self.fields = tuple(fields)
        self.cache: list[dict[tuple[str, str], int]] = [{} for _ in fields]

    def levels(self, a: Sequence[str], b: Sequence[str]) -> tuple[int, ...]:
        out = []
        for i, f in enumerate(self.fields):
            x, y = a[i], b[i]
            if not x or not y:
                out.append(NULL)
                continue
            if x == y:
                out.append(0)
                continue
            key = (x, y) if x < y else (y, x)
            c = self.cache[i]
            lv = c.get(key)
            if lv is None:
                lv = c[key] = compare(f.kind, x, y)
            out.append(lv)
        return tuple(out)


def train(
    model: LinkModel,
    left: Sequence[Sequence[str]],
    right: Sequence[Sequence[str]] | None,
    patterns: Mapping[tuple[int, ...], int],
    memo: _Memo,
    *,
    seed: int = 20261207,
    sample_size: int = 40_000,
    min_pairs: int = 500,
) -> LinkModel:
    """u from random pairs, then m and λ by EM — when there are enough rows and
    candidates to estimate from; otherwise the defaults stay."""
    n_left = len(left)
    n_right = len(right) if right is not None else n_left
    if n_left < 50 or n_right < 50 or sum(patterns.values()) < min_pairs:
        return model
    rng = random.Random(seed)
    other = right if right is not None else left
    sample = []
    for _ in range(sample_size):
        i, j = rng.randrange(n_left), rng.randrange(n_right)
        if right is None and i == j:
            continue
        sample.append(memo.levels(left[i], other[j]))
    model.estimate_u(sample)
    before_m, before_prior = [list(r) for r in model.m], model.prior
    model.estimate_m(patterns)
    if not model.plausible():
        # EM without labels can settle on "every candidate is a match" when the candidates
        # hold (almost) no true duplicates — e.g. customers blocked together by a common
        # name: everything would score 1.0 and flood the steward's queue. Keep the
        # defaults (with the data's u) instead.
        model.m, model.prior, model.trained_on = before_m, before_prior, 0
    return model


def score_pairs(
    rows_left: Sequence[Sequence[str]],
    rows_right: Sequence[Sequence[str]] | None,
    fields: Sequence[Comparator],
    pairs: Iterable[tuple[int, int]],
    *,
    model: LinkModel | None = None,
    threshold: float = 0.5,
    progress: Callable[[int], None] | None = None,
) -> tuple[list[Pair], LinkModel]:
    """Compare every candidate pair, train (unless a model is given), score; the pairs
    at or above `threshold`, best first, and the model used."""
    memo = _Memo(fields)
    other = rows_right if rows_right is not None else rows_left
    by_pattern: dict[tuple[int, ...], list[tuple[int, int]]] = {}
    for n, (i, j) in enumerate(pairs):
        by_pattern.setdefault(memo.levels(rows_left[i], other[j]), []).append((i, j))
        if progress and n % 10_000 == 9_999:
            progress(10_000)
    patterns = {k: len(v) for k, v in by_pattern.items()}
    if model is None:
        model = train(LinkModel.default(fields), rows_left, rows_right, patterns, memo)
    out: list[Pair] = []
    for levels, members in by_pattern.items():
        p = model.probability(levels)
        if p >= threshold:
            w = model.weight(levels)
            out.extend(Pair(i, j, p, w, levels) for i, j in members)
    out.sort(key=lambda x: (-x.probability, x.left, x.right))
    return out, model


def link_rows(
    left: Sequence[Mapping[str, object]],
    right: Sequence[Mapping[str, object]] | None,
    fields: Sequence[Comparator],
    *,
    threshold: float = 0.5,
) -> tuple[list[Pair], LinkModel]:
    """Dedupe `left` (right=None) or link `left` to `right`: blocking chosen from the
    data, EM-trained model, pairs at or above `threshold`."""
    lrows = [tuple(normalise(r.get(f.name)) for f in fields) for r in left]
    rrows = [tuple(normalise(r.get(f.name)) for f in fields) for r in right] if right else None
    keys = blocking_keys(lrows, rrows, fields)
    pairs = candidate_pairs(lrows, rrows, keys)
    return score_pairs(lrows, rrows, fields, sorted(pairs), threshold=threshold)


# -- kinds guessed from a column's name and values (the generic CSV linker) ------------------
_NAME_HINTS = ("name", "surname", "given", "first", "last", "姓名", "姓", "名")
_DATE_HINTS = ("date", "dob", "birth", "生日", "日期")
_EMAIL_HINTS = ("email", "e-mail", "mail", "邮箱")


def guess_kind(column: str, values: Sequence[str]) -> FieldKind:
    """A column's kind from its header and a sample of its (normalised) values."""
    col = column.strip().lower()
    present = [v for v in values if v][:500]
    if any(h in col for h in _EMAIL_HINTS) or (present and all("@" in v for v in present)):
        return FieldKind.EMAIL
    if any(h in col for h in _DATE_HINTS):
        return FieldKind.DATE
    if any(h in col for h in _NAME_HINTS):
        return FieldKind.NAME
    if present and sum(_digits(v).isdigit() for v in present) >= 0.9 * len(present):
        return FieldKind.NUMBER
    distinct = len(set(present))
    if present and distinct <= 12 and len(present) >= 50:
        return FieldKind.CODE
    return FieldKind.TEXT
