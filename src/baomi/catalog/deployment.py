"""Which industry packs this deployment runs (issue #17 §1: "hotel-only consent items on a
hotel deployment — the industry packs decide which purposes appear"). `BAOMI_INDUSTRIES`
(comma-separated: `travel`, `hotel`, `courier`; default all three). Consent items of an
industry the deployment does not run are not asked — at the counter, on the 360 page, in
the portal or in the privacy notice; a decision already on record is still shown."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register

from .enums import Industry


def industries() -> frozenset[Industry]:
    raw = getattr(settings, "BAOMI_INDUSTRIES", None)
    if not raw:
        return frozenset(Industry)
    return frozenset(Industry(v) for v in raw if v in Industry.values) or frozenset(Industry)


def runs(industry: Industry | str | None) -> bool:
    """Whether something of `industry` (None: every deployment) belongs here."""
    return industry is None or Industry(industry) in industries()


@register("baomi")
def industries_check(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    raw = list(getattr(settings, "BAOMI_INDUSTRIES", None) or [])
    unknown = [v for v in raw if v not in Industry.values]
    if not unknown:
        return []
    return [
        Error(
            f"BAOMI_INDUSTRIES names unknown industries: {', '.join(unknown)}",
            hint=f"use any of: {', '.join(Industry.values)}",
            id="baomi.E103",
        )
    ]
