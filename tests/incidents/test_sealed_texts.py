"""What staff write about a case never rests in clear (DESIGN §3 rule 2, decision 0034): a
whistle-blowing report's title and text, an incident's summary, the notes of its moves
and authority contacts are sealed under the case's own data key, opened only by the gate
for the case roles (an audited `case_text.read`), and gone once the case key is shredded."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from baomi.audit.models import AuditEvent
from baomi.core.errors import Forbidden, Gone
from baomi.incidents import programme, services, texts
from baomi.incidents.models import Incident, WhistleReport
from baomi.vault import services as vault
from baomi.vault.models import DataKey

SECRET = "客户张三的护照号E12345678被同事拍照"


def _raw(table: str, column: str, pk: int) -> bytes:
    with connection.cursor() as cur:
        cur.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])
        (value,) = cur.fetchone()
    return bytes(value)


def _clear(blob: bytes) -> bool:
    return SECRET.encode() in blob or b"E12345678" in blob


def test_whistle_text_is_ciphertext_at_rest_and_opened_for_the_officer(
    staff_client: Any, make_staff: Any
) -> None:
    report = programme.report_leak(
        make_staff("front_desk"), summary="疑似泄露 E12345678", text=SECRET, anonymous=True
    )
    for column in ("summary", "text"):
        blob = _raw("incident_whistle", column, report.pk)
        assert blob[:1] == b"\x01" and not _clear(blob)
    c, officer = staff_client("privacy_officer")
    page = c.get("/incidents/whistle/reports/").content.decode()
    assert SECRET in page and "疑似泄露 E12345678" in page
    ev = AuditEvent.objects.filter(action="case_text.read", actor_id=officer.pk).get()
    assert ev.object_type == "incident_whistle" and ev.object_id == str(report.pk)
    assert set(ev.fields) == {"incident_whistle.summary", "incident_whistle.text"}
    assert not _clear(repr([ev.detail, ev.fields]).encode())


def test_an_anonymous_reports_key_keeps_the_day_only(make_staff: Any) -> None:
    report = programme.report_leak(make_staff("courier"), summary="s", text="t", anonymous=True)
    key = DataKey.objects.get(subject_id=vault.case_subject("incident_whistle", report.pk))
    local = key.created_at.astimezone(texts.local_zone())
    assert (local.hour, local.minute, local.second) == (0, 0, 0)
    assert local.date() == report.received_on


def test_incident_texts_are_sealed_and_come_back_through_the_api(
    api_client: Any, open_case: Any
) -> None:
    c, h = api_client("privacy_officer")
    r = c.post(
        "/api/v1/incidents",
        {
            "title": "前台电脑被拍照",
            "kind": "unauthorised_access",
            "severity": "low",
            "detected_at": "2026-12-01T08:00:00+08:00",
            "summary": SECRET,
        },
        content_type="application/json",
        headers=h,
    )
    assert r.status_code == 201, r.content
    pk = r.json()["id"]
    r = c.post(
        f"/api/v1/incidents/{pk}/transition",
        {"to": "triaged", "note": "核实：" + SECRET},
        content_type="application/json",
        headers=h,
    )
    assert r.status_code == 200, r.content
    inc = Incident.objects.get(pk=pk)
    assert not _clear(_raw("incident", "summary", pk))
    move = inc.moves.order_by("-id").first()
    assert move is not None and not _clear(_raw("incident_transition", "note", move.pk))
    body = c.get(f"/api/v1/incidents/{pk}", headers=h).json()
    assert body["summary"] == SECRET
    assert body["transitions"][-1]["note"] == "核实：" + SECRET
    assert AuditEvent.objects.filter(action="case_text.read", object_id=str(pk)).exists()


def test_other_roles_are_refused_and_the_refusal_is_audited(
    make_staff: Any, open_case: Any
) -> None:
    inc = open_case(summary=SECRET)
    desk = make_staff("front_desk")
    with pytest.raises(Forbidden):
        texts.case_texts(desk, inc)
    denied = AuditEvent.objects.filter(action="access.denied", actor_id=desk.pk).get()
    assert denied.detail["reason"] == "case_text_role"
    report = programme.report_leak(desk, summary="s", text=SECRET, anonymous=False)
    with pytest.raises(Forbidden):  # the security admin runs cases, but reads no reports
        texts.whistle_texts(make_staff("security_admin"), [report])


def test_a_shredded_case_shows_its_texts_as_destroyed(
    staff_client: Any, open_case: Any, officer: Any
) -> None:
    inc = open_case(summary=SECRET)
    texts.shred(inc, "retention: 3 years after closing")
    summary, _, _ = texts.case_texts(officer, inc)
    assert summary is None
    c, _ = staff_client("privacy_officer")
    page = c.get(f"/incidents/{inc.pk}/").content.decode()
    assert SECRET not in page and "已按保存期限销毁" in page
    with pytest.raises(Gone):  # no new text under a destroyed key
        services.transition(officer, inc.pk, "triaged", "a note")


def test_empty_texts_create_no_key(open_case: Any) -> None:
    inc = open_case()  # no summary
    assert not DataKey.objects.filter(subject_id=vault.case_subject("incident", inc.pk)).exists()
    assert WhistleReport.objects.count() == 0


def test_retention_shreds_texts_three_years_after_closing(
    open_case: Any, officer: Any, make_staff: Any
) -> None:
    from datetime import timedelta

    from baomi.core import clock

    old = open_case(summary=SECRET)
    recent = open_case(summary="仍在保存期内")
    long_ago = clock.now() - timedelta(days=3 * 365 + 2)
    Incident.objects.filter(pk=old.pk).update(state="closed", closed_at=long_ago)
    report = programme.report_leak(make_staff("courier"), summary="s", text=SECRET, anonymous=True)
    WhistleReport.objects.filter(pk=report.pk).update(state="dismissed", reviewed_at=long_ago)
    assert texts.expire(clock.now(), dry_run=True) == 2
    assert texts.case_texts(officer, old)[0] == SECRET  # a dry run destroys nothing
    assert texts.expire(clock.now()) == 2
    assert texts.case_texts(officer, Incident.objects.get(pk=old.pk))[0] is None
    assert texts.case_texts(officer, recent)[0] == "仍在保存期内"
    assert texts.expire(clock.now()) == 0
