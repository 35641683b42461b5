"""The customers a batch event names (decision 0023), append-only like the events."""

from typing import Any

from django.db import migrations, models

SQLITE = [
    """CREATE TRIGGER audit_event_subject_no_update BEFORE UPDATE ON audit_event_subject
       BEGIN SELECT RAISE(ABORT, 'audit_event_subject is append-only'); END;""",
    """CREATE TRIGGER audit_event_subject_no_delete BEFORE DELETE ON audit_event_subject
       BEGIN SELECT RAISE(ABORT, 'audit_event_subject is append-only'); END;""",
]
POSTGRES = [
    """CREATE TRIGGER audit_event_subject_no_update BEFORE UPDATE OR DELETE
       ON audit_event_subject FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();""",
    """CREATE TRIGGER audit_event_subject_no_truncate BEFORE TRUNCATE ON audit_event_subject
       FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only();""",
]


def forwards(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    for sql in SQLITE if vendor == "sqlite" else POSTGRES if vendor == "postgresql" else []:
        schema_editor.execute(sql)


def backwards(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS audit_event_subject_no_update")
        schema_editor.execute("DROP TRIGGER IF EXISTS audit_event_subject_no_delete")
    elif vendor == "postgresql":
        for name in ("audit_event_subject_no_update", "audit_event_subject_no_truncate"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON audit_event_subject")


class Migration(migrations.Migration):
    dependencies = [("audit", "0005_action_without_choices")]

    operations = [
        migrations.CreateModel(
            name="AuditEventSubject",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("seq", models.BigIntegerField()),
                ("subject_id", models.CharField(max_length=64)),
            ],
            options={
                "db_table": "audit_event_subject",
                "indexes": [models.Index(fields=["subject_id", "seq"], name="audit_subject_seq")],
            },
        ),
        migrations.RunPython(forwards, backwards),
    ]
