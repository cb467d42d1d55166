import json
import logging
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from django.core.cache import cache

from appeals.api.throttling import IntegrationRateThrottle

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[3]
# 45 seconds into a minute: a key over its budget waits the other 15.
AT = datetime(2026, 4, 6, 19, 20, 45, tzinfo=UTC)
APPEALS = "/api/v1/appeals/"
UNREACHABLE = "redis://127.0.0.1:1/0"


@pytest.fixture
def rate(settings):
    def set_rate(value):
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {"integration": value},
        }

    set_rate("3/minute")
    return set_rate


@pytest.fixture
def clock():
    with time_machine.travel(AT, tick=False) as traveller:
        yield traveller


def _spend(client, requests):
    return [client.get(APPEALS).status_code for _ in range(requests)]


def test_a_key_over_its_budget_gets_a_problem_and_when_to_retry(api, rate, clock):
    assert _spend(api, 3) == [200, 200, 200]

    response = api.get(APPEALS)

    assert response.status_code == 429
    assert response["Content-Type"] == "application/problem+json"
    assert response["Retry-After"] == "15"
    body = response.json()
    assert body["type"] == "urn:appeals-desk:problem:throttled"
    assert body["status"] == 429
    assert body["instance"] == APPEALS
    assert "15 seconds" in body["detail"]


def test_another_integrations_key_keeps_its_own_budget(api, other_api, rate, clock):
    _spend(api, 4)

    assert _spend(other_api, 3) == [200, 200, 200]
    assert api.get(APPEALS).status_code == 429


def test_the_budget_comes_back_when_the_window_ends(api, rate, clock):
    _spend(api, 4)

    clock.shift(15)

    assert _spend(api, 4) == [200, 200, 200, 429]


def test_a_changed_rate_applies_to_the_next_request(api, rate, clock):
    _spend(api, 4)

    rate("10/minute")

    assert api.get(APPEALS).status_code == 200


def test_the_budget_is_one_counter_whatever_the_rate(api, integration, rate, clock):
    _spend(api, 5)

    window = int(AT.timestamp() // 60)
    assert cache.get(f"throttle_integration_{integration.pk}:{window}") == 5


def test_with_the_cache_unreachable_requests_go_through_with_a_warning(
    api, rate, settings, caplog
):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": UNREACHABLE,
        }
    }

    with caplog.at_level(logging.WARNING, logger="appeals.api.throttling"):
        statuses = _spend(api, 5)

    assert statuses == [200] * 5
    assert len(caplog.records) == 5
    assert "cache is unreachable" in caplog.records[0].getMessage()


@pytest.mark.redis
def test_the_cache_is_redis_and_kept_out_of_the_brokers_database(settings):
    assert settings.CACHES["default"]["BACKEND"].endswith("RedisCache")
    assert settings.CACHES["default"]["LOCATION"] != settings.CELERY_BROKER_URL


# A web worker of its own: a separate process with its own connection to the cache.
WORKER = """
import json, sys, types
from datetime import datetime

import django
import time_machine

django.setup()

from django.test import override_settings

from appeals.api.throttling import IntegrationRateThrottle
from appeals.models import Integration

caches, rate, at, integration_id, requests = json.loads(sys.argv[1])
request = types.SimpleNamespace(auth=Integration(pk=integration_id))
rates = {"DEFAULT_THROTTLE_RATES": {"integration": rate}}
with (
    override_settings(CACHES=caches, REST_FRAMEWORK=rates),
    time_machine.travel(datetime.fromisoformat(at), tick=False),
):
    allowed = [
        IntegrationRateThrottle().allow_request(request, None)
        for _ in range(requests)
    ]
print(sum(allowed))
"""


@pytest.mark.redis
def test_web_processes_serving_one_key_share_its_budget(settings, integration):
    job = json.dumps([settings.CACHES, "50/minute", AT.isoformat(), integration.pk, 40])
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}

    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, job],
            cwd=ROOT,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outputs = [worker.communicate(timeout=120) for worker in workers]

    assert all(worker.returncode == 0 for worker in workers), outputs
    assert sum(int(stdout) for stdout, _ in outputs) == 50


def test_requests_without_an_integration_are_not_counted(rf):
    request = rf.get(APPEALS)
    request.auth = None

    assert IntegrationRateThrottle().allow_request(request, None) is True
