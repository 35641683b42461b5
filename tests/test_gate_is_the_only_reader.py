"""DESIGN.md §3 rule 1 — every read of personal data goes through one gate.

Only `baomi/customers/gate.py` turns ciphertext into values (and `baomi/vault/*`, which
implements the primitives). The rule, precisely, as enforced by a static scan of every module
under src/baomi (AST, so comments and strings do not count):

  G1 open      — no call `<x>.open(table, field, sealed[, row_id])` outside the gate/vault:
                 an `.open(` call with ≥ 3 positional arguments, or a `table=` / `field=` /
                 `sealed=` / `row_id=` keyword, or `*args`, or a catalogue entity name as
                 first argument, or on a name that holds a data key (assigned from
                 subject_key / subject_keys / new_data_key / create_data_key, or annotated
                 SubjectKey). `path.open("rb")` and `open(...)` stay legal.
  G2 unwrap    — no KEK unwrap (`.unwrap(version, wrapped, aad)`, `_unwrap(`) outside vault.
  G3 import    — no import of SubjectKey / baomi.vault.crypto outside the gate, the vault and
                 the sealers; no import of raw AEAD ciphers (cryptography ... ciphers,
                 AESGCM, ChaCha20Poly1305, Fernet) outside the vault.
  G4 key-fetch — no call of subject_key / subject_keys / new_data_key / create_data_key
                 outside the gate, the vault and the sealers.
  G5 dynamic   — no getattr(x, "open" | "unwrap" | "_unwrap" | "subject_key" | "subject_keys"
                 | "_aead") and no `._aead` access outside the gate/vault.

The sealers (write paths) are `customers/services.py` and `rights/services.py` (the
importer seals through the vault's bulk API and never holds a key, decision 0022): they
obtain a customer's data key to *seal* new values (create, update, add record, merge, a
rights request's text) — encryption needs the key
too — but rule G1 still applies to them: they never open. `.open(` on an imported module
(`os.open(path, flags, mode)`, `gzip.open`) is not a data-key call.
A runtime test backs the scan: with SubjectKey.open instrumented, a full create / update /
record / search / read / API cycle opens values only from gate.py.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import baomi

SRC = Path(baomi.__file__).resolve().parent  # src/baomi
GATE = "customers/gate.py"
SEALERS = {
    "customers/services.py": "create/update/add_record/cards seal new values",
    "rights/services.py": "seals a request's free text and proposed corrections (opened by "
    "gate.open_attached)",
}
KEY_FUNCS = {"subject_key", "subject_keys", "new_data_key", "create_data_key"}
OPEN_KEYWORDS = {"table", "field", "sealed", "row_id"}
ENTITIES = {"customer", "booking", "stay", "shipment", "payment_method"}
DYNAMIC = {"open", "unwrap", "_unwrap", "_aead", *KEY_FUNCS}
AEAD_MODULES = ("cryptography.hazmat.primitives.ciphers", "cryptography.fernet")
AEAD_NAMES = {"AESGCM", "AESGCMSIV", "AESOCB3", "AESSIV", "AESCCM", "ChaCha20Poly1305", "Fernet"}


@dataclass(frozen=True)
class Violation:
    path: str
    line: int
    rule: str
    what: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.rule} {self.what}"


def _is_vault(rel: str) -> bool:
    return rel.startswith("vault/")


def _call_name(node: ast.Call) -> str | None:
    f = node.func
    if isinstance(f, ast.Attribute):
        return f.attr
    if isinstance(f, ast.Name):
        return f.id
    return None


def _root_name(node: ast.AST) -> str | None:
    """`keys` for `keys`, `keys[x]`, `keys.get(x)`; else None."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Subscript):
        return _root_name(node.value)
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in {"get", "pop", "setdefault"}
    ):
        return _root_name(node.func.value)
    return None


def _targets(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, (ast.Tuple, ast.List)):
        return [n for e in node.elts for n in _targets(e)]
    return []


def _key_names(tree: ast.AST) -> set[str]:
    """Names in this module that hold a data key (or a dict of them)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.arg)
            and node.annotation is not None
            and "SubjectKey" in ast.unparse(node.annotation)
        ):
            names.add(node.arg)
    changed = True
    while changed:
        changed = False
        for node in ast.walk(tree):
            value = getattr(node, "value", None)
            if not isinstance(node, (ast.Assign, ast.AnnAssign)) or value is None:
                continue
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            holds = (isinstance(value, ast.Call) and _call_name(value) in KEY_FUNCS) or (
                _root_name(value) in names
            )
            if isinstance(node, ast.AnnAssign) and "SubjectKey" in ast.unparse(node.annotation):
                holds = True
            if holds:
                for t in targets:
                    for n in _targets(t):
                        if n not in names:
                            names.add(n)
                            changed = True
    return names


def scan_source(rel: str, source: str) -> list[Violation]:
    """Violations of rule 1 in one module, `rel` being its path under src/baomi."""
    if rel == GATE or _is_vault(rel):
        decrypt_ok, keys_ok, aead_ok = True, True, _is_vault(rel)
    else:
        decrypt_ok, keys_ok, aead_ok = False, rel in SEALERS, False
    tree = ast.parse(source, filename=rel)
    keyed = _key_names(tree)
    modules = {
        (a.asname or a.name).split(".")[0]
        for n in ast.walk(tree)
        if isinstance(n, ast.Import)
        for a in n.names
    }
    out: list[Violation] = []

    def bad(node: ast.AST, rule: str, what: str) -> None:
        out.append(Violation(rel, getattr(node, "lineno", 0), rule, what))

    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = _call_name(node)
            f = node.func
            receiver = _root_name(f.value) if isinstance(f, ast.Attribute) else None
            on_module = receiver in modules and receiver not in keyed  # os.open, gzip.open
            if (
                isinstance(f, ast.Attribute)
                and f.attr == "open"
                and not decrypt_ok
                and not on_module
            ):
                first = node.args[0] if node.args else None
                if (
                    len(node.args) >= 3
                    or any(k.arg in OPEN_KEYWORDS or k.arg is None for k in node.keywords)
                    or any(isinstance(a, ast.Starred) for a in node.args)
                    or (isinstance(first, ast.Constant) and first.value in ENTITIES)
                    or receiver in keyed
                ):
                    bad(node, "G1", f"decrypts: {ast.unparse(node)[:80]}")
            if not _is_vault(rel) and (
                name == "_unwrap" or (name == "unwrap" and len(node.args) >= 3)
            ):
                bad(node, "G2", f"unwraps a data key: {ast.unparse(node)[:80]}")
            if name in KEY_FUNCS and not keys_ok:
                bad(node, "G4", f"fetches a data key: {name}()")
            if (
                name == "getattr"
                and not decrypt_ok
                and len(node.args) >= 2
                and isinstance(node.args[1], ast.Constant)
                and node.args[1].value in DYNAMIC
            ):
                bad(node, "G5", f"getattr(..., {node.args[1].value!r})")
        elif isinstance(node, ast.Attribute) and node.attr == "_aead" and not decrypt_ok:
            bad(node, "G5", "touches SubjectKey._aead")
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            module = node.module or "" if isinstance(node, ast.ImportFrom) else ""
            names = [a.name for a in node.names]
            full = [module + "." + n if module else n for n in names]
            if not keys_ok and (
                "SubjectKey" in names
                or any(m == "baomi.vault.crypto" for m in [module, *full])
                or (module == "baomi.vault" and "crypto" in names)
            ):
                bad(node, "G3", f"imports the data-key class: {ast.unparse(node)}")
            if not aead_ok and (
                any(m.startswith(AEAD_MODULES) for m in [module, *full] if m)
                or AEAD_NAMES & set(names)
            ):
                bad(node, "G3", f"imports a raw AEAD cipher: {ast.unparse(node)}")
    return out


def scan_tree(root: Path) -> list[Violation]:
    found: list[Violation] = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        found.extend(scan_source(rel, path.read_text(encoding="utf-8")))
    return found


# -- the rule holds today --------------------------------------------------------------------------
def test_only_the_gate_decrypts() -> None:
    """DESIGN §3 rule 1 / R-D1: no module outside customers/gate.py and vault/ decrypts,
    unwraps or fetches data keys (sealers excepted for sealing), statically."""
    modules = list(SRC.rglob("*.py"))
    assert len(modules) > 40 and (SRC / GATE).exists()
    for sealer in SEALERS:
        assert (SRC / sealer).exists(), f"stale SEALERS entry {sealer}"
    violations = scan_tree(SRC)
    assert not violations, "\n".join(map(str, violations))


def test_the_gate_and_vault_really_are_the_decryptors() -> None:
    """Guard against a scan that sees nothing: the same rules applied to gate.py and
    vault/services.py as if they lived elsewhere do find their decryption calls."""
    gate = (SRC / GATE).read_text(encoding="utf-8")
    as_elsewhere = scan_source("console/views.py", gate)
    rules = {v.rule for v in as_elsewhere}
    assert {"G1", "G3", "G4"} <= rules, as_elsewhere
    vault = (SRC / "vault/services.py").read_text(encoding="utf-8")
    assert {"G2", "G3"} <= {v.rule for v in scan_source("reports/export.py", vault)}


# -- the scanner catches planted violations --------------------------------------------------------
PLANTED = {
    "G1 open on a fetched key": (
        "from baomi.vault import services as vault\n"
        "def leak(c):\n"
        "    key = vault.subject_key(c.id)\n"
        "    return key.open('customer', 'phone', bytes(c.phone))\n",
        {"G1", "G4"},
    ),
    "G1 open with keywords": (
        "def leak(k, c):\n    return k.open(table='customer', field='name', sealed=c.name)\n",
        {"G1"},
    ),
    "G1 open through a dict of keys": (
        "from baomi.vault.services import subject_keys\n"
        "def leak(rows):\n"
        "    keys = subject_keys([r.id for r in rows])\n"
        "    for r in rows:\n"
        "        k = keys.get(str(r.id))\n"
        "        print(k.open(*ARGS))\n",
        {"G1", "G4"},
    ),
    "G1 open on an annotated key": (
        "from baomi.vault.crypto import SubjectKey\n"
        "def show(key: SubjectKey, blob: bytes, f: str) -> str:\n"
        "    return key.open(TABLE, f)\n",
        {"G1", "G3"},
    ),
    "G1 entity as first argument": ("def f(k, b):\n    return k.open('stay', b)\n", {"G1"}),
    "G2 unwrap with the KEK": (
        "from baomi.vault.keys import get_keyring\n"
        "def f(row, aad):\n    return get_keyring().unwrap(row.kek_version, row.wrapped, aad)\n",
        {"G2"},
    ),
    "G2 private unwrap": (
        "from baomi.vault import services\ndef f(row):\n    return services._unwrap(row)\n",
        {"G2"},
    ),
    "G3 raw AEAD": (
        "from cryptography.hazmat.primitives.ciphers.aead import AESGCM\n",
        {"G3"},
    ),
    "G3 crypto module": ("from baomi.vault import crypto\n", {"G3"}),
    "G3 crypto module, plain import": ("import baomi.vault.crypto\n", {"G3"}),
    "G4 key fetch for later": (
        "from baomi.vault import services as v\ndef f(c):\n    return v.subject_keys([c])\n",
        {"G4"},
    ),
    "G5 getattr open": ("def f(k, *a):\n    return getattr(k, 'open')(*a)\n", {"G5"}),
    "G5 private cipher": ("def f(k, n, c, a):\n    return k._aead.decrypt(n, c, a)\n", {"G5"}),
}


@pytest.mark.parametrize("case", sorted(PLANTED))
def test_scanner_flags_planted_violations(case: str) -> None:
    source, rules = PLANTED[case]
    found = scan_source("console/export.py", source)
    assert {v.rule for v in found} == rules, found
    assert all(v.line >= 1 for v in found)
    # the same code is legitimate inside the gate (AEAD imports: only inside the vault)
    in_gate = {v.rule for v in scan_source(GATE, source)}
    assert in_gate == (rules & {"G2"}) | ({"G3"} if "AEAD" in case else set()), in_gate
    assert not scan_source("vault/anything.py", source)


def test_sealers_may_fetch_keys_but_never_open() -> None:
    fetch_and_seal = (
        "from baomi.vault import services as vault\n"
        "from baomi.vault.crypto import SubjectKey\n"
        "def save(c, v):\n"
        "    key: SubjectKey = vault.subject_key(c.id)\n"
        "    c.name = key.seal('customer', 'name', v)\n"
    )
    for sealer in SEALERS:
        assert scan_source(sealer, fetch_and_seal) == []
        peek = fetch_and_seal + "    return key.open('customer', 'name', c.name)\n"
        assert [v.rule for v in scan_source(sealer, peek)] == ["G1"]
    assert {v.rule for v in scan_source("customers/api.py", fetch_and_seal)} == {"G3", "G4"}


def test_scanner_leaves_ordinary_code_alone() -> None:
    benign = (
        "import gzip\nimport json\nimport os\nfrom pathlib import Path\n"
        "from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey\n"
        "def f(p: Path, key):\n"
        "    with p.open('rb') as fh:\n        data = fh.read()\n"
        "    with p.open('w', encoding='utf-8', newline='') as out:\n        out.write('x')\n"
        "    with open(p, 'rb', 0) as raw:\n        raw.read()\n"
        "    fd = os.open(p, os.O_WRONLY | os.O_CREAT, 0o600)\n"
        "    gz = gzip.open(p, 'rt', 9)\n"
        "    key.seal('customer', 'name', 'x')\n"
        "    # key.open('customer', 'name', blob) in a comment\n"
        "    return json.dumps({'doc': \"key.open('customer', 'name', b)\"})\n"
    )
    assert scan_source("console/views.py", benign) == []


def test_scanner_walks_a_tree(tmp_path: Path) -> None:
    """A planted file in a copy of the layout is found by the tree walk with its path."""
    root = tmp_path / "baomi"
    (root / "reports").mkdir(parents=True)
    (root / "reports" / "__init__.py").write_text("")
    (root / "reports" / "export.py").write_text(PLANTED["G1 open on a fetched key"][0])
    (root / "customers").mkdir()
    (root / "customers" / "gate.py").write_text(PLANTED["G1 open on a fetched key"][0])
    found = scan_tree(root)
    assert {(v.path, v.rule) for v in found} == {
        ("reports/export.py", "G1"),
        ("reports/export.py", "G4"),
    }


# -- runtime backing: who calls SubjectKey.open during a full cycle --------------------------------
@pytest.mark.django_db
def test_at_runtime_only_the_gate_opens_values(
    make_customer: Any, make_staff: Any, api_client: Any, synth: Any, monkeypatch: Any
) -> None:
    """Instrument SubjectKey.open and LocalKeyring.unwrap, run create, update, records,
    card, search, bulk read and the API; every open comes from gate.py, every unwrap from
    the vault."""
    from baomi.core.errors import Conflict
    from baomi.customers import gate, services
    from baomi.vault import keys
    from baomi.vault import services as vault
    from baomi.vault.crypto import SubjectKey

    openers: set[str] = set()
    unwrappers: set[str] = set()
    real_open, real_unwrap = SubjectKey.open, keys.LocalKeyring.unwrap

    def spy_open(self: Any, *a: Any, **k: Any) -> Any:
        openers.add(Path(sys._getframe(1).f_code.co_filename).resolve().as_posix())
        return real_open(self, *a, **k)

    def spy_unwrap(self: Any, *a: Any, **k: Any) -> Any:
        unwrappers.add(Path(sys._getframe(1).f_code.co_filename).resolve().as_posix())
        return real_unwrap(self, *a, **k)

    monkeypatch.setattr(SubjectKey, "open", spy_open)
    monkeypatch.setattr(keys.LocalKeyring, "unwrap", spy_unwrap)

    desk = make_staff("front_desk")
    c = make_customer(payment_card={"number": "4111111111111111", "expiry": "12/29"})
    services.update_customer(
        desk, "reception", c.id, {"id_number": "E1234567", "id_type": "passport"}
    )
    services.update_customer(desk, "reception", c.id, {"id_number": "E7654321"})  # stored type
    services.add_record(desk, "reception", c.id, "booking", synth.booking())
    services.add_record(desk, "reception", c.id, "stay", synth.stay())
    services.add_record(desk, "reception", c.id, "shipment", synth.shipment())
    vault.clear_caches()  # force unwraps
    view = gate.access_customer(desk, "reception", c.id)
    services.search_customers(desk, "reception", {"phone": view.fields["phone"]})
    with pytest.raises(Conflict):  # de-duplication compares through the gate too
        make_customer(phone=view.fields["phone"], name=view.fields["name"])
    client, headers = api_client("customer_service", "customer_service")
    assert client.get(f"/api/v1/customers/{c.id}", headers=headers).status_code == 200
    assert (
        client.get("/api/v1/customers", {"name": view.fields["name"]}, headers=headers).json()[
            "total"
        ]
        >= 1
    )
    gate_file = (SRC / GATE).resolve().as_posix()
    assert openers == {gate_file}, openers
    assert unwrappers and all(
        u.startswith((SRC / "vault").resolve().as_posix()) for u in unwrappers
    )
