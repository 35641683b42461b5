"""Prepared bulk statements built from the models' own column definitions, for the write
paths where the ORM's per-object cost dominates (the importer's batches, bulk consent
capture: docs/performance.md). Table and column names come from the models; values are
always parameters. Only services call these (they are the code that writes)."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Sequence
from types import SimpleNamespace
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Model, UUIDField


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


def _uuid_native(value: Any) -> Any:
    return value if value is None or isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def _uuid_hex(value: Any) -> Any:
    if value is None:
        return None
    return (value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))).hex


def db_converter(model: type[Model], name: str) -> Callable[[Any], Any]:
    """`db_value` for many values of one field: resolve the field and the connection once.

    UUID columns (and foreign keys to UUID keys) are converted directly — the `UUID`
    itself where the database has a native uuid type (PostgreSQL), its 32-digit hex where
    it stores text (SQLite), exactly what Django's `UUIDField.get_db_prep_value` gives — at
    a fraction of the cost of the field machinery (≈ 7 µs per value through
    `get_db_prep_save` and the connection proxy: 25 % of an import's writing,
    docs/performance.md). Every other field goes through the field itself."""
    field = model_field(model, name)
    target = field.target_field if field.is_relation else field
    conn = connections[DEFAULT_DB_ALIAS]  # what `connection` proxies to, resolved once
    if isinstance(target, UUIDField):
        return _uuid_native if conn.features.has_native_uuid_field else _uuid_hex
    return lambda value: field.get_db_prep_save(value, conn)


# -- reads on the hot path (the gate, token authentication; decision 0040) -----------------
_TEXTS: dict[tuple[Any, ...], Any] = {}


def statement(key: tuple[Any, ...], build: Callable[[], Any]) -> Any:
    """A prepared statement's text (or anything derived from the models alone), built once
    per process and database vendor: the hot read paths do not rebuild their SQL per call."""
    full = (connections[DEFAULT_DB_ALIAS].vendor, *key)
    got = _TEXTS.get(full)
    if got is None:
        got = _TEXTS[full] = build()
    return got


def col(model: type[Model], name: str) -> str:
    """The quoted column of a model field (for a prepared statement's text)."""
    return str(connection.ops.quote_name(model_field(model, name).column))


def in_marks(n: int) -> str:
    """`%s, %s, …` for an IN list of n values (n ≥ 1)."""
    return ", ".join(["%s"] * n)


def uuid_param() -> Callable[[Any], Any]:
    """A UUID as the default database wants it in a raw statement (native or 32-hex)."""
    conn = connections[DEFAULT_DB_ALIAS]
    return _uuid_native if conn.features.has_native_uuid_field else _uuid_hex


class Loader:
    """Model instances from the columns of a raw SELECT, converted by the ORM's own
    converters (`from_db_value`, the backend's datetime / boolean / UUID converters) and
    built with `Model.from_db` — what a queryset does per row, without compiling a query
    per call. `columns(alias)` is the select list; `load(values)` takes that many values."""

    def __init__(self, model: type[Model], names: Sequence[str] | None = None) -> None:
        opts = model._meta
        wanted = {model_field(model, n).attname for n in names} if names else None
        # in the model's column order: `from_db` fills the fields left out as deferred
        fields: list[Any] = [
            f for f in opts.concrete_fields if wanted is None or f.attname in wanted
        ]
        self.model = model
        self.fields = fields
        self.attnames = [f.attname for f in fields]
        self.width = len(fields)
        self._conv: list[tuple[int, list[Any], Any]] | None = None
        self._vendor = ""

    def columns(self, alias: str) -> str:
        def build() -> str:
            qn = connection.ops.quote_name
            return ", ".join(f"{alias}.{qn(f.column)}" for f in self.fields)

        return str(statement(("columns", id(self), alias), build))

    def _converters(self) -> list[tuple[int, list[Any], Any]]:
        conn = connections[DEFAULT_DB_ALIAS]
        if self._conv is None or self._vendor != conn.vendor:
            table = self.model._meta.db_table
            conv = []
            for i, f in enumerate(self.fields):
                col = f.get_col(table)
                fns = conn.ops.get_db_converters(col) + f.get_db_converters(conn)
                if fns:
                    conv.append((i, fns, col))
            self._conv, self._vendor = conv, conn.vendor
        return self._conv

    def values(self, row: Sequence[Any]) -> list[Any]:
        """The row's values as the model's fields hold them."""
        conn = connections[DEFAULT_DB_ALIAS]
        out = list(row[: self.width])
        for i, fns, col in self._converters():
            v = out[i]
            for fn in fns:
                v = fn(v, col, conn)
            out[i] = v
        return out

    def load(self, row: Sequence[Any]) -> Any:
        return self.model.from_db(DEFAULT_DB_ALIAS, self.attnames, self.values(row))

    def plain(self, row: Sequence[Any]) -> Any:
        """The row's converted values as attributes of a plain object (no model instance:
        for a reader that only reads attributes — the gate's customer rows)."""
        out = SimpleNamespace(**dict(zip(self.attnames, self.values(row), strict=True)))
        out.pk = getattr(out, self.model._meta.pk.attname)
        return out


def exists_naming(model: type[Model], customer: str, where: Sequence[str] = ()) -> str:
    """`EXISTS (SELECT 1 FROM <table> x WHERE x.<customer column> = {id} AND …)` for a
    read closer's `sql` (contract; decision 0040): `where` are further conditions on the
    model's fields, written `name IS NULL` or `name = %s` with the field *name* first."""
    qn = connection.ops.quote_name
    conds = [f"x.{qn(model_field(model, customer).column)} = {{id}}"]
    for cond in where:
        name, _, rest = cond.partition(" ")
        conds.append(f"x.{qn(model_field(model, name).column)} {rest}")
    return (  # names from the model; values are parameters
        f"EXISTS (SELECT 1 FROM {qn(model._meta.db_table)} x WHERE {' AND '.join(conds)})"  # noqa: S608
    )
