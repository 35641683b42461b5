"""CPU and SQL statements per read, in one process (issue #11): where a GET's time goes.

    .venv/bin/python benchmarks/profile_read.py                    # SQLite
    .venv/bin/python benchmarks/profile_read.py --engine postgresql
    .venv/bin/python benchmarks/profile_read.py --profile get      # + cProfile of the GET

Builds a throwaway database and keys (SQLite file in a temporary directory, or a throwaway
PostgreSQL database on BAOMI_BENCH_PG_URL), creates customers through the real services
(a few with bookings and stays), and times, with `time.process_time` (CPU of this
process: what contention distorts least on a shared machine):

- `get`: `GET /api/v1/customers/{id}` through Django's test client (token, routing, gate,
  audit append and commit, serialisation) — the path `bench_api.py` drives over HTTP;
- `get_related`: the same with `?related=1` (the 360° view with the record tables);
- `gate_single`: `gate.access_customer(related=False)` alone; `gate_360`: with the records;
- `health`: `GET /api/v1/health` (the HTTP stack's own floor: middleware, routing);
- `gate_page`: `gate.access_customers` of 20 ids (per customer);
- `lookup`: blind-index candidates + `gate.match_exact` of one phone.

For each: CPU ms per operation (median of rounds) and SQL statements per operation.
Prints one JSON object; `--profile NAME` adds the top functions of a cProfile of NAME.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("BAOMI_BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def _env(engine: str, tmp: Path) -> str | None:
    for k in [k for k in os.environ if k.startswith("BAOMI_")]:
        del os.environ[k]
    os.environ.update(
        DJANGO_SETTINGS_MODULE="baomi.settings.base",
        BAOMI_DEBUG="0",
        BAOMI_ALLOWED_HOSTS="testserver",
        BAOMI_HOME=str(tmp),
        BAOMI_KEY_DIR=str(tmp / "keys"),
        BAOMI_SECRET_KEY="profile-" + os.urandom(24).hex(),
    )
    if engine == "sqlite":
        os.environ["BAOMI_DATABASE_URL"] = f"sqlite:///{tmp / 'db.sqlite3'}"
        return None
    import psycopg

    name = "baomi_profile_" + uuid.uuid4().hex[:10]
    with psycopg.connect(PG_URL, autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    base = PG_URL.rsplit("/", 1)[0]
    os.environ["BAOMI_DATABASE_URL"] = f"{base}/{name}"
    return name


def _drop(name: str | None) -> None:
    if name is None:
        return
    import psycopg
    from django.db import connections

    connections.close_all()
    with psycopg.connect(PG_URL, autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _time(fn: Any, n: int, rounds: int = 5) -> float:
    """Median over rounds of CPU ms per call."""
    per = []
    for _ in range(rounds):
        a = time.process_time()
        for i in range(n):
            fn(i)
        per.append((time.process_time() - a) * 1000 / n)
    per.sort()
    return round(per[len(per) // 2], 3)


def _count(fn: Any, i: int = 1) -> int:
    """Statements of call `i` (1: a customer without records; 0: one with a stay and a
    booking — every tenth customer has them)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        fn(i)
    return len(ctx.captured_queries)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--engine", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("--customers", type=int, default=300)
    ap.add_argument("--n", type=int, default=100, help="operations per round")
    ap.add_argument("--profile", default="", help="cProfile this operation")
    ap.add_argument("--top", type=int, default=35)
    ap.add_argument("--sql", default="", help="print the SQL statements of one NAME")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="baomi-profile-"))
    dbname = _env(args.engine, tmp)
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    try:
        call_command("migrate", "--noinput", verbosity=0)
        from baomi.access.services import create_staff, issue_token
        from baomi.customers import gate, services
        from baomi.customers.management.commands.bench import RowFactory, e164
        from baomi.vault import services as vault

        desk, _ = create_staff(None, "profile_desk", "front_desk", "Profile-" + os.urandom(9).hex())
        token = issue_token(desk).token
        rows = RowFactory(seed=3)
        ids: list[uuid.UUID] = []
        phones: list[str] = []
        for i in range(args.customers):
            r = rows.row(i)
            c = services.create_customer(desk, "reception", dict(r), channel="store")
            ids.append(c.id)
            phones.append(e164(r["phone"]))
            if i % 10 == 0:  # some customers have records (the 360° view reads them)
                services.add_record(desk, "reception", c.id, "stay", {}, channel="store")
                services.add_record(desk, "reception", c.id, "booking", {}, channel="store")
        client = Client()
        auth = {"Authorization": f"Bearer {token}", "X-Purpose": "reception"}
        k = len(ids)

        def get(i: int) -> None:
            r = client.get(f"/api/v1/customers/{ids[i % k]}", headers=auth)
            assert r.status_code == 200, r.content[:300]

        def get_related(i: int) -> None:
            r = client.get(f"/api/v1/customers/{ids[i % k]}?related=1", headers=auth)
            assert r.status_code == 200, r.content[:300]

        def gate_single(i: int) -> None:
            gate.access_customer(desk, "reception", ids[i % k], related=False)

        def gate_360(i: int) -> None:
            gate.access_customer(desk, "reception", ids[i % k], related=True)

        def health(i: int) -> None:
            assert client.get("/api/v1/health").status_code == 200

        def gate_page(i: int) -> None:
            j = (i * 20) % max(1, k - 20)
            gate.access_customers(desk, "reception", ids[j : j + 20])

        def lookup(i: int) -> None:
            p = phones[i % k]
            assert gate.match_exact({"phone": p}, vault.candidates("phone", p))

        ops = {
            "get": (get, 1),
            "get_related": (get_related, 1),
            "gate_single": (gate_single, 1),
            "gate_360": (gate_360, 1),
            "health": (health, 1),
            "gate_page": (gate_page, 20),
            "lookup": (lookup, 1),
        }
        out: dict[str, Any] = {
            "engine": args.engine,
            "customers": k,
            "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
        }
        for name, (fn, per) in ops.items():
            for i in range(10):  # warm-up (key cache, statement caches)
                fn(i)
            statements = _count(fn)
            cpu = _time(fn, max(1, args.n // per))
            out[name] = {
                "cpu_ms_per_op": round(cpu / per, 3),
                "statements_per_op": round(statements / per, 2),
                "statements_per_call": statements,
                "statements_with_records": _count(fn, 0),
            }
        out["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
        if args.sql:
            from django.db import connection
            from django.test.utils import CaptureQueriesContext

            with CaptureQueriesContext(connection) as ctx:
                ops[args.sql][0](1)
            for q in ctx.captured_queries:
                print(q["sql"][:400], file=sys.stderr)
        if args.profile:
            fn, per = ops[args.profile]
            prof = cProfile.Profile()
            prof.enable()
            for i in range(args.n):
                fn(i)
            prof.disable()
            buf = io.StringIO()
            st = pstats.Stats(prof, stream=buf)
            st.sort_stats("cumulative").print_stats(args.top)
            st.sort_stats("tottime").print_stats(args.top)
            print(buf.getvalue(), file=sys.stderr)
        print(json.dumps(out))
    finally:
        _drop(dbname)


if __name__ == "__main__":
    main()
