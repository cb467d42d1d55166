"""The numbers behind the supervisors' pages: timeliness, overturn rates, repeat
denials, the monthly denial trend and the provider feedback summary.

All are reads over the appeal record and its timeline. Months and weeks are plan-zone
calendar months and weeks (REGULATORY.md section 1), and a period is a range of plan
days, end inclusive.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Q

from appeals.choices import DenialCategory, LineOfBusiness, Outcome, Priority
from appeals.clocks import is_met, plan_zone
from appeals.models import Appeal, Status, TimelineEvent
from appeals.models.appeal import FAVOURABLE_OUTCOMES
from casework.models import CaseProtocol
from casework.supervision.universes import period_bounds


def plan_month(moment: datetime) -> str:
    return moment.astimezone(plan_zone()).strftime("%Y-%m")


def months_between(start: date, end: date) -> list[str]:
    months = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def points(value: float | None) -> str:
    """A change of rate in percentage points, signed."""
    return "–" if value is None else f"{value * 100:+.0f} pts"


def line_label(value: str) -> str:
    try:
        return LineOfBusiness(value).label
    except ValueError:
        return value


# --- Timeliness -------------------------------------------------------------------


@dataclass
class LateCase:
    case_number: str
    appeal_id: int
    obligation: str
    line_of_business: str
    priority: str
    due: datetime
    done_at: datetime | None

    @property
    def line_label(self) -> str:
        return line_label(self.line_of_business)


@dataclass
class TimelinessCell:
    month: str
    line_of_business: str
    priority: str
    total: int = 0
    on_time: int = 0

    @property
    def on_time_share(self) -> float | None:
        return share(self.on_time, self.total)

    @property
    def share_text(self) -> str:
        return percent(self.on_time_share)

    @property
    def line_label(self) -> str:
        return line_label(self.line_of_business)


@dataclass
class Scorecard:
    obligation: str
    cells: list[TimelinessCell]
    late: list[LateCase]

    @property
    def total(self) -> int:
        return sum(cell.total for cell in self.cells)

    @property
    def on_time(self) -> int:
        return sum(cell.on_time for cell in self.cells)


def notice_moment(appeal: Appeal) -> datetime | None:
    """When the member had the decision: the written notice, oral notice for an
    expedited case (422.590(e)(3), 423.590(d)), or the forwarding of an adverse
    Medicare Advantage decision, which takes the place of the notice (422.590(a)(2))."""
    moments = [appeal.notified_at]
    if appeal.priority == Priority.EXPEDITED:
        moments.append(appeal.oral_notice_at)
    if appeal.decided_at is not None:
        moments.append(appeal.forwarded_at)
    moments = [moment for moment in moments if moment is not None]
    return min(moments) if moments else None


def decision_timeliness(appeal: Appeal, now: datetime) -> tuple[bool, datetime] | None:
    """(on time, when it was done) once it is settled, None while it may still be met.
    A decision is on time when it was made and notified by the decision deadline."""
    due = appeal.decide_by
    notified = notice_moment(appeal)
    if notified is not None and appeal.decided_at is not None:
        done = max(appeal.decided_at, notified)
        return is_met(done, due), done
    if now > due:
        return False, notified
    return None


def _simple_timeliness(done_at, due, now) -> tuple[bool, datetime | None] | None:
    if done_at is not None:
        return is_met(done_at, due), done_at
    if now > due:
        return False, None
    return None


_OBLIGATIONS = {
    "decision": ("decide_by", None),
    "acknowledgement": ("acknowledge_by", "acknowledged_at"),
    "effectuation": ("effectuate_by", "effectuated_at"),
}


def timeliness_scorecard(
    *, obligation: str, start: date, end: date, now: datetime
) -> Scorecard:
    """Cases whose deadline for `obligation` falls in the period, by the plan month of
    that deadline, line of business and priority. Dismissed and withdrawn cases owe
    nothing and are left out; a case not yet done whose deadline is still ahead is
    not counted yet."""
    due_field, done_field = _OBLIGATIONS[obligation]
    opens, closes = period_bounds(start, end)
    appeals = (
        Appeal.objects.exclude(status__in=[Status.DISMISSED, Status.WITHDRAWN])
        .filter(**{f"{due_field}__gte": opens, f"{due_field}__lt": closes})
        .order_by(due_field, "id")
    )
    if obligation == "effectuation":
        appeals = appeals.filter(outcome__in=FAVOURABLE_OUTCOMES)

    cells: dict[tuple, TimelinessCell] = {}
    late = []
    for appeal in appeals:
        due = getattr(appeal, due_field)
        if done_field is None:
            settled = decision_timeliness(appeal, now)
        else:
            settled = _simple_timeliness(getattr(appeal, done_field), due, now)
        if settled is None:
            continue
        on_time, done_at = settled

        key = (plan_month(due), appeal.line_of_business, appeal.priority)
        cell = cells.setdefault(key, TimelinessCell(*key))
        cell.total += 1
        cell.on_time += on_time
        if not on_time:
            late.append(
                LateCase(
                    appeal.case_number,
                    appeal.pk,
                    obligation,
                    appeal.line_of_business,
                    appeal.priority,
                    due,
                    done_at,
                )
            )
    return Scorecard(obligation, [cells[key] for key in sorted(cells)], late)


# --- Outcomes ---------------------------------------------------------------------

DIMENSIONS = {
    "denial_category": "Denial category",
    "reason_code": "Reason code",
    "service_code": "Service code",
    "provider": "Provider",
    "denial_decided_by": "Original decision-maker",
    "protocol_version": "Protocol version",
}


@dataclass
class OutcomeRow:
    value: str
    label: str
    decided: int = 0
    overturned: int = 0
    by_month: dict = field(default_factory=dict)

    @property
    def overturn_rate(self) -> float | None:
        return share(self.overturned, self.decided)

    @property
    def rate_text(self) -> str:
        return percent(self.overturn_rate)

    def trend(self, months: list[str]) -> list[tuple[str, int, int, str]]:
        rows = []
        for month in months:
            decided, overturned = self.by_month.get(month, (0, 0))
            rows.append(
                (month, decided, overturned, percent(share(overturned, decided)))
            )
        return rows


def decided_in(start: date, end: date):
    opens, closes = period_bounds(start, end)
    return Appeal.objects.filter(decided_at__gte=opens, decided_at__lt=closes).exclude(
        outcome=""
    )


def _protocol_versions(appeal_ids: list[int]) -> dict[int, str]:
    rows = CaseProtocol.objects.filter(appeal_id__in=appeal_ids).values_list(
        "appeal_id", "template__name", "template_version"
    )
    return {appeal_id: f"{name} v{version}" for appeal_id, name, version in rows}


def _dimension_values(appeal: dict, dimension: str, protocols: dict) -> list[str]:
    if dimension == "reason_code":
        return sorted(set(appeal["denial_reason_codes"])) or ["none"]
    if dimension == "service_code":
        return sorted(set(appeal["denial_service_codes"])) or ["none"]
    if dimension == "provider":
        return [appeal["provider__npi"] or "none"]
    if dimension == "protocol_version":
        return [protocols.get(appeal["id"], "unrecorded")]
    return [appeal[dimension] or "none"]


def overturn_rates(*, dimension: str, start: date, end: date) -> list[OutcomeRow]:
    """Appeals decided in the period, grouped by `dimension`; an appeal with two
    reason codes (or service codes) counts once under each."""
    if dimension not in DIMENSIONS:
        raise ValueError(f"Unknown dimension '{dimension}'.")
    appeals = list(
        decided_in(start, end).values(
            "id",
            "decided_at",
            "outcome",
            "denial_category",
            "denial_reason_codes",
            "denial_service_codes",
            "denial_decided_by",
            "provider__npi",
            "provider__name",
        )
    )
    protocols = (
        _protocol_versions([a["id"] for a in appeals])
        if dimension == "protocol_version"
        else {}
    )

    rows: dict[str, OutcomeRow] = {}
    for appeal in appeals:
        overturned = appeal["outcome"] in FAVOURABLE_OUTCOMES
        month = plan_month(appeal["decided_at"])
        for value in _dimension_values(appeal, dimension, protocols):
            row = rows.setdefault(value, OutcomeRow(value, _label(dimension, value)))
            row.decided += 1
            row.overturned += overturned
            decided, overturns = row.by_month.get(month, (0, 0))
            row.by_month[month] = (decided + 1, overturns + overturned)
    providers = {a["provider__npi"]: a["provider__name"] for a in appeals}
    for row in rows.values():
        if dimension == "provider" and row.value in providers:
            row.label = f"{providers[row.value]} ({row.value})"
    return sorted(rows.values(), key=lambda row: (-row.decided, row.value))


def _label(dimension: str, value: str) -> str:
    if dimension == "denial_category" and value in DenialCategory.values:
        return DenialCategory(value).label
    return value


@dataclass
class RepeatPair:
    kind: str
    first: str
    second: str
    overturns: int
    case_numbers: list[str]


def repeat_denials(*, now: datetime, k: int = 3, days: int = 90) -> list[RepeatPair]:
    """Pairs overturned at least k times in the `days` before now: a (provider, service
    code) pair points at a provider who needs teaching or a criterion that is wrong; a
    (decision-maker, denial category) pair at a reviewer of denials who needs it."""
    overturned = (
        Appeal.objects.filter(
            decided_at__gt=now - timedelta(days=days),
            decided_at__lte=now,
            outcome__in=FAVOURABLE_OUTCOMES,
        )
        .order_by("decided_at", "id")
        .values(
            "id",
            "provider__npi",
            "denial_service_codes",
            "denial_decided_by",
            "denial_category",
        )
    )
    pairs: dict[tuple, list[int]] = defaultdict(list)
    for appeal in overturned:
        if appeal["provider__npi"]:
            for code in sorted(set(appeal["denial_service_codes"])):
                pairs[("provider_service", appeal["provider__npi"], code)].append(
                    appeal["id"]
                )
        if appeal["denial_decided_by"]:
            key = ("decider_category", appeal["denial_decided_by"])
            pairs[(*key, appeal["denial_category"])].append(appeal["id"])

    flagged = [
        RepeatPair(kind, first, second, len(ids), [_case_number(i) for i in ids])
        for (kind, first, second), ids in pairs.items()
        if len(ids) >= k
    ]
    return sorted(flagged, key=lambda p: (-p.overturns, p.kind, p.first, p.second))


def _case_number(pk: int) -> str:
    return Appeal(pk=pk).case_number


# --- Monthly denial trend ---------------------------------------------------------


@dataclass
class TrendRow:
    category: str
    label: str
    received: int
    decided: int
    overturned: int
    previous_rate: float | None

    @property
    def overturn_rate(self) -> float | None:
        return share(self.overturned, self.decided)

    @property
    def change(self) -> float | None:
        if self.overturn_rate is None or self.previous_rate is None:
            return None
        return self.overturn_rate - self.previous_rate

    @property
    def rate_text(self) -> str:
        return percent(self.overturn_rate)

    @property
    def previous_text(self) -> str:
        return percent(self.previous_rate)

    @property
    def change_text(self) -> str:
        return points(self.change)


def month_bounds(month: str) -> tuple[date, date]:
    try:
        first = date.fromisoformat(f"{month}-01")
    except ValueError:
        raise ValueError(f"'{month}' is not a month like 2026-03.") from None
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first, following - timedelta(days=1)


def _category_counts(start: date, end: date) -> tuple[Counter, Counter, Counter]:
    opens, closes = period_bounds(start, end)
    received = Counter(
        Appeal.objects.filter(received_at__gte=opens, received_at__lt=closes)
        .values_list("denial_category", flat=True)
        .order_by()
    )
    decided, overturned = Counter(), Counter()
    for category, outcome in decided_in(start, end).values_list(
        "denial_category", "outcome"
    ):
        decided[category] += 1
        overturned[category] += outcome in FAVOURABLE_OUTCOMES
    return received, decided, overturned


def denial_trend(month: str) -> list[TrendRow]:
    """For the committee: by denial category, appeals received and decided in the
    month, the share overturned, and the change from the month before."""
    start, end = month_bounds(month)
    previous_start, previous_end = month_bounds(
        (start - timedelta(days=1)).strftime("%Y-%m")
    )
    received, decided, overturned = _category_counts(start, end)
    _, previous_decided, previous_overturned = _category_counts(
        previous_start, previous_end
    )
    rows = []
    for category in DenialCategory:
        if not (received[category] or decided[category]):
            continue
        rows.append(
            TrendRow(
                category.value,
                category.label,
                received[category],
                decided[category],
                overturned[category],
                share(previous_overturned[category], previous_decided[category]),
            )
        )
    return rows


# --- Provider feedback ------------------------------------------------------------


@dataclass
class FeedbackCase:
    case_number: str
    claim_or_authorization: str
    outcome: str
    decided_at: datetime
    missing: list[str]


@dataclass
class ProviderFeedback:
    provider_name: str
    provider_npi: str
    start: date
    end: date
    cases: list[FeedbackCase]

    @property
    def overturned(self) -> int:
        return sum(case.outcome in FAVOURABLE_OUTCOMES for case in self.cases)

    @property
    def upheld(self) -> int:
        return sum(case.outcome == Outcome.UPHELD for case in self.cases)

    @property
    def missing_counts(self) -> list[tuple[str, int]]:
        counter = Counter(item for case in self.cases for item in case.missing)
        return sorted(counter.items(), key=lambda item: (-item[1], item[0]))


def provider_feedback(*, provider, start: date, end: date) -> ProviderFeedback:
    """What documentation had to be asked for in this provider's decided appeals: the
    requests for information recorded on each case's timeline. No member details, so
    that it can be sent to the provider as it is."""
    appeals = list(
        decided_in(start, end).filter(provider=provider).order_by("decided_at", "id")
    )
    requests = defaultdict(list)
    for appeal_id, what in TimelineEvent.objects.filter(
        Q(transition="request_info"), appeal__in=appeals
    ).values_list("appeal_id", "reason"):
        requests[appeal_id].append(" ".join(what.split()))
    cases = [
        FeedbackCase(
            appeal.case_number,
            appeal.denial_claim_number or appeal.denial_authorization_number,
            appeal.outcome,
            appeal.decided_at,
            requests[appeal.pk],
        )
        for appeal in appeals
    ]
    return ProviderFeedback(provider.name, provider.npi, start, end, cases)


LINES = [(line.value, line.label) for line in LineOfBusiness]
