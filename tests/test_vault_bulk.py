"""The vault's bulk-write API (decision 0022): the importer seals, keys and indexes through
it, and no module outside `baomi/vault` writes a vault table (data keys, blind-index rows).
R-C2, R-C5."""

from __future__ import annotations

import ast
import uuid
from pathlib import Path

import pytest

import baomi

SRC = Path(baomi.__file__).resolve().parent
VAULT_MODELS = {"DataKey", "BlindIndexEntry"}
VAULT_TABLES = ("vault_data_key", "vault_blind_index")
# modules outside the vault that may *read* a vault model (never write it)
READERS = {"rights/services.py": "counts a subject's index rows for the erasure certificate"}


def _modules() -> list[tuple[str, str]]:
    out = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        if rel.startswith("vault/") or "/migrations/" in rel:
            continue
        out.append((rel, path.read_text(encoding="utf-8")))
    return out


def test_no_module_outside_the_vault_writes_a_vault_table() -> None:
    offenders = []
    for rel, source in _modules():
        tree = ast.parse(source)
        names = {
            a.asname or a.name
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and (node.module or "").endswith("vault.models")
            for a in node.names
            if a.name in VAULT_MODELS
        }
        if names and rel not in READERS:
            offenders.append(f"{rel}: imports {sorted(names)}")
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and any(t in node.value for t in VAULT_TABLES)
            ):
                offenders.append(f"{rel}:{node.lineno}: names a vault table in SQL")
            if (
                rel in READERS
                and isinstance(node, ast.Attribute)
                and node.attr in {"create", "bulk_create", "update", "delete", "save"}
                and names
                and any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(node.value))
            ):
                offenders.append(f"{rel}:{node.lineno}: writes {node.attr} on a vault model")
    assert offenders == []
    for rel in READERS:
        assert (SRC / rel).exists(), f"stale READERS entry {rel}"


@pytest.mark.django_db  # not transactional: shredding audits, and the audit tables refuse a flush
def test_bulk_seal_index_and_replace_round_trip() -> None:
    from django.db import transaction

    from baomi.core import clock
    from baomi.vault import services as vault
    from baomi.vault.models import BlindIndexEntry, DataKey

    a, b = uuid.uuid4(), uuid.uuid4()
    with transaction.atomic():
        sealed = vault.seal_new_subjects(
            "customer",
            [(a, [("name", "张三"), ("phone", None)]), (b, [("name", "李四"), ("phone", "x")])],
            created_at=clock.now(),
        )
        ix = vault.indexer("name")
        vault.add_index_rows([("name", ix.bucket("zhangsan"), a), ("name", ix.bucket("lisi"), b)])
    assert sealed[0][1] is None and all(isinstance(v, bytes) for v in sealed[1])
    assert DataKey.objects.filter(subject_id__in=[a, b]).count() == 2
    keys = vault.subject_keys([a, b])
    assert keys[str(a)].open("customer", "name", sealed[0][0]) == "张三"
    assert keys[str(b)].open("customer", "phone", sealed[1][1]) == "x"
    members = vault.bucket_members("name", [ix.bucket("zhangsan")])
    assert [uuid.UUID(str(s)) for s in members[ix.bucket("zhangsan")]] == [a]
    with transaction.atomic():
        again = vault.seal_existing_subjects("customer", [(a, [("name", "王五")])])
        vault.replace_index_rows([("name", ix.bucket("wangwu"), a)])
    assert again[0] is not None and keys[str(a)].open("customer", "name", again[0][0]) == "王五"
    assert list(BlindIndexEntry.objects.filter(subject_id=a).values_list("bucket", flat=True)) == [
        ix.bucket("wangwu")
    ]
    vault.shred(b, "test")
    assert vault.seal_existing_subjects("customer", [(b, [("name", "x")])]) == [None]
