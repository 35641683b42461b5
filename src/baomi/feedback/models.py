"""Feedback and complaints, surveys, service standards (issue #15; R-J1, R-J2, R-F2).

Nothing personal rests in plain:

* `Ticket.text` / `response` / `resolution` are sealed under the customer's data key when
  the customer is known (erasing the customer shreds them), else under the ticket's own
  case key (anonymous feedback; decision 0034, `vault.seal_case`); opened only by the gate
  (`open_attached_many` / `open_case_texts`, audited).
* `SurveyResponse.comment` is sealed the same way; scores are numbers.
* Messages (`Message`, the feedback outbox) hold a template code and ids, never text.
* Standards, evaluations, rectification items and retraining actions are about sites and
  teams, not customers.
"""

from __future__ import annotations

from django.db import models

from baomi.vault.fields import SealedField

from .enums import (
    Channel,
    EvaluationKind,
    HoursMode,
    ItemState,
    Kind,
    MessageKind,
    MessageStatus,
    PauseReason,
    RecordKind,
    State,
    Step,
    SurveyScope,
    SurveyState,
    Topic,
)


class Team(models.Model):
    """A customer-service team and its clocks: calendar hours (default) or office hours on
    the mainland working-day calendar with its shifts (several a day, a lunch break is
    the gap between two shifts)."""

    id = models.BigAutoField(primary_key=True)
    code = models.CharField(max_length=16, unique=True)
    name_zh = models.CharField(max_length=80)
    name_en = models.CharField(max_length=80)
    hours = models.CharField(max_length=10, choices=HoursMode.choices, default=HoursMode.CALENDAR)
    shifts = models.JSONField(default=list)  # [["09:00", "12:00"], ["13:30", "18:00"]]
    first_response_hours = models.PositiveSmallIntegerField(default=24)
    resolution_hours = models.PositiveSmallIntegerField(default=72)
    escalate_percent = models.PositiveSmallIntegerField(default=75)  # of the budget used
    is_default = models.BooleanField(default=False)

    class Meta:
        db_table = "feedback_team"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class Ticket(models.Model):
    id = models.BigAutoField(primary_key=True)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    channel = models.CharField(max_length=16, choices=Channel.choices)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    topic = models.CharField(max_length=16, choices=Topic.choices)
    record_kind = models.CharField(max_length=10, choices=RecordKind.choices, blank=True)
    record_id = models.UUIDField(null=True, blank=True)
    site = models.CharField(max_length=16, blank=True, default="")  # a site code (operations)
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="tickets")
    assignee_id = models.BigIntegerField(null=True, blank=True)
    state = models.CharField(max_length=12, choices=State.choices, default=State.NEW)
    text = SealedField()
    response = SealedField()
    resolution = SealedField()
    received_at = models.DateTimeField(db_index=True)
    first_response_due = models.DateTimeField()
    resolution_due = models.DateTimeField()
    assigned_at = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    rights_request_id = models.BigIntegerField(null=True, blank=True)
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    rated_at = models.DateTimeField(null=True, blank=True)
    created_by_id = models.BigIntegerField(null=True, blank=True)
    created_by_role = models.CharField(max_length=24, blank=True, default="")

    class Meta:
        db_table = "feedback_ticket"
        ordering = ["first_response_due", "id"]
        indexes = [
            models.Index(fields=["state", "first_response_due"], name="fb_ticket_queue"),
            models.Index(fields=["customer", "received_at"], name="fb_ticket_customer"),
        ]

    @property
    def anonymous(self) -> bool:
        return self.customer_id is None


class Pause(models.Model):
    """A stop of the ticket's clocks, with its reason (audited when it starts and ends)."""

    id = models.BigAutoField(primary_key=True)
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="pauses")
    reason = models.CharField(max_length=24, choices=PauseReason.choices)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    started_by_id = models.BigIntegerField(null=True, blank=True)
    ended_by_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        db_table = "feedback_pause"
        ordering = ["started_at", "id"]


class Survey(models.Model):
    id = models.BigAutoField(primary_key=True)
    code = models.CharField(max_length=32, unique=True)
    title_zh = models.CharField(max_length=120)
    title_en = models.CharField(max_length=120)
    scope = models.CharField(max_length=10, choices=SurveyScope.choices)
    period = models.CharField(max_length=8)  # 2026Q4 (service) or 2026H2 (privacy)
    questions = models.JSONField(default=list)
    target_sample = models.PositiveIntegerField(default=0)
    min_group = models.PositiveSmallIntegerField(default=10)  # k: smaller groups suppressed
    state = models.CharField(max_length=8, choices=SurveyState.choices, default=SurveyState.OPEN)
    created_at = models.DateTimeField()
    created_by_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        db_table = "feedback_survey"
        ordering = ["-created_at", "-id"]


class Invitation(models.Model):
    """One customer invited to one survey: a one-time link (its token kept as an HMAC)."""

    id = models.BigAutoField(primary_key=True)
    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="invitations")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    token_digest = models.CharField(max_length=64, unique=True)
    channel = models.CharField(max_length=16, blank=True, default="")
    site = models.CharField(max_length=16, blank=True, default="")
    topic = models.CharField(max_length=16, blank=True, default="")
    sent_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "feedback_invitation"
        constraints = [
            models.UniqueConstraint(fields=["survey", "customer"], name="fb_invite_once"),
        ]


class SurveyResponse(models.Model):
    id = models.BigAutoField(primary_key=True)
    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="responses")
    invitation = models.OneToOneField(Invitation, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    channel = models.CharField(max_length=16, blank=True, default="")
    site = models.CharField(max_length=16, blank=True, default="")
    topic = models.CharField(max_length=16, blank=True, default="")
    scores = models.JSONField(default=dict)  # question code → 1..5
    overall = models.PositiveSmallIntegerField()
    comment = SealedField()
    submitted_at = models.DateTimeField(db_index=True)

    class Meta:
        db_table = "feedback_survey_response"
        ordering = ["submitted_at", "id"]


class Message(models.Model):
    """The feedback outbox: one row per message to a customer (answered, resolved, survey
    invitation). Ids and a template code only; with the outbox sender the row is the
    delivery (as incident notices are)."""

    id = models.BigAutoField(primary_key=True)
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=MessageKind.choices)
    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, null=True, blank=True, related_name="messages"
    )
    invitation = models.ForeignKey(
        Invitation, on_delete=models.CASCADE, null=True, blank=True, related_name="messages"
    )
    status = models.CharField(
        max_length=8, choices=MessageStatus.choices, default=MessageStatus.QUEUED
    )
    created_at = models.DateTimeField(db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "feedback_message"
        ordering = ["-created_at", "-id"]


class Standard(models.Model):
    """A written service standard for one step, with measurable criteria."""

    id = models.BigAutoField(primary_key=True)
    code = models.CharField(max_length=32, unique=True)
    step = models.CharField(max_length=12, choices=Step.choices)
    title_zh = models.CharField(max_length=120)
    title_en = models.CharField(max_length=120)
    criteria = models.JSONField(default=list)  # [{code, text_zh, text_en, measure}]
    created_at = models.DateTimeField()

    class Meta:
        db_table = "feedback_standard"
        ordering = ["step", "code"]


class Evaluation(models.Model):
    id = models.BigAutoField(primary_key=True)
    kind = models.CharField(max_length=8, choices=EvaluationKind.choices)
    site = models.CharField(max_length=16, blank=True, default="")
    team = models.CharField(max_length=40, blank=True, default="")
    on = models.DateField(db_index=True)
    evaluator_id = models.BigIntegerField(null=True, blank=True)
    checks_total = models.PositiveIntegerField(default=0)
    checks_passed = models.PositiveIntegerField(default=0)
    score = models.FloatField(null=True, blank=True)  # mean score 0..100
    created_at = models.DateTimeField()

    class Meta:
        db_table = "feedback_evaluation"
        ordering = ["-on", "-id"]

    @property
    def compliance(self) -> float | None:
        if not self.checks_total:
            return None
        return round(100 * self.checks_passed / self.checks_total, 2)


class Check(models.Model):
    id = models.BigAutoField(primary_key=True)
    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="checks")
    standard = models.ForeignKey(Standard, on_delete=models.PROTECT, related_name="+")
    criterion = models.CharField(max_length=32)
    passed = models.BooleanField()
    score = models.PositiveSmallIntegerField(null=True, blank=True)  # 0..100
    finding = models.CharField(max_length=500, blank=True, default="")  # about the service

    class Meta:
        db_table = "feedback_check"
        ordering = ["id"]


class Rectification(models.Model):
    """A failed check's rectification: owner, due date, evidence of closure."""

    id = models.BigAutoField(primary_key=True)
    check_row = models.OneToOneField(Check, on_delete=models.PROTECT, related_name="rectification")
    owner_id = models.BigIntegerField()
    due_on = models.DateField()
    state = models.CharField(max_length=8, choices=ItemState.choices, default=ItemState.OPEN)
    evidence = models.CharField(max_length=500, blank=True, default="")
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        db_table = "feedback_rectification"
        ordering = ["due_on", "id"]


class Retraining(models.Model):
    """The retraining a failed check assigns. Recorded here until the training domain
    (issue #14) takes it over: `training_ref` is where that link will go."""

    id = models.BigAutoField(primary_key=True)
    check_row = models.OneToOneField(Check, on_delete=models.PROTECT, related_name="retraining")
    site = models.CharField(max_length=16, blank=True, default="")
    team = models.CharField(max_length=40, blank=True, default="")
    step = models.CharField(max_length=12, choices=Step.choices)
    topic = models.CharField(max_length=120)
    state = models.CharField(max_length=8, choices=ItemState.choices, default=ItemState.OPEN)
    training_ref = models.CharField(max_length=64, blank=True, default="")
    assigned_at = models.DateTimeField()
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "feedback_retraining"
        ordering = ["assigned_at", "id"]
