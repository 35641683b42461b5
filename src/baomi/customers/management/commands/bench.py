"""`baomi bench ingest|lookup|read [--rows N] [--json]`: measured, never assumed.

Every bench runs in a throwaway SQLite database with throwaway keys in a temporary
directory (never ./var) on synthetic data only (R-C7), and compares against a baseline
measured in the same run:

- ingest: rows/s of `baomi import` (the real command, in its own process, so its peak RSS
  is measured too) against the same importer with encryption and blind indexes off.
- lookup: p50/p99 of an exact search by phone (blind index → candidates → decrypt and
  compare) against a plaintext indexed lookup in a temporary table of the same database.
- read: customers/s through the access gate (decrypt + mask + one audit event each).

The heavy lifting happens in child processes (`--worker`, not for direct use) pointed at
the throwaway database by environment variables; the parent only orchestrates.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

# -- fast generator of valid, distinct synthetic rows ----------------------------------------
HEADER = [
    "name",
    "phone",
    "email",
    "id_type",
    "id_number",
    "gender",
    "birth_date",
    "nationality",
    "address",
]
# county codes that stdnum accepts for every birth year used below
_OLD_REGIONS = {"110105": "北京市朝阳区", "310104": "上海市徐汇区"}
_MOBILE = ("138", "139", "136", "135", "150", "151", "158", "186", "187", "188", "133", "189")
_BORN_FROM = date(1960, 1, 1)
_DAYS = 16_000  # ≈ 44 years of birth dates
_FOREIGN_EVERY = 8  # one row in 8 is a foreign passport holder


class RowFactory:
    """Valid, pairwise-distinct customer rows at ~microseconds per row.

    Faker is slow for a million rows, so a small pool of Faker names and addresses is
    generated once (through `Synth`) and combined with phone, ID and e-mail numbers derived
    injectively from the row number: row i and row j ≠ i never share an ID number, a phone
    or an e-mail. Every row passes the catalogue's validation (a test checks a sample).
    """

    def __init__(self, seed: int = 7, pool: int = 400) -> None:
        from baomi.customers.synthetic import Synth

        synth = Synth(seed)
        self.zh_names = [synth.zh.name() for _ in range(pool)]
        self.zh_streets = [synth.zh.street_address() for _ in range(pool)]
        self.zh_users = [synth.zh.user_name() for _ in range(pool)]
        self.en_names = [f"{synth.en.first_name()} {synth.en.last_name()}" for _ in range(pool)]
        self.en_addresses = [synth.en.address().replace("\n", ", ") for _ in range(pool)]
        self.pool = pool
        self.seed = seed
        self._regions = list(_OLD_REGIONS)

    def row(self, i: int) -> dict[str, str]:
        p = (i * 7 + self.seed) % self.pool
        if i % _FOREIGN_EVERY == _FOREIGN_EVERY - 1:
            k = i // _FOREIGN_EVERY
            name = self.en_names[p]
            born = _BORN_FROM + timedelta(days=(k * 37) % _DAYS)
            return {
                "name": name,
                "phone": f"+1 212 {200 + k % 800} {(k // 800) % 10000:04d}",
                "email": f"{name.split()[0].lower()}.{i}@example.com",
                "id_type": "passport",
                "id_number": f"E{10**8 + i}",
                "gender": "male" if k % 2 else "female",
                "birth_date": born.isoformat(),
                "nationality": "US",
                "address": self.en_addresses[p],
            }
        from stdnum.cn import ric

        d = i % _DAYS
        rest = i // _DAYS
        region = self._regions[rest % len(self._regions)]
        seq = (rest // len(self._regions)) % 1000
        born = _BORN_FROM + timedelta(days=d)
        body = f"{region}{born:%Y%m%d}{seq:03d}"
        mobile = (i * 48271 + self.seed) % 10**8  # 48271 is coprime with 10^8: injective
        return {
            "name": self.zh_names[p],
            "phone": f"{_MOBILE[i % len(_MOBILE)]}{mobile:08d}",
            "email": f"{self.zh_users[p]}{i}@example.cn",
            "id_type": "cn_resident_id",
            "id_number": body + ric.calc_check_digit(body + "0"),
            "gender": "male" if seq % 2 else "female",
            "birth_date": born.isoformat(),
            "nationality": "CN",
            "address": _OLD_REGIONS[region] + self.zh_streets[p],
        }

    def rows(self, n: int, start: int = 0) -> Iterator[dict[str, str]]:
        for i in range(start, start + n):
            yield self.row(i)


def e164(phone: str) -> str:
    """E.164 form of a phone as the factory writes it (no phonenumbers call needed)."""
    s = re.sub(r"\s", "", phone)
    return s if s.startswith("+") else "+86" + s


CONSENT_HEADER = ["consent.marketing", "consent.sensitive_processing", "consent_evidence"]


def write_csv(path: Path, n: int, seed: int = 7, consent: bool = False) -> Path:
    """The synthetic rows; with `consent`, three consent columns as a counter system would
    export them (marketing yes/no alternating, sensitive processing yes, a form number)."""
    factory = RowFactory(seed)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER + (CONSENT_HEADER if consent else []))
        for i, r in enumerate(factory.rows(n)):
            extra = ["yes" if i % 2 else "no", "yes", f"F-{i}"] if consent else []
            w.writerow([r[h] for h in HEADER] + extra)
    return path


# -- machine and environment ---------------------------------------------------------------
def machine() -> dict[str, Any]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu or platform.processor(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(),
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def _pct(xs: list[float], q: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, round(q * (len(s) - 1))))]


def _stats_ms(xs: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(_pct(xs, 0.50) * 1000, 4),
        "p99_ms": round(_pct(xs, 0.99) * 1000, 4),
        "mean_ms": round(sum(xs) / len(xs) * 1000, 4),
    }


class Sandbox:
    """A temporary directory with its own SQLite databases and keys (never ./var)."""

    def __init__(self, keep: bool = False) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="baomi-bench-"))
        self.keep = keep
        self.template = self.dir / "template.sqlite3"

    def env(self, db: Path) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("BAOMI_") and k != "DJANGO_SETTINGS_MODULE"
        }
        env.update(
            DJANGO_SETTINGS_MODULE="baomi.settings.base",
            BAOMI_DEBUG="0",
            BAOMI_HOME=str(self.dir),
            BAOMI_DATABASE_URL=f"sqlite:///{db}",
            BAOMI_KEY_DIR=str(self.dir / "keys"),
            BAOMI_SECRET_KEY="bench-" + os.urandom(24).hex(),
        )
        return env

    def migrate(self) -> None:
        self.run(["migrate", "--noinput", "-v0"], self.template)

    def fresh_db(self, name: str) -> Path:
        db = self.dir / f"{name}.sqlite3"
        shutil.copyfile(self.template, db)
        return db

    def run(self, args: list[str], db: Path) -> tuple[str, dict[str, float]]:
        """`baomi ARGS` in a child process on `db`; its stdout and resource usage."""
        cmd = [sys.executable, "-m", "baomi.cli", *args]
        with (self.dir / "child.log").open("a") as log:
            proc = subprocess.Popen(  # noqa: S603 (our own interpreter and module)
                cmd,
                env=self.env(db),
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                cwd=self.dir,
            )
            assert proc.stdout is not None
            out = proc.stdout.read()
            _, status, ru = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            tail = (self.dir / "child.log").read_text(errors="replace")[-2000:]
            raise CommandError(f"bench child `{' '.join(args[:2])}` failed:\n{tail}")
        usage = {
            "peak_rss_mb": round(ru.ru_maxrss / 1024, 1),  # Linux: KiB
            "cpu_s": round(ru.ru_utime + ru.ru_stime, 2),
        }
        return out, usage

    def close(self) -> None:
        if not self.keep:
            shutil.rmtree(self.dir, ignore_errors=True)


def _last_json(out: str) -> dict[str, Any]:
    for line in reversed(out.strip().splitlines()):
        if line.startswith("{"):
            loaded: dict[str, Any] = json.loads(line)
            return loaded
    raise CommandError("bench child printed no JSON")


# -- the parent side: orchestrate and compare ----------------------------------------------
def bench_ingest(box: Sandbox, rows: int, seed: int) -> dict[str, Any]:
    csv_path = write_csv(box.dir / "ingest.csv", rows, seed)
    box.migrate()
    out, base_usage = box.run(
        ["bench", "ingest", "--worker", "plain", "--file", str(csv_path)], box.fresh_db("plain")
    )
    base = {**_last_json(out), **base_usage}
    out, vault_usage = box.run(
        ["import", str(csv_path), "--channel", "import"], box.fresh_db("vault")
    )
    vault = {**_last_json(out), **vault_usage}
    # the same rows with consent columns: what capturing consent at import costs (R-B3)
    consent_path = write_csv(box.dir / "ingest-consent.csv", rows, seed, consent=True)
    out, consent_usage = box.run(
        ["import", str(consent_path), "--channel", "import"], box.fresh_db("consent")
    )
    with_consent = {**_last_json(out), **consent_usage}
    for r in (base, vault, with_consent):
        r["rows_per_s"] = round(r["rows"] / r["seconds"], 1) if r["seconds"] else None
        # CPU time of the process and its validation workers (start-up included): less
        # sensitive than wall time when other jobs share the machine
        r["rows_per_cpu_s"] = round(r["rows"] / r["cpu_s"], 1) if r["cpu_s"] else None
    ratio = vault["rows_per_s"] / base["rows_per_s"] if base["rows_per_s"] else None
    return {
        "bench": "ingest",
        "rows": rows,
        "vault": vault,
        "baseline": base,
        "ratio": round(ratio, 3) if ratio else None,
        "with_consent": with_consent,
        "consent_ratio": (
            round(with_consent["rows_per_s"] / vault["rows_per_s"], 3)
            if vault["rows_per_s"] and with_consent["rows_per_s"]
            else None
        ),
        "targets": {"rows_per_s": 20_000, "ratio": 0.5, "peak_rss_mb": 300},
        "met": {
            "rows_per_s": vault["rows_per_s"] >= 20_000,
            "ratio": bool(ratio and ratio >= 0.5),
            "peak_rss_mb": vault["peak_rss_mb"] <= 300,
        },
        "notes": "vault = `baomi import` in its own process (peak RSS is that process's); "
        "baseline = the same Importer with encryption and blind indexes off (_crypto=False); "
        "with_consent = `baomi import` of the same rows plus 3 consent columns "
        "(consent_ratio = its rows/s over vault's)",
    }


def bench_in_db(box: Sandbox, kind: str, rows: int, seed: int, samples: int) -> dict[str, Any]:
    csv_path = write_csv(box.dir / f"{kind}.csv", rows, seed)
    box.migrate()
    out, usage = box.run(
        [
            "bench",
            kind,
            "--worker",
            "run",
            "--file",
            str(csv_path),
            "--samples",
            str(samples),
            "--seed",
            str(seed),
        ],
        box.fresh_db(kind),
    )
    return {**_last_json(out), "worker": usage}


# -- the child side: runs inside the throwaway database -------------------------------------
def _import(path: Path, crypto: bool = True) -> dict[str, Any]:
    from baomi.audit.services import SYSTEM
    from baomi.customers.importer import Importer

    s = Importer(SYSTEM, None, "import", _crypto=crypto).run(path)
    return s.as_dict()


def _plain_table(path: Path, columns: list[str]) -> int:
    """Plaintext copy of the synthetic rows in an indexed temporary table (bench DB only)."""
    from django.db import connection, transaction

    cols = ", ".join(f"{c} TEXT" for c in columns)
    n = 0
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(f"CREATE TABLE bench_plain (id INTEGER PRIMARY KEY, {cols})")
        cur.execute("CREATE INDEX bench_plain_phone ON bench_plain (phone)")
        sql = (
            f"INSERT INTO bench_plain ({', '.join(columns)}) "  # noqa: S608 (constant names)
            f"VALUES ({', '.join(['%s'] * len(columns))})"
        )
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            chunk: list[list[str]] = []
            for r in reader:
                r["phone"] = e164(r["phone"])
                chunk.append([r[c] for c in columns])
                if len(chunk) >= 5000:
                    cur.executemany(sql, chunk)
                    n += len(chunk)
                    chunk = []
            if chunk:
                cur.executemany(sql, chunk)
                n += len(chunk)
    return n


def _sample_phones(path: Path, k: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    picked: list[str] = []
    with path.open(encoding="utf-8", newline="") as fh:
        for i, r in enumerate(csv.DictReader(fh)):  # reservoir sample: flat memory
            if i < k:
                picked.append(r["phone"])
            else:
                j = rng.randrange(i + 1)
                if j < k:
                    picked[j] = r["phone"]
    return picked


def _staff(role: str) -> Any:
    from baomi.access.services import create_staff

    staff, _ = create_staff(None, f"bench_{role}", role, "Bench-" + os.urandom(12).hex())
    return staff


def worker_lookup(path: Path, samples: int, seed: int, load: bool = True) -> dict[str, Any]:
    from django.conf import settings
    from django.db import connection

    from baomi.customers import gate, services
    from baomi.customers.models import Customer
    from baomi.vault import services as vault

    t = time.perf_counter()
    # load=False: the database already holds the file's customers (e.g. kept from a
    # 1,000,000-row `bench ingest --keep` run, so the million is not imported twice)
    summary = _import(path) if load else {"created": Customer.objects.count()}
    load_s = time.perf_counter() - t
    _plain_table(path, ["phone"])
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    phones = _sample_phones(path, samples, seed)
    staff = _staff("customer_service")
    vault.clear_caches()  # no data keys left over from the import in this process

    def plain(p: str) -> list[Any]:
        with connection.cursor() as cur:
            cur.execute("SELECT id FROM bench_plain WHERE phone = %s", [p])
            return cur.fetchall()

    def blind(p: str) -> list[Any]:
        return gate.match_exact({"phone": p}, vault.candidates("phone", p))

    for p in phones[:50]:  # warm-up
        plain(e164(p))
        blind(e164(p))
    t_plain: list[float] = []
    t_cands: list[float] = []
    t_blind: list[float] = []
    t_search: list[float] = []
    cands: list[int] = []
    misses = 0
    blind_cpu = 0.0
    for p in phones:
        norm = e164(p)
        a = time.perf_counter()
        hits_plain = plain(norm)
        b, cpu = time.perf_counter(), time.process_time()
        hits = blind(norm)
        c = time.perf_counter()
        blind_cpu += time.process_time() - cpu
        vault.candidates("phone", norm)
        d = time.perf_counter()
        t_plain.append(b - a)
        t_blind.append(c - b)
        t_cands.append(d - c)
        misses += len(hits) != 1 or len(hits_plain) != 1
    for p in phones[: max(1, len(phones) // 4)]:
        a = time.perf_counter()
        page = services.search_customers(staff, "customer_service", {"phone": p})
        t_search.append(time.perf_counter() - a)
        misses += page.total != 1
        cands.append(len(vault.candidates("phone", e164(p))))
    plain_s, blind_s = _stats_ms(t_plain), _stats_ms(t_blind)
    ratio = blind_s["p50_ms"] / plain_s["p50_ms"] if plain_s["p50_ms"] else None
    return {
        "bench": "lookup",
        "customers": summary["created"],
        "samples": len(phones),
        "load_seconds": round(load_s, 2),
        "index_bits": vault.indexer("phone").bits,
        "expected_customers_setting": settings.BAOMI_EXPECTED_CUSTOMERS,
        "mean_candidates_per_lookup": round(sum(cands) / len(cands), 2) if cands else 0,
        "plaintext": plain_s,
        "vault": blind_s,
        "vault_cpu_mean_ms": round(blind_cpu * 1000 / len(phones), 4) if phones else None,
        "vault_index_query_only": _stats_ms(t_cands),
        "search_service": _stats_ms(t_search),
        "ratio_p50": round(ratio, 2) if ratio else None,
        "wrong_results": misses,
        "targets": {"p50_ms_at_1m": 1.0, "p99_ms_at_1m": 10.0, "ratio": 2.0},  # issue #11
        "notes": "plaintext = SELECT on an indexed TEXT column of a temporary table; "
        "vault = blind-index candidates + decrypt-and-compare in the gate (ids only); "
        "vault_cpu_mean_ms = CPU of this process per vault lookup; "
        "vault_index_query_only = the blind-index statement alone; "
        "search_service = services.search_customers (adds the masked view of the hit and "
        "two audit events, each committed with synchronous=FULL)",
    }


def worker_read(path: Path, samples: int, seed: int) -> dict[str, Any]:
    from django.db import connection

    from baomi.customers import gate
    from baomi.customers.models import Customer
    from baomi.vault import services as vault

    summary = _import(path)
    _plain_table(path, HEADER)
    staff = _staff("front_desk")
    ids = list(Customer.objects.order_by("id").values_list("id", flat=True))
    vault.clear_caches()
    page = 20
    a, cpu = time.perf_counter(), time.process_time()
    n_gate = 0
    for i in range(0, len(ids), page):
        n_gate += len(gate.access_customers(staff, "reception", ids[i : i + page]))
    gate_s = time.perf_counter() - a
    gate_cpu = time.process_time() - cpu
    one = ids[: min(len(ids), samples)]
    vault.clear_caches()
    a, cpu = time.perf_counter(), time.process_time()
    for cid in one:
        gate.access_customer(staff, "reception", cid)
    single_s = time.perf_counter() - a
    single_cpu = time.process_time() - cpu
    cols = ", ".join(HEADER)
    plain_ids = list(range(1, len(ids) + 1))
    a = time.perf_counter()
    n_plain = 0
    with connection.cursor() as cur:
        for i in range(0, len(plain_ids), page):
            part = plain_ids[i : i + page]
            cur.execute(
                f"SELECT {cols} FROM bench_plain WHERE id IN ({', '.join(['%s'] * len(part))})",  # noqa: S608
                part,
            )
            n_plain += len([dict(zip(HEADER, r, strict=True)) for r in cur.fetchall()])
    plain_s = time.perf_counter() - a
    gate_rate = n_gate / gate_s if gate_s else 0.0
    plain_rate = n_plain / plain_s if plain_s else 0.0
    return {
        "bench": "read",
        "customers": summary["created"],
        "gate_pages": {
            "customers": n_gate,
            "page_size": page,
            "customers_per_s": round(gate_rate, 1),
            # CPU of this process (what contention distorts least; the wall rate also
            # waits for one fsync'd commit per page)
            "customers_per_cpu_s": round(n_gate / gate_cpu, 1) if gate_cpu else None,
        },
        "gate_single_360": {
            "customers": len(one),
            "customers_per_s": round(len(one) / single_s, 1) if single_s else None,
            "customers_per_cpu_s": round(len(one) / single_cpu, 1) if single_cpu else None,
        },
        "plaintext_pages": {"customers": n_plain, "customers_per_s": round(plain_rate, 1)},
        "ratio": round(gate_rate / plain_rate, 4) if plain_rate else None,
        "notes": "gate_pages = access_customers(front_desk, reception, 20 ids): decrypt, mask "
        "and one audit event per customer, committed per page; gate_single_360 = "
        "access_customer with related records (the 360° view); plaintext_pages = the same "
        "pages from a plaintext table with no policy, masking or audit",
    }


class Command(BaseCommand):
    help = (
        "Benchmarks on synthetic data in a throwaway SQLite database with throwaway keys "
        "(never ./var): ingest (rows/s of `baomi import` vs. the importer without "
        "encryption; peak RSS), lookup (p50/p99 exact search by phone vs. a plaintext "
        "indexed lookup), read (customers/s through the access gate). Results: "
        "docs/performance.md; `make bench` runs them all."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("kind", choices=["ingest", "lookup", "read"])
        parser.add_argument("--rows", type=int, default=None, help="synthetic rows / customers")
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument(
            "--samples", type=int, default=2000, help="lookups / single reads to time"
        )
        parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
        parser.add_argument("--worker", help=argparse.SUPPRESS)
        parser.add_argument("--file", help=argparse.SUPPRESS)
        parser.add_argument("--existing", action="store_true", help=argparse.SUPPRESS)

    def handle(self, *args: Any, **opts: Any) -> None:
        kind = opts["kind"]
        if opts["worker"]:
            self._worker(kind, opts)
            return
        defaults = {"ingest": 100_000, "lookup": 100_000, "read": 10_000}
        rows = opts["rows"] or defaults[kind]
        if rows < 1:
            raise CommandError("--rows must be at least 1")
        box = Sandbox(keep=opts["keep"])
        started = time.perf_counter()
        try:
            if kind == "ingest":
                result = bench_ingest(box, rows, opts["seed"])
            else:
                result = bench_in_db(box, kind, rows, opts["seed"], min(opts["samples"], rows))
        finally:
            box.close()
        result["machine"] = machine()
        result["wall_seconds"] = round(time.perf_counter() - started, 1)
        if opts["keep"]:
            result["dir"] = str(box.dir)
        if opts["json"]:
            self.stdout.write(json.dumps(result))
        else:
            self.stdout.write(json.dumps(result, indent=2))

    def _worker(self, kind: str, opts: dict[str, Any]) -> None:
        from django.conf import settings

        # the child refuses to run anywhere but a throwaway database in a temp dir
        name = str(settings.DATABASES["default"]["NAME"])
        if not Path(name).parent.name.startswith("baomi-bench-"):
            raise CommandError("bench workers run only inside their throwaway directory")
        path = Path(opts["file"])
        if kind == "ingest":
            result = _import(path, crypto=opts["worker"] != "plain")
        elif kind == "lookup":
            result = worker_lookup(path, opts["samples"], opts["seed"], not opts["existing"])
        else:
            result = worker_read(path, opts["samples"], opts["seed"])
        self.stdout.write(json.dumps(result))
