"""Time and peak memory of one full rescoring pass and of one deadline sweep with
100,000 and 1,000,000 open appeals, bulk-loaded into PostgreSQL database appeals_bench4,
beside one plain SQL UPDATE touching the same rows (the ratio is the figure).

The measuring runs in a child process, as a worker would, so that its resident memory
is the pass's own. The sweep is measured in steady state: every case's next check is
scheduled as if sweeps had run until a minute ago. Rescoring is measured twice: the
first pass writes every row (all scores are new), the next one only what changed.

    make bench                      # or
    .venv/bin/pytest tests/bench/sweep.py -s -o python_files='*.py'

BENCH_SWEEP_SIZES=100000 measures fewer sizes (comma-separated).
"""

import json
import os
import sys
import time
from pathlib import Path

import pytest

from tests.bench.support import ROOT, SERVER_URL, ensure_database, run_child

DATABASE = "appeals_bench4"
SIZES = [
    int(size)
    for size in os.environ.get("BENCH_SWEEP_SIZES", "100000,1000000").split(",")
]
TARGET_SWEEP_SECONDS = 2.0
TARGET_PEAK_MB = 300
TARGET_RESCORING_RATIO = 3.0

ENV = {
    **os.environ,
    "DJANGO_SETTINGS_MODULE": "config.settings",
    "DATABASE_URL": f"{SERVER_URL}/{DATABASE}",
    "REDIS_URL": "",
    "APPEALS_VAR_DIR": "/tmp/appeals-bench4",
    "LOG_LEVEL": "WARNING",
    "PYTHONPATH": str(ROOT),
}


@pytest.mark.parametrize("size", SIZES)
def test_rescoring_and_sweep_time_and_memory(size):
    result = run_child("tests.bench.sweep", str(size), env=ENV, timeout=4 * 3600)
    assert result["rescored"] == size
    assert result["sweep"]["failures"] == 0
    assert result["sweep"]["alerts"] > 0
    assert result["sweep"]["seconds"] < TARGET_SWEEP_SECONDS, result
    assert result["rescoring"]["peak_mb"] < TARGET_PEAK_MB, result
    assert result["steady_rescoring"]["peak_mb"] < TARGET_PEAK_MB, result
    assert result["sweep"]["peak_mb"] < TARGET_PEAK_MB, result
    if os.environ.get("BENCH_STRICT") == "1":
        assert result["rescoring_ratio"] <= TARGET_RESCORING_RATIO, result


# The child process from here on.


def _reset_peak_memory() -> None:
    # Writing 5 to clear_refs resets VmHWM (Linux 4.0+), so each pass has its own peak.
    Path("/proc/self/clear_refs").write_text("5")


def _peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    raise RuntimeError("no VmHWM in /proc/self/status")


# Every NOT NULL column of the appeal without a database default, as SQL over the
# series number g and the random draws r1..r4 of the row.
_APPEAL_COLUMNS = {
    "public_id": "gen_random_uuid()",
    "external_id": "''",
    "line_of_business": "(ARRAY['medicare_advantage','medicare_advantage',"
    "'medicare_advantage','medicaid','commercial','medicare_part_d'])"
    "[1 + (mod(g, 6))]",
    "kind": "CASE WHEN mod(g, 5) = 0 THEN 'post_service' ELSE 'pre_service' END",
    "priority": "CASE WHEN expedited THEN 'expedited' ELSE 'standard' END",
    "expedite_requested_by": "CASE WHEN expedited THEN 'physician' ELSE '' END",
    "expedite_decision": "CASE WHEN expedited THEN 'granted' ELSE 'not_requested' END",
    "requester_type": "'provider'",
    "requester_name": "''",
    "requester_npi": "''",
    "channel": "'portal'",
    "member_id": "(SELECT min(id) FROM appeals_member) + (mod(g, 10000))",
    "provider_id": "(SELECT min(id) FROM appeals_provider) + (mod(g, 1000))",
    "denial_reason_codes": "jsonb_build_array((ARRAY['CO-50','CO-197','CO-16',"
    "'CO-97','CO-18','CO-4'])[1 + (mod(g, 6))])",
    "denial_category": "(ARRAY['medical_necessity','prior_authorization',"
    "'missing_information','bundling','duplicate','coding'])[1 + (mod(g, 6))]",
    "denial_claim_number": "''",
    "denial_authorization_number": "''",
    "denial_service_codes": "jsonb_build_array((ARRAY['J9035','93458','81211',"
    "'99213','E0601','27447','70553'])[1 + (mod(g, 7))])",
    "denial_diagnosis_codes": "'[]'::jsonb",
    "denial_amount": "round((r2 * 40000)::numeric, 2)",
    "denial_decided_by": "''",
    "summary": "''",
    "received_at": "received_at",
    "status": "(ARRAY['received','in_review','pending_info','clinical_review'])"
    "[1 + (mod(g, 4))]",
    "flags": "'[]'::jsonb",
    "clock_rule_id": "CASE WHEN expedited THEN 'MA-PRE-EXP' ELSE 'MA-PRE-STD' END",
    "decide_by": "received_at + CASE WHEN expedited THEN interval '72 hours' "
    "ELSE interval '30 days' END",
    "extension_reason": "''",
    "outcome": "''",
    "decision_rationale": "''",
    "decision_criteria": "''",
    "assignee_id": "%(assignee)s",
    "score_components": "'{}'::jsonb",
    "created_at": "received_at",
    "updated_at": "received_at",
}


def _column_sql(field) -> str:
    if field.column in _APPEAL_COLUMNS:
        return _APPEAL_COLUMNS[field.column]
    if field.null:
        return "NULL"
    default = field.get_default()
    if isinstance(default, bool | int | float):
        return str(default).lower() if isinstance(default, bool) else str(default)
    if isinstance(default, str):
        return "'" + default.replace("'", "''") + "'"
    if isinstance(default, list | dict):
        return f"'{json.dumps(default)}'::jsonb"
    raise RuntimeError(f"The benchmark does not know how to fill {field.column}.")


def _load(size: int, now) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection

    from appeals.enforcement import deadline_checks_schedule
    from appeals.models import Appeal, SweepState

    assignee = get_user_model().objects.get_or_create(username="bench.reviewer")[0]
    fields = [f for f in Appeal._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(f.column for f in fields)
    values = ", ".join(_column_sql(f) for f in fields)

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE appeals_notification, appeals_alert, appeals_timelineevent, "
            "appeals_appeal, appeals_member, appeals_provider, appeals_sweepstate, "
            "appeals_deadlinecheck "
            "RESTART IDENTITY CASCADE"
        )
        cursor.execute("SELECT setseed(0.42)")
        cursor.execute(
            """
            INSERT INTO appeals_member
                (member_id, first_name, last_name, birth_date, state,
                 vulnerability_flags)
            SELECT 'BENCH' || g, 'Member', 'Bench' || g, date '1950-01-01', 'FL',
                   CASE WHEN mod(g, 7) = 0 THEN '["dual_eligible"]'::jsonb
                        ELSE '[]'::jsonb END
            FROM generate_series(1, 10000) g
            """
        )
        cursor.execute(
            """
            INSERT INTO appeals_provider (npi, name, specialty, contracted)
            SELECT (1000000000 + g)::text, 'Provider ' || g, 'cardiology', true
            FROM generate_series(1, 1000) g
            """
        )
        # Standard cases received over the last 29 days, expedited ones over the
        # last 71 hours: every deadline is still ahead, as in a desk that keeps up.
        cursor.execute(
            f"""
            INSERT INTO appeals_appeal ({columns})
            SELECT {values}
            FROM (
                SELECT g, r1, r2, expedited,
                       %(now)s - CASE WHEN expedited
                           THEN r1 * interval '71 hours'
                           ELSE r1 * interval '29 days' END AS received_at
                FROM (
                    SELECT g, random() AS r1, random() AS r2,
                           random() < 0.12 AS expedited
                    FROM generate_series(1, %(size)s) g
                ) draws
            ) rows
            """,
            {"now": now, "size": size, "assignee": assignee.pk},
        )
        cursor.execute("VACUUM ANALYZE")

    # As if sweeps had run until a minute ago: every case's next check is scheduled.
    since = now - _minute()
    deadline_checks_schedule(now=since, since=since)
    SweepState.objects.create(name="deadlines", swept_until=since)


def _minute():
    from datetime import timedelta

    return timedelta(minutes=1)


def _vacuum() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE appeals_appeal")


def _timed(action):
    _reset_peak_memory()
    started = time.perf_counter()
    value = action()
    return value, round(time.perf_counter() - started, 2), _peak_mb()


def _plain_update() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE appeals_appeal SET score = random(), scored_at = now()
            WHERE status IN ('received', 'in_review', 'pending_info',
                             'clinical_review', 'decided', 'notified', 'forwarded')
            """
        )
        return cursor.rowcount


def main(size: int) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from appeals.enforcement import deadlines_sweep
    from appeals.scoring import appeals_rescore_open

    ensure_database(DATABASE)
    call_command("migrate", verbosity=0)
    now = timezone.now()

    started = time.perf_counter()
    _load(size, now)
    load_seconds = round(time.perf_counter() - started, 1)

    touched, plain_seconds, _ = _timed(_plain_update)
    _vacuum()
    rescored, rescoring_seconds, rescoring_peak = _timed(
        lambda: appeals_rescore_open(now=now)
    )
    _vacuum()
    # Five minutes on, as the next periodic pass: only scores that changed are written.
    later = now + 5 * _minute()
    changed, steady_seconds, steady_peak = _timed(
        lambda: appeals_rescore_open(now=later)
    )
    _vacuum()
    sweep, sweep_seconds, sweep_peak = _timed(lambda: deadlines_sweep(now=now))

    result = {
        "open_appeals": size,
        "load_seconds": load_seconds,
        "plain_update": {"rows": touched, "seconds": plain_seconds},
        "rescored": rescored,
        "rescoring": {"seconds": rescoring_seconds, "peak_mb": rescoring_peak},
        "rescoring_ratio": round(rescoring_seconds / max(plain_seconds, 0.01), 2),
        "steady_rescoring": {
            "seconds": steady_seconds,
            "peak_mb": steady_peak,
            "changed": changed,
            "ratio": round(steady_seconds / max(plain_seconds, 0.01), 2),
        },
        "sweep": {
            "seconds": sweep_seconds,
            "peak_mb": sweep_peak,
            "alerts": sweep.alerts,
            "failures": len(sweep.failures),
            "checked": sweep.checked,
        },
    }
    print(
        f"{size:>9,} open appeals: plain UPDATE {plain_seconds}s; rescoring "
        f"{rescoring_seconds}s ({result['rescoring_ratio']}x), peak {rescoring_peak} "
        f"MB; next pass {steady_seconds}s ({changed} changed, "
        f"{result['steady_rescoring']['ratio']}x), peak {steady_peak} MB; sweep "
        f"{sweep_seconds}s checking {sweep.checked} cases and raising {sweep.alerts} "
        f"alerts, peak {sweep_peak} MB"
    )
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main(int(sys.argv[1]))
