"""The collection checklist (R-B1): every collected item, its purpose, scope and method."""

from __future__ import annotations

from typing import Any

from . import fields as catalog
from . import masking


def checklist(lang: str = "en") -> list[dict[str, Any]]:
    zh = lang.startswith("zh")
    rows = []
    for f in catalog.FIELDS:
        rows.append(
            {
                "item": f.key,
                "label": f.label_zh if zh else f.label_en,
                "class": f.klass.value,
                "type": f.type,
                "purposes": [p.value for p in f.purposes],
                "method": f.method,
                "industry": f.industry.value if f.industry else "all",
                "retention": f.retention,
                "blind_indexed": f.indexed,
                "tags": sorted(f.tags),
                "mask": masking.describe(f.mask, lang),
            }
        )
    for p in catalog.PREFERENCE_KEYS:
        rows.append(
            {
                "item": f"customer.preferences.{p.code}",
                "label": p.label_zh if zh else p.label_en,
                "class": "preference",
                "type": "choice" if p.choices else "text",
                "purposes": ["reception", "customer_service", "marketing", "rights_request"],
                "method": "self_service",
                "industry": p.industry.value if p.industry else "all",
                "retention": catalog.spec("customer", "preferences").retention,
                "blind_indexed": False,
                "tags": [],
                "mask": masking.describe(masking.hidden, lang),
            }
        )
    return rows


def coverage() -> float:
    """Share of catalogued items that state at least one purpose (target 100 %)."""
    rows = checklist()
    return sum(1 for r in rows if r["purposes"]) / len(rows)
