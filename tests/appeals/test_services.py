from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import DatabaseError, connection, transaction

from appeals import services
from appeals.choices import (
    DenialCategory,
    ExpediteDecision,
    Flag,
    Kind,
    LineOfBusiness,
    Outcome,
    Priority,
)
from appeals.models import Appeal, TimelineEvent
from appeals.models.timeline import TimelineIsAppendOnly
from tests.factories import make_appeal

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")
# Worked example 2 of REGULATORY.md: MA pre-service standard, 2026-04-06 15:20 EDT.
RECEIVED = datetime(2026, 4, 6, 15, 20, tzinfo=NEW_YORK)


def _deadline_events(appeal):
    return {
        event.data["name"]: event
        for event in appeal.timeline.filter(kind=TimelineEvent.Kind.DEADLINE)
    }


def test_intake_stores_the_deadlines_and_explains_each_on_the_timeline():
    appeal = make_appeal(received_at=RECEIVED)

    assert appeal.decide_by == datetime(2026, 5, 6, 23, 59, 59, tzinfo=NEW_YORK)
    assert appeal.extended_decide_by == datetime(
        2026, 5, 20, 23, 59, 59, tzinfo=NEW_YORK
    )
    assert appeal.acknowledge_by is None
    assert appeal.clock_rule_id == "MA-PRE-STD"
    decide = _deadline_events(appeal)["decide_by"]
    assert decide.data["rule_id"] == "MA-PRE-STD"
    assert "422.590" in decide.data["citation"]
    assert decide.data["due"] == appeal.decide_by.isoformat()
    assert decide.data["inputs"]["received_at"]


def test_a_physicians_expedite_request_is_granted_at_intake():
    appeal = make_appeal(
        received_at=RECEIVED,
        requested_priority=Priority.EXPEDITED,
        expedite_requested_by="physician",
    )

    assert appeal.priority == Priority.EXPEDITED
    assert appeal.expedite_decision == ExpediteDecision.GRANTED
    assert appeal.decide_by == RECEIVED + timedelta(hours=72)


def test_a_members_expedite_request_runs_the_72_hour_clock_pending_triage():
    appeal = make_appeal(
        received_at=RECEIVED,
        requested_priority=Priority.EXPEDITED,
        expedite_requested_by="member",
    )

    assert appeal.priority == Priority.EXPEDITED
    assert appeal.expedite_decision == ExpediteDecision.PENDING
    assert appeal.decide_by == RECEIVED + timedelta(hours=72)


def test_a_payment_appeal_asking_to_be_expedited_is_taken_on_the_standard_clock():
    appeal = make_appeal(
        kind=Kind.POST_SERVICE,
        received_at=RECEIVED,
        requested_priority=Priority.EXPEDITED,
        expedite_requested_by="physician",
    )

    assert appeal.priority == Priority.STANDARD
    assert appeal.flags == [Flag.EXPEDITE_NOT_APPLICABLE]
    assert appeal.expedite_decision == ExpediteDecision.NOT_APPLICABLE
    assert appeal.decide_by == datetime(2026, 6, 5, 23, 59, 59, tzinfo=NEW_YORK)


def test_a_late_filing_is_accepted_and_flagged_for_good_cause_review():
    appeal = make_appeal(
        received_at=RECEIVED,
        denial=services.DenialFacts(
            notice_date=date(2025, 12, 1), reason_codes=["CO-50"]
        ),
    )

    assert appeal.status == "received"
    assert Flag.UNTIMELY_FILING in appeal.flags
    assert appeal.filing_deadline is not None


def test_the_denial_category_comes_from_the_reason_codes_when_not_given():
    appeal = make_appeal(denial=services.DenialFacts(reason_codes=["PR-204", "CO-50"]))

    assert appeal.denial_category == DenialCategory.NOT_COVERED


def test_refusing_a_members_expedite_puts_the_standard_clock_back_from_receipt(
    reviewer,
):
    appeal = make_appeal(
        line_of_business=LineOfBusiness.MEDICAID,
        received_at=RECEIVED,
        requested_priority=Priority.EXPEDITED,
        expedite_requested_by="member",
    )
    refused_at = RECEIVED + timedelta(hours=5)

    appeal = services.appeal_refuse_expedite(
        appeal=appeal, by=reviewer, reason="No jeopardy to health", now=refused_at
    )

    assert appeal.priority == Priority.STANDARD
    assert appeal.expedite_decision == ExpediteDecision.REFUSED
    assert appeal.decide_by == datetime(2026, 5, 6, 23, 59, 59, tzinfo=NEW_YORK)
    assert appeal.acknowledge_by is not None
    # Medicaid: written notice of the refusal within 2 calendar days (438.410(c)).
    assert appeal.expedite_refusal_notice_by == datetime(
        2026, 4, 8, 23, 59, 59, tzinfo=NEW_YORK
    )
    assert appeal.timeline.filter(kind=TimelineEvent.Kind.PRIORITY).count() == 1


def test_a_physicians_expedite_request_cannot_be_refused(reviewer):
    appeal = make_appeal(
        requested_priority=Priority.EXPEDITED, expedite_requested_by="physician"
    )

    with pytest.raises(services.TransitionRefused, match="must be granted"):
        services.appeal_refuse_expedite(appeal=appeal, by=reviewer, reason="No")


def test_upgrading_to_expedited_takes_the_earlier_of_the_two_deadlines(reviewer):
    appeal = make_appeal(received_at=RECEIVED)
    early = RECEIVED + timedelta(days=2)
    late = datetime(2026, 5, 5, 12, 0, tzinfo=NEW_YORK)

    upgraded = services.appeal_grant_expedite(
        appeal=appeal, by=reviewer, reason="Physician letter arrived", now=early
    )
    assert upgraded.decide_by == early + timedelta(hours=72)
    assert upgraded.acknowledge_by is None

    other = make_appeal(received_at=RECEIVED)
    upgraded_late = services.appeal_grant_expedite(
        appeal=other, by=reviewer, reason="Physician letter arrived", now=late
    )
    assert upgraded_late.decide_by == datetime(2026, 5, 6, 23, 59, 59, tzinfo=NEW_YORK)


def test_an_extension_adds_fourteen_days_and_is_explained(reviewer):
    appeal = make_appeal(received_at=RECEIVED)

    appeal = services.appeal_take_extension(
        appeal=appeal,
        by=reviewer,
        reason="plan_needs_information",
        now=RECEIVED + timedelta(days=10),
    )

    assert appeal.decide_by == datetime(2026, 5, 20, 23, 59, 59, tzinfo=NEW_YORK)
    event = appeal.timeline.get(kind=TimelineEvent.Kind.EXTENSION)
    assert datetime.fromisoformat(event.data["previous_decide_by"]) == datetime(
        2026, 5, 6, 23, 59, 59, tzinfo=NEW_YORK
    )


def test_an_extension_is_refused_where_the_rules_allow_none(reviewer):
    appeal = make_appeal(kind=Kind.POST_SERVICE, received_at=RECEIVED)

    with pytest.raises(services.TransitionRefused, match="No extension is allowed"):
        services.appeal_take_extension(
            appeal=appeal, by=reviewer, reason="member_request", now=RECEIVED
        )


def test_an_extension_is_refused_after_the_deadline_and_taken_only_once(reviewer):
    appeal = make_appeal(received_at=RECEIVED)
    late = appeal.decide_by + timedelta(seconds=1)

    with pytest.raises(services.TransitionRefused, match="already passed"):
        services.appeal_take_extension(
            appeal=appeal, by=reviewer, reason="member_request", now=late
        )

    services.appeal_take_extension(
        appeal=appeal, by=reviewer, reason="member_request", now=RECEIVED
    )
    with pytest.raises(services.TransitionRefused, match="already been taken"):
        services.appeal_take_extension(
            appeal=appeal, by=reviewer, reason="member_request", now=RECEIVED
        )


def test_only_a_physician_may_uphold_a_medical_necessity_denial(nurse, physician):
    appeal = make_appeal(
        denial=services.DenialFacts(reason_codes=["CO-50"], decided_by="dr.jones")
    )
    services.appeal_accept(appeal=appeal, by=nurse)

    refusals = services.decision_refusals(appeal, decider=nurse, outcome=Outcome.UPHELD)
    assert refusals == [
        "Only a physician may uphold a medical-necessity denial, in whole or in "
        "part (42 CFR 422.590(h)(2))."
    ]
    assert services.decision_refusals(appeal, decider=nurse, outcome="overturned") == []

    services.appeal_decide(
        appeal=appeal, by=physician, outcome=Outcome.UPHELD, rationale="Not met"
    )
    assert appeal.outcome == Outcome.UPHELD


def test_the_person_who_made_the_denial_may_not_decide_its_appeal(physician):
    appeal = make_appeal(
        denial=services.DenialFacts(reason_codes=["CO-50"], decided_by="DR.PATEL")
    )
    services.appeal_accept(appeal=appeal, by=physician)

    with pytest.raises(services.TransitionRefused) as refused:
        services.appeal_decide(
            appeal=appeal, by=physician, outcome="overturned", rationale="Met"
        )

    assert "You made the original denial" in refused.value.reasons[0]
    appeal.refresh_from_db()
    assert appeal.status == "in_review"


def test_a_registered_decision_guard_can_refuse_a_decision(reviewer):
    appeal = make_appeal()
    services.appeal_accept(appeal=appeal, by=reviewer)

    def protocol_incomplete(appeal, decider, outcome):
        return ["Step 3 of the review protocol is not complete."]

    services.register_decision_guard(protocol_incomplete)
    try:
        with pytest.raises(services.TransitionRefused) as refused:
            services.appeal_decide(
                appeal=appeal, by=reviewer, outcome="overturned", rationale="Met"
            )
    finally:
        services.base._decision_guards.remove(protocol_incomplete)

    assert refused.value.reasons == ["Step 3 of the review protocol is not complete."]


def test_an_overturn_sets_the_effectuation_deadline(physician):
    appeal = make_appeal(received_at=RECEIVED)
    services.appeal_accept(appeal=appeal, by=physician)

    services.appeal_decide(
        appeal=appeal,
        by=physician,
        outcome=Outcome.OVERTURNED,
        rationale="Criteria met",
        now=RECEIVED + timedelta(days=3),
    )

    # MA pre-service standard: effectuate by the decision deadline (422.618(a)(1)).
    assert appeal.effectuate_by == appeal.decide_by
    assert appeal.forward_by is None
    assert "effectuate_by" in _deadline_events(appeal)


def test_an_adverse_ma_decision_sets_the_forwarding_deadline(physician):
    appeal = make_appeal(received_at=RECEIVED)
    services.appeal_accept(appeal=appeal, by=physician)

    services.appeal_decide(
        appeal=appeal,
        by=physician,
        outcome=Outcome.UPHELD,
        rationale="Not met",
        now=RECEIVED + timedelta(days=3),
    )

    assert appeal.forward_by == appeal.decide_by
    assert appeal.effectuate_by is None


def test_the_timeline_cannot_be_edited_or_deleted_through_the_orm():
    appeal = make_appeal()
    event = appeal.timeline.first()

    event.reason = "rewritten"
    with pytest.raises(TimelineIsAppendOnly):
        event.save()
    with pytest.raises(TimelineIsAppendOnly):
        event.delete()
    with pytest.raises(TimelineIsAppendOnly):
        TimelineEvent.objects.filter(appeal=appeal).update(reason="x")
    with pytest.raises(TimelineIsAppendOnly):
        TimelineEvent.objects.filter(appeal=appeal).delete()


@pytest.mark.postgres
def test_the_database_refuses_a_raw_update_of_the_timeline():
    appeal = make_appeal()

    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE appeals_timelineevent SET reason = 'x' WHERE appeal_id = %s",
            [appeal.pk],
        )


def test_case_numbers_are_readable_and_find_their_appeal():
    appeal = make_appeal()

    assert appeal.case_number == f"AP-{appeal.pk:07d}"
    assert Appeal.objects.by_case_number(appeal.case_number.lower()).get() == appeal
    assert not Appeal.objects.by_case_number("AP-12x").exists()


def test_assignment_is_recorded_and_refused_for_finished_cases(reviewer, supervisor):
    appeal = make_appeal()

    appeal = services.appeal_assign(
        appeal=appeal, assignee=reviewer, by=supervisor, reason="Balance load"
    )
    assert appeal.assignee == reviewer
    event = appeal.timeline.get(kind=TimelineEvent.Kind.ASSIGNMENT)
    assert event.data == {"from": None, "to": "rita.reviewer"}

    services.appeal_withdraw(appeal=appeal, by="member-portal", reason="Resolved")
    with pytest.raises(services.TransitionRefused):
        services.appeal_assign(appeal=appeal, assignee=supervisor, by=supervisor)


def test_oral_notice_of_an_expedited_decision_sets_written_confirmation(physician):
    appeal = make_appeal(
        received_at=RECEIVED,
        requested_priority=Priority.EXPEDITED,
        expedite_requested_by="physician",
    )
    services.appeal_accept(appeal=appeal, by=physician)
    services.appeal_decide(
        appeal=appeal, by=physician, outcome="overturned", rationale="Met"
    )
    called_at = datetime(2026, 4, 8, 10, 0, tzinfo=NEW_YORK)

    appeal = services.appeal_record_oral_notice(
        appeal=appeal, by=physician, now=called_at
    )

    assert appeal.written_confirmation_by == datetime(
        2026, 4, 11, 23, 59, 59, tzinfo=NEW_YORK
    )


def test_a_change_is_announced_only_after_commit(django_capture_on_commit_callbacks):
    heard = []

    def listener(sender, appeal_id, change, **kwargs):
        heard.append((appeal_id, change))

    services.appeal_changed.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            appeal = make_appeal()
        assert heard == []
        for callback in callbacks:
            callback()
    finally:
        services.appeal_changed.disconnect(listener)

    assert heard == [(appeal.pk, "created")]


def test_an_extension_after_an_upgrade_adds_fourteen_days_to_the_deadline_in_force(
    reviewer,
):
    appeal = make_appeal(received_at=RECEIVED)
    upgraded_at = RECEIVED + timedelta(days=20)
    appeal = services.appeal_grant_expedite(
        appeal=appeal, by=reviewer, reason="Physician letter", now=upgraded_at
    )

    appeal = services.appeal_take_extension(
        appeal=appeal,
        by=reviewer,
        reason="member_request",
        now=upgraded_at + timedelta(hours=1),
    )

    assert appeal.decide_by == upgraded_at + timedelta(hours=72 + 14 * 24)


def test_an_upgrade_after_an_extension_never_lengthens_the_deadline(reviewer):
    appeal = make_appeal(received_at=RECEIVED)
    appeal = services.appeal_take_extension(
        appeal=appeal, by=reviewer, reason="member_request", now=RECEIVED
    )
    extended = appeal.decide_by

    appeal = services.appeal_grant_expedite(
        appeal=appeal,
        by=reviewer,
        reason="Physician letter",
        now=extended - timedelta(hours=10),
    )

    assert appeal.decide_by == extended
