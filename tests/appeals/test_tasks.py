import logging
import time
from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.db import OperationalError

from appeals import scoring, services, tasks
from appeals.models import Appeal
from config.celery import app as celery_app
from tests.factories import make_appeal

pytestmark = pytest.mark.django_db

RECEIVED = datetime(2026, 4, 6, 19, 20, tzinfo=UTC)
CLOSED_PORT = "redis://127.0.0.1:1/0"


def test_every_task_has_a_stable_name_late_acks_and_time_limits():
    for task in (
        tasks.rescore_appeal,
        tasks.rescore_open_appeals,
        tasks.sweep_deadlines,
        tasks.train_overturn_model,
        tasks.refresh_deadline_checks,
    ):
        assert task.name.startswith("appeals.")
        assert task.acks_late is True
        assert task.autoretry_for == (OperationalError, tasks.InterfaceError)
        assert task.max_retries == 5
        assert 0 < task.soft_time_limit < task.time_limit


def test_beat_sweeps_every_minute_and_rescores_every_few_minutes():
    schedule = settings.CELERY_BEAT_SCHEDULE

    assert schedule["sweep-deadlines"]["task"] == tasks.sweep_deadlines.name
    assert schedule["sweep-deadlines"]["schedule"] == 60
    assert schedule["rescore-open-appeals"]["task"] == tasks.rescore_open_appeals.name
    assert 60 < schedule["rescore-open-appeals"]["schedule"] <= 600
    assert schedule["refresh-deadline-checks"]["task"] == (
        tasks.refresh_deadline_checks.name
    )


def test_the_one_case_task_scores_the_case_it_is_given():
    appeal = make_appeal(received_at=RECEIVED)

    result = tasks.rescore_appeal.apply(args=[appeal.pk])

    assert result.get() is True
    assert Appeal.objects.get(pk=appeal.pk).score is not None


def test_the_one_case_task_for_a_case_gone_since_does_nothing():
    assert tasks.rescore_appeal.apply(args=[987654]).get() is False


def test_the_sweep_task_reports_what_it_did():
    result = tasks.sweep_deadlines.apply().get()

    assert result == {"checked": 0, "alerts": 0, "forwarded": 0, "failures": []}


def test_a_briefly_unreachable_database_is_retried(monkeypatch):
    calls = []

    def flaky(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return 7

    monkeypatch.setattr(scoring, "appeals_rescore_open", flaky)

    result = tasks.rescore_open_appeals.apply()

    assert result.get() == 7
    assert len(calls) == 2


def test_a_bug_is_not_retried(monkeypatch):
    calls = []

    def broken(**kwargs):
        calls.append(kwargs)
        raise ValueError("a bug")

    monkeypatch.setattr(scoring, "appeals_rescore_open", broken)

    result = tasks.rescore_open_appeals.apply()

    assert result.failed()
    assert len(calls) == 1


@pytest.fixture
def queued(monkeypatch):
    """The rescorings sent to the broker, as (args, options)."""
    sent = []
    monkeypatch.setattr(
        tasks.rescore_appeal,
        "apply_async",
        lambda args, **options: sent.append((args, options)),
    )
    return sent


def test_a_change_to_an_appeal_queues_its_rescoring_after_commit(
    queued, django_capture_on_commit_callbacks
):
    appeal = make_appeal(received_at=RECEIVED)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.appeal_accept(appeal=appeal, by="test")
    assert queued == []

    for callback in callbacks:
        callback()
    assert queued == [([appeal.pk], {"retry": False})]


def test_a_new_appeal_is_scored_at_intake_and_queues_nothing(
    queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        appeal = make_appeal(received_at=RECEIVED)

    assert queued == []
    stored = Appeal.objects.get(pk=appeal.pk)
    assert stored.score is not None
    assert stored.score_components["due"] == stored.decide_by.isoformat()


@pytest.fixture
def broker_down():
    """Point the app's broker at a port where nothing listens."""
    conf = celery_app.conf
    saved = (conf.broker_url, conf.broker_transport_options)
    conf.broker_url = CLOSED_PORT
    conf.broker_transport_options = settings.REDIS_TRANSPORT_OPTIONS
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    yield
    conf.broker_url, conf.broker_transport_options = saved
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def test_with_the_broker_down_intake_and_transitions_still_succeed(
    broker_down, caplog, django_capture_on_commit_callbacks
):
    started = time.monotonic()
    with (
        caplog.at_level(logging.WARNING, logger="appeals.receivers"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        appeal = make_appeal(received_at=RECEIVED)
        services.appeal_accept(appeal=appeal, by="test")
    elapsed = time.monotonic() - started

    assert Appeal.objects.get(pk=appeal.pk).status == "in_review"
    assert elapsed < 10
    # Intake scores in the request; only the acceptance needed the broker.
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert appeal.case_number in warnings[0].getMessage()
    assert "after accept" in warnings[0].getMessage()
    assert "periodic pass will catch up" in warnings[0].getMessage()
    # The periodic pass scores what the dispatch could not.
    assert scoring.appeals_rescore_open() == 1
