from django.conf import settings
from django.db import models


class AppealDocument(models.Model):
    class DocumentKind(models.TextChoices):
        APPEAL_LETTER = "appeal_letter", "Appeal letter"
        MEDICAL_RECORDS = "medical_records", "Medical records"
        DENIAL_NOTICE = "denial_notice", "Denial notice"
        REPRESENTATIVE_AUTHORIZATION = (
            "representative_authorization",
            "Representative authorization",
        )
        PHYSICIAN_STATEMENT = "physician_statement", "Physician supporting statement"
        NOTICE = "notice", "Notice sent by the plan"
        OTHER = "other", "Other"

    appeal = models.ForeignKey(
        "appeals.Appeal", on_delete=models.PROTECT, related_name="documents"
    )
    kind = models.CharField(
        max_length=40, choices=DocumentKind.choices, default=DocumentKind.OTHER
    )
    title = models.CharField(max_length=200)
    file = models.FileField(upload_to="appeal-documents/%Y/%m/")
    content_type = models.CharField(max_length=100)
    size_bytes = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    uploaded_by_label = models.CharField(max_length=150)

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self):
        return self.title
