from datetime import timedelta

import pytest
from django.utils import timezone

from appeals.choices import LineOfBusiness, Priority
from appeals.models import Appeal, TimelineEvent
from appeals.models.alerts import Alert
from tests.browser.conftest import ARTIFACTS
from tests.factories import make_appeal

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = "correct horse battery"


def _expedited(received_at, **extra):
    return make_appeal(
        received_at=received_at,
        requested_priority=Priority.EXPEDITED,
        expedite_requested_by="physician",
        now=received_at,
        **extra,
    )


def test_a_supervisor_sees_the_clocks_reassigns_and_the_page_refreshes_itself(
    live_server, browser_page, supervisor, reviewer
):
    page = browser_page
    now = timezone.now()
    breached = _expedited(now - timedelta(hours=75))
    due_soon = _expedited(now - timedelta(hours=60))
    due_later = _expedited(now - timedelta(hours=30))
    make_appeal(line_of_business=LineOfBusiness.MEDICAID, received_at=now)
    Alert.objects.create(
        appeal=due_soon,
        key="decide_by:90:test",
        deadline="decide_by",
        level=Alert.Level.NINETY,
        due=due_soon.decide_by,
        message="90% of the decision window used",
        created_at=now,
    )

    page.goto(live_server.url + "/supervisor/")
    page.get_by_label("User name").fill(supervisor.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Deadline dashboard").wait_for()
    assert page.get_by_test_id("open-total").inner_text() == "4"
    assert page.get_by_test_id("breached-count").inner_text() == "1"
    assert page.get_by_test_id("due24-count").inner_text() == "1"
    assert page.get_by_test_id("due72-count").inner_text() == "1"
    assert page.get_by_role("link", name="Supervisor").count() == 1
    assert page.locator("svg.chart").count() == 1
    assert "90% of the decision window used" in page.locator("#live").inner_text()
    page.screenshot(path=ARTIFACTS / "dashboard.png", full_page=True)

    page.get_by_label(f"Select {breached.case_number}").check()
    page.get_by_label(f"Select {due_later.case_number}").check()
    page.get_by_label("To", exact=True).select_option(label=reviewer.username)
    page.get_by_label("Reason (goes on each case's timeline)").fill("Sam is out")
    page.get_by_role("button", name="Reassign ticked").click()
    page.get_by_text(f"Assigned {breached.case_number}").wait_for()
    for appeal in (breached, due_later):
        appeal.refresh_from_db()
        assert appeal.assignee == reviewer
        assert appeal.timeline.filter(
            kind=TimelineEvent.Kind.ASSIGNMENT, reason="Sam is out"
        ).exists()
    due_soon.refresh_from_db()
    assert due_soon.assignee is None
    page.screenshot(path=ARTIFACTS / "dashboard-reassigned.png", full_page=True)

    # A case that breaches meanwhile shows up without reloading the page.
    newcomer = _expedited(timezone.now() - timedelta(hours=80))
    with page.expect_response(lambda r: "/supervisor/live" in r.url, timeout=45_000):
        pass
    page.get_by_test_id("breached").get_by_text(newcomer.case_number).wait_for()
    assert page.get_by_test_id("breached-count").inner_text() == "2"
    assert Appeal.objects.open().count() == 5

    page.get_by_role("link", name="Capacity").wait_for()
    page.get_by_role("link", name="Outcomes").click()
    page.get_by_role("heading", name="Outcome analytics").wait_for()
    page.screenshot(path=ARTIFACTS / "outcomes.png", full_page=True)
    page.get_by_role("link", name="Workload").click()
    page.get_by_test_id("workload").wait_for()
    assert "rita.reviewer" in page.get_by_test_id("workload").inner_text()
    page.screenshot(path=ARTIFACTS / "workload.png", full_page=True)
