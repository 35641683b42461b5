"""`baomi serve`: the production WSGI server (gunicorn, gthread workers), decision 0015.

Workers are processes (the vault's crypto and the ORM are CPU-bound Python: one process per
core, so the GIL is not the limit); each runs a few threads, which overlap the waits that
remain (an fsync of the audit commit, a PostgreSQL round trip) without holding more
database connections than the database can serve. Static files are served by WhiteNoise
inside the application (settings.MIDDLEWARE). The access log carries no query string,
referrer or user agent: a query string can hold a search criterion (a phone, a name), and
personal values never rest in logs (DESIGN §3 rule 2).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

# method, path without the query string, protocol, status, bytes, duration, request id
ACCESS_LOG_FORMAT = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms %({x-request-id}o)s'


@dataclass(frozen=True)
class Sizing:
    workers: int
    threads: int


def default_sizing(cpus: int | None = None) -> Sizing:
    """One worker process per core (the CPU-bound work needs one GIL per core), 16 threads
    each: every read appends an audit event, and the threads of one process share those
    commits (`audit.groupcommit`), so more threads per process mean fewer, larger commits
    on the log's single head. Measured (docs/performance.md): at concurrency 32 on 2 cores,
    1 × 32 and 2 × 16 beat 3 × 4 by 1.4–2.8×. At most 6 processes: 6 × 16 = 96 database
    connections fit PostgreSQL's default max_connections = 100 (decision 0015; more
    servers → PgBouncer). Env: BAOMI_WEB_WORKERS / BAOMI_WEB_THREADS."""
    n = cpus if cpus is not None else (len(os.sched_getaffinity(0)) or os.cpu_count() or 1)
    workers = int(os.environ.get("BAOMI_WEB_WORKERS") or min(6, n))
    threads = int(os.environ.get("BAOMI_WEB_THREADS") or 16)
    return Sizing(max(1, workers), max(1, threads))


def options(host: str, port: int, sizing: Sizing) -> dict[str, Any]:
    return {
        "bind": f"{host}:{port}",
        "worker_class": "gthread",
        "workers": sizing.workers,
        "threads": sizing.threads,
        "timeout": 60,  # a worker silent this long is killed and replaced
        "graceful_timeout": 20,
        "keepalive": 5,
        # bounded memory over weeks of uptime: a worker is replaced after this many requests
        "max_requests": 20_000,
        "max_requests_jitter": 2_000,
        "preload_app": True,  # load Django once, fork the workers
        "accesslog": "-",
        "errorlog": "-",
        "loglevel": "info",
        "access_log_format": ACCESS_LOG_FORMAT,
        # query strings, referrers and user agents cut from access and error lines too
        "logger_class": "baomi.core.logs.GunicornLogger",
        "proc_name": "baomi",
        # gunicorn's runtime control socket is one path per user ($HOME/.gunicorn): two
        # servers on one machine would fight over it, and nothing here uses it
        "control_socket_disable": True,
        "forwarded_allow_ips": os.environ.get("BAOMI_FORWARDED_ALLOW_IPS", "127.0.0.1"),
    }


def run(host: str, port: int, sizing: Sizing | None = None) -> None:
    from django.core.wsgi import get_wsgi_application
    from django.db import connections
    from gunicorn.app.base import BaseApplication

    app = get_wsgi_application()
    connections.close_all()  # never share a connection opened here with the forked workers
    opts = options(host, port, sizing or default_sizing())

    class _Server(BaseApplication):
        def load_config(self) -> None:
            for k, v in opts.items():
                self.cfg.set(k, v)

        def load(self) -> Any:
            return app

    _Server().run()
