"""Data quality at scale (issue #16): the duplicate scan and the metrics over stored customers.

    .venv/bin/python benchmarks/bench_quality.py                       # 100,000 customers
    .venv/bin/python benchmarks/bench_quality.py --customers 1000000   # the issue's size
    .venv/bin/python benchmarks/bench_quality.py --customers 20000 --engine postgresql

On a throwaway database and keys (never ./var), synthetic rows only (`RowFactory`, the
ingest bench's rows), with a share of planted near-duplicates (`--dup-rate`, default 1 %):
a copy of an earlier row with the same name, birth date and address but its own phone and
e-mail and no ID number — a guest registered twice at two counters. Every step is the real
command in its own process (peak RSS and CPU seconds from `wait4`, validation workers
included):

1. `baomi import` of the file (the store to scan; timed as a by-product);
2. **dedupe** — `baomi dedupe --as STEWARD`: blocking keys for every customer, candidates
   from keyed hashes, values decrypted inside the gate's bulk path, scored, pairs queued;
   **baseline in the same run**: `baomi link FILE` over the same CSV in plaintext (same
   engine, no database, no decryption) — the ratio is what the vault costs the scan;
3. **metrics, full** — `baomi quality metrics --as STEWARD` on a store whose facts were
   never computed: every customer decrypted and checked; then **metrics, incremental** —
   the same command again with nothing changed (the path a dashboard refresh takes).

Targets (issue #16): 10^6 customers deduplicated in ≤ 10 min and the metrics fully
recomputed in ≤ 60 s on 2 cores. The load average at start and end is printed: on a
shared machine compare CPU seconds and ratios, not wall times across runs.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from benchmarks.bench_ingest import Box, _child  # noqa: E402

TARGETS = {"dedupe_s": 600.0, "metrics_full_s": 60.0}
STEWARD = "bench_steward"


def _feistel(x: int, half: int = 10**4, rounds: int = 4) -> int:
    """A bijection of [0, half²) that scatters neighbours: the ingest bench derives phones
    and passport numbers from the row number by arithmetic, so namesakes (rows a pool
    apart) hold numbers a digit or two apart — which no real file does and which a
    matcher rightly reads as a typo. Scrambled, they are as far apart as strangers'."""
    left, right = divmod(x, half)
    for r in range(rounds):
        h = ((right * 2654435761 + r * 40503) >> 7) % half
        left, right = right, (left + h) % half
    return left * half + right


def _scrambled(r: dict[str, str], i: int) -> None:
    if r["nationality"] == "CN":
        r["phone"] = r["phone"][:3] + f"{_feistel(int(r['phone'][3:])):08d}"
    else:
        n = _feistel(i)
        while n >= 8_000_000:  # cycle-walking: a bijection of [0, 8·10^6), the phone space
            n = _feistel(n)
        r["phone"] = f"+1 212 {200 + n % 800} {n // 800 % 10000:04d}"
        r["id_number"] = f"E{10**8 + n}"


def write_csv(path: Path, n: int, seed: int, dup_rate: float) -> int:
    """`n` distinct rows plus planted near-duplicates of every k-th row (k = 1 / dup_rate);
    returns how many were planted. A planted copy keeps name, birth date, gender,
    nationality and address, gets a phone and an e-mail of its own (beyond the factory's
    range) and no ID number, so no exact key joins it to its original at import."""
    from baomi.customers.management.commands.bench import HEADER, RowFactory

    # a larger pool than the ingest bench's, with the street and the e-mail handle drawn
    # independently of the name: in the ingest rows one index picks name, street and handle,
    # so every namesake also shares the address — a file of families, not of customers
    pool = 2999  # prime: (name, birth date) does not repeat within 10^6 rows (16,000 dates)
    factory = RowFactory(seed, pool=pool)
    every = max(1, round(1 / dup_rate)) if dup_rate > 0 else 0
    planted = 0
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["row", *HEADER])
        copies: list[dict[str, str]] = []
        for i, r in enumerate(factory.rows(n)):
            _scrambled(r, i)
            k, q = i // pool, (i * 7 + (i // pool) * 131 + 17) % pool  # the name's is i mod pool
            if r["nationality"] == "CN":
                r["address"] = factory.zh_streets[q]
                r["email"] = f"{factory.zh_users[(i * 13 + k * 97 + 5) % pool]}{i}@example.cn"
            else:
                r["address"] = factory.en_addresses[q]
            w.writerow([f"r{i}", *(r[h] for h in HEADER)])
            if every and i % every == every - 1:
                c = dict(r)
                c["id_type"] = ""
                c["id_number"] = ""
                c["phone"] = f"199{_feistel((n + planted) % 10**8):08d}"
                c["email"] = f"dup{planted}.{seed}@example.net"
                copies.append(c)
                planted += 1
        for k, c in enumerate(copies):
            w.writerow([f"d{k}", *(c[h] for h in HEADER)])
    return planted


def _step(cmd: list[str], env: dict[str, str], log: Path) -> dict[str, Any]:
    t = time.perf_counter()
    summary, usage = _child(cmd, env, log)
    return {**summary, **usage, "wall_s": round(time.perf_counter() - t, 2)}


def bench(engine: str, customers: int, seed: int, dup_rate: float, root: Path) -> dict[str, Any]:
    data = root / f"customers-{customers}.csv"
    planted = write_csv(data, customers, seed, dup_rate)
    # the import file has no `row` column (not a catalogue field): a copy without it
    import_csv = root / f"import-{customers}.csv"
    with data.open(encoding="utf-8") as src, import_csv.open("w", encoding="utf-8") as dst:
        for line in src:
            dst.write(line.split(",", 1)[1])
    log = root / "child.log"
    load0 = os.getloadavg()
    box = Box(root / engine, engine).setup()
    py = sys.executable
    try:
        env = box.env()
        box.run("createstaff", "--username", STEWARD, "--role", "data_steward")
        out: dict[str, Any] = {"engine": engine, "customers": customers, "planted": planted}
        out["import"] = _step(
            [py, "-m", "baomi.cli", "import", str(import_csv), "--channel", "import"], env, log
        )
        out["dedupe"] = _step([py, "-m", "baomi.cli", "dedupe", "--as", STEWARD], env, log)
        links = root / "links.csv"
        out["baseline_link"] = _step(
            [py, "-m", "baomi.cli", "link", str(data), "--id-column", "row", "--out", str(links)],
            env,
            log,
        )
        out["metrics_full"] = _step(
            [py, "-m", "baomi.cli", "quality", "metrics", "--as", STEWARD], env, log
        )
        out["metrics_incremental"] = _step(
            [py, "-m", "baomi.cli", "quality", "metrics", "--as", STEWARD], env, log
        )
    finally:
        box.close()
    out["planted_found_by_link"] = _planted_found(links, planted)
    out["ratio_dedupe_vs_link_wall"] = round(
        out["dedupe"]["wall_s"] / max(out["baseline_link"]["wall_s"], 0.01), 2
    )
    out["ratio_metrics_full_vs_incremental_wall"] = round(
        out["metrics_full"]["wall_s"] / max(out["metrics_incremental"]["wall_s"], 0.01), 2
    )
    out["loadavg"] = {
        "start": [round(x, 2) for x in load0],
        "end": [round(x, 2) for x in os.getloadavg()],
    }
    out["met"] = {
        "dedupe_s": out["dedupe"]["wall_s"] <= TARGETS["dedupe_s"],
        "metrics_full_s": out["metrics_full"]["wall_s"] <= TARGETS["metrics_full_s"],
    }
    return out


def _planted_found(links: Path, planted: int) -> float | None:
    """Share of planted copies (`dK`) that `baomi link` paired with some original."""
    if not planted or not links.exists():
        return None
    found = set()
    with links.open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            a, b = r["left_id"], r["right_id"]
            if a.startswith("d") != b.startswith("d"):
                found.add(a if a.startswith("d") else b)
    return round(len(found) / planted, 4)


def line(name: str, r: dict[str, Any]) -> str:
    return (
        f"{name:22s} {r['wall_s']:9.1f} s wall  {r['cpu_s']:9.1f} CPU s  "
        f"peak RSS {r['peak_rss_mb']:7.1f} MB"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--customers", type=int, default=100_000)
    ap.add_argument("--engine", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--dup-rate", type=float, default=0.01)
    ap.add_argument("--json", action="store_true", help="print only the JSON")
    args = ap.parse_args(argv)
    if args.customers < 1 or not 0 <= args.dup_rate < 1:
        ap.error("--customers must be ≥ 1 and --dup-rate in [0, 1)")
    with tempfile.TemporaryDirectory(prefix="baomi-bench-quality-") as tmp:
        out = bench(args.engine, args.customers, args.seed, args.dup_rate, Path(tmp))
    outdir = ROOT / "benchmarks" / "out"
    outdir.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    (outdir / f"quality-{args.engine}-{args.customers}-{stamp}.json").write_text(
        json.dumps(out, indent=2)
    )
    if args.json:
        print(json.dumps(out))
        return 0
    print(
        f"{out['engine']}: {out['customers']:,} customers + {out['planted']:,} planted "
        f"near-duplicates; load {out['loadavg']['start'][0]} → {out['loadavg']['end'][0]}"
    )
    for name in ("import", "dedupe", "baseline_link", "metrics_full", "metrics_incremental"):
        print(line(name, out[name]))
    d = out["dedupe"]
    print(
        f"dedupe queued {d.get('queued')} pairs from {d.get('candidates')} candidates "
        f"(trained: {d.get('trained')}); link paired {out['planted_found_by_link']} of the "
        f"planted copies"
    )
    print(
        f"ratios (wall): dedupe / link {out['ratio_dedupe_vs_link_wall']}, metrics full / "
        f"incremental {out['ratio_metrics_full_vs_incremental_wall']}"
    )
    met = {k: "met" if v else "NOT met" for k, v in out["met"].items()}
    print(
        f"targets: dedupe ≤ {TARGETS['dedupe_s']:.0f} s {met['dedupe_s']}, "
        f"metrics full ≤ {TARGETS['metrics_full_s']:.0f} s {met['metrics_full_s']}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
