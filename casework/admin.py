from django.contrib import admin
from django.db.models import F

from casework.models import (
    AccessLog,
    CaseProtocol,
    InformationRequest,
    Notice,
    ProtocolStep,
    ProtocolTemplate,
    ReviewerProfile,
)


@admin.register(ReviewerProfile)
class ReviewerProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "discipline", "lines_of_business", "max_open_cases"]
    list_filter = ["discipline"]
    search_fields = ["user__username", "npi"]
    raw_id_fields = ["user", "reports_to"]


class ProtocolStepInline(admin.TabularInline):
    model = ProtocolStep
    extra = 1
    fields = ["order", "key", "title", "guidance", "required", "role"]


@admin.register(ProtocolTemplate)
class ProtocolTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "key", "version", "active", "updated_at"]
    list_filter = ["active"]
    readonly_fields = ["version"]
    inlines = [ProtocolStepInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # Cases hold the steps of the version they started with, so a new version
        # number is all an edit needs to leave them untouched.
        edited = form.has_changed() or any(f.has_changed() for f in formsets)
        if change and edited:
            ProtocolTemplate.objects.filter(pk=form.instance.pk).update(
                version=F("version") + 1
            )


class ReadOnlyAdmin(admin.ModelAdmin):
    """Audit records: visible to supervisors, written only by the services."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CaseProtocol)
class CaseProtocolAdmin(ReadOnlyAdmin):
    list_display = ["appeal", "template", "template_version", "started_at"]
    search_fields = ["appeal__id"]


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyAdmin):
    list_display = ["at", "username", "appeal", "what"]
    list_filter = ["what"]
    search_fields = ["username"]
    date_hierarchy = "at"


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdmin):
    list_display = ["appeal", "kind", "rendered_at"]
    list_filter = ["kind"]


@admin.register(InformationRequest)
class InformationRequestAdmin(ReadOnlyAdmin):
    list_display = ["appeal", "requested_at", "reply_by", "received_at"]
