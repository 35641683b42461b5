"""Seal the staff-written texts of a case (decision 0034): an incident's summary, the notes
of its state changes and authority contacts, a whistle-blowing report's title and text.

As in rights 0003: the plaintext columns are dropped and re-added empty (NULL), not altered
(`AlterField` would cast text to bytea on PostgreSQL — plaintext in a sealed column). The
product is unreleased; a pre-release database that held real texts should be vacuumed
(`VACUUM` / `VACUUM FULL incident, incident_transition, incident_authority,
incident_whistle`) and its older backups discarded.
"""

from django.db import migrations

import baomi.vault.fields

SEALED = (
    ("incident", "summary"),
    ("incidenttransition", "note"),
    ("authoritycontact", "note"),
    ("whistlereport", "summary"),
    ("whistlereport", "text"),
)


class Migration(migrations.Migration):
    dependencies = [("incidents", "0002_reporting_rules")]

    operations = [
        *(migrations.RemoveField(model_name=m, name=f) for m, f in SEALED),
        *(
            migrations.AddField(
                model_name=m, name=f, field=baomi.vault.fields.SealedField(null=True)
            )
            for m, f in SEALED
        ),
    ]
