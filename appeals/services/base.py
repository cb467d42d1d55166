"""What every appeal service shares: the change signal, the refusal errors, and the
helpers that write timeline rows."""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.dispatch import Signal

from appeals import clocks
from appeals.models import Appeal, Status, TimelineEvent
from appeals.models.appeal import AWAITING_DECISION

logger = logging.getLogger(__name__)

# Sent after commit with `appeal_id`, `change` (a short word such as "created") and
# `scored` (whether the change already stored a fresh score).
appeal_changed = Signal()

Actor = AbstractBaseUser | str


class TransitionRefused(Exception):
    def __init__(self, transition: str, reasons: list[str]):
        self.transition = transition
        self.reasons = reasons
        super().__init__(" ".join(reasons))


class AppealConflict(Exception):
    """Someone else changed the case first; reload it and look again."""


# Checks that other apps add to a decision (casework adds the review protocol) without
# appeals importing them. Each takes (appeal, decider, outcome) and returns refusals.
DecisionGuard = Callable[[Appeal, AbstractBaseUser, str], list[str]]
_decision_guards: list[DecisionGuard] = []


def register_decision_guard(guard: DecisionGuard) -> None:
    if guard not in _decision_guards:
        _decision_guards.append(guard)


@dataclass
class DenialFacts:
    notice_date: date | None = None
    reason_codes: list[str] = field(default_factory=list)
    category: str = ""
    claim_number: str = ""
    authorization_number: str = ""
    service_codes: list[str] = field(default_factory=list)
    diagnosis_codes: list[str] = field(default_factory=list)
    amount: Decimal | None = None
    decided_by: str = ""


def _actor_fields(by: Actor) -> dict:
    if isinstance(by, str):
        return {"actor": None, "actor_label": by}
    return {"actor": by, "actor_label": by.get_username()}


def _event(appeal: Appeal, *, kind: str, at: datetime, by: Actor, **values):
    return TimelineEvent(appeal=appeal, kind=kind, at=at, **_actor_fields(by), **values)


def deadline_events(
    appeal: Appeal, deadlines: list[clocks.Deadline], *, at: datetime, by: Actor
) -> list[TimelineEvent]:
    return [
        _event(
            appeal,
            kind=TimelineEvent.Kind.DEADLINE,
            at=at,
            by=by,
            reason=f"{deadline.name} computed by rule {deadline.rule_id}",
            data={
                "name": deadline.name,
                "due": deadline.due.isoformat(),
                "rule_id": deadline.rule_id,
                "citation": deadline.citation,
                "inputs": deadline.inputs,
            },
        )
        for deadline in deadlines
    ]


def announce_change(appeal: Appeal, change: str, *, scored: bool = False) -> None:
    """`scored` says the service stored a fresh score with the change itself."""
    appeal_id = appeal.pk
    transaction.on_commit(
        lambda: appeal_changed.send(
            sender=Appeal, appeal_id=appeal_id, change=change, scored=scored
        )
    )


def _due(deadline: clocks.Deadline | None) -> datetime | None:
    return deadline.due if deadline is not None else None


def _clock_fields(case_clocks: clocks.CaseClocks) -> dict:
    return {
        "clock_rule_id": case_clocks.rule.rule_id,
        "acknowledge_by": _due(case_clocks.acknowledge_by),
        "decide_by": case_clocks.decide_by.due,
        "extended_decide_by": _due(case_clocks.extended_decide_by),
        "filing_deadline": _due(case_clocks.filing_deadline),
    }


def _require_reason(reason: str, transition: str) -> None:
    if not reason.strip():
        raise TransitionRefused(transition, ["Give a reason."])


def _lock(appeal: Appeal) -> Appeal:
    return Appeal.objects.select_for_update().get(pk=appeal.pk)


def _record(
    appeal: Appeal,
    *,
    by: Actor,
    now: datetime,
    kind: str,
    reason: str,
    changes: dict,
    data: dict | None = None,
    deadlines: list[clocks.Deadline] = (),
    change: str,
) -> Appeal:
    """Apply a change that is not a status move to a row already locked by _lock."""
    for field_name, value in changes.items():
        setattr(appeal, field_name, value)
    appeal.save(update_fields=["updated_at", *changes])

    TimelineEvent.objects.bulk_create(
        [
            _event(appeal, kind=kind, at=now, by=by, reason=reason, data=data or {}),
            *deadline_events(appeal, list(deadlines), at=now, by=by),
        ]
    )
    announce_change(appeal, change)

    logger.info("Appeal %s: %s", appeal.case_number, change)
    return appeal


def _refuse_unless_awaiting_decision(appeal: Appeal, action: str) -> None:
    if appeal.status not in AWAITING_DECISION:
        label = Status(appeal.status).label.lower()
        raise TransitionRefused(action, [f"The case is already {label}."])
