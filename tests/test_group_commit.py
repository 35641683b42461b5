"""Reads share audit commits (issue #11, `baomi.audit.groupcommit`): every caller's events
are committed exactly once, before the caller returns; concurrent callers share commits;
a failed commit fails every caller in it. R-E1."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from baomi.audit.groupcommit import GroupCommit


def test_each_callers_events_are_committed_once_and_before_it_returns() -> None:
    committed: list[Any] = []
    lock = threading.Lock()

    def commit(events: list[Any]) -> None:
        time.sleep(0.01)  # an fsync: while it runs, other threads queue up
        with lock:
            committed.extend(events)

    gc = GroupCommit(commit)
    seen_after_return: list[bool] = []

    def caller(i: int) -> None:
        for k in range(10):
            ev = (i, k)
            gc.submit([ev])
            with lock:
                seen_after_return.append(ev in committed)

    threads = [threading.Thread(target=caller, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(committed) == sorted((i, k) for i in range(16) for k in range(10))
    assert all(seen_after_return)  # nobody returned before its commit
    assert gc.submitted == 160
    assert gc.commits < gc.submitted  # commits were shared


def test_a_failed_commit_fails_every_caller_in_it() -> None:
    calls = 0
    gate = threading.Event()

    def commit(events: list[Any]) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            gate.wait(5)  # hold the first commit until the others have queued
            return
        raise RuntimeError("disk full")

    gc = GroupCommit(commit)
    errors: list[BaseException] = []

    def caller(ev: Any) -> None:
        try:
            gc.submit([ev])
        except RuntimeError as exc:
            errors.append(exc)

    first = threading.Thread(target=caller, args=("first",))
    first.start()
    time.sleep(0.1)
    rest = [threading.Thread(target=caller, args=(i,)) for i in range(5)]
    for t in rest:
        t.start()
    time.sleep(0.2)
    gate.set()
    for t in [first, *rest]:
        t.join(10)
    assert calls == 2  # the five queued behind the first shared one (failed) commit
    assert len(errors) == 5


@pytest.mark.django_db
def test_inside_a_transaction_the_read_event_joins_it(make_customer: Any, make_staff: Any) -> None:
    from django.db import transaction

    from baomi.audit.models import AuditEvent
    from baomi.audit.services import _reads
    from baomi.customers import gate

    c = make_customer()
    before = _reads.commits
    with transaction.atomic():
        gate.access_customer(make_staff("front_desk"), "reception", c.id)
        assert AuditEvent.objects.filter(action="customer.read", object_id=str(c.id)).exists()
    assert _reads.commits == before
