from django.contrib import admin
from django.utils import timezone

from appeals.models import Appeal, AppealDocument, Member, Provider, TimelineEvent

# Computed by the clock engine and the services: a correction in the admin would leave
# the timeline unable to explain them, so they are shown, not edited.
COMPUTED_FIELDS = (
    "status",
    "clock_rule_id",
    "acknowledge_by",
    "decide_by",
    "extended_decide_by",
    "filing_deadline",
    "effectuate_by",
    "pay_by",
    "forward_by",
    "extension_notice_by",
    "expedite_refusal_notice_by",
    "written_confirmation_by",
    "score",
    "score_components",
    "scored_at",
    "created_at",
    "updated_at",
)


class TimelineInline(admin.TabularInline):
    model = TimelineEvent
    fields = ("at", "kind", "actor_label", "transition", "from_status", "to_status")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class DocumentInline(admin.TabularInline):
    model = AppealDocument
    fields = ("title", "kind", "file", "size_bytes", "uploaded_at", "uploaded_by_label")
    readonly_fields = ("size_bytes", "uploaded_at", "uploaded_by_label")
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Appeal)
class AppealAdmin(admin.ModelAdmin):
    list_display = (
        "case_number",
        "line_of_business",
        "kind",
        "priority",
        "status",
        "received_at",
        "decide_by",
        "assignee",
    )
    list_filter = ("status", "line_of_business", "kind", "priority", "denial_category")
    search_fields = ("id", "external_id", "denial_claim_number", "member__member_id")
    date_hierarchy = "received_at"
    raw_id_fields = ("member", "provider", "assignee", "decided_by")
    readonly_fields = ("case_number", "public_id", *COMPUTED_FIELDS)
    inlines = [DocumentInline, TimelineInline]
    list_select_related = ("assignee",)

    def get_search_results(self, request, queryset, search_term):
        by_number = queryset.by_case_number(search_term)
        if by_number.exists():
            return by_number, False
        return super().get_search_results(request, queryset, search_term)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and form.changed_data:
            TimelineEvent.objects.create(
                appeal=obj,
                kind=TimelineEvent.Kind.NOTE,
                at=timezone.now(),
                actor=request.user,
                actor_label=request.user.get_username(),
                reason="Corrected in the admin.",
                data={"fields": form.changed_data},
            )


@admin.register(TimelineEvent)
class TimelineEventAdmin(admin.ModelAdmin):
    list_display = ("appeal", "at", "kind", "actor_label", "transition", "to_status")
    list_filter = ("kind",)
    list_select_related = ("appeal",)
    raw_id_fields = ("appeal", "actor")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = ("member_id", "last_name", "first_name", "state")
    search_fields = ("member_id", "last_name")


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    list_display = ("npi", "name", "specialty", "contracted")
    search_fields = ("npi", "name")
    list_filter = ("contracted", "specialty")


@admin.register(AppealDocument)
class AppealDocumentAdmin(admin.ModelAdmin):
    list_display = ("title", "appeal", "kind", "size_bytes", "uploaded_at")
    raw_id_fields = ("appeal", "uploaded_by")
    readonly_fields = ("sha256", "size_bytes", "content_type", "uploaded_at")

    def has_delete_permission(self, request, obj=None):
        return False


import appeals.admin_integrations  # noqa: E402, F401
import appeals.admin_scoring  # noqa: E402, F401
