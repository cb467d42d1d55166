from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from appeals import scoring, services
from appeals.choices import LineOfBusiness, Outcome, Priority
from appeals.models import Appeal, Status
from casework.models import AccessLog, NoticeKind
from tests.browser.conftest import ARTIFACTS
from tests.casework.conftest import give_profile
from tests.factories import MemberFactory, ProviderFactory, make_appeal

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = "correct horse battery"


def _desk(now):
    """A small desk: the reviewer's eligible cases at various points of their clocks,
    and one clinical case that is not hers."""
    cases = [
        (LineOfBusiness.MEDICARE_ADVANTAGE, "CO-4", timedelta(days=27), {}),
        (LineOfBusiness.MEDICAID, "CO-16", timedelta(days=3), {}),
        (
            LineOfBusiness.MEDICARE_ADVANTAGE,
            "CO-97",
            timedelta(hours=50),
            {
                "requested_priority": Priority.EXPEDITED,
                "expedite_requested_by": "physician",
            },
        ),
        (LineOfBusiness.COMMERCIAL, "CO-96", timedelta(days=1), {}),
        (LineOfBusiness.MEDICARE_PART_D, "CO-29", timedelta(days=8), {}),
        (LineOfBusiness.MEDICARE_ADVANTAGE, "CO-50", timedelta(days=2), {}),
    ]
    for line, code, age, extra in cases:
        make_appeal(
            line_of_business=line,
            received_at=now - age,
            now=now,
            member=MemberFactory(state="FL"),
            provider=ProviderFactory(specialty="orthopedics"),
            denial=services.DenialFacts(
                reason_codes=[code],
                service_codes=["99214"],
                amount=Decimal("1840.00"),
                decided_by="um.nguyen",
            ),
            **extra,
        )


def test_a_reviewer_signs_in_claims_works_decides_and_sends_the_notice(
    live_server, browser_page, reviewer, default_protocols
):
    page = browser_page
    give_profile(reviewer)
    _desk(timezone.now())
    scoring.appeals_rescore_open()

    page.goto(live_server.url + "/")
    page.get_by_label("User name").fill(reviewer.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="My queue").wait_for()
    queue_rows = page.locator("table.queue tbody tr")
    assert queue_rows.count() == 5  # the clinical case is not offered to her
    assert page.locator("table.queue tr.late, table.queue tr.risk").count() >= 1
    page.screenshot(path=ARTIFACTS / "queue.png", full_page=True)

    page.get_by_role("button", name="Get next case").click()
    page.get_by_text("is yours now").wait_for()
    case_number = page.locator("h1").first.inner_text().split()[0]
    appeal = Appeal.objects.get(pk=int(case_number.removeprefix("AP-")))
    assert appeal.assignee == reviewer

    # Accept with the keyboard: open the action, then submit its form.
    page.locator("summary", has_text="Accept after triage").focus()
    page.keyboard.press("Enter")
    page.locator("form[action$='/actions/accept'] button").click()
    page.get_by_text("Accept after triage: done.").wait_for()

    open_steps = page.locator("#protocol li.step:not(.done) form")
    total = page.locator("#protocol li.step").count()
    assert total >= 5
    for done in range(1, total + 1):
        form = open_steps.first
        form.locator("select").select_option("done")
        form.locator("input[type=text]").fill(f"Checked, finding {done}")
        form.get_by_role("button", name="Complete step").click()
        page.wait_for_function(
            "n => document.querySelectorAll('#protocol li.step.done').length >= n",
            arg=done,
        )
    page.wait_for_load_state()
    page.locator("form[action$='/actions/decide']").wait_for()
    page.screenshot(path=ARTIFACTS / "case.png", full_page=True)

    page.get_by_label("Outcome").select_option(Outcome.OVERTURNED)
    page.get_by_label("Rationale").fill("The records support the billed service.")
    page.get_by_label("Criteria cited").fill("Plan coding policy 12.4")
    page.locator("form[action$='/actions/decide'] button").click()
    page.get_by_text("Decide: done.").wait_for()

    page.locator("form[action$='/actions/send_notice'] button").click()
    page.get_by_text("Send the decision notice: done.").wait_for()
    page.screenshot(path=ARTIFACTS / "case-notified.png", full_page=True)
    page.get_by_role("link", name="Decision notice").click()
    page.get_by_role("heading", name="Notice of appeal decision").wait_for()
    page.screenshot(path=ARTIFACTS / "decision-notice.png", full_page=True)

    appeal.refresh_from_db()
    assert appeal.status == Status.NOTIFIED
    assert appeal.outcome == Outcome.OVERTURNED
    assert appeal.decided_by == reviewer
    assert appeal.notices.filter(kind=NoticeKind.DECISION).exists()
    completions = appeal.protocol.completions.values_list("completed_by", flat=True)
    assert list(completions) == [reviewer.pk] * total
    assert AccessLog.objects.filter(appeal=appeal, user=reviewer).count() >= 3
