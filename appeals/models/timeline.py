from django.conf import settings
from django.db import models


class TimelineIsAppendOnly(Exception):
    pass


class TimelineQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TimelineIsAppendOnly("Timeline events cannot be changed.")

    def delete(self):
        raise TimelineIsAppendOnly("Timeline events cannot be deleted.")


class TimelineEvent(models.Model):
    """One line of an appeal's audit trail, written once in the transaction of the
    change it records. A trigger on PostgreSQL refuses UPDATE and DELETE as well."""

    class Kind(models.TextChoices):
        CREATED = "created", "Appeal received"
        TRANSITION = "transition", "Status change"
        DEADLINE = "deadline", "Deadline computed"
        PRIORITY = "priority", "Priority change"
        EXTENSION = "extension", "Extension taken"
        ASSIGNMENT = "assignment", "Assignment"
        DOCUMENT = "document", "Document attached"
        NOTICE = "notice", "Notice or notification"
        EFFECTUATION = "effectuation", "Effectuation"
        ACKNOWLEDGEMENT = "acknowledgement", "Acknowledgement"
        BREACH = "breach", "Deadline missed"
        ALERT = "alert", "Deadline alert"
        NOTE = "note", "Note"

    appeal = models.ForeignKey(
        "appeals.Appeal", on_delete=models.PROTECT, related_name="timeline"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    at = models.DateTimeField(help_text="When the event happened.")
    recorded_at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_label = models.CharField(
        max_length=150, help_text="User name, integration name or 'system'."
    )
    transition = models.CharField(max_length=40, blank=True)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    reason = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    objects = TimelineQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["appeal", "at"])]

    def __str__(self):
        return f"{self.get_kind_display()} at {self.at:%Y-%m-%d %H:%M:%S}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TimelineIsAppendOnly("Timeline events cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TimelineIsAppendOnly("Timeline events cannot be deleted.")
