"""One decorator module for the console (issue #10 §2): every staff page of every app says
who may use it with `baomi.console.decorators`, so the rules are written once — signed in
after the second factor, password not due, role, purpose."""

from __future__ import annotations

import ast
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

import baomi
from baomi.audit.models import Action, AuditEvent
from baomi.core import clock

pytestmark = pytest.mark.django_db

SRC = Path(baomi.__file__).resolve().parent
# signin.py: the password-change form itself must be reachable with a due password
HOME = {"console/decorators.py", "console/signin.py"}


def test_no_view_module_writes_its_own_sign_in_check() -> None:
    found = []
    for path in SRC.rglob("*.py"):
        rel = str(path.relative_to(SRC))
        if rel in HOME or "migrations" in rel:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = node.id if isinstance(node, ast.Name) else getattr(node, "attr", None)
            if name == "login_required":
                found.append(f"{rel}:{node.lineno}")  # type: ignore[attr-defined]
    assert not found, (
        f"login_required outside baomi.console.decorators: {found}. What to do: decorate the "
        "view with decorators.staff_required / role_required(..., denied=...) instead."
    )


@pytest.mark.parametrize("page", ["/rights/", "/sharing/", "/audit/events/"])
def test_a_due_password_sends_every_apps_pages_to_the_change_form(
    staff_client: Any, monkeypatch: Any, page: str
) -> None:
    role = {"/rights/": "privacy_officer", "/sharing/": "privacy_officer"}.get(
        page, "security_auditor"
    )
    c, _staff = staff_client(role)
    assert c.get(page).status_code == 200
    later = clock.now() + timedelta(days=91)
    monkeypatch.setattr(clock, "now", lambda: later)
    r = c.get(page)
    assert r.status_code == 302 and r["Location"] == "/password/"


def test_each_app_keeps_its_own_refusal_page(staff_client: Any) -> None:
    c, _ = staff_client("front_desk")
    assert c.get("/rights/").status_code == 403
    assert c.get("/sharing/").status_code == 403
    before = AuditEvent.objects.filter(action=Action.ACCESS_DENIED).count()
    assert c.get("/audit/events/").status_code == 403
    assert AuditEvent.objects.filter(action=Action.ACCESS_DENIED).count() == before + 1
