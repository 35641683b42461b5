import sys
from typing import Any

from django.apps import AppConfig
from django.db import DEFAULT_DB_ALIAS
from django.db.models.signals import post_migrate


class AuditConfig(AppConfig):
    name = "baomi.audit"
    label = "audit"

    def ready(self) -> None:
        from . import (
            checkpoints,
            checks,  # noqa: F401  (the signing key's file-mode check)
            monitoring,
            services,
            witness,
        )

        # the append path calls up through hooks, so services imports neither (no circle)
        services.hooks.while_locked = checkpoints.auto_checkpoint
        services.hooks.after_append = monitoring.evaluate
        checkpoints.hooks.after_signed = witness.after_commit

        post_migrate.connect(checkpoint_after_migrate, sender=self)


def checkpoint_after_migrate(
    sender: Any, using: str = DEFAULT_DB_ALIAS, verbosity: int = 1, **kwargs: Any
) -> None:
    """`migrate` ends with a signed checkpoint, witnessed outside the database (issue #9
    §5): the log is anchored from its first day, not after its first 10,000 events."""
    from django.db import DatabaseError, connections

    from baomi.core.errors import BaomiError

    from . import checkpoints, conf

    if using != DEFAULT_DB_ALIAS or not conf.get("BAOMI_AUDIT_CHECKPOINT_ON_MIGRATE"):
        return
    if "audit_head" not in connections[using].introspection.table_names():
        return  # migrated backwards past the audit tables
    out = kwargs.get("stdout") or sys.stdout
    try:
        cp = checkpoints.make_checkpoint("migrate")
    except (BaomiError, OSError, ValueError, DatabaseError) as exc:
        sys.stderr.write(f"warning: no audit checkpoint after migrate: {exc}\n")
        return
    if verbosity >= 1:
        out.write(f"Audit log: checkpoint signed at tree size {cp.tree_size}.\n")
