"""Deployment settings (issue #2 §1): `check --deploy` is clean; prod refuses a weak secret."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "django", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BAOMI_")}
    env.update(
        DJANGO_SETTINGS_MODULE="baomi.settings.prod",
        BAOMI_DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3",
        BAOMI_KEY_DIR=str(tmp_path / "keys"),
        BAOMI_HOME=str(tmp_path),
        **extra,
    )
    return env


def test_check_deploy_has_no_warnings(tmp_path: Path) -> None:
    # a deployment keeps the working-day calendar ahead of time (baomi.W101 otherwise): here
    # a file covers this year and the next (Monday–Friday, no holidays)
    import datetime

    year = datetime.date.today().year
    cal = tmp_path / "workdays.yaml"
    cal.write_text("".join(f"{y}:\n  holidays: []\n" for y in (year, year + 1)))
    # and names its operator and privacy contact (baomi.W102 otherwise, decision 0041)
    r = _run(
        _env(
            tmp_path,
            BAOMI_SECRET_KEY=secrets.token_urlsafe(50),
            BAOMI_WORKDAY_CALENDAR=str(cal),
            **OPERATOR_ENV,
        ),
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert "no issues" in r.stdout


OPERATOR_ENV = {
    "BAOMI_OPERATOR_NAME_ZH": "杭州西湖旅业有限公司",
    "BAOMI_OPERATOR_NAME_EN": "Hangzhou West Lake Travel Co., Ltd.",
    "BAOMI_PRIVACY_EMAIL": "dpo@westlake.example.cn",
}


def test_check_deploy_warns_while_the_operator_is_unnamed(tmp_path: Path) -> None:
    env = _env(tmp_path, BAOMI_SECRET_KEY=secrets.token_urlsafe(50))
    r = _run(env, "check", "--deploy", "--tag", "baomi")
    assert "baomi.W102" in r.stdout + r.stderr
    r = _run({**env, **OPERATOR_ENV, "BAOMI_PRIVACY_EMAIL": "not-an-address"}, "check", "--deploy")
    assert "BAOMI_PRIVACY_EMAIL is not an e-mail address" in r.stdout + r.stderr


def test_prod_refuses_default_secret(tmp_path: Path) -> None:
    r = _run(_env(tmp_path), "check")
    assert r.returncode != 0
    assert "BAOMI_SECRET_KEY" in r.stderr


@pytest.mark.django_db
def test_no_store_on_api_responses(client: object) -> None:
    r = client.get("/api/v1/health")  # type: ignore[attr-defined]
    assert r["Cache-Control"] == "no-store"
    assert r["X-Request-Id"]


def test_the_default_database_lives_under_baomi_home_not_the_working_directory(
    tmp_path: Path,
) -> None:
    """A relative SQLite path (the default `sqlite:///var/baomi.sqlite3`) is resolved under
    BAOMI_HOME, beside the keys: run from another directory, a command must not create or
    open a database there that the home's keys cannot decrypt."""
    home, elsewhere = tmp_path / "home", tmp_path / "elsewhere"
    home.mkdir()
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BAOMI_")}
    env.update(DJANGO_SETTINGS_MODULE="baomi.settings.dev", BAOMI_HOME=str(home))
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.DATABASES['default']['NAME'])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=elsewhere,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(home / "var" / "baomi.sqlite3")
    assert not (elsewhere / "var").exists()
