import hashlib

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models


def key_digest(key: str) -> str:
    # Keys are 256-bit random tokens, so a fast unsalted digest cannot be brute-forced
    # the way a password could, and it lets a request find its integration by index.
    return hashlib.sha256(key.encode()).hexdigest()


class Integration(models.Model):
    """A system that posts appeals over the REST API with its own key."""

    name = models.CharField(max_length=100, unique=True)
    key_prefix = models.CharField(
        max_length=12, help_text="The first characters of the key, to recognise it."
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(
        null=True, blank=True, help_text="Requests with a revoked key are refused."
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def actor_label(self) -> str:
        return f"integration:{self.name}"


class IdempotencyRecord(models.Model):
    """The first answer to a request made with an Idempotency-Key, replayed to retries.

    The row is inserted before the work starts and in the same transaction, so a
    concurrent retry with the same key waits on the unique index and then replays."""

    integration = models.ForeignKey(
        Integration, on_delete=models.CASCADE, related_name="idempotency_records"
    )
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "key"], name="idempotency_integration_key"
            )
        ]
        # The retention purge finds the oldest records by this.
        indexes = [models.Index(fields=["created_at"], name="idempotency_created_at")]

    def __str__(self):
        return f"{self.integration_id}:{self.key}"
