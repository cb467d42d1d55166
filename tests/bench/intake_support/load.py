"""Bulk-load appeals that are already stored before the benchmark posts more.

python -m tests.bench.intake_support.load START COUNT INTEGRATION_NAME
"""

import os
import random
import sys
from datetime import UTC, date, datetime, timedelta

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.bench.settings_intake")
django.setup()

from appeals.models import (  # noqa: E402
    Appeal,
    Integration,
    Member,
    Status,
    TimelineEvent,
)

CHUNK = 5000
STATUSES = [Status.RECEIVED] * 6 + [Status.IN_REVIEW] * 2 + [Status.CLOSED] * 2


def load(start: int, count: int, integration_name: str) -> None:
    integration = Integration.objects.get(name=integration_name)
    rng = random.Random(start)
    now = datetime.now(UTC)

    for offset in range(start, start + count, CHUNK):
        size = min(CHUNK, start + count - offset)
        members = Member.objects.bulk_create(
            Member(
                member_id=f"PRE{offset + i:09d}",
                first_name="Pat",
                last_name=f"Loaded{offset + i}",
                birth_date=date(1950, 1, 1) + timedelta(days=i % 9000),
                state="FL",
            )
            for i in range(size // 2 + 1)
        )
        appeals = []
        for i in range(size):
            received_at = now - timedelta(minutes=rng.randrange(120 * 24 * 60))
            appeals.append(
                Appeal(
                    integration=integration,
                    external_id=f"pre-{offset + i}",
                    line_of_business="medicare_advantage",
                    kind="pre_service",
                    requester_type="provider",
                    channel="api",
                    member=members[i // 2],
                    denial_claim_number=f"PRE-C-{offset + i}",
                    received_at=received_at,
                    status=rng.choice(STATUSES),
                    clock_rule_id="MA-PRE-STD",
                    decide_by=received_at + timedelta(days=30),
                    extended_decide_by=received_at + timedelta(days=44),
                    acknowledge_by=received_at + timedelta(days=5),
                )
            )
        Appeal.objects.bulk_create(appeals)
        TimelineEvent.objects.bulk_create(
            TimelineEvent(
                appeal=appeal,
                kind=TimelineEvent.Kind.CREATED,
                at=appeal.received_at,
                actor_label="bench-load",
                to_status=appeal.status,
            )
            for appeal in appeals
        )


if __name__ == "__main__":
    load(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3])
