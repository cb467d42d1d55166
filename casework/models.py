"""The people's work on appeals: who may review what, the review protocol each case
follows, the notices sent, the requests for information, and who looked at a case."""

from django.conf import settings
from django.db import models

from appeals.choices import LineOfBusiness


class Discipline(models.TextChoices):
    ADMINISTRATIVE = "administrative", "Administrative"
    CLINICAL = "clinical", "Clinical"


class ReviewerProfile(models.Model):
    """What a reviewer is qualified for; routing reads it to build the queue."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="reviewer_profile",
    )
    discipline = models.CharField(
        max_length=20,
        choices=Discipline.choices,
        default=Discipline.ADMINISTRATIVE,
        help_text="Clinical reviewers (nurses, physicians) take clinical denials.",
    )
    lines_of_business = models.JSONField(
        default=list,
        blank=True,
        help_text="Lines of business this reviewer works, e.g. "
        f'["{LineOfBusiness.MEDICARE_ADVANTAGE}", "{LineOfBusiness.MEDICAID}"].',
    )
    specialties = models.JSONField(
        default=list,
        blank=True,
        help_text='Clinical specialties, e.g. ["cardiology"] (physicians).',
    )
    licensed_states = models.JSONField(
        default=list,
        blank=True,
        help_text='Two-letter states where the reviewer is licensed, e.g. ["FL"].',
    )
    npi = models.CharField("NPI", max_length=10, blank=True)
    reports_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="direct_reports",
        help_text="The reviewer's manager: a manager's denials go to someone else.",
    )
    max_open_cases = models.PositiveIntegerField(
        "cap on open cases",
        default=25,
        help_text="Get next case refuses once this many open cases are assigned.",
    )

    class Meta:
        ordering = ["user__username"]

    def __str__(self):
        return f"Reviewer profile of {self.user.get_username()}"


class ProtocolRole(models.TextChoices):
    ANY = "", "Any reviewer"
    CLINICAL = "clinical", "Clinical reviewer or physician"
    PHYSICIAN = "physician", "Physician"


class ProtocolTemplate(models.Model):
    """A standardized review protocol for a set of case types.

    Editing a template makes a new version; a case keeps the steps of the version it
    started with (CaseProtocol holds them), so an audit sees what the reviewer saw."""

    key = models.SlugField(
        max_length=60, unique=True, help_text="Stable name, e.g. ma-clinical."
    )
    name = models.CharField(max_length=200)
    version = models.PositiveIntegerField(default=1, editable=False)
    lines_of_business = models.JSONField(
        default=list, help_text="Lines of business it applies to."
    )
    kinds = models.JSONField(
        default=list, blank=True, help_text="Kinds it applies to; empty for all."
    )
    denial_categories = models.JSONField(
        default=list,
        blank=True,
        help_text="Denial categories it applies to; empty for all.",
    )
    active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["key"]

    def __str__(self):
        return f"{self.name} (v{self.version})"

    def specificity(self) -> int:
        return bool(self.kinds) + 2 * bool(self.denial_categories)

    def applies_to(self, *, line_of_business, kind, denial_category) -> bool:
        return (
            line_of_business in self.lines_of_business
            and (not self.kinds or kind in self.kinds)
            and (
                not self.denial_categories or denial_category in self.denial_categories
            )
        )


class ProtocolStep(models.Model):
    template = models.ForeignKey(
        ProtocolTemplate, on_delete=models.CASCADE, related_name="steps"
    )
    order = models.PositiveIntegerField(default=0)
    key = models.SlugField(max_length=60)
    title = models.CharField(max_length=200)
    guidance = models.TextField(blank=True, help_text="What the reviewer checks.")
    required = models.BooleanField(default=True)
    role = models.CharField(
        max_length=20, choices=ProtocolRole.choices, blank=True, default=""
    )

    class Meta:
        ordering = ["template", "order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["template", "key"], name="protocol_step_unique_key"
            )
        ]

    def __str__(self):
        return self.title

    def snapshot(self) -> dict:
        return {
            "key": self.key,
            "title": self.title,
            "guidance": self.guidance,
            "required": self.required,
            "role": self.role,
        }


class CaseProtocol(models.Model):
    """The protocol one case follows, frozen at the version it started with."""

    appeal = models.OneToOneField(
        "appeals.Appeal", on_delete=models.PROTECT, related_name="protocol"
    )
    template = models.ForeignKey(
        ProtocolTemplate, on_delete=models.PROTECT, related_name="case_protocols"
    )
    template_version = models.PositiveIntegerField()
    steps = models.JSONField(help_text="The template's steps when the case started.")
    started_at = models.DateTimeField()

    def __str__(self):
        return f"{self.template.name} v{self.template_version} for {self.appeal}"


class StepCompletion(models.Model):
    class Result(models.TextChoices):
        DONE = "done", "Done"
        MET = "met", "Criteria met"
        NOT_MET = "not_met", "Criteria not met"
        NOT_APPLICABLE = "not_applicable", "Not applicable"

    case_protocol = models.ForeignKey(
        CaseProtocol, on_delete=models.PROTECT, related_name="completions"
    )
    step_key = models.SlugField(max_length=60)
    result = models.CharField(max_length=20, choices=Result.choices)
    finding = models.TextField(help_text="What the reviewer found.")
    completed_at = models.DateTimeField()
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["completed_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case_protocol", "step_key"], name="step_completed_once"
            )
        ]

    def __str__(self):
        return f"{self.step_key} by {self.completed_by}"


class AccessLog(models.Model):
    """Who looked at a case's protected health information, and when (HIPAA audit
    controls, 45 CFR 164.312(b))."""

    appeal = models.ForeignKey(
        "appeals.Appeal", on_delete=models.PROTECT, related_name="access_log"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    username = models.CharField(max_length=150)
    at = models.DateTimeField()
    what = models.CharField(max_length=100, help_text="E.g. case page, notice.")

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["appeal", "at"])]

    def __str__(self):
        return f"{self.username} viewed {self.what} at {self.at:%Y-%m-%d %H:%M:%S}"


class NoticeKind(models.TextChoices):
    DECISION = "decision", "Decision notice"
    ACKNOWLEDGEMENT = "acknowledgement", "Acknowledgement letter"
    EXTENSION = "extension", "Extension notice"
    INFORMATION_REQUEST = "information_request", "Request for information"
    EXPEDITE_REFUSAL = "expedite_refusal", "Expedite refusal notice"


class Notice(models.Model):
    """A letter rendered from its template with the case's data, stored as sent."""

    appeal = models.ForeignKey(
        "appeals.Appeal", on_delete=models.PROTECT, related_name="notices"
    )
    kind = models.CharField(max_length=30, choices=NoticeKind.choices)
    body_html = models.TextField()
    rendered_at = models.DateTimeField()
    rendered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )

    class Meta:
        ordering = ["rendered_at", "id"]

    def __str__(self):
        return f"{self.get_kind_display()} for {self.appeal}"


class InformationRequest(models.Model):
    appeal = models.ForeignKey(
        "appeals.Appeal", on_delete=models.PROTECT, related_name="information_requests"
    )
    what = models.TextField(help_text="The records or facts asked for.")
    reply_by = models.DateTimeField(null=True, blank=True)
    requested_at = models.DateTimeField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    received_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["requested_at", "id"]

    def __str__(self):
        return f"Information request for {self.appeal}"
