"""Template context for every console page: who is signed in and under which purpose."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from baomi.access.enums import Role
from baomi.access.policy import allowed_purposes, may_use, may_write
from baomi.catalog.enums import ADMIN_ROLES, Purpose
from baomi.contract import participants


@dataclass(frozen=True)
class PurposeChoice:
    value: str
    label: str
    help: str


def active_purpose(request: HttpRequest) -> Purpose | None:
    """The purpose chosen in this session, if the signed-in role may still use it."""
    user = getattr(request, "user", None)
    session = getattr(request, "session", None)
    if user is None or not user.is_authenticated or session is None:
        return None
    try:
        p = Purpose(session.get("purpose") or "")
    except ValueError:
        return None
    return p if may_use(user.role_code, p) else None


@dataclass(frozen=True)
class NavItem:
    href: str
    label: str
    testid: str
    current: bool


def nav_items(request: HttpRequest, role: str) -> list[NavItem]:
    """The registered nav entries (participant contract) this role may see, in order; an
    entry whose page is not mounted is left out. The pages check the role again."""
    from django.urls import NoReverseMatch, reverse

    match = getattr(request, "resolver_match", None)
    here = f"{match.namespace}:{match.url_name}" if match else ""
    items = []
    for entry in participants.nav_entries():
        if role not in entry.roles or (entry.shown is not None and not entry.shown(request)):
            continue
        try:
            href = reverse(entry.url_name)
        except NoReverseMatch:
            continue
        items.append(NavItem(href, str(entry.label), entry.testid, here == entry.url_name))
    return items


@dataclass(frozen=True)
class ShownBanner:
    template: str
    context: dict[str, Any]


def banners(request: HttpRequest, role: str) -> list[ShownBanner]:
    """Every registered banner for this role with something to say (e.g. overdue rights
    requests for the privacy officer)."""
    out = []
    for b in participants.banners():
        if role in b.roles:
            ctx = b.build(request, role)
            if ctx is not None:
                out.append(ShownBanner(b.template, ctx))
    return out


def console(request: HttpRequest) -> dict[str, Any]:
    from . import labels

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"active_purpose": None, "allowed_purposes": [], "customer_access": False}
    role = getattr(user, "role_code", "")
    purposes = [
        PurposeChoice(p.value, labels.bilingual(p.label), str(labels.PURPOSE_HELP.get(p, "")))
        for p in allowed_purposes(role)
    ]
    p = active_purpose(request)
    return {
        "active_purpose": p.value if p else None,
        "active_purpose_label": labels.bilingual(p.label) if p else "",
        "allowed_purposes": purposes,
        "customer_access": bool(purposes),
        "admin_role": role in ADMIN_ROLES,
        "can_write": bool(p and may_write(role, p)),
        "role_label": labels.choice_label(Role, role),
        "nav_items": nav_items(request, role),
        "banners": banners(request, role),
    }
