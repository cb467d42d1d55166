import os
import uuid

import pytest
from django.contrib.auth.models import Group
from django.db import connection

from appeals import roles, scoring

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def _missing_service(message: str) -> None:
    # In CI a missing service is a failure: a skip there would hide that the real
    # database or broker was never exercised.
    if REQUIRE_SERVICES:
        pytest.fail(f"{message} (REQUIRE_SERVICES=1)")
    pytest.skip(message)


@pytest.fixture(autouse=True)
def _services_for_markers(request):
    if (
        request.node.get_closest_marker("postgres")
        and connection.vendor != "postgresql"
    ):
        _missing_service("needs PostgreSQL: set DATABASE_URL=postgres://...")
    if request.node.get_closest_marker("redis") and not os.environ.get("REDIS_URL"):
        _missing_service("needs Redis: set REDIS_URL=redis://...")


@pytest.fixture(autouse=True)
def _own_cache_keys(settings):
    # Redis outlives a test, and each run's test database hands out the same ids
    # again: under a prefix of its own, no test meets counters another one left.
    settings.CACHES = {
        "default": {
            **settings.CACHES["default"],
            "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        }
    }


@pytest.fixture(autouse=True)
def _fresh_scoring_inputs():
    # A rolled-back test sends no signal, so weights it edited could outlive it here.
    scoring.forget_scoring_inputs()


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _user_in(django_user_model, username, *groups, **extra):
    user = django_user_model.objects.create_user(
        username=username, password="correct horse battery", **extra
    )
    for name in groups:
        user.groups.add(Group.objects.get_or_create(name=name)[0])
    return user


@pytest.fixture
def reviewer(django_user_model):
    return _user_in(django_user_model, "rita.reviewer", roles.REVIEWER)


@pytest.fixture
def nurse(django_user_model):
    return _user_in(django_user_model, "nora.nurse", roles.CLINICAL_REVIEWER)


@pytest.fixture
def physician(django_user_model):
    return _user_in(django_user_model, "dr.patel", roles.PHYSICIAN_REVIEWER)


@pytest.fixture
def supervisor(django_user_model):
    return _user_in(
        django_user_model, "sam.supervisor", roles.SUPERVISOR, is_staff=True
    )


@pytest.fixture
def outsider(django_user_model):
    return _user_in(django_user_model, "otto.outsider")
