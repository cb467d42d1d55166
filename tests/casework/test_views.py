from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils.html import escape

from appeals import scoring, services
from appeals.choices import Outcome, Priority
from appeals.models import Appeal, Status
from casework import selectors
from casework.models import AccessLog, Notice, NoticeKind, StepCompletion
from casework.services import (
    case_protocol_start,
    notice_render,
    protocol_step_complete,
)
from tests.factories import make_appeal

pytestmark = pytest.mark.django_db

CODING = services.DenialFacts(reason_codes=["CO-4"])
RECEIVED = datetime(2026, 4, 6, 19, 20, tzinfo=UTC)  # 15:20 in New York


def _mine(appeal, user):
    services.appeal_assign(appeal=appeal, assignee=user, by="test")
    appeal.refresh_from_db()
    return appeal


def test_the_queue_requires_sign_in(client):
    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@time_machine.travel(RECEIVED + timedelta(days=2), tick=False)
def test_the_queue_shows_the_clock_in_the_plans_time_zone_and_why_first(client, rita):
    appeal = make_appeal(denial=CODING, received_at=RECEIVED)
    scoring.appeal_rescore(appeal_id=appeal.pk)
    appeal.refresh_from_db()
    client.force_login(rita)

    page = client.get(reverse("home")).content.decode()

    assert appeal.case_number in page
    # Decide by 30 calendar days: end of May 6 in New York.
    assert "Wed 06 May 2026 23:59 EDT" in page
    assert "28d 8h left" in page
    assert escape(scoring.summarize(appeal.score_components)) in page


@time_machine.travel(RECEIVED + timedelta(days=29, hours=10), tick=False)
def test_a_clock_at_risk_is_shown_in_red(client, rita):
    make_appeal(denial=CODING, received_at=RECEIVED)
    # Scored at intake 29 days ago; the periodic pass has seen it since.
    scoring.appeals_rescore_open()
    client.force_login(rita)

    page = client.get(reverse("home")).content.decode()

    assert 'class="risk' in page


def test_the_queue_filters_by_priority(client, rita):
    expedited = make_appeal(
        denial=CODING,
        requested_priority=Priority.EXPEDITED,
        expedite_requested_by="physician",
    )
    standard = make_appeal(denial=CODING)
    client.force_login(rita)

    page = client.get(reverse("home"), {"priority": "expedited"}).content.decode()
    table = page.split('id="queue"')[1].split("</table>")[0]

    assert expedited.case_number in table
    assert standard.case_number not in table


def test_queue_pages_follow_each_other_without_repeats(client, rita, monkeypatch):
    monkeypatch.setattr(selectors, "PAGE_SIZE", 3)
    cases = [
        make_appeal(denial=CODING, received_at=RECEIVED + timedelta(hours=n))
        for n in range(7)
    ]
    # One scored case ahead of six not yet scored, which sort after it.
    Appeal.objects.exclude(pk=cases[5].pk).update(score=None)
    Appeal.objects.filter(pk=cases[5].pk).update(score=5)
    seen, cursor = [], ""
    while True:
        page = selectors.queue_page(rita, filters={}, cursor=cursor)
        seen += [row["appeal"].pk for row in page.rows]
        if not page.next_cursor:
            break
        cursor = page.next_cursor

    assert seen[0] == cases[5].pk
    assert sorted(seen) == sorted(appeal.pk for appeal in cases)
    assert len(seen) == len(set(seen))


def test_a_damaged_page_link_shows_a_message_not_an_error(client, rita):
    client.force_login(rita)

    response = client.get(reverse("home"), {"after": "not-a-cursor!"})

    assert response.status_code == 200
    assert "That page link is damaged" in response.content.decode()


def test_get_next_case_opens_the_claimed_case(client, rita):
    appeal = make_appeal(denial=CODING)
    client.force_login(rita)

    response = client.post(reverse("claim_next"))

    assert response.status_code == 302
    assert response.url == reverse("case", args=[appeal.case_number])


def test_get_next_case_with_nothing_to_do_says_so(client, rita):
    client.force_login(rita)

    response = client.post(reverse("claim_next"), follow=True)

    assert "There is no open case you may work right now." in (
        response.content.decode()
    )


def test_viewing_a_case_is_recorded_in_the_access_log(client, rita):
    appeal = make_appeal(denial=CODING)
    client.force_login(rita)

    response = client.get(reverse("case", args=[appeal.case_number]))

    assert response.status_code == 200
    entry = AccessLog.objects.get(appeal=appeal)
    assert entry.user == rita
    assert entry.what == "case page"


def test_someone_outside_the_desk_cannot_see_a_case(client, outsider):
    appeal = make_appeal(denial=CODING)
    client.force_login(outsider)

    response = client.get(reverse("case", args=[appeal.case_number]))

    assert response.status_code == 404
    assert not AccessLog.objects.exists()


def test_an_unknown_case_number_is_a_404(client, rita):
    client.force_login(rita)

    assert client.get(reverse("case", args=["AP-9999999"])).status_code == 404
    assert client.get(reverse("case", args=["nonsense"])).status_code == 404


def test_the_case_page_says_why_deciding_is_not_possible_yet(client, rita):
    appeal = _mine(make_appeal(denial=CODING), rita)
    services.appeal_accept(appeal=appeal, by=rita)
    client.force_login(rita)

    page = client.get(reverse("case", args=[appeal.case_number])).content.decode()

    assert "Complete the required steps of the review protocol first" in page


def test_a_refused_action_is_explained_in_plain_words(client, rita):
    appeal = _mine(make_appeal(denial=CODING), rita)
    services.appeal_accept(appeal=appeal, by=rita)
    client.force_login(rita)

    response = client.post(
        reverse("case_action", args=[appeal.case_number, "decide"]),
        {
            "decide-outcome": Outcome.OVERTURNED,
            "decide-rationale": "Correctly coded",
            "decide-criteria": "",
        },
        follow=True,
    )

    page = response.content.decode()
    assert "Decide was not done" in page
    assert "Draft the rationale" in page
    appeal.refresh_from_db()
    assert appeal.status == Status.IN_REVIEW


def test_acting_on_a_stale_copy_says_someone_else_changed_the_case(
    client, rita, monkeypatch
):
    appeal = _mine(make_appeal(denial=CODING), rita)
    client.force_login(rita)

    def changed_meanwhile(**kwargs):
        raise services.AppealConflict("AP-x was changed by someone else.")

    monkeypatch.setattr(services, "appeal_accept", changed_meanwhile)
    response = client.post(
        reverse("case_action", args=[appeal.case_number, "accept"]),
        {"accept-priority_decision": "", "accept-reason": ""},
        follow=True,
    )

    assert "Someone else changed this case" in response.content.decode()


def test_only_the_assigned_reviewer_may_act(client, rita, nora):
    appeal = _mine(make_appeal(denial=CODING), nora)
    client.force_login(rita)

    response = client.post(
        reverse("case_action", args=[appeal.case_number, "accept"]), follow=True
    )

    assert "Only the reviewer assigned to the case" in response.content.decode()
    appeal.refresh_from_db()
    assert appeal.status == Status.RECEIVED


def test_a_form_with_missing_fields_shows_the_errors_not_a_500(client, rita):
    appeal = _mine(make_appeal(denial=CODING), rita)
    services.appeal_accept(appeal=appeal, by=rita)
    client.force_login(rita)

    response = client.post(
        reverse("case_action", args=[appeal.case_number, "request_info"]),
        {"request_info-what": ""},
    )

    assert response.status_code == 400
    assert "This field is required." in response.content.decode()


def test_accepting_a_pending_expedite_needs_a_triage_decision(client, rita):
    appeal = _mine(
        make_appeal(
            denial=CODING,
            requested_priority=Priority.EXPEDITED,
            expedite_requested_by="member",
        ),
        rita,
    )
    client.force_login(rita)
    url = reverse("case_action", args=[appeal.case_number, "accept"])

    refused = client.post(url, {"accept-priority_decision": ""}, follow=True)
    client.post(
        url,
        {
            "accept-priority_decision": "refuse",
            "accept-reason": "No jeopardy to health in the standard time frame",
        },
    )

    assert "grant or refuse it" in refused.content.decode()
    appeal.refresh_from_db()
    assert appeal.status == Status.IN_REVIEW
    assert appeal.priority == Priority.STANDARD
    assert Notice.objects.filter(
        appeal=appeal, kind=NoticeKind.EXPEDITE_REFUSAL
    ).exists()


def test_requesting_information_says_the_clock_keeps_running(client, rita):
    appeal = _mine(make_appeal(denial=CODING), rita)
    services.appeal_accept(appeal=appeal, by=rita)
    client.force_login(rita)

    response = client.post(
        reverse("case_action", args=[appeal.case_number, "request_info"]),
        {"request_info-what": "Operative notes", "request_info-reply_by": ""},
        follow=True,
    )

    page = response.content.decode()
    assert "The decision clock keeps running" in page
    appeal.refresh_from_db()
    assert appeal.status == Status.PENDING_INFO
    assert appeal.information_requests.get().what == "Operative notes"
    assert appeal.notices.get().kind == NoticeKind.INFORMATION_REQUEST


def test_completing_a_step_with_htmx_returns_the_protocol_section(client, rita):
    appeal = _mine(make_appeal(denial=CODING), rita)
    client.force_login(rita)

    response = client.post(
        reverse("case_step", args=[appeal.case_number, "records"]),
        {"records-result": "done", "records-finding": "Records on file"},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    assert b"<html" not in response.content
    assert b"Records on file" in response.content
    assert StepCompletion.objects.get(step_key="records").completed_by == rita


def test_deciding_and_sending_the_notice_stores_a_printable_letter(client, rita):
    appeal = _mine(make_appeal(denial=CODING), rita)
    services.appeal_accept(appeal=appeal, by=rita)
    protocol = case_protocol_start(appeal=appeal)
    for step in protocol.steps:
        protocol_step_complete(
            appeal=appeal,
            user=rita,
            step_key=step["key"],
            result="done",
            finding="ok",
        )
    client.force_login(rita)

    client.post(
        reverse("case_action", args=[appeal.case_number, "decide"]),
        {
            "decide-outcome": Outcome.OVERTURNED,
            "decide-rationale": "The modifier was correct.",
            "decide-criteria": "CMS NCCI manual",
        },
    )
    client.post(reverse("case_action", args=[appeal.case_number, "send_notice"]))

    appeal.refresh_from_db()
    assert appeal.status == Status.NOTIFIED
    notice = appeal.notices.get(kind=NoticeKind.DECISION)
    letter = client.get(reverse("notice", args=[appeal.case_number, notice.pk]))
    assert "we have reversed our original decision" in letter.content.decode()
    assert "The modifier was correct." in letter.content.decode()
    assert AccessLog.objects.filter(appeal=appeal, what=f"notice {notice.pk}").exists()


def test_an_ma_extension_notice_gives_the_new_date_and_the_grievance_right(
    client, rita
):
    appeal = _mine(make_appeal(denial=CODING, received_at=RECEIVED), rita)
    client.force_login(rita)

    with time_machine.travel(RECEIVED + timedelta(days=3), tick=False):
        client.post(
            reverse("case_action", args=[appeal.case_number, "take_extension"]),
            {
                "take_extension-reason": "plan_needs_information",
                "take_extension-explanation": "We are waiting for the surgeon's notes.",
            },
        )

    notice = Notice.objects.get(appeal=appeal, kind=NoticeKind.EXTENSION)
    assert "May 20, 2026" in notice.body_html
    assert "expedited grievance" in notice.body_html


def test_information_received_returns_the_case_to_review(client, rita):
    appeal = _mine(make_appeal(denial=CODING), rita)
    services.appeal_accept(appeal=appeal, by=rita)
    client.force_login(rita)
    client.post(
        reverse("case_action", args=[appeal.case_number, "request_info"]),
        {"request_info-what": "Itemized bill", "request_info-reply_by": "2026-04-20"},
    )

    client.post(reverse("case_action", args=[appeal.case_number, "info_received"]))

    appeal.refresh_from_db()
    request = appeal.information_requests.get()
    assert appeal.status == Status.IN_REVIEW
    assert request.received_at is not None
    assert request.reply_by == datetime(2026, 4, 21, 3, 59, 59, tzinfo=UTC)


def test_an_upheld_ma_decision_notice_says_the_case_goes_to_independent_review(
    physician,
):
    appeal = make_appeal(denial=CODING)
    services.appeal_accept(appeal=appeal, by=physician)
    protocol = case_protocol_start(appeal=appeal)
    for step in protocol.steps:
        protocol_step_complete(
            appeal=appeal,
            user=physician,
            step_key=step["key"],
            result="done",
            finding="ok",
        )
    services.appeal_decide(
        appeal=appeal, by=physician, outcome=Outcome.UPHELD, rationale="Not covered."
    )

    notice = notice_render(appeal=appeal, kind=NoticeKind.DECISION, by=physician)

    assert "upheld our original decision" in notice.body_html
    assert "Independent Review Entity" in notice.body_html


def test_a_reviewer_can_take_an_unassigned_case_from_its_page(client, rita):
    appeal = make_appeal(denial=CODING)
    client.force_login(rita)

    page = client.get(reverse("case", args=[appeal.case_number])).content.decode()
    client.post(reverse("case_take", args=[appeal.case_number]))

    assert "Take this case" in page
    appeal.refresh_from_db()
    assert appeal.assignee == rita


def test_a_decision_letter_without_provider_or_codes_ends_its_sentence_cleanly(
    physician,
):
    appeal = make_appeal(denial=CODING)
    Appeal.objects.filter(pk=appeal.pk).update(provider=None)
    appeal.refresh_from_db()

    notice = notice_render(appeal=appeal, kind=NoticeKind.DECISION, by=physician)

    text = " ".join(notice.body_html.split())
    assert "about a service you asked us to cover.</p>" in text
