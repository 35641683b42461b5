"""Incident scoping at 10^6 audit events (issue #13 §2): prints one JSON object.

    .venv/bin/python benchmarks/bench_incident_scope.py                  # 1,000,000 events
    .venv/bin/python benchmarks/bench_incident_scope.py --events 100000  # quicker

A throwaway SQLite database with throwaway keys in a temporary directory (never ./var),
filled through the real services: customers imported from a synthetic CSV, staff created
by `create_staff`, then `customer.read` events (field treatments as the gate writes them)
appended with `record_many`, spread over 30 days and `--actors` accounts; the suspect
account makes `--suspect-share` of them. Then, through `scoping.scope_incident` (query on
the (actor_id, at) index, aggregate, store the set, its digest, tree size and root):

* scope_day      the suspect's reads in one day;
* scope_month    the suspect's reads over all 30 days;
* reprove_month  `scoping.reprove` of that scope (same query at the stored tree size, root
                 check, up to 2,000 inclusion proofs);
* query_plan     SQLite's plan for the scope query (must use audit_actor_at).
Target: seconds, not minutes, at 10^6 events.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-only-Passw0rd-not-secret-42"
TREATMENTS = {
    "name": "plain",
    "phone": "plain",
    "email": "plain",
    "id_number": "masked",
    "birth_date": "masked",
    "address": "masked",
    "gender": "plain",
    "nationality": "plain",
    "id_type": "plain",
}


def setup(tmp: Path) -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="baomi.settings.base",
        BAOMI_DATABASE_URL=f"sqlite:///{tmp / 'bench.sqlite3'}",
        BAOMI_KEY_DIR=str(tmp / "keys"),
        BAOMI_HOME=str(tmp),
        BAOMI_DEBUG="0",
        BAOMI_EXPECTED_CUSTOMERS="100000",
    )
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def customers(tmp: Path, n: int) -> list[str]:
    from baomi.access.services import create_staff
    from baomi.customers.importer import import_file
    from baomi.customers.models import Customer
    from baomi.customers.synthetic import Synth

    path = tmp / "customers.csv"
    synth = Synth(seed=13)
    rows = list(synth.customers(n))
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    desk, _ = create_staff(None, "bench_desk", "front_desk", PASSWORD)
    import_file(desk, "reception", path, "import")
    return [str(c) for c in Customer.objects.values_list("id", flat=True)]


def fill(
    events: int, actors: list[Any], suspect: Any, share: float, ids: list[str], start: datetime
) -> float:
    from baomi.audit.models import Action
    from baomi.audit.services import build, record_many

    rng = random.Random(7)
    span = timedelta(days=30).total_seconds()
    t0 = time.perf_counter()
    batch: list[Any] = []
    for i in range(events):
        who = suspect if rng.random() < share else rng.choice(actors)
        ev = build(
            Action.CUSTOMER_READ,
            who,
            purpose="reception",
            object_type="customer",
            object_id=rng.choice(ids),
            fields=TREATMENTS,
        )
        ev.at = start + timedelta(seconds=span * i / events)
        batch.append(ev)
        if len(batch) == 5000:
            record_many(batch)
            batch = []
            if (i + 1) % 100_000 == 0:
                print(f"… {i + 1:,} events", file=sys.stderr, flush=True)
    record_many(batch)
    return time.perf_counter() - t0


def timed_scope(officer: Any, inc: Any, suspect: Any, t1: datetime, t2: datetime) -> dict[str, Any]:
    from baomi.incidents import scoping

    t = time.perf_counter()
    params = scoping.account_params(suspect.pk, t1, t2)
    s = scoping.scope_incident(officer, inc.pk, scoping.ScopeMethod.ACCOUNT, params)
    return {
        "seconds": round(time.perf_counter() - t, 3),
        "events": s.events,
        "affected": s.affected,
        "tree_size": s.tree_size,
        "scope": s.pk,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--customers", type=int, default=20_000)
    ap.add_argument("--actors", type=int, default=100)
    ap.add_argument("--suspect-share", type=float, default=0.02)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="baomi-bench-scope-") as d:
        tmp = Path(d)
        setup(tmp)
        from django.db import connection

        from baomi.access.services import create_staff
        from baomi.incidents import scoping, services

        result: dict[str, Any] = {
            "bench": "incident_scope",
            "machine": {
                "python": platform.python_version(),
                "sqlite": sqlite3.sqlite_version,
                "cpus": os.cpu_count(),
                "loadavg_start": [round(x, 2) for x in os.getloadavg()],
            },
        }
        t = time.perf_counter()
        ids = customers(tmp, args.customers)
        result["customers"] = {"count": len(ids), "seconds": round(time.perf_counter() - t, 1)}
        actors = [
            create_staff(None, f"bench_staff_{i}", "front_desk", PASSWORD)[0]
            for i in range(args.actors)
        ]
        suspect = create_staff(None, "bench_suspect", "front_desk", PASSWORD)[0]
        officer = create_staff(None, "bench_officer", "privacy_officer", PASSWORD)[0]
        start = datetime(2026, 10, 1, tzinfo=UTC)
        secs = fill(args.events, actors, suspect, args.suspect_share, ids, start)
        result["fill"] = {
            "events": args.events,
            "seconds": round(secs, 1),
            "events_per_s": round(args.events / secs),
        }
        inc = services.open_incident(
            officer,
            title="bench",
            kind="unauthorised_access",
            severity="medium",
            detected_at=start + timedelta(days=30),
        )
        result["scope_day"] = timed_scope(
            officer, inc, suspect, start + timedelta(days=10), start + timedelta(days=11)
        )
        month = timed_scope(officer, inc, suspect, start, start + timedelta(days=31))
        result["scope_month"] = month
        t = time.perf_counter()
        proof = scoping.reprove(officer, month["scope"])
        result["reprove_month"] = {
            "seconds": round(time.perf_counter() - t, 3),
            "ok": proof.ok,
            "leaves_checked": proof.leaves_checked,
            "leaves_total": proof.leaves_total,
        }
        with connection.cursor() as cur:
            cur.execute(
                "EXPLAIN QUERY PLAN SELECT seq FROM audit_event WHERE actor_id = %s AND at >= %s "
                "AND at < %s AND seq <= %s",
                [suspect.pk, start.isoformat(), start.isoformat(), 1],
            )
            result["query_plan"] = " | ".join(str(r[-1]) for r in cur.fetchall())
        result["db_mb"] = round((tmp / "bench.sqlite3").stat().st_size / 2**20, 1)
        result["machine"]["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
        worst = max(
            result["scope_day"]["seconds"], month["seconds"], result["reprove_month"]["seconds"]
        )
        result["targets"] = {"scope_and_reprove_under_10s": worst < 10}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
