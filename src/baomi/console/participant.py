"""The console's own pages in the participant contract: staff security (R-D4, R-D6) and
the indicator dashboard (issue #10 §3)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from baomi.audit.monitoring import unread_count
from baomi.catalog.enums import Role
from baomi.contract.kpis import VIEWERS
from baomi.contract.participants import Banner, NavEntry, Participant, register

from .board import KpiAction

SA, SYS, AUD, PO = (
    Role.SECURITY_ADMIN,
    Role.SYSTEM_ADMIN,
    Role.SECURITY_AUDITOR,
    Role.PRIVACY_OFFICER,
)


def _break_glass_unread(request: Any, role: str) -> dict[str, Any] | None:
    """Unread emergency-access alerts in the privacy officer's inbox (issue #9 §3), on every
    console page but the emergency-access list itself (which marks them read)."""
    match = getattr(request, "resolver_match", None)
    if match is not None and match.url_name == "review_break_glass":
        return None
    n = unread_count(role)
    return {"unread": n} if n else None


register(
    Participant(
        app="console",
        actions=(KpiAction,),
        banners=(
            Banner(
                "break_glass_unread",
                "console/banner_break_glass.html",
                frozenset({PO}),
                _break_glass_unread,
            ),
        ),
        nav=(
            NavEntry("console:staff_list", _("Staff"), "nav-staff", frozenset({SA}), 10),
            NavEntry(
                "console:approvals",
                _("Approvals"),
                "nav-approvals",
                frozenset({SA, SYS, PO, AUD}),
                20,
            ),
            NavEntry(
                "console:review_break_glass",
                _("Emergency access"),
                "nav-break-glass",
                frozenset({AUD, PO}),
                30,
            ),
            NavEntry(
                "console:review_offboarding",
                _("Offboarding"),
                "nav-offboarding",
                frozenset({AUD}),
                40,
            ),
            NavEntry(
                "console:access_review",
                _("Access review"),
                "nav-access-review",
                frozenset({SA, AUD}),
                50,
            ),
            NavEntry("console:kpis", _("Indicators"), "nav-kpis", VIEWERS, 90),
        ),
    )
)
