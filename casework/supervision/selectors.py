"""Reads for the deadline dashboard and the workload page.

The dashboard must answer in well under a second over a hundred thousand open appeals,
so every figure is one grouped query over indexed columns and the lists are bounded.
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Count, Prefetch, Q

from appeals import roles
from appeals.choices import LineOfBusiness
from appeals.clocks import plan_zone
from appeals.models import Appeal, Status
from appeals.models.alerts import Alert
from appeals.models.appeal import AWAITING_DECISION, OPEN_STATUSES
from casework.models import ReviewerProfile
from casework.routing import WORKING_STATUSES

LIST_LIMIT = 50
LIST_FIELDS = (
    "id",
    "line_of_business",
    "priority",
    "status",
    "decide_by",
    "assignee__username",
)

# Age of an open case since receipt; the last bucket has no upper bound.
AGE_BUCKETS = (
    ("under 1 day", timedelta(0), timedelta(days=1)),
    ("1-3 days", timedelta(days=1), timedelta(days=3)),
    ("3-7 days", timedelta(days=3), timedelta(days=7)),
    ("7-14 days", timedelta(days=7), timedelta(days=14)),
    ("14-30 days", timedelta(days=14), timedelta(days=30)),
    ("over 30 days", timedelta(days=30), None),
)

REVIEWER_GROUPS = (roles.REVIEWER, roles.CLINICAL_REVIEWER, roles.PHYSICIAN_REVIEWER)


@dataclass
class Inventory:
    total: int
    by_status: list[tuple[str, str, int]]
    by_line: list[tuple[str, str, int]]
    by_age: list[tuple[str, int]]
    matrix: list[tuple[str, list[int], int]]


def open_inventory(now: datetime) -> Inventory:
    # One pass over the open appeals: counts by state and line, with the age buckets
    # as filtered counts beside them, summed up here.
    ages = {}
    for index, (_, low, high) in enumerate(AGE_BUCKETS):
        window = Q(received_at__lte=now - low)
        if high is not None:
            window &= Q(received_at__gt=now - high)
        ages[f"age{index}"] = Count("id", filter=window)
    groups = (
        Appeal.objects.filter(status__in=OPEN_STATUSES)
        .values("status", "line_of_business")
        .annotate(n=Count("id"), **ages)
        .order_by()
    )

    counts, by_age = {}, [0] * len(AGE_BUCKETS)
    for group in groups:
        counts[(group["status"], group["line_of_business"])] = group["n"]
        for index in range(len(AGE_BUCKETS)):
            by_age[index] += group[f"age{index}"]
    statuses = [s for s in Status if s in OPEN_STATUSES]
    lines = list(LineOfBusiness)

    by_status = [
        (s.value, s.label, sum(counts.get((s, line), 0) for line in lines))
        for s in statuses
    ]
    by_line = [
        (line.value, line.label, sum(counts.get((s, line), 0) for s in statuses))
        for line in lines
    ]
    matrix = [
        (
            s.label,
            [counts.get((s, line), 0) for line in lines],
            sum(counts.get((s, line), 0) for line in lines),
        )
        for s in statuses
    ]
    return Inventory(
        sum(counts.values()),
        by_status,
        by_line,
        [(label, by_age[index]) for index, (label, _, _) in enumerate(AGE_BUCKETS)],
        matrix=matrix,
    )


@dataclass
class DeadlineList:
    title: str
    key: str
    count: int
    appeals: list[Appeal]


def _awaiting(window: Q, order: str):
    return Appeal.objects.filter(window, status__in=AWAITING_DECISION).order_by(
        order, "id"
    )


def deadline_lists(now: datetime) -> list[DeadlineList]:
    """Breached cases, then those due within 24 hours and within 72 hours. A case is
    breached once now is past its decision deadline (met is inclusive)."""
    windows = (
        ("Breached", "breached", Q(decide_by__lt=now)),
        (
            "Due within 24 hours",
            "due24",
            Q(decide_by__gte=now, decide_by__lte=now + timedelta(hours=24)),
        ),
        (
            "Due within 72 hours",
            "due72",
            Q(
                decide_by__gt=now + timedelta(hours=24),
                decide_by__lte=now + timedelta(hours=72),
            ),
        ),
    )
    lists = []
    for title, key, window in windows:
        appeals = _awaiting(window, "decide_by")
        lists.append(
            DeadlineList(
                title,
                key,
                appeals.count(),
                list(
                    appeals.select_related("assignee").only(*LIST_FIELDS)[:LIST_LIMIT]
                ),
            )
        )
    return lists


def assignable_users():
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=REVIEWER_GROUPS)
        .distinct()
        .order_by("username")
    )


def week_start(now: datetime) -> datetime:
    """Monday 00:00 of the plan-zone week that holds now."""
    local = now.astimezone(plan_zone())
    monday = local.date() - timedelta(days=local.weekday())
    return datetime.combine(monday, time(0), tzinfo=plan_zone())


@dataclass
class ReviewerLoad:
    user: object
    open_cases: int
    decided_this_week: int
    average_hours_to_decision: float | None
    at_risk: int
    breached: int
    cap: int | None

    @property
    def over_cap(self) -> bool:
        return self.cap is not None and self.open_cases > self.cap


def _counts_by(queryset, field: str) -> dict:
    return dict(queryset.values_list(field).annotate(n=Count("id")).order_by())


def workload(now: datetime, *, caps: dict | None = None) -> list[ReviewerLoad]:
    """One row per reviewer: cases in hand, decisions made since Monday, the
    mean hours from receipt to decision over the last 30 days, and assigned cases
    due within 72 hours (at risk) or past due (breached)."""
    caps = caps or {}
    # Open means what the cap counts when a reviewer claims (casework.routing).
    open_assigned = Appeal.objects.filter(
        status__in=WORKING_STATUSES, assignee__isnull=False
    )
    awaiting = open_assigned.filter(status__in=AWAITING_DECISION)
    open_counts = _counts_by(open_assigned, "assignee")
    at_risk = _counts_by(
        awaiting.filter(decide_by__gte=now, decide_by__lte=now + timedelta(hours=72)),
        "assignee",
    )
    breached = _counts_by(awaiting.filter(decide_by__lt=now), "assignee")
    this_week = _counts_by(
        Appeal.objects.filter(decided_at__gte=week_start(now), decided_at__lte=now),
        "decided_by",
    )

    durations: dict[int, list[float]] = {}
    for user_id, received, decided in Appeal.objects.filter(
        decided_at__gt=now - timedelta(days=30), decided_at__lte=now
    ).values_list("decided_by", "received_at", "decided_at"):
        durations.setdefault(user_id, []).append(
            (decided - received).total_seconds() / 3600
        )

    people = set(assignable_users()) | set(
        get_user_model().objects.filter(pk__in=open_counts)
    )
    rows = []
    for user in sorted(people, key=lambda u: u.get_username()):
        hours = durations.get(user.pk)
        rows.append(
            ReviewerLoad(
                user,
                open_counts.get(user.pk, 0),
                this_week.get(user.pk, 0),
                sum(hours) / len(hours) if hours else None,
                at_risk.get(user.pk, 0),
                breached.get(user.pk, 0),
                caps.get(user.pk),
            )
        )
    return rows


def reviewer_caps() -> dict[int, int]:
    """Caps on open cases from the reviewers' profiles, by user id."""
    return dict(
        ReviewerProfile.objects.values_list("user_id", "max_open_cases").order_by()
    )


def unacknowledged_alerts():
    """The newest unacknowledged alerts with their cases, and how many there are.
    The cases are fetched apart: a join would make the database read every appeal to
    sort a few thousand alerts."""
    waiting = Alert.objects.filter(acknowledged_at__isnull=True)
    alerts = list(
        waiting.order_by("-created_at", "-id").prefetch_related(
            Prefetch(
                "appeal",
                queryset=Appeal.objects.select_related("assignee").only(*LIST_FIELDS),
            )
        )[:LIST_LIMIT]
    )
    return alerts, waiting.count()
