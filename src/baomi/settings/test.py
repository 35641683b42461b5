"""Test settings: SQLite by default, PostgreSQL when BAOMI_TEST_DATABASE_URL is set."""

import os
import tempfile
from pathlib import Path

from .base import *  # noqa: F403
from .base import database_config

_url = os.environ.get("BAOMI_TEST_DATABASE_URL") or "sqlite:///" + str(
    Path(tempfile.gettempdir()) / "baomi-test.sqlite3"
)
DATABASES = {"default": database_config(_url)}
# SQLite: in-memory test database. PostgreSQL: one test database per process, so parallel
# runs (developers, CI, helpers) never collide on "test_postgres".
_test_db: dict[str, str | None] = (
    {"NAME": ":memory:"}  # spelled out: pytest-django knows only Django's engine name
    if str(DATABASES["default"]["ENGINE"]).endswith("sqlite3")
    else {"NAME": f"test_baomi_{os.getpid()}"}
)
DATABASES["default"]["TEST"] = _test_db
# Test keys live in a per-run temp dir; never production keys (R-C7).
BAOMI_KEY_DIR = Path(os.environ.get("BAOMI_TEST_KEY_DIR", tempfile.mkdtemp(prefix="baomi-keys-")))
# The audit witness directory too (conftest gives each test its own); no checkpoint at
# `migrate`: the test database is built once, under keys that each test then replaces.
BAOMI_AUDIT_WITNESS_DIR = os.environ.get("BAOMI_TEST_WITNESS_DIR") or tempfile.mkdtemp(
    prefix="baomi-witness-"
)
BAOMI_AUDIT_CHECKPOINT_ON_MIGRATE = False
# Fast hasher in tests only: argon2 costs ~50 ms per hash; production keeps argon2 (base.py).
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SECRET_KEY = "test-only-secret-key-" + "t" * 40
BAOMI_EXPECTED_CUSTOMERS = 1000
DEBUG = False
STATIC_ROOT = Path(tempfile.mkdtemp(prefix="baomi-static-"))  # WhiteNoise wants it to exist
from .base import BAOMI_OPERATOR, DEMO_OPERATOR  # noqa: E402

# the demo company unless the environment names the operator (never a mix of the two)
BAOMI_OPERATOR = BAOMI_OPERATOR if any(BAOMI_OPERATOR.values()) else dict(DEMO_OPERATOR)
