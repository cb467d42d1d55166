import re
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Value
from django.utils import timezone
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from appeals.choices import (
    Channel,
    DenialCategory,
    ExpediteDecision,
    ExpediteRequester,
    ExtensionReason,
    Kind,
    LineOfBusiness,
    Outcome,
    Priority,
    RequesterType,
)


class Status(models.TextChoices):
    RECEIVED = "received", "Received"
    IN_REVIEW = "in_review", "In review"
    PENDING_INFO = "pending_info", "Pending information"
    CLINICAL_REVIEW = "clinical_review", "Clinical review"
    DECIDED = "decided", "Decided"
    NOTIFIED = "notified", "Notified"
    FORWARDED = "forwarded", "Forwarded to independent review"
    CLOSED = "closed", "Closed"
    DISMISSED = "dismissed", "Dismissed"
    WITHDRAWN = "withdrawn", "Withdrawn"


# Before a decision: the decision clock runs and a withdrawal is still possible.
AWAITING_DECISION = (
    Status.RECEIVED,
    Status.IN_REVIEW,
    Status.PENDING_INFO,
    Status.CLINICAL_REVIEW,
)
# Open: someone still owes the member something (a decision, a notice, a forwarding).
OPEN_STATUSES = (*AWAITING_DECISION, Status.DECIDED, Status.NOTIFIED, Status.FORWARDED)
FINAL_STATUSES = (Status.CLOSED, Status.DISMISSED, Status.WITHDRAWN)
# Where a reviewer still has work; after a notice or a forwarding only bookkeeping is
# left.
WORKING_STATUSES = (*AWAITING_DECISION, Status.DECIDED)
ADVERSE_OUTCOMES = (Outcome.UPHELD, Outcome.PARTIALLY_OVERTURNED)
FAVOURABLE_OUTCOMES = (Outcome.OVERTURNED, Outcome.PARTIALLY_OVERTURNED)
# Lines whose missed decision deadline sends the case to the independent review entity
# (42 CFR 422.590(g); Part D by analogy with 423.568(h)).
FORWARD_WHEN_MISSED = (
    LineOfBusiness.MEDICARE_ADVANTAGE,
    LineOfBusiness.MEDICARE_PART_D,
)

CASE_NUMBER_PREFIX = "AP-"
CASE_NUMBER_PATTERN = re.compile(r"^AP-(\d{7,})$", re.IGNORECASE)


class Member(models.Model):
    member_id = models.CharField(
        "member id", max_length=40, unique=True, help_text="Plan member id or MBI."
    )
    first_name = models.CharField(max_length=50)
    last_name = models.CharField(max_length=50)
    birth_date = models.DateField()
    state = models.CharField(max_length=2, help_text="Two-letter US state code.")
    # The database default makes the intake's upsert return the stored flags along
    # with the id, which scoring the new appeal needs, without a second read.
    vulnerability_flags = models.JSONField(
        default=list,
        db_default=Value([], output_field=models.JSONField()),
        blank=True,
        help_text="E.g. dual_eligible, ltss, hospice, pregnant: raise urgency.",
    )

    class Meta:
        ordering = ["last_name", "first_name"]

    def __str__(self):
        return f"{self.first_name} {self.last_name}"


class Provider(models.Model):
    npi = models.CharField("NPI", max_length=10, unique=True)
    name = models.CharField(max_length=200)
    specialty = models.CharField(max_length=100, blank=True)
    contracted = models.BooleanField(
        default=True, help_text="In network (CP) or not (NCP) for audit universes."
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.npi})"


class AppealQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status__in=OPEN_STATUSES)

    def awaiting_decision(self):
        return self.filter(status__in=AWAITING_DECISION)

    def by_case_number(self, case_number: str):
        match = CASE_NUMBER_PATTERN.match(case_number.strip())
        if match is None:
            return self.none()
        return self.filter(pk=int(match.group(1)))


def _deadline_field(verbose_name: str, help_text: str):
    return models.DateTimeField(
        verbose_name, null=True, blank=True, help_text=help_text
    )


class Appeal(ConcurrentTransitionMixin, models.Model):
    """An appeal of a denied claim or authorization, with its clocks and its status.

    Allowed moves of `status` (django-fsm enforces them; services wrap each one with its
    timeline event and clock changes, see appeals/services/). "Before a decision" is
    received, in_review, pending_info and clinical_review.

    | transition         | from              | to              | refused when          |
    | ------------------ | ----------------- | --------------- | --------------------- |
    | accept             | received          | in_review       |                       |
    | dismiss            | received          | dismissed       |                       |
    | request_info       | in_review         | pending_info    |                       |
    | info_received      | pending_info      | in_review       |                       |
    | refer_to_physician | in_review         | clinical_review |                       |
    | return_to_review   | clinical_review   | in_review       |                       |
    | decide             | in_review         | decided         | protocol incomplete;  |
    |                    |                   |                 | decider not qualified |
    | send_notice        | decided           | notified        | must be forwarded     |
    | forward            | decided           | forwarded       | nothing to forward    |
    | forward            | before a decision | forwarded       | deadline not missed,  |
    |                    |                   |                 | or a line not sent on |
    | close              | notified,         | closed          | an obligation is open |
    |                    | forwarded         |                 |                       |
    | withdraw           | before a decision | withdrawn       |                       |
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    external_id = models.CharField(
        max_length=100, blank=True, help_text="The submitting system's own id."
    )
    integration = models.ForeignKey(
        "appeals.Integration",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appeals",
        help_text="The system that posted the appeal over the API.",
    )

    line_of_business = models.CharField(max_length=20, choices=LineOfBusiness.choices)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    priority = models.CharField(
        max_length=10,
        choices=Priority.choices,
        default=Priority.STANDARD,
        help_text="The priority in force, which decides the decision clock.",
    )
    expedite_requested_by = models.CharField(
        max_length=10, choices=ExpediteRequester.choices, blank=True
    )
    expedite_decision = models.CharField(
        max_length=20,
        choices=ExpediteDecision.choices,
        default=ExpediteDecision.NOT_REQUESTED,
    )
    expedited_at = models.DateTimeField(
        null=True, blank=True, help_text="When a standard case was upgraded."
    )

    requester_type = models.CharField(max_length=20, choices=RequesterType.choices)
    requester_name = models.CharField(max_length=200, blank=True)
    requester_npi = models.CharField("requester NPI", max_length=10, blank=True)
    representative_authorized_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the representative's authorization (e.g. CMS-1696) arrived.",
    )
    channel = models.CharField(max_length=20, choices=Channel.choices)

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="appeals")
    provider = models.ForeignKey(
        Provider,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appeals",
    )

    denial_notice_date = models.DateField(null=True, blank=True)
    denial_reason_codes = models.JSONField(
        default=list, blank=True, help_text="CARC codes with group, e.g. CO-50."
    )
    denial_category = models.CharField(
        max_length=30, choices=DenialCategory.choices, default=DenialCategory.OTHER
    )
    denial_claim_number = models.CharField(max_length=50, blank=True)
    denial_authorization_number = models.CharField(max_length=50, blank=True)
    denial_service_codes = models.JSONField(
        default=list, blank=True, help_text="CPT/HCPCS codes."
    )
    denial_diagnosis_codes = models.JSONField(
        default=list, blank=True, help_text="ICD-10-CM codes."
    )
    denial_amount = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True
    )
    denial_decided_by = models.CharField(
        max_length=150,
        blank=True,
        help_text="Who made the original denial (user name or NPI).",
    )
    summary = models.TextField(blank=True)

    received_at = models.DateTimeField(
        help_text="When the plan, or a delegate, first had the appeal."
    )
    status = FSMField(
        max_length=20, choices=Status.choices, default=Status.RECEIVED, protected=True
    )
    flags = models.JSONField(default=list, blank=True)

    clock_rule_id = models.CharField(max_length=30, blank=True)
    acknowledge_by = _deadline_field("acknowledge by", "Acknowledgement due.")
    decide_by = _deadline_field(
        "decide by", "Decision and notice due (the extended one, if extended)."
    )
    extended_decide_by = _deadline_field(
        "extended decide by", "Decision due if an extension is taken."
    )
    filing_deadline = _deadline_field(
        "filing deadline", "End of the member's filing window."
    )
    effectuate_by = _deadline_field("effectuate by", "Overturn to be effectuated by.")
    pay_by = _deadline_field("pay by", "Payment due after a payment overturn.")
    forward_by = _deadline_field("forward by", "Forwarding to independent review due.")
    extension_notice_by = _deadline_field(
        "extension notice by", "Written notice of an extension due."
    )
    expedite_refusal_notice_by = _deadline_field(
        "expedite refusal notice by", "Written notice of a refused expedite due."
    )
    written_confirmation_by = _deadline_field(
        "written confirmation by", "Written confirmation of an oral notice due."
    )

    extended_at = models.DateTimeField(null=True, blank=True)
    extension_reason = models.CharField(
        max_length=30, choices=ExtensionReason.choices, blank=True
    )

    acknowledged_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    outcome = models.CharField(max_length=30, choices=Outcome.choices, blank=True)
    decision_rationale = models.TextField(blank=True)
    decision_criteria = models.CharField(
        max_length=300, blank=True, help_text="Clinical criteria cited."
    )
    oral_notice_at = models.DateTimeField(null=True, blank=True)
    notified_at = models.DateTimeField(
        null=True, blank=True, help_text="Written decision notice sent."
    )
    effectuated_at = models.DateTimeField(null=True, blank=True)
    forwarded_at = models.DateTimeField(null=True, blank=True)
    forward_notice_at = models.DateTimeField(
        null=True, blank=True, help_text="Member told of the forwarding."
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_appeals",
    )
    assigned_at = models.DateTimeField(null=True, blank=True)

    score = models.FloatField(null=True, blank=True)
    score_components = models.JSONField(default=dict, blank=True)
    scored_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AppealQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-id"]
        # The queue's own index (score DESC NULLS LAST, decide_by, id) is made by
        # migration 0005 on PostgreSQL only, since SQLite cannot declare it.
        indexes = [
            models.Index(
                fields=["decide_by"],
                name="appeal_open_decide_by",
                condition=models.Q(status__in=OPEN_STATUSES),
            ),
            models.Index(fields=["assignee", "status"], name="appeal_assignee_status"),
            models.Index(fields=["updated_at"], name="appeal_updated_at"),
            models.Index(fields=["status"], name="appeal_status"),
        ]
        constraints = [
            # A retry of the same submission never makes a second appeal.
            models.UniqueConstraint(
                fields=["integration", "external_id"],
                condition=~models.Q(external_id=""),
                name="appeal_integration_external_id",
            )
        ]

    def __str__(self):
        return self.case_number

    @property
    def case_number(self) -> str:
        if self.pk is None:
            return "AP-(new)"
        return f"{CASE_NUMBER_PREFIX}{self.pk:07d}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_medical_necessity(self) -> bool:
        return self.denial_category == DenialCategory.MEDICAL_NECESSITY

    @property
    def requires_forwarding(self) -> bool:
        # An adverse Medicare Advantage decision goes to the independent review entity
        # (42 CFR 422.590(a)(2), (b)(2), (e)(5)); upheld Part D cases are not forwarded.
        return (
            self.line_of_business == LineOfBusiness.MEDICARE_ADVANTAGE
            and self.outcome in ADVERSE_OUTCOMES
        )

    def open_obligations(self) -> list[str]:
        """What still stands between this case and closing, in plain words."""
        obligations = []
        if self.outcome in FAVOURABLE_OUTCOMES and self.effectuated_at is None:
            obligations.append("The overturn has not been effectuated yet.")
        if self.requires_forwarding and self.forwarded_at is None:
            obligations.append(
                "The adverse Medicare Advantage decision has not been forwarded "
                "to the independent review entity."
            )
        if self.forwarded_at is not None and self.forward_notice_at is None:
            obligations.append("The member has not been told of the forwarding.")
        return obligations

    def decision_deadline_missed(self) -> bool:
        return self.decide_by is not None and timezone.now() > self.decide_by

    def _may_forward_missed(self) -> bool:
        return (
            self.line_of_business in FORWARD_WHEN_MISSED
            and self.decision_deadline_missed()
        )

    def _may_forward_decided(self) -> bool:
        return self.requires_forwarding

    def _may_send_notice(self) -> bool:
        return not self.requires_forwarding

    def _has_no_open_obligation(self) -> bool:
        return not self.open_obligations()

    @transition(field=status, source=Status.RECEIVED, target=Status.IN_REVIEW)
    def accept(self):
        pass

    @transition(field=status, source=Status.RECEIVED, target=Status.DISMISSED)
    def dismiss(self):
        pass

    @transition(field=status, source=Status.IN_REVIEW, target=Status.PENDING_INFO)
    def request_info(self):
        pass

    @transition(field=status, source=Status.PENDING_INFO, target=Status.IN_REVIEW)
    def info_received(self):
        pass

    @transition(field=status, source=Status.IN_REVIEW, target=Status.CLINICAL_REVIEW)
    def refer_to_physician(self):
        pass

    @transition(field=status, source=Status.CLINICAL_REVIEW, target=Status.IN_REVIEW)
    def return_to_review(self):
        pass

    @transition(field=status, source=Status.IN_REVIEW, target=Status.DECIDED)
    def decide(self):
        pass

    @transition(
        field=status,
        source=Status.DECIDED,
        target=Status.NOTIFIED,
        conditions=[_may_send_notice],
    )
    def send_notice(self):
        pass

    # A missed decision deadline counts as an adverse decision (422.590(g)), so forward
    # also leaves the states before a decision.
    @transition(
        field=status,
        source=list(AWAITING_DECISION),
        target=Status.FORWARDED,
        conditions=[_may_forward_missed],
    )
    @transition(
        field=status,
        source=Status.DECIDED,
        target=Status.FORWARDED,
        conditions=[_may_forward_decided],
    )
    def forward(self):
        pass

    @transition(
        field=status,
        source=[Status.NOTIFIED, Status.FORWARDED],
        target=Status.CLOSED,
        conditions=[_has_no_open_obligation],
    )
    def close(self):
        pass

    @transition(field=status, source=list(AWAITING_DECISION), target=Status.WITHDRAWN)
    def withdraw(self):
        pass
