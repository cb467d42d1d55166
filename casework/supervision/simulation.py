"""The capacity simulator: a synthetic stream of appeals worked by a team of reviewers
in simulated time, once for each queue policy, through the real code: appeals are made
by appeal_create (so the clocks are the real ones), reviewers take work with
case_claim_next, walk the case's review protocol and decide through the services, and
the "score" policy ranks the queue with the bulk rescoring pass.

A policy is what goes into the score column the queue orders by: the time of receipt
(first in, first out), the decision deadline (earliest deadline first), or the product's
urgency score. Everything else, from eligibility to caps, is the production path.

Each run happens inside a transaction that is rolled back, so nothing is committed and
no after-commit work (rescoring tasks, alerts) is ever sent to the broker. Because the
claiming and the rescoring look at every open case in the database, a run must happen
in a database holding no real cases: `manage.py simulate` starts itself again on an
in-memory SQLite database for that (see run_in_scratch_database).
"""

import json
import logging
import os
import random
import statistics
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from appeals import roles, scoring, services
from appeals.choices import Channel, Kind, LineOfBusiness, Outcome, RequesterType
from appeals.clocks import plan_zone
from appeals.models import Appeal, Member, Provider
from casework import services as casework_services
from casework.case_mix import KINDS_BY_LINE, LINE_WEIGHTS
from casework.models import CaseProtocol, Discipline, ReviewerProfile

logger = logging.getLogger(__name__)

POLICIES = ("fifo", "edf", "score")
SCRATCH_ENV = "APPEALS_SIMULATION_SCRATCH"

REASONS = (("CO-197", 45), ("CO-16", 25), ("CO-50", 15), ("CO-96", 15))
SERVICES = ("97110", "27447", "70553", "E0601", "J1745", "99214")
MEMBER_STATE = "FL"


class ScenarioError(ValueError):
    pass


@dataclass(frozen=True)
class Scenario:
    days: int = 10
    arrivals_per_day: float = 30.0
    expedited_share: float = 0.15
    backlog: int = 120
    backlog_days: int = 14
    reviewers: int = 4
    shift_start_hour: int = 9
    shift_hours: int = 8
    standard_hours: float = 1.0
    expedited_hours: float = 1.0
    overturn_share: float = 0.75
    seed: int = 2026
    start: date = date(2026, 6, 1)
    step_minutes: int = 15

    def check(self) -> None:
        problems = []
        if not 1 <= self.days <= 60:
            problems.append("days must be between 1 and 60")
        if not 0 <= self.arrivals_per_day <= 500:
            problems.append("arrivals per day must be between 0 and 500")
        if not 0 <= self.expedited_share <= 1:
            problems.append("the expedited share must be between 0 and 1")
        if not 0 <= self.backlog <= 2000:
            problems.append("the backlog must be between 0 and 2000")
        if not 1 <= self.backlog_days <= 60:
            problems.append("backlog days must be between 1 and 60")
        if not 1 <= self.reviewers <= 100:
            problems.append("reviewers must be between 1 and 100")
        if not 0 <= self.shift_start_hour <= 23 or not 1 <= self.shift_hours <= 24:
            problems.append("the shift must start at 0-23 and last 1-24 hours")
        if not (0 < self.standard_hours <= 24 and 0 < self.expedited_hours <= 24):
            problems.append("handling hours must be above 0 and at most 24")
        if not 0 <= self.overturn_share <= 1:
            problems.append("the overturn share must be between 0 and 1")
        if not 1 <= self.step_minutes <= 120:
            problems.append("the step must be 1 to 120 minutes")
        if problems:
            raise ScenarioError("; ".join(problems).capitalize() + ".")


@dataclass(frozen=True)
class SyntheticCase:
    received_at: datetime
    line_of_business: str
    kind: str
    expedited: bool
    reason_code: str
    service_code: str
    amount: Decimal
    outcome: str
    handling_hours: float


@dataclass
class PolicyResult:
    policy: str
    on_time_share: float | None
    expedited_median_hours: float | None
    breaches: int
    decided: int
    settled: int
    expedited_breaches: int
    cases: int

    def as_json(self) -> dict:
        return asdict(self)


@dataclass
class _Desk:
    user: object
    appeal: Appeal | None = None
    case: SyntheticCase | None = None
    free_at: datetime | None = None
    cases: dict = field(default_factory=dict)


def _weighted(rng: random.Random, pairs) -> str:
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights)[0]


def _case(rng: random.Random, scenario: Scenario, received_at, *, backlog=False):
    line = _weighted(rng, LINE_WEIGHTS.items())
    kind = _weighted(rng, KINDS_BY_LINE[line])
    expedited = (
        not backlog
        and kind != Kind.POST_SERVICE
        and rng.random() < scenario.expedited_share
    )
    reason = _weighted(rng, REASONS)
    mean = scenario.expedited_hours if expedited else scenario.standard_hours
    # A gamma of shape 4 keeps most cases near the mean with a few long ones.
    return SyntheticCase(
        received_at=received_at,
        line_of_business=line,
        kind=kind,
        expedited=expedited,
        reason_code=reason,
        service_code=rng.choice(SERVICES),
        amount=Decimal(rng.randrange(80, 40000)),
        outcome=(
            Outcome.OVERTURNED
            if rng.random() < scenario.overturn_share
            else Outcome.UPHELD
        ),
        handling_hours=rng.gammavariate(4.0, mean / 4.0),
    )


def start_instant(scenario: Scenario) -> datetime:
    return datetime.combine(scenario.start, time(0), tzinfo=plan_zone()).astimezone(UTC)


def synthetic_stream(scenario: Scenario) -> list[SyntheticCase]:
    """The same cases for every policy: a backlog received over the days before the
    start, then Poisson arrivals around the clock."""
    rng = random.Random(scenario.seed)
    start = start_instant(scenario)
    cases = [
        _case(
            rng,
            scenario,
            start - timedelta(days=scenario.backlog_days * rng.random()),
            backlog=True,
        )
        for _ in range(scenario.backlog)
    ]
    cases.sort(key=lambda case: case.received_at)

    moment, end = start, start + timedelta(days=scenario.days)
    rate_per_hour = scenario.arrivals_per_day / 24
    while rate_per_hour > 0:
        moment += timedelta(hours=rng.expovariate(rate_per_hour))
        if moment >= end:
            break
        cases.append(_case(rng, scenario, moment))
    return cases


def _on_shift(scenario: Scenario, moment: datetime) -> bool:
    local = moment.astimezone(plan_zone())
    opens = local.replace(hour=scenario.shift_start_hour, minute=0, second=0)
    closes = opens + timedelta(hours=scenario.shift_hours)
    return local.weekday() < 5 and opens <= local < closes


def _team(scenario: Scenario, run: str) -> list[_Desk]:
    # Everyone may take every case, so that the comparison is about order alone.
    group = Group.objects.get_or_create(name=roles.PHYSICIAN_REVIEWER)[0]
    desks = []
    for number in range(1, scenario.reviewers + 1):
        user = get_user_model().objects.create_user(
            username=f"simulated-{run}-{number}", password=None
        )
        user.groups.add(group)
        ReviewerProfile.objects.create(
            user=user,
            discipline=Discipline.CLINICAL,
            lines_of_business=list(LineOfBusiness.values),
            licensed_states=[MEMBER_STATE],
        )
        desks.append(_Desk(user))
    return desks


def _intake(case: SyntheticCase, number: int, *, provider, policy: str) -> Appeal:
    member = Member.objects.create(
        member_id=f"SIM{number:08d}",
        first_name="Simulated",
        last_name=f"Member {number}",
        birth_date=date(1950, 1, 1),
        state=MEMBER_STATE,
    )
    appeal = services.appeal_create(
        by="simulator",
        member=member,
        provider=provider,
        line_of_business=case.line_of_business,
        kind=case.kind,
        received_at=case.received_at,
        channel=Channel.PORTAL,
        requester_type=RequesterType.PROVIDER,
        denial=services.DenialFacts(
            reason_codes=[case.reason_code],
            service_codes=[case.service_code],
            amount=case.amount,
            decided_by="um.original",
        ),
        requested_priority="expedited" if case.expedited else "standard",
        expedite_requested_by="physician" if case.expedited else "",
        now=case.received_at,
    )
    # First in first out and earliest deadline first are written once; the urgency
    # score is refreshed by the real bulk pass before every round of claims.
    if policy == "fifo":
        Appeal.objects.filter(pk=appeal.pk).update(
            score=-appeal.received_at.timestamp() / 3600
        )
    elif policy == "edf":
        Appeal.objects.filter(pk=appeal.pk).update(
            score=-appeal.decide_by.timestamp() / 3600
        )
    return appeal


def _finish(desk: _Desk) -> None:
    appeal, case, at = desk.appeal, desk.case, desk.free_at
    protocol = CaseProtocol.objects.filter(appeal=appeal).first()
    for step in protocol.steps if protocol else []:
        if step["required"]:
            casework_services.protocol_step_complete(
                appeal=appeal,
                user=desk.user,
                step_key=step["key"],
                result="done",
                finding="Simulated review.",
                now=at,
            )
    appeal = services.appeal_decide(
        appeal=appeal,
        by=desk.user,
        outcome=case.outcome,
        rationale="Simulated decision.",
        now=at,
    )
    if appeal.requires_forwarding:
        services.appeal_forward(appeal=appeal, by=desk.user, now=at)
    else:
        services.appeal_send_notice(appeal=appeal, by=desk.user, now=at)
    desk.appeal = desk.case = None


def _claim(desk: _Desk, now: datetime, cases_by_id: dict) -> bool:
    appeal = casework_services.case_claim_next(user=desk.user, now=now)
    if appeal is None:
        return False
    if appeal.status == "received":
        appeal = services.appeal_accept(appeal=appeal, by=desk.user, now=now)
    desk.appeal, desk.case = appeal, cases_by_id[appeal.pk]
    desk.free_at = now + timedelta(hours=desk.case.handling_hours)
    return True


def _measure(policy: str, appeal_ids: list[int], end: datetime) -> PolicyResult:
    on_time = late = expedited_late = 0
    expedited_hours = []
    rows = list(
        Appeal.objects.filter(pk__in=appeal_ids).values_list(
            "priority", "received_at", "decide_by", "decided_at"
        )
    )
    for priority, received_at, decide_by, decided_at in rows:
        if decided_at is None and decide_by >= end:
            continue
        met = decided_at is not None and decided_at <= decide_by
        on_time += met
        late += not met
        if priority == "expedited":
            expedited_late += not met
            if decided_at is not None:
                expedited_hours.append(
                    (decided_at - received_at).total_seconds() / 3600
                )
    settled = on_time + late
    decided = sum(1 for row in rows if row[3] is not None)
    return PolicyResult(
        policy=policy,
        on_time_share=round(on_time / settled, 4) if settled else None,
        expedited_median_hours=(
            round(statistics.median(expedited_hours), 1) if expedited_hours else None
        ),
        breaches=late,
        decided=decided,
        settled=settled,
        expedited_breaches=expedited_late,
        cases=len(appeal_ids),
    )


def run_policy(scenario: Scenario, policy: str) -> PolicyResult:
    """One policy over the whole stream, in a transaction that is rolled back."""
    stream = synthetic_stream(scenario)
    start = start_instant(scenario)
    end = start + timedelta(days=scenario.days)
    step = timedelta(minutes=scenario.step_minutes)

    with transaction.atomic():
        desks = _team(scenario, policy)
        provider = Provider.objects.create(
            npi=f"{9000000000 + POLICIES.index(policy)}", name="Simulated provider"
        )
        cases_by_id, waiting = {}, list(reversed(stream))
        now = start - timedelta(days=scenario.backlog_days + 1)
        while now < end:
            while waiting and waiting[-1].received_at <= now:
                case = waiting.pop()
                appeal = _intake(
                    case, len(cases_by_id) + 1, provider=provider, policy=policy
                )
                cases_by_id[appeal.pk] = case
            if now < start:
                now = start
                continue

            for desk in desks:
                if desk.appeal is not None and desk.free_at <= now:
                    _finish(desk)
            if _on_shift(scenario, now):
                free = [desk for desk in desks if desk.appeal is None]
                if free and policy == "score":
                    scoring.appeals_rescore_open(now=now)
                for desk in free:
                    if not _claim(desk, now, cases_by_id):
                        break
            now += step

        result = _measure(policy, list(cases_by_id), end)
        transaction.set_rollback(True)

    logger.info(
        "Simulated %s: %s of %s settled cases on time",
        policy,
        result.on_time_share,
        result.settled,
    )
    return result


def run(scenario: Scenario) -> list[PolicyResult]:
    scenario.check()
    return [run_policy(scenario, policy) for policy in POLICIES]


def scenario_arguments(scenario: Scenario) -> list[str]:
    arguments = []
    for name, value in asdict(scenario).items():
        flag = "--" + name.replace("_", "-")
        arguments += [
            flag,
            value.isoformat() if isinstance(value, date) else str(value),
        ]
    return arguments


def run_in_scratch_database(scenario: Scenario, *, timeout: float = 300) -> list[dict]:
    """Run the simulation in a fresh process on an in-memory SQLite database, so that
    no real case is ever claimed or rescored and nothing reaches the broker."""
    scenario.check()
    manage = Path(settings.BASE_DIR) / "manage.py"
    environment = {**os.environ, SCRATCH_ENV: "1", "DATABASE_URL": "sqlite://:memory:"}
    environment.pop("REDIS_URL", None)
    completed = subprocess.run(  # noqa: S603 - our own manage.py, fixed arguments
        [
            sys.executable,
            str(manage),
            "simulate",
            "--json",
            *scenario_arguments(scenario),
        ],
        capture_output=True,
        text=True,
        env=environment,
        timeout=timeout,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(completed.stderr.strip().splitlines()[-1:])
    return list(json.loads(completed.stdout).values())
