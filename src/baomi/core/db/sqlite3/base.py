"""Django's SQLite backend, with the database file, its WAL and its shared-memory file
private to the server's user (mode 0600; issue #9 §4, ASVS 5.0 V13.3 / V14.2).

Whoever can read these files reads live session rows, token hashes and the audit log, so
they are never created group- or world-readable: the database file is created 0600 before
SQLite opens it (SQLite gives the `-wal` and `-shm` files the mode of the database file),
and files left 0644 by an older version are tightened each time a connection is made.

An existing database file is never opened here, only `stat`-ed and `chmod`-ed: POSIX
advisory locks belong to the process, and closing *any* descriptor of a file drops every
lock the process holds on it — including the locks of the SQLite connections other threads
have open on that file (SQLite's "how to corrupt", §2.2.1). The old `os.open` + `os.close`
on every new connection did exactly that under gunicorn's threads: another process then saw
no reader, checkpointed and reset the WAL under them, and their next read failed with
`SQLITE_IOERR_SHORT_READ` (500s at 32 concurrent readers, issue #11; docs/scaling.md).
"""

from __future__ import annotations

import contextlib
import os
import threading
from typing import Any

from django.db.backends.sqlite3 import base

PRIVATE = 0o600
SIDE_FILES = ("", "-wal", "-shm", "-journal")
_CREATE = threading.Lock()  # no thread connects while another creates (and closes) the file


def file_path(name: object) -> str | None:
    """The path of an on-disk database, or None for in-memory / URI databases."""
    text = str(name or "")
    if not text or text == ":memory:" or text.startswith("file:") or "mode=memory" in text:
        return None
    return text


def make_private(path: str) -> None:
    """Create the database file 0600 when missing; tighten it and its side files. A path
    whose directory does not exist is left to SQLite (it fails, or pytest-django's
    in-memory test databases never touch it)."""
    if not os.path.isdir(os.path.dirname(os.path.abspath(path))):
        return
    with _CREATE:
        if not os.path.exists(path):
            try:  # O_EXCL: a file that exists (created meanwhile) is never opened here
                fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, PRIVATE)
            except FileExistsError:
                pass
            else:
                os.close(fd)  # nobody can hold a lock on a file this call just created
    for suffix in SIDE_FILES:
        with contextlib.suppress(FileNotFoundError):
            if os.stat(path + suffix).st_mode & 0o077:
                os.chmod(path + suffix, PRIVATE)


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        path = file_path(conn_params.get("database"))
        if path is not None:
            make_private(path)
        return super().get_new_connection(conn_params)
