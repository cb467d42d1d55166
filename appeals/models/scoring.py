from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from appeals.choices import Kind
from appeals.models.appeal import OPEN_STATUSES, Status

# Each weight is capped so that the value part of a score can never reach the at-risk
# band (see appeals/scoring.py): five weights of at most MAX_WEIGHT sum to far less
# than scoring.AT_RISK_BASE minus any deadline's hour count.
MAX_WEIGHT = 1000


def _weight(verbose_name: str, default: float, help_text: str):
    return models.FloatField(
        verbose_name,
        default=default,
        validators=[MinValueValidator(0), MaxValueValidator(MAX_WEIGHT)],
        help_text=help_text,
    )


class ScoringWeights(models.Model):
    """The supervisor-editable weights of the urgency score. One row (pk 1) is used."""

    safety_margin_hours = models.FloatField(
        "safety margin (hours), standard",
        default=24,
        validators=[MinValueValidator(0)],
        help_text="A standard case with less slack than this is ordered by deadline, "
        "ahead of every other case.",
    )
    expedited_safety_margin_hours = models.FloatField(
        "safety margin (hours), expedited",
        default=8,
        validators=[MinValueValidator(0)],
        help_text="The same margin for expedited cases (72-hour clocks).",
    )
    weight_expedited = _weight("expedited", 30, "Points for an expedited case.")
    weight_clinical_urgency = _weight(
        "clinical urgency", 25, "Points for the most urgent service category."
    )
    weight_vulnerability = _weight(
        "member vulnerability", 15, "Points for a member with two or more flags."
    )
    weight_overturn = _weight(
        "chance of overturn", 20, "Points for a denial certain to be overturned."
    )
    weight_financial = _weight(
        "financial exposure", 10, "Points for an amount at or above the cap."
    )
    financial_cap = models.DecimalField(
        "financial exposure cap",
        max_digits=12,
        decimal_places=2,
        default=50000,
        validators=[MinValueValidator(1)],
        help_text="Denied amount that earns the full financial points (log scale).",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "scoring weights"
        verbose_name_plural = "scoring weights"

    def __str__(self):
        return "Scoring weights"


class ExpectedWork(models.Model):
    """Hours of work still ahead of a case, by kind and state (slack subtracts it)."""

    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(
        max_length=20, choices=[(s, Status(s).label) for s in OPEN_STATUSES]
    )
    hours = models.FloatField(validators=[MinValueValidator(0)])

    class Meta:
        ordering = ["kind", "status"]
        verbose_name_plural = "expected work"
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "status"], name="expected_work_once"
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()}, {self.get_status_display()}: {self.hours}h"


class ClinicalUrgency(models.Model):
    """How urgent a service category is, and which service codes belong to it."""

    category = models.SlugField(max_length=40, unique=True)
    label = models.CharField(max_length=100)
    urgency = models.FloatField(
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text="0 (elective) to 1 (most urgent).",
    )
    code_prefixes = models.JSONField(
        default=list,
        blank=True,
        help_text='CPT/HCPCS code prefixes, e.g. ["J9", "964"]; the longest '
        "matching prefix decides a code's category.",
    )

    class Meta:
        ordering = ["-urgency", "label"]
        verbose_name_plural = "clinical urgency"

    def __str__(self):
        return f"{self.label} ({self.urgency:.2f})"

    def clean(self):
        if not isinstance(self.code_prefixes, list) or not all(
            isinstance(prefix, str) and prefix.strip() for prefix in self.code_prefixes
        ):
            raise ValidationError(
                {"code_prefixes": 'Give a list of code prefixes, e.g. ["J9"].'}
            )


class OverturnModel(models.Model):
    """One trained version of the overturn predictor; the newest active one is used."""

    class Method(models.TextChoices):
        LOGISTIC = "logistic", "Logistic regression on the plan's closed appeals"
        CATEGORY_RATE = "category_rate", "Overturn rate of the denial category"

    trained_at = models.DateTimeField()
    method = models.CharField(max_length=20, choices=Method.choices)
    trained_on = models.PositiveIntegerField(help_text="Closed appeals used.")
    category_rates = models.JSONField(
        default=dict, help_text="Overturn rate by denial category (the fallback)."
    )
    metrics = models.JSONField(default=dict, blank=True)
    estimator = models.BinaryField(
        null=True, blank=True, editable=False, help_text="The fitted pipeline."
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["-trained_at", "-id"]
        get_latest_by = "trained_at"

    def __str__(self):
        return f"Overturn model v{self.pk} ({self.get_method_display()})"
