"""Ingest at scale (issue #11): `baomi import` against a plaintext baseline in the same run.

    .venv/bin/python benchmarks/bench_ingest.py                      # 100,000 rows, SQLite
    .venv/bin/python benchmarks/bench_ingest.py --rows 20000 --engine both
    .venv/bin/python benchmarks/bench_ingest.py --rows 1000000 --no-consent
    .venv/bin/python benchmarks/bench_ingest.py --rows 20000 --no-consent --industry all

For each engine, on a throwaway database and keys (never ./var), synthetic rows only:

* **vault** — `baomi import FILE --channel import`, the real command in its own process:
  every field validated and sealed under a fresh per-customer key, blind indexes, the
  duplicate check against stored customers (and earlier rows), one audit event per batch
  (decision 0023), one transaction per batch;
* **baseline** — the same CSV loaded *plaintext with validation*: the same importer
  (`Importer(_crypto=False)`: read, validate, in-file de-duplication, insert, audit) with
  no keys, no sealing, no blind indexes and no stored-duplicate check;
* **consent** — the vault import of the same rows plus three consent columns;
* **records** (`--industry hotel|travel|courier|all`) — the vault import of the same rows
  plus one industry record per row, every catalogue field of its kind filled (a stay:
  reference, dates, room, spend, special requests; a booking: reference, dates, product,
  destination, travellers, amount; a shipment: waybill number, sender and recipient name,
  phone and address, item type, status), as `baomi import --industry X` (decision 0039);
  compared with the customer-only vault import of the same run (rows/s and per CPU-s).

Prints one line per run (rows/s wall, rows per CPU-second, peak RSS — each child's own,
from `wait4`) and the ratio vault / baseline, plus one JSON object (`--json` only the
JSON). CPU seconds include the validation worker processes. The load average at start
and end is printed: on a shared machine compare ratios within a run, not across runs.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from tests.live import LiveServer  # noqa: E402

TARGETS = {"rows_per_s": 20_000, "consent_rows_per_s": 15_000, "ratio": 0.5, "peak_rss_mb": 300}
_PLAIN = (
    "import json, sys, django; django.setup()\n"
    "from baomi.audit.services import SYSTEM\n"
    "from baomi.customers.importer import Importer\n"
    "from pathlib import Path\n"
    "s = Importer(SYSTEM, None, 'import', _crypto=False).run(Path(sys.argv[1]))\n"
    "print(json.dumps(s.as_dict()))\n"
)


class Box(LiveServer):
    """A throwaway database and key directory, blind indexes planned for 10^6 customers
    (the production default) instead of the live tests' 1,000."""

    def env(self, **extra: str) -> dict[str, str]:
        env = super().env(**extra)
        env["BAOMI_EXPECTED_CUSTOMERS"] = "1000000"
        return env


def _child(
    cmd: list[str], env: dict[str, str], log: Path
) -> tuple[dict[str, Any], dict[str, float]]:
    with log.open("a") as err:
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=err, text=True)
        assert proc.stdout is not None
        out = proc.stdout.read()
        _, status, ru = os.wait4(proc.pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"{cmd[2:5]} failed ({code}): {log.read_text(errors='replace')[-2000:]}")
    summary = json.loads(out.strip().splitlines()[-1])
    return summary, {
        "peak_rss_mb": round(ru.ru_maxrss / 1024, 1),
        "cpu_s": round(ru.ru_utime + ru.ru_stime, 2),
    }


RECORD_HEADERS = {
    "hotel": [
        "stay.reference",
        "stay.check_in",
        "stay.check_out",
        "stay.room",
        "stay.spend",
        "stay.special_requests",
    ],
    "travel": [
        "booking.reference",
        "booking.start_date",
        "booking.end_date",
        "booking.product",
        "booking.destination",
        "booking.travellers",
        "booking.amount",
    ],
    "courier": [
        "shipment.waybill_no",
        "shipment.sender_name",
        "shipment.sender_phone",
        "shipment.sender_address",
        "shipment.recipient_name",
        "shipment.recipient_phone",
        "shipment.recipient_address",
        "shipment.item_type",
        "shipment.status",
    ],
}


def write_records_csv(path: Path, n: int, seed: int, industry: str) -> Path:
    """The customer rows of `write_csv` (same seed: the same people) plus one record of
    `industry` per row: values from a pool of 400 synthetic records, the reference / waybill
    number unique per row."""
    import csv

    from baomi.customers.management.commands.bench import HEADER, RowFactory
    from baomi.customers.synthetic import Synth

    synth = Synth(seed)
    kind = {"hotel": "stay", "travel": "booking", "courier": "shipment"}[industry]
    pool = [getattr(synth, kind)() for _ in range(400)]
    cols = RECORD_HEADERS[industry]
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER + cols)
        for i, r in enumerate(RowFactory(seed).rows(n)):
            rec = pool[(i * 7) % len(pool)]
            key = {"hotel": f"ST{i:010d}", "travel": f"BK{i:010d}", "courier": f"BMW{i:012d}"}
            values = {**{f"{kind}.{k}": v for k, v in rec.items()}, cols[0]: key[industry]}
            values["shipment.status"] = "delivered"
            w.writerow([r[h] for h in HEADER] + [values[c] for c in cols])
    return path


def _run(engine: str, root: Path, kind: str, path: Path) -> dict[str, Any]:
    box = Box(root / f"{engine}-{kind}", engine).setup()
    try:
        if kind == "baseline":
            cmd = [sys.executable, "-c", _PLAIN, str(path)]
        else:
            cmd = [sys.executable, "-m", "baomi.cli", "import", str(path), "--channel", "import"]
            if kind in RECORD_HEADERS:
                cmd += [
                    "--industry",
                    kind,
                ]  # as an operator imports a hotel / travel / courier file
        t = time.perf_counter()
        summary, usage = _child(cmd, box.env(), root / "child.log")
        wall = time.perf_counter() - t
    finally:
        box.close()
    rows = summary["rows"]
    return {
        **summary,
        **usage,
        "process_wall_s": round(wall, 2),
        "rows_per_s": round(rows / summary["seconds"], 1) if summary["seconds"] else None,
        "rows_per_cpu_s": round(rows / usage["cpu_s"], 1) if usage["cpu_s"] else None,
    }


def bench(
    engine: str, rows: int, seed: int, consent: bool, root: Path, industries: tuple[str, ...] = ()
) -> dict[str, Any]:
    from baomi.customers.management.commands.bench import write_csv

    plain_csv = root / f"rows-{rows}.csv"
    if not plain_csv.exists():
        write_csv(plain_csv, rows, seed)
    load0 = os.getloadavg()
    base = _run(engine, root, "baseline", plain_csv)
    vault = _run(engine, root, "vault", plain_csv)
    out: dict[str, Any] = {"engine": engine, "rows": rows, "baseline": base, "vault": vault}
    if consent:
        consent_csv = root / f"rows-{rows}-consent.csv"
        if not consent_csv.exists():
            write_csv(consent_csv, rows, seed, consent=True)
        out["with_consent"] = _run(engine, root, "consent", consent_csv)
    for industry in industries:
        rec_csv = root / f"rows-{rows}-{industry}.csv"
        if not rec_csv.exists():
            write_records_csv(rec_csv, rows, seed, industry)
        run = _run(engine, root, industry, rec_csv)
        run["ratio_to_vault"] = (
            round(run["rows_per_s"] / vault["rows_per_s"], 3) if vault["rows_per_s"] else None
        )
        run["ratio_to_vault_cpu"] = (
            round(run["rows_per_cpu_s"] / vault["rows_per_cpu_s"], 3)
            if vault["rows_per_cpu_s"]
            else None
        )
        out.setdefault("with_records", {})[industry] = run
    out["ratio"] = (
        round(vault["rows_per_s"] / base["rows_per_s"], 3) if base["rows_per_s"] else None
    )
    out["ratio_cpu"] = (
        round(vault["rows_per_cpu_s"] / base["rows_per_cpu_s"], 3)
        if base["rows_per_cpu_s"]
        else None
    )
    out["loadavg"] = {
        "start": [round(x, 2) for x in load0],
        "end": [round(x, 2) for x in os.getloadavg()],
    }
    out["met"] = {
        "rows_per_s": (vault["rows_per_s"] or 0) >= TARGETS["rows_per_s"],
        "ratio": (out["ratio"] or 0) >= TARGETS["ratio"],
        "peak_rss_mb": vault["peak_rss_mb"] <= TARGETS["peak_rss_mb"],
    }
    if consent:
        out["met"]["consent_rows_per_s"] = (out["with_consent"]["rows_per_s"] or 0) >= TARGETS[
            "consent_rows_per_s"
        ]
    return out


def line(r: dict[str, Any]) -> str:
    v, b = r["vault"], r["baseline"]
    text = (
        f"{r['engine']:<10} {r['rows']:>9,} rows | vault {v['rows_per_s']:>8,.0f} rows/s "
        f"({v['rows_per_cpu_s']:,.0f}/CPU-s, peak RSS {v['peak_rss_mb']:.0f} MB) | baseline "
        f"{b['rows_per_s']:>8,.0f} rows/s ({b['rows_per_cpu_s']:,.0f}/CPU-s) | ratio "
        f"{r['ratio']:.2f} (CPU {r['ratio_cpu']:.2f})"
    )
    if "with_consent" in r:
        c = r["with_consent"]
        text += (
            f" | +3 consent columns {c['rows_per_s']:,.0f} rows/s "
            f"({c['rows_per_cpu_s']:,.0f}/CPU-s, {c['peak_rss_mb']:.0f} MB)"
        )
    for industry, c in r.get("with_records", {}).items():
        text += (
            f"\n{'':<10} {'':>9}      + one {industry} record per row "
            f"{c['rows_per_s']:>8,.0f} rows/s ({c['rows_per_cpu_s']:,.0f}/CPU-s, "
            f"{c['peak_rss_mb']:.0f} MB) | vs customer-only vault {c['ratio_to_vault']:.2f} "
            f"(CPU {c['ratio_to_vault_cpu']:.2f})"
        )
    la = r["loadavg"]
    return text + f" | load {la['start'][0]:.1f} → {la['end'][0]:.1f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--engine", choices=["sqlite", "postgresql", "both"], default="sqlite")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--no-consent", action="store_true", help="skip the consent-column run")
    ap.add_argument(
        "--industry",
        choices=["hotel", "travel", "courier", "all"],
        help="also import the same rows with one record of this industry per row "
        "(all: each of the three), compared with the customer-only vault import",
    )
    ap.add_argument("--json", action="store_true", help="print only the JSON")
    args = ap.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "baomi.settings.base")
    import django

    django.setup()  # the row factory's synthetic names (no database is touched here)
    engines = ["sqlite", "postgresql"] if args.engine == "both" else [args.engine]
    results = []
    with tempfile.TemporaryDirectory(prefix="baomi-bench-ingest-") as tmp:
        for engine in engines:
            industries: tuple[str, ...] = (
                ("hotel", "travel", "courier")
                if args.industry == "all"
                else ((args.industry,) if args.industry else ())
            )
            r = bench(engine, args.rows, args.seed, not args.no_consent, Path(tmp), industries)
            results.append(r)
            if not args.json:
                print(line(r), flush=True)
    doc = {"bench": "ingest", "targets": TARGETS, "runs": results, "nproc": os.cpu_count()}
    out_dir = ROOT / "benchmarks" / "out"
    out_dir.mkdir(exist_ok=True)
    (out_dir / f"ingest-{args.rows}-{int(time.time())}.json").write_text(json.dumps(doc, indent=2))
    print(json.dumps(doc))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
