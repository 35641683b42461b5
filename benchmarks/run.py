"""`make bench`: every benchmark in one run, against baselines measured in the same run.

    .venv/bin/python benchmarks/run.py            # ingest 100k + 1M (peak RSS), lookup 100k
                                                  # + 1M, read 10k  (≈ 20–30 min on 2 cores)
    .venv/bin/python benchmarks/run.py --quick    # small sizes, about a minute
    .venv/bin/python benchmarks/run.py --rows 50000 --no-1m

Each bench is `baomi bench KIND --rows N --json` in its own throwaway SQLite database with
throwaway keys (a temporary directory, never ./var) on synthetic data. The JSON of every
run goes to benchmarks/out/ (git-ignored); docs/performance.md records the numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"


def bench(kind: str, rows: int, *extra: str) -> dict[str, Any]:
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "baomi.settings.base")
    cmd = [sys.executable, "-m", "baomi.cli", "bench", kind, "--rows", str(rows), "--json"]
    print(f"… {kind} {rows:,}", file=sys.stderr, flush=True)
    done = subprocess.run([*cmd, *extra], env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-3000:])
        raise SystemExit(f"bench {kind} failed")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def report(results: list[dict[str, Any]]) -> str:
    lines = []
    for r in results:
        if r["bench"] == "ingest":
            v, b = r["vault"], r["baseline"]
            lines.append(
                f"ingest {r['rows']:>9,} rows: vault {v['rows_per_s']:>8,.0f} rows/s "
                f"(peak RSS {v['peak_rss_mb']:.0f} MB) · baseline {b['rows_per_s']:>8,.0f} "
                f"rows/s · ratio {r['ratio']:.2f}  [targets ≥20,000 rows/s, ≥0.5, ≤300 MB: "
                f"{', '.join(k for k, ok in r['met'].items() if ok) or 'none'} met]"
            )
            c = r["with_consent"]
            lines.append(
                f"       with 3 consent columns: {c['rows_per_s']:>8,.0f} rows/s "
                f"({c['consents']:,} decisions) · ratio to vault {r['consent_ratio']:.2f}"
            )
        elif r["bench"] == "lookup":
            p, v, s = r["plaintext"], r["vault"], r["search_service"]
            lines.append(
                f"lookup {r['customers']:>9,} customers: vault p50 {v['p50_ms']:.3f} ms "
                f"p99 {v['p99_ms']:.3f} ms · plaintext p50 {p['p50_ms']:.3f} ms "
                f"p99 {p['p99_ms']:.3f} ms · ratio {r['ratio_p50']:.1f} · full search "
                f"p50 {s['p50_ms']:.2f} ms · {r['mean_candidates_per_lookup']} candidates/lookup"
            )
        else:
            gate = r["gate_pages"]["customers_per_s"]
            lines.append(
                f"read   {r['customers']:>9,} customers: gate {gate:>8,.0f}"
                f" customers/s (pages of 20) · 360° view "
                f"{r['gate_single_360']['customers_per_s']:,.0f}/s · plaintext "
                f"{r['plaintext_pages']['customers_per_s']:,.0f}/s · ratio {r['ratio']:.3f}"
            )
    m = results[0]["machine"] if results else {}
    lines.append(
        f"machine: {m.get('nproc')} × {m.get('cpu')}, Python {m.get('python')}, "
        f"SQLite {m.get('sqlite')}, load average at start {m.get('loadavg_at_start')}"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--rows", type=int, default=100_000, help="ingest / lookup size")
    ap.add_argument("--read-rows", type=int, default=10_000)
    ap.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    ap.add_argument("--no-1m", action="store_true", help="skip the 1,000,000-row runs")
    args = ap.parse_args(argv)
    rows, read_rows, big = args.rows, args.read_rows, not args.no_1m
    if args.quick:
        rows, read_rows, big = 5_000, 1_000, False
    started = time.time()
    plan: list[tuple[str, int, tuple[str, ...]]] = [("ingest", rows, ())]
    if big:
        plan.append(("ingest", 1_000_000, ()))
    plan.append(("lookup", rows, ()))
    if big:
        plan.append(("lookup", 1_000_000, ()))
    plan.append(("read", read_rows, ("--samples", "500")))
    OUT.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    results: list[dict[str, Any]] = []
    for kind, n, extra in plan:
        results.append(bench(kind, n, *extra))
        # saved after every bench: a long run stopped half-way keeps what it measured
        (OUT / f"bench-{stamp}.json").write_text(json.dumps(results, indent=2))
    print(report(results))
    print(f"({time.time() - started:.0f} s; JSON in {OUT / f'bench-{stamp}.json'})")


if __name__ == "__main__":
    main()
