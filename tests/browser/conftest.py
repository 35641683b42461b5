"""Browser fixtures: Playwright (sync API) driving Debian's Chromium against `live_server`.

Never a downloaded browser: Chromium is launched from /usr/bin/chromium (CI installs the
Debian package). Without it the browser tests are skipped, saying why.

Two things make the live server and Playwright get along with the rest of the suite:
  * Playwright's sync API runs an asyncio loop in the test thread, so Django's async-safety
    check would refuse ORM calls made by the test itself; DJANGO_ALLOW_ASYNC_UNSAFE is set
    only while the browser runs (module scope) and restored afterwards. The database
    connections opened meanwhile belong to Playwright's context and are closed with it.
  * `live_server` needs a transactional database, which pytest-django empties after each
    test (DELETE on SQLite, TRUNCATE on PostgreSQL). The audit log refuses both by design
    (append-only triggers), so `flushable_audit` switches the triggers off just for that
    clean-up and `_restore_triggers` switches them back on: tests always run with them on.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
_saved_sqlite_triggers: list[tuple[str, str]] = []


def _triggers_off(connection: Any) -> None:
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
            rows = [(str(n), str(s)) for n, s in cur.fetchall()]
            for name, _ in rows:
                cur.execute(f'DROP TRIGGER IF EXISTS "{name}"')
            _saved_sqlite_triggers.extend(rows)
        elif connection.vendor == "postgresql":
            for table in _pg_trigger_tables(cur):
                cur.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")


def _triggers_on(connection: Any) -> None:
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            while _saved_sqlite_triggers:
                _, sql = _saved_sqlite_triggers.pop()
                cur.execute(sql)
        elif connection.vendor == "postgresql":
            for table in _pg_trigger_tables(cur):
                cur.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")


def _pg_trigger_tables(cur: Any) -> list[str]:
    cur.execute(
        "SELECT DISTINCT quote_ident(n.nspname) || '.' || quote_ident(c.relname) "
        "FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE NOT t.tgisinternal AND n.nspname = current_schema()"
    )
    return [r[0] for r in cur.fetchall()]


@pytest.fixture(scope="module")
def _restore_triggers(django_db_blocker: Any) -> Iterator[None]:
    yield
    from django.db import connection

    with django_db_blocker.unblock():
        _triggers_on(connection)


@pytest.fixture
def flushable_audit(_restore_triggers: None, transactional_db: None) -> Iterator[None]:
    from django.db import connection

    _triggers_on(connection)  # after the previous test's clean-up
    yield
    _triggers_off(connection)  # pytest-django empties every table right after this


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"Debian's Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as pw:
            b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                yield b
            finally:
                b.close()
                # Code run while Playwright is active sees its own contextvars context, hence
                # its own database connections: close them, or PostgreSQL cannot drop the
                # test database at the end of the session.
                from django.db import connections

                connections.close_all()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser: Any, live_server: Any, flushable_audit: None) -> Iterator[Any]:
    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(15_000)
    p = context.new_page()
    try:
        yield p
    finally:
        context.close()
