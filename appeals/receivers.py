"""Reactions to appeal changes. The broker is not the system of record: if it cannot
take a message, the change still stands and the periodic rescoring catches up."""

import logging

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from kombu.exceptions import KombuError
from redis.exceptions import RedisError

from appeals import scoring, tasks
from appeals.models import ClinicalUrgency, ExpectedWork, OverturnModel, ScoringWeights
from appeals.services import appeal_changed

logger = logging.getLogger(__name__)

BROKER_ERRORS = (KombuError, RedisError, OSError, TimeoutError)
SCORING_INPUTS = (ScoringWeights, ClinicalUrgency, ExpectedWork, OverturnModel)


@receiver(appeal_changed, dispatch_uid="appeals.enqueue_rescoring")
def enqueue_rescoring(
    sender, appeal_id: int, change: str, scored: bool = False, **kwargs
) -> None:
    # Sent on commit by the services, so the worker finds the committed row.
    if scored:
        return
    try:
        tasks.rescore_appeal.apply_async(args=[appeal_id], retry=False)
    except BROKER_ERRORS as error:
        logger.warning(
            "Appeal AP-%07d: rescoring after %s not queued (%s); the periodic pass "
            "will catch up",
            appeal_id,
            change,
            error.__class__.__name__,
        )


# Other processes see an edit when their copy ages out (scoring.INPUTS_MAX_AGE_SECONDS).
for model in SCORING_INPUTS:
    for signal in (post_save, post_delete):
        signal.connect(
            scoring.forget_scoring_inputs,
            sender=model,
            dispatch_uid="appeals.forget_scoring_inputs",
        )
