"""Load bench of the API on the production server, over the loopback (issue #11).

    .venv/bin/python benchmarks/bench_api.py                      # SQLite and PostgreSQL
    .venv/bin/python benchmarks/bench_api.py --engine sqlite --seconds 10 --compare-runserver

Starts `baomi serve` (gunicorn) on a throwaway database with throwaway keys (SQLite file in
a temporary directory, or a throwaway PostgreSQL database on BAOMI_BENCH_PG_URL, default
postgres://postgres@127.0.0.1:5432/postgres), imports synthetic customers with
`baomi import`, and drives it with a small asyncio HTTP/1.1 keep-alive client (no extra
dependency): GET /api/v1/customers/{id} (read, masked, audited) at concurrency 32 and
POST /api/v1/customers at concurrency 8, each for a fixed time. Baseline in the same run:
GET /api/v1/health at the same concurrency (the server's and client's own floor).
`--compare-runserver` repeats the GET on Django's development server (the old `baomi
serve`). Prints one JSON object; load average recorded at start and end. Bounded: every
phase has a fixed duration, the whole run takes about a minute per engine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from tests.live import LiveServer, free_port  # noqa: E402

PG_URL = os.environ.get("BAOMI_BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def pct(xs: list[float], p: float) -> float:
    if not xs:
        return 0.0
    s = sorted(xs)
    return s[min(len(s) - 1, int(p / 100 * len(s)))]


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        k, _, v = line.partition(":")
        if k.strip().lower() == "content-length":
            length = int(v.strip())
    body = await reader.readexactly(length) if length else b""
    return status, body


async def _drive(
    port: int,
    concurrency: int,
    seconds: float,
    make: Any,  # i -> (method, path, headers, body bytes)
) -> dict[str, Any]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    deadline = time.perf_counter() + seconds
    counter = iter(range(10**9))

    async def one_client() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while time.perf_counter() < deadline:
                method, path, headers, body = make(next(counter))
                hdrs = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
                req = (
                    f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{hdrs}"
                    f"Content-Length: {len(body)}\r\n\r\n"
                ).encode() + body
                t0 = time.perf_counter()
                writer.write(req)
                await writer.drain()
                try:
                    status, _ = await _read_response(reader)
                except (asyncio.IncompleteReadError, ConnectionError):
                    statuses[-1] = statuses.get(-1, 0) + 1  # connection dropped
                    writer.close()
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                    continue
                latencies.append(time.perf_counter() - t0)
                statuses[status] = statuses.get(status, 0) + 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(one_client() for _ in range(concurrency)))
    wall = time.perf_counter() - started
    n = len(latencies)
    return {
        "concurrency": concurrency,
        "seconds": round(wall, 2),
        "requests": n,
        "req_per_s": round(n / wall, 1),
        "p50_ms": round(pct(latencies, 50) * 1000, 2),
        "p99_ms": round(pct(latencies, 99) * 1000, 2),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "errors_5xx": sum(v for k, v in statuses.items() if k >= 500 or k < 0),
    }


def drive(port: int, concurrency: int, seconds: float, make: Any) -> dict[str, Any]:
    return asyncio.run(_drive(port, concurrency, seconds, make))


def _seed(srv: LiveServer, tmp: Path, customers: int) -> tuple[list[str], Any]:
    from baomi.customers.management.commands.bench import RowFactory, write_csv

    path = write_csv(tmp / "seed.csv", customers, seed=5)
    srv.run("import", str(path), "--channel", "import", "--workers", "0", timeout=1800)
    return [], RowFactory(seed=5)


def _ids(srv: LiveServer, token: str, rows: Any, n: int, total: int) -> list[str]:
    from urllib.parse import urlencode

    ids = []
    for i in range(0, total, max(1, total // n)):
        status, body = srv.request(
            "GET",
            "/api/v1/customers?" + urlencode({"id_number": rows.row(i)["id_number"]}),
            token=token,
            purpose="reception",
        )
        assert status == 200 and body["total"] == 1, body
        ids.append(body["items"][0]["id"])
    return ids


def run_engine(engine: str, args: argparse.Namespace) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix=f"baomi-bench-api-{engine}-"))
    if engine == "postgresql":
        os.environ["BAOMI_TEST_DATABASE_URL"] = PG_URL
        import tests.live as live

        live.PG_URL = PG_URL
    srv = LiveServer(tmp, engine).setup()
    out: dict[str, Any] = {"engine": engine, "loadavg_at_start": loadavg()}
    try:
        token = srv.token("front_desk")
        _, rows = _seed(srv, tmp, args.customers)
        srv.start(workers=args.workers, threads=args.threads)
        out["server"] = {"workers": args.workers, "threads": args.threads, "class": "gthread"}
        ids = _ids(srv, token, rows, 200, args.customers)
        auth = {"Authorization": f"Bearer {token}", "X-Purpose": "reception"}

        def get(i: int) -> tuple[str, str, dict[str, str], bytes]:
            return "GET", f"/api/v1/customers/{ids[i % len(ids)]}", auth, b""

        def health(i: int) -> tuple[str, str, dict[str, str], bytes]:
            return "GET", "/api/v1/health", {}, b""

        base = args.customers + 1000

        def post(i: int) -> tuple[str, str, dict[str, str], bytes]:
            body = {**rows.row(base + i), "channel": "store"}
            return (
                "POST",
                "/api/v1/customers",
                {**auth, "Content-Type": "application/json"},
                json.dumps(body).encode(),
            )

        drive(srv.port, 4, 2, get)  # warm-up: connections, caches
        out["baseline_health_c32"] = drive(srv.port, 32, args.seconds, health)
        out["get_c32"] = drive(srv.port, 32, args.seconds, get)
        out["post_c8"] = drive(srv.port, 8, args.seconds, post)
        out["ratio_get_to_health"] = round(
            out["get_c32"]["req_per_s"] / max(1e-9, out["baseline_health_c32"]["req_per_s"]), 3
        )
        log = srv.log.read_text(errors="replace")
        out["log_database_locked"] = log.count("database is locked") + log.count(
            "sqlite_database_locked"
        )
        srv.kill()
        if args.compare_runserver:
            port = free_port()
            dev = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "baomi.cli",
                    "runserver",
                    f"127.0.0.1:{port}",
                    "--noreload",
                    "--insecure",
                ],
                env=srv.env(),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                srv.port = port
                for _ in range(100):
                    try:
                        if srv.request("GET", "/api/v1/health")[0] == 200:
                            break
                    except OSError:
                        time.sleep(0.2)
                out["runserver_get_c32"] = drive(port, 32, args.seconds, get)
                out["ratio_gunicorn_to_runserver_get"] = round(
                    out["get_c32"]["req_per_s"] / max(1e-9, out["runserver_get_c32"]["req_per_s"]),
                    2,
                )
            finally:
                dev.terminate()
                dev.wait(30)
    finally:
        srv.close()
    out["loadavg_at_end"] = loadavg()
    out["targets"] = {
        "get_c32_ge_1000_rps": out["get_c32"]["req_per_s"] >= 1000,
        "get_c32_p99_le_50ms": out["get_c32"]["p99_ms"] <= 50,
        "post_c8_ge_300_rps": out["post_c8"]["req_per_s"] >= 300,
        "zero_5xx": out["get_c32"]["errors_5xx"] == 0 and out["post_c8"]["errors_5xx"] == 0,
        "zero_database_locked": out["log_database_locked"] == 0,
    }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--engine", choices=["sqlite", "postgresql", "both"], default="both")
    ap.add_argument("--customers", type=int, default=2000)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--compare-runserver", action="store_true")
    args = ap.parse_args()
    from baomi.core.server import default_sizing

    size = default_sizing()
    args.workers = args.workers or size.workers
    args.threads = args.threads or size.threads
    engines = ["sqlite", "postgresql"] if args.engine == "both" else [args.engine]
    result = {
        "bench": "api",
        "machine": {"nproc": os.cpu_count(), "python": platform.python_version()},
        "runs": [run_engine(e, args) for e in engines],
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
