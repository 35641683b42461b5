"""Bilingual text next to the code that uses it (zh-Hans and en only) — one home for every
app (issue #10 §2; was baomi.core.i18n). Templates: `{% load bilingual %}`
(baomi/core/templatetags/bilingual.py).

The notice, portal and rights pages keep their texts as (Chinese, English) pairs and pick
one by Django's active language (LocaleMiddleware, `set_language`); see
docs/decisions/0005-bilingual-pairs-for-customer-facing-text.md for why not gettext here.
"""

from __future__ import annotations

from babel import Locale
from babel.core import get_global
from django.utils.translation import get_language


def is_zh(lang: str | None = None) -> bool:
    return (lang or get_language() or "zh-hans").lower().startswith("zh")


def bi(zh: str, en: str, lang: str | None = None) -> str:
    return zh if is_zh(lang) else en


def half(label: object, lang: str | None = None) -> str:
    """'接待 / reception' → '接待' in Chinese, 'Reception' in English."""
    text = str(label)
    zh, sep, en = text.partition(" / ")
    if not sep:
        return text
    return zh if is_zh(lang) else en[:1].upper() + en[1:]


def country_name(code: object, lang: str | None = None) -> str:
    """An ISO 3166 country or region code as its name in the active language (CLDR data
    from Babel): 'CN' → '中国' / 'China', 'HK' → '中国香港特别行政区'. Unknown: the code."""
    text = str(code or "").strip().upper()
    if not text:
        return ""
    names = Locale.parse("zh_Hans_CN" if is_zh(lang) else "en").territories
    return str(names.get(text, text))


def country_alpha2(code: object) -> str:
    """An ISO 3166 alpha-3 code (as in a passport MRZ: 'CHN') to alpha-2 ('CN'); '' when
    unknown. Alpha-2 codes pass through."""
    text = str(code or "").strip().upper()
    if len(text) == 2:
        return text
    alias = get_global("territory_aliases").get(text)
    return str(alias[0]) if alias else ""


class Bi:
    """A (Chinese, English) pair that renders in the language active when it is shown —
    for labels fixed at import time (navigation entries, registrations) whose language is
    only known per request. `str(Bi("审批", "Approvals"))`."""

    __slots__ = ("en", "zh")

    def __init__(self, zh: str, en: str) -> None:
        self.zh, self.en = zh, en

    def __str__(self) -> str:
        return bi(self.zh, self.en)

    def __repr__(self) -> str:
        return f"Bi({self.zh!r}, {self.en!r})"
