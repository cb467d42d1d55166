import logging

from django.apps import AppConfig
from django.db.models.signals import post_migrate

logger = logging.getLogger(__name__)


class CaseworkConfig(AppConfig):
    name = "casework"
    verbose_name = "Casework"

    def ready(self):
        from appeals import services as appeal_services
        from casework import guards

        appeal_services.register_decision_guard(guards.protocol_complete)
        appeal_services.register_decision_guard(guards.independent_decider)
        post_migrate.connect(_grant_supervisor_permissions, sender=self)


# Supervisors keep the protocols and the reviewers' skills in the admin, and read the
# audit records (access log, notices) that only the services write.
SUPERVISOR_PERMISSIONS = (
    "add_protocoltemplate",
    "change_protocoltemplate",
    "view_protocoltemplate",
    "add_protocolstep",
    "change_protocolstep",
    "delete_protocolstep",
    "view_protocolstep",
    "add_reviewerprofile",
    "change_reviewerprofile",
    "view_reviewerprofile",
    "view_caseprotocol",
    "view_accesslog",
    "view_notice",
    "view_informationrequest",
)


def _grant_supervisor_permissions(sender, **kwargs):
    from django.contrib.auth.models import Group, Permission

    from appeals.roles import SUPERVISOR

    # The group comes from an appeals migration; creating it here too would clash with a
    # test database flushed and then restored from its serialized copy.
    supervisors = Group.objects.filter(name=SUPERVISOR).first()
    if supervisors is None:
        return
    supervisors.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="casework", codename__in=SUPERVISOR_PERMISSIONS
        )
    )
