"""End-to-end runs through a real Celery worker (in a thread) on the Redis broker."""

import importlib
import time
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.apps import apps as django_apps
from django.core import mail
from django.utils import timezone
from rest_framework.test import APIClient

from appeals import intake, tasks
from appeals.models import Alert, Appeal, Notification, SweepState, TimelineEvent
from appeals.scoring import slack_hours
from config.celery import app as celery_app
from tests.factories import make_appeal

pytestmark = [
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _wait_for(condition, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


@pytest.fixture
def scoring_tables():
    # A transactional test before this one may have flushed what the migration seeded.
    seeding = importlib.import_module("appeals.migrations.0003_scoring_and_alerts")
    seeding.seed_scoring_defaults(django_apps, None)


@pytest.fixture
def worker(_services_for_markers, scoring_tables):
    # Messages left by earlier runs name appeals that no longer exist.
    with celery_app.connection_for_write() as connection:
        connection.default_channel.queue_purge(celery_app.conf.task_default_queue)
    with start_worker(
        celery_app,
        pool="solo",
        perform_ping_check=False,
        loglevel="WARNING",
        shutdown_timeout=30,
    ) as running:
        yield running


def test_an_appeal_taken_in_is_scored_by_the_worker(worker):
    appeal = make_appeal(received_at=timezone.now() - timedelta(days=2))

    assert _wait_for(
        lambda: Appeal.objects.filter(pk=appeal.pk, score__isnull=False).exists()
    )
    scored = Appeal.objects.get(pk=appeal.pk)
    assert scored.score_components["rule"] == 1
    assert slack_hours(scored.score_components, timezone.now())[1] > 24 * 20


def test_an_appeal_posted_through_the_api_is_scored_by_the_worker(worker):
    _, key = intake.integration_create(name="claims-system")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    received = timezone.now() - timedelta(days=1)

    response = client.post("/api/v1/appeals/", _api_payload(received), format="json")

    assert response.status_code == 201, response.json()
    public_id = response.json()["id"]
    assert _wait_for(
        lambda: Appeal.objects.filter(public_id=public_id, score__isnull=False).exists()
    )
    detail = client.get(f"/api/v1/appeals/{public_id}/").json()
    assert detail["score"] is not None
    assert detail["score_components"]["service_category"] == "cardiac"


def _api_payload(received):
    return {
        "external_id": "CLM-WORKER-1",
        "line_of_business": "medicare_advantage",
        "kind": "pre_service",
        "priority": "standard",
        "received_at": received.isoformat(),
        "channel": "portal",
        "requester": {"type": "provider", "name": "Dr. Ana Lima", "npi": "1234567893"},
        "member": {
            "id": "1EG4TE5MK73",
            "name": "Rivera, Maria",
            "birth_date": "1951-02-03",
            "state": "FL",
        },
        "provider": {"npi": "1234567893", "name": "Lima Cardiology"},
        "denial": {
            "notice_date": (received - timedelta(days=10)).date().isoformat(),
            "reason_codes": ["CO-50"],
            "service_codes": ["93458"],
            "amount": "1830.50",
        },
    }


def test_a_sweep_run_by_the_worker_raises_the_right_alerts_once(worker, supervisor):
    supervisor.email = "sam@plan.example"
    supervisor.save()
    appeal = make_appeal(
        received_at=timezone.now() - timedelta(days=20),
        now=timezone.now() - timedelta(days=20),
    )

    tasks.sweep_deadlines.delay()
    assert _wait_for(lambda: SweepState.objects.exists())
    first = SweepState.objects.get().swept_until
    tasks.sweep_deadlines.delay()
    assert _wait_for(lambda: SweepState.objects.get().swept_until > first)

    alert = Alert.objects.get(appeal=appeal)
    assert alert.level == Alert.Level.HALF
    assert [n.user for n in Notification.objects.all()] == [supervisor]
    assert [message.to for message in mail.outbox] == [["sam@plan.example"]]
    assert appeal.timeline.filter(kind=TimelineEvent.Kind.ALERT).count() == 1
