"""Changes that move the decision clock: extensions and changes of priority."""

from django.db import transaction
from django.utils import timezone

from appeals import clocks
from appeals.choices import (
    ExpediteDecision,
    ExpediteRequester,
    ExtensionReason,
    Priority,
)
from appeals.models import Appeal, TimelineEvent
from appeals.services.base import (
    Actor,
    TransitionRefused,
    _clock_fields,
    _due,
    _lock,
    _record,
    _refuse_unless_awaiting_decision,
    _require_reason,
)


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
