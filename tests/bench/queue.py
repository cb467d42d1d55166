"""Server time of the reviewers' queue page and of Get next case with 100,000 open
appeals, bulk-loaded into PostgreSQL database appeals_bench5.

The measuring runs in a child process with its own settings (DEBUG off, the database
above), through Django's whole request stack with the test client, so the figures are
server time without a network in between. Prints p50/p95 per request kind and the
number of queries each page makes.

    make bench                      # or
    .venv/bin/pytest tests/bench/queue.py -s -o python_files='*.py'

BENCH_QUEUE_SIZE=20000 loads fewer appeals; the load is kept and reused next time.
"""

import json
import os
import random
import re
import statistics
import time
from datetime import UTC, date, datetime, timedelta

from tests.bench.support import ROOT, SERVER_URL, ensure_database, run_child

DATABASE = "appeals_bench5"
OPEN_APPEALS = int(os.environ.get("BENCH_QUEUE_SIZE", "100000"))
REPEATS = 40
# Targets for a laptop-class machine shared with other work: the page must feel
# instant to a reviewer, and claiming must never be the slow part of a case.
TARGET_P95_MS = {"queue page": 300, "get next case": 300}

ENV = {
    **os.environ,
    "DJANGO_SETTINGS_MODULE": "config.settings",
    "DATABASE_URL": f"{SERVER_URL}/{DATABASE}",
    "REDIS_URL": "",
    "APPEALS_VAR_DIR": "/tmp/appeals-bench5",
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "bench-only-not-a-secret",
    "DJANGO_ALLOWED_HOSTS": "testserver",
    "DJANGO_SECURE_SSL_REDIRECT": "false",
    "LOG_LEVEL": "WARNING",
    "PYTHONPATH": str(ROOT),
}


def test_queue_page_and_claim_server_time_with_100000_open_appeals():
    result = run_child("tests.bench.queue", env=ENV, timeout=3600)
    assert result["open_appeals"] >= OPEN_APPEALS
    for name, target in TARGET_P95_MS.items():
        assert result["timings"][name]["p95_ms"] < target, (name, result)
    assert result["claimed_distinct"] == result["claims"]


# The child process from here on.


def _load(count: int) -> int:
    from django.db import connection, transaction

    from appeals import scoring
    from appeals.choices import (
        Channel,
        DenialCategory,
        Kind,
        LineOfBusiness,
        Priority,
        RequesterType,
    )
    from appeals.models import Appeal, Member, Provider, Status

    have = Appeal.objects.open().count()
    if have >= count:
        return have

    rng = random.Random(5)
    now = datetime.now(UTC)
    states = ("FL", "NY", "TX", "IL", "CA", "OH", "GA")
    specialties = ("orthopedics", "cardiology", "oncology", "neurology", "")
    with transaction.atomic():
        providers = Provider.objects.bulk_create(
            Provider(
                npi=f"9{n:09d}",
                name=f"Bench Clinic {n}",
                specialty=specialties[n % len(specialties)],
            )
            for n in range(300)
        )
    statuses = [
        (Status.RECEIVED, 40),
        (Status.IN_REVIEW, 30),
        (Status.PENDING_INFO, 10),
        (Status.CLINICAL_REVIEW, 10),
        (Status.DECIDED, 10),
    ]
    categories = list(DenialCategory.values)
    lines = list(LineOfBusiness.values)
    batch = 5000
    for start in range(have, count, batch):
        size = min(batch, count - start)
        with transaction.atomic():
            members = Member.objects.bulk_create(
                Member(
                    member_id=f"BENCH{start + n:08d}",
                    first_name="Bench",
                    last_name=f"Member{start + n}",
                    birth_date=date(1950, 1, 1),
                    state=rng.choice(states),
                )
                for n in range(size)
            )
            appeals = []
            for member in members:
                received = now - timedelta(minutes=rng.randint(10, 60 * 24 * 40))
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
                        denial_category=rng.choice(categories),
                        denial_reason_codes=["CO-4"],
                        denial_decided_by="um.nguyen",
                        received_at=received,
                        decide_by=received + window,
                        status=rng.choices(*zip(*statuses, strict=True))[0],
                    )
                )
            Appeal.objects.bulk_create(appeals)
    # The real scorer's bulk pass, so the queue's order and "why first" are real.
    scoring.appeals_rescore_open()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return Appeal.objects.open().count()


def _people():
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from appeals import roles
    from appeals.choices import LineOfBusiness
    from casework.models import ReviewerProfile

    people = {}
    for username, group, discipline, specialties in (
        ("bench.reviewer", roles.REVIEWER, "administrative", []),
        ("bench.nurse", roles.CLINICAL_REVIEWER, "clinical", []),
        ("bench.physician", roles.PHYSICIAN_REVIEWER, "clinical", ["cardiology"]),
    ):
        user, _ = get_user_model().objects.get_or_create(username=username)
        user.groups.add(Group.objects.get_or_create(name=group)[0])
        ReviewerProfile.objects.update_or_create(
            user=user,
            defaults={
                "discipline": discipline,
                "lines_of_business": list(LineOfBusiness.values),
                "licensed_states": ["FL", "NY", "TX"],
                "specialties": specialties,
                "max_open_cases": 1_000_000,
            },
        )
        people[username] = user
    return people


def _timed(call) -> tuple[float, object]:
    started = time.perf_counter()
    response = call()
    return (time.perf_counter() - started) * 1000, response


def _summary(samples: list[float]) -> dict:
    ordered = sorted(samples)
    return {
        "n": len(ordered),
        "p50_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(ordered[max(0, int(len(ordered) * 0.95) - 1)], 1),
    }


def _next_cursor(response) -> str:
    # Outside the test runner responses carry no template context; read the link.
    found = re.search(r"after=([A-Za-z0-9_-]+)", response.content.decode())
    return found.group(1) if found else ""


def _measure(people) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    timings, queries = {}, {}
    claimed = []
    for username, user in people.items():
        client = Client()
        client.force_login(user)
        for _ in range(3):  # warm the connection and the template cache
            client.get("/")

        samples = []
        for _ in range(REPEATS):
            elapsed, response = _timed(lambda client=client: client.get("/"))
            assert response.status_code == 200
            samples.append(elapsed)
        timings.setdefault("queue page", []).extend(samples)
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/")
        queries[f"queue page ({username})"] = len(captured)

        cursor = _next_cursor(response)
        samples = []
        for _ in range(10):
            elapsed, response = _timed(
                lambda client=client, cursor=cursor: client.get("/", {"after": cursor})
            )
            assert response.status_code == 200
            cursor = _next_cursor(response) or cursor
            samples.append(elapsed)
        timings.setdefault("queue page, later pages", []).extend(samples)

        samples = []
        for _ in range(10):
            elapsed, response = _timed(
                lambda client=client: client.get(
                    "/", {"priority": "expedited", "line_of_business": "medicaid"}
                )
            )
            samples.append(elapsed)
        timings.setdefault("queue page, filtered", []).extend(samples)

        samples = []
        for _ in range(REPEATS // 2):
            elapsed, response = _timed(lambda client=client: client.post("/claim"))
            assert response.status_code == 302, response.status_code
            samples.append(elapsed)
            claimed.append(response.url)
        timings.setdefault("get next case", []).extend(samples)

        elapsed, _ = _timed(lambda client=client, url=claimed[-1]: client.get(url))
        timings.setdefault("case page", []).append(elapsed)
        with CaptureQueriesContext(connection) as captured:
            client.get(claimed[-1])
        queries[f"case page ({username})"] = len(captured)

    return {
        "timings": {name: _summary(samples) for name, samples in timings.items()},
        "queries": queries,
        "claims": len(claimed),
        "claimed_distinct": len(set(claimed)),
    }


def main() -> None:
    import django
    from django.core.management import call_command

    ensure_database(DATABASE)
    django.setup()
    call_command("migrate", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)

    started = time.perf_counter()
    open_appeals = _load(OPEN_APPEALS)
    load_seconds = round(time.perf_counter() - started, 1)
    result = {
        "open_appeals": open_appeals,
        "load_seconds": load_seconds,
        **_measure(_people()),
    }

    for name, figures in result["timings"].items():
        print(
            f"{name:<26} n={figures['n']:<4} p50 {figures['p50_ms']:>7.1f} ms"
            f"   p95 {figures['p95_ms']:>7.1f} ms"
        )
    for name, count in result["queries"].items():
        print(f"{name:<34} {count} queries")
    print(f"open appeals: {open_appeals}, loaded in {load_seconds} s")
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
