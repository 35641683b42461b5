"""Next-best product from co-occurrence (issue #18 §3). Pure functions, no database.

Why co-occurrence and not a kept recommendation library (implicit ALS, LightFM): the
catalogue a marketing department sells is small (tens to hundreds of products), histories
are short (a few bookings a year), and the model must be explainable and contain no
person. An item-to-item table — "of the customers who booked A, n booked B" — is all
three: it is trained in one pass, a recommendation says which of the customer's bookings
it follows from, and it is an aggregate. Pairs bought together by fewer than `min_support`
customers (k) are dropped, so the kept table cannot say what one person bought. Scored
as in item-based collaborative filtering (Deshpande & Karypis 2004): the candidates of a
history are summed over its items, each pair's count normalised by how popular the target
is (count / buyers(target)^alpha), popularity breaking ties and filling in when the
history says nothing. `benchmarks/bench_recommend.py` measures hit rate@10 on a held-out
last booking per customer against the popularity baseline on synthetic data with planted
preferences.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Model:
    pairs: dict[str, dict[str, int]] = field(default_factory=dict)  # a → {b: customers}
    buyers: dict[str, int] = field(default_factory=dict)  # item → customers
    customers: int = 0
    alpha: float = 0.5

    def as_json(self) -> dict[str, Any]:
        return {"pairs": self.pairs, "buyers": self.buyers, "customers": self.customers}


def train(histories: Iterable[Sequence[str]], min_support: int = 10, alpha: float = 0.5) -> Model:
    """Histories (one per customer, oldest first) → the item-to-item table, keeping only
    items and pairs seen with at least `min_support` distinct customers."""
    buyers: Counter[str] = Counter()
    pairs: Counter[tuple[str, str]] = Counter()
    n = 0
    for h in histories:
        items = sorted(set(h))
        if not items:
            continue
        n += 1
        buyers.update(items)
        for a in items:
            for b in items:
                if a != b:
                    pairs[(a, b)] += 1
    m = Model(customers=n, alpha=alpha)
    m.buyers = {i: c for i, c in buyers.items() if c >= min_support}
    for (a, b), c in pairs.items():
        if c >= min_support and a in m.buyers and b in m.buyers:
            m.pairs.setdefault(a, {})[b] = c
    return m


def popular(model: Model, n: int = 10, exclude: Iterable[str] = ()) -> list[str]:
    seen = set(exclude)
    ranked = sorted(model.buyers, key=lambda i: (-model.buyers[i], i))
    return [i for i in ranked if i not in seen][:n]


def recommend(
    model: Model, history: Sequence[str], n: int = 10, exclude_seen: bool = False
) -> list[str]:
    """Top-`n` next products for a history. Products already bought stay eligible unless
    `exclude_seen` (travel and hotel customers buy the same product again)."""
    scores: Counter[str] = Counter()
    for a in set(history):
        for b, c in model.pairs.get(a, {}).items():
            scores[b] += c / (model.buyers[b] ** model.alpha)
    seen = set(history) if exclude_seen else set()
    ranked = sorted(
        (i for i in scores if i not in seen),
        key=lambda i: (-scores[i], -model.buyers.get(i, 0), i),
    )
    if len(ranked) < n:
        ranked += [i for i in popular(model, n + len(ranked), seen) if i not in ranked]
    return ranked[:n]


# -- the benchmark's synthetic data: planted preferences -----------------------------------
def synthetic(
    customers: int = 2000,
    styles: int = 8,
    per_style: int = 12,
    seed: int = 7,
    loyalty: float = 0.8,
) -> tuple[list[list[str]], list[str]]:
    """Histories with planted preferences: each customer has a travel style (a cluster of
    products); each booking is from that style with probability `loyalty`, otherwise from
    the whole catalogue, and products are Zipf-popular within a cluster and overall. The
    catalogue is `styles × per_style` products (`s3-p07`)."""
    rng = random.Random(seed)
    catalogue = [f"s{s}-p{p:02d}" for s in range(styles) for p in range(per_style)]
    weights_in = [1 / (p + 1) for p in range(per_style)]
    style_weights = [1 / (s + 1) ** 0.7 for s in range(styles)]
    overall = [1 / (i + 1) for i in range(len(catalogue))]
    rng.shuffle(overall)
    out = []
    for _ in range(customers):
        style = rng.choices(range(styles), style_weights)[0]
        k = rng.randint(3, 8)
        h = []
        for _ in range(k):
            if rng.random() < loyalty:
                p = rng.choices(range(per_style), weights_in)[0]
                h.append(f"s{style}-p{p:02d}")
            else:
                h.append(rng.choices(catalogue, overall)[0])
        out.append(h)
    return out, catalogue


def hit_rate(
    histories: Sequence[Sequence[str]], n: int = 10, min_support: int = 10
) -> Mapping[str, float]:
    """Leave the last booking of each customer out, train on the rest, and count how often
    it is in the top `n` — for the co-occurrence model and the popularity baseline."""
    train_part = [h[:-1] for h in histories if len(h) >= 2]
    held = [(h[:-1], h[-1]) for h in histories if len(h) >= 2]
    model = train(train_part, min_support=min_support)
    base = set(popular(model, n))
    hits_model = sum(1 for hist, last in held if last in recommend(model, hist, n))
    hits_pop = sum(1 for _, last in held if last in base)
    total = len(held) or 1
    return {
        "customers": float(len(held)),
        "hit_rate_at_10": round(hits_model / total, 4),
        "popularity_hit_rate_at_10": round(hits_pop / total, 4),
    }
