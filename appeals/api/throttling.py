from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from appeals.models import Integration

DEFAULT_RATE = "1200/minute"


class IntegrationRateThrottle(SimpleRateThrottle):
    """One budget per integration key, shared by all its endpoints."""

    scope = "integration"

    def get_rate(self):
        # Read at request time rather than import time so a changed setting applies.
        rates = settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {})
        return rates.get(self.scope, DEFAULT_RATE)

    def get_cache_key(self, request, view):
        if not isinstance(request.auth, Integration):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}
