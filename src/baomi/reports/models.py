"""Inspections, their checks and findings, privacy working meetings, generated reports.
No personal values: staff accounts, codes, counts, short texts about the programme."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from .enums import CheckResult, FindingState, InspectionState, ReportFormat, ReportKind, Severity


class Inspection(models.Model):
    id = models.BigAutoField(primary_key=True)
    period = models.CharField(max_length=8)  # 2026H2 (half-yearly)
    scope = models.CharField(max_length=300)  # sites, departments, domains
    state = models.CharField(max_length=12, choices=InspectionState.choices)
    lead = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    planned_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    tree_size = models.BigIntegerField(default=0)  # the audit log when it was planned
    root_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        db_table = "reports_inspection"
        ordering = ["-id"]


class InspectionCheck(models.Model):
    """One checklist item: a registered indicator (its value when planned is the starting
    evidence) or a programme check the plan adds (keys rotated, audit verified …)."""

    id = models.BigAutoField(primary_key=True)
    inspection = models.ForeignKey(Inspection, on_delete=models.PROTECT, related_name="checks")
    code = models.CharField(max_length=64)  # an indicator code or a check code
    requirement = models.CharField(max_length=16)
    title_zh = models.CharField(max_length=200)
    title_en = models.CharField(max_length=200)
    measured = models.JSONField(default=dict)  # {value, target, met, reason} when planned
    result = models.CharField(max_length=4, choices=CheckResult.choices, default=CheckResult.OPEN)
    evidence = models.CharField(max_length=500, blank=True)  # references: records, files
    checked_at = models.DateTimeField(null=True, blank=True)
    checked_by_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        db_table = "reports_inspection_check"
        ordering = ["id"]


class Finding(models.Model):
    id = models.BigAutoField(primary_key=True)
    inspection = models.ForeignKey(
        Inspection, on_delete=models.PROTECT, null=True, blank=True, related_name="findings"
    )
    meeting = models.ForeignKey(
        "Meeting", on_delete=models.PROTECT, null=True, blank=True, related_name="actions"
    )
    checklist_item = models.ForeignKey(
        InspectionCheck, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    title = models.CharField(max_length=200)
    severity = models.CharField(max_length=8, choices=Severity.choices)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField()
    state = models.CharField(max_length=10, choices=FindingState.choices)
    raised_at = models.DateTimeField()
    rectification = models.CharField(max_length=500, blank=True)  # what was done, evidence
    rectified_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "reports_finding"
        ordering = ["due_on", "id"]


class Meeting(models.Model):
    """A privacy working meeting: who attended, what was decided (actions are findings)."""

    id = models.BigAutoField(primary_key=True)
    held_on = models.DateField()
    title = models.CharField(max_length=200)
    attendees = models.JSONField(default=list)  # staff usernames
    decisions = models.TextField(max_length=4000)  # about the programme, no customer data
    recorded_by_id = models.BigIntegerField(null=True)
    recorded_at = models.DateTimeField()

    class Meta:
        db_table = "reports_meeting"
        ordering = ["-held_on", "-id"]


class ReportRun(models.Model):
    id = models.BigAutoField(primary_key=True)
    kind = models.CharField(max_length=12, choices=ReportKind.choices)
    period = models.CharField(max_length=8)
    format = models.CharField(max_length=4, choices=ReportFormat.choices)
    lang = models.CharField(max_length=5)
    generated_at = models.DateTimeField()
    generated_by = models.CharField(max_length=150)
    tree_size = models.BigIntegerField()
    root_hash = models.CharField(max_length=64)
    sha256 = models.CharField(max_length=64)  # of the file
    size = models.PositiveIntegerField()

    class Meta:
        db_table = "reports_run"
        ordering = ["-id"]
