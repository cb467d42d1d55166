"""Receiving an appeal: its priority at intake, its clocks, its first timeline rows."""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from appeals import clocks, scoring
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


@dataclass(frozen=True)
class NewAppeal:
    """What a request for review says, as appeal_create's arguments do."""

    member: Member
    provider: Provider | None
    line_of_business: str
    kind: str
    received_at: datetime
    channel: str
    requester_type: str
    denial: DenialFacts
    requested_priority: str = Priority.STANDARD
    expedite_requested_by: str = ""
    requester_name: str = ""
    requester_npi: str = ""
    representative_authorized_at: datetime | None = None
    summary: str = ""
    external_id: str = ""
    extra_flags: Sequence[str] = ()


def appeal_create(
    *,
    by: Actor,
    integration=None,
    now: datetime | None = None,
    **request,
) -> Appeal:
    """One appeal; the keyword arguments are NewAppeal's fields."""
    return appeals_create(
        by=by, integration=integration, requests=[NewAppeal(**request)], now=now
    )[0]


@transaction.atomic
def appeals_create(
    *,
    by: Actor,
    requests: Sequence[NewAppeal],
    integration=None,
    now: datetime | None = None,
) -> list[Appeal]:
    """Receive appeals with one INSERT for the appeals and one for their timeline rows,
    however many there are. A repeated external_id fails the whole call with
    IntegrityError; the caller decides which one to report."""
    now = now or timezone.now()
    if not requests:
        return []

    received = [_received(request, integration=integration) for request in requests]
    appeals = [appeal for appeal, _ in received]
    scoring.appeals_score_new(appeals, now=now)
    Appeal.objects.bulk_create(appeals, batch_size=_rows_per_insert(Appeal))

    TimelineEvent.objects.bulk_create(
        (
            event
            for appeal, case_clocks in received
            for event in _intake_events(appeal, case_clocks, at=now, by=by)
        ),
        batch_size=_rows_per_insert(TimelineEvent),
    )
    for appeal in appeals:
        announce_change(appeal, "created", scored=True)
        logger.info("Appeal %s received (%s)", appeal.case_number, appeal.clock_rule_id)
    return appeals


def _rows_per_insert(model) -> int:
    # PostgreSQL binds at most 65,535 parameters to one statement, and Django leaves
    # the splitting of a large INSERT to the caller there.
    return 65_535 // len(model._meta.concrete_fields)


def _received(request: NewAppeal, *, integration) -> tuple[Appeal, clocks.CaseClocks]:
    """The unsaved appeal with its priority, clocks and flags."""
    denial = request.denial
    priority, expedite_decision, expedite_requested_by, flags = _intake_priority(
        line_of_business=request.line_of_business,
        kind=request.kind,
        requested_priority=request.requested_priority,
        expedite_requested_by=request.expedite_requested_by,
        requester_type=request.requester_type,
    )
    case_clocks = clocks.case_clocks(
        line_of_business=request.line_of_business,
        kind=request.kind,
        priority=priority,
        received_at=request.received_at,
        denial_notice_date=denial.notice_date,
    )
    if case_clocks.untimely_filing:
        flags.append(Flag.UNTIMELY_FILING)
    flags.extend(flag for flag in request.extra_flags if flag not in flags)

    appeal = Appeal(
        external_id=request.external_id,
        integration=integration,
        line_of_business=request.line_of_business,
        kind=request.kind,
        priority=priority,
        expedite_requested_by=expedite_requested_by,
        expedite_decision=expedite_decision,
        requester_type=request.requester_type,
        requester_name=request.requester_name,
        requester_npi=request.requester_npi,
        representative_authorized_at=request.representative_authorized_at,
        channel=request.channel,
        member=request.member,
        provider=request.provider,
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
        summary=request.summary,
        received_at=request.received_at,
        flags=flags,
        **_clock_fields(case_clocks),
    )
    return appeal, case_clocks


def _intake_events(
    appeal: Appeal, case_clocks: clocks.CaseClocks, *, at: datetime, by: Actor
) -> list[TimelineEvent]:
    created = _event(
        appeal,
        kind=TimelineEvent.Kind.CREATED,
        at=at,
        by=by,
        to_status=appeal.status,
        reason=_received_line(appeal.received_at, appeal.channel),
        data={
            "priority": appeal.priority,
            "expedite_decision": appeal.expedite_decision,
            "flags": appeal.flags,
        },
    )
    return [created, *deadline_events(appeal, case_clocks.all(), at=at, by=by)]


# Plain words for each condition of the state machine, shown when a move is refused.
