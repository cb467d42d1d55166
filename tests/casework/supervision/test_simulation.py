import io
import json
from dataclasses import replace

import pytest
from django.core.management import CommandError, call_command

from appeals.models import Appeal
from casework.supervision import simulation

pytestmark = pytest.mark.django_db

# One reviewer, a day and a half of standard backlog, and expedited arrivals: taking
# cases in order of receipt leaves the expedited ones waiting past their 72 hours.
OVERLOADED = simulation.Scenario(
    days=4,
    arrivals_per_day=4,
    expedited_share=1.0,
    backlog=14,
    backlog_days=3,
    reviewers=1,
    standard_hours=2.0,
    expedited_hours=1.0,
    seed=11,
    step_minutes=30,
)


def test_the_stream_is_the_same_for_the_same_seed_and_differs_for_another():
    first = simulation.synthetic_stream(OVERLOADED)

    assert simulation.synthetic_stream(OVERLOADED) == first
    assert simulation.synthetic_stream(replace(OVERLOADED, seed=12)) != first
    assert sum(case.expedited for case in first) >= 4
    assert not any(case.expedited for case in first[: OVERLOADED.backlog])


def test_first_in_first_out_misses_expedited_deadlines_that_the_others_meet():
    results = {r.policy: r for r in simulation.run(OVERLOADED)}

    assert results["fifo"].expedited_breaches > 0
    assert results["edf"].expedited_breaches == 0
    assert results["score"].expedited_breaches == 0
    assert results["fifo"].breaches > results["edf"].breaches
    assert results["fifo"].on_time_share < results["edf"].on_time_share
    assert (
        results["fifo"].expedited_median_hours > results["edf"].expedited_median_hours
    )
    assert {r.cases for r in results.values()} == {
        len(simulation.synthetic_stream(OVERLOADED))
    }


def test_a_run_leaves_nothing_behind():
    simulation.run(replace(OVERLOADED, days=1, backlog=3))

    assert not Appeal.objects.exists()


def test_bad_scenarios_are_refused_in_plain_words():
    with pytest.raises(simulation.ScenarioError, match="Reviewers must be between"):
        simulation.run(replace(OVERLOADED, reviewers=0))


def test_the_command_prints_one_json_object_per_policy(monkeypatch):
    # Inside the scratch process the command runs on the database it is given.
    monkeypatch.setenv(simulation.SCRATCH_ENV, "1")
    out = io.StringIO()

    call_command(
        "simulate",
        "--json",
        *simulation.scenario_arguments(replace(OVERLOADED, days=2)),
        stdout=out,
    )

    report = json.loads(out.getvalue())
    assert list(report) == ["fifo", "edf", "score"]
    for policy in report.values():
        assert {"on_time_share", "expedited_median_hours", "breaches"} <= set(policy)


def test_the_command_refuses_a_bad_option():
    with pytest.raises(CommandError, match="Days must be between 1 and 60"):
        call_command("simulate", "--days", "0")


def test_the_scratch_run_happens_in_another_process_and_database():
    tiny = replace(OVERLOADED, days=1, backlog=2, arrivals_per_day=2)

    results = simulation.run_in_scratch_database(tiny, timeout=120)

    assert [r["policy"] for r in results] == ["fifo", "edf", "score"]
    assert not Appeal.objects.exists()


def test_the_capacity_page_runs_a_small_simulation(supervisor_client):
    response = supervisor_client.post(
        "/supervisor/simulate",
        {
            "reviewers": 1,
            "days": 1,
            "arrivals_per_day": 2,
            "expedited_share": 0.5,
            "backlog": 2,
            "standard_hours": 1,
            "expedited_hours": 1,
            "seed": 3,
        },
    )

    text = response.content.decode()
    assert response.status_code == 200
    for policy in ("fifo", "edf", "score"):
        assert f'data-policy="{policy}"' in text


def test_the_capacity_page_refuses_a_run_too_big_for_it(supervisor_client):
    response = supervisor_client.post(
        "/supervisor/simulate",
        {
            "reviewers": 1,
            "days": 30,
            "arrivals_per_day": 2,
            "expedited_share": 0.5,
            "backlog": 2,
            "standard_hours": 1,
            "expedited_hours": 1,
            "seed": 3,
        },
    )

    assert response.status_code == 400
    assert b"less than or equal to 3" in response.content
