"""Overdue and near-due rights requests alert the privacy officer on every console page
(R-F1: answered within 15 working days; issue #5 "overdue and near-due alerts")."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from baomi.core import clock
from baomi.rights import selectors, services, sla
from baomi.rights.models import RightsRequest

pytestmark = pytest.mark.django_db


def alert(html: str) -> str | None:
    marker = 'data-testid="rights-due-alert"'
    if marker not in html:
        return None
    start = html.index(marker)
    return html[start : html.index("</p>", start)]


def test_officer_sees_overdue_and_near_due_on_every_page(
    staff_client: Any, make_customer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    c, officer = staff_client("privacy_officer")
    customer = make_customer()
    assert alert(c.get("/").content.decode()) is None  # nothing open: nothing to say
    real = timezone.now()
    # one long overdue, one received so that it is now within the near-due window (found
    # on the real calendar, whatever holidays fall in it)
    near_days = next(
        d
        for d in range(1, 40)
        if sla.clock(RightsRequest(received_at=real - timedelta(days=d)), real).near_due
    )
    for days_ago in (40, near_days):
        monkeypatch.setattr(clock, "now", lambda d=days_ago: real - timedelta(days=d))
        services.create_request(officer, customer.id, "complaint", detail="x")
    monkeypatch.setattr(clock, "now", lambda: real)
    services.create_request(officer, customer.id, "access")  # new: not due yet
    for page in ("/", "/password/", "/rights/new/"):
        banner = alert(c.get(page).content.decode())
        assert banner is not None, page
        assert 'data-overdue="1"' in banner and 'data-near-due="1"' in banner
        assert 'href="/rights/"' in banner
    # the dashboard shows the same counts itself, computing the open queue once
    calls = []
    real_queue = selectors.queue
    monkeypatch.setattr(selectors, "queue", lambda **kw: calls.append(kw) or real_queue(**kw))
    body = c.get("/rights/").content.decode()
    assert alert(body) is None and len(calls) == 1
    assert 'data-testid="overdue-count">1<' in body and 'data-testid="near-due-count">1<' in body


def test_other_roles_get_no_rights_banner(
    staff_client: Any, make_customer: Any, make_staff: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    officer = make_staff("privacy_officer")
    customer = make_customer()
    monkeypatch.setattr(clock, "now", lambda: timezone.now() - timedelta(days=40))
    services.create_request(officer, customer.id, "complaint", detail="x")
    monkeypatch.undo()
    for role in ("front_desk", "security_auditor"):
        c, _ = staff_client(role)
        assert alert(c.get("/").content.decode()) is None
