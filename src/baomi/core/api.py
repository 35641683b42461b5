"""/health: ok once migrations are applied and keys are in place."""

from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest
from ninja import Router, Schema

from baomi.core.errors import BaomiError
from baomi.vault.keys import get_keyring

router = Router(tags=["health"])
_ready = False


class HealthOut(Schema):
    status: str


class NotReady(BaomiError):
    status = 503
    code = "not_ready"
    title = "Not ready"


@router.get("/health", response=HealthOut, auth=None)
def health(request: HttpRequest) -> dict[str, str]:
    global _ready
    if not _ready:
        get_keyring()
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            raise NotReady("migrations are not applied")
        _ready = True
    return {"status": "ok"}
