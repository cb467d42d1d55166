from datetime import timedelta

import pytest
import time_machine

from appeals import services
from appeals.choices import LineOfBusiness, Priority
from appeals.models import TimelineEvent
from appeals.models.alerts import Alert
from casework.supervision import selectors
from tests.casework.supervision.helpers import decide, utc
from tests.factories import make_appeal

pytestmark = pytest.mark.django_db

NOW = utc(2026, 5, 12, 14, 0)


def expedited(received_at, **overrides):
    return make_appeal(
        received_at=received_at,
        requested_priority=Priority.EXPEDITED,
        expedite_requested_by="physician",
        **overrides,
    )


def test_open_inventory_counts_by_state_line_and_age(reviewer):
    make_appeal(received_at=NOW - timedelta(hours=2))
    make_appeal(received_at=NOW - timedelta(days=2))
    make_appeal(received_at=NOW - timedelta(days=40))
    in_review = make_appeal(
        line_of_business=LineOfBusiness.MEDICAID, received_at=NOW - timedelta(days=5)
    )
    services.appeal_accept(appeal=in_review, by=reviewer, now=NOW)
    gone = make_appeal(received_at=NOW - timedelta(days=3))
    services.appeal_dismiss(appeal=gone, by=reviewer, reason="Duplicate.", now=NOW)

    inventory = selectors.open_inventory(NOW)

    assert inventory.total == 4
    assert {v: n for v, _, n in inventory.by_status if n} == {
        "received": 3,
        "in_review": 1,
    }
    assert {v: n for v, _, n in inventory.by_line if n} == {
        "medicare_advantage": 3,
        "medicaid": 1,
    }
    assert dict(inventory.by_age) == {
        "under 1 day": 1,
        "1-3 days": 1,
        "3-7 days": 1,
        "7-14 days": 0,
        "14-30 days": 0,
        "over 30 days": 1,
    }


def test_deadline_lists_split_breached_due_in_24_and_in_72_hours_to_the_second():
    hour = timedelta(hours=1)
    cases = {
        "breached": expedited(NOW - 72 * hour - timedelta(seconds=1)),
        "due_now": expedited(NOW - 72 * hour),
        "due_in_1h": expedited(NOW - 71 * hour),
        "due_in_25h": expedited(NOW - 47 * hour),
        "due_in_72h": expedited(NOW),
        "due_later": make_appeal(received_at=NOW),
    }

    lists = {dl.key: dl for dl in selectors.deadline_lists(NOW)}

    def numbers(key):
        return [appeal.case_number for appeal in lists[key].appeals]

    assert numbers("breached") == [cases["breached"].case_number]
    assert numbers("due24") == [
        cases["due_now"].case_number,
        cases["due_in_1h"].case_number,
    ]
    assert numbers("due72") == [
        cases["due_in_25h"].case_number,
        cases["due_in_72h"].case_number,
    ]
    assert [lists[k].count for k in ("breached", "due24", "due72")] == [1, 2, 2]


def test_decided_cases_leave_the_deadline_lists(physician):
    appeal = expedited(NOW - timedelta(hours=80))
    decide(appeal, by=physician, at=NOW - timedelta(hours=1))

    lists = {dl.key: dl for dl in selectors.deadline_lists(NOW)}

    assert lists["breached"].count == 0


@time_machine.travel(NOW, tick=False)
def test_the_dashboard_shows_the_lists_with_assignee_and_time_left(
    supervisor_client, reviewer
):
    appeal = expedited(NOW - timedelta(hours=60))
    services.appeal_assign(appeal=appeal, assignee=reviewer, by="test", now=NOW)
    late = expedited(NOW - timedelta(hours=75))

    response = supervisor_client.get("/supervisor/")

    text = response.content.decode()
    assert response.status_code == 200
    due24 = text.split('data-testid="due24"')[1].split("</section>")[0]
    assert appeal.case_number in due24
    assert "rita.reviewer" in due24
    assert "12\xa0hours" in due24
    breached = text.split('data-testid="breached"')[1].split("</section>")[0]
    assert late.case_number in breached
    assert "overdue by 3\xa0hours" in breached
    assert 'hx-trigger="every 30s' in text
    assert "vendor/htmx.min.js" in text  # from base.html


@time_machine.travel(NOW, tick=False)
def test_the_live_fragment_is_the_refreshing_part_alone(supervisor_client):
    expedited(NOW - timedelta(hours=60))

    response = supervisor_client.get("/supervisor/live")

    text = response.content.decode()
    assert text.lstrip().startswith('<div id="live"')
    assert "<html" not in text
    assert 'data-testid="due24-count">1<' in text


def test_one_click_reassignment_records_the_reason_on_the_timeline(
    supervisor_client, supervisor, reviewer, nurse
):
    nurse.groups.add(*reviewer.groups.all())
    chosen = expedited(NOW)
    ticked = expedited(NOW)

    response = supervisor_client.post(
        f"/supervisor/reassign?only={chosen.pk}",
        {"appeals": [ticked.pk], "assignee": nurse.pk, "reason": "Rita is out today"},
    )

    assert response.status_code == 302
    chosen.refresh_from_db()
    ticked.refresh_from_db()
    assert chosen.assignee == nurse
    assert ticked.assignee is None
    event = chosen.timeline.get(kind=TimelineEvent.Kind.ASSIGNMENT)
    assert event.reason == "Rita is out today"
    assert event.actor == supervisor
    assert event.data == {"from": None, "to": "nora.nurse"}


def test_bulk_reassignment_moves_every_ticked_case_and_reports_the_refused(
    supervisor_client, reviewer
):
    first, second = expedited(NOW), expedited(NOW)
    withdrawn = expedited(NOW)
    services.appeal_withdraw(appeal=withdrawn, by="test", reason="Asked.", now=NOW)

    response = supervisor_client.post(
        "/supervisor/reassign",
        {
            "appeals": [first.pk, second.pk, withdrawn.pk, 987654],
            "assignee": reviewer.pk,
            "reason": "Spread the load",
        },
        follow=True,
    )

    text = response.content.decode()
    assert {a.assignee for a in (first, second) if a.refresh_from_db() is None} == {
        reviewer
    }
    assert f"Assigned {first.case_number}, {second.case_number} to rita.reviewer" in (
        text
    )
    assert f"{withdrawn.case_number}: A finished case is not assigned." in text
    assert "AP-0987654 does not exist." in text
    assert (
        TimelineEvent.objects.filter(
            kind=TimelineEvent.Kind.ASSIGNMENT, reason="Spread the load"
        ).count()
        == 2
    )


def test_reassignment_without_a_reason_changes_nothing(supervisor_client, reviewer):
    appeal = expedited(NOW)

    response = supervisor_client.post(
        "/supervisor/reassign",
        {"appeals": [appeal.pk], "assignee": reviewer.pk, "reason": "  "},
        follow=True,
    )

    appeal.refresh_from_db()
    assert appeal.assignee is None
    assert b"Reason: This field is required." in response.content


def test_reassignment_to_someone_who_is_not_a_reviewer_is_refused(
    supervisor_client, outsider
):
    appeal = expedited(NOW)

    response = supervisor_client.post(
        "/supervisor/reassign",
        {"appeals": [appeal.pk], "assignee": outsider.pk, "reason": "Why not"},
        follow=True,
    )

    appeal.refresh_from_db()
    assert appeal.assignee is None
    assert b"Select a valid choice" in response.content


def test_a_reviewer_cannot_reassign(client, reviewer):
    appeal = expedited(NOW)
    client.force_login(reviewer)

    response = client.post(
        "/supervisor/reassign",
        {"appeals": [appeal.pk], "assignee": reviewer.pk, "reason": "Mine now"},
    )

    appeal.refresh_from_db()
    assert response.status_code == 403
    assert appeal.assignee is None


def _alert(appeal, key="decide_by:90"):
    return Alert.objects.create(
        appeal=appeal,
        key=key,
        deadline="decide_by",
        level=Alert.Level.NINETY,
        due=appeal.decide_by,
        message="90% of the decision window used",
        created_at=NOW,
    )


@time_machine.travel(NOW, tick=False)
def test_unacknowledged_alerts_show_until_a_supervisor_acknowledges_them(
    supervisor_client, supervisor
):
    alert = _alert(expedited(NOW - timedelta(hours=66)))
    seen = _alert(expedited(NOW - timedelta(hours=66)))
    seen.acknowledged_at = NOW
    seen.save()

    before = supervisor_client.get("/supervisor/").content.decode()
    response = supervisor_client.post(f"/supervisor/alerts/{alert.pk}/acknowledge")
    after = supervisor_client.get("/supervisor/").content.decode()

    panel = before.split('id="alerts-h"')[1].split("</section>")[0]
    assert 'Unacknowledged alerts <span class="muted">1</span>' in panel
    assert alert.appeal.case_number in panel
    assert seen.appeal.case_number not in panel
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.acknowledged_by == supervisor
    assert "No alerts waiting." in after
