import csv
import io
from datetime import date

import pytest
from django.core.management import CommandError, call_command

from appeals import services
from appeals.choices import Kind, LineOfBusiness, Outcome, Priority, RequesterType
from appeals.models import Appeal
from casework.services import case_take_extension
from casework.supervision import universes
from tests.casework.supervision.helpers import decide, utc
from tests.factories import MemberFactory, ProviderFactory, make_appeal

pytestmark = pytest.mark.django_db

MEDICAL_NECESSITY = services.DenialFacts(
    reason_codes=["CO-50"], authorization_number="PA-77", service_codes=["E0601"]
)


def export(slug, start="2026-01-01", end="2026-03-31", **options) -> list[dict]:
    out = io.StringIO()
    call_command(
        "export_universe", slug, "--start", start, "--end", end, stdout=out, **options
    )
    return list(csv.DictReader(io.StringIO(out.getvalue())))


def test_an_approved_reconsideration_is_written_with_plan_zone_dates_and_times(
    physician,
):
    member = MemberFactory(member_id="1EG4-TE5-MK73", first_name="Ada", last_name="Ng")
    appeal = make_appeal(
        member=member,
        received_at=utc(2026, 2, 2, 15, 0),
        denial=services.DenialFacts(
            reason_codes=["CO-197"],
            authorization_number="PA-1",
            service_codes=["97110"],
        ),
    )
    decide(
        appeal,
        by=physician,
        at=utc(2026, 2, 10, 20, 30, 15),
        notify_at=utc(2026, 2, 11, 17, 0),
    )
    services.appeal_record_effectuation(
        appeal=appeal, by=physician, now=utc(2026, 2, 12, 18, 0)
    )

    [row] = export("part_c_reconsiderations", contract_id="H1234", pbp="001")

    assert row["Enrollee First Name"] == "Ada"
    assert row["Enrollee ID"] == "1EG4TE5MK73"
    assert row["Contract ID"] == "H1234"
    assert row["Plan Benefit Package"] == "001"
    assert row["Authorization or Claim Number"] == "PA-1"
    assert row["Who made the request?"] == "CP"
    assert row["Date the request was received"] == "2026/02/02"
    assert row["Time the request was received"] == "10:00:00"
    assert row["Date AOR received"] == "None"
    assert row["Part B drug"] == "N"
    assert row["Request processed as expedited or standard"] == "S"
    assert row["Request for expedited timeframe"] == "N"
    assert row["Was a timeframe extension taken?"] == "N"
    assert row["Disposition"] == "Approved"
    assert row["Date of decision"] == "2026/02/10"
    assert row["Time of decision"] == "15:30:15"
    assert row["Was the request denied for lack of medical necessity?"] == "None"
    assert row["Date written notification provided to enrollee"] == "2026/02/11"
    assert row["Time written notification provided to enrollee"] == "12:00:00"
    assert row["Date written notification provided to provider"] == "2026/02/11"
    assert row["Date forwarded to IRE"] == "None"
    assert row["Date effectuated"] == "2026/02/12"
    assert row["Time effectuated"] == "13:00:00"


def test_an_upheld_expedited_medical_necessity_case_reads_denied_and_forwarded(
    physician,
):
    # Daylight saving starts on 2026-03-08: the times after it read EDT.
    appeal = make_appeal(
        received_at=utc(2026, 3, 7, 15, 0),
        denial=MEDICAL_NECESSITY,
        requested_priority=Priority.EXPEDITED,
        expedite_requested_by="physician",
    )
    decide(
        appeal,
        by=physician,
        outcome=Outcome.UPHELD,
        at=utc(2026, 3, 8, 16, 0),
        notify_at=utc(2026, 3, 8, 20, 0),
    )

    [row] = export("part_c_reconsiderations")

    assert row["Request processed as expedited or standard"] == "E"
    assert row["Request for expedited timeframe"] == "Y"
    assert row["Disposition"] == "Denied"
    assert row["Time of decision"] == "12:00:00"
    assert row["Was the request denied for lack of medical necessity?"] == "Y"
    assert row[universes._decision_columns(part_d=False)[9].name] == "Y"
    assert row["Date forwarded to IRE"] == "2026/03/08"
    assert row["Time forwarded to IRE"] == "16:00:00"
    assert row["Date written notification provided to enrollee"] == "None"
    assert row["Contract ID"] == "None"


def test_the_period_is_counted_in_plan_days_and_leaves_out_open_and_withdrawn_cases(
    reviewer,
):
    late_evening = make_appeal(received_at=utc(2026, 3, 20, 15, 0))
    decide(late_evening, by=reviewer, at=utc(2026, 4, 1, 3, 30))  # 03-31 23:30 EDT
    next_morning = make_appeal(received_at=utc(2026, 3, 20, 15, 0))
    decide(next_morning, by=reviewer, at=utc(2026, 4, 1, 4, 0))  # 04-01 00:00 EDT
    make_appeal(received_at=utc(2026, 3, 2, 15, 0))
    withdrawn = make_appeal(received_at=utc(2026, 3, 2, 15, 0))
    services.appeal_withdraw(
        appeal=withdrawn, by=reviewer, reason="Member asked.", now=utc(2026, 3, 3)
    )

    rows = export("part_c_reconsiderations")

    assert [row["Date of decision"] for row in rows] == ["2026/03/31"]


def test_a_dismissal_is_reported_on_the_day_it_was_dismissed(reviewer):
    appeal = make_appeal(
        received_at=utc(2026, 1, 5, 15, 0),
        requester_type=RequesterType.MEMBER,
        provider=ProviderFactory(contracted=False),
    )
    services.appeal_dismiss(
        appeal=appeal, by=reviewer, reason="Not a valid appeal.", now=utc(2026, 1, 9)
    )

    [row] = export("part_c_reconsiderations")

    assert row["Disposition"] == "Dismissed"
    assert row["Who made the request?"] == "E"
    assert row["Date of decision"] == "2026/01/08"
    assert row["Was the request denied for lack of medical necessity?"] == "None"


def test_a_part_d_case_forwarded_after_its_deadline_reads_ire_auto_forward(reviewer):
    appeal = make_appeal(
        line_of_business=LineOfBusiness.MEDICARE_PART_D,
        received_at=utc(2026, 1, 5, 14, 0),
        provider=ProviderFactory(contracted=False),
    )
    services.appeal_forward(appeal=appeal, by="system", now=utc(2026, 1, 14, 15, 0))
    make_appeal(received_at=utc(2026, 1, 5, 14, 0))  # Part C: not in this table

    [row] = export("part_d_redeterminations")

    assert row["Disposition"] == "IRE auto-forward"
    assert row["Who made the request?"] == "NCP"
    assert row["Date of decision"] == "2026/01/14"
    assert row["Date forwarded to IRE"] == "2026/01/14"
    assert row["Time forwarded to IRE"] == "10:00:00"
    assert row["Date prescriber supporting statement received"] == "None"


def test_medicaid_export_says_whether_each_clock_was_met(reviewer):
    appeal = make_appeal(
        line_of_business=LineOfBusiness.MEDICAID, received_at=utc(2026, 7, 2, 20, 0)
    )
    services.appeal_acknowledge(appeal=appeal, by=reviewer, now=utc(2026, 7, 13, 14))
    decide(appeal, by=reviewer, at=utc(2026, 7, 20, 14), notify_at=utc(2026, 7, 20, 15))

    [row] = export("medicaid_appeals", start="2026-07-01", end="2026-07-31")

    assert row["Case Number"] == appeal.case_number
    assert row["Date acknowledged"] == "2026/07/13"
    assert row["Acknowledged on time"] == "N"  # due 07-10 23:59:59 EDT
    assert row["Date decision due"] == "2026/08/01"
    assert row["Time decision due"] == "23:59:59"
    assert row["Outcome"] == "overturned"
    assert row["Decided on time"] == "Y"
    assert row["Effectuated on time"] == "N"
    assert export("commercial_appeals", start="2026-07-01", end="2026-07-31") == []


def test_every_universe_keeps_its_values_within_the_column_lengths(physician):
    appeal = make_appeal(
        received_at=utc(2026, 2, 2, 15, 0),
        summary="x" * 3000,
    )
    decide(appeal, by=physician, at=utc(2026, 2, 3, 15), notify_at=utc(2026, 2, 4))
    universe = universes.universe_for("part_c_reconsiderations")

    [row] = export("part_c_reconsiderations")

    for column in universe.columns:
        assert len(row[column.name]) <= column.length, column.name
    assert len(row["Issue description and type of service"]) == 2000


def test_the_command_refuses_an_unknown_universe_and_a_bad_date():
    with pytest.raises(CommandError, match="Choose one of"):
        export("part_e_nonsense")
    with pytest.raises(CommandError, match="not a date"):
        export("medicaid_appeals", start="2026-02-30")
    with pytest.raises(CommandError, match="before"):
        export("medicaid_appeals", start="2026-03-01", end="2026-02-01")


def test_the_universe_page_downloads_the_same_csv(supervisor_client, physician):
    appeal = make_appeal(received_at=utc(2026, 2, 2, 15, 0))
    decide(appeal, by=physician, at=utc(2026, 2, 10), notify_at=utc(2026, 2, 11))

    response = supervisor_client.get(
        "/supervisor/universes",
        {
            "universe": "part_c_reconsiderations",
            "start": "2026-01-01",
            "end": "2026-03-31",
            "contract_id": "H1234",
        },
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv"
    assert (
        "part_c_reconsiderations-20260101-20260331.csv"
        in (response["Content-Disposition"])
    )
    [row] = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert row["Contract ID"] == "H1234"
    assert row == export("part_c_reconsiderations", contract_id="H1234")[0]


def test_the_universe_page_explains_bad_input_instead_of_failing(supervisor_client):
    response = supervisor_client.get(
        "/supervisor/universes",
        {"universe": "part_c_reconsiderations", "start": "2026-13-01", "end": "x"},
    )

    assert response.status_code == 400
    assert b"Enter a valid date" in response.content


def test_the_period_bounds_are_plan_midnights():
    opens, closes = universes.period_bounds(date(2026, 3, 1), date(2026, 3, 31))

    assert opens == utc(2026, 3, 1, 5, 0)
    assert closes == utc(2026, 4, 1, 4, 0)


def test_representative_extension_and_oral_notice_columns_come_from_the_record(
    physician,
):
    told = make_appeal(
        received_at=utc(2026, 2, 2, 15, 0),
        requester_type=RequesterType.REPRESENTATIVE,
    )
    Appeal.objects.filter(pk=told.pk).update(
        representative_authorized_at=utc(2026, 2, 3, 16, 45, 30)
    )
    told.refresh_from_db()
    case_take_extension(
        appeal=told,
        by=physician,
        reason="plan_needs_information",
        explanation="Waiting for the surgeon's notes.",
        now=utc(2026, 2, 20),
    )
    decide(told, by=physician, at=utc(2026, 3, 10, 15), notify_at=utc(2026, 3, 11))
    untold = make_appeal(received_at=utc(2026, 2, 2, 15, 0))
    services.appeal_take_extension(
        appeal=untold, by=physician, reason="member_request", now=utc(2026, 2, 20)
    )
    decide(untold, by=physician, at=utc(2026, 3, 12, 15), notify_at=utc(2026, 3, 13))
    oral = make_appeal(
        kind=Kind.PART_B_DRUG,
        received_at=utc(2026, 3, 2, 15, 0),
        requested_priority=Priority.EXPEDITED,
        expedite_requested_by="physician",
    )
    decide(oral, by=physician, at=utc(2026, 3, 3, 15, 0))
    services.appeal_record_oral_notice(
        appeal=oral, by=physician, now=utc(2026, 3, 3, 15, 20)
    )

    rows = {row["Date of decision"]: row for row in export("part_c_reconsiderations")}

    extension_told = universes._decision_columns(part_d=False)[4].name
    assert rows["2026/03/10"]["Who made the request?"] == "ER"
    assert rows["2026/03/10"]["Date AOR received"] == "2026/02/03"
    assert rows["2026/03/10"]["Time AOR received"] == "11:45:30"
    assert rows["2026/03/10"]["Was a timeframe extension taken?"] == "Y"
    assert rows["2026/03/10"][extension_told] == "Y"
    assert rows["2026/03/12"][extension_told] == "N"
    assert rows["2026/03/03"]["Part B drug"] == "Y"
    assert rows["2026/03/03"]["Date oral notification provided to enrollee"] == (
        "2026/03/03"
    )
    assert rows["2026/03/03"]["Time oral notification provided to enrollee"] == (
        "10:20:00"
    )


def test_a_prescribers_expedite_request_is_the_supporting_statement(physician):
    appeal = make_appeal(
        line_of_business=LineOfBusiness.MEDICARE_PART_D,
        received_at=utc(2026, 3, 2, 15, 5, 9),
        requested_priority=Priority.EXPEDITED,
        expedite_requested_by="physician",
    )
    decide(appeal, by=physician, at=utc(2026, 3, 3), notify_at=utc(2026, 3, 3, 1))

    [row] = export("part_d_redeterminations")

    assert row["Date prescriber supporting statement received"] == "2026/03/02"
    assert row["Time prescriber supporting statement received"] == "10:05:09"
    assert row["Disposition"] == "Approved"
