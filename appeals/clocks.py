"""The regulatory clock engine: every deadline an appeal is held to (REGULATORY.md).

Pure functions of their arguments and the plan settings, so that a stored deadline can
be recomputed and explained from the inputs kept beside it. Instants come in aware and
go out in UTC; the plan's time zone only decides which calendar day an instant is on.
"""

import functools
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
from django.conf import settings

from appeals.choices import Kind, LineOfBusiness, Priority

MA = LineOfBusiness.MEDICARE_ADVANTAGE
PART_D = LineOfBusiness.MEDICARE_PART_D
MEDICAID = LineOfBusiness.MEDICAID
COMMERCIAL = LineOfBusiness.COMMERCIAL
PRE = Kind.PRE_SERVICE
POST = Kind.POST_SERVICE
PART_B = Kind.PART_B_DRUG
STANDARD = Priority.STANDARD
EXPEDITED = Priority.EXPEDITED


class InvalidCaseType(ValueError):
    pass


@dataclass(frozen=True)
class ClockRule:
    rule_id: str
    line_of_business: str
    kinds: tuple[str, ...]
    priority: str
    decision_hours: int | None
    decision_days: int | None
    extension_days: int | None
    citation: str


@dataclass(frozen=True)
class Deadline:
    name: str
    due: datetime
    rule_id: str
    citation: str
    inputs: dict


# REGULATORY.md section 2, one row per case type. Commercial rows carry the one-level
# day counts; rule_for halves them when the plan has two levels.
# fmt: off
RULES: tuple[ClockRule, ...] = (
    #         rule_id          line        kinds        priority   hours days  extension
    ClockRule("MA-PRE-STD",    MA,         (PRE,),      STANDARD,  None, 30,   14,
              "42 CFR 422.590(a), (f)"),
    ClockRule("MA-PRE-EXP",    MA,         (PRE,),      EXPEDITED, 72,   None, 14,
              "42 CFR 422.590(e), (f)"),
    ClockRule("MA-POST-STD",   MA,         (POST,),     STANDARD,  None, 60,   None,
              "42 CFR 422.590(b)"),
    ClockRule("MA-PARTB-STD",  MA,         (PART_B,),   STANDARD,  None, 7,    None,
              "42 CFR 422.590(c)"),
    ClockRule("MA-PARTB-EXP",  MA,         (PART_B,),   EXPEDITED, 72,   None, None,
              "42 CFR 422.590(e)"),
    ClockRule("PD-PRE-STD",    PART_D,     (PRE,),      STANDARD,  None, 7,    None,
              "42 CFR 423.590(a)"),
    ClockRule("PD-PRE-EXP",    PART_D,     (PRE,),      EXPEDITED, 72,   None, None,
              "42 CFR 423.590(d)"),
    ClockRule("PD-POST-STD",   PART_D,     (POST,),     STANDARD,  None, 14,   None,
              "42 CFR 423.590(b)"),
    ClockRule("MCD-STD",       MEDICAID,   (PRE, POST), STANDARD,  None, 30,   14,
              "42 CFR 438.408(b)(2), (c)"),
    ClockRule("MCD-PRE-EXP",   MEDICAID,   (PRE,),      EXPEDITED, 72,   None, 14,
              "42 CFR 438.408(b)(3), (c)"),
    ClockRule("COM-PRE-STD",   COMMERCIAL, (PRE,),      STANDARD,  None, 30,   None,
              "29 CFR 2560.503-1(i)(2)(ii)"),
    ClockRule("COM-PRE-EXP",   COMMERCIAL, (PRE,),      EXPEDITED, 72,   None, None,
              "29 CFR 2560.503-1(i)(2)(i)"),
    ClockRule("COM-POST-STD",  COMMERCIAL, (POST,),     STANDARD,  None, 60,   None,
              "29 CFR 2560.503-1(i)(2)(iii)"),
)
# fmt: on

_RULES_BY_CASE = {
    (str(rule.line_of_business), str(kind), str(rule.priority)): rule
    for rule in RULES
    for kind in rule.kinds
}


@dataclass(frozen=True)
class _DayRule:
    rule_id: str
    days: int
    citation: str


# fmt: off

# REGULATORY.md section 5: the member's window to file, counted from the denial notice.
_FILING_WINDOWS = {
    MA:         _DayRule("FILE-MA", 65, "42 CFR 422.582(b); CMS guidance, 2025-01-01"),
    PART_D:     _DayRule("FILE-PD", 65, "42 CFR 423.582(b); CMS guidance, 2025-01-01"),
    MEDICAID:   _DayRule("FILE-MCD", 60, "42 CFR 438.402(c)(2)(ii)"),
    COMMERCIAL: _DayRule("FILE-COM", 180, "29 CFR 2560.503-1(h)(3)(i)"),
}

# Medicare sets no acknowledgement deadline; the business-day counts are plan settings.
_ACKNOWLEDGEMENTS = {
    MEDICAID:   ("ACK-MCD", "MEDICAID_ACKNOWLEDGEMENT_BUSINESS_DAYS",
                 "42 CFR 438.406(b)(1)"),
    COMMERCIAL: ("ACK-COM", "COMMERCIAL_ACKNOWLEDGEMENT_BUSINESS_DAYS",
                 "plan setting (judgement; e.g. Texas 5 working days)"),
}

_EXTENSION_NOTICES = {
    MEDICAID: _DayRule("EXT-NOTICE-MCD", 2, "42 CFR 438.408(c)(2)"),
}

_EXPEDITE_REFUSAL_NOTICES = {
    MA:       _DayRule("EXP-REFUSAL-MA", 3, "42 CFR 422.584(d)"),
    PART_D:   _DayRule("EXP-REFUSAL-PD", 3, "42 CFR 423.570(d)"),
    MEDICAID: _DayRule("EXP-REFUSAL-MCD", 2, "42 CFR 438.410(c)"),
}

_WRITTEN_CONFIRMATIONS = {
    MA:     _DayRule("CONFIRM-MA", 3, "42 CFR 422.590(e)(3)"),
    PART_D: _DayRule("CONFIRM-PD", 3, "42 CFR 423.590(d)"),
}

# REGULATORY.md section 4, keyed by line of business and priority, or "missed": a missed
# deadline counts as an upheld denial that the plan sends on itself. An upheld Part D
# case is not forwarded (the member asks, 423.600); Medicaid and commercial never are.
_FORWARDINGS = {
    (MA, STANDARD):     ("FWD-MA-UPHELD-STD", "decide_by", 0,
                         "42 CFR 422.590(a)(2), (b)(2)"),
    (MA, EXPEDITED):    ("FWD-MA-UPHELD-EXP", "decided_at", 24, "42 CFR 422.590(e)(5)"),
    (MA, "missed"):     ("FWD-MA-MISSED", "decide_by", 24, "42 CFR 422.590(d), (g)"),
    (PART_D, "missed"): ("FWD-PD-MISSED", "decide_by", 24,
                         "42 CFR 423.568(h) by analogy (judgement)"),
}

# fmt: on


@dataclass(frozen=True)
class _EffectuationRule:
    rule_id: str
    line_of_business: str
    kinds: tuple[str, ...]
    priorities: tuple[str, ...]
    by_independent_review: bool
    anchor: str
    hours: int | None
    days: int | None
    citation: str
    name: str = "effectuate_by"
    days_setting: str | None = None


_SERVICES = (PRE, PART_B)
_ANY_KIND = (PRE, POST)
_ANY = (STANDARD, EXPEDITED)
_IRE_NOTICE = "independent_review_notice_at"

# REGULATORY.md section 3. The anchor is the instant a window runs from; "decide_by"
# with no offset means by the decision deadline in force. The expedited rows read "72
# hours from receipt": decide_by already is that, or the extended deadline, or for a
# case upgraded late 72 hours from the upgrade, when the receipt's 72 hours may be gone.
# The independent review entity's notice allows "authorize within 72 hours or provide
# within 14 cd"; the 72 hours to authorize is the one tracked.
# fmt: off
_EFFECTUATIONS = (
    #                 rule_id             line        kinds       priorities    review
    #                 anchor         hours days  citation
    _EffectuationRule("EFF-MA-PRE-STD",   MA,         (PRE,),     (STANDARD,),  False,
                      "decide_by",   None, None, "42 CFR 422.618(a)(1)"),
    _EffectuationRule("EFF-MA-POST-STD",  MA,         (POST,),    (STANDARD,),  False,
                      "received_at", None, 60,   "42 CFR 422.618(a)(2)"),
    _EffectuationRule("EFF-MA-PARTB-STD", MA,         (PART_B,),  (STANDARD,),  False,
                      "received_at", None, 7,    "42 CFR 422.618(a)(3)"),
    _EffectuationRule("EFF-MA-EXP",       MA,         _SERVICES,  (EXPEDITED,), False,
                      "decide_by",   None, None, "42 CFR 422.619(a)"),
    _EffectuationRule("EFF-MA-IRE",       MA,         _SERVICES,  _ANY,         True,
                      _IRE_NOTICE,   72,   None, "42 CFR 422.618(b)(1)"),
    _EffectuationRule("EFF-PD-PRE-STD",   PART_D,     (PRE,),     (STANDARD,),  False,
                      "received_at", None, 7,    "42 CFR 423.636(a)(1)"),
    _EffectuationRule("EFF-PD-POST-STD",  PART_D,     (POST,),    (STANDARD,),  False,
                      "received_at", None, 14,   "42 CFR 423.636(a)(2)"),
    _EffectuationRule("EFF-PD-POST-PAY",  PART_D,     (POST,),    (STANDARD,),  False,
                      "received_at", None, 30,   "42 CFR 423.636(a)(2)", "pay_by"),
    _EffectuationRule("EFF-PD-EXP",       PART_D,     (PRE,),     (EXPEDITED,), False,
                      "decide_by",   None, None, "42 CFR 423.638(a)"),
    _EffectuationRule("EFF-MCD",          MEDICAID,   _ANY_KIND,  _ANY,         False,
                      "decided_at",  72,   None, "42 CFR 438.424(a)"),
    _EffectuationRule("EFF-MCD-HEARING",  MEDICAID,   _ANY_KIND,  _ANY,         True,
                      _IRE_NOTICE,   72,   None, "42 CFR 438.424(a)"),
    _EffectuationRule("EFF-COM",          COMMERCIAL, _ANY_KIND,  _ANY,         False,
                      "decided_at",  None, None, "plan setting (judgement)",
                      days_setting="COMMERCIAL_EFFECTUATION_DAYS"),
)
# fmt: on


@dataclass(frozen=True)
class CaseClocks:
    rule: ClockRule
    acknowledge_by: Deadline | None
    decide_by: Deadline
    extended_decide_by: Deadline | None
    filing_deadline: Deadline | None
    untimely_filing: bool

    def all(self) -> list[Deadline]:
        deadlines = (
            self.acknowledge_by,
            self.decide_by,
            self.extended_decide_by,
            self.filing_deadline,
        )
        return [deadline for deadline in deadlines if deadline is not None]


def plan_zone() -> ZoneInfo:
    return ZoneInfo(settings.PLAN_TIME_ZONE)


def plan_day(moment: datetime) -> date:
    return _utc(moment, "moment").astimezone(plan_zone()).date()


def receipt_from_date(day: date) -> datetime:
    # The earliest reading of a date-stamped receipt protects the member.
    return datetime.combine(day, time(0), tzinfo=plan_zone()).astimezone(UTC)


def end_of_plan_day(day: date) -> datetime:
    # fold=1 picks the later 23:59:59 in the few zones that fall back at midnight.
    last_second = datetime.combine(day, time(23, 59, 59, fold=1), tzinfo=plan_zone())
    return last_second.astimezone(UTC)


def add_hours(start: datetime, hours: int) -> datetime:
    # Elapsed seconds, not wall clock: 72 hours across a daylight-saving change reads
    # 71 or 73 hours on the plan's clocks.
    return _utc(start, "start") + timedelta(hours=hours)


def add_calendar_days(start: datetime, days: int) -> datetime:
    return end_of_plan_day(plan_day(start) + timedelta(days=days))


def add_business_days(start: datetime, days: int) -> datetime:
    day = plan_day(start)
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if is_business_day(day):
            counted += 1
    return end_of_plan_day(day)


def is_business_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _federal_holidays(day.year)


def is_met(event_at: datetime, due: datetime) -> bool:
    # Inclusive (REGULATORY.md) and to the second (judgement): an event stamped
    # 23:59:59.4 is within the last second of the day.
    return _utc(event_at, "event_at").replace(microsecond=0) <= _utc(due, "due")


def effective_priority(*, line_of_business, kind, requested: str) -> tuple[str, bool]:
    _check_case_type(line_of_business, kind, requested)

    # Payment appeals cannot be expedited in any line of business, but the appeal is
    # still received and its standard clock runs (422.584(a), 423.584(a)).
    if requested == EXPEDITED and kind == POST:
        return STANDARD.value, True
    return str(requested), False


def rule_for(*, line_of_business, kind, priority) -> ClockRule:
    _check_case_type(line_of_business, kind, priority)

    rule = _RULES_BY_CASE.get((str(line_of_business), str(kind), str(priority)))
    if rule is None:
        raise InvalidCaseType(
            f"priority: a {kind} appeal in {line_of_business} cannot be expedited; "
            "pass the priority through effective_priority first"
        )

    # 2560.503-1(i)(2) sets the total for a plan with one level and half of it per
    # level for a plan with two.
    if rule.line_of_business == COMMERCIAL and rule.decision_days is not None:
        rule = replace(rule, decision_days=rule.decision_days // _commercial_levels())
    return rule


def may_extend(rule: ClockRule) -> bool:
    return rule.extension_days is not None


def case_clocks(
    *,
    line_of_business,
    kind,
    priority,
    received_at: datetime,
    denial_notice_date: date | None = None,
    extended: bool = False,
    expedited_at: datetime | None = None,
    current_decide_by: datetime | None = None,
) -> CaseClocks:
    rule = rule_for(line_of_business=line_of_business, kind=kind, priority=priority)
    received_at = _utc(received_at, "received_at")
    upgraded = expedited_at is not None or current_decide_by is not None
    if extended and not may_extend(rule):
        raise ValueError(f"extended: {rule.rule_id} allows no extension")
    if upgraded and (expedited_at is None or current_decide_by is None):
        raise ValueError("expedited_at and current_decide_by are given together")
    if upgraded and priority != EXPEDITED:
        raise ValueError("priority: an upgraded case runs the expedited clock")

    inputs = {
        "line_of_business": line_of_business,
        "kind": kind,
        "priority": priority,
        "received_at": received_at,
        "extended": extended,
    }
    if rule.line_of_business == COMMERCIAL:
        inputs["commercial_appeal_levels"] = _commercial_levels()
    if upgraded:
        # Judgement: physician support arriving late may shorten the clock, never
        # lengthen it. current_decide_by already carries an extension taken before the
        # upgrade; extended=True here is one taken on the expedited clock, after it.
        inputs |= {"expedited_at": expedited_at, "current_decide_by": current_decide_by}
        due = min(
            _utc(current_decide_by, "current_decide_by"),
            add_hours(_utc(expedited_at, "expedited_at"), rule.decision_hours),
        )
    else:
        due = _decision_window(rule, received_at)

    extended_decide_by = None
    if may_extend(rule):
        extended_decide_by = _deadline(
            "extended_decide_by",
            _extend(rule, due),
            rule.rule_id,
            rule.citation,
            inputs | {"extended": True},
        )
    if extended:
        due = extended_decide_by.due
    decide_by = _deadline("decide_by", due, rule.rule_id, rule.citation, inputs)

    # An expedited appeal needs no separate acknowledgement: its decision comes first.
    # A case upgraded late keeps the one it already owed while that still falls before
    # the new decision deadline (judgement).
    acknowledge_by = None
    if priority == STANDARD:
        acknowledge_by = _acknowledgement(line_of_business, received_at)
    elif upgraded:
        owed = _acknowledgement(line_of_business, received_at)
        if owed is not None and owed.due < decide_by.due:
            acknowledge_by = owed

    filing_deadline = None
    untimely_filing = False
    if denial_notice_date is not None:
        filing_deadline = filing_window(
            line_of_business=line_of_business, denial_notice_date=denial_notice_date
        )
        # Late filing is flagged for a good-cause review, never rejected by the clock.
        untimely_filing = not is_met(received_at, filing_deadline.due)

    return CaseClocks(
        rule=rule,
        acknowledge_by=acknowledge_by,
        decide_by=decide_by,
        extended_decide_by=extended_decide_by,
        filing_deadline=filing_deadline,
        untimely_filing=untimely_filing,
    )


def effectuation_deadlines(
    *,
    line_of_business,
    kind,
    priority,
    received_at: datetime,
    decide_by: datetime,
    decided_at: datetime,
    by_independent_review: bool = False,
    independent_review_notice_at: datetime | None = None,
) -> list[Deadline]:
    rule_for(line_of_business=line_of_business, kind=kind, priority=priority)

    anchors = {
        "received_at": received_at,
        "decide_by": decide_by,
        "decided_at": decided_at,
        _IRE_NOTICE: independent_review_notice_at,
    }
    anchors = {name: _utc(at, name) for name, at in anchors.items() if at is not None}
    matching = [
        rule
        for rule in _EFFECTUATIONS
        if rule.line_of_business == line_of_business
        and kind in rule.kinds
        and priority in rule.priorities
        and rule.by_independent_review == by_independent_review
    ]
    if not matching:
        raise ValueError(
            "by_independent_review: REGULATORY.md sets no effectuation deadline for an "
            f"independent review overturn of a {line_of_business} {kind} appeal"
        )

    deadlines = []
    for rule in matching:
        if rule.anchor not in anchors:
            raise ValueError(f"{rule.anchor}: {rule.rule_id} runs from it")
        start = anchors[rule.anchor]
        days = rule.days
        if rule.days_setting is not None:
            days = getattr(settings, rule.days_setting)
        if rule.hours is not None:
            due = add_hours(start, rule.hours)
        elif days is not None:
            due = add_calendar_days(start, days)
        else:
            due = start
        inputs = {
            "line_of_business": line_of_business,
            "kind": kind,
            "priority": priority,
            "by_independent_review": by_independent_review,
            rule.anchor: start,
        }
        if rule.days_setting is not None:
            inputs[rule.days_setting] = days
        deadlines.append(_deadline(rule.name, due, rule.rule_id, rule.citation, inputs))
    return deadlines


def forwarding_deadline(
    *,
    line_of_business,
    priority,
    decide_by: datetime,
    decided_at: datetime | None,
    missed: bool,
) -> Deadline | None:
    _check_choice("line_of_business", line_of_business, LineOfBusiness)
    _check_choice("priority", priority, Priority)
    forwarding = _FORWARDINGS.get((line_of_business, "missed" if missed else priority))
    if forwarding is None:
        return None
    rule_id, anchor, hours, citation = forwarding
    if anchor == "decided_at" and decided_at is None:
        raise ValueError("decided_at: an upheld expedited case is forwarded from it")

    start = _utc(decide_by if anchor == "decide_by" else decided_at, anchor)
    inputs = {
        "line_of_business": line_of_business,
        "priority": priority,
        "missed": missed,
        anchor: start,
    }
    return _deadline("forward_by", add_hours(start, hours), rule_id, citation, inputs)


def extension_notice_deadline(
    *, line_of_business, extended_at: datetime
) -> Deadline | None:
    table = _EXTENSION_NOTICES
    return _notice(table, "extension_notice_by", line_of_business, extended_at)


def expedite_refusal_notice_deadline(
    *, line_of_business, refused_at: datetime
) -> Deadline | None:
    table = _EXPEDITE_REFUSAL_NOTICES
    return _notice(table, "expedite_refusal_notice_by", line_of_business, refused_at)


def written_confirmation_deadline(
    *, line_of_business, oral_notice_at: datetime
) -> Deadline | None:
    table = _WRITTEN_CONFIRMATIONS
    return _notice(table, "written_confirmation_by", line_of_business, oral_notice_at)


def filing_window(*, line_of_business, denial_notice_date: date) -> Deadline:
    _check_choice("line_of_business", line_of_business, LineOfBusiness)
    window = _FILING_WINDOWS[line_of_business]

    # Judgement in the member's favour: a window never closes on a day the plan is
    # shut, so a last day on a weekend or holiday rolls to the next business day.
    last_day = denial_notice_date + timedelta(days=window.days)
    while not is_business_day(last_day):
        last_day += timedelta(days=1)

    inputs = {
        "line_of_business": line_of_business,
        "denial_notice_date": denial_notice_date,
        "days": window.days,
    }
    return _deadline(
        "filing_deadline",
        end_of_plan_day(last_day),
        window.rule_id,
        window.citation,
        inputs,
    )


def _decision_window(rule: ClockRule, start: datetime) -> datetime:
    if rule.decision_hours is not None:
        return add_hours(start, rule.decision_hours)
    return add_calendar_days(start, rule.decision_days)


def _extend(rule: ClockRule, due: datetime) -> datetime:
    # An extension keeps the window's unit: 14 x 24 hours on an hour window, the end of
    # day N + 14 on a day window.
    if rule.decision_hours is not None:
        return add_hours(due, rule.extension_days * 24)
    return add_calendar_days(due, rule.extension_days)


def _acknowledgement(line_of_business, received_at: datetime) -> Deadline | None:
    if line_of_business not in _ACKNOWLEDGEMENTS:
        return None
    rule_id, setting, citation = _ACKNOWLEDGEMENTS[line_of_business]
    days = getattr(settings, setting)
    inputs = {
        "line_of_business": line_of_business,
        "received_at": received_at,
        setting: days,
    }
    due = add_business_days(received_at, days)
    return _deadline("acknowledge_by", due, rule_id, citation, inputs)


def _notice(table, name, line_of_business, start) -> Deadline | None:
    _check_choice("line_of_business", line_of_business, LineOfBusiness)
    if line_of_business not in table:
        return None
    rule = table[line_of_business]
    inputs = {
        "line_of_business": line_of_business,
        "from": _utc(start, "start"),
        "days": rule.days,
    }
    due = add_calendar_days(start, rule.days)
    return _deadline(name, due, rule.rule_id, rule.citation, inputs)


def _deadline(name, due, rule_id, citation, inputs) -> Deadline:
    inputs = {key: _json_value(value) for key, value in inputs.items()}
    inputs["plan_time_zone"] = settings.PLAN_TIME_ZONE
    return Deadline(
        name=name, due=due, rule_id=rule_id, citation=citation, inputs=inputs
    )


def _json_value(value):
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return str(value)
    return value


def _utc(moment: datetime, field: str) -> datetime:
    if not isinstance(moment, datetime) or moment.utcoffset() is None:
        raise ValueError(f"{field}: an aware datetime is needed, not {moment!r}")
    return moment.astimezone(UTC)


def _check_case_type(line_of_business, kind, priority) -> None:
    _check_choice("line_of_business", line_of_business, LineOfBusiness)
    _check_choice("kind", kind, Kind)
    _check_choice("priority", priority, Priority)
    if kind == PART_B and line_of_business != MA:
        raise InvalidCaseType(
            f"kind: part_b_drug is a medicare_advantage kind, not {line_of_business}"
        )


def _check_choice(field: str, value, choices) -> None:
    if value not in choices.values:
        allowed = ", ".join(choices.values)
        raise InvalidCaseType(f"{field}: {value!r} is not one of {allowed}")


def _commercial_levels() -> int:
    return settings.COMMERCIAL_APPEAL_LEVELS


# Observed dates cross New Year (2022-01-01 was observed on 2021-12-31), so each year
# is read with its neighbours and keeps the dates that fall in it. Cached because
# business days are counted in bulk sweeps.
@functools.cache
def _federal_holidays(year: int) -> frozenset[date]:
    calendar = holidays.US(years=range(year - 1, year + 2), observed=True)
    return frozenset(day for day in calendar if day.year == year)
