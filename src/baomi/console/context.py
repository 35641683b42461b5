"""Template context for every console page: who is signed in and under which purpose."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from baomi.catalog.enums import Purpose


@dataclass(frozen=True)
class PurposeChoice:
    value: str
    label: str
    help: str


def active_purpose(request: HttpRequest) -> Purpose | None:
    """The purpose chosen in this session, if the signed-in role may still use it."""
    from baomi.access.policy import may_use

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


# (url name, label, test id, roles) — each page appears only for the roles that may use it
# (the pages check the role again). Pages of other apps are linked when they are installed.
def _nav_spec() -> list[tuple[str, Any, str, frozenset[str]]]:
    from django.utils.translation import gettext_lazy as _

    sa, aud = "security_admin", "security_auditor"
    requesters = frozenset({sa, "system_admin", "privacy_officer"})
    return [
        ("console:staff_list", _("Staff"), "nav-staff", frozenset({sa})),
        ("console:approvals", _("Approvals"), "nav-approvals", requesters | {aud}),
        (
            "console:review_break_glass",
            _("Emergency access"),
            "nav-break-glass",
            frozenset({aud, "privacy_officer"}),
        ),
        ("console:review_offboarding", _("Offboarding"), "nav-offboarding", frozenset({aud})),
        ("console:access_review", _("Access review"), "nav-access-review", frozenset({sa, aud})),
        ("audit:events", _("Audit log"), "nav-audit", frozenset({aud})),
        ("audit:alerts", _("Alerts"), "nav-alerts", frozenset({sa})),
        ("rights:dashboard", _("Rights requests"), "nav-rights", frozenset({"privacy_officer"})),
    ]


def nav_items(request: HttpRequest, role: str) -> list[NavItem]:
    from django.urls import NoReverseMatch, reverse

    match = getattr(request, "resolver_match", None)
    here = f"{match.namespace}:{match.url_name}" if match else ""
    items = []
    for name, label, testid, roles in _nav_spec():
        if role not in roles:
            continue
        try:
            href = reverse(name)
        except NoReverseMatch:  # an app that is not installed
            continue
        items.append(NavItem(href, str(label), testid, here == name))
    return items


def console(request: HttpRequest) -> dict[str, Any]:
    from baomi.access.enums import Role
    from baomi.access.policy import allowed_purposes, may_write

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
        "can_write": bool(p and may_write(role, p)),
        "role_label": labels.choice_label(Role, role),
        "nav_items": nav_items(request, role),
        "rights_due": rights_due(request, role),
        "break_glass_unread": break_glass_unread(request, role),
    }


def break_glass_unread(request: HttpRequest, role: str) -> int:
    """Unread emergency-access alerts in the privacy officer's inbox (issue #9 §3), on every
    console page but the emergency-access list itself (which marks them read)."""
    if role != "privacy_officer":
        return 0
    match = getattr(request, "resolver_match", None)
    if match is not None and match.url_name == "review_break_glass":
        return 0
    from baomi.audit.monitoring import unread_count

    return unread_count(role)


def rights_due(request: HttpRequest, role: str) -> dict[str, int] | None:
    """Overdue and near-due rights requests, for the privacy officer's banner on every
    console page (R-F1: answered within 15 working days). One query over the open ones;
    the clocks are computed, never stored. None when there is nothing to say, and on the
    rights dashboard itself, which shows the same counts."""
    if role != "privacy_officer":
        return None
    match = getattr(request, "resolver_match", None)
    if match is not None and (match.namespace, match.url_name) == ("rights", "dashboard"):
        return None
    from baomi.rights.selectors import due_counts, queue

    due = due_counts(queue())
    return due if any(due.values()) else None
