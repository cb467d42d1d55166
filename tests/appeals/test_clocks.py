"""The clock engine against REGULATORY.md, row by row, to the second.

Every due moment is asserted twice: as the UTC instant that is stored and as the plan
time a reviewer reads. Most cases are received on Thursday 2026-01-15 at 09:30 EST.
"""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from appeals import clocks
from appeals.choices import Kind, LineOfBusiness, Priority

MA = LineOfBusiness.MEDICARE_ADVANTAGE
PD = LineOfBusiness.MEDICARE_PART_D
MCD = LineOfBusiness.MEDICAID
COM = LineOfBusiness.COMMERCIAL
PRE = Kind.PRE_SERVICE
POST = Kind.POST_SERVICE
PART_B = Kind.PART_B_DRUG
STD = Priority.STANDARD
EXP = Priority.EXPEDITED

NEW_YORK = ZoneInfo("America/New_York")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
RECEIVED = datetime(2026, 1, 15, 9, 30, tzinfo=NEW_YORK)


def assert_due(deadline, *, local, utc):
    assert deadline.due.utcoffset() == timedelta(0)
    assert deadline.due == datetime.fromisoformat(utc).replace(tzinfo=UTC)
    plan_time = deadline.due.astimezone(clocks.plan_zone())
    assert plan_time.strftime("%Y-%m-%d %H:%M:%S %Z") == local


def clocks_for(line_of_business, kind, priority, received_at=RECEIVED, **options):
    return clocks.case_clocks(
        line_of_business=line_of_business,
        kind=kind,
        priority=priority,
        received_at=received_at,
        **options,
    )


# Section 1: how time is counted.


def test_an_hour_window_is_exact_elapsed_seconds_across_the_spring_change():
    start = datetime(2026, 3, 7, 10, tzinfo=NEW_YORK)

    due = clocks.add_hours(start, 72)

    assert due - start == timedelta(seconds=72 * 3600)
    assert due.astimezone(NEW_YORK).hour == 11


def test_an_hour_window_is_exact_elapsed_seconds_across_the_autumn_change():
    start = datetime(2026, 10, 31, 10, tzinfo=NEW_YORK)

    due = clocks.add_hours(start, 72)

    assert due == datetime(2026, 11, 3, 14, tzinfo=UTC)
    assert due.astimezone(NEW_YORK).hour == 9


def test_a_day_window_ends_at_the_last_second_of_the_plan_day_in_summer():
    due = clocks.add_calendar_days(datetime(2026, 6, 1, 8, tzinfo=NEW_YORK), 3)

    assert due == datetime(2026, 6, 5, 3, 59, 59, tzinfo=UTC)


def test_a_day_window_ends_at_the_last_second_of_the_plan_day_in_winter():
    due = clocks.add_calendar_days(datetime(2026, 12, 1, 8, tzinfo=NEW_YORK), 3)

    assert due == datetime(2026, 12, 5, 4, 59, 59, tzinfo=UTC)


def test_the_day_of_receipt_is_day_zero_however_late_it_arrives():
    late = datetime(2026, 1, 15, 23, 59, 59, tzinfo=NEW_YORK)

    assert clocks.add_calendar_days(late, 1) == clocks.end_of_plan_day(
        date(2026, 1, 16)
    )


def test_the_receipt_day_is_decided_in_the_plan_time_zone(settings):
    received = datetime(2026, 4, 6, 23, 30, tzinfo=LOS_ANGELES)

    settings.PLAN_TIME_ZONE = "America/New_York"
    new_york_due = clocks.add_calendar_days(received, 30)
    settings.PLAN_TIME_ZONE = "America/Los_Angeles"
    los_angeles_due = clocks.add_calendar_days(received, 30)

    assert new_york_due == datetime(2026, 5, 8, 3, 59, 59, tzinfo=UTC)
    assert los_angeles_due == datetime(2026, 5, 7, 6, 59, 59, tzinfo=UTC)


def test_a_day_deadline_on_a_saturday_does_not_roll():
    clock = clocks_for(PD, PRE, STD, datetime(2026, 1, 10, 12, tzinfo=NEW_YORK))

    assert_due(
        clock.decide_by, local="2026-01-17 23:59:59 EST", utc="2026-01-18 04:59:59"
    )


def test_a_day_deadline_on_a_federal_holiday_does_not_roll():
    clock = clocks_for(PD, PRE, STD, datetime(2026, 12, 18, 12, tzinfo=NEW_YORK))

    assert_due(
        clock.decide_by, local="2026-12-25 23:59:59 EST", utc="2026-12-26 04:59:59"
    )


def test_business_days_start_the_day_after_and_skip_weekends():
    friday_evening = datetime(2026, 1, 9, 18, tzinfo=NEW_YORK)

    due = clocks.add_business_days(friday_evening, 1)

    assert due == clocks.end_of_plan_day(date(2026, 1, 12))


def test_business_days_skip_an_observed_holiday():
    # Independence Day 2026 is a Saturday, observed on Friday 07-03.
    due = clocks.add_business_days(datetime(2026, 7, 2, 16, tzinfo=NEW_YORK), 1)

    assert due == clocks.end_of_plan_day(date(2026, 7, 6))


def test_business_days_skip_a_new_year_observed_in_the_year_before():
    # 2022-01-01 was a Saturday, observed on Friday 2021-12-31.
    due = clocks.add_business_days(datetime(2021, 12, 30, 9, tzinfo=NEW_YORK), 1)

    assert due == clocks.end_of_plan_day(date(2022, 1, 3))


def test_a_date_only_receipt_is_midnight_in_the_plan_time_zone():
    received = clocks.receipt_from_date(date(2026, 4, 6))

    assert received == datetime(2026, 4, 6, 4, tzinfo=UTC)
    assert received.utcoffset() == timedelta(0)


def test_a_date_only_receipt_follows_the_plan_time_zone_setting(settings):
    settings.PLAN_TIME_ZONE = "America/Los_Angeles"

    assert clocks.receipt_from_date(date(2026, 1, 6)) == datetime(
        2026, 1, 6, 8, tzinfo=UTC
    )


def test_an_obligation_met_at_the_due_second_is_met():
    due = datetime(2026, 5, 7, 3, 59, 59, tzinfo=UTC)

    assert clocks.is_met(due, due)
    assert clocks.is_met(due.replace(microsecond=999_999), due)
    assert clocks.is_met(due - timedelta(days=3), due)


def test_an_obligation_met_one_second_late_is_not_met():
    due = datetime(2026, 5, 7, 3, 59, 59, tzinfo=UTC)

    assert not clocks.is_met(due + timedelta(seconds=1), due)


def test_a_naive_receipt_is_refused_by_name():
    with pytest.raises(ValueError, match="received_at"):
        clocks_for(MA, PRE, STD, datetime(2026, 1, 15, 9, 30))  # noqa: DTZ001


def test_every_deadline_is_stored_in_utc():
    clock = clocks_for(MCD, PRE, STD, denial_notice_date=date(2026, 1, 2))

    assert {deadline.due.tzinfo for deadline in clock.all()} == {UTC}


# Section 2: decision deadlines, one test per row of the table.

DECISION_ROWS = [
    (MA, PRE, STD, "MA-PRE-STD", "2026-02-14 23:59:59 EST", "2026-02-15 04:59:59"),
    (MA, PRE, EXP, "MA-PRE-EXP", "2026-01-18 09:30:00 EST", "2026-01-18 14:30:00"),
    (MA, POST, STD, "MA-POST-STD", "2026-03-16 23:59:59 EDT", "2026-03-17 03:59:59"),
    (MA, PART_B, STD, "MA-PARTB-STD", "2026-01-22 23:59:59 EST", "2026-01-23 04:59:59"),
    (MA, PART_B, EXP, "MA-PARTB-EXP", "2026-01-18 09:30:00 EST", "2026-01-18 14:30:00"),
    (PD, PRE, STD, "PD-PRE-STD", "2026-01-22 23:59:59 EST", "2026-01-23 04:59:59"),
    (PD, PRE, EXP, "PD-PRE-EXP", "2026-01-18 09:30:00 EST", "2026-01-18 14:30:00"),
    (PD, POST, STD, "PD-POST-STD", "2026-01-29 23:59:59 EST", "2026-01-30 04:59:59"),
    (MCD, PRE, STD, "MCD-STD", "2026-02-14 23:59:59 EST", "2026-02-15 04:59:59"),
    (MCD, POST, STD, "MCD-STD", "2026-02-14 23:59:59 EST", "2026-02-15 04:59:59"),
    (MCD, PRE, EXP, "MCD-PRE-EXP", "2026-01-18 09:30:00 EST", "2026-01-18 14:30:00"),
    (COM, PRE, STD, "COM-PRE-STD", "2026-02-14 23:59:59 EST", "2026-02-15 04:59:59"),
    (COM, PRE, EXP, "COM-PRE-EXP", "2026-01-18 09:30:00 EST", "2026-01-18 14:30:00"),
    (COM, POST, STD, "COM-POST-STD", "2026-03-16 23:59:59 EDT", "2026-03-17 03:59:59"),
]

CITATIONS = {
    "MA-PRE-STD": "42 CFR 422.590(a), (f)",
    "MA-PRE-EXP": "42 CFR 422.590(e), (f)",
    "MA-POST-STD": "42 CFR 422.590(b)",
    "MA-PARTB-STD": "42 CFR 422.590(c)",
    "MA-PARTB-EXP": "42 CFR 422.590(e)",
    "PD-PRE-STD": "42 CFR 423.590(a)",
    "PD-PRE-EXP": "42 CFR 423.590(d)",
    "PD-POST-STD": "42 CFR 423.590(b)",
    "MCD-STD": "42 CFR 438.408(b)(2), (c)",
    "MCD-PRE-EXP": "42 CFR 438.408(b)(3), (c)",
    "COM-PRE-STD": "29 CFR 2560.503-1(i)(2)(ii)",
    "COM-PRE-EXP": "29 CFR 2560.503-1(i)(2)(i)",
    "COM-POST-STD": "29 CFR 2560.503-1(i)(2)(iii)",
}


def test_the_rules_are_the_thirteen_rows_of_the_decision_table_with_citations():
    assert {rule.rule_id: rule.citation for rule in clocks.RULES} == CITATIONS


def test_every_rule_counts_in_hours_or_in_days_never_both():
    for rule in clocks.RULES:
        assert (rule.decision_hours is None) != (rule.decision_days is None)


@pytest.mark.parametrize(
    ("line_of_business", "kind", "priority", "rule_id", "local", "utc"),
    DECISION_ROWS,
    ids=[f"{row[3]}-{row[1]}" for row in DECISION_ROWS],
)
def test_each_row_sets_its_decision_deadline(
    line_of_business, kind, priority, rule_id, local, utc
):
    clock = clocks_for(line_of_business, kind, priority)

    assert clock.rule.rule_id == rule_id
    assert clock.decide_by.rule_id == rule_id
    assert clock.decide_by.citation == CITATIONS[rule_id]
    assert_due(clock.decide_by, local=local, utc=utc)


EXTENSION_ROWS = [
    (MA, PRE, STD, "2026-02-28 23:59:59 EST", "2026-03-01 04:59:59"),
    (MA, PRE, EXP, "2026-02-01 09:30:00 EST", "2026-02-01 14:30:00"),
    (MCD, PRE, STD, "2026-02-28 23:59:59 EST", "2026-03-01 04:59:59"),
    (MCD, POST, STD, "2026-02-28 23:59:59 EST", "2026-03-01 04:59:59"),
    (MCD, PRE, EXP, "2026-02-01 09:30:00 EST", "2026-02-01 14:30:00"),
]


@pytest.mark.parametrize(
    ("line_of_business", "kind", "priority", "local", "utc"), EXTENSION_ROWS
)
def test_an_extension_adds_fourteen_days_where_the_row_allows_one(
    line_of_business, kind, priority, local, utc
):
    offered = clocks_for(line_of_business, kind, priority)
    taken = clocks_for(line_of_business, kind, priority, extended=True)

    assert clocks.may_extend(offered.rule)
    assert_due(offered.extended_decide_by, local=local, utc=utc)
    assert_due(taken.decide_by, local=local, utc=utc)
    assert taken.decide_by.inputs["extended"] is True


NO_EXTENSION_ROWS = [
    (MA, POST, STD),
    (MA, PART_B, STD),
    (MA, PART_B, EXP),
    (PD, PRE, STD),
    (PD, PRE, EXP),
    (PD, POST, STD),
    (COM, PRE, STD),
    (COM, PRE, EXP),
    (COM, POST, STD),
]


@pytest.mark.parametrize(("line_of_business", "kind", "priority"), NO_EXTENSION_ROWS)
def test_a_row_without_an_extension_offers_none_and_refuses_one(
    line_of_business, kind, priority
):
    clock = clocks_for(line_of_business, kind, priority)

    assert not clocks.may_extend(clock.rule)
    assert clock.extended_decide_by is None
    with pytest.raises(ValueError, match="extended"):
        clocks_for(line_of_business, kind, priority, extended=True)


def test_an_extended_hour_window_is_fourteen_times_24_elapsed_hours_across_dst():
    received = datetime(2026, 2, 28, 10, tzinfo=NEW_YORK)

    clock = clocks_for(MA, PRE, EXP, received, extended=True)

    assert clock.decide_by.due - received == timedelta(hours=72 + 14 * 24)
    assert_due(
        clock.decide_by, local="2026-03-17 11:00:00 EDT", utc="2026-03-17 15:00:00"
    )


def test_an_extended_day_window_ends_at_235959_plan_time_across_dst():
    received = datetime(2026, 2, 1, 10, tzinfo=NEW_YORK)

    clock = clocks_for(MCD, POST, STD, received)

    assert_due(
        clock.decide_by, local="2026-03-03 23:59:59 EST", utc="2026-03-04 04:59:59"
    )
    assert_due(
        clock.extended_decide_by,
        local="2026-03-17 23:59:59 EDT",
        utc="2026-03-18 03:59:59",
    )


def test_a_two_level_commercial_plan_decides_pre_service_in_15_days(settings):
    settings.COMMERCIAL_APPEAL_LEVELS = 2

    clock = clocks_for(COM, PRE, STD)

    assert clock.rule.decision_days == 15
    assert clock.decide_by.inputs["commercial_appeal_levels"] == 2
    assert_due(
        clock.decide_by, local="2026-01-30 23:59:59 EST", utc="2026-01-31 04:59:59"
    )


def test_a_two_level_commercial_plan_decides_post_service_in_30_days(settings):
    settings.COMMERCIAL_APPEAL_LEVELS = 2

    clock = clocks_for(COM, POST, STD)

    assert_due(
        clock.decide_by, local="2026-02-14 23:59:59 EST", utc="2026-02-15 04:59:59"
    )


def test_a_two_level_commercial_plan_keeps_the_72_hour_urgent_clock(settings):
    settings.COMMERCIAL_APPEAL_LEVELS = 2

    clock = clocks_for(COM, PRE, EXP)

    assert_due(
        clock.decide_by, local="2026-01-18 09:30:00 EST", utc="2026-01-18 14:30:00"
    )


@pytest.mark.parametrize("line_of_business", [PD, MCD, COM])
def test_a_part_b_drug_appeal_outside_medicare_advantage_is_invalid(line_of_business):
    with pytest.raises(clocks.InvalidCaseType, match="kind"):
        clocks.rule_for(line_of_business=line_of_business, kind=PART_B, priority=STD)


@pytest.mark.parametrize(
    ("field", "case_type"),
    [
        ("line_of_business", {"line_of_business": "medigap", "kind": PRE}),
        ("kind", {"line_of_business": MA, "kind": "dental"}),
        ("priority", {"line_of_business": MA, "kind": PRE, "priority": "urgent"}),
    ],
)
def test_a_value_outside_the_enumerations_is_invalid_and_named(field, case_type):
    with pytest.raises(clocks.InvalidCaseType, match=field):
        clocks.rule_for(**{"priority": STD} | case_type)


@pytest.mark.parametrize("line_of_business", [MA, PD, MCD, COM])
def test_a_payment_appeal_asking_to_be_expedited_runs_standard_and_is_flagged(
    line_of_business,
):
    in_force = clocks.effective_priority(
        line_of_business=line_of_business, kind=POST, requested=EXP
    )

    assert in_force == ("standard", True)


@pytest.mark.parametrize(
    ("line_of_business", "kind"), [(MA, PRE), (MA, PART_B), (PD, PRE)]
)
def test_a_service_appeal_asking_to_be_expedited_is_expedited(line_of_business, kind):
    in_force = clocks.effective_priority(
        line_of_business=line_of_business, kind=kind, requested=EXP
    )

    assert in_force == ("expedited", False)


def test_effective_priority_refuses_an_invalid_case_type():
    with pytest.raises(clocks.InvalidCaseType, match="kind"):
        clocks.effective_priority(line_of_business=MCD, kind=PART_B, requested=EXP)


def test_a_payment_appeal_has_no_expedited_rule():
    with pytest.raises(clocks.InvalidCaseType, match="priority"):
        clocks.rule_for(line_of_business=MA, kind=POST, priority=EXP)


def test_a_refused_expedite_runs_the_standard_clock_from_the_original_receipt():
    refused = clocks_for(MA, PRE, STD)

    assert_due(
        refused.decide_by, local="2026-02-14 23:59:59 EST", utc="2026-02-15 04:59:59"
    )


@pytest.mark.parametrize(
    ("line_of_business", "rule_id", "local", "utc"),
    [
        (MA, "EXP-REFUSAL-MA", "2026-01-19 23:59:59 EST", "2026-01-20 04:59:59"),
        (PD, "EXP-REFUSAL-PD", "2026-01-19 23:59:59 EST", "2026-01-20 04:59:59"),
        (MCD, "EXP-REFUSAL-MCD", "2026-01-18 23:59:59 EST", "2026-01-19 04:59:59"),
    ],
)
def test_a_refused_expedite_is_confirmed_in_writing_within_its_days(
    line_of_business, rule_id, local, utc
):
    refused_at = datetime(2026, 1, 16, 11, tzinfo=NEW_YORK)

    notice = clocks.expedite_refusal_notice_deadline(
        line_of_business=line_of_business, refused_at=refused_at
    )

    assert notice.name == "expedite_refusal_notice_by"
    assert notice.rule_id == rule_id
    assert_due(notice, local=local, utc=utc)


def test_a_refused_commercial_expedite_has_no_federal_notice_deadline():
    refused_at = datetime(2026, 1, 16, 11, tzinfo=NEW_YORK)

    notice = clocks.expedite_refusal_notice_deadline(
        line_of_business=COM, refused_at=refused_at
    )

    assert notice is None


def test_an_early_upgrade_runs_72_hours_from_the_upgrade():
    standard = clocks_for(MA, PRE, STD)
    upgraded_at = datetime(2026, 1, 20, 13, 15, tzinfo=NEW_YORK)

    clock = clocks_for(
        MA,
        PRE,
        EXP,
        expedited_at=upgraded_at,
        current_decide_by=standard.decide_by.due,
    )

    assert_due(
        clock.decide_by, local="2026-01-23 13:15:00 EST", utc="2026-01-23 18:15:00"
    )
    assert clock.decide_by.rule_id == "MA-PRE-EXP"
    assert clock.decide_by.inputs["expedited_at"] == "2026-01-20T18:15:00+00:00"


def test_a_late_upgrade_keeps_the_earlier_current_deadline():
    standard = clocks_for(PD, PRE, STD)
    upgraded_at = datetime(2026, 1, 21, 9, tzinfo=NEW_YORK)

    clock = clocks_for(
        PD,
        PRE,
        EXP,
        expedited_at=upgraded_at,
        current_decide_by=standard.decide_by.due,
    )

    assert clock.decide_by.due == standard.decide_by.due


def test_an_upgrade_needs_both_the_upgrade_moment_and_the_current_deadline():
    with pytest.raises(ValueError, match="current_decide_by"):
        clocks_for(MA, PRE, EXP, expedited_at=RECEIVED)


def test_an_upgrade_runs_the_expedited_clock():
    with pytest.raises(ValueError, match="priority"):
        clocks_for(MA, PRE, STD, expedited_at=RECEIVED, current_decide_by=RECEIVED)


def test_an_upgraded_case_extends_by_fourteen_times_24_hours_from_its_new_deadline():
    standard = clocks_for(MCD, PRE, STD)
    upgraded_at = datetime(2026, 1, 20, 13, 15, tzinfo=NEW_YORK)

    clock = clocks_for(
        MCD,
        PRE,
        EXP,
        expedited_at=upgraded_at,
        current_decide_by=standard.decide_by.due,
        extended=True,
    )

    assert_due(
        clock.decide_by, local="2026-02-06 13:15:00 EST", utc="2026-02-06 18:15:00"
    )


def test_recomputing_an_upgraded_case_from_its_own_deadline_changes_nothing():
    standard = clocks_for(MA, PRE, STD)
    upgraded_at = datetime(2026, 1, 20, 13, 15, tzinfo=NEW_YORK)
    upgraded = clocks_for(
        MA, PRE, EXP, expedited_at=upgraded_at, current_decide_by=standard.decide_by.due
    )

    again = clocks_for(
        MA, PRE, EXP, expedited_at=upgraded_at, current_decide_by=upgraded.decide_by.due
    )
    extended = clocks_for(
        MA,
        PRE,
        EXP,
        expedited_at=upgraded_at,
        current_decide_by=upgraded.decide_by.due,
        extended=True,
    )

    assert again.decide_by.due == upgraded.decide_by.due
    assert extended.decide_by.due == upgraded.decide_by.due + timedelta(days=14)


def test_a_medicaid_extension_notice_is_due_within_2_days():
    extended_at = datetime(2026, 2, 10, 16, tzinfo=NEW_YORK)

    notice = clocks.extension_notice_deadline(
        line_of_business=MCD, extended_at=extended_at
    )

    assert (notice.name, notice.rule_id) == ("extension_notice_by", "EXT-NOTICE-MCD")
    assert notice.citation == "42 CFR 438.408(c)(2)"
    assert_due(notice, local="2026-02-12 23:59:59 EST", utc="2026-02-13 04:59:59")


@pytest.mark.parametrize("line_of_business", [MA, PD, COM])
def test_an_extension_notice_has_no_deadline_outside_medicaid(line_of_business):
    extended_at = datetime(2026, 2, 10, 16, tzinfo=NEW_YORK)

    notice = clocks.extension_notice_deadline(
        line_of_business=line_of_business, extended_at=extended_at
    )

    assert notice is None


@pytest.mark.parametrize("line_of_business", [MA, PD])
def test_oral_notice_of_an_expedited_decision_is_confirmed_in_writing_in_3_days(
    line_of_business,
):
    oral_notice_at = datetime(2026, 1, 17, 20, tzinfo=NEW_YORK)

    confirmation = clocks.written_confirmation_deadline(
        line_of_business=line_of_business, oral_notice_at=oral_notice_at
    )

    assert confirmation.name == "written_confirmation_by"
    assert_due(confirmation, local="2026-01-20 23:59:59 EST", utc="2026-01-21 04:59:59")


@pytest.mark.parametrize("line_of_business", [MCD, COM])
def test_oral_notice_needs_no_written_confirmation_deadline_elsewhere(line_of_business):
    oral_notice_at = datetime(2026, 1, 17, 20, tzinfo=NEW_YORK)

    confirmation = clocks.written_confirmation_deadline(
        line_of_business=line_of_business, oral_notice_at=oral_notice_at
    )

    assert confirmation is None


# Section 3: effectuation after an overturn.

DECIDED = datetime(2026, 1, 20, 14, tzinfo=NEW_YORK)
REVIEW_NOTICE = datetime(2026, 3, 6, 16, tzinfo=NEW_YORK)


def effectuation(line_of_business, kind, priority, **options):
    clock = clocks_for(
        line_of_business, kind, priority, extended=options.pop("extended", False)
    )
    return clocks.effectuation_deadlines(
        line_of_business=line_of_business,
        kind=kind,
        priority=priority,
        received_at=RECEIVED,
        decide_by=clock.decide_by.due,
        decided_at=DECIDED,
        **options,
    )


def only(deadlines):
    [deadline] = deadlines
    return deadline


def test_a_medicare_advantage_pre_service_overturn_is_effectuated_by_the_deadline():
    deadline = only(effectuation(MA, PRE, STD))

    assert (deadline.name, deadline.rule_id) == ("effectuate_by", "EFF-MA-PRE-STD")
    assert deadline.citation == "42 CFR 422.618(a)(1)"
    assert_due(deadline, local="2026-02-14 23:59:59 EST", utc="2026-02-15 04:59:59")


def test_an_extended_medicare_advantage_overturn_is_effectuated_by_the_extension():
    deadline = only(effectuation(MA, PRE, STD, extended=True))

    assert_due(deadline, local="2026-02-28 23:59:59 EST", utc="2026-03-01 04:59:59")


def test_a_medicare_advantage_payment_overturn_is_paid_within_60_days_of_receipt():
    deadline = only(effectuation(MA, POST, STD))

    assert deadline.rule_id == "EFF-MA-POST-STD"
    assert_due(deadline, local="2026-03-16 23:59:59 EDT", utc="2026-03-17 03:59:59")


def test_a_part_b_drug_overturn_is_effectuated_within_7_days_of_receipt():
    deadline = only(effectuation(MA, PART_B, STD))

    assert deadline.rule_id == "EFF-MA-PARTB-STD"
    assert_due(deadline, local="2026-01-22 23:59:59 EST", utc="2026-01-23 04:59:59")


@pytest.mark.parametrize("kind", [PRE, PART_B])
def test_an_expedited_medicare_advantage_overturn_is_effectuated_in_72_hours(kind):
    deadline = only(effectuation(MA, kind, EXP))

    assert deadline.rule_id == "EFF-MA-EXP"
    assert deadline.citation == "42 CFR 422.619(a)"
    assert_due(deadline, local="2026-01-18 09:30:00 EST", utc="2026-01-18 14:30:00")


def test_an_extended_expedited_overturn_is_effectuated_by_the_extension():
    deadline = only(effectuation(MA, PRE, EXP, extended=True))

    assert_due(deadline, local="2026-02-01 09:30:00 EST", utc="2026-02-01 14:30:00")


def test_an_independent_review_overturn_is_authorized_72_hours_after_its_notice():
    deadline = only(
        effectuation(
            MA,
            PRE,
            STD,
            by_independent_review=True,
            independent_review_notice_at=REVIEW_NOTICE,
        )
    )

    assert deadline.rule_id == "EFF-MA-IRE"
    assert deadline.citation == "42 CFR 422.618(b)(1)"
    assert_due(deadline, local="2026-03-09 17:00:00 EDT", utc="2026-03-09 21:00:00")


def test_a_part_d_benefit_overturn_is_effectuated_within_7_days_of_receipt():
    deadline = only(effectuation(PD, PRE, STD))

    assert deadline.rule_id == "EFF-PD-PRE-STD"
    assert_due(deadline, local="2026-01-22 23:59:59 EST", utc="2026-01-23 04:59:59")


def test_a_part_d_payment_overturn_is_authorized_in_14_days_and_paid_in_30():
    authorize, pay = effectuation(PD, POST, STD)

    assert (authorize.name, authorize.rule_id) == ("effectuate_by", "EFF-PD-POST-STD")
    assert_due(authorize, local="2026-01-29 23:59:59 EST", utc="2026-01-30 04:59:59")
    assert (pay.name, pay.rule_id) == ("pay_by", "EFF-PD-POST-PAY")
    assert_due(pay, local="2026-02-14 23:59:59 EST", utc="2026-02-15 04:59:59")


def test_an_expedited_part_d_overturn_is_effectuated_72_hours_from_receipt():
    deadline = only(effectuation(PD, PRE, EXP))

    assert deadline.rule_id == "EFF-PD-EXP"
    assert_due(deadline, local="2026-01-18 09:30:00 EST", utc="2026-01-18 14:30:00")


@pytest.mark.parametrize(("kind", "priority"), [(PRE, STD), (POST, STD), (PRE, EXP)])
def test_a_medicaid_overturn_is_effectuated_72_hours_after_the_decision(kind, priority):
    deadline = only(effectuation(MCD, kind, priority))

    assert deadline.rule_id == "EFF-MCD"
    assert deadline.citation == "42 CFR 438.424(a)"
    assert_due(deadline, local="2026-01-23 14:00:00 EST", utc="2026-01-23 19:00:00")


def test_a_fair_hearing_overturn_is_effectuated_72_hours_after_its_notice():
    deadline = only(
        effectuation(
            MCD,
            PRE,
            STD,
            by_independent_review=True,
            independent_review_notice_at=REVIEW_NOTICE,
        )
    )

    assert deadline.rule_id == "EFF-MCD-HEARING"
    assert_due(deadline, local="2026-03-09 17:00:00 EDT", utc="2026-03-09 21:00:00")


def test_a_commercial_overturn_is_effectuated_in_the_plan_setting_days(settings):
    assert_due(
        only(effectuation(COM, POST, STD)),
        local="2026-01-25 23:59:59 EST",
        utc="2026-01-26 04:59:59",
    )

    settings.COMMERCIAL_EFFECTUATION_DAYS = 10
    deadline = only(effectuation(COM, POST, STD))

    assert deadline.rule_id == "EFF-COM"
    assert deadline.inputs["COMMERCIAL_EFFECTUATION_DAYS"] == 10
    assert_due(deadline, local="2026-01-30 23:59:59 EST", utc="2026-01-31 04:59:59")


@pytest.mark.parametrize(
    ("line_of_business", "kind"), [(MA, POST), (PD, PRE), (PD, POST), (COM, PRE)]
)
def test_an_independent_review_overturn_the_rules_do_not_cover_is_refused(
    line_of_business, kind
):
    with pytest.raises(ValueError, match="by_independent_review"):
        effectuation(
            line_of_business,
            kind,
            STD,
            by_independent_review=True,
            independent_review_notice_at=REVIEW_NOTICE,
        )


def test_an_independent_review_overturn_needs_the_notice_moment():
    with pytest.raises(ValueError, match="independent_review_notice_at"):
        effectuation(MA, PRE, STD, by_independent_review=True)


# Section 4: forwarding to independent review.

DECIDE_BY = datetime(2026, 2, 15, 4, 59, 59, tzinfo=UTC)


def forwarding(line_of_business, priority, *, missed, decided_at=DECIDED):
    return clocks.forwarding_deadline(
        line_of_business=line_of_business,
        priority=priority,
        decide_by=DECIDE_BY,
        decided_at=decided_at,
        missed=missed,
    )


def test_an_upheld_standard_medicare_advantage_case_is_forwarded_by_the_deadline():
    deadline = forwarding(MA, STD, missed=False)

    assert (deadline.name, deadline.rule_id) == ("forward_by", "FWD-MA-UPHELD-STD")
    assert deadline.citation == "42 CFR 422.590(a)(2), (b)(2)"
    assert_due(deadline, local="2026-02-14 23:59:59 EST", utc="2026-02-15 04:59:59")


def test_an_upheld_expedited_medicare_advantage_case_is_forwarded_in_24_hours():
    deadline = forwarding(MA, EXP, missed=False)

    assert deadline.rule_id == "FWD-MA-UPHELD-EXP"
    assert deadline.citation == "42 CFR 422.590(e)(5)"
    assert_due(deadline, local="2026-01-21 14:00:00 EST", utc="2026-01-21 19:00:00")


def test_an_upheld_expedited_case_cannot_be_forwarded_without_its_decision_moment():
    with pytest.raises(ValueError, match="decided_at"):
        forwarding(MA, EXP, missed=False, decided_at=None)


@pytest.mark.parametrize("priority", [STD, EXP])
def test_a_missed_medicare_advantage_deadline_is_forwarded_24_hours_after_it(priority):
    deadline = forwarding(MA, priority, missed=True, decided_at=None)

    assert deadline.rule_id == "FWD-MA-MISSED"
    assert deadline.citation == "42 CFR 422.590(d), (g)"
    assert_due(deadline, local="2026-02-15 23:59:59 EST", utc="2026-02-16 04:59:59")


def test_a_missed_part_d_deadline_is_forwarded_24_hours_after_it():
    deadline = forwarding(PD, STD, missed=True, decided_at=None)

    assert deadline.rule_id == "FWD-PD-MISSED"
    assert_due(deadline, local="2026-02-15 23:59:59 EST", utc="2026-02-16 04:59:59")


@pytest.mark.parametrize(
    ("line_of_business", "missed"),
    [(PD, False), (MCD, False), (MCD, True), (COM, False), (COM, True)],
)
def test_the_plan_forwards_nothing_else(line_of_business, missed):
    assert forwarding(line_of_business, STD, missed=missed) is None
    assert forwarding(line_of_business, EXP, missed=missed) is None


# Section 5: filing windows.


FILING_ROWS = [
    (MA, "2026-01-14", "FILE-MA", "2026-03-20 23:59:59 EDT", "2026-03-21 03:59:59"),
    (PD, "2026-01-14", "FILE-PD", "2026-03-20 23:59:59 EDT", "2026-03-21 03:59:59"),
    (MCD, "2026-01-16", "FILE-MCD", "2026-03-17 23:59:59 EDT", "2026-03-18 03:59:59"),
    (COM, "2026-01-14", "FILE-COM", "2026-07-13 23:59:59 EDT", "2026-07-14 03:59:59"),
]


@pytest.mark.parametrize(
    ("line_of_business", "notice_date", "rule_id", "local", "utc"), FILING_ROWS
)
def test_each_filing_window_ends_at_the_end_of_its_last_day(
    line_of_business, notice_date, rule_id, local, utc
):
    window = clocks.filing_window(
        line_of_business=line_of_business,
        denial_notice_date=date.fromisoformat(notice_date),
    )

    assert (window.name, window.rule_id) == ("filing_deadline", rule_id)
    assert_due(window, local=local, utc=utc)


ROLLED_FILING_ROWS = [
    # Day 65 is Saturday 03-21.
    (MA, "2026-01-15", "2026-03-23 23:59:59 EDT", "2026-03-24 03:59:59"),
    # Day 60 is Memorial Day.
    (MCD, "2026-03-26", "2026-05-26 23:59:59 EDT", "2026-05-27 03:59:59"),
    # Day 60 is Friday 07-03, the observed Independence Day.
    (MCD, "2026-05-04", "2026-07-06 23:59:59 EDT", "2026-07-07 03:59:59"),
    # Day 60 is Saturday 07-04, Independence Day itself.
    (MCD, "2026-05-05", "2026-07-06 23:59:59 EDT", "2026-07-07 03:59:59"),
]


@pytest.mark.parametrize(
    ("line_of_business", "notice_date", "local", "utc"), ROLLED_FILING_ROWS
)
def test_a_filing_window_ending_on_a_closed_day_rolls_to_the_next_business_day(
    line_of_business, notice_date, local, utc
):
    window = clocks.filing_window(
        line_of_business=line_of_business,
        denial_notice_date=date.fromisoformat(notice_date),
    )

    assert_due(window, local=local, utc=utc)


def test_an_appeal_received_in_the_last_second_of_its_window_is_timely():
    received = datetime(2026, 3, 17, 23, 59, 59, tzinfo=NEW_YORK)

    clock = clocks_for(MCD, POST, STD, received, denial_notice_date=date(2026, 1, 16))

    assert not clock.untimely_filing


def test_an_appeal_received_after_its_window_is_accepted_and_flagged_untimely():
    received = datetime(2026, 3, 18, 0, 0, tzinfo=NEW_YORK)

    clock = clocks_for(MCD, POST, STD, received, denial_notice_date=date(2026, 1, 16))

    assert clock.untimely_filing
    assert clock.decide_by.due > received


def test_an_appeal_without_a_denial_notice_date_has_no_filing_deadline():
    clock = clocks_for(MA, PRE, STD)

    assert clock.filing_deadline is None
    assert not clock.untimely_filing


# Section 6: acknowledgement.


@pytest.mark.parametrize(
    ("line_of_business", "rule_id"), [(MCD, "ACK-MCD"), (COM, "ACK-COM")]
)
def test_a_standard_appeal_is_acknowledged_within_5_business_days(
    line_of_business, rule_id
):
    # From Thursday 01-15: 16, 20 (19 is Martin Luther King Jr. Day), 21, 22, 23.
    clock = clocks_for(line_of_business, PRE, STD)

    assert (clock.acknowledge_by.name, clock.acknowledge_by.rule_id) == (
        "acknowledge_by",
        rule_id,
    )
    assert_due(
        clock.acknowledge_by, local="2026-01-23 23:59:59 EST", utc="2026-01-24 04:59:59"
    )


@pytest.mark.parametrize("line_of_business", [MA, PD])
def test_a_medicare_appeal_has_no_acknowledgement_deadline(line_of_business):
    assert clocks_for(line_of_business, PRE, STD).acknowledge_by is None


@pytest.mark.parametrize("line_of_business", [MCD, COM])
def test_an_expedited_appeal_needs_no_separate_acknowledgement(line_of_business):
    assert clocks_for(line_of_business, PRE, EXP).acknowledge_by is None


def test_the_acknowledgement_days_are_plan_settings(settings):
    settings.MEDICAID_ACKNOWLEDGEMENT_BUSINESS_DAYS = 2
    settings.COMMERCIAL_ACKNOWLEDGEMENT_BUSINESS_DAYS = 10

    medicaid = clocks_for(MCD, POST, STD).acknowledge_by
    commercial = clocks_for(COM, POST, STD).acknowledge_by

    assert_due(medicaid, local="2026-01-20 23:59:59 EST", utc="2026-01-21 04:59:59")
    assert_due(commercial, local="2026-01-30 23:59:59 EST", utc="2026-01-31 04:59:59")


def test_a_case_upgraded_late_keeps_the_acknowledgement_it_already_owed():
    standard = clocks_for(MCD, PRE, STD)
    upgraded_at = datetime(2026, 1, 22, 10, tzinfo=NEW_YORK)

    clock = clocks_for(
        MCD,
        PRE,
        EXP,
        expedited_at=upgraded_at,
        current_decide_by=standard.decide_by.due,
    )

    assert clock.acknowledge_by == standard.acknowledge_by


def test_a_case_upgraded_early_drops_an_acknowledgement_its_decision_overtakes():
    standard = clocks_for(MCD, PRE, STD)
    upgraded_at = datetime(2026, 1, 16, 10, tzinfo=NEW_YORK)

    clock = clocks_for(
        MCD,
        PRE,
        EXP,
        expedited_at=upgraded_at,
        current_decide_by=standard.decide_by.due,
    )

    assert clock.acknowledge_by is None


# Section 11: the worked examples.


def test_worked_example_1_expedited_across_the_spring_change():
    received = datetime(2026, 3, 7, 10, tzinfo=NEW_YORK)

    clock = clocks_for(MA, PRE, EXP, received)

    assert_due(
        clock.decide_by, local="2026-03-10 11:00:00 EDT", utc="2026-03-10 15:00:00"
    )
    assert_due(
        clock.extended_decide_by,
        local="2026-03-24 11:00:00 EDT",
        utc="2026-03-24 15:00:00",
    )
    assert clock.acknowledge_by is None


def test_worked_example_2_standard_pre_service_and_its_extension():
    received = datetime(2026, 4, 6, 15, 20, tzinfo=NEW_YORK)

    clock = clocks_for(MA, PRE, STD, received)

    assert_due(
        clock.decide_by, local="2026-05-06 23:59:59 EDT", utc="2026-05-07 03:59:59"
    )
    assert_due(
        clock.extended_decide_by,
        local="2026-05-20 23:59:59 EDT",
        utc="2026-05-21 03:59:59",
    )


def test_worked_example_3_date_only_payment_receipt_without_extension():
    received = clocks.receipt_from_date(date(2026, 4, 6))

    clock = clocks_for(MA, POST, STD, received)

    assert_due(
        clock.decide_by, local="2026-06-05 23:59:59 EDT", utc="2026-06-06 03:59:59"
    )
    assert clock.extended_decide_by is None


def test_worked_example_4_part_d_payment():
    received = datetime(2026, 2, 20, 9, tzinfo=NEW_YORK)

    clock = clocks_for(PD, POST, STD, received)

    assert_due(
        clock.decide_by, local="2026-03-06 23:59:59 EST", utc="2026-03-07 04:59:59"
    )


def test_worked_example_5_medicaid_acknowledgement_skips_the_observed_holiday():
    received = datetime(2026, 7, 2, 16, tzinfo=NEW_YORK)

    clock = clocks_for(MCD, PRE, STD, received)

    assert_due(
        clock.acknowledge_by, local="2026-07-10 23:59:59 EDT", utc="2026-07-11 03:59:59"
    )
    assert_due(
        clock.decide_by, local="2026-08-01 23:59:59 EDT", utc="2026-08-02 03:59:59"
    )


def test_worked_example_6_receipt_day_falls_in_new_york_not_los_angeles():
    received = datetime(2026, 6, 30, 22, 30, tzinfo=LOS_ANGELES)

    clock = clocks_for(COM, POST, STD, received)

    assert received == datetime(2026, 7, 1, 5, 30, tzinfo=UTC)
    assert_due(
        clock.decide_by, local="2026-08-30 23:59:59 EDT", utc="2026-08-31 03:59:59"
    )


def test_worked_example_6_in_a_los_angeles_plan_counts_from_june_30(settings):
    settings.PLAN_TIME_ZONE = "America/Los_Angeles"
    received = datetime(2026, 6, 30, 22, 30, tzinfo=LOS_ANGELES)

    clock = clocks_for(COM, POST, STD, received)

    assert_due(
        clock.decide_by, local="2026-08-29 23:59:59 PDT", utc="2026-08-30 06:59:59"
    )


# The timeline and the explanation of each deadline.


def test_all_lists_every_deadline_the_case_carries():
    clock = clocks_for(MCD, PRE, STD, denial_notice_date=date(2026, 1, 2))

    assert [deadline.name for deadline in clock.all()] == [
        "acknowledge_by",
        "decide_by",
        "extended_decide_by",
        "filing_deadline",
    ]


def test_a_deadline_keeps_the_inputs_that_recompute_it():
    clock = clocks_for(MA, PRE, STD, extended=True)

    assert clock.decide_by.inputs == {
        "line_of_business": "medicare_advantage",
        "kind": "pre_service",
        "priority": "standard",
        "received_at": "2026-01-15T14:30:00+00:00",
        "extended": True,
        "plan_time_zone": "America/New_York",
    }
    inputs = clock.decide_by.inputs
    recomputed = clocks.case_clocks(
        line_of_business=inputs["line_of_business"],
        kind=inputs["kind"],
        priority=inputs["priority"],
        received_at=datetime.fromisoformat(inputs["received_at"]),
        extended=inputs["extended"],
    )
    assert recomputed.decide_by == clock.decide_by
