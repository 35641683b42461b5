from __future__ import annotations

import csv
from itertools import combinations
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CANDIDATES = [
    ROOT.parent / "shared" / "data" / "febrl",  # CI: shared/ beside the clone
    Path("/work/shared/data/febrl"),
]


def febrl_dir() -> Path:
    for d in CANDIDATES:
        if (d / "dataset1.csv").is_file():
            return d
    pytest.skip("FEBRL samples (shared/data/febrl) not present")
    raise AssertionError  # unreachable


def febrl_rows(name: str) -> list[dict[str, str]]:
    with (febrl_dir() / name).open(newline="") as fh:
        r = csv.reader(fh, skipinitialspace=True)
        head = [h.strip() for h in next(r)]
        return [dict(zip(head, (c.strip() for c in row), strict=True)) for row in r]


def entity(rec_id: str) -> str:
    return rec_id.split("-")[1]  # rec-123-org / rec-123-dup-0 → 123


def true_pairs(rows: list[dict[str, str]]) -> set[frozenset[str]]:
    by: dict[str, list[str]] = {}
    for r in rows:
        by.setdefault(entity(r["rec_id"]), []).append(r["rec_id"])
    return {frozenset(p) for ids in by.values() for p in combinations(ids, 2)}


def f1(got: set[frozenset[str]], truth: set[frozenset[str]]) -> tuple[float, float, float]:
    tp = len(got & truth)
    p = tp / len(got) if got else 0.0
    r = tp / len(truth) if truth else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)
