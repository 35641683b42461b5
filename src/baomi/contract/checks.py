"""System checks for the participant contract (`baomi check`; Django's checks framework):
an app that keeps rows about a customer must say how they are erased, and its sealed
columns must be catalogued."""

from __future__ import annotations

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
