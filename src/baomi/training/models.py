"""Courses, rules, assignments, exams, certificates, attendance, agreements and duties
(issue #14). Everything here is about staff: no customer's personal value is ever stored
(exam questions generated from the catalogue name field classes, not values)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from .enums import AssignmentState, CertificateSource, CourseKind, LifecycleStep, RuleEvent

STAFF = settings.AUTH_USER_MODEL


class Course(models.Model):
    """A course with versioned content (zh-Hans and en). Revising the content raises
    `version`; each version's text is kept in `CourseRevision`."""

    code = models.SlugField(max_length=64, unique=True)
    kind = models.CharField(max_length=20, choices=CourseKind.choices)
    version = models.PositiveIntegerField(default=1)
    title_zh = models.CharField(max_length=200)
    title_en = models.CharField(max_length=200)
    body_zh = models.TextField(blank=True)
    body_en = models.TextField(blank=True)
    links = models.JSONField(default=list)  # slides as files / links: [{"title", "url"}]
    pass_mark = models.PositiveSmallIntegerField(default=80)  # percent
    questions_per_exam = models.PositiveSmallIntegerField(default=10)  # from the bank
    classification_questions = models.PositiveSmallIntegerField(default=0)  # from the catalogue
    max_attempts = models.PositiveSmallIntegerField(default=3)
    certificate_months = models.PositiveSmallIntegerField(default=12)
    required = models.BooleanField(default=True)  # standing rules make it a gate condition
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    created_by = models.ForeignKey(STAFF, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        db_table = "training_course"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.title_zh} / {self.title_en}"

    @property
    def has_exam(self) -> bool:
        return bool(self.questions_per_exam and self.questions.exists()) or bool(
            self.classification_questions
        )


class CourseRevision(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="revisions")
    version = models.PositiveIntegerField()
    title_zh = models.CharField(max_length=200)
    title_en = models.CharField(max_length=200)
    body_zh = models.TextField(blank=True)
    body_en = models.TextField(blank=True)
    links = models.JSONField(default=list)
    saved_at = models.DateTimeField()
    saved_by = models.ForeignKey(STAFF, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        db_table = "training_course_revision"
        constraints = [
            models.UniqueConstraint(fields=["course", "version"], name="training_revision_once")
        ]


class Question(models.Model):
    """A bank question: single or multiple choice; options [{"zh", "en"}], `correct` the
    indexes of the right options (one for single choice)."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="questions")
    kind = models.CharField(max_length=16)
    text_zh = models.CharField(max_length=500)
    text_en = models.CharField(max_length=500)
    options = models.JSONField(default=list)
    correct = models.JSONField(default=list)
    active = models.BooleanField(default=True)

    class Meta:
        db_table = "training_question"


class Employment(models.Model):
    """What training needs to know about a member of staff: department, site, hire day
    (defaults to the account's creation day when not recorded)."""

    staff = models.OneToOneField(STAFF, on_delete=models.CASCADE, related_name="employment")
    department = models.CharField(max_length=64, blank=True)
    site = models.CharField(max_length=64, blank=True)
    hired_on = models.DateField()
    updated_at = models.DateTimeField()

    class Meta:
        db_table = "training_employment"


class AssignmentRule(models.Model):
    """Who gets a course when: role and department (blank = any), an event, days to
    complete."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="rules")
    role = models.CharField(max_length=32, blank=True)
    department = models.CharField(max_length=64, blank=True)
    event = models.CharField(max_length=20, choices=RuleEvent.choices)
    due_days = models.PositiveSmallIntegerField(default=30)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(STAFF, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        db_table = "training_rule"
        indexes = [models.Index(fields=["event", "active"], name="training_rule_event")]


class Assignment(models.Model):
    """One course assigned to one member of staff, for one occasion (`occasion`: `hire`,
    `2026`, `2026Q4`, `retrain:<ref>`, `plan:<version>`, `manual:<date>`)."""

    staff = models.ForeignKey(STAFF, on_delete=models.CASCADE, related_name="training_assignments")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="assignments")
    rule = models.ForeignKey(
        AssignmentRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    occasion = models.CharField(max_length=80)
    reason = models.CharField(max_length=200, blank=True)
    state = models.CharField(
        max_length=10, choices=AssignmentState.choices, default=AssignmentState.OPEN
    )
    assigned_at = models.DateTimeField()
    due_on = models.DateField()
    completed_at = models.DateTimeField(null=True, blank=True)
    assigned_by = models.ForeignKey(STAFF, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        db_table = "training_assignment"
        constraints = [
            models.UniqueConstraint(
                fields=["staff", "course", "occasion"], name="training_assignment_once"
            )
        ]
        indexes = [models.Index(fields=["state", "due_on"], name="training_assignment_due")]


class Attempt(models.Model):
    """One exam attempt: the drawn questions (shown), the answer key (never shown), the
    answers given and the result."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveSmallIntegerField()
    course_version = models.PositiveIntegerField()
    questions = models.JSONField(default=list)
    answer_key = models.JSONField(default=dict)  # question key → correct option indexes
    answers = models.JSONField(default=dict)
    score = models.FloatField(null=True, blank=True)
    passed = models.BooleanField(null=True, blank=True)
    started_at = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "training_attempt"
        constraints = [
            models.UniqueConstraint(fields=["assignment", "number"], name="training_attempt_once")
        ]


class Certificate(models.Model):
    staff = models.ForeignKey(STAFF, on_delete=models.CASCADE, related_name="training_certificates")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="certificates")
    course_version = models.PositiveIntegerField()
    source = models.CharField(max_length=12, choices=CertificateSource.choices)
    attempt = models.ForeignKey(Attempt, null=True, blank=True, on_delete=models.SET_NULL)
    issued_on = models.DateField()
    expires_on = models.DateField()

    class Meta:
        db_table = "training_certificate"
        indexes = [models.Index(fields=["staff", "expires_on"], name="training_cert_staff")]


class Attendance(models.Model):
    """A signature on an in-person session's sign-in sheet, imported by HR."""

    staff = models.ForeignKey(STAFF, on_delete=models.CASCADE, related_name="+")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="attendance")
    held_on = models.DateField()
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(STAFF, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        db_table = "training_attendance"
        constraints = [
            models.UniqueConstraint(
                fields=["staff", "course", "held_on"], name="training_attendance_once"
            )
        ]


class Agreement(models.Model):
    """A confidentiality agreement (保密协议) signed by a member of staff."""

    staff = models.ForeignKey(STAFF, on_delete=models.CASCADE, related_name="agreements")
    version = models.CharField(max_length=32)
    signed_on = models.DateField()
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(STAFF, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        db_table = "training_agreement"
        constraints = [
            models.UniqueConstraint(fields=["staff", "version"], name="training_agreement_once")
        ]


class Duty(models.Model):
    """The responsibility matrix (R-D7): a lifecycle step at a site or department has a
    named owner and a deputy."""

    step = models.CharField(max_length=20, choices=LifecycleStep.choices)
    unit = models.CharField(max_length=64)  # a site or department code
    owner = models.ForeignKey(STAFF, on_delete=models.PROTECT, related_name="+")
    deputy = models.ForeignKey(
        STAFF, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(STAFF, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        db_table = "training_duty"
        constraints = [models.UniqueConstraint(fields=["step", "unit"], name="training_duty_once")]
