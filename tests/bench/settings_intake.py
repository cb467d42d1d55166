"""Settings for the intake benchmark's server: the product plus a bare DRF endpoint
that exists only here (tests/bench/intake_support)."""

from config.settings import *  # noqa: F403
from config.settings import INSTALLED_APPS, REST_FRAMEWORK

INSTALLED_APPS = [*INSTALLED_APPS, "tests.bench.intake_support"]
ROOT_URLCONF = "tests.bench.intake_support.urls"
# The benchmark measures the work of a request, not the throttle refusing it.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {"integration": "1000000/minute"},
}
