"""Group commit of read events (issue #11).

Every read through the gate appends an audit event and commits it before the data
leaves. Outside a transaction that was one write transaction and one fsync per read —
serialised by the log's head lock (PostgreSQL) or the single write lock (SQLite), so reads
could not go faster than the disk's fsyncs, and at concurrency 32 on SQLite readers timed
out waiting for the lock (`database is locked`).

`GroupCommit.submit(events)` lets the threads of one process share a commit (flat
combining): a caller queues its events and takes the leader lock; whoever holds it takes
every queued event — its own and those of the threads that queued meanwhile — appends
them in one transaction on its own connection, and wakes them all. A caller whose events
a previous leader already committed returns at once. Nothing is returned before the commit
that holds the caller's events (the rule is unchanged: logged before the data leaves), and
a failed commit fails every caller in it, who then sends no data.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

MAX_EVENTS = 2000  # per shared commit: bounds a leader's transaction


class _Waiter:
    __slots__ = ("done", "error", "events")

    def __init__(self, events: list[Any]) -> None:
        self.events = events
        self.done = False
        self.error: BaseException | None = None


class GroupCommit:
    def __init__(self, commit: Callable[[list[Any]], None]) -> None:
        self._commit = commit  # appends the events in one committed transaction
        self._queue: list[_Waiter] = []
        self._queue_lock = threading.Lock()
        self._leader = threading.Lock()
        self.commits = 0  # counters, for tests and the bench
        self.submitted = 0

    def submit(self, events: list[Any]) -> None:
        if not events:
            return
        me = _Waiter(events)
        with self._queue_lock:
            self._queue.append(me)
            self.submitted += 1
        while True:
            with self._leader:
                if me.done:
                    break
                with self._queue_lock:
                    batch: list[_Waiter] = []
                    n = 0
                    while self._queue and (
                        not batch or n + len(self._queue[0].events) <= MAX_EVENTS
                    ):
                        w = self._queue.pop(0)
                        batch.append(w)
                        n += len(w.events)
                error: BaseException | None = None
                try:
                    self._commit([e for w in batch for e in w.events])
                    self.commits += 1
                except BaseException as exc:  # every caller in this commit fails with it
                    error = exc
                finally:
                    for w in batch:
                        w.error = error
                        w.done = True
            if me.done:
                break
        if me.error is not None:
            raise me.error
