"""Composite (subject_id, field) index on the blind-index rows (issue #11).

`DELETE … WHERE subject_id = ? AND field = ?` (merge on import, PATCH of an indexed field)
took the (field, bucket) index and walked about N/4 rows per merged row. The new index
is created before the single-column one is dropped, so there is no moment without one."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("vault", "0001_initial"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="blindindexentry",
            index=models.Index(fields=["subject_id", "field"], name="vault_bidx_subject"),
        ),
        migrations.AlterField(
            model_name="blindindexentry",
            name="subject_id",
            field=models.UUIDField(),
        ),
    ]
