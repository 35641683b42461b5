"""Seal what staff write about a rights request (DESIGN.md §3 rule 2, "plaintext never rests").

`rights_request.refusal_reason`, `rights_request.resolution`, `rights_transition.reason`
and `rights_restriction.lift_reason` were plaintext CharFields, but they routinely hold
personal data ("customer showed passport E12345678 at the counter"). They become
`SealedField`s, sealed by `rights.services` under the customer's data key (AES-256-GCM,
associated data binding table / field / customer / row) and opened only by the gate.

Schema only: the plaintext columns are dropped and re-added empty (NULL) — existing texts
are discarded, not converted. This product has not been released, so no production rows
exist; a data migration was not written because it cannot be done correctly here:
  * sealing needs each customer's data key, and only the gate, the vault and the sealers
    (`customers/services.py`, `customers/importer.py`, `rights/services.py`) may fetch
    one (`tests/test_gate_is_the_only_reader.py`, rule G4). A migration would have to call
    the live `rights.services` (not the historical models) and needs the keyring present
    at `migrate` time — which the deployment does not otherwise require;
  * `rights_transition` is append-only: its triggers refuse UPDATE, so its existing
    reasons could only be sealed by switching the triggers off (dangerous construct 8:
    never, outside the browser-test clean-up);
  * a converted text of an already-erased customer could not be sealed at all.
Dropping instead of `AlterField` matters: on PostgreSQL `AlterField` would cast the text
to bytea (`USING reason::bytea`, i.e. plaintext in a SealedField), and on SQLite it
would rebuild `rights_transition` and lose its append-only triggers; `RemoveField` /
`AddField` of a nullable, unindexed column are `ALTER TABLE … DROP/ADD COLUMN` on both
(SQLite ≥ 3.35.5), which keep the triggers.

A pre-release database that did hold real texts keeps their bytes in free pages until
they are rewritten: run `VACUUM` (SQLite) or `VACUUM FULL rights_request,
rights_transition, rights_restriction` (PostgreSQL) after migrating, and discard older
backups.

Reversing re-adds the old (empty) CharFields; on SQLite that rebuilds the table, so the
last step of the reversal re-creates the append-only triggers of `rights_transition`.
"""

import importlib
from typing import Any

from django.db import migrations

import baomi.vault.fields

SEALED = (
    ("rightsrequest", "refusal_reason"),
    ("rightsrequest", "resolution"),
    ("rightstransition", "reason"),
    ("restriction", "lift_reason"),
)


def _append_only_again(apps: Any, schema_editor: Any) -> None:
    """(Reverse only) drop and re-create the append-only triggers of rights_transition."""
    triggers = importlib.import_module("baomi.rights.migrations.0002_append_only")
    triggers._backwards(schema_editor, "rights_transition")
    triggers._forwards(schema_editor, "rights_transition")


class Migration(migrations.Migration):
    dependencies = [("rights", "0002_append_only")]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, _append_only_again),
        *(migrations.RemoveField(model_name=m, name=f) for m, f in SEALED),
        *(
            migrations.AddField(
                model_name=m, name=f, field=baomi.vault.fields.SealedField(null=True)
            )
            for m, f in SEALED
        ),
    ]
