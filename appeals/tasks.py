"""Celery tasks: thin wrappers that take ids and call the functions tests call directly.

Every task is safe to run twice or in parallel: rescoring writes the same value, and the
sweep raises each alert once under a unique constraint. Retries cover only a database
that is briefly unreachable; anything else is a bug and fails loudly in the log.
"""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from appeals import enforcement, intake, overturn_model, scoring

logger = logging.getLogger(__name__)

_RETRY = {
    "acks_late": True,
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": 5,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(name="appeals.rescore_appeal", soft_time_limit=30, time_limit=60, **_RETRY)
def rescore_appeal(appeal_id: int) -> bool:
    return scoring.appeal_rescore(appeal_id=appeal_id)


@shared_task(
    name="appeals.rescore_open_appeals",
    soft_time_limit=600,
    time_limit=660,
    **_RETRY,
)
def rescore_open_appeals() -> int:
    return scoring.appeals_rescore_open()


# A sweep that overruns a minute is harmless (alerts are committed one by one and the
# next sweep resumes from the last completed one), so the limit only stops a hang.
@shared_task(
    name="appeals.sweep_deadlines", soft_time_limit=240, time_limit=300, **_RETRY
)
def sweep_deadlines() -> dict:
    result = enforcement.deadlines_sweep()
    return {
        "checked": result.checked,
        "alerts": result.alerts,
        "forwarded": result.forwarded,
        "failures": result.failures,
    }


@shared_task(
    name="appeals.train_overturn_model",
    soft_time_limit=1800,
    time_limit=1900,
    **_RETRY,
)
def train_overturn_model() -> int:
    return overturn_model.overturn_model_train(now=timezone.now()).pk


@shared_task(
    name="appeals.refresh_deadline_checks",
    soft_time_limit=1800,
    time_limit=1900,
    **_RETRY,
)
def refresh_deadline_checks() -> int:
    return enforcement.deadline_checks_refresh()


# The purge deletes in chunks, each committed on its own: a run cut short by the limit
# keeps what it removed, and the next day's run carries on from there.
@shared_task(
    name="appeals.purge_idempotency_records",
    soft_time_limit=900,
    time_limit=960,
    **_RETRY,
)
def purge_idempotency_records() -> int:
    return intake.idempotency_records_purge(
        older_than=timedelta(hours=settings.IDEMPOTENCY_KEY_RETENTION_HOURS),
        now=timezone.now(),
    )
