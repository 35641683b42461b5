"""System checks for the participant contract (`baomi check`; Django's checks framework):
an app that keeps rows about a customer must say how they are erased, its sealed columns
must be catalogued, and every reason code its indicators can answer has words in both
languages."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from django.apps import apps
from django.core.checks import Error, register


@register("baomi")
def participants_complete(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    from baomi.catalog import fields as catalog
    from baomi.vault.fields import SealedField

    from . import participants

    errors: list[Error] = []
    customer = apps.get_model("customers", "Customer")
    for config in apps.get_app_configs():
        if not config.name.startswith("baomi."):
            continue
        p = participants.get(config.label)
        entities = {m: e for e, m in p.models.items()} if p else {}
        for model in config.get_models():
            about_customer = any(
                getattr(f, "related_model", None) is customer for f in model._meta.concrete_fields
            )
            if about_customer and (p is None or p.eraser is None):
                errors.append(
                    Error(
                        f"{model._meta.label} keeps rows about a customer, but app "
                        f"{config.label!r} registers no eraser",
                        hint="register(Participant(app=..., eraser=...)) in participant.py",
                        obj=model,
                        id="baomi.E201",
                    )
                )
            sealed = [f for f in model._meta.concrete_fields if isinstance(f, SealedField)]
            if not sealed:
                continue
            entity = entities.get(model, model._meta.db_table)
            missing = [f.name for f in sealed if f"{entity}.{f.name}" not in catalog.BY_KEY]
            if missing:
                errors.append(
                    Error(
                        f"{model._meta.label}: sealed columns {missing} are not catalogued",
                        hint="declare them in the app's Participant(fields=...)",
                        obj=model,
                        id="baomi.E202",
                    )
                )
    return errors


# modules of an app where an indicator's "no value, because …" codes are written
_REASON_MODULES = ("indicators.py", "participant.py", "selectors.py", "kpis.py")
_MEASURES = {"Measurement", "Figure"}  # (None, "code") or reason="code"
_SHARES = {"share", "_share"}  # (…, "code") or empty="code"


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else ""


def _str(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def reason_codes(source: str) -> set[str]:
    """The reason-code literals a module answers with: `Measurement(None, "code")`,
    `Figure(None, "code")`, `reason="code"`, `share(n, d, "code")` / `empty="code"`."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = _name(node.func)
        kw = {k.arg: k.value for k in node.keywords if k.arg}
        if name in _MEASURES:
            args = node.args
            if len(args) >= 2 and isinstance(args[0], ast.Constant) and args[0].value is None:
                found.add(_str(args[1]) or "")
            found.add(_str(kw.get("reason")) or "")
        elif name in _SHARES:
            found.add((_str(node.args[-1]) if len(node.args) >= 3 else None) or "")
            found.add(_str(kw.get("empty")) or "")
    return found - {""}


@register("baomi")
def indicator_reasons_labelled(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """baomi.E203: a reason code an app's indicators can answer has no words (zh and en).
    The console and the API show `Indicator.reason_text`; they name no domain's reasons."""
    from . import kpis, participants

    errors: list[Error] = []
    for p in participants.all_participants():
        if not p.indicators:
            continue
        labelled = set(kpis.COMMON_REASONS)
        for ind in p.indicators:
            for code, zh, en in ind.reasons:
                if not (code and zh.strip() and en.strip()):
                    errors.append(
                        Error(
                            f"indicator {ind.code}: reason {code!r} needs words in zh and en",
                            id="baomi.E203",
                        )
                    )
                labelled.add(code)
        root = Path(apps.get_app_config(p.app).path)
        returned: set[str] = set()
        for module in _REASON_MODULES:
            path = root / module
            if path.exists():
                returned |= reason_codes(path.read_text(encoding="utf-8"))
        for code in sorted(returned - labelled):
            errors.append(
                Error(
                    f"app {p.app!r}: indicator reason {code!r} has no label",
                    hint="add (code, 中文, English) to the indicator's `reasons`",
                    id="baomi.E203",
                )
            )
    return errors
