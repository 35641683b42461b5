"""The participant contract (issue #10 §1, decision 0013): what an app registers, the core
uses — the gate's closers, erasure, the access copy, approvals, audit actions, console nav —
without naming the app. Each test registers a throw-away participant the way a new domain
would, and checks the behaviour through the real surface."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import models

from baomi.audit.models import AuditEvent
from baomi.catalog.enums import Purpose, Role
from baomi.contract import participants
from baomi.contract.checks import participants_complete
from baomi.contract.participants import (
    AccessCopySection,
    ApprovalKind,
    EraseContext,
    Erasure,
    Kept,
    NavEntry,
    Participant,
    ReadCloser,
    RegistryError,
)

pytestmark = pytest.mark.django_db


class DrillAction(models.TextChoices):
    HELD = "drilltest.held", "演练 / drill held"


@pytest.fixture
def register(monkeypatch: Any) -> Iterator[Any]:
    """Register participants as a new app would at start-up; restored afterwards."""
    monkeypatch.setattr(participants, "_registry", dict(participants._registry))
    monkeypatch.setattr(participants, "_actions", dict(participants._actions))
    monkeypatch.setattr(participants, "_sealed", False)

    def add(p: Participant) -> Participant:
        return participants.register(p)

    yield add


def test_a_registered_closer_closes_customers_for_the_gate(
    register: Any, api_client: Any, make_customer: Any
) -> None:
    held, free = make_customer(), make_customer()
    register(
        Participant(
            app="drilltest",
            closers=(
                ReadCloser(
                    "legal_hold",
                    lambda p, ids: {held.id} & set(ids) if p is Purpose.RECEPTION else set(),
                ),
            ),
        )
    )
    c, h = api_client("front_desk", "reception")
    body = c.get(f"/api/v1/customers/{held.id}", headers=h).json()
    assert "name" not in body and "name" in body["withheld"]
    ev = AuditEvent.objects.filter(action="customer.read", object_id=str(held.id)).last()
    assert ev is not None and ev.detail["withheld_because"] == "legal_hold"
    assert "name" in c.get(f"/api/v1/customers/{free.id}", headers=h).json()
    # another purpose: not closed
    c2, h2 = api_client("customer_service", "customer_service")
    assert "name" in c2.get(f"/api/v1/customers/{held.id}", headers=h2).json()


def test_a_refusing_closer_turns_a_single_read_into_a_403(
    register: Any, api_client: Any, make_customer: Any
) -> None:
    held = make_customer()
    register(
        Participant(
            app="drilltest",
            closers=(
                ReadCloser(
                    "legal_hold",
                    lambda p, ids: {held.id} & set(ids),
                    refuse_single=True,
                    refusal_code="customer_on_hold",
                    refusal_message="this customer is under a legal hold",
                ),
            ),
        )
    )
    c, h = api_client("front_desk", "reception")
    r = c.get(f"/api/v1/customers/{held.id}", headers=h)
    assert r.status_code == 403 and r.json()["code"] == "customer_on_hold"
    assert AuditEvent.objects.filter(action="access.denied", object_id=str(held.id)).exists()


def test_erasure_runs_every_eraser_and_certifies_what_was_kept(
    register: Any, make_customer: Any, make_staff: Any
) -> None:
    from baomi.rights import services as rights

    seen: list[EraseContext] = []

    def erase(ctx: EraseContext) -> Erasure:
        seen.append(ctx)
        return Erasure(
            cleared={"drill_record": 2},
            kept=[Kept("drill_record", 2, ("id", "at"), "依法保留", "kept by law", "1 年", "1 y")],
        )

    register(Participant(app="drilltest", eraser=erase))
    customer = make_customer()
    tomb = rights.erase_customer(make_staff("privacy_officer"), customer.id, basis="test")
    assert [c.customer_id for c in seen] == [customer.id] and seen[0].erased_at is not None
    cert = tomb.certificate
    assert cert["destroyed"]["records"]["drill_record"] == 2
    assert {"entity": "drill_record", "records": 2, "columns": ["id", "at"]}.items() <= next(
        k for k in cert["retained"] if k["entity"] == "drill_record"
    ).items()
    # a failing eraser rolls the whole erasure back (nothing half-written)

    def broken(ctx: EraseContext) -> Erasure:
        raise RuntimeError("disk full")

    participants._registry["drilltest"] = dataclasses.replace(
        participants._registry["drilltest"], eraser=broken
    )
    other = make_customer()
    with pytest.raises(RuntimeError):
        rights.erase_customer(make_staff("privacy_officer"), other.id, basis="test")
    other.refresh_from_db()
    assert other.erased_at is None


def test_access_copy_gathers_registered_sections(
    register: Any, make_customer: Any, make_staff: Any
) -> None:
    from baomi.rights import services as rights

    customer = make_customer()
    register(
        Participant(
            app="drilltest",
            access_copy=(
                AccessCopySection(
                    "drills", "演练", "Drills", lambda actor, cid: [{"customer": str(cid)}]
                ),
            ),
        )
    )
    copy = rights.access_copy(make_staff("privacy_officer"), customer.id)
    assert copy["drills"] == [{"customer": str(customer.id)}]
    assert {"consents", "requests", "privacy_notice_version"} <= set(copy)


def test_a_registered_approval_kind_is_validated_and_executed_on_approval(
    register: Any, make_staff: Any
) -> None:
    from baomi import audit
    from baomi.access import services as access
    from baomi.core.errors import ValidationFailed

    done: list[int] = []

    def validate(actor: Any, payload: dict[str, Any]) -> None:
        if payload.get("n") is None:
            raise ValidationFailed([])

    def execute(actor: Any, req: Any) -> None:
        done.append(req.pk)
        audit.record(DrillAction.HELD, actor, object_type="approval", object_id=req.pk)

    register(
        Participant(
            app="drilltest",
            approvals=(ApprovalKind("drill_run", "演练 / drill", validate, execute),),
            actions=(DrillAction,),
        )
    )
    requester, approver = make_staff("security_admin"), make_staff("security_admin")
    with pytest.raises(ValidationFailed):
        access.request_approval(requester, "drill_run", {}, "because")
    req = access.request_approval(requester, "drill_run", {"n": 1}, "because")
    access.decide_approval(approver, req.pk, True)
    assert done == [req.pk]
    assert AuditEvent.objects.filter(action="drilltest.held", object_id=str(req.pk)).exists()
    with pytest.raises(Exception, match="kind"):
        access.request_approval(requester, "no_such_kind", {}, "because")


def test_registered_nav_entries_reach_the_console(register: Any, staff_client: Any) -> None:
    register(
        Participant(
            app="drilltest",
            nav=(
                NavEntry(
                    "console:password_change", "演练页", "nav-drill", frozenset({Role.MANAGER}), 5
                ),
            ),
        )
    )
    c, _ = staff_client("manager")
    body = c.get("/").content.decode()
    assert 'data-testid="nav-drill"' in body and "演练页" in body


def test_registration_errors_surface_at_start_up(register: Any) -> None:
    register(Participant(app="drilltest"))
    with pytest.raises(RegistryError, match="twice"):
        register(Participant(app="drilltest"))
    with pytest.raises(RegistryError, match="closers"):
        register(
            Participant(app="drilltest2", closers=(ReadCloser("restricted", lambda p, i: set()),))
        )
    with pytest.raises(RegistryError, match="entities"):
        register(Participant(app="drilltest3", models={"customer": AuditEvent}))
    participants.seal()
    with pytest.raises(RegistryError, match="not later"):
        register(Participant(app="late"))


def test_catalogue_refuses_a_field_declared_twice(register: Any) -> None:
    from baomi.catalog import fields as catalog

    dup = catalog.spec("customer", "name")
    with pytest.raises(ValueError, match="twice"):
        register(Participant(app="drilltest", fields=(dup,)))


def test_check_flags_a_customer_app_without_an_eraser(register: Any) -> None:
    assert participants_complete() == []
    participants._registry["consent"] = dataclasses.replace(
        participants._registry["consent"], eraser=None
    )
    ids = {(e.id, e.obj._meta.label) for e in participants_complete()}
    assert ("baomi.E201", "consent.ConsentEvent") in ids


def test_the_core_names_no_domain() -> None:
    """The gate, erasure, access copy, approvals and console context name no domain app."""
    from pathlib import Path

    import baomi

    root = Path(baomi.__file__).parent
    checks = {
        "customers/gate.py": ("consent", "rights", "portal"),
        "console/context.py": ("rights", "consent", "audit:"),
        "customers/management/commands/import_data.py": ("consent",),
    }
    for path, names in checks.items():
        text = (root / path).read_text()
        code = "\n".join(
            line for line in text.splitlines() if not line.lstrip().startswith(("#", '"'))
        )
        for name in names:
            assert f"baomi.{name}" not in code and f'"{name}' not in code, (path, name)
    services = (root / "access/services.py").read_text()
    assert "ApprovalKind.ROLE_CHANGE" not in services.split("def _execute")[1][:600]
    rights = (root / "rights/services.py").read_text()
    assert "baomi.portal" not in rights and "ENTITY_MODELS" not in rights


# -- the demo hook (issue #19) ------------------------------------------------------------
def test_demo_steps_run_in_order_and_live_in_each_apps_demo_module() -> None:
    steps = participants.demo_steps()
    assert [s.order for s in steps] == sorted(s.order for s in steps)
    owners = {p.app: p for p in participants.all_participants() if p.demo}
    assert {"incidents", "feedback", "sharing", "rights", "reports"} <= set(owners)
    for app, p in owners.items():
        for step in p.demo:
            assert step.run.__module__ == f"baomi.{app}.demo", (app, step.run.__module__)


def test_demo_context_moves_the_services_clock_and_puts_it_back() -> None:
    from datetime import timedelta

    from baomi.core import clock

    ctx = participants.DemoContext(seed=7, staff={}, customer_ids=[])
    real = clock.now()
    with ctx.at(real - timedelta(days=400)):
        inside = clock.now()
    assert timedelta(days=399) < real - inside < timedelta(days=401)
    assert abs(clock.now() - real) < timedelta(minutes=1)
