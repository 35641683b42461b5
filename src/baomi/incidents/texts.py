"""Staff-written texts of a case, sealed (decision 0034): a whistle-blowing report's title
and text, an incident's summary, the notes of its moves and of its contacts with the
authorities. They may name colleagues or customers, so they never rest in clear: each is
sealed under its case's own data key (`vault.seal_case`) and opened only by the gate
(`gate.open_case_texts`) for the roles of the case, with an audit event per case."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, time, timedelta
from typing import Any

from baomi.customers import gate
from baomi.vault import services as vault

from .inputs import OPEN_ROLES, WHISTLE_READERS, local_zone
from .models import AuthorityContact, Incident, IncidentTransition, WhistleReport

INCIDENT = "incident"
WHISTLE = "incident_whistle"


def seal_whistle(report: WhistleReport, summary: str, text: str) -> None:
    """An anonymous report's key keeps the day only, like the report (no exact time)."""
    day = datetime.combine(report.received_on, time.min, tzinfo=local_zone())
    report.summary, report.text = vault.seal_case(
        WHISTLE,
        report.pk,
        [(WHISTLE, "summary", summary, report.pk), (WHISTLE, "text", text, report.pk)],
        key_created_at=day if report.anonymous else None,
    )
    report.save(update_fields=["summary", "text"])


def seal_summary(inc: Incident, summary: str) -> None:
    (inc.summary,) = vault.seal_case(INCIDENT, inc.pk, [(INCIDENT, "summary", summary, inc.pk)])
    inc.save(update_fields=["summary"])


def seal_note(row: IncidentTransition | AuthorityContact, note: str) -> None:
    table = row._meta.db_table
    (row.note,) = vault.seal_case(INCIDENT, row.incident_id, [(table, "note", note, row.pk)])
    row.save(update_fields=["note"])


def whistle_texts(actor: Any, reports: Sequence[WhistleReport]) -> list[dict[str, str | None]]:
    """{summary, text} of each report, opened for the privacy officer and the auditor."""
    return gate.open_case_texts(
        actor,
        WHISTLE,
        WHISTLE_READERS,
        [(r.pk, WHISTLE, r.pk, {"summary": r.summary, "text": r.text}) for r in reports],
    )


def case_texts(
    actor: Any,
    inc: Incident,
    moves: Iterable[IncidentTransition] = (),
    contacts: Iterable[AuthorityContact] = (),
) -> tuple[str | None, dict[int, str | None], dict[int, str | None]]:
    """An incident's summary and the notes of its moves and contacts (by row id), opened
    in one gate call (one audit event)."""
    moves, contacts = list(moves), list(contacts)
    rows: list[tuple[object, str, object, dict[str, Any]]] = [
        (inc.pk, INCIDENT, inc.pk, {"summary": inc.summary})
    ]
    rows += [(inc.pk, "incident_transition", m.pk, {"note": m.note}) for m in moves]
    rows += [(inc.pk, "incident_authority", c.pk, {"note": c.note}) for c in contacts]
    opened = gate.open_case_texts(actor, INCIDENT, OPEN_ROLES, rows)
    notes = [o["note"] for o in opened[1:]]
    return (
        opened[0]["summary"],
        {m.pk: n for m, n in zip(moves, notes[: len(moves)], strict=True)},
        {c.pk: n for c, n in zip(contacts, notes[len(moves) :], strict=True)},
    )


def shred(inc: Incident, basis: str) -> None:
    vault.shred_case(INCIDENT, inc.pk, basis)


RETENTION_DAYS = 3 * 365  # as the notices: evidence of breach handling, then destroyed


def expire(now: datetime, dry_run: bool = False) -> int:
    """Retention: the texts of cases closed (or found not a breach) more than three years
    ago, and of whistle-blowing reports settled that long ago, are crypto-shredded with
    their case keys. Answers how many case keys were (or would be) destroyed."""
    cutoff = now - timedelta(days=RETENTION_DAYS)
    cases = [
        (INCIDENT, pk)
        for pk in Incident.objects.filter(closed_at__lt=cutoff).values_list("pk", flat=True)
    ]
    cases += [
        (INCIDENT, pk)
        for pk in Incident.objects.filter(dismissed_at__lt=cutoff).values_list("pk", flat=True)
    ]
    cases += [
        (WHISTLE, pk)
        for pk in WhistleReport.objects.filter(reviewed_at__lt=cutoff).values_list("pk", flat=True)
    ]
    live = vault.live_case_keys(cases)
    if not dry_run:
        for kind, pk in live:
            vault.shred_case(kind, pk, "retention: 3 years after the case was settled")
    return len(live)
