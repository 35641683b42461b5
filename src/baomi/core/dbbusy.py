"""A database too busy to answer now is a 503 with Retry-After, not a 500 (issue #11).

`busy_cause(exc)` names the cause of a database error that a retry can cure — SQLite's
write lock held past the busy timeout, a PostgreSQL lock / statement timeout, a deadlock
or serialisation failure, or no connection slot left — and None for anything else (a
real fault stays a 500). The cause is a fixed phrase (never the driver's message, which
could quote a statement), so the log line says why without any value."""

from __future__ import annotations

import logging

from django.db.utils import DatabaseError, OperationalError

log = logging.getLogger("baomi.db")

# SQLSTATE → cause (PostgreSQL error codes appendix)
_PG_BUSY = {
    "55P03": "lock_not_available",
    "57014": "statement_or_lock_timeout",
    "40001": "serialization_failure",
    "40P01": "deadlock_detected",
    "53300": "too_many_connections",
    "57P03": "database_starting_or_stopping",
}
_SQLITE_BUSY = {
    "database is locked": "sqlite_database_locked",
    "database table is locked": "sqlite_table_locked",
    "database is busy": "sqlite_busy",
}
RETRY_AFTER_SECONDS = 1


def busy_cause(exc: BaseException) -> str | None:
    if not isinstance(exc, DatabaseError):
        return None
    cause = exc.__cause__
    state = getattr(cause, "sqlstate", None) or getattr(
        getattr(cause, "diag", None), "sqlstate", None
    )
    if state in _PG_BUSY:
        return _PG_BUSY[state]
    if isinstance(exc, OperationalError):
        text = str(exc).strip().lower()
        for phrase, name in _SQLITE_BUSY.items():
            if text.startswith(phrase):
                return name
    return None


def log_busy(cause: str, path: str) -> None:
    log.warning("database busy: %s on %s; answered 503 with Retry-After", cause, path)


def problem(cause: str) -> dict[str, object]:
    return {
        "type": "https://baomi.dev/problems/database_busy",
        "title": "Service busy",
        "status": 503,
        "detail": "the database is busy; retry in a moment",
        "code": "database_busy",
        "cause": cause,
        "retry_after": RETRY_AFTER_SECONDS,
    }
