"""Server time of the supervisors' deadline dashboard (and its live fragment and the
workload page) with 100,000 open appeals, bulk-loaded into PostgreSQL database
appeals_bench6, a tenth of them assigned and a few thousand unacknowledged alerts.

The measuring runs in a child process with DEBUG off against that database, through
Django's whole request stack with the test client: the figures are server time with
no network in between. Prints p50/p95 per page and the number of queries each makes.

    make bench                      # or
    .venv/bin/pytest tests/bench/dashboard.py -s -o python_files='*.py'

BENCH_DASHBOARD_SIZE=20000 loads fewer appeals; the load is kept and reused next time.
"""

import json
import os
import random
import statistics
import time
from datetime import UTC, date, datetime, timedelta

from tests.bench.support import ROOT, SERVER_URL, ensure_database, run_child

DATABASE = "appeals_bench6"
OPEN_APPEALS = int(os.environ.get("BENCH_DASHBOARD_SIZE", "100000"))
REPEATS = 30
# The bar: the dashboard renders in under a second.
TARGET_P95_MS = {"dashboard": 1000, "live fragment": 1000, "workload": 1000}

ENV = {
    **os.environ,
    "DATABASE_URL": f"{SERVER_URL}/{DATABASE}",
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "bench-only-not-a-secret",
    "DJANGO_ALLOWED_HOSTS": "testserver",
    "DJANGO_SECURE_SSL_REDIRECT": "false",
    "LOG_LEVEL": "WARNING",
    "PYTHONPATH": str(ROOT),
}


def test_dashboard_server_time_with_100000_open_appeals():
    result = run_child("tests.bench.dashboard", env=ENV, timeout=3600)
    assert result["open_appeals"] >= OPEN_APPEALS
    for name, target in TARGET_P95_MS.items():
        assert result["timings"][name]["p95_ms"] < target, (name, result)


# The child process from here on.


def _people() -> list:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from appeals import roles
    from casework.models import ReviewerProfile

    reviewers = []
    group = Group.objects.get_or_create(name=roles.REVIEWER)[0]
    for number in range(40):
        user, _ = get_user_model().objects.get_or_create(
            username=f"bench.reviewer{number:02d}"
        )
        user.groups.add(group)
        ReviewerProfile.objects.get_or_create(
            user=user, defaults={"max_open_cases": 200}
        )
        reviewers.append(user)
    supervisor, _ = get_user_model().objects.get_or_create(username="bench.supervisor")
    supervisor.groups.add(Group.objects.get_or_create(name=roles.SUPERVISOR)[0])
    return [supervisor, *reviewers]


def _load(count: int, reviewers: list) -> int:
    from django.db import connection, transaction

    from appeals.choices import Channel, Kind, LineOfBusiness, Priority, RequesterType
    from appeals.models import Appeal, Member, Provider, Status
    from appeals.models.alerts import Alert

    have = Appeal.objects.open().count()
    if have >= count:
        return have

    rng = random.Random(6)
    now = datetime.now(UTC)
    with transaction.atomic():
        providers = Provider.objects.bulk_create(
            Provider(npi=f"8{n:09d}", name=f"Bench Clinic {n}") for n in range(300)
        )
    statuses = [
        (Status.RECEIVED, 35),
        (Status.IN_REVIEW, 30),
        (Status.PENDING_INFO, 10),
        (Status.CLINICAL_REVIEW, 10),
        (Status.DECIDED, 10),
        (Status.NOTIFIED, 5),
    ]
    lines = list(LineOfBusiness.values)
    batch = 5000
    for start in range(have, count, batch):
        size = min(batch, count - start)
        with transaction.atomic():
            members = Member.objects.bulk_create(
                Member(
                    member_id=f"DASH{start + n:08d}",
                    first_name="Bench",
                    last_name=f"Member{start + n}",
                    birth_date=date(1950, 1, 1),
                    state="FL",
                )
                for n in range(size)
            )
            appeals = []
            for member in members:
                received = now - timedelta(minutes=rng.randint(10, 60 * 24 * 45))
                expedited = rng.random() < 0.1
                window = timedelta(hours=72) if expedited else timedelta(days=30)
                appeals.append(
                    Appeal(
                        line_of_business=rng.choice(lines),
                        kind=Kind.PRE_SERVICE,
                        priority=Priority.EXPEDITED if expedited else Priority.STANDARD,
                        requester_type=RequesterType.PROVIDER,
                        channel=Channel.PORTAL,
                        member=member,
                        provider=rng.choice(providers),
                        denial_reason_codes=["CO-197"],
                        received_at=received,
                        decide_by=received + window,
                        status=rng.choices(*zip(*statuses, strict=True))[0],
                        assignee=rng.choice(reviewers) if rng.random() < 0.1 else None,
                    )
                )
            appeals = Appeal.objects.bulk_create(appeals)
            Alert.objects.bulk_create(
                Alert(
                    appeal=appeal,
                    key=f"decide_by:90:{appeal.decide_by.isoformat()}",
                    deadline="decide_by",
                    level=Alert.Level.NINETY,
                    due=appeal.decide_by,
                    message="90% of the decision window used",
                    created_at=now,
                )
                for appeal in appeals[:150]
            )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return Appeal.objects.open().count()


def _summary(samples: list[float]) -> dict:
    ordered = sorted(samples)
    return {
        "n": len(ordered),
        "p50_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(ordered[max(0, int(len(ordered) * 0.95) - 1)], 1),
    }


def _measure(supervisor) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(supervisor)
    pages = {
        "dashboard": "/supervisor/",
        "live fragment": "/supervisor/live",
        "workload": "/supervisor/workload",
    }
    timings, queries = {}, {}
    for name, path in pages.items():
        for _ in range(3):  # warm the connection and the template cache
            client.get(path)
        samples = []
        for _ in range(REPEATS):
            started = time.perf_counter()
            response = client.get(path)
            samples.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.status_code
        timings[name] = _summary(samples)
        with CaptureQueriesContext(connection) as captured:
            client.get(path)
        queries[name] = len(captured)
    return {"timings": timings, "queries": queries}


def main() -> None:
    import django
    from django.core.management import call_command

    ensure_database(DATABASE)
    django.setup()
    call_command("migrate", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)

    people = _people()
    started = time.perf_counter()
    open_appeals = _load(OPEN_APPEALS, people[1:])
    load_seconds = round(time.perf_counter() - started, 1)
    result = {
        "open_appeals": open_appeals,
        "load_seconds": load_seconds,
        **_measure(people[0]),
    }

    for name, figures in result["timings"].items():
        print(
            f"{name:<16} n={figures['n']:<4} p50 {figures['p50_ms']:>7.1f} ms"
            f"   p95 {figures['p95_ms']:>7.1f} ms   {result['queries'][name]} queries"
        )
    print(f"open appeals: {open_appeals}, loaded in {load_seconds} s")
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
