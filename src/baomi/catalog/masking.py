"""Display masking rules (DESIGN.md §4). Pure functions over plaintext → masked text."""

from __future__ import annotations

import re

STAR = "*"


def name(value: str) -> str:
    if not value:
        return value
    if re.search(r"[\u3400-\u9fff]", value):  # CJK: keep the surname character
        return value[0] + STAR * max(1, len(value) - 1)
    return " ".join(p[0] + STAR * 3 for p in value.split() if p)


def phone(value: str) -> str:
    digits = value.lstrip("+")
    if value.startswith("+86") and len(digits) == 13:
        local = digits[2:]
        return f"{local[:3]}****{local[-4:]}"
    if len(value) <= 6:
        return STAR * len(value)
    return value[:4] + STAR * (len(value) - 8) + value[-4:]


def email(value: str) -> str:
    local, _, domain = value.partition("@")
    return f"{local[:1]}***@{domain}" if domain else STAR * 3


def id_number(value: str) -> str:
    """Four stars and the last 4 characters, whatever the ID's type and length: `****6441`.

    An 18-character mainland (or foreign permanent-resident) ID carries the birth date in
    characters 7–14 and the region in 1–6; the old mask `310104********6441` hid exactly
    the birth date, which the same view showed in plain (issue #9 §3). The width is fixed
    so the mask does not tell a resident ID from a passport either. Short numbers show
    less: 5–7 characters the last 2, 4 or fewer nothing."""
    if len(value) >= 8:
        return STAR * 4 + value[-4:]
    if len(value) > 4:
        return STAR * 4 + value[-2:]
    return STAR * 4


def hide_gender_digit(masked: str, plain: str) -> str:
    """Refinement of `id_number` for views that do not show the gender: the 17th character
    of an 18-character ID is odd for men and even for women, and it is the second-last
    character the mask shows (`****6441` → `****64*1`)."""
    if len(plain) == 18 and len(masked) >= 2:
        return masked[:-2] + STAR + masked[-1]
    return masked


_CITY = re.compile(r"^(.*?(?:市|州|盟|地区|特别行政区))")


def address(value: str) -> str:
    """Down to city level: '北京市朝阳区…' → '北京市***'; otherwise the last comma part."""
    m = _CITY.match(value)
    if m:
        return m.group(1) + STAR * 3
    parts = [p.strip() for p in value.split(",") if p.strip()]
    if len(parts) >= 2:
        return STAR * 3 + ", " + ", ".join(parts[-2:])
    return value[:2] + STAR * 3


def card(value: str) -> str:
    """first6/last4 stored as '622202|1234' → '622202******1234'."""
    first6, _, last4 = value.partition("|")
    return f"{first6}******{last4}"


def year_only(value: str) -> str:
    return value[:4] + "-**-**" if len(value) >= 4 else STAR * 3


def partial(value: str) -> str:
    if len(value) <= 2:
        return STAR * len(value)
    return value[:1] + STAR * (len(value) - 1)


def hidden(value: str) -> str:
    return "***"


# What each mask shows, for the catalogue's masking table (`baomi catalog`, docs/vault.md).
DESCRIPTIONS: dict[str, tuple[str, str]] = {
    "name": ("保留姓氏（外文名保留各部分首字母）", "surname kept (Latin names: each initial)"),
    "phone": ("前3位和后4位", "first 3 and last 4 digits"),
    "email": ("用户名首字符和域名", "first character of the user name, and the domain"),
    "id_number": ("仅后4位（固定宽度）", "last 4 characters only (fixed width)"),
    "address": ("到城市一级", "down to the city"),
    "card": ("前6位和后4位", "first 6 and last 4 digits"),
    "year_only": ("仅年份", "year only"),
    "partial": ("仅首字符", "first character only"),
    "hidden": ("完全隐藏", "nothing"),
}


def describe(mask: object, lang: str = "en") -> str:
    zh, en = DESCRIPTIONS.get(getattr(mask, "__name__", ""), ("—", "—"))
    return zh if lang.startswith("zh") else en
