from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from appeals import intake
from appeals.models import Integration


class IntegrationPrincipal:
    """Stands in for request.user: an integration is not a person and has no login."""

    is_authenticated = True
    is_anonymous = False

    def __init__(self, integration: Integration):
        self.integration = integration

    def __str__(self):
        return self.integration.actor_label


class BearerKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <key>`, with a key from `manage.py create_integration`."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        scheme, _, key = header.partition(" ")
        if scheme.lower() != self.keyword.lower():
            return None

        key = key.strip()
        if not key or " " in key or len(key) > 200:
            raise exceptions.AuthenticationFailed("The Bearer key is malformed.")
        integration = intake.integration_for_key(key)
        if integration is None:
            raise exceptions.AuthenticationFailed(
                "The key is unknown or has been revoked."
            )
        return IntegrationPrincipal(integration), integration

    def authenticate_header(self, request):
        return self.keyword


class BearerKeyScheme(OpenApiAuthenticationExtension):
    target_class = BearerKeyAuthentication
    name = "integrationKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "The key printed by `manage.py create_integration NAME`.",
        }
