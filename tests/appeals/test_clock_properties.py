"""Properties every clock holds, whatever the receipt moment, case type and zone."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
from django.test import override_settings
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from appeals import clocks
from appeals.choices import LineOfBusiness

ZONES = [
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
    "America/Puerto_Rico",
]
CASE_TYPES = [
    (str(rule.line_of_business), str(kind), str(rule.priority))
    for rule in clocks.RULES
    for kind in rule.kinds
]
EXPEDITABLE = [
    (line, kind) for line, kind, priority in CASE_TYPES if priority == "expedited"
]
ACKNOWLEDGED = [LineOfBusiness.MEDICAID, LineOfBusiness.COMMERCIAL]
FEDERAL_HOLIDAYS = holidays.US(years=range(2019, 2038), observed=True)

# Hypothesis takes naive bounds; the moments it draws are aware, in the zones below.
receipts = st.datetimes(
    min_value=datetime(2020, 1, 1),  # noqa: DTZ001
    max_value=datetime(2035, 12, 31),  # noqa: DTZ001
    timezones=st.sampled_from([UTC, *map(ZoneInfo, ZONES)]),
)
zones = st.sampled_from(ZONES)
levels = st.sampled_from([1, 2])

# The clocks are pure; the function-scoped fixtures are conftest's autouse ones, which
# these tests neither read nor need reset between examples.
examples = hypothesis_settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def clocks_for(case_type, received_at, **options):
    line_of_business, kind, priority = case_type
    return clocks.case_clocks(
        line_of_business=line_of_business,
        kind=kind,
        priority=priority,
        received_at=received_at,
        **options,
    )


def is_business_day(day: date) -> bool:
    return day.weekday() < 5 and day not in FEDERAL_HOLIDAYS


@examples
@given(case_type=st.sampled_from(CASE_TYPES), received_at=receipts, zone=zones)
def test_no_deadline_precedes_receipt(case_type, received_at, zone):
    with override_settings(PLAN_TIME_ZONE=zone):
        clock = clocks_for(case_type, received_at)

    for deadline in (clock.acknowledge_by, clock.decide_by, clock.extended_decide_by):
        assert deadline is None or deadline.due >= received_at


@examples
@given(case_type=st.sampled_from(CASE_TYPES), received_at=receipts, zone=zones)
def test_an_extension_never_shortens_the_decision_deadline(
    case_type, received_at, zone
):
    with override_settings(PLAN_TIME_ZONE=zone):
        offered = clocks_for(case_type, received_at)
        if not clocks.may_extend(offered.rule):
            return
        taken = clocks_for(case_type, received_at, extended=True)

    assert taken.decide_by.due == offered.extended_decide_by.due
    assert taken.decide_by.due > offered.decide_by.due


@examples
@given(
    case=st.sampled_from(EXPEDITABLE),
    received_at=receipts,
    zone=zones,
    commercial_levels=levels,
)
def test_expedited_is_never_later_than_standard_for_the_same_case(
    case, received_at, zone, commercial_levels
):
    line_of_business, kind = case
    with override_settings(
        PLAN_TIME_ZONE=zone, COMMERCIAL_APPEAL_LEVELS=commercial_levels
    ):
        standard = clocks_for((line_of_business, kind, "standard"), received_at)
        expedited = clocks_for((line_of_business, kind, "expedited"), received_at)

    assert expedited.decide_by.due <= standard.decide_by.due
    if standard.extended_decide_by and expedited.extended_decide_by:
        assert expedited.extended_decide_by.due <= standard.extended_decide_by.due


@examples
@given(
    case_type=st.sampled_from(CASE_TYPES),
    received_at=receipts,
    zone=zones,
    commercial_levels=levels,
)
def test_a_day_deadline_ends_at_235959_plan_time_on_day_n_whatever_dst_does(
    case_type, received_at, zone, commercial_levels
):
    with override_settings(
        PLAN_TIME_ZONE=zone, COMMERCIAL_APPEAL_LEVELS=commercial_levels
    ):
        clock = clocks_for(case_type, received_at)
    if clock.rule.decision_days is None:
        return

    plan_zone = ZoneInfo(zone)
    day_zero = received_at.astimezone(plan_zone).date()
    due = clock.decide_by.due.astimezone(plan_zone)
    assert due.time() == time(23, 59, 59)
    assert due.date() == day_zero + timedelta(days=clock.rule.decision_days)
    next_second = clock.decide_by.due + timedelta(seconds=1)
    assert next_second.astimezone(plan_zone).date() == due.date() + timedelta(days=1)

    if clock.extended_decide_by is not None:
        extended = clock.extended_decide_by.due.astimezone(plan_zone)
        assert extended.time() == time(23, 59, 59)
        assert extended.date() == due.date() + timedelta(days=14)


@examples
@given(case_type=st.sampled_from(CASE_TYPES), received_at=receipts, zone=zones)
def test_an_hour_window_is_exact_elapsed_seconds(case_type, received_at, zone):
    with override_settings(PLAN_TIME_ZONE=zone):
        clock = clocks_for(case_type, received_at)
    if clock.rule.decision_hours is None:
        return

    elapsed = clock.decide_by.due - received_at
    assert elapsed.total_seconds() == clock.rule.decision_hours * 3600
    if clock.extended_decide_by is not None:
        extended = clock.extended_decide_by.due - received_at
        assert extended.total_seconds() == (clock.rule.decision_hours + 14 * 24) * 3600


@examples
@given(
    line_of_business=st.sampled_from(ACKNOWLEDGED),
    received_at=receipts,
    zone=zones,
    business_days=st.integers(min_value=1, max_value=20),
)
def test_an_acknowledgement_lands_on_the_nth_business_day_never_a_closed_day(
    line_of_business, received_at, zone, business_days
):
    with override_settings(
        PLAN_TIME_ZONE=zone,
        MEDICAID_ACKNOWLEDGEMENT_BUSINESS_DAYS=business_days,
        COMMERCIAL_ACKNOWLEDGEMENT_BUSINESS_DAYS=business_days,
    ):
        clock = clocks_for((line_of_business, "pre_service", "standard"), received_at)

    plan_zone = ZoneInfo(zone)
    due = clock.acknowledge_by.due.astimezone(plan_zone)
    assert due.time() == time(23, 59, 59)
    assert is_business_day(due.date())
    day_zero = received_at.astimezone(plan_zone).date()
    counted = [
        day_zero + timedelta(days=offset)
        for offset in range(1, (due.date() - day_zero).days + 1)
    ]
    assert sum(is_business_day(day) for day in counted) == business_days


@examples
@given(
    case=st.sampled_from(EXPEDITABLE),
    received_at=receipts,
    zone=zones,
    commercial_levels=levels,
    share_of_window=st.floats(min_value=0, max_value=1),
)
def test_upgrading_to_expedited_never_lengthens_the_decision_deadline(
    case, received_at, zone, commercial_levels, share_of_window
):
    line_of_business, kind = case
    with override_settings(
        PLAN_TIME_ZONE=zone, COMMERCIAL_APPEAL_LEVELS=commercial_levels
    ):
        current = clocks_for((line_of_business, kind, "standard"), received_at)
        # In UTC: adding to a zoned datetime would add wall-clock time, not elapsed.
        received_at = received_at.astimezone(UTC)
        window = current.decide_by.due - received_at
        expedited_at = received_at + window * share_of_window
        upgraded = clocks_for(
            (line_of_business, kind, "expedited"),
            received_at,
            expedited_at=expedited_at,
            current_decide_by=current.decide_by.due,
        )

    assert upgraded.decide_by.due <= current.decide_by.due
    assert upgraded.decide_by.due <= expedited_at + timedelta(hours=72)
    assert upgraded.decide_by.due >= expedited_at


@examples
@given(
    line_of_business=st.sampled_from(list(LineOfBusiness)),
    notice_date=st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 6, 30)),
    zone=zones,
)
def test_a_filing_window_closes_at_the_end_of_a_business_day_on_or_after_day_n(
    line_of_business, notice_date, zone
):
    days = {"medicaid": 60, "commercial": 180}.get(line_of_business, 65)
    with override_settings(PLAN_TIME_ZONE=zone):
        window = clocks.filing_window(
            line_of_business=line_of_business, denial_notice_date=notice_date
        )

    due = window.due.astimezone(ZoneInfo(zone))
    assert due.time() == time(23, 59, 59)
    assert is_business_day(due.date())
    # The longest closed run is three days: a weekend beside an observed holiday.
    assert 0 <= (due.date() - notice_date - timedelta(days=days)).days <= 3


@examples
@given(received_at=receipts, zone=zones)
def test_an_obligation_is_met_up_to_and_including_its_due_second(received_at, zone):
    with override_settings(PLAN_TIME_ZONE=zone):
        due = clocks.add_calendar_days(received_at, 30)

    assert clocks.is_met(due, due)
    assert not clocks.is_met(due + timedelta(seconds=1), due)


@examples
@given(
    day=st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31)), zone=zones
)
def test_a_date_only_receipt_is_the_first_second_of_that_plan_day(day, zone):
    with override_settings(PLAN_TIME_ZONE=zone):
        received_at = clocks.receipt_from_date(day)

    plan_zone = ZoneInfo(zone)
    assert received_at.astimezone(plan_zone).date() == day
    earlier = received_at - timedelta(seconds=1)
    assert earlier.astimezone(plan_zone).date() == day - timedelta(days=1)
