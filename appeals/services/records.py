"""Events that are not status moves: notices, effectuation, assignment, notes."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from appeals import clocks
from appeals.choices import Outcome
from appeals.models import Appeal, TimelineEvent
from appeals.models.appeal import FINAL_STATUSES
from appeals.services.base import (
    Actor,
    TransitionRefused,
    _actor_fields,
    _due,
    _lock,
    _record,
)


@transaction.atomic
def appeal_acknowledge(*, appeal: Appeal, by: Actor, now=None) -> Appeal:
    now = now or timezone.now()
    appeal = _lock(appeal)

    if appeal.acknowledged_at is not None:
        raise TransitionRefused("acknowledge", ["The appeal was already acknowledged."])
    return _record(
        appeal,
        by=by,
        now=now,
        kind=TimelineEvent.Kind.ACKNOWLEDGEMENT,
        reason="Acknowledgement sent.",
        changes={"acknowledged_at": now},
        change="acknowledged",
    )


@transaction.atomic
def appeal_record_oral_notice(*, appeal: Appeal, by: Actor, now=None) -> Appeal:
    """For an expedited case, oral notice meets the clock if written confirmation
    follows within 3 days (422.590(e)(3), 423.590(d))."""
    now = now or timezone.now()
    appeal = _lock(appeal)

    if appeal.decided_at is None:
        raise TransitionRefused("oral_notice", ["Decide the case first."])
    confirmation = clocks.written_confirmation_deadline(
        line_of_business=appeal.line_of_business, oral_notice_at=now
    )
    return _record(
        appeal,
        by=by,
        now=now,
        kind=TimelineEvent.Kind.NOTICE,
        reason="Decision given orally.",
        changes={"oral_notice_at": now, "written_confirmation_by": _due(confirmation)},
        deadlines=[confirmation] if confirmation else [],
        change="oral_notice",
    )


@transaction.atomic
def appeal_record_effectuation(
    *, appeal: Appeal, by: Actor, note: str = "", now=None
) -> Appeal:
    now = now or timezone.now()
    appeal = _lock(appeal)

    if appeal.outcome not in (Outcome.OVERTURNED, Outcome.PARTIALLY_OVERTURNED):
        raise TransitionRefused("effectuate", ["Only an overturn is effectuated."])
    if appeal.effectuated_at is not None:
        raise TransitionRefused("effectuate", ["The overturn is already effectuated."])
    return _record(
        appeal,
        by=by,
        now=now,
        kind=TimelineEvent.Kind.EFFECTUATION,
        reason=note or "Overturn effectuated.",
        changes={"effectuated_at": now},
        data={"on_time": clocks.is_met(now, appeal.effectuate_by or appeal.pay_by)},
        change="effectuated",
    )


@transaction.atomic
def appeal_record_forward_notice(*, appeal: Appeal, by: Actor, now=None) -> Appeal:
    now = now or timezone.now()
    appeal = _lock(appeal)

    if appeal.forwarded_at is None:
        raise TransitionRefused("forward_notice", ["The case has not been forwarded."])
    return _record(
        appeal,
        by=by,
        now=now,
        kind=TimelineEvent.Kind.NOTICE,
        reason="Member told that the case went to independent review.",
        changes={"forward_notice_at": now},
        change="forward_notice",
    )


@transaction.atomic
def appeal_assign(
    *, appeal: Appeal, assignee: AbstractBaseUser | None, by: Actor, reason="", now=None
) -> Appeal:
    now = now or timezone.now()
    appeal = _lock(appeal)

    if appeal.status in FINAL_STATUSES:
        raise TransitionRefused("assign", ["A finished case is not assigned."])
    previous = appeal.assignee.get_username() if appeal.assignee else None
    return _record(
        appeal,
        by=by,
        now=now,
        kind=TimelineEvent.Kind.ASSIGNMENT,
        reason=reason,
        changes={"assignee": assignee, "assigned_at": now if assignee else None},
        data={
            "from": previous,
            "to": assignee.get_username() if assignee else None,
        },
        change="assigned",
    )


@transaction.atomic
def appeal_add_note(*, appeal: Appeal, by: Actor, text: str, now=None) -> TimelineEvent:
    if not text.strip():
        raise TransitionRefused("note", ["A note needs some text."])
    return TimelineEvent.objects.create(
        appeal=appeal,
        kind=TimelineEvent.Kind.NOTE,
        at=now or timezone.now(),
        reason=text,
        **_actor_fields(by),
    )
