"""Retention runs with their certificates, legal holds placed by hand, paper archives.

Nothing here holds a personal value: customer ids, counts, rule names, codes, dates, and
short references that the forms ask to keep free of names (a case number, a cabinet)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from .enums import ArchiveKind, DestructionMethod, HoldKind


class RetentionRun(models.Model):
    id = models.BigAutoField(primary_key=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    dry_run = models.BooleanField()
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_username = models.CharField(max_length=150)
    summary = models.JSONField(default=dict)  # {expired, destroyed, held, rules: [...]}
    certificate = models.JSONField(default=dict)  # what, how many, rule, time; no values
    digest = models.CharField(max_length=64, blank=True)  # SHA-256 of the certificate

    class Meta:
        db_table = "retention_run"
        ordering = ["-id"]


class LegalHold(models.Model):
    """A hold placed by hand (dispute, litigation, an authority's request): the customer's
    data is not destroyed by retention while it stands."""

    id = models.BigAutoField(primary_key=True)
    customer_id = models.UUIDField(db_index=True)
    kind = models.CharField(max_length=16, choices=HoldKind.choices)
    reference = models.CharField(max_length=120)  # a case / file number, no names
    placed_at = models.DateTimeField()
    placed_by_id = models.BigIntegerField(null=True)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        db_table = "retention_hold"
        ordering = ["-id"]


class PaperArchive(models.Model):
    """A box, binder or cabinet of paper records (R-C9: locked storage, a named keeper)."""

    id = models.BigAutoField(primary_key=True)
    title = models.CharField(max_length=120)
    kind = models.CharField(max_length=24, choices=ArchiveKind.choices)
    location = models.CharField(max_length=120)  # site, room, cabinet
    keeper = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    covers_from = models.DateField()
    covers_to = models.DateField()
    retain_until = models.DateField()
    registered_at = models.DateTimeField()
    destroyed_on = models.DateField(null=True, blank=True)
    destroyed_by_id = models.BigIntegerField(null=True, blank=True)
    method = models.CharField(max_length=16, choices=DestructionMethod.choices, blank=True)
    witness = models.CharField(max_length=120, blank=True)  # the second person present

    class Meta:
        db_table = "retention_paper_archive"
        ordering = ["retain_until", "id"]


class ArchiveLoan(models.Model):
    """The check-out log of a paper archive: who took it out of the cabinet, when, why,
    and when it came back (R-C9)."""

    id = models.BigAutoField(primary_key=True)
    archive = models.ForeignKey(PaperArchive, on_delete=models.PROTECT, related_name="loans")
    borrower = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(max_length=120)  # e.g. 公安核查 / police check — no names
    out_at = models.DateTimeField()
    back_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "retention_archive_loan"
        ordering = ["-id"]
