import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection, connections

from appeals import services
from appeals.choices import LineOfBusiness, Outcome
from appeals.models import Appeal, Status, TimelineEvent
from appeals.models.appeal import AWAITING_DECISION
from tests.factories import make_appeal

pytestmark = pytest.mark.django_db

RECEIVED = datetime(2026, 4, 6, 19, 20, tzinfo=UTC)

# The machine of DESIGN.md: each transition and the states it may leave.
ALLOWED_SOURCES = {
    "accept": {Status.RECEIVED},
    "dismiss": {Status.RECEIVED},
    "request_info": {Status.IN_REVIEW},
    "info_received": {Status.PENDING_INFO},
    "refer_to_physician": {Status.IN_REVIEW},
    "return_to_review": {Status.CLINICAL_REVIEW},
    "decide": {Status.IN_REVIEW},
    "send_notice": {Status.DECIDED},
    "forward": {Status.DECIDED, *AWAITING_DECISION},
    "close": {Status.NOTIFIED, Status.FORWARDED},
    "withdraw": set(AWAITING_DECISION),
}
TARGETS = {
    "accept": Status.IN_REVIEW,
    "dismiss": Status.DISMISSED,
    "request_info": Status.PENDING_INFO,
    "info_received": Status.IN_REVIEW,
    "refer_to_physician": Status.CLINICAL_REVIEW,
    "return_to_review": Status.IN_REVIEW,
    "decide": Status.DECIDED,
    "send_notice": Status.NOTIFIED,
    "forward": Status.FORWARDED,
    "close": Status.CLOSED,
    "withdraw": Status.WITHDRAWN,
}


def _put_in(appeal: Appeal, status: str, **fields) -> Appeal:
    Appeal.objects.filter(pk=appeal.pk).update(status=status, **fields)
    appeal.refresh_from_db()
    return appeal


def _satisfy_conditions(appeal: Appeal, transition: str, status: str) -> Appeal:
    """Set the facts each condition asks for, so that only the source state decides."""
    if transition == "send_notice":
        return _put_in(appeal, status, outcome=Outcome.OVERTURNED)
    if transition == "forward":
        return _put_in(
            appeal,
            status,
            outcome=Outcome.UPHELD,
            decide_by=datetime(2020, 1, 1, tzinfo=UTC),
        )
    if transition == "close":
        return _put_in(
            appeal,
            status,
            outcome=Outcome.OVERTURNED,
            effectuated_at=RECEIVED,
            forward_notice_at=RECEIVED,
        )
    return _put_in(appeal, status)


@pytest.mark.parametrize("transition", sorted(ALLOWED_SOURCES))
@pytest.mark.parametrize("status", Status.values)
def test_each_move_is_allowed_only_from_its_source_states(transition, status):
    appeal = _satisfy_conditions(make_appeal(), transition, status)

    refusals = services.transition_refusals(appeal, transition)

    if status in ALLOWED_SOURCES[transition]:
        assert refusals == []
        getattr(appeal, transition)()
        assert appeal.status == TARGETS[transition]
    else:
        assert len(refusals) == 1
        assert "cannot" in refusals[0]


def test_a_refused_move_through_a_service_leaves_status_and_timeline_alone(reviewer):
    appeal = make_appeal()
    events_before = appeal.timeline.count()

    with pytest.raises(services.TransitionRefused) as refused:
        services.appeal_close(appeal=appeal, by=reviewer)

    assert refused.value.reasons == ["A case that is received cannot close."]
    appeal.refresh_from_db()
    assert appeal.status == Status.RECEIVED
    assert appeal.timeline.count() == events_before


def test_status_cannot_be_assigned_directly():
    appeal = make_appeal()

    with pytest.raises(AttributeError):
        appeal.status = Status.CLOSED


def test_each_transition_writes_one_timeline_event_with_who_when_and_why(reviewer):
    appeal = make_appeal()
    at = RECEIVED + timedelta(hours=2)

    services.appeal_accept(appeal=appeal, by=reviewer, reason="Triage done", now=at)

    event = appeal.timeline.get(kind=TimelineEvent.Kind.TRANSITION)
    assert (event.transition, event.from_status, event.to_status) == (
        "accept",
        Status.RECEIVED,
        Status.IN_REVIEW,
    )
    assert event.actor == reviewer
    assert event.at == at
    assert event.reason == "Triage done"


def _decided(appeal, physician, outcome, *, now=None):
    services.appeal_accept(appeal=appeal, by=physician)
    return services.appeal_decide(
        appeal=appeal,
        by=physician,
        outcome=outcome,
        rationale="Criteria met per InterQual."
        if outcome != Outcome.UPHELD
        else "Not met.",
        now=now,
    )


def test_an_overturn_cannot_close_until_it_is_effectuated(physician):
    appeal = _decided(
        make_appeal(line_of_business=LineOfBusiness.MEDICAID), physician, "overturned"
    )
    services.appeal_send_notice(appeal=appeal, by=physician)

    with pytest.raises(services.TransitionRefused) as refused:
        services.appeal_close(appeal=appeal, by=physician)
    assert refused.value.reasons == ["The overturn has not been effectuated yet."]

    appeal = services.appeal_record_effectuation(appeal=appeal, by=physician)
    services.appeal_close(appeal=appeal, by=physician)
    assert appeal.status == Status.CLOSED


def test_an_adverse_medicare_advantage_decision_must_be_forwarded_not_noticed(
    physician,
):
    appeal = _decided(make_appeal(), physician, Outcome.UPHELD)

    with pytest.raises(services.TransitionRefused) as refused:
        services.appeal_send_notice(appeal=appeal, by=physician)
    assert "forwarded to the independent review entity" in refused.value.reasons[0]

    services.appeal_forward(appeal=appeal, by=physician)
    with pytest.raises(services.TransitionRefused) as refused:
        services.appeal_close(appeal=appeal, by=physician)
    assert refused.value.reasons == ["The member has not been told of the forwarding."]

    appeal = services.appeal_record_forward_notice(appeal=appeal, by=physician)
    services.appeal_close(appeal=appeal, by=physician)
    assert appeal.status == Status.CLOSED


def test_an_upheld_part_d_redetermination_is_noticed_not_forwarded(physician):
    appeal = _decided(
        make_appeal(line_of_business=LineOfBusiness.MEDICARE_PART_D),
        physician,
        Outcome.UPHELD,
    )

    refusals = services.transition_refusals(appeal, "forward")
    services.appeal_send_notice(appeal=appeal, by=physician)
    services.appeal_close(appeal=appeal, by=physician)

    assert refusals == [
        "Only an adverse Medicare Advantage decision is forwarded to independent "
        "review."
    ]
    assert appeal.status == Status.CLOSED


def test_a_case_is_forwarded_before_a_decision_only_once_its_deadline_is_missed(
    reviewer,
):
    appeal = make_appeal()
    services.appeal_accept(appeal=appeal, by=reviewer)

    with time_machine.travel(appeal.decide_by, tick=False):
        assert services.transition_refusals(appeal, "forward") != []
    with time_machine.travel(appeal.decide_by + timedelta(seconds=1), tick=False):
        services.appeal_forward(appeal=appeal, by="deadline-sweep")

    assert appeal.status == Status.FORWARDED
    event = appeal.timeline.get(transition="forward")
    assert event.data == {"missed_deadline": True}
    assert event.actor_label == "deadline-sweep"


def test_a_medicaid_case_is_never_forwarded_even_when_late(reviewer):
    appeal = make_appeal(line_of_business=LineOfBusiness.MEDICAID)

    with time_machine.travel(appeal.decide_by + timedelta(days=3), tick=False):
        refusals = services.transition_refusals(appeal, "forward")

    assert refusals == [
        "Before a decision, a case is forwarded only when its Medicare decision "
        "deadline has passed."
    ]


def test_a_stale_copy_loses_to_the_transition_that_saved_first(reviewer, nurse):
    appeal = make_appeal()
    stale = Appeal.objects.get(pk=appeal.pk)

    services.appeal_accept(appeal=appeal, by=reviewer)
    with pytest.raises(services.AppealConflict) as conflict:
        services.appeal_dismiss(appeal=stale, by=nurse, reason="Not an appeal")

    assert "changed by someone else" in str(conflict.value)
    assert stale.status == Status.IN_REVIEW
    assert appeal.timeline.filter(kind=TimelineEvent.Kind.TRANSITION).count() == 1


def test_dismissing_and_withdrawing_need_a_reason(reviewer):
    appeal = make_appeal()

    with pytest.raises(services.TransitionRefused, match="Give a reason"):
        services.appeal_dismiss(appeal=appeal, by=reviewer, reason=" ")
    with pytest.raises(services.TransitionRefused, match="Give a reason"):
        services.appeal_withdraw(appeal=appeal, by=reviewer, reason="")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize(
    ("first", "second"),
    [("accept", "accept"), ("accept", "dismiss"), ("withdraw", "dismiss")],
)
def test_two_people_acting_at_once_on_postgres_exactly_one_wins(
    reviewer, nurse, first, second
):
    assert connection.vendor == "postgresql"
    appeal = make_appeal()
    calls = {
        "accept": services.appeal_accept,
        "dismiss": services.appeal_dismiss,
        "withdraw": services.appeal_withdraw,
    }
    both_loaded = threading.Barrier(2)
    results = {}

    def act(name, person, slot):
        try:
            copy = Appeal.objects.get(pk=appeal.pk)
            both_loaded.wait(timeout=10)
            calls[name](appeal=copy, by=person, reason=f"{slot} acting")
            results[slot] = "won"
        except services.AppealConflict:
            results[slot] = "conflict"
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=act, args=(first, reviewer, "one")),
        threading.Thread(target=act, args=(second, nurse, "two")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(results.values()) == ["conflict", "won"]
    transitions = TimelineEvent.objects.filter(
        appeal_id=appeal.pk, kind=TimelineEvent.Kind.TRANSITION
    )
    assert transitions.count() == 1
    winner = transitions.get()
    appeal.refresh_from_db()
    assert appeal.status == winner.to_status
