from django.conf import settings
from django.db import models


class Alert(models.Model):
    """A deadline warning about one appeal, raised once: the unique (appeal, key)
    pair is what makes two sweeps running at the same moment send it only once."""

    class Level(models.TextChoices):
        HALF = "50", "50% of the window used"
        THREE_QUARTERS = "75", "75% of the window used"
        NINETY = "90", "90% of the window used"
        LEAD = "lead", "Due soon"
        ESCALATION = "escalation", "Unassigned and due soon"
        BREACH = "breach", "Deadline missed"

    appeal = models.ForeignKey(
        "appeals.Appeal", on_delete=models.PROTECT, related_name="alerts"
    )
    key = models.CharField(
        max_length=80, help_text="Deadline, level and due moment: one alert each."
    )
    deadline = models.CharField(max_length=40, help_text="E.g. decide_by.")
    level = models.CharField(max_length=20, choices=Level.choices)
    due = models.DateTimeField()
    message = models.CharField(max_length=300)
    created_at = models.DateTimeField()
    emailed_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["appeal", "key"], name="alert_once")
        ]
        indexes = [
            models.Index(
                fields=["created_at"],
                name="alert_unacknowledged",
                condition=models.Q(acknowledged_at__isnull=True),
            ),
            models.Index(
                fields=["appeal", "deadline", "level"],
                name="alert_appeal_deadline_level",
            ),
        ]

    def __str__(self):
        return f"{self.appeal}: {self.message}"


class Notification(models.Model):
    """An in-app message to one person about one alert."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    alert = models.ForeignKey(
        Alert, on_delete=models.CASCADE, related_name="notifications"
    )
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "alert"], name="notification_once")
        ]
        indexes = [
            models.Index(
                fields=["user", "created_at"],
                name="notification_unread",
                condition=models.Q(read_at__isnull=True),
            )
        ]

    def __str__(self):
        return f"To {self.user}: {self.alert.message}"


class SweepState(models.Model):
    """How far the deadline sweep has looked: a threshold crossed after this moment is
    still to be alerted. Lets a sweep catch up after the broker was down."""

    name = models.CharField(max_length=40, unique=True)
    swept_until = models.DateTimeField()

    def __str__(self):
        return f"{self.name} swept until {self.swept_until:%Y-%m-%d %H:%M:%S}"


class DeadlineCheck(models.Model):
    """When the sweep must next look at an open appeal: the earliest alert moment still
    ahead of it (a share of its window, a lead time, a deadline). The sweep reads only
    the checks that have come due, through an index, however many cases are open."""

    appeal = models.OneToOneField(
        "appeals.Appeal",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="+",
    )
    next_check_at = models.DateTimeField(null=True, blank=True, db_index=True)

    def __str__(self):
        return f"{self.appeal_id}: next check {self.next_check_at}"
