"""benchmarks/bench_audit.py runs end to end (tiny sizes: wiring and JSON shape only —
timings on a shared 2-core machine prove nothing in a test)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_bench_audit_runs_and_reports_json() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BAOMI_", "DJANGO_"))}
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "bench_audit.py"),
            *("--events", "3000", "--append", "500", "--single", "50", "--commits", "5"),
            *("--reads", "3", "--actors", "2", "--proofs", "20"),
            *("--verify-chunk", "512"),  # several chunks: the worker processes run
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    r = json.loads(done.stdout.strip().splitlines()[-1])
    assert r["bench"] == "audit" and r["verify"]["parallel"]["ok"]
    assert r["verify"]["single_process"]["ok"] and r["proof"]["tree_size"] >= 3000
    assert {"append_bulk", "append_single", "read_cost", "proof", "targets"} <= r.keys()
    assert r["read_cost"]["typical_in_one_transaction"]["ratio"] > 0
