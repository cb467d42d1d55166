import logging
import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connection

from appeals import enforcement, services
from appeals.choices import Kind, LineOfBusiness, Outcome, Priority
from appeals.enforcement import alert_acknowledge, deadlines_sweep
from appeals.models import Alert, Appeal, DeadlineCheck, Notification, TimelineEvent
from appeals.models.appeal import Status
from tests.factories import make_appeal

pytestmark = pytest.mark.django_db

RECEIVED = datetime(2026, 4, 6, 19, 20, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def _point(appeal, share: float) -> datetime:
    return appeal.received_at + (appeal.decide_by - appeal.received_at) * share


def _sweep_at(moment: datetime, capture=None):
    with time_machine.travel(moment, tick=False):
        if capture is None:
            return deadlines_sweep()
        with capture(execute=True):
            return deadlines_sweep()


@pytest.fixture
def with_emails(reviewer, supervisor):
    reviewer.email = "rita@plan.example"
    reviewer.save()
    supervisor.email = "sam@plan.example"
    supervisor.save()


def _case(at=RECEIVED, **overrides):
    with time_machine.travel(at, tick=False):
        return make_appeal(received_at=RECEIVED, now=at, **overrides)


def _assigned_case(reviewer, **overrides):
    appeal = _case(**overrides)
    with time_machine.travel(RECEIVED, tick=False):
        return services.appeal_assign(appeal=appeal, assignee=reviewer, by="test")


def test_half_the_window_used_alerts_the_assignee_and_the_supervisors_once(
    reviewer, supervisor, with_emails, django_capture_on_commit_callbacks
):
    appeal = _assigned_case(reviewer)
    moment = _point(appeal, 0.5) + MINUTE

    first = _sweep_at(moment, django_capture_on_commit_callbacks)
    second = _sweep_at(moment + MINUTE, django_capture_on_commit_callbacks)

    alert = Alert.objects.get(appeal=appeal)
    assert (first.alerts, second.alerts) == (1, 0)
    assert alert.level == Alert.Level.HALF
    assert alert.due == appeal.decide_by
    assert "50% of the window used" in alert.message
    assert {n.user for n in Notification.objects.filter(alert=alert)} == {
        reviewer,
        supervisor,
    }
    assert sorted(message.to[0] for message in mail.outbox) == [
        "rita@plan.example",
        "sam@plan.example",
    ]
    assert mail.outbox[0].subject.startswith(appeal.case_number)
    assert Alert.objects.get(pk=alert.pk).emailed_at == moment
    event = appeal.timeline.get(kind=TimelineEvent.Kind.ALERT)
    assert event.actor_label == "deadline-sweep"
    assert set(event.data["notified"]) == {"rita.reviewer", "sam.supervisor"}


def test_each_share_of_the_window_is_alerted_as_it_is_crossed(reviewer):
    appeal = _assigned_case(reviewer)

    for share in (0.4, 0.5, 0.75, 0.9):
        _sweep_at(_point(appeal, share) + MINUTE)

    levels = set(Alert.objects.filter(appeal=appeal).values_list("level", flat=True))
    assert levels == {"50", "75", "90"}


def test_nothing_is_alerted_before_half_the_window_is_used(reviewer):
    appeal = _assigned_case(reviewer)

    result = _sweep_at(_point(appeal, 0.5) - MINUTE)

    assert result.alerts == 0
    assert not Alert.objects.exists()


def test_a_share_crossed_while_no_sweep_ran_is_alerted_when_sweeps_resume(reviewer):
    appeal = _assigned_case(reviewer)
    _sweep_at(_point(appeal, 0.5) - timedelta(hours=1))

    _sweep_at(_point(appeal, 0.5) + timedelta(hours=5))

    assert Alert.objects.get(appeal=appeal).level == Alert.Level.HALF


def test_after_a_long_gap_only_the_band_the_case_is_in_is_alerted(reviewer):
    appeal = _assigned_case(reviewer)
    _sweep_at(_point(appeal, 0.4))

    _sweep_at(_point(appeal, 0.8))

    assert list(Alert.objects.values_list("level", flat=True)) == ["75"]


def test_a_case_keyed_in_late_is_alerted_for_the_band_it_is_already_in(reviewer):
    appeal = _case()
    _sweep_at(_point(appeal, 0.8))
    late = _case(at=_point(appeal, 0.85))

    _sweep_at(_point(appeal, 0.85) + MINUTE)

    assert list(Alert.objects.filter(appeal=late).values_list("level", flat=True)) == [
        "75"
    ]


def test_a_standard_case_is_warned_24_hours_before_its_deadline(reviewer):
    appeal = _assigned_case(reviewer)

    _sweep_at(appeal.decide_by - timedelta(hours=24) - MINUTE)
    assert not Alert.objects.filter(level=Alert.Level.LEAD).exists()

    _sweep_at(appeal.decide_by - timedelta(hours=24) + MINUTE)
    lead = Alert.objects.get(level=Alert.Level.LEAD)
    assert lead.deadline == "decide_by"
    assert "due soon" in lead.message


def test_an_expedited_case_is_warned_8_hours_before_its_deadline(reviewer):
    appeal = _assigned_case(
        reviewer,
        requested_priority=Priority.EXPEDITED,
        expedite_requested_by="physician",
    )

    _sweep_at(appeal.decide_by - timedelta(hours=9))
    assert not Alert.objects.filter(level=Alert.Level.LEAD).exists()

    _sweep_at(appeal.decide_by - timedelta(hours=8) + MINUTE)
    assert Alert.objects.filter(level=Alert.Level.LEAD).count() == 1


def test_an_unassigned_case_near_its_deadline_is_escalated_to_the_supervisors(
    reviewer, supervisor
):
    appeal = _case()

    _sweep_at(appeal.decide_by - timedelta(hours=2))

    escalation = Alert.objects.get(appeal=appeal, level=Alert.Level.ESCALATION)
    assert "nobody is assigned" in escalation.message
    assert [n.user for n in escalation.notifications.all()] == [supervisor]
    assert appeal.timeline.filter(
        kind=TimelineEvent.Kind.ALERT, data__level="escalation"
    ).exists()


def test_an_assigned_case_near_its_deadline_is_not_escalated(reviewer, supervisor):
    appeal = _assigned_case(reviewer)

    _sweep_at(appeal.decide_by - timedelta(hours=2))

    assert not Alert.objects.filter(level=Alert.Level.ESCALATION).exists()


def test_a_missed_medicaid_decision_is_recorded_on_the_timeline_once(reviewer):
    appeal = _assigned_case(reviewer, line_of_business=LineOfBusiness.MEDICAID)

    _sweep_at(appeal.decide_by + MINUTE)
    _sweep_at(appeal.decide_by + 2 * MINUTE)

    appeal.refresh_from_db()
    breaches = appeal.timeline.filter(
        kind=TimelineEvent.Kind.BREACH, data__deadline="decide_by"
    )
    assert breaches.count() == 1
    assert "Decision deadline missed" in breaches.get().reason
    # Medicaid does not forward: the member may go to a state fair hearing.
    assert appeal.status == Status.RECEIVED
    assert appeal.forward_by is None


def test_a_missed_medicare_advantage_decision_is_forwarded_and_its_deadline_kept(
    reviewer,
):
    appeal = _assigned_case(reviewer)

    result = _sweep_at(appeal.decide_by + MINUTE)

    appeal.refresh_from_db()
    assert result.forwarded == 1
    assert appeal.status == Status.FORWARDED
    assert appeal.forwarded_at == appeal.decide_by + MINUTE
    assert appeal.forward_by == appeal.decide_by + timedelta(hours=24)
    forwarding = appeal.timeline.get(kind=TimelineEvent.Kind.TRANSITION)
    assert forwarding.actor_label == "deadline-sweep"
    assert forwarding.data == {"missed_deadline": True}
    assert appeal.timeline.filter(
        kind=TimelineEvent.Kind.DEADLINE, data__name="forward_by"
    ).exists()
    assert appeal.timeline.filter(kind=TimelineEvent.Kind.BREACH).count() == 1


def test_a_missed_part_d_decision_is_forwarded_too(reviewer):
    appeal = _assigned_case(reviewer, line_of_business=LineOfBusiness.MEDICARE_PART_D)

    _sweep_at(appeal.decide_by + MINUTE)

    appeal.refresh_from_db()
    assert appeal.status == Status.FORWARDED


def _warned_then_breached(appeal, deadline: str) -> None:
    """Sweeps three hours before the deadline and a minute after: a lead alert, a
    breach alert, and the breach on the timeline."""
    due = getattr(appeal, deadline)
    assert due is not None

    _sweep_at(due - timedelta(hours=3))
    _sweep_at(due + MINUTE)

    levels = set(
        Alert.objects.filter(deadline=deadline).values_list("level", flat=True)
    )
    assert levels == {"lead", "breach"}
    assert appeal.timeline.filter(
        kind=TimelineEvent.Kind.BREACH, data__deadline=deadline
    ).exists()


def test_an_acknowledgement_due_is_warned_and_its_miss_recorded(reviewer):
    appeal = _assigned_case(reviewer, line_of_business=LineOfBusiness.MEDICAID)

    _warned_then_breached(appeal, "acknowledge_by")


def test_an_acknowledged_case_is_not_warned_about_its_acknowledgement(reviewer):
    appeal = _assigned_case(reviewer, line_of_business=LineOfBusiness.MEDICAID)
    services.appeal_acknowledge(appeal=appeal, by="test", now=RECEIVED)

    _sweep_at(appeal.acknowledge_by + MINUTE)

    assert not Alert.objects.filter(deadline="acknowledge_by").exists()


def test_a_withdrawn_case_raises_no_decision_alerts(reviewer):
    appeal = _assigned_case(reviewer)
    services.appeal_withdraw(appeal=appeal, by="test", reason="Member withdrew.")

    _sweep_at(appeal.decide_by + MINUTE)

    assert not Alert.objects.exists()


def test_an_extension_gives_the_new_window_its_own_alerts(reviewer):
    appeal = _assigned_case(reviewer, line_of_business=LineOfBusiness.MEDICAID)
    _sweep_at(appeal.decide_by - timedelta(hours=3))
    with time_machine.travel(appeal.decide_by - timedelta(hours=2), tick=False):
        appeal = services.appeal_take_extension(
            appeal=appeal, by="test", reason="plan_needs_information"
        )

    _sweep_at(appeal.decide_by - timedelta(hours=3))

    leads = Alert.objects.filter(deadline="decide_by", level=Alert.Level.LEAD)
    assert sorted(leads.values_list("due", flat=True)) == [
        appeal.decide_by - timedelta(days=14),
        appeal.decide_by,
    ]


def test_a_sweep_looks_only_at_the_cases_with_something_due(reviewer):
    busy = _assigned_case(reviewer)
    with time_machine.travel(RECEIVED + timedelta(days=10), tick=False):
        quiet = make_appeal(received_at=RECEIVED + timedelta(days=10))
    _sweep_at(RECEIVED + timedelta(days=11))

    result = _sweep_at(_point(busy, 0.5) + MINUTE)

    assert result.checked == 1
    assert list(Alert.objects.values_list("appeal", flat=True)) == [busy.pk]
    assert DeadlineCheck.objects.get(appeal=quiet).next_check_at == _point(quiet, 0.5)


def test_a_deadline_changed_behind_the_sweeps_back_is_caught_by_the_refresh(reviewer):
    appeal = _assigned_case(reviewer)
    _sweep_at(RECEIVED + timedelta(days=1))
    earlier = RECEIVED + timedelta(days=4)
    Appeal.objects.filter(pk=appeal.pk).update(decide_by=earlier)

    assert _sweep_at(earlier - timedelta(hours=1)).alerts == 0
    with time_machine.travel(earlier - timedelta(hours=1), tick=False):
        assert enforcement.deadline_checks_refresh() == 1
    result = _sweep_at(earlier - timedelta(hours=1) + MINUTE)

    assert result.alerts == 2
    assert set(Alert.objects.values_list("level", flat=True)) == {"90", "lead"}


def test_the_sweep_goes_past_a_broken_case_and_logs_its_case_number(
    reviewer, monkeypatch, caplog
):
    broken = _assigned_case(reviewer)
    healthy = _assigned_case(reviewer)
    recipients = enforcement._recipients

    def failing_for_broken(appeal, level, supervisors=None):
        if appeal.pk == broken.pk:
            raise ValueError("corrupt row")
        return recipients(appeal, level, supervisors)

    monkeypatch.setattr(enforcement, "_recipients", failing_for_broken)

    with caplog.at_level(logging.ERROR, logger="appeals.enforcement"):
        result = _sweep_at(_point(healthy, 0.5) + MINUTE)

    assert result.failures == [broken.case_number]
    assert list(Alert.objects.values_list("appeal", flat=True)) == [healthy.pk]
    assert broken.case_number in caplog.text
    assert "corrupt row" in caplog.text


def test_acknowledging_an_alert_records_who_and_when_and_reads_its_notifications(
    reviewer, supervisor
):
    appeal = _assigned_case(reviewer)
    _sweep_at(_point(appeal, 0.5) + MINUTE)
    alert = Alert.objects.get()
    at = _point(appeal, 0.5) + timedelta(hours=1)

    alert_acknowledge(alert=alert, by=supervisor, now=at)
    again = alert_acknowledge(alert=alert, by=reviewer, now=at + MINUTE)

    assert (again.acknowledged_by, again.acknowledged_at) == (supervisor, at)
    assert not Notification.objects.filter(read_at__isnull=True).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_sweeps_running_at_once_send_each_alert_once(
    reviewer, supervisor, with_emails
):
    cases = [_assigned_case(reviewer) for _ in range(6)]
    moment = _point(cases[0], 0.5) + MINUTE
    barrier = threading.Barrier(2)
    results, errors = [], []

    def sweep():
        try:
            barrier.wait()
            results.append(deadlines_sweep(now=moment))
        except Exception as error:  # reported below, with the thread's error
            errors.append(error)
        finally:
            connection.close()

    with time_machine.travel(moment, tick=False):
        threads = [threading.Thread(target=sweep) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert errors == []
    assert sum(result.alerts for result in results) == 6
    assert Alert.objects.count() == 6
    assert Notification.objects.count() == 12
    assert TimelineEvent.objects.filter(kind=TimelineEvent.Kind.ALERT).count() == 6
    assert len(mail.outbox) == 12
    assert Appeal.objects.filter(alerts__level="50").distinct().count() == 6


def _overturned(appeal, physician, at):
    with time_machine.travel(at, tick=False):
        services.appeal_accept(appeal=appeal, by=physician)
        return services.appeal_decide(
            appeal=appeal,
            by=physician,
            outcome=Outcome.OVERTURNED,
            rationale="Criteria met.",
        )


def test_an_unpaid_part_d_payment_overturn_is_warned_and_its_miss_recorded(
    physician,
):
    appeal = _overturned(
        _case(line_of_business=LineOfBusiness.MEDICARE_PART_D, kind=Kind.POST_SERVICE),
        physician,
        RECEIVED + timedelta(days=3),
    )

    _warned_then_breached(appeal, "pay_by")


def test_a_paid_overturn_raises_no_payment_alert(physician):
    appeal = _overturned(
        _case(line_of_business=LineOfBusiness.MEDICARE_PART_D, kind=Kind.POST_SERVICE),
        physician,
        RECEIVED + timedelta(days=3),
    )
    with time_machine.travel(RECEIVED + timedelta(days=4), tick=False):
        services.appeal_record_effectuation(appeal=appeal, by=physician)

    _sweep_at(appeal.pay_by + MINUTE)

    assert not Alert.objects.filter(deadline__in=["pay_by", "effectuate_by"]).exists()


def _orally_noticed(physician):
    appeal = _overturned(
        _case(requested_priority=Priority.EXPEDITED, expedite_requested_by="physician"),
        physician,
        RECEIVED + timedelta(hours=20),
    )
    at = RECEIVED + timedelta(hours=21)
    with time_machine.travel(at, tick=False):
        return services.appeal_record_oral_notice(appeal=appeal, by=physician)


def test_an_oral_notice_without_its_written_confirmation_is_warned_and_recorded(
    physician,
):
    appeal = _orally_noticed(physician)

    _warned_then_breached(appeal, "written_confirmation_by")


def test_a_written_confirmation_sent_in_time_ends_its_clock(physician):
    appeal = _orally_noticed(physician)
    with time_machine.travel(RECEIVED + timedelta(days=1), tick=False):
        services.appeal_send_notice(appeal=appeal, by=physician)

    _sweep_at(appeal.written_confirmation_by + MINUTE)

    assert not Alert.objects.filter(deadline="written_confirmation_by").exists()
