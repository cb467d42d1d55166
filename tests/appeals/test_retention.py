import copy
from datetime import timedelta

import pytest
import time_machine
from django.db import InterfaceError, OperationalError, connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from appeals import intake, tasks
from appeals.models import Appeal, IdempotencyRecord
from tests.appeals.api.conftest import APPEAL, NOW

pytestmark = pytest.mark.django_db

WEEK = timedelta(days=7)
HOUR = timedelta(hours=1)


@pytest.fixture
def claims_system():
    integration, key = intake.integration_create(name="claims-system")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return integration, client


def _record(integration, key, age):
    record = IdempotencyRecord.objects.create(
        integration=integration, key=key, request_hash="0" * 64
    )
    IdempotencyRecord.objects.filter(pk=record.pk).update(created_at=NOW - age)


def _keys_kept():
    return set(IdempotencyRecord.objects.values_list("key", flat=True))


def test_records_older_than_the_retention_go_and_newer_ones_stay(claims_system):
    integration, _ = claims_system
    _record(integration, "eight-days", timedelta(days=8))
    _record(integration, "a-week-and-a-minute", WEEK + timedelta(minutes=1))
    _record(integration, "six-days", timedelta(days=6))
    _record(integration, "an-hour", HOUR)

    purged = intake.idempotency_records_purge(older_than=WEEK, now=NOW)

    assert purged == 2
    assert _keys_kept() == {"six-days", "an-hour"}


def test_a_backlog_larger_than_a_chunk_goes_in_several_deletes(claims_system):
    integration, _ = claims_system
    for number in range(7):
        _record(integration, f"old-{number}", timedelta(days=30 + number))
    _record(integration, "recent", timedelta(days=1))

    with CaptureQueriesContext(connection) as queries:
        purged = intake.idempotency_records_purge(older_than=WEEK, now=NOW, chunk=3)

    assert purged == 7
    assert _keys_kept() == {"recent"}
    deletes = [q for q in queries if q["sql"].lstrip().upper().startswith("DELETE")]
    assert len(deletes) == 3


def test_a_key_used_again_after_its_record_is_purged_runs_afresh(claims_system):
    _, client = claims_system
    headers = {"Idempotency-Key": "claims-1001"}
    second_body = copy.deepcopy(APPEAL) | {"external_id": "CLM-1002"}

    with time_machine.travel(NOW, tick=False):
        first = client.post("/api/v1/appeals/", APPEAL, format="json", headers=headers)
        reused = client.post(
            "/api/v1/appeals/", second_body, format="json", headers=headers
        )

        intake.idempotency_records_purge(older_than=WEEK, now=NOW + WEEK + HOUR)
        afresh = client.post(
            "/api/v1/appeals/", second_body, format="json", headers=headers
        )

    assert first.status_code == 201
    assert reused.status_code == 409
    assert afresh.status_code == 201
    assert "Idempotent-Replayed" not in afresh
    assert afresh.json()["id"] != first.json()["id"]
    assert Appeal.objects.count() == 2


def test_the_purge_task_keeps_records_as_long_as_the_setting_says(
    monkeypatch, settings
):
    settings.IDEMPOTENCY_KEY_RETENTION_HOURS = 48
    calls = []

    def purge(**kwargs):
        calls.append(kwargs)
        return 3

    monkeypatch.setattr(intake, "idempotency_records_purge", purge)

    result = tasks.purge_idempotency_records.apply()

    assert result.get() == 3
    assert calls[0]["older_than"] == timedelta(hours=48)
    assert calls[0]["now"].tzinfo is not None


def test_the_purge_task_is_retried_late_acked_and_time_limited():
    task = tasks.purge_idempotency_records

    assert task.name == "appeals.purge_idempotency_records"
    assert task.acks_late is True
    assert task.autoretry_for == (OperationalError, InterfaceError)
    assert 0 < task.soft_time_limit < task.time_limit


def test_beat_purges_daily_and_drops_a_run_the_workers_missed(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["purge-idempotency-records"]

    assert entry["task"] == tasks.purge_idempotency_records.name
    assert entry["schedule"] == 24 * 3600
    assert 0 < entry["options"]["expires"] < entry["schedule"]
