"""Who runs this deployment: the personal-information handler the privacy notice and the
portal name (PIPL art. 17: the handler's name and contact; issue #17 §5). Configured once
per deployment from the environment (decision 0041 §4):

    BAOMI_OPERATOR_NAME_ZH / _EN        the company's registered name
    BAOMI_OPERATOR_SHORT_ZH / _EN       the name on page headers (default: the full name)
    BAOMI_OPERATOR_ADDRESS_ZH / _EN     its address
    BAOMI_PRIVACY_EMAIL / BAOMI_PRIVACY_PHONE   the privacy contact (at least one)

The values are part of the privacy notice's text, so a change yields a new notice version
(its digest) when the servers restart — the publication register then tracks it. `baomi
check --deploy` warns (baomi.W102) while the name or every contact is missing; until
then the pages say the operator has not been configured rather than name anyone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.checks import Warning, register
from django.utils.translation import get_language

from .i18n import is_zh

KEYS = (
    "name_zh",
    "name_en",
    "short_zh",
    "short_en",
    "address_zh",
    "address_en",
    "email",
    "phone",
)
_EMAIL = re.compile(r"^[^@\s<>\"']+@[^@\s<>\"']+\.[^@\s<>\"']+$")


@dataclass(frozen=True)
class Operator:
    name_zh: str = ""
    name_en: str = ""
    short_zh: str = ""
    short_en: str = ""
    address_zh: str = ""
    address_en: str = ""
    email: str = ""
    phone: str = ""

    @property
    def configured(self) -> bool:
        return bool(self.name_zh and self.name_en and (self.email or self.phone))

    def name(self, lang: str | None = None) -> str:
        return self.name_zh if is_zh(lang) else self.name_en

    def short(self, lang: str | None = None) -> str:
        return (self.short_zh or self.name_zh) if is_zh(lang) else (self.short_en or self.name_en)

    def address(self, lang: str | None = None) -> str:
        return self.address_zh if is_zh(lang) else self.address_en

    @property
    def tel(self) -> str:
        """The phone for a `tel:` link: digits and a leading +."""
        return re.sub(r"(?!^\+)[^\d]", "", self.phone.strip())

    def as_dict(self, lang: str) -> dict[str, str]:
        return {
            "name": self.name(lang),
            "address": self.address(lang),
            "email": self.email,
            "phone": self.phone,
        }


def operator() -> Operator:
    raw: dict[str, Any] = getattr(settings, "BAOMI_OPERATOR", {}) or {}
    values = {k: " ".join(str(raw.get(k) or "").split())[:200] for k in KEYS}
    if values["email"] and not _EMAIL.match(values["email"]):
        values["email"] = ""  # never a broken mailto: link (the check says why)
    return Operator(**values)


@register("baomi", deploy=True)
def operator_check(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    raw: dict[str, Any] = getattr(settings, "BAOMI_OPERATOR", {}) or {}
    op = operator()
    problems = []
    if raw.get("email") and not op.email:
        problems.append("BAOMI_PRIVACY_EMAIL is not an e-mail address")
    if not op.configured:
        problems.append(
            "the operator's name (BAOMI_OPERATOR_NAME_ZH and _EN) and a privacy contact "
            "(BAOMI_PRIVACY_EMAIL or BAOMI_PRIVACY_PHONE) are not all set"
        )
    return [
        Warning(
            p,
            hint="the privacy notice and the portal must name the operator and its "
            "privacy contact (PIPL art. 17); see docs/operations.md",
            id="baomi.W102",
        )
        for p in problems
    ]


def context(request: Any) -> dict[str, Any]:
    """Template context processor: `site_operator` in the request's language."""
    op, lang = operator(), get_language()
    return {
        "site_operator": {
            "configured": op.configured,
            "name": op.name(lang),
            "short": op.short(lang),
            "address": op.address(lang),
            "email": op.email,
            "phone": op.phone,
            "tel": op.tel,
        }
    }
