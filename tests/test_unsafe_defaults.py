"""Safe defaults (issue #9 §4): no debug pages unless asked for, private database files,
the audit signing key held to the same 0600 rule as the other keys.

Each check goes through the surface an operator or attacker meets: the `baomi` console
script (what `baomi serve`, `make demo` and `manage.py` all run), the settings modules the
WSGI entry point loads, and the files on disk."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

BAOMI = shutil.which("baomi", path=str(Path(sys.executable).parent)) or "baomi"


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of a fresh install: no BAOMI_* and no DJANGO_SETTINGS_MODULE."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("BAOMI_") and k != "DJANGO_SETTINGS_MODULE"
    }
    env.update(
        BAOMI_HOME=str(tmp_path),
        BAOMI_DATABASE_URL=f"sqlite:///{tmp_path}/var/baomi.sqlite3",
        BAOMI_KEY_DIR=str(tmp_path / "keys"),
        **extra,
    )
    return env


# A request for an unknown page and a view that fails with a customer's values in its
# local variables, answered by the settings the `baomi` script picks (DJANGO_SETTINGS_MODULE
# is set by the script itself, as for `baomi serve` and `make demo`).
_PROBE = r"""
import json, sys, types
from django.conf import settings
from django.test import Client
from django.test.utils import setup_test_environment, override_settings
from django.urls import path
setup_test_environment()
def boom(request):
    id_number, phone = "110105194912310025", "+8613800138000"
    raise RuntimeError("failed while " + phone)
urls = types.ModuleType("probe_urls")
import baomi.urls
urls.urlpatterns = [path("boom/", boom), *baomi.urls.urlpatterns]
sys.modules["probe_urls"] = urls
out = {"module": settings.SETTINGS_MODULE, "debug": settings.DEBUG}
c = Client(raise_request_exception=False)
r = c.get("/no-such-page/")
out["404"] = [r.status_code, r.content.decode()]
with override_settings(ROOT_URLCONF="probe_urls"):
    r = c.get("/boom/")
out["500"] = [r.status_code, r.content.decode()]
print(json.dumps(out))
"""


def _probe(tmp_path: Path, **extra: str) -> dict[str, Any]:
    r = subprocess.run(
        [BAOMI, "shell", "-c", _PROBE],
        env=_env(tmp_path, **extra),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


def test_baomi_script_serves_no_debug_pages_by_default(tmp_path: Path) -> None:
    """issue #9 §4 / ASVS 5.0 V13.4.2: the `baomi` script (serve, demo, manage.py) runs with
    DEBUG off: an unknown address lists no routes, a failure shows no traceback and none of
    the local variables that held a customer's ID number and phone."""
    out = _probe(tmp_path)
    assert out["module"] == "baomi.settings.dev"
    assert out["debug"] is False
    status, body = out["404"]
    assert status == 404
    assert "URLconf" not in body and "api/v1/" not in body and "portal/" not in body
    status, body = out["500"]
    assert status == 500
    for leak in ("Traceback", "RuntimeError", "110105194912310025", "13800138000", "boom"):
        assert leak not in body
    assert "出现错误" in body or "出错了" in body  # the bilingual error page, zh-Hans first


def test_debug_is_an_explicit_choice(tmp_path: Path) -> None:
    """BAOMI_DEBUG=1 still turns the debug pages on for a developer who asks (positive
    control: the probe above would see them)."""
    out = _probe(tmp_path, BAOMI_DEBUG="1")
    assert out["debug"] is True
    assert "URLconf" in out["404"][1]


@pytest.mark.parametrize("module", ["baomi.settings.base", "baomi.settings.dev"])
def test_every_settings_module_defaults_to_debug_off(tmp_path: Path, module: str) -> None:
    """The WSGI entry point loads prod (DEBUG forced off); base and dev — what the CLI and
    any hand-written entry point start from — are off without BAOMI_DEBUG too."""
    code = f"import importlib, json; m = importlib.import_module({module!r}); print(m.DEBUG)"
    r = subprocess.run(
        [sys.executable, "-c", code],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert r.stdout.strip() == "False"


# -- the SQLite files -------------------------------------------------------------------------
def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_sqlite_database_wal_and_shm_are_private(tmp_path: Path) -> None:
    """issue #9 §4 / R-C2: `baomi migrate` on a fresh install leaves the database file, its
    WAL and its shared-memory file 0600 (a 022 umask would make them 0644)."""
    env = _env(tmp_path)
    script = (
        "import os, sys; os.umask(0o022); from baomi.cli import main; "
        "main(['baomi', 'migrate', '--noinput', '-v', '0'])"
    )
    subprocess.run([sys.executable, "-c", script], env=env, check=True, timeout=300)
    db = tmp_path / "var" / "baomi.sqlite3"
    # keep a reader open so the WAL and SHM files exist while we look at them
    conn = sqlite3.connect(db)
    try:
        conn.execute("SELECT count(*) FROM django_migrations").fetchone()
        files = [db, Path(f"{db}-wal"), Path(f"{db}-shm")]
        for f in files:
            assert f.exists(), f
            assert _mode(f) == 0o600, (f.name, oct(_mode(f)))
    finally:
        conn.close()


def test_existing_world_readable_database_is_tightened(tmp_path: Path) -> None:
    """A database left 0644 by an earlier version is made 0600 at the next connection."""
    from baomi.core.db.sqlite3.base import make_private

    db = tmp_path / "old.sqlite3"
    sqlite3.connect(db).execute("PRAGMA journal_mode=WAL").fetchone()
    os.chmod(db, 0o644)
    (tmp_path / "old.sqlite3-wal").touch(0o644)
    make_private(str(db))
    assert _mode(db) == 0o600
    assert _mode(tmp_path / "old.sqlite3-wal") == 0o600


# -- the audit signing key ------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize("target", ["file", "dir"])
def test_audit_signing_key_mode_is_checked_like_the_other_keys(settings: Any, target: str) -> None:
    """issue #9 §4 / ASVS 5.0 V13.3.1: `baomi check` (and so `baomi serve` and the WSGI
    start-up) refuses an audit signing key readable by others, exactly as it refuses the
    keyring — also in a process that loaded the key before its mode changed."""
    from baomi.audit import checkpoints

    checkpoints.make_checkpoint()  # loads and caches the key
    key = Path(settings.BAOMI_KEY_DIR) / checkpoints.KEY_FILE
    path = key if target == "file" else key.parent
    secure = 0o600 if target == "file" else 0o700
    call_command("check", "--tag", "baomi")
    os.chmod(path, secure | 0o044)
    try:
        with pytest.raises(SystemCheckError, match=r"baomi\.E00[12]"):
            call_command("check")
        with pytest.raises((checkpoints.SigningKeyInsecure, Exception)) as exc:
            checkpoints.make_checkpoint()  # no longer trusted from the cache either
        assert getattr(exc.value, "code", "") in {"audit_key_insecure", "key_files_insecure"}
    finally:
        os.chmod(path, secure)
    call_command("check", "--tag", "baomi")


def test_an_existing_database_file_is_never_opened_outside_sqlite(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """issue #11: closing any descriptor of the database file drops every POSIX lock the
    process holds on it, the SQLite connections of other threads included — the cause of
    the `SQLITE_IOERR_SHORT_READ` 500s at 32 concurrent readers. A new connection must
    tighten modes without opening an existing file; only a missing one is created."""
    from baomi.core.db.sqlite3 import base

    db = tmp_path / "live.sqlite3"
    opened: list[str] = []
    real_open = os.open

    def spy(path: Any, flags: int, *a: Any) -> int:
        opened.append(str(path))
        return real_open(path, flags, *a)

    monkeypatch.setattr(base.os, "open", spy)
    base.make_private(str(db))  # missing: created 0600
    assert opened == [str(db)] and _mode(db) == 0o600
    holder = sqlite3.connect(db)  # another thread's connection, holding its locks
    holder.execute("PRAGMA journal_mode=WAL").fetchone()
    holder.execute("CREATE TABLE t (x)")
    holder.commit()
    os.chmod(db, 0o644)
    for _ in range(3):
        base.make_private(str(db))  # what every new connection does
    assert opened == [str(db)], opened
    assert _mode(db) == 0o600
    holder.close()
