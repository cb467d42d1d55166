from django.apps import AppConfig
from django.db.models.signals import post_migrate


def grant_supervisor_permissions(sender, **kwargs):
    """Supervisors look at and correct appeal data in the admin. Permissions exist only
    after post_migrate has created them, hence a handler rather than a migration."""
    from django.contrib.auth.models import Group, Permission

    from appeals.roles import SUPERVISOR

    # The group itself comes from migration 0002. Creating it here as well would clash
    # with a test database flushed and then restored from its serialized copy.
    supervisors = Group.objects.filter(name=SUPERVISOR).first()
    if supervisors is None:
        return
    allowed = Permission.objects.filter(content_type__app_label="appeals").exclude(
        codename__startswith="delete_"
    )
    supervisors.permissions.add(*allowed)


class AppealsConfig(AppConfig):
    name = "appeals"
    verbose_name = "Appeals"

    def ready(self):
        post_migrate.connect(grant_supervisor_permissions, sender=self)
        from appeals import receivers  # noqa: F401 (connects the signal receivers)
