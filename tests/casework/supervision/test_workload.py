from datetime import timedelta

import pytest
import time_machine

from appeals import services
from appeals.choices import Priority
from casework.models import ReviewerProfile
from casework.supervision import selectors
from tests.casework.supervision.helpers import decide, utc
from tests.factories import make_appeal

pytestmark = pytest.mark.django_db

# Tuesday 10:00 in New York; the plan week began Monday 2026-05-11 04:00 UTC.
NOW = utc(2026, 5, 12, 14, 0)


def _assigned(user, received_at, **overrides):
    appeal = make_appeal(received_at=received_at, **overrides)
    return services.appeal_assign(appeal=appeal, assignee=user, by="test", now=NOW)


@pytest.fixture
def loads(reviewer, nurse, physician):
    ReviewerProfile.objects.create(user=reviewer, max_open_cases=2)
    ReviewerProfile.objects.create(user=nurse, max_open_cases=5)
    expedite = {
        "requested_priority": Priority.EXPEDITED,
        "expedite_requested_by": "physician",
    }
    _assigned(reviewer, NOW - timedelta(hours=62), **expedite)  # due in 10 hours
    _assigned(reviewer, NOW - timedelta(hours=80), **expedite)  # breached
    _assigned(reviewer, NOW - timedelta(days=1))  # due in a month
    _assigned(nurse, NOW - timedelta(hours=10), **expedite)  # due in 62 hours

    decide(
        make_appeal(received_at=utc(2026, 5, 10, 4)),
        by=reviewer,
        at=utc(2026, 5, 11, 4),
    )
    decide(
        make_appeal(received_at=utc(2026, 5, 9, 3, 59)),
        by=reviewer,
        at=utc(2026, 5, 11, 3, 59),
    )
    decide(
        make_appeal(received_at=NOW - timedelta(days=40)),
        by=reviewer,
        at=NOW - timedelta(days=31),
    )
    return reviewer, nurse, physician


def test_each_reviewer_has_open_cases_week_decisions_average_and_risk(loads):
    reviewer, nurse, physician = loads

    rows = {
        row.user.get_username(): row
        for row in selectors.workload(NOW, caps=selectors.reviewer_caps())
    }

    rita = rows["rita.reviewer"]
    assert (rita.open_cases, rita.cap, rita.over_cap) == (3, 2, True)
    assert rita.decided_this_week == 1
    assert rita.average_hours_to_decision == 36.0
    assert (rita.at_risk, rita.breached) == (1, 1)
    nora = rows["nora.nurse"]
    assert (nora.open_cases, nora.cap, nora.over_cap) == (1, 5, False)
    assert (nora.at_risk, nora.breached, nora.decided_this_week) == (1, 0, 0)
    assert nora.average_hours_to_decision is None
    assert rows["dr.patel"].cap is None
    assert rows["dr.patel"].over_cap is False


def test_the_week_starts_on_monday_midnight_in_the_plan_zone():
    assert selectors.week_start(NOW) == utc(2026, 5, 11, 4, 0)
    assert selectors.week_start(utc(2026, 5, 11, 3, 59)) == utc(2026, 5, 4, 4, 0)


@time_machine.travel(NOW, tick=False)
def test_the_workload_page_marks_who_is_over_the_cap(supervisor_client, loads):
    response = supervisor_client.get("/supervisor/workload")

    text = response.content.decode()
    rita = text.split('data-reviewer="rita.reviewer"')[1].split("</tr>")[0]
    nora = text.split('data-reviewer="nora.nurse"')[1].split("</tr>")[0]
    assert "over cap" in rita
    assert "36.0" in rita
    assert "over cap" not in nora
    assert "no profile" in text.split('data-reviewer="dr.patel"')[1].split("</tr>")[0]


def test_open_cases_count_what_the_claiming_cap_counts(reviewer, physician):
    ReviewerProfile.objects.create(user=reviewer, max_open_cases=1)
    notified = decide(
        make_appeal(received_at=NOW - timedelta(days=3)),
        by=physician,
        at=NOW - timedelta(days=1),
        notify_at=NOW - timedelta(hours=20),
    )
    services.appeal_assign(appeal=notified, assignee=reviewer, by="test", now=NOW)
    _assigned(reviewer, NOW - timedelta(days=1))

    [rita] = [
        row
        for row in selectors.workload(NOW, caps=selectors.reviewer_caps())
        if row.user == reviewer
    ]

    assert (rita.open_cases, rita.over_cap) == (1, False)
