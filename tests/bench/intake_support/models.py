from django.db import models


class BareItem(models.Model):
    """The one-table model of the bare DRF create the intake is compared with."""

    name = models.CharField(max_length=100)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "intake_support"

    def __str__(self):
        return self.name
