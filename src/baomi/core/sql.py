"""Prepared bulk statements built from the models' own column definitions, for the write
paths where the ORM's per-object cost dominates (the importer's batches, bulk consent
capture: docs/performance.md). Table and column names come from the models; values are
always parameters. Only services call these (they are the code that writes)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import Model


@functools.cache
def model_field(model: type[Model], name: str) -> Any:
    return model._meta.get_field(name)


def insert_sql(model: type[Model], names: Sequence[str]) -> str:
    """`INSERT INTO table (columns…) VALUES (%s, …)` for these model fields."""
    qn = connection.ops.quote_name
    cols = [str(model_field(model, n).column) for n in names]
    return (  # table and column names come from the model; values are parameters
        f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(map(qn, cols))}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(cols))})"
    )


def db_value(model: type[Model], name: str, value: Any) -> Any:
    """A Python value as the database adapter wants it (uuid, datetime, JSON)."""
    return model_field(model, name).get_db_prep_save(value, connection)
