from datetime import date

import pytest
import time_machine

from appeals import services
from appeals.choices import LineOfBusiness, Outcome, Priority
from casework.supervision.analytics import timeliness_scorecard
from tests.casework.supervision.helpers import decide, utc
from tests.factories import make_appeal

pytestmark = pytest.mark.django_db

NOW = utc(2026, 3, 1, 12, 0)
FEBRUARY_AND_MARCH = {"start": date(2026, 2, 1), "end": date(2026, 3, 31)}


@pytest.fixture
def february(physician):
    """Decision deadlines in February 2026 (plan zone), met and missed."""
    cases = {}
    cases["met"] = decide(
        make_appeal(received_at=utc(2026, 1, 5, 15)),
        by=physician,
        at=utc(2026, 1, 20),
        notify_at=utc(2026, 1, 21),
    )
    # Due 2026-02-05 23:59:59 EST = 02-06 04:59:59 UTC: meeting it to the second counts.
    cases["at_the_second"] = decide(
        make_appeal(received_at=utc(2026, 1, 6, 15)),
        by=physician,
        at=utc(2026, 2, 6, 4, 59, 59),
        notify_at=utc(2026, 2, 6, 4, 59, 59),
    )
    cases["notice_late"] = decide(
        make_appeal(received_at=utc(2026, 1, 6, 15)),
        by=physician,
        at=utc(2026, 2, 6, 4, 59, 0),
        notify_at=utc(2026, 2, 6, 5, 0, 0),
    )
    cases["never_decided"] = make_appeal(received_at=utc(2026, 1, 7, 15))
    cases["still_ahead"] = make_appeal(received_at=utc(2026, 2, 20, 15))
    cases["expedited_oral"] = decide(
        make_appeal(
            received_at=utc(2026, 2, 10, 15),
            requested_priority=Priority.EXPEDITED,
            expedite_requested_by="physician",
        ),
        by=physician,
        at=utc(2026, 2, 13, 14),
    )
    services.appeal_record_oral_notice(
        appeal=cases["expedited_oral"], by=physician, now=utc(2026, 2, 13, 14, 30)
    )
    services.appeal_send_notice(
        appeal=cases["expedited_oral"], by=physician, now=utc(2026, 2, 14)
    )
    cases["medicaid"] = decide(
        make_appeal(
            line_of_business=LineOfBusiness.MEDICAID, received_at=utc(2026, 1, 5, 15)
        ),
        by=physician,
        at=utc(2026, 2, 1),
        notify_at=utc(2026, 2, 2),
    )
    dismissed = make_appeal(received_at=utc(2026, 1, 8, 15))
    services.appeal_dismiss(
        appeal=dismissed, by=physician, reason="Duplicate.", now=utc(2026, 1, 9)
    )
    return cases


def _cells(card):
    return {
        (c.month, c.line_of_business, c.priority): (c.on_time, c.total)
        for c in card.cells
    }


def test_decisions_count_on_time_only_when_decided_and_notified_by_the_deadline(
    february,
):
    card = timeliness_scorecard(obligation="decision", now=NOW, **FEBRUARY_AND_MARCH)

    assert _cells(card) == {
        ("2026-02", "medicaid", "standard"): (1, 1),
        ("2026-02", "medicare_advantage", "expedited"): (1, 1),
        ("2026-02", "medicare_advantage", "standard"): (2, 4),
    }
    assert [(late.case_number, late.done_at) for late in card.late] == [
        (february["notice_late"].case_number, utc(2026, 2, 6, 5, 0, 0)),
        (february["never_decided"].case_number, None),
    ]
    assert (card.on_time, card.total) == (4, 6)


def test_a_case_not_yet_due_joins_the_scorecard_once_its_deadline_passes(february):
    later = utc(2026, 3, 24)  # due 03-22 23:59:59 EDT

    card = timeliness_scorecard(obligation="decision", now=later, **FEBRUARY_AND_MARCH)

    assert _cells(card)[("2026-03", "medicare_advantage", "standard")] == (0, 1)
    assert february["still_ahead"].case_number in [c.case_number for c in card.late]


def test_acknowledgements_are_scored_against_business_day_deadlines(reviewer):
    # Received Monday 2026-01-05: acknowledgement due Monday 01-12 23:59:59 EST.
    on_time = make_appeal(
        line_of_business=LineOfBusiness.MEDICAID, received_at=utc(2026, 1, 5, 15)
    )
    services.appeal_acknowledge(appeal=on_time, by=reviewer, now=utc(2026, 1, 13, 4))
    late = make_appeal(
        line_of_business=LineOfBusiness.MEDICAID, received_at=utc(2026, 1, 5, 15)
    )
    services.appeal_acknowledge(appeal=late, by=reviewer, now=utc(2026, 1, 13, 5))
    make_appeal(received_at=utc(2026, 1, 5, 15))  # Medicare: no acknowledgement clock

    card = timeliness_scorecard(
        obligation="acknowledgement",
        now=NOW,
        start=date(2026, 1, 1),
        end=date(2026, 1, 31),
    )

    assert _cells(card) == {("2026-01", "medicaid", "standard"): (1, 2)}
    assert [c.case_number for c in card.late] == [late.case_number]


def test_effectuations_of_overturns_are_scored_and_the_late_ones_listed(physician):
    standard = decide(
        make_appeal(received_at=utc(2026, 1, 5, 15)),
        by=physician,
        at=utc(2026, 1, 20),
        notify_at=utc(2026, 1, 21),
    )
    services.appeal_record_effectuation(
        appeal=standard, by=physician, now=utc(2026, 1, 22)
    )
    expedited = decide(
        make_appeal(
            received_at=utc(2026, 2, 10, 15),
            requested_priority=Priority.EXPEDITED,
            expedite_requested_by="physician",
        ),
        by=physician,
        at=utc(2026, 2, 12),
        notify_at=utc(2026, 2, 12, 1),
    )
    services.appeal_record_effectuation(
        appeal=expedited, by=physician, now=utc(2026, 2, 13, 16)
    )
    decide(
        make_appeal(received_at=utc(2026, 1, 5, 15)),
        by=physician,
        outcome=Outcome.UPHELD,
        at=utc(2026, 1, 20),
        notify_at=utc(2026, 1, 21),
    )

    card = timeliness_scorecard(
        obligation="effectuation", now=NOW, **FEBRUARY_AND_MARCH
    )

    assert _cells(card) == {
        ("2026-02", "medicare_advantage", "expedited"): (0, 1),
        ("2026-02", "medicare_advantage", "standard"): (1, 1),
    }
    assert [c.case_number for c in card.late] == [expedited.case_number]


@time_machine.travel(NOW, tick=False)
def test_the_scorecard_page_shows_the_shares_and_the_late_cases(
    supervisor_client, february
):
    response = supervisor_client.get(
        "/supervisor/timeliness", {"start": "2026-02-01", "end": "2026-03-31"}
    )

    assert response.status_code == 200
    text = response.content.decode()
    decisions = text.split('data-testid="card-decision"')[1].split("card-ack")[0]
    assert "4 of 6 on time" in decisions
    assert "50%" in decisions
    assert february["notice_late"].case_number in decisions
    assert february["met"].case_number not in decisions
    assert "<svg" in text


def test_the_scorecard_page_refuses_a_reversed_period(supervisor_client):
    response = supervisor_client.get(
        "/supervisor/timeliness", {"start": "2026-03-01", "end": "2026-02-01"}
    )

    assert response.status_code == 400
    assert b"The end date is before the start date." in response.content
