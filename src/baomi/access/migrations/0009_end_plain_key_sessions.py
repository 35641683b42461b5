"""Sessions stored before keys were hashed (decision 0012) held their cookie's key in
clear: end them. Nobody can use them any more (the new backend looks keys up by digest),
and their keys should not stay readable in the database either."""

from django.db import migrations


def end_plain_sessions(apps, schema_editor):  # type: ignore[no-untyped-def]
    Session = apps.get_model("sessions", "Session")
    Session.objects.exclude(session_key__startswith="h:").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("access", "0008_break_glass_operation"),
        ("sessions", "0001_initial"),
    ]

    operations = [migrations.RunPython(end_plain_sessions, migrations.RunPython.noop)]
