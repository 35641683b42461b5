"""Two layers, enforced (issue #10 §2; docs/architecture.md §1). A static scan (AST, so
comments and strings do not count) of every module under src/baomi, migrations excepted.

  L1 circle   — no import circle between modules, imports inside functions included (a
                circle hidden in a function is still a circle: it only fails later).
  L2 layer    — a domain-layer module (models, services, selectors, the gate, the vault,
                the catalogue, indicators, participant … everything that is not interface)
                never imports an interface-layer module (api, views, urls, forms,
                presenters, templatetags, middleware, management commands, the console).
  L3 rank     — a domain-layer module imports only apps of its own rank or lower
                (APP_RANK below); apps of the same rank are peers and talk through the
                participant contract, never by import. The interface layer may import any
                domain module.
  L4 hidden   — no import of another app inside a function, unless the (module, target)
                pair is on ALLOWED_IN_FUNCTION with the reason it must wait.

When this test fails, it says which rule, where, and what to do. Almost always the fix is
one of: move the import to the top of the module; move the code to the layer it belongs
to (a helper the domain needs lives in the domain, glue lives in api.py / views.py); or,
when a lower app must call a higher one, have the higher app register a hook in its
participant.py (baomi.contract) and let the lower app iterate over the registrations.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import baomi

SRC = Path(baomi.__file__).resolve().parent  # src/baomi

# Lowest first. A new domain app takes the next free rank (or shares the top rank with
# its peers): add it here in the same commit that adds it to INSTALLED_APPS.
APP_RANK: dict[str, int] = {
    "core": 0,
    "vault": 1,
    "catalog": 1,
    "contract": 2,
    "audit": 3,
    "access": 4,
    "customers": 5,
    "consent": 6,
    "rights": 7,
    "portal": 8,
    "sharing": 9,
    "incidents": 9,
    "operations": 9,
    "quality": 9,
    "retention": 9,
    "reports": 10,  # reads the domains' records for the public privacy report
    "feedback": 9,
    "training": 9,
    "insights": 9,
}
# apps and top-level modules that are interface through and through
INTERFACE_APPS = {"api", "console", "settings", "cli", "urls", "wsgi", "manage"}
# a module is interface when one of its dotted parts is one of these
INTERFACE_PARTS = {
    "api",
    "views",
    "urls",
    "forms",
    "templatetags",
    "middleware",
    "management",
    "preflight",  # the servers' start-up refusal
    "apps",  # AppConfig.ready wires the app into Django, like urls
}

# (importing module, imported app) pairs allowed inside a function — keep this short and
# say why each one cannot be a top-level import.
# `AppConfig.ready()` (any `<app>.apps` module) may import inside the method: apps.py is
# imported before the models exist, ready() runs once they all do (Django's own rule).
ALLOWED_IN_FUNCTION: dict[tuple[str, str], str] = {
    ("baomi.cli", "*"): "the entry point sets DJANGO_SETTINGS_MODULE and runs "
    "django.setup() before any app module can be imported",
    ("baomi.core.middleware", "audit"): "imported while settings load (django-axes "
    "resolves AXES_CLIENT_IP_CALLABLE early), before audit's models exist",
    ("baomi.api.api", "*"): "the API mounts each app's router by dotted name (ninja's "
    "add_router) in one list, the only place a new app edits",
    ("baomi.contract.checks", "*"): "system checks run after every app is loaded and "
    "inspect all of them",
    ("baomi.customers.management.commands.bench", "*"): "the benchmark harness, moving "
    "out of the product into benchmarks/ (issue #10 §2, the ingest work): not touched here",
    ("baomi.customers.management.commands.import_data", "*"): "the importer becomes a "
    "package (issue #10 §2, the ingest work): not touched here",
}


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    line: int
    in_function: bool


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC.parent)
        if "migrations" in rel.parts or "tests" in rel.parts:
            continue
        name = ".".join(rel.with_suffix("").parts)
        out[name.removesuffix(".__init__")] = path
    return out


MODULES = _modules()


def _known(name: str) -> str:
    while name not in MODULES and "." in name:
        name = name.rsplit(".", 1)[0]
    return name


def _targets(module: str, node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.Import):
        return [_known(a.name) for a in node.names if a.name.startswith("baomi")]
    if node.level:
        package = module if MODULES[module].name == "__init__.py" else module.rsplit(".", 1)[0]
        parts = package.split(".")
        base = ".".join(parts[: len(parts) - node.level + 1])
        source = f"{base}.{node.module}" if node.module else base
    else:
        source = node.module or ""
    if not source.startswith("baomi"):
        return []
    out = []
    for alias in node.names:
        full = f"{source}.{alias.name}"
        out.append(full if full in MODULES else _known(source))
    return out


def _type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _edges() -> list[Edge]:
    edges: list[Edge] = []
    for module, path in MODULES.items():

        def visit(node: ast.AST, in_function: bool, module: str = module) -> None:
            for child in ast.iter_child_nodes(node):
                if _type_checking(child):
                    continue  # annotations only: no import at run time
                if isinstance(child, ast.Import | ast.ImportFrom):
                    for target in _targets(module, child):
                        if target != module:
                            edges.append(Edge(module, target, child.lineno, in_function))
                func = isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
                visit(child, in_function or func)

        visit(ast.parse(path.read_text(encoding="utf-8")), False)
    return edges


EDGES = _edges()


def app_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def is_interface(module: str) -> bool:
    parts = module.split(".")[1:]
    return app_of(module) in INTERFACE_APPS or any(p in INTERFACE_PARTS for p in parts)


def _where(e: Edge) -> str:
    return f"{MODULES[e.source].relative_to(SRC.parent)}:{e.line}  {e.source} -> {e.target}"


def _circles() -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    graph: dict[str, set[str]] = defaultdict(set)
    for e in EDGES:
        if app_of(e.target) != "baomi" and e.target != "baomi":
            graph[e.source].add(e.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in MODULES:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def _report(rule: str, advice: str, lines: list[str]) -> str:
    lines = list(dict.fromkeys(lines))
    return f"\n{rule}: {len(lines)}\n  " + "\n  ".join(lines) + f"\n\nWhat to do: {advice}"


def test_every_app_has_a_rank() -> None:
    apps = {app_of(m) for m in MODULES} - INTERFACE_APPS - {"baomi", "locale"}
    missing = sorted(apps - set(APP_RANK))
    assert not missing, (
        f"apps without a rank: {missing}. What to do: add the app to APP_RANK in "
        "tests/test_layers.py — above every app it imports, below every app that imports it."
    )


def test_no_import_circles() -> None:
    circles = _circles()
    lines = []
    for members in circles:
        inside = [e for e in EDGES if e.source in members and e.target in members]
        lines.append(" ⟲ " + ", ".join(members))
        lines += ["     " + _where(e) for e in inside]
    assert not circles, _report(
        "L1 import circles",
        "break each circle at the edge that points the wrong way: move the shared code "
        "into the lower module (or a new one both import), or let the higher module "
        "register a hook through baomi.contract.",
        lines,
    )


def test_domain_never_imports_the_interface() -> None:
    bad = [
        _where(e)
        for e in EDGES
        if not is_interface(e.source) and is_interface(e.target) and app_of(e.target) != "baomi"
    ]
    assert not bad, _report(
        "L2 domain module imports an interface module",
        "the domain must work without any web page or API: move what the domain needs "
        "(an error, a helper, an enum) into a domain module — usually of the same app or "
        "of core — and import it from there in both places.",
        bad,
    )


def test_domain_imports_point_down_the_ranks() -> None:
    bad = []
    for e in EDGES:
        if is_interface(e.source):
            continue
        src, dst = app_of(e.source), app_of(e.target)
        if src == dst or dst not in APP_RANK or src not in APP_RANK:
            continue
        if e.source.endswith(".participant") and dst == "contract":
            continue  # registering with the contract is what participant.py is for
        if APP_RANK[dst] >= APP_RANK[src]:
            bad.append(f"{_where(e)}   (rank {APP_RANK[src]} -> {APP_RANK[dst]})")
    assert not bad, _report(
        "L3 upward (or peer) imports in the domain layer",
        "a lower app must not know a higher one. Either the code belongs in the higher "
        "app, or the higher app registers what it contributes in its participant.py "
        "(closers, erasers, access-copy sections, approvals, nav …) and the lower app "
        "iterates over baomi.contract.participants. Peers (same rank) never import each "
        "other.",
        bad,
    )


def test_no_cross_app_imports_hidden_in_functions() -> None:
    bad = []
    for e in EDGES:
        if not e.in_function or app_of(e.source) == app_of(e.target):
            continue
        if app_of(e.target) == "baomi":
            continue
        allowed = ALLOWED_IN_FUNCTION.keys()
        if (e.source, app_of(e.target)) in allowed or (e.source, "*") in allowed:
            continue
        if e.source.endswith(".apps"):
            continue  # AppConfig.ready (see ALLOWED_IN_FUNCTION)
        bad.append(_where(e))
    assert not bad, _report(
        "L4 cross-app imports inside functions",
        "move the import to the top of the module. If that makes a circle, the circle is "
        "the real problem (see L1). Only when Django forces the delay (settings loaded "
        "before the app registry) add the pair to ALLOWED_IN_FUNCTION with the reason.",
        bad,
    )


def test_the_allow_list_stays_short_and_used() -> None:
    assert len(ALLOWED_IN_FUNCTION) <= 8, "the allow-list is for exceptions, not a backlog"
    used = {(e.source, app_of(e.target)) for e in EDGES if e.in_function} | {
        (e.source, "*") for e in EDGES if e.in_function
    }
    stale = sorted(set(ALLOWED_IN_FUNCTION) - used)
    assert not stale, f"allow-list entries no longer needed: {stale} — remove them"
