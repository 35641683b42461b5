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
    if len(value) == 18:
        return value[:6] + STAR * 8 + value[-4:]
    if len(value) <= 4:
        return STAR * len(value)
    return value[:2] + STAR * (len(value) - 4) + value[-2:]


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
