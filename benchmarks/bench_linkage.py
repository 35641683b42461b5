"""Record-linkage quality and speed on FEBRL (issue #16 §2): prints one JSON object.

    .venv/bin/python benchmarks/bench_linkage.py [--febrl DIR]

Pairwise precision / recall / F1 and wall time of the engine behind `baomi link`, with
the same settings everywhere (no tuning per file):
  * dedupe FEBRL dataset1 (1,000 records) and dataset2 (5,000 records);
  * two-file linkage of dataset2's originals (4,000) to its duplicates (1,000);
  * two-file linkage 5,000 × 5,000: dataset2 against a corrupted copy of itself made here
    (FEBRL-style errors: typos, transpositions, missing values, swapped day/month, name
    swaps — seeded, so every run is the same data). True pairs are row i ↔ its copy, plus
    the pairs dataset2 already has within itself.
Pure Python, one process; no database, no personal data (FEBRL is synthetic).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import time
from itertools import combinations
from pathlib import Path
from typing import Any

from baomi.quality.linkage import engine
from baomi.quality.linkage.engine import Comparator

ROOT = Path(__file__).resolve().parent.parent


def load(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as fh:
        r = csv.reader(fh, skipinitialspace=True)
        head = [h.strip() for h in next(r)]
        return [dict(zip(head, (c.strip() for c in row), strict=True)) for row in r]


def ent(rid: str) -> str:
    return rid.split("-")[1]


def fields_of(rows: list[dict[str, str]]) -> list[Comparator]:
    cols = [c for c in rows[0] if c != "rec_id"]
    return [
        Comparator(c, engine.guess_kind(c, [engine.normalise(r[c]) for r in rows[:2000]]))
        for c in cols
    ]


def scores(got: set[Any], truth: set[Any]) -> dict[str, float]:
    tp = len(got & truth)
    p = tp / len(got) if got else 0.0
    r = tp / len(truth) if truth else 0.0
    return {
        "precision": round(p, 5),
        "recall": round(r, 5),
        "f1": round(2 * p * r / (p + r) if p + r else 0.0, 5),
        "pairs": len(got),
        "true_pairs": len(truth),
    }


def dedupe(rows: list[dict[str, str]]) -> dict[str, Any]:
    t, c = time.perf_counter(), time.process_time()
    pairs, model = engine.link_rows(rows, None, fields_of(rows))
    dt, cpu = time.perf_counter() - t, time.process_time() - c
    got = {frozenset((rows[p.left]["rec_id"], rows[p.right]["rec_id"])) for p in pairs}
    by: dict[str, list[str]] = {}
    for r in rows:
        by.setdefault(ent(r["rec_id"]), []).append(r["rec_id"])
    truth = {frozenset(p) for ids in by.values() for p in combinations(ids, 2)}
    return {
        "records": len(rows),
        "seconds": round(dt, 2),
        "cpu_s": round(cpu, 2),
        **scores(got, truth),
        "em_iterations": model.iterations,
    }


def link(
    a: list[dict[str, str]], b: list[dict[str, str]], truth: set[tuple[str, str]]
) -> dict[str, Any]:
    t, c = time.perf_counter(), time.process_time()
    pairs, _ = engine.link_rows(a, b, fields_of(a))
    dt, cpu = time.perf_counter() - t, time.process_time() - c
    got = {(a[p.left]["rec_id"], b[p.right]["rec_id"]) for p in pairs}
    return {
        "left": len(a),
        "right": len(b),
        "seconds": round(dt, 2),
        "cpu_s": round(cpu, 2),
        **scores(got, truth),
    }


def corrupt(row: dict[str, str], rng: random.Random, rid: str) -> dict[str, str]:
    out = dict(row, rec_id=rid)
    cols = [c for c in row if c != "rec_id"]
    for _ in range(rng.choice((1, 1, 2, 2, 3))):
        c = rng.choice(cols)
        v = out[c]
        op = rng.random()
        if not v or op < 0.15:
            out[c] = ""  # missing
        elif op < 0.45 and len(v) > 1:  # typo: substitute a character
            i = rng.randrange(len(v))
            pool = "0123456789" if v[i].isdigit() else "abcdefghijklmnopqrstuvwxyz"
            out[c] = v[:i] + rng.choice(pool) + v[i + 1 :]
        elif op < 0.65 and len(v) > 2:  # transposition
            i = rng.randrange(len(v) - 1)
            out[c] = v[:i] + v[i + 1] + v[i] + v[i + 2 :]
        elif op < 0.75 and len(v) > 2:  # deletion
            i = rng.randrange(len(v))
            out[c] = v[:i] + v[i + 1 :]
        elif op < 0.85 and c == "date_of_birth" and len(v) == 8:
            out[c] = v[:4] + v[6:8] + v[4:6]  # day / month swapped
        elif c in ("given_name", "surname"):
            out["given_name"], out["surname"] = out["surname"], out["given_name"]
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--febrl", type=Path, default=ROOT.parent / "shared" / "data" / "febrl")
    args = ap.parse_args()
    d = args.febrl if (args.febrl / "dataset1.csv").is_file() else Path("/work/shared/data/febrl")
    d1, d2 = load(d / "dataset1.csv"), load(d / "dataset2.csv")
    out: dict[str, Any] = {"bench": "linkage", "loadavg": os.getloadavg()[0]}
    out["dedupe_dataset1"] = dedupe(d1)
    out["dedupe_dataset2"] = dedupe(d2)
    orgs = [r for r in d2 if "-org" in r["rec_id"]]
    dups = [r for r in d2 if "-dup-" in r["rec_id"]]
    by = {}
    for o in orgs:
        by.setdefault(ent(o["rec_id"]), []).append(o["rec_id"])
    truth = {(o, x["rec_id"]) for x in dups for o in by.get(ent(x["rec_id"]), [])}
    out["link_dataset2_org_dup"] = link(orgs, dups, truth)
    rng = random.Random(16)
    copy = [corrupt(r, rng, f"copy-{i}") for i, r in enumerate(d2)]
    clusters: dict[str, list[int]] = {}
    for i, r in enumerate(d2):
        clusters.setdefault(ent(r["rec_id"]), []).append(i)
    truth5 = {(d2[i]["rec_id"], f"copy-{j}") for ids in clusters.values() for i in ids for j in ids}
    out["link_5000x5000"] = link(d2, copy, truth5)
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
