"""Re-import into a populated store: the merge path (issue #11, "quadratic merge").

    .venv/bin/python benchmarks/bench_reimport.py                  # 6,000 over 24,000, SQLite
    .venv/bin/python benchmarks/bench_reimport.py --engine postgresql --stored 24000 --merge 6000

Imports `--stored` synthetic rows with `baomi import` into a throwaway database, then
re-imports the first `--merge` of them (every row merges into a stored customer: sealed
columns rewritten, lineage updated, blind-index rows deleted and re-inserted). Measured
twice in the same run on the same database:

* **after**: the schema as migrated (blind-index index on (subject_id, field));
* **before**: the composite index dropped and the old single-column (subject_id) index put
  back — the layout before migration vault 0002 — with no planner statistics, as on a
  freshly loaded store (the issue's 284 s vs 3.2 s after ANALYZE).

Prints one JSON object with both times, their ratio and the load average.
"""

from __future__ import annotations

import argparse
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

from tests.live import LiveServer  # noqa: E402

PG_URL = os.environ.get("BAOMI_BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def _sql(srv: LiveServer, statements: list[str]) -> None:
    if srv.engine == "postgresql":
        import psycopg

        with psycopg.connect(srv.url, autocommit=True) as conn:
            for s in statements:
                conn.execute(s)  # type: ignore[arg-type]
    else:
        import sqlite3

        conn = sqlite3.connect(srv.url.removeprefix("sqlite:///"))
        try:
            for s in statements:
                conn.execute(s)
            conn.commit()
        finally:
            conn.close()


def _import(srv: LiveServer, path: Path) -> tuple[float, dict[str, Any]]:
    t0 = time.perf_counter()
    r = srv.run("import", str(path), "--channel", "import", "--workers", "0", timeout=7200)
    return time.perf_counter() - t0, json.loads(r.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--engine", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("--stored", type=int, default=24000)
    ap.add_argument("--merge", type=int, default=6000)
    args = ap.parse_args()
    from baomi.customers.management.commands.bench import write_csv

    tmp = Path(tempfile.mkdtemp(prefix="baomi-bench-reimport-"))
    if args.engine == "postgresql":
        import tests.live as live

        live.PG_URL = PG_URL
    srv = LiveServer(tmp, args.engine).setup()
    out: dict[str, Any] = {
        "bench": "reimport",
        "engine": args.engine,
        "stored": args.stored,
        "merge": args.merge,
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
    }
    try:
        full = write_csv(tmp / "stored.csv", args.stored, seed=9)
        part = write_csv(tmp / "merge.csv", args.merge, seed=9)  # the same first rows
        first, _ = _import(srv, full)
        out["initial_import_s"] = round(first, 2)
        secs, summary = _import(srv, part)
        assert summary["merged"] == args.merge, summary
        out["after_s"] = round(secs, 2)
        _sql(
            srv,
            [
                "DROP INDEX vault_bidx_subject",
                "CREATE INDEX vault_blind_index_subject_id_old ON vault_blind_index (subject_id)",
            ],
        )
        secs, summary = _import(srv, part)
        assert summary["merged"] == args.merge, summary
        out["before_s"] = round(secs, 2)
        out["ratio_before_to_after"] = round(out["before_s"] / out["after_s"], 1)
        out["merged_rows_per_s_after"] = round(args.merge / out["after_s"], 1)
        out["merged_rows_per_s_before"] = round(args.merge / out["before_s"], 1)
    finally:
        srv.close()
    out["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
