from django.contrib import admin, messages

from appeals import intake
from appeals.models import Integration


@admin.register(Integration)
class IntegrationAdmin(admin.ModelAdmin):
    list_display = ("name", "key_prefix", "created_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("name",)
    fields = ("name", "key_prefix", "created_at", "revoked_at")
    readonly_fields = fields
    actions = ["revoke"]

    # Keys are issued by `manage.py create_integration`, which prints the key once.
    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request, queryset):
        revoked = 0
        for integration in queryset.filter(revoked_at__isnull=True):
            intake.integration_revoke(integration=integration)
            revoked += 1
        self.message_user(request, f"{revoked} key(s) revoked.", level=messages.SUCCESS)
