"""Incidents and breach response (R-H1, R-H2, R-H3, R-D8, R-C6, R-E3). docs/incidents.md.

An `Incident` is a state machine (reported → triaged → contained → notified → closed, or
not_breach) with one timestamp per state; every move is an `IncidentTransition` row and an
audit event. Its clocks (initial handling +24 h, customer notice +72 h) are computed from
`detected_at` (incidents.clocks), never typed in. Regulator reporting duties are data:
`ReportingRule` rows (regime × recipient × grade × operator class × hours) turn into one
`Obligation` per incident × rule, whose due time is stored and frozen once filed.

Who was affected is computed from the audit log (`Scope`, `ScopeMember`), stored with the
tree size and root hash it was computed at, so it can be re-proven later. Customer notices
are personal: their text is sealed under the customer's data key (`Notice.body`), opened
only by the gate. Texts staff write about an incident (title, summary, actions) describe the
incident, not a customer: the forms say so, and they hold no customer values.
"""

from __future__ import annotations

from django.db import models

from baomi.audit.models import Alert
from baomi.customers.models import Customer
from baomi.vault.fields import SealedField

from .enums import (
    AssessmentKind,
    AuthorityKind,
    Channel,
    DrillKind,
    FindingState,
    Kind,
    NoticeDecision,
    NoticeStatus,
    ObligationStatus,
    OperatorClass,
    ScopeMethod,
    Severity,
    Source,
    State,
    WhistleState,
)


class PlanVersion(models.Model):
    """One published version of the breach-response plan, with each department's duties
    per step (R-H1, R-D7). Staff acknowledge each version (`PlanAcknowledgement`)."""

    id = models.BigAutoField(primary_key=True)
    version = models.PositiveIntegerField(unique=True)
    title = models.CharField(max_length=200)
    body = models.TextField()  # the plan's text (markdown-like, no personal data)
    duties = models.JSONField(default=dict)  # step code → {"department": str, "role": code}
    published_at = models.DateTimeField()
    published_by_id = models.BigIntegerField(null=True)

    class Meta:
        db_table = "incident_plan_version"
        ordering = ["-version"]


class PlanAcknowledgement(models.Model):
    id = models.BigAutoField(primary_key=True)
    plan = models.ForeignKey(PlanVersion, on_delete=models.PROTECT, related_name="acks")
    staff_id = models.BigIntegerField()
    at = models.DateTimeField()

    class Meta:
        db_table = "incident_plan_ack"
        constraints = [
            models.UniqueConstraint(fields=["plan", "staff_id"], name="incident_plan_ack_once")
        ]


class WhistleReport(models.Model):
    """A staff report of a suspected leak (R-D8). Anonymous: no account, role or exact time
    is kept (`received_on` is the day only) — nothing links it back to the reporter."""

    id = models.BigAutoField(primary_key=True)
    anonymous = models.BooleanField()
    reporter_id = models.BigIntegerField(null=True, blank=True)  # empty when anonymous
    received_on = models.DateField()
    # what the reporter wrote may name colleagues and customers: sealed under the report's
    # own key (vault.seal_case), opened by the gate for the privacy officer and the auditor
    summary = SealedField()
    text = SealedField()
    state = models.CharField(max_length=12, choices=WhistleState.choices, default=WhistleState.NEW)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        db_table = "incident_whistle"
        ordering = ["-id"]


class Incident(models.Model):
    id = models.BigAutoField(primary_key=True)
    title = models.CharField(max_length=200)  # a label for lists: the form asks for no names
    summary = SealedField()  # free text: sealed under the case's key (vault.seal_case)
    kind = models.CharField(max_length=24, choices=Kind.choices)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.MANUAL)
    drill = models.BooleanField(default=False)  # a simulated incident: never notifies anyone
    alert = models.ForeignKey(
        Alert, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    whistle = models.ForeignKey(
        WhistleReport, on_delete=models.PROTECT, null=True, blank=True, related_name="incidents"
    )
    partner = models.CharField(max_length=120, blank=True)  # the reporting partner's name
    state = models.CharField(max_length=12, choices=State.choices, default=State.REPORTED)
    detected_at = models.DateTimeField(db_index=True)
    reported_at = models.DateTimeField()
    triaged_at = models.DateTimeField(null=True, blank=True)
    contained_at = models.DateTimeField(null=True, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    dismissed_at = models.DateTimeField(null=True, blank=True)
    plan = models.ForeignKey(
        PlanVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    owners = models.JSONField(default=dict)  # step code → {"department", "role"} (the plan's)
    notice_decision = models.CharField(
        max_length=12,
        choices=NoticeDecision.choices,
        default=NoticeDecision.UNDECIDED,
        blank=True,
    )
    notice_reason = models.TextField(blank=True)
    notice_decided_at = models.DateTimeField(null=True, blank=True)
    # what the customer notice says (incident-level texts; no customer values)
    notice_what = models.TextField(blank=True)
    notice_measures = models.TextField(blank=True)
    notice_advice = models.TextField(blank=True)
    notice_contact = models.CharField(max_length=200, blank=True)
    created_by_id = models.BigIntegerField(null=True, blank=True)
    created_by_role = models.CharField(max_length=32, blank=True)

    class Meta:
        db_table = "incident"
        ordering = ["-id"]
        indexes = [models.Index(fields=["state", "detected_at"], name="incident_queue")]
        constraints = [
            models.UniqueConstraint(
                fields=["alert"],
                condition=models.Q(alert__isnull=False),
                name="incident_one_per_alert",
            )
        ]

    def __str__(self) -> str:
        return f"incident {self.pk} ({self.state})"

    @property
    def reference(self) -> str:
        return f"INC-{self.reported_at:%Y}-{self.pk:04d}"

    @property
    def is_open(self) -> bool:
        return self.state not in (State.CLOSED, State.NOT_BREACH)


class IncidentTransition(models.Model):
    id = models.BigAutoField(primary_key=True)
    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="moves")
    from_state = models.CharField(max_length=12)
    to_state = models.CharField(max_length=12)
    at = models.DateTimeField()
    actor_id = models.BigIntegerField(null=True)
    actor_role = models.CharField(max_length=32, blank=True)
    note = SealedField()  # sealed under the incident's key

    class Meta:
        db_table = "incident_transition"
        ordering = ["id"]


class ReportingRule(models.Model):
    """A reporting duty as configuration: for incidents of at least `min_severity`, detected
    on or after `effective_from`, at an operator of `operator_class`, report to `recipient`
    within `minutes` of detection. A new regime is a new row, not code."""

    id = models.BigAutoField(primary_key=True)
    code = models.SlugField(max_length=64, unique=True)
    regime = models.CharField(max_length=64)  # e.g. cac_2025
    name_zh = models.CharField(max_length=200)
    name_en = models.CharField(max_length=200)
    recipient_zh = models.CharField(max_length=120)
    recipient_en = models.CharField(max_length=120)
    min_severity = models.CharField(max_length=10, choices=Severity.choices)
    operator_class = models.CharField(
        max_length=10, choices=OperatorClass.choices, default=OperatorClass.ANY
    )
    minutes = models.PositiveIntegerField()
    effective_from = models.DateField()
    basis = models.CharField(max_length=300, blank=True)  # legal citation
    active = models.BooleanField(default=True)

    class Meta:
        db_table = "incident_reporting_rule"
        ordering = ["regime", "minutes"]


class Obligation(models.Model):
    """One reporting duty of one incident (incident × rule × recipient). `due_at` is stored
    when the duty arises and follows the incident while pending; once filed (or decided not
    required, with a reason) it is frozen."""

    id = models.BigAutoField(primary_key=True)
    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="obligations")
    rule = models.ForeignKey(ReportingRule, on_delete=models.PROTECT, related_name="+")
    recipient_zh = models.CharField(max_length=120)
    recipient_en = models.CharField(max_length=120)
    due_at = models.DateTimeField()
    status = models.CharField(
        max_length=14, choices=ObligationStatus.choices, default=ObligationStatus.PENDING
    )
    filed_at = models.DateTimeField(null=True, blank=True)
    reference = models.CharField(max_length=120, blank=True)  # the filing's number
    reason = models.TextField(blank=True)  # why not required
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        db_table = "incident_obligation"
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "rule"], name="incident_rule_once")
        ]


class ContainmentAction(models.Model):
    """ "Close the hole": what was done, by whom (owner), when."""

    id = models.BigAutoField(primary_key=True)
    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="actions")
    action = models.CharField(max_length=300)
    owner = models.CharField(max_length=120)
    done_at = models.DateTimeField()
    created_at = models.DateTimeField()
    created_by_id = models.BigIntegerField(null=True)

    class Meta:
        db_table = "incident_containment"
        ordering = ["done_at", "id"]


class AuthorityContact(models.Model):
    """Cooperation with the authorities: who was contacted or asked, when, the reference."""

    id = models.BigAutoField(primary_key=True)
    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="contacts")
    kind = models.CharField(max_length=12, choices=AuthorityKind.choices)
    authority = models.CharField(max_length=120)
    contact = models.CharField(max_length=120, blank=True)  # the official's office / desk
    reference = models.CharField(max_length=120, blank=True)
    note = SealedField()  # sealed under the incident's key
    at = models.DateTimeField()
    created_by_id = models.BigIntegerField(null=True)

    class Meta:
        db_table = "incident_authority"
        ordering = ["at", "id"]


class Scope(models.Model):
    """Who was affected, as the audit log proves it: the events matching `params` among
    the first `tree_size` events of the log (root `root_hash`). `digest` is SHA-256 over the
    sorted affected set with its fields, so re-running the same query against the same tree
    size proves the set unchanged."""

    id = models.BigAutoField(primary_key=True)
    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="scopes")
    method = models.CharField(max_length=10, choices=ScopeMethod.choices)
    params = models.JSONField(default=dict)  # ids, codes and times only
    tree_size = models.BigIntegerField()
    root_hash = models.CharField(max_length=64)
    digest = models.CharField(max_length=64)
    affected = models.PositiveIntegerField()
    events = models.PositiveIntegerField()
    field_counts = models.JSONField(default=dict)  # field code → customers exposed
    computed_at = models.DateTimeField()
    seconds = models.FloatField(default=0)
    created_by_id = models.BigIntegerField(null=True)
    reproved_at = models.DateTimeField(null=True, blank=True)
    reproved_ok = models.BooleanField(null=True)

    class Meta:
        db_table = "incident_scope"
        ordering = ["-id"]


class ScopeMember(models.Model):
    id = models.BigAutoField(primary_key=True)
    scope = models.ForeignKey(Scope, on_delete=models.CASCADE, related_name="members")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    fields = models.JSONField(default=dict)  # field code → worst treatment (plain > masked)
    events = models.PositiveIntegerField(default=0)
    first_seq = models.BigIntegerField(null=True)
    last_seq = models.BigIntegerField(null=True)

    class Meta:
        db_table = "incident_scope_member"
        constraints = [
            models.UniqueConstraint(fields=["scope", "customer"], name="incident_scope_once")
        ]


class Notice(models.Model):
    """The notice to one affected customer. Its text names the customer and their data, so
    it is sealed under the customer's data key (erasing the customer shreds it)."""

    id = models.BigAutoField(primary_key=True)
    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="notices")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    lang = models.CharField(max_length=8)
    channel = models.CharField(max_length=8, choices=Channel.choices, blank=True)
    destination_masked = models.CharField(max_length=80, blank=True)
    body = SealedField()
    status = models.CharField(
        max_length=12, choices=NoticeStatus.choices, default=NoticeStatus.PREPARED
    )
    prepared_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "incident_notice"
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "customer"], name="incident_notice_once")
        ]


class NoticeDelivery(models.Model):
    """Each hand-over of a notice to a sender (or, for a drill, the decision not to)."""

    id = models.BigAutoField(primary_key=True)
    notice = models.ForeignKey(Notice, on_delete=models.PROTECT, related_name="deliveries")
    at = models.DateTimeField()
    sender = models.CharField(max_length=64)
    channel = models.CharField(max_length=8, blank=True)
    status = models.CharField(max_length=12, choices=NoticeStatus.choices)
    error = models.CharField(max_length=120, blank=True)  # a code, never a value

    class Meta:
        db_table = "incident_notice_delivery"
        ordering = ["id"]


class Drill(models.Model):
    """A breach-response drill (R-H1): never notifies real customers."""

    id = models.BigAutoField(primary_key=True)
    held_on = models.DateField()
    kind = models.CharField(max_length=12, choices=DrillKind.choices)
    scenario = models.TextField()
    participants = models.JSONField(default=list)  # departments / staff usernames
    initial_handling_minutes = models.PositiveIntegerField(null=True, blank=True)
    notice_minutes = models.PositiveIntegerField(null=True, blank=True)
    lessons = models.TextField(blank=True)
    actions = models.TextField(blank=True)
    incident = models.ForeignKey(
        Incident, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()
    created_by_id = models.BigIntegerField(null=True)

    class Meta:
        db_table = "incident_drill"
        ordering = ["-held_on", "-id"]


class Assessment(models.Model):
    """A scan, penetration test, yearly data-security assessment or storage check (R-C6)."""

    id = models.BigAutoField(primary_key=True)
    kind = models.CharField(max_length=10, choices=AssessmentKind.choices)
    title = models.CharField(max_length=200)
    performed_on = models.DateField()
    next_due_on = models.DateField(null=True, blank=True)
    performer = models.CharField(max_length=120, blank=True)
    summary = models.TextField(blank=True)
    created_at = models.DateTimeField()
    created_by_id = models.BigIntegerField(null=True)

    class Meta:
        db_table = "incident_assessment"
        ordering = ["-performed_on", "-id"]


class StorageCheck(models.Model):
    """One named storage-security check in an assessment; `automatic` ones baomi ran itself."""

    id = models.BigAutoField(primary_key=True)
    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="checks")
    code = models.CharField(max_length=40)
    passed = models.BooleanField()
    automatic = models.BooleanField(default=False)
    detail = models.CharField(max_length=300, blank=True)

    class Meta:
        db_table = "incident_storage_check"
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "code"], name="incident_check_once")
        ]


class Finding(models.Model):
    id = models.BigAutoField(primary_key=True)
    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="findings")
    title = models.CharField(max_length=200)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    owner = models.CharField(max_length=120)
    due_on = models.DateField()
    state = models.CharField(max_length=10, choices=FindingState.choices, default=FindingState.OPEN)
    fixed_at = models.DateTimeField(null=True, blank=True)
    retested_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        db_table = "incident_finding"
        ordering = ["due_on", "id"]
