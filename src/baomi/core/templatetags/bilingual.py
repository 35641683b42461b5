"""`{% load bilingual %}{% bi "中文" "English" %}`: the half for the active language."""

from django import template

from baomi.core.i18n import bi as _bi
from baomi.core.i18n import half as _half

register = template.Library()


@register.simple_tag
def bi(zh: str, en: str) -> str:
    return _bi(zh, en)


@register.filter
def half(label: object) -> str:
    return _half(label)
