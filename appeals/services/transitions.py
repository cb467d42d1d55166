"""The moves of the state machine, each wrapped with its timeline row."""

import logging
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django_fsm import ConcurrentTransition, can_proceed

from appeals import clocks
from appeals.choices import Outcome
from appeals.models import Appeal, Status, TimelineEvent
from appeals.models.appeal import ADVERSE_OUTCOMES, AWAITING_DECISION
from appeals.roles import is_physician
from appeals.services.base import (
    Actor,
    AppealConflict,
    TransitionRefused,
    _decision_guards,
    _event,
    _require_reason,
    announce_change,
    deadline_events,
)

logger = logging.getLogger(__name__)


def _condition_refusals(appeal: Appeal) -> dict[str, list[str]]:
    return {
        "_may_send_notice": [
            "An adverse Medicare Advantage decision is forwarded to the independent "
            "review entity rather than closed with a notice (42 CFR 422.590)."
        ],
        "_may_forward_decided": [
            "Only an adverse Medicare Advantage decision is forwarded to independent "
            "review."
        ],
        "_may_forward_missed": [
            "Before a decision, a case is forwarded only when its Medicare decision "
            "deadline has passed."
        ],
        "_has_no_open_obligation": appeal.open_obligations(),
    }


def transition_refusals(appeal: Appeal, name: str) -> list[str]:
    """Why `name` cannot happen now, in words a reviewer understands (empty if it
    can)."""
    method = getattr(appeal, name)
    if can_proceed(method):
        return []

    meta = method._django_fsm
    if not meta.has_transition(appeal.status):
        label = Status(appeal.status).label.lower()
        return [f"A case that is {label} cannot {name.replace('_', ' ')}."]

    refusals = _condition_refusals(appeal)
    reasons = []
    for condition in meta.get_transition(appeal.status).conditions:
        if not condition(appeal):
            reasons.extend(refusals.get(condition.__name__, [condition.__name__]))
    return reasons


def _transition(
    appeal: Appeal,
    name: str,
    *,
    by: Actor,
    now: datetime,
    reason: str = "",
    data: dict | None = None,
    changes: dict | None = None,
    extra_events: list[TimelineEvent] = (),
) -> Appeal:
    reasons = transition_refusals(appeal, name)
    if reasons:
        raise TransitionRefused(name, reasons)

    source = appeal.status
    changes = changes or {}
    getattr(appeal, name)()
    for field_name, value in changes.items():
        setattr(appeal, field_name, value)

    try:
        with transaction.atomic():
            appeal.save(update_fields=["status", "updated_at", *changes])
            TimelineEvent.objects.bulk_create(
                [
                    _event(
                        appeal,
                        kind=TimelineEvent.Kind.TRANSITION,
                        at=now,
                        by=by,
                        transition=name,
                        from_status=source,
                        to_status=appeal.status,
                        reason=reason,
                        data=data or {},
                    ),
                    *extra_events,
                ]
            )
    except ConcurrentTransition:
        appeal.refresh_from_db()
        raise AppealConflict(
            f"{appeal.case_number} was changed by someone else while you were "
            f"working on it; it is now {Status(appeal.status).label.lower()}."
        ) from None
    announce_change(appeal, name)

    logger.info(
        "Appeal %s: %s (%s -> %s)", appeal.case_number, name, source, appeal.status
    )
    return appeal


@transaction.atomic
def appeal_accept(*, appeal: Appeal, by: Actor, reason: str = "", now=None) -> Appeal:
    return _transition(
        appeal, "accept", by=by, now=now or timezone.now(), reason=reason
    )


@transaction.atomic
def appeal_dismiss(*, appeal: Appeal, by: Actor, reason: str, now=None) -> Appeal:
    _require_reason(reason, "dismiss")
    now = now or timezone.now()
    return _transition(
        appeal, "dismiss", by=by, now=now, reason=reason, changes={"closed_at": now}
    )


@transaction.atomic
def appeal_request_info(
    *, appeal: Appeal, by: Actor, what: str, reply_by: datetime | None = None, now=None
) -> Appeal:
    """The decision clock keeps running while the plan waits for records."""
    _require_reason(what, "request_info")
    data = {"reply_by": reply_by.isoformat() if reply_by else None}
    return _transition(
        appeal,
        "request_info",
        by=by,
        now=now or timezone.now(),
        reason=what,
        data=data,
    )


@transaction.atomic
def appeal_info_received(
    *, appeal: Appeal, by: Actor, reason: str = "", now=None
) -> Appeal:
    return _transition(
        appeal, "info_received", by=by, now=now or timezone.now(), reason=reason
    )


@transaction.atomic
def appeal_refer_to_physician(
    *, appeal: Appeal, by: Actor, reason: str, now=None
) -> Appeal:
    _require_reason(reason, "refer_to_physician")
    return _transition(
        appeal, "refer_to_physician", by=by, now=now or timezone.now(), reason=reason
    )


@transaction.atomic
def appeal_return_to_review(
    *, appeal: Appeal, by: Actor, reason: str = "", now=None
) -> Appeal:
    return _transition(
        appeal, "return_to_review", by=by, now=now or timezone.now(), reason=reason
    )


def decision_refusals(appeal: Appeal, *, decider: AbstractBaseUser, outcome: str):
    """Who may decide (REGULATORY.md section 7) and what other apps require first."""
    reasons = []
    if outcome not in Outcome.values:
        reasons.append(f"'{outcome}' is not a decision outcome.")

    original = appeal.denial_decided_by.strip().lower()
    if original and original == decider.get_username().lower():
        reasons.append(
            "You made the original denial, so someone else must decide the appeal "
            "(42 CFR 422.590(h)(1))."
        )

    if (
        outcome in ADVERSE_OUTCOMES
        and appeal.is_medical_necessity
        and not is_physician(decider)
    ):
        reasons.append(
            "Only a physician may uphold a medical-necessity denial, in whole or in "
            "part (42 CFR 422.590(h)(2))."
        )

    for guard in _decision_guards:
        reasons.extend(guard(appeal, decider, outcome))
    return reasons


@transaction.atomic
def appeal_decide(
    *,
    appeal: Appeal,
    by: AbstractBaseUser,
    outcome: str,
    rationale: str,
    criteria: str = "",
    now=None,
) -> Appeal:
    now = now or timezone.now()

    reasons = transition_refusals(appeal, "decide")
    reasons += decision_refusals(appeal, decider=by, outcome=outcome)
    if not rationale.strip():
        reasons.append("A decision needs a rationale.")
    if reasons:
        raise TransitionRefused("decide", reasons)

    deadlines = []
    if outcome in (Outcome.OVERTURNED, Outcome.PARTIALLY_OVERTURNED):
        deadlines += clocks.effectuation_deadlines(
            line_of_business=appeal.line_of_business,
            kind=appeal.kind,
            priority=appeal.priority,
            received_at=appeal.received_at,
            decide_by=appeal.decide_by,
            decided_at=now,
        )
    if outcome in ADVERSE_OUTCOMES:
        forward_by = clocks.forwarding_deadline(
            line_of_business=appeal.line_of_business,
            priority=appeal.priority,
            decide_by=appeal.decide_by,
            decided_at=now,
            missed=False,
        )
        deadlines += [forward_by] if forward_by else []
    due = {deadline.name: deadline.due for deadline in deadlines}

    return _transition(
        appeal,
        "decide",
        by=by,
        now=now,
        reason=rationale,
        data={"outcome": outcome, "criteria": criteria},
        changes={
            "decided_at": now,
            "decided_by": by,
            "outcome": outcome,
            "decision_rationale": rationale,
            "decision_criteria": criteria,
            "effectuate_by": due.get("effectuate_by"),
            "pay_by": due.get("pay_by"),
            "forward_by": due.get("forward_by"),
        },
        extra_events=deadline_events(appeal, deadlines, at=now, by=by),
    )


@transaction.atomic
def appeal_send_notice(*, appeal: Appeal, by: Actor, now=None) -> Appeal:
    now = now or timezone.now()
    return _transition(
        appeal,
        "send_notice",
        by=by,
        now=now,
        reason="Written decision notice sent.",
        changes={"notified_at": now},
    )


@transaction.atomic
def appeal_forward(*, appeal: Appeal, by: Actor, reason: str = "", now=None) -> Appeal:
    now = now or timezone.now()
    missed = appeal.status in AWAITING_DECISION
    reason = reason or (
        "Decision deadline missed: forwarded to the independent review entity."
        if missed
        else "Adverse decision forwarded to the independent review entity."
    )
    return _transition(
        appeal,
        "forward",
        by=by,
        now=now,
        reason=reason,
        data={"missed_deadline": missed},
        changes={"forwarded_at": now},
    )


@transaction.atomic
def appeal_close(*, appeal: Appeal, by: Actor, reason: str = "", now=None) -> Appeal:
    now = now or timezone.now()
    return _transition(
        appeal, "close", by=by, now=now, reason=reason, changes={"closed_at": now}
    )


@transaction.atomic
def appeal_withdraw(*, appeal: Appeal, by: Actor, reason: str, now=None) -> Appeal:
    _require_reason(reason, "withdraw")
    now = now or timezone.now()
    return _transition(
        appeal, "withdraw", by=by, now=now, reason=reason, changes={"closed_at": now}
    )
