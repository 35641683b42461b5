"""Append-only triggers on the tree tables; the head row; the tree over existing events.

Events written before the Merkle tree existed become its first leaves, in seq order. Their
seq numbers must be 1..n: PostgreSQL sequences can leave gaps (rolled-back inserts), so a
gapped legacy log is renumbered once, here, before any hash commits to it (there is no
evidence to break yet); from now on seq numbers are assigned under the head lock.
"""

from typing import Any

from django.db import migrations

TABLES = ("audit_node", "audit_checkpoint", "audit_alert_transition", "audit_verification")


def _sqlite(table: str) -> list[str]:
    return [
        f"""CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
            BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END;""",
        f"""CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
            BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END;""",
    ]


PG_FUNCTION = """CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger AS $$
    BEGIN RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only'; END;
    $$ LANGUAGE plpgsql;"""


def _postgres(table: str) -> list[str]:
    return [
        f"""CREATE TRIGGER {table}_no_update BEFORE UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION audit_append_only();""",
        f"""CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();""",
    ]


def triggers(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FUNCTION)
    for table in TABLES:
        statements = (
            _sqlite(table)
            if vendor == "sqlite"
            else _postgres(table)
            if vendor == "postgresql"
            else []
        )
        for sql in statements:
            schema_editor.execute(sql)


def drop_triggers(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor == "sqlite":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
        elif vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update ON {table}")
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
    if vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS audit_append_only()")


def _renumber(schema_editor: Any) -> None:
    conn = schema_editor.connection
    with conn.cursor() as cur:
        cur.execute("SELECT COUNT(*), COALESCE(MAX(seq), 0) FROM audit_event")
        count, top = cur.fetchone()
        if count == top:
            return
        if conn.vendor == "postgresql":
            cur.execute("ALTER TABLE audit_event DISABLE TRIGGER USER")
        else:
            cur.execute("DROP TRIGGER IF EXISTS audit_event_no_update")
        cur.execute("SELECT seq FROM audit_event ORDER BY seq")
        seqs = [r[0] for r in cur.fetchall()]
        for rank, seq in enumerate(seqs, start=1):
            if rank != seq:
                cur.execute("UPDATE audit_event SET seq = %s WHERE seq = %s", [rank, seq])
        if conn.vendor == "postgresql":
            cur.execute("ALTER TABLE audit_event ENABLE TRIGGER USER")
        else:
            cur.execute(
                """CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
                   BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END;"""
            )


def backfill(apps: Any, schema_editor: Any) -> None:
    from baomi.audit.tree import rebuild_from_events

    _renumber(schema_editor)
    rebuild_from_events(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_merkle_checkpoints_alerts")]
    operations = [
        migrations.RunPython(triggers, drop_triggers),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
