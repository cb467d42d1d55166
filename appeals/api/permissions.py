from rest_framework.permissions import BasePermission

from appeals.models import Integration


class IsIntegration(BasePermission):
    """Only a request signed with an integration key: a person's session is not
    enough to post appeals in an integration's name."""

    def has_permission(self, request, view):
        return isinstance(request.auth, Integration)
