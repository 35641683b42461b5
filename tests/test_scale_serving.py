"""Production serving (issue #11): `baomi serve` is gunicorn sized to the machine, its
access log carries no query string, a busy database answers 503 problem+json (Retry-After)
with a log line naming the cause, and an ID number cannot be moved onto a second customer.
R-A1, R-E1."""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

import pytest
from django.db.utils import OperationalError

from baomi.core import dbbusy, server


def test_workers_are_sized_to_the_machine(monkeypatch: Any) -> None:
    monkeypatch.delenv("BAOMI_WEB_WORKERS", raising=False)
    monkeypatch.delenv("BAOMI_WEB_THREADS", raising=False)
    assert server.default_sizing(2) == server.Sizing(2, 16)
    assert server.default_sizing(1) == server.Sizing(1, 16)
    assert server.default_sizing(32) == server.Sizing(6, 16)  # PostgreSQL connections bound
    monkeypatch.setenv("BAOMI_WEB_WORKERS", "5")
    monkeypatch.setenv("BAOMI_WEB_THREADS", "2")
    assert server.default_sizing(2) == server.Sizing(5, 2)


def test_gunicorn_options_and_an_access_log_without_query_strings() -> None:
    opts = server.options("127.0.0.1", 8000, server.Sizing(3, 4))
    assert opts["worker_class"] == "gthread" and opts["workers"] == 3 and opts["threads"] == 4
    fmt = opts["access_log_format"]
    assert "%(U)s" in fmt  # the path without its query string
    for atom in ("%(r)s", "%(q)s", "%(f)s", "%(a)s"):  # request line, query, referrer, agent
        assert atom not in fmt
    from gunicorn.config import Config

    cfg = Config()
    for k, v in opts.items():
        cfg.set(k, v)  # every option is one gunicorn knows, with a valid value
    assert cfg.worker_class_str == "gthread"


def test_busy_causes_are_named_and_other_errors_are_not() -> None:
    def wrapped(exc: BaseException) -> OperationalError:
        err = OperationalError(str(exc))
        err.__cause__ = exc
        return err

    assert dbbusy.busy_cause(wrapped(sqlite3.OperationalError("database is locked"))) == (
        "sqlite_database_locked"
    )
    import psycopg.errors

    assert dbbusy.busy_cause(wrapped(psycopg.errors.LockNotAvailable())) == "lock_not_available"
    assert dbbusy.busy_cause(wrapped(psycopg.errors.DeadlockDetected())) == "deadlock_detected"
    assert dbbusy.busy_cause(wrapped(psycopg.errors.QueryCanceled())) == (
        "statement_or_lock_timeout"
    )
    assert dbbusy.busy_cause(wrapped(sqlite3.OperationalError("no such table: x"))) is None
    assert dbbusy.busy_cause(ValueError("database is locked")) is None


@pytest.mark.django_db
def test_a_busy_database_is_a_503_problem_with_the_cause_logged(
    api_client: Any, make_customer: Any, monkeypatch: Any, caplog: Any
) -> None:
    cust = make_customer()
    c, h = api_client("front_desk", "reception")
    from baomi.customers import api as customers_api

    def locked(*a: Any, **k: Any) -> Any:
        raise OperationalError("database is locked")

    monkeypatch.setattr(customers_api.gate, "access_customer", locked)
    with caplog.at_level(logging.WARNING, logger="baomi.db"):
        r = c.get(f"/api/v1/customers/{cust.id}?phone=13800000000", headers=h)
    assert r.status_code == 503, r.content
    assert r["Content-Type"] == "application/problem+json"
    assert r["Retry-After"] == "1"
    body = r.json()
    assert body["code"] == "database_busy" and body["cause"] == "sqlite_database_locked"
    line = "\n".join(rec.getMessage() for rec in caplog.records if rec.name == "baomi.db")
    assert "sqlite_database_locked" in line and f"/api/v1/customers/{cust.id}" in line
    assert "13800000000" not in line  # the path only, never the query string


@pytest.mark.django_db
def test_console_pages_answer_503_too(desk: Any, monkeypatch: Any) -> None:
    c, _ = desk
    from baomi.console import views

    def locked(*a: Any, **k: Any) -> Any:
        raise OperationalError("database is locked")

    monkeypatch.setattr(views, "render", locked)
    r = c.get("/")
    assert r.status_code == 503 and r["Retry-After"] == "1"
    assert "系统繁忙" in r.content.decode()


@pytest.mark.django_db
def test_patching_an_id_number_onto_a_second_customer_is_409(
    api_client: Any, make_customer: Any, make_staff: Any
) -> None:
    from baomi.customers import gate

    a = make_customer()
    b = make_customer()
    c, h = api_client("front_desk", "reception")
    # a's ID fields in plain, read through the gate by the privacy officer
    own = gate.access_customers(make_staff("privacy_officer"), "rights_request", [a.id])[0]
    same_id = {k: own.fields[k] for k in ("id_type", "id_number", "birth_date", "gender")}
    r = c.patch(f"/api/v1/customers/{b.id}", same_id, content_type="application/json", headers=h)
    assert r.status_code == 409 and r.json()["code"] == "duplicate_customer", r.content
    assert str(a.id) not in r.content.decode()
    # a customer's own number again is no conflict
    r = c.patch(f"/api/v1/customers/{a.id}", same_id, content_type="application/json", headers=h)
    assert r.status_code == 200, r.content
