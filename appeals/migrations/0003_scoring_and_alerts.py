import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# Defaults a supervisor can then change in the admin. Hours of work still ahead of a
# case by state, scaled by kind: a payment appeal needs the claim history read, a Part B
# drug appeal is narrow.
_WORK_HOURS_BY_STATUS = {
    "received": 6,
    "in_review": 4,
    "pending_info": 4,
    "clinical_review": 3,
    "decided": 1,
    "notified": 0.5,
    "forwarded": 0.5,
}
_WORK_FACTOR_BY_KIND = {"pre_service": 1.0, "post_service": 1.25, "part_b_drug": 0.75}

# Service categories by CPT/HCPCS prefix; the longest matching prefix wins.
_CLINICAL_URGENCY = [
    ("oncology-drugs", "Oncology drugs", 0.95, ["J9", "964", "965"]),
    ("cardiac", "Cardiac procedures", 0.9, ["929", "933", "934", "935", "335", "336"]),
    ("inpatient", "Inpatient and emergency care", 0.9, ["9922", "9923", "9928"]),
    ("behavioral-health", "Behavioral health", 0.8, ["908", "H00", "H20"]),
    ("surgery", "Surgery", 0.7, ["1", "2", "3", "4", "5", "6"]),
    ("drugs", "Injected and infused drugs", 0.7, ["J0", "J1", "J2", "J3", "J7"]),
    ("home-health", "Home health and hospice", 0.65, ["G01", "G02", "T10", "Q50"]),
    ("imaging", "Advanced imaging", 0.5, ["70", "71", "72", "73", "74", "75", "76"]),
    ("therapy", "Physical and occupational therapy", 0.4, ["971", "975"]),
    ("dme", "Durable medical equipment", 0.35, ["E", "K", "L"]),
    ("lab", "Laboratory", 0.25, ["8"]),
    ("office-visit", "Office visits", 0.2, ["992"]),
    ("other", "Other services", 0.3, []),
]


def seed_scoring_defaults(apps, schema_editor):
    ScoringWeights = apps.get_model("appeals", "ScoringWeights")
    ExpectedWork = apps.get_model("appeals", "ExpectedWork")
    ClinicalUrgency = apps.get_model("appeals", "ClinicalUrgency")

    ScoringWeights.objects.get_or_create(pk=1)
    for kind, factor in _WORK_FACTOR_BY_KIND.items():
        for status, hours in _WORK_HOURS_BY_STATUS.items():
            ExpectedWork.objects.get_or_create(
                kind=kind, status=status, defaults={"hours": hours * factor}
            )
    for category, label, urgency, prefixes in _CLINICAL_URGENCY:
        ClinicalUrgency.objects.get_or_create(
            category=category,
            defaults={"label": label, "urgency": urgency, "code_prefixes": prefixes},
        )


class Migration(migrations.Migration):
    dependencies = [
        ("appeals", "0002_timeline_append_only_and_groups"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ClinicalUrgency",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True,
                        primary_key=True,
                        serialize=False,
                        verbose_name="ID",
                    ),
                ),
                ("category", models.SlugField(max_length=40, unique=True)),
                ("label", models.CharField(max_length=100)),
                (
                    "urgency",
                    models.FloatField(
                        help_text="0 (elective) to 1 (most urgent).",
                        validators=[
                            django.core.validators.MinValueValidator(0),
                            django.core.validators.MaxValueValidator(1),
                        ],
                    ),
                ),
                (
                    "code_prefixes",
                    models.JSONField(
                        blank=True,
                        default=list,
                        help_text=(
                            'CPT/HCPCS code prefixes, e.g. ["J9", "964"]; the longest '
                            "matching prefix decides a code's category."
                        ),
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "clinical urgency",
                "ordering": ["-urgency", "label"],
            },
        ),
        migrations.CreateModel(
            name="OverturnModel",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True,
                        primary_key=True,
                        serialize=False,
                        verbose_name="ID",
                    ),
                ),
                ("trained_at", models.DateTimeField()),
                (
                    "method",
                    models.CharField(
                        choices=[
                            (
                                "logistic",
                                "Logistic regression on the plan's closed appeals",
                            ),
                            ("category_rate", "Overturn rate of the denial category"),
                        ],
                        max_length=20,
                    ),
                ),
                (
                    "trained_on",
                    models.PositiveIntegerField(help_text="Closed appeals used."),
                ),
                (
                    "category_rates",
                    models.JSONField(
                        default=dict,
                        help_text="Overturn rate by denial category (the fallback).",
                    ),
                ),
                ("metrics", models.JSONField(blank=True, default=dict)),
                (
                    "estimator",
                    models.BinaryField(
                        blank=True, help_text="The fitted pipeline.", null=True
                    ),
                ),
                ("active", models.BooleanField(default=True)),
            ],
            options={
                "ordering": ["-trained_at", "-id"],
                "get_latest_by": "trained_at",
            },
        ),
        migrations.CreateModel(
            name="ScoringWeights",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True,
                        primary_key=True,
                        serialize=False,
                        verbose_name="ID",
                    ),
                ),
                (
                    "safety_margin_hours",
                    models.FloatField(
                        default=24,
                        help_text=(
                            "A standard case with less slack than this is ordered by "
                            "deadline, ahead of every other case."
                        ),
                        validators=[django.core.validators.MinValueValidator(0)],
                        verbose_name="safety margin (hours), standard",
                    ),
                ),
                (
                    "expedited_safety_margin_hours",
                    models.FloatField(
                        default=8,
                        help_text="The same margin for expedited cases (72-hour clocks).",
                        validators=[django.core.validators.MinValueValidator(0)],
                        verbose_name="safety margin (hours), expedited",
                    ),
                ),
                (
                    "weight_expedited",
                    models.FloatField(
                        default=30,
                        help_text="Points for an expedited case.",
                        validators=[
                            django.core.validators.MinValueValidator(0),
                            django.core.validators.MaxValueValidator(1000),
                        ],
                        verbose_name="expedited",
                    ),
                ),
                (
                    "weight_clinical_urgency",
                    models.FloatField(
                        default=25,
                        help_text="Points for the most urgent service category.",
                        validators=[
                            django.core.validators.MinValueValidator(0),
                            django.core.validators.MaxValueValidator(1000),
                        ],
                        verbose_name="clinical urgency",
                    ),
                ),
                (
                    "weight_vulnerability",
                    models.FloatField(
                        default=15,
                        help_text="Points for a member with two or more flags.",
                        validators=[
                            django.core.validators.MinValueValidator(0),
                            django.core.validators.MaxValueValidator(1000),
                        ],
                        verbose_name="member vulnerability",
                    ),
                ),
                (
                    "weight_overturn",
                    models.FloatField(
                        default=20,
                        help_text="Points for a denial certain to be overturned.",
                        validators=[
                            django.core.validators.MinValueValidator(0),
                            django.core.validators.MaxValueValidator(1000),
                        ],
                        verbose_name="chance of overturn",
                    ),
                ),
                (
                    "weight_financial",
                    models.FloatField(
                        default=10,
                        help_text="Points for an amount at or above the cap.",
                        validators=[
                            django.core.validators.MinValueValidator(0),
                            django.core.validators.MaxValueValidator(1000),
                        ],
                        verbose_name="financial exposure",
                    ),
                ),
                (
                    "financial_cap",
                    models.DecimalField(
                        decimal_places=2,
                        default=50000,
                        help_text=(
                            "Denied amount that earns the full financial points "
                            "(log scale)."
                        ),
                        max_digits=12,
                        validators=[django.core.validators.MinValueValidator(1)],
                        verbose_name="financial exposure cap",
                    ),
                ),
                ("updated_at", models.DateTimeField(auto_now=True)),
            ],
            options={
                "verbose_name": "scoring weights",
                "verbose_name_plural": "scoring weights",
            },
        ),
        migrations.CreateModel(
            name="SweepState",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True,
                        primary_key=True,
                        serialize=False,
                        verbose_name="ID",
                    ),
                ),
                ("name", models.CharField(max_length=40, unique=True)),
                ("swept_until", models.DateTimeField()),
            ],
        ),
        migrations.CreateModel(
            name="Alert",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True,
                        primary_key=True,
                        serialize=False,
                        verbose_name="ID",
                    ),
                ),
                (
                    "key",
                    models.CharField(
                        help_text="Deadline, level and due moment: one alert each.",
                        max_length=80,
                    ),
                ),
                (
                    "deadline",
                    models.CharField(help_text="E.g. decide_by.", max_length=40),
                ),
                (
                    "level",
                    models.CharField(
                        choices=[
                            ("50", "50% of the window used"),
                            ("75", "75% of the window used"),
                            ("90", "90% of the window used"),
                            ("lead", "Due soon"),
                            ("escalation", "Unassigned and due soon"),
                            ("breach", "Deadline missed"),
                        ],
                        max_length=20,
                    ),
                ),
                ("due", models.DateTimeField()),
                ("message", models.CharField(max_length=300)),
                ("created_at", models.DateTimeField()),
                ("emailed_at", models.DateTimeField(blank=True, null=True)),
                ("acknowledged_at", models.DateTimeField(blank=True, null=True)),
                (
                    "acknowledged_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "appeal",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="alerts",
                        to="appeals.appeal",
                    ),
                ),
            ],
            options={
                "ordering": ["-created_at", "-id"],
            },
        ),
        migrations.CreateModel(
            name="ExpectedWork",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True,
                        primary_key=True,
                        serialize=False,
                        verbose_name="ID",
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("pre_service", "Pre-service"),
                            ("post_service", "Post-service (payment)"),
                            ("part_b_drug", "Part B drug"),
                        ],
                        max_length=20,
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("received", "Received"),
                            ("in_review", "In review"),
                            ("pending_info", "Pending information"),
                            ("clinical_review", "Clinical review"),
                            ("decided", "Decided"),
                            ("notified", "Notified"),
                            ("forwarded", "Forwarded to independent review"),
                        ],
                        max_length=20,
                    ),
                ),
                (
                    "hours",
                    models.FloatField(
                        validators=[django.core.validators.MinValueValidator(0)]
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "expected work",
                "ordering": ["kind", "status"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("kind", "status"), name="expected_work_once"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="Notification",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True,
                        primary_key=True,
                        serialize=False,
                        verbose_name="ID",
                    ),
                ),
                ("created_at", models.DateTimeField()),
                ("read_at", models.DateTimeField(blank=True, null=True)),
                (
                    "alert",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="notifications",
                        to="appeals.alert",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="notifications",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["-created_at", "-id"],
            },
        ),
        migrations.AddIndex(
            model_name="alert",
            index=models.Index(
                condition=models.Q(("acknowledged_at__isnull", True)),
                fields=["created_at"],
                name="alert_unacknowledged",
            ),
        ),
        migrations.AddIndex(
            model_name="alert",
            index=models.Index(
                fields=["appeal", "deadline", "level"],
                name="alert_appeal_deadline_level",
            ),
        ),
        migrations.AddConstraint(
            model_name="alert",
            constraint=models.UniqueConstraint(
                fields=("appeal", "key"), name="alert_once"
            ),
        ),
        migrations.AddIndex(
            model_name="notification",
            index=models.Index(
                condition=models.Q(("read_at__isnull", True)),
                fields=["user", "created_at"],
                name="notification_unread",
            ),
        ),
        migrations.AddConstraint(
            model_name="notification",
            constraint=models.UniqueConstraint(
                fields=("user", "alert"), name="notification_once"
            ),
        ),
        migrations.CreateModel(
            name="DeadlineCheck",
            fields=[
                (
                    "appeal",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="appeals.appeal",
                    ),
                ),
                (
                    "next_check_at",
                    models.DateTimeField(blank=True, db_index=True, null=True),
                ),
            ],
        ),
        migrations.RunPython(seed_scoring_defaults, migrations.RunPython.noop),
    ]
