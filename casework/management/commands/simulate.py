"""Compare queue policies on a synthetic stream of appeals:

    python manage.py simulate --reviewers 3 --days 10
    python manage.py simulate --json

The run happens in a fresh process on an in-memory database (see
casework/supervision/simulation.py), never on the real cases.
"""

import json
import os
from dataclasses import fields
from datetime import date

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from casework.supervision import simulation

HELP = {
    "days": "Days simulated from the start.",
    "arrivals_per_day": "Mean new appeals per day (Poisson).",
    "expedited_share": "Share of pre-service arrivals that are expedited (0-1).",
    "backlog": "Open standard appeals at the start.",
    "backlog_days": "The backlog was received over this many days before the start.",
    "reviewers": "Reviewers at work.",
    "shift_start_hour": "Shift start, hour of the plan-zone day (weekdays only).",
    "shift_hours": "Hours in a shift.",
    "standard_hours": "Mean hands-on hours for a standard appeal.",
    "expedited_hours": "Mean hands-on hours for an expedited appeal.",
    "overturn_share": "Share of decisions that overturn the denial.",
    "seed": "Random seed: the same seed gives the same stream.",
    "start": "First simulated day, YYYY-MM-DD (plan zone).",
    "step_minutes": "Simulated minutes between two looks at the queue.",
}


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"'{value}' is not a date like 2026-06-01.") from None


class Command(BaseCommand):
    help = "Replay a synthetic stream of appeals under FIFO, EDF and the urgency score."

    def add_arguments(self, parser):
        defaults = simulation.Scenario()
        for item in fields(simulation.Scenario):
            default = getattr(defaults, item.name)
            kind = {int: int, float: float, date: _date}[type(default)]
            parser.add_argument(
                "--" + item.name.replace("_", "-"),
                type=kind,
                default=default,
                help=f"{HELP[item.name]} Default {default}.",
            )
        parser.add_argument("--json", action="store_true", help="Print JSON.")

    def handle(self, *args, **options):
        scenario = simulation.Scenario(
            **{item.name: options[item.name] for item in fields(simulation.Scenario)}
        )
        try:
            scenario.check()
        except simulation.ScenarioError as error:
            raise CommandError(str(error)) from None

        if os.environ.get(simulation.SCRATCH_ENV) == "1":
            call_command("migrate", verbosity=0, interactive=False)
            results = [result.as_json() for result in simulation.run(scenario)]
        else:
            try:
                results = simulation.run_in_scratch_database(scenario)
            except RuntimeError as error:
                raise CommandError(f"The simulation failed: {error}") from None

        if options["json"]:
            by_policy = {result["policy"]: result for result in results}
            self.stdout.write(json.dumps(by_policy, indent=2))
            return
        self.stdout.write(table(scenario, results))


def _hours(value) -> str:
    return "-" if value is None else f"{value:.1f}"


def _share(value) -> str:
    return "-" if value is None else f"{value:.1%}"


def table(scenario: simulation.Scenario, results: list[dict]) -> str:
    lines = [
        f"{scenario.days} days from {scenario.start}, {scenario.reviewers} reviewers, "
        f"{scenario.arrivals_per_day:g} arrivals a day "
        f"({scenario.expedited_share:.0%} of pre-service expedited), "
        f"backlog {scenario.backlog}, seed {scenario.seed}",
        "",
        f"{'policy':<8}{'on time':>10}{'breaches':>10}{'expedited':>11}"
        f"{'exp. median h':>15}{'decided':>9}{'settled':>9}",
    ]
    for result in results:
        lines.append(
            f"{result['policy']:<8}{_share(result['on_time_share']):>10}"
            f"{result['breaches']:>10}{result['expedited_breaches']:>11}"
            f"{_hours(result['expedited_median_hours']):>15}"
            f"{result['decided']:>9}{result['settled']:>9}"
        )
    return "\n".join(lines)
