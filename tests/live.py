"""A real `baomi serve` (gunicorn) in its own process, on its own database and keys, for the
concurrency and crash tests (issue #11). SQLite: a file in a temporary directory;
PostgreSQL: a database of its own on the server in BAOMI_TEST_DATABASE_URL, dropped after.

Data is made through the product's own surfaces: migrations by `baomi migrate`, staff and
tokens by the access services (in a child process), customers by the HTTP API."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

PG_URL = os.environ.get("BAOMI_TEST_DATABASE_URL", "")
ON_PG = PG_URL.startswith("postgres")

_STAFF = """
import json, django
django.setup()
from baomi.access.services import create_staff_with_mfa, issue_token
new = create_staff_with_mfa(None, {username!r}, {role!r}, "correct-horse-battery-staple-42")
print(json.dumps({{"token": issue_token(new.staff).token}}))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    def __init__(self, root: Path, engine: str | None = None) -> None:
        self.root = root
        self.engine = engine or ("postgresql" if ON_PG else "sqlite")
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = root / "server.log"
        self.key_dir = root / "keys"
        self.dbname = f"baomi_live_{uuid.uuid4().hex[:12]}"
        self.usernames: dict[str, str] = {}  # token → its staff member's username
        if self.engine == "postgresql":
            base = PG_URL.rsplit("/", 1)[0]
            self.url = f"{base}/{self.dbname}"
        else:
            self.url = f"sqlite:///{root / 'baomi.sqlite3'}"

    # -- environment -------------------------------------------------------------------
    def env(self, **extra: str) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("BAOMI_", "DJANGO_", "PYTEST_"))
        }
        env.update(
            DJANGO_SETTINGS_MODULE="baomi.settings.base",
            BAOMI_HOME=str(self.root),
            BAOMI_DATABASE_URL=self.url,
            BAOMI_KEY_DIR=str(self.key_dir),
            BAOMI_EXPECTED_CUSTOMERS="1000",
            BAOMI_DEBUG="0",
            **extra,
        )
        return env

    def run(self, *args: str, timeout: float = 300, check: bool = True) -> Any:
        r = subprocess.run(
            [sys.executable, "-m", "baomi.cli", *args],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check:
            assert r.returncode == 0, (args, r.stdout[-2000:], r.stderr[-3000:])
        return r

    def setup(self) -> LiveServer:
        if self.engine == "postgresql":
            self._pg(f'CREATE DATABASE "{self.dbname}"')
        self.run("migrate", "--noinput")
        return self

    def _pg(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(sql)  # type: ignore[arg-type]

    def token(self, role: str = "front_desk") -> str:
        username = f"live_{role}_{uuid.uuid4().hex[:6]}"
        script = _STAFF.format(username=username, role=role)
        r = subprocess.run(
            [sys.executable, "-c", script],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert r.returncode == 0, r.stderr[-3000:]
        token = str(json.loads(r.stdout.strip().splitlines()[-1])["token"])
        self.usernames[token] = username
        return token

    # -- the server ----------------------------------------------------------------------
    def start(self, workers: int = 2, threads: int = 4, timeout: float = 60) -> None:
        fh = self.log.open("ab")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "baomi.cli",
                "serve",
                "--port",
                str(self.port),
                "--workers",
                str(workers),
                "--threads",
                str(threads),
            ],
            env=self.env(),
            stdout=fh,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: kill -9 takes the workers too
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log.read_text()[-3000:]
            with contextlib.suppress(OSError):
                status, _ = self.request("GET", "/api/v1/health")
                if status == 200:
                    return
            time.sleep(0.2)
        raise AssertionError("server did not become ready: " + self.log.read_text()[-3000:])

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, sig)
            self.proc.wait(timeout=30)
        self.proc = None

    def close(self) -> None:
        self.kill(signal.SIGTERM)
        if self.engine == "postgresql":
            with contextlib.suppress(Exception):
                self._pg(f'DROP DATABASE IF EXISTS "{self.dbname}" WITH (FORCE)')

    # -- HTTP ---------------------------------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        token: str | None = None,
        purpose: str | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 60,
    ) -> tuple[int, Any]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        h = {"Content-Type": "application/json", **(headers or {})}
        if token:
            h["Authorization"] = f"Bearer {token}"
        if purpose:
            h["X-Purpose"] = purpose
        try:
            conn.request(method, path, json.dumps(body) if body is not None else None, h)
            resp = conn.getresponse()
            raw = resp.read()
        finally:
            conn.close()
        try:
            data = json.loads(raw) if raw else None
        except ValueError:
            data = raw.decode(errors="replace")
        return resp.status, data


@contextlib.contextmanager
def live_server(root: Path, **start: Any) -> Iterator[LiveServer]:
    srv = LiveServer(root).setup()
    try:
        srv.start(**start)
        yield srv
    finally:
        srv.close()
