"""Concurrent writers on PostgreSQL get contiguous, never-reused seq numbers (the head row
is locked FOR UPDATE in each writer's transaction). Real commits from several threads need
a transactional test; pytest-django empties the tables afterwards, which the append-only
triggers refuse, so they are switched off for that clean-up and back on for the next module.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection, connections, transaction

from baomi import audit
from baomi.audit import verification
from baomi.audit.models import Action, AuditEvent
from baomi.audit.services import build, record_many

pytestmark = pytest.mark.skipif(
    "postgres" not in os.environ.get("BAOMI_TEST_DATABASE_URL", ""),
    reason="concurrent writers need PostgreSQL",
)
TABLES = (
    "audit_event",
    "audit_event_subject",
    "audit_node",
    "audit_checkpoint",
    "audit_alert_transition",
    "audit_verification",
)


def _set_triggers(enabled: bool) -> None:
    with connection.cursor() as cur:
        for t in TABLES:
            cur.execute(f"ALTER TABLE {t} {'ENABLE' if enabled else 'DISABLE'} TRIGGER USER")


@pytest.fixture(scope="module")
def _restore_triggers(django_db_blocker: Any) -> Iterator[None]:
    yield
    with django_db_blocker.unblock():
        _set_triggers(True)


@pytest.fixture
def flushable(_restore_triggers: None, transactional_db: None) -> Iterator[None]:
    _set_triggers(True)
    yield
    _set_triggers(False)  # pytest-django empties every table right after this


class Actor:
    username = "writer"
    role_code = "front_desk"
    is_active = True

    def __init__(self, pk: int) -> None:
        self.pk = pk


@pytest.mark.usefixtures("flushable")
def test_concurrent_writers_get_contiguous_seq_numbers() -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def writer(w: int) -> None:
        try:
            start.wait()
            for i in range(15):
                with transaction.atomic():
                    if i % 4 == 0:
                        record_many(
                            [
                                build(Action.CUSTOMER_CREATED, None, object_id=f"{w}-{i}-{j}")
                                for j in range(5)
                            ]
                        )
                    else:
                        audit.record(Action.CUSTOMER_READ, Actor(w), object_id=f"{w}-{i}")
                    if i % 5 == 4:
                        transaction.set_rollback(True)  # rolled back: must leave no gap
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    seqs = list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))
    assert len(seqs) == 6 * (3 * 5 + 9)  # per writer: 3 bulk + 9 single commits, 3 rolled back
    assert verification.verify_log(save=False).ok
