"""Drop the single-column foreign-key indexes that a composite index already starts with
(issue #11: every index is written on each imported consent decision).

- consent_event.customer_id — `consent_ev_cust` (customer, purpose, at) starts with it;
- consent_event.notice_id — `consent_ev_notice` (notice, customer) starts with it;
- consent_state.customer_id — the unique `consent_state_one` (customer, purpose) does.

Database side: the indexes are found by introspection and dropped with DROP INDEX — never
Django's AlterField, which on SQLite rebuilds the table and would drop the append-only
triggers of `consent_event` (0002). State side: `db_index=False` on the three keys."""

from typing import Any

import django.db.models.deletion
from django.db import migrations, models

DROPPED = (
    ("consent_event", "customer_id"),
    ("consent_event", "notice_id"),
    ("consent_state", "customer_id"),
)


def _single_column_indexes(schema_editor: Any, table: str, column: str) -> list[str]:
    conn = schema_editor.connection
    with conn.cursor() as cur:
        found = conn.introspection.get_constraints(cur, table)
    return sorted(
        name
        for name, c in found.items()
        if c.get("index")
        and not c.get("unique")
        and not c.get("primary_key")
        and list(c.get("columns") or []) == [column]
    )


def forwards(apps: Any, schema_editor: Any) -> None:
    for table, column in DROPPED:
        for name in _single_column_indexes(schema_editor, table, column):
            schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")


def backwards(apps: Any, schema_editor: Any) -> None:
    for table, column in DROPPED:
        if not _single_column_indexes(schema_editor, table, column):
            name = schema_editor._create_index_name(table, [column])
            schema_editor.execute(
                f"CREATE INDEX {schema_editor.quote_name(name)} ON "
                f"{schema_editor.quote_name(table)} ({schema_editor.quote_name(column)})"
            )


class Migration(migrations.Migration):
    dependencies = [
        ("consent", "0003_notice_platforms"),
        ("customers", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="consentevent",
                    name="customer",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="customers.customer",
                    ),
                ),
                migrations.AlterField(
                    model_name="consentevent",
                    name="notice",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="consent.privacynotice",
                    ),
                ),
                migrations.AlterField(
                    model_name="consentstate",
                    name="customer",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="customers.customer",
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(forwards, backwards)],
        )
    ]
