"""Admin for the urgency score's weights and tables, the overturn model versions, and
the deadline alerts. Supervisors edit the weights; the rest is shown, not edited."""

from django.contrib import admin

from appeals.models import (
    Alert,
    ClinicalUrgency,
    ExpectedWork,
    Notification,
    OverturnModel,
    ScoringWeights,
)


@admin.register(ScoringWeights)
class ScoringWeightsAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "safety_margin_hours",
        "expedited_safety_margin_hours",
        "weight_expedited",
        "weight_clinical_urgency",
        "weight_vulnerability",
        "weight_overturn",
        "weight_financial",
        "updated_at",
    )
    readonly_fields = ("updated_at",)

    # One row is the rule's configuration; a second would be silently ignored.
    def has_add_permission(self, request):
        return not ScoringWeights.objects.exists() and super().has_add_permission(
            request
        )

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ClinicalUrgency)
class ClinicalUrgencyAdmin(admin.ModelAdmin):
    list_display = ("label", "category", "urgency", "code_prefixes")
    list_editable = ("urgency",)
    search_fields = ("label", "category")


@admin.register(ExpectedWork)
class ExpectedWorkAdmin(admin.ModelAdmin):
    list_display = ("kind", "status", "hours")
    list_editable = ("hours",)
    list_filter = ("kind",)


@admin.register(OverturnModel)
class OverturnModelAdmin(admin.ModelAdmin):
    list_display = ("__str__", "trained_at", "method", "trained_on", "active")
    fields = (
        "trained_at",
        "method",
        "trained_on",
        "category_rates",
        "metrics",
        "active",
    )
    readonly_fields = (
        "trained_at",
        "method",
        "trained_on",
        "category_rates",
        "metrics",
    )

    def has_add_permission(self, request):
        return False


class NotificationInline(admin.TabularInline):
    model = Notification
    fields = ("user", "created_at", "read_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = (
        "appeal",
        "level",
        "deadline",
        "due",
        "created_at",
        "acknowledged_at",
        "acknowledged_by",
    )
    list_filter = ("level", "deadline", ("acknowledged_at", admin.EmptyFieldListFilter))
    list_select_related = ("appeal", "acknowledged_by")
    raw_id_fields = ("appeal", "acknowledged_by")
    inlines = [NotificationInline]
    readonly_fields = (
        "appeal",
        "key",
        "deadline",
        "level",
        "due",
        "message",
        "created_at",
        "emailed_at",
        "acknowledged_at",
        "acknowledged_by",
    )

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
