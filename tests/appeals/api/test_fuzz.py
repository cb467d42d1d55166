import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from config.wsgi import application

# Small enough to finish in a few seconds per operation, large enough to send each
# operation malformed bodies, odd strings and boundary numbers. Derandomized so that
# a run in CI is the run that passed here.
EXAMPLES_PER_OPERATION = 25


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_fuzzing_the_api_from_its_own_schema_finds_no_server_error(
    integration_and_key, settings_override
):
    _, key = integration_and_key
    auth = {"Authorization": f"Bearer {key}"}
    schema = schemathesis.openapi.from_wsgi("/api/schema/", application, headers=auth)
    failures = []

    operations = [
        result.ok()
        for result in schema.get_all_operations()
        if result.ok().path.startswith("/api/v1/")
    ]
    assert len(operations) == 6

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        def run(case):
            response = case.call(headers=auth)
            if response.status_code >= 500:
                failures.append((case.method, case.path, case.body, response.text))

        run()

    assert failures == []


@pytest.fixture
def settings_override(settings):
    # The fuzz run sends far more requests a minute than an integration may.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"integration": "100000/minute"},
    }
