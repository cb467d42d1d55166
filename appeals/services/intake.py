"""Receiving an appeal: its priority at intake, its clocks, its first timeline rows."""

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from appeals import clocks
from appeals.choices import (
    Channel,
    ExpediteDecision,
    ExpediteRequester,
    Flag,
    Priority,
    RequesterType,
)
from appeals.denials import category_for_reason_codes
from appeals.models import Appeal, Member, Provider, TimelineEvent
from appeals.services.base import (
    Actor,
    DenialFacts,
    _clock_fields,
    _event,
    announce_change,
    deadline_events,
)

logger = logging.getLogger(__name__)


def _received_line(received_at: datetime, channel: str) -> str:
    local = received_at.astimezone(clocks.plan_zone())
    return f"Received {local:%Y-%m-%d %H:%M %Z} by {Channel(channel).label.lower()}."


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
    integration=None,
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
        integration=integration,
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
                reason=_received_line(received_at, channel),
                data={
                    "priority": priority,
                    "expedite_decision": expedite_decision,
                    "flags": flags,
                },
            ),
            *deadline_events(appeal, case_clocks.all(), at=now, by=by),
        ]
    )
    announce_change(appeal, "created")

    logger.info("Appeal %s received (%s)", appeal.case_number, appeal.clock_rule_id)
    return appeal


# Plain words for each condition of the state machine, shown when a move is refused.
