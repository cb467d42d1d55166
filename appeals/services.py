"""Every change to an appeal goes through these functions.

Each one is a single transaction that changes the appeal, writes its timeline rows and,
after commit, announces the change (`appeal_changed`) so that scoring and alerts follow.
Transitions are optimistic: a second person acting on a stale copy gets AppealConflict.
Other changes lock the row first.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone
from django_fsm import ConcurrentTransition, can_proceed

from appeals import clocks
from appeals.choices import (
    ExpediteDecision,
    ExpediteRequester,
    ExtensionReason,
    Flag,
    Outcome,
    Priority,
    RequesterType,
)
from appeals.denials import category_for_reason_codes
from appeals.models import Appeal, Member, Provider, Status, TimelineEvent
from appeals.models.appeal import ADVERSE_OUTCOMES, AWAITING_DECISION, FINAL_STATUSES
from appeals.roles import is_physician

logger = logging.getLogger(__name__)

# Sent after commit with `appeal_id` and `change` (a short word such as "created").
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


def _deadline_events(
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


def _announce(appeal: Appeal, change: str) -> None:
    appeal_id = appeal.pk
    transaction.on_commit(
        lambda: appeal_changed.send(sender=Appeal, appeal_id=appeal_id, change=change)
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


def _intake_priority(
    *,
    line_of_business: str,
    kind: str,
    requested_priority: str,
    expedite_requested_by: str,
    requester_type: str,
) -> tuple[str, str, str, list[str]]:
    """Returns (priority in force, expedite decision, who asked, flags).

    A physician's request is expedited at intake; a member's is expedited pending triage
    (422.584(c), 438.410(a)). A payment appeal cannot be expedited, but is still taken
    on the standard clock and flagged."""
    if requested_priority != Priority.EXPEDITED and not expedite_requested_by:
        return Priority.STANDARD, ExpediteDecision.NOT_REQUESTED, "", []

    if not expedite_requested_by:
        expedite_requested_by = (
            ExpediteRequester.PHYSICIAN
            if requester_type == RequesterType.PROVIDER
            else ExpediteRequester.MEMBER
        )

    priority, not_applicable = clocks.effective_priority(
        line_of_business=line_of_business, kind=kind, requested=Priority.EXPEDITED
    )
    if not_applicable:
        return (
            Priority.STANDARD,
            ExpediteDecision.NOT_APPLICABLE,
            expedite_requested_by,
            [Flag.EXPEDITE_NOT_APPLICABLE],
        )

    decision = (
        ExpediteDecision.GRANTED
        if expedite_requested_by == ExpediteRequester.PHYSICIAN
        else ExpediteDecision.PENDING
    )
    return priority, decision, expedite_requested_by, []


@transaction.atomic
def appeal_create(
    *,
    by: Actor,
    member: Member,
    provider: Provider | None,
    line_of_business: str,
    kind: str,
    received_at: datetime,
    channel: str,
    requester_type: str,
    denial: DenialFacts,
    requested_priority: str = Priority.STANDARD,
    expedite_requested_by: str = "",
    requester_name: str = "",
    requester_npi: str = "",
    summary: str = "",
    external_id: str = "",
    extra_flags: list[str] | None = None,
    now: datetime | None = None,
) -> Appeal:
    now = now or timezone.now()

    priority, expedite_decision, expedite_requested_by, flags = _intake_priority(
        line_of_business=line_of_business,
        kind=kind,
        requested_priority=requested_priority,
        expedite_requested_by=expedite_requested_by,
        requester_type=requester_type,
    )
    case_clocks = clocks.case_clocks(
        line_of_business=line_of_business,
        kind=kind,
        priority=priority,
        received_at=received_at,
        denial_notice_date=denial.notice_date,
    )
    if case_clocks.untimely_filing:
        flags.append(Flag.UNTIMELY_FILING)
    flags.extend(flag for flag in extra_flags or [] if flag not in flags)

    appeal = Appeal.objects.create(
        external_id=external_id,
        line_of_business=line_of_business,
        kind=kind,
        priority=priority,
        expedite_requested_by=expedite_requested_by,
        expedite_decision=expedite_decision,
        requester_type=requester_type,
        requester_name=requester_name,
        requester_npi=requester_npi,
        channel=channel,
        member=member,
        provider=provider,
        denial_notice_date=denial.notice_date,
        denial_reason_codes=denial.reason_codes,
        denial_category=denial.category
        or category_for_reason_codes(denial.reason_codes),
        denial_claim_number=denial.claim_number,
        denial_authorization_number=denial.authorization_number,
        denial_service_codes=denial.service_codes,
        denial_diagnosis_codes=denial.diagnosis_codes,
        denial_amount=denial.amount,
        denial_decided_by=denial.decided_by,
        summary=summary,
        received_at=received_at,
        flags=flags,
        **_clock_fields(case_clocks),
    )

    TimelineEvent.objects.bulk_create(
        [
            _event(
                appeal,
                kind=TimelineEvent.Kind.CREATED,
                at=now,
                by=by,
                to_status=appeal.status,
                reason=f"Received {received_at.isoformat()} by {channel}.",
                data={
                    "priority": priority,
                    "expedite_decision": expedite_decision,
                    "flags": flags,
                },
            ),
            *_deadline_events(appeal, case_clocks.all(), at=now, by=by),
        ]
    )
    _announce(appeal, "created")

    logger.info("Appeal %s received (%s)", appeal.case_number, appeal.clock_rule_id)
    return appeal


# Plain words for each condition of the state machine, shown when a move is refused.
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
    _announce(appeal, name)

    logger.info(
        "Appeal %s: %s (%s -> %s)", appeal.case_number, name, source, appeal.status
    )
    return appeal


def _require_reason(reason: str, transition: str) -> None:
    if not reason.strip():
        raise TransitionRefused(transition, ["Give a reason."])


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
        extra_events=_deadline_events(appeal, deadlines, at=now, by=by),
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
            *_deadline_events(appeal, list(deadlines), at=now, by=by),
        ]
    )
    _announce(appeal, change)

    logger.info("Appeal %s: %s", appeal.case_number, change)
    return appeal


def _refuse_unless_awaiting_decision(appeal: Appeal, action: str) -> None:
    if appeal.status not in AWAITING_DECISION:
        label = Status(appeal.status).label.lower()
        raise TransitionRefused(action, [f"The case is already {label}."])


@transaction.atomic
def appeal_take_extension(
    *, appeal: Appeal, by: Actor, reason: str, explanation: str = "", now=None
) -> Appeal:
    """Extend the decision deadline by 14 days (REGULATORY.md section 2)."""
    now = now or timezone.now()
    appeal = _lock(appeal)

    _refuse_unless_awaiting_decision(appeal, "take_extension")
    rule = clocks.rule_for(
        line_of_business=appeal.line_of_business,
        kind=appeal.kind,
        priority=appeal.priority,
    )
    refusals = []
    if not clocks.may_extend(rule):
        refusals.append(
            f"No extension is allowed for this case type ({rule.citation})."
        )
    if appeal.extended_at is not None:
        refusals.append("The extension has already been taken.")
    if appeal.decide_by is not None and now > appeal.decide_by:
        refusals.append("The decision deadline has already passed.")
    if reason not in ExtensionReason.values:
        refusals.append("Give the reason: member_request or plan_needs_information.")
    if refusals:
        raise TransitionRefused("take_extension", refusals)

    case_clocks = clocks.case_clocks(
        line_of_business=appeal.line_of_business,
        kind=appeal.kind,
        priority=appeal.priority,
        received_at=appeal.received_at,
        denial_notice_date=appeal.denial_notice_date,
        extended=True,
        # An upgraded case extends from the deadline in force, not from receipt.
        expedited_at=appeal.expedited_at,
        current_decide_by=appeal.decide_by if appeal.expedited_at else None,
    )
    notice = clocks.extension_notice_deadline(
        line_of_business=appeal.line_of_business, extended_at=now
    )
    return _record(
        appeal,
        by=by,
        now=now,
        kind=TimelineEvent.Kind.EXTENSION,
        reason=explanation or ExtensionReason(reason).label,
        changes={
            "extended_at": now,
            "extension_reason": reason,
            "decide_by": case_clocks.decide_by.due,
            "extension_notice_by": _due(notice),
        },
        data={"reason": reason, "previous_decide_by": appeal.decide_by.isoformat()},
        deadlines=[case_clocks.decide_by, *([notice] if notice else [])],
        change="extension",
    )


@transaction.atomic
def appeal_refuse_expedite(
    *, appeal: Appeal, by: Actor, reason: str, now=None
) -> Appeal:
    """The standard clock runs from the original receipt (422.584(d), 423.570(d))."""
    now = now or timezone.now()
    appeal = _lock(appeal)

    _refuse_unless_awaiting_decision(appeal, "refuse_expedite")
    _require_reason(reason, "refuse_expedite")
    if appeal.priority != Priority.EXPEDITED:
        raise TransitionRefused("refuse_expedite", ["The case is not expedited."])
    if appeal.expedite_requested_by == ExpediteRequester.PHYSICIAN:
        raise TransitionRefused(
            "refuse_expedite",
            [
                "A physician's request to expedite must be granted "
                "(42 CFR 422.584(c)(2)(ii), 438.410(a))."
            ],
        )

    case_clocks = clocks.case_clocks(
        line_of_business=appeal.line_of_business,
        kind=appeal.kind,
        priority=Priority.STANDARD,
        received_at=appeal.received_at,
        denial_notice_date=appeal.denial_notice_date,
        extended=appeal.extended_at is not None,
    )
    notice = clocks.expedite_refusal_notice_deadline(
        line_of_business=appeal.line_of_business, refused_at=now
    )
    return _record(
        appeal,
        by=by,
        now=now,
        kind=TimelineEvent.Kind.PRIORITY,
        reason=reason,
        changes={
            "priority": Priority.STANDARD,
            "expedite_decision": ExpediteDecision.REFUSED,
            "expedited_at": None,
            **_clock_fields(case_clocks),
            "expedite_refusal_notice_by": _due(notice),
        },
        data={"from": Priority.EXPEDITED, "to": Priority.STANDARD},
        deadlines=[*case_clocks.all(), *([notice] if notice else [])],
        change="priority",
    )


@transaction.atomic
def appeal_grant_expedite(
    *,
    appeal: Appeal,
    by: Actor,
    reason: str,
    requested_by: str = ExpediteRequester.PHYSICIAN,
    now=None,
) -> Appeal:
    """Grant a pending request, or upgrade a standard case when support arrives later:
    the decision is then due at the earlier of the current deadline and 72 hours from
    now (REGULATORY.md section 2, a judgement)."""
    now = now or timezone.now()
    appeal = _lock(appeal)

    _refuse_unless_awaiting_decision(appeal, "grant_expedite")
    _require_reason(reason, "grant_expedite")
    priority, not_applicable = clocks.effective_priority(
        line_of_business=appeal.line_of_business,
        kind=appeal.kind,
        requested=Priority.EXPEDITED,
    )
    if not_applicable:
        raise TransitionRefused(
            "grant_expedite", ["A payment appeal cannot be expedited."]
        )

    if appeal.priority == Priority.EXPEDITED:
        return _record(
            appeal,
            by=by,
            now=now,
            kind=TimelineEvent.Kind.PRIORITY,
            reason=reason,
            changes={"expedite_decision": ExpediteDecision.GRANTED},
            data={"from": Priority.EXPEDITED, "to": Priority.EXPEDITED},
            change="priority",
        )

    case_clocks = clocks.case_clocks(
        line_of_business=appeal.line_of_business,
        kind=appeal.kind,
        priority=priority,
        received_at=appeal.received_at,
        denial_notice_date=appeal.denial_notice_date,
        # current_decide_by already holds any extension taken before the upgrade.
        extended=False,
        expedited_at=now,
        current_decide_by=appeal.decide_by,
    )
    return _record(
        appeal,
        by=by,
        now=now,
        kind=TimelineEvent.Kind.PRIORITY,
        reason=reason,
        changes={
            "priority": Priority.EXPEDITED,
            "expedite_decision": ExpediteDecision.GRANTED,
            "expedite_requested_by": appeal.expedite_requested_by or requested_by,
            "expedited_at": now,
            **_clock_fields(case_clocks),
        },
        data={"from": Priority.STANDARD, "to": Priority.EXPEDITED},
        deadlines=case_clocks.all(),
        change="priority",
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
        data={"on_time": clocks.is_met(now, appeal.effectuate_by)},
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
