"""Deadline enforcement: the sweep run every minute by beat (DESIGN.md, "Deadline
enforcement").

The sweep does not scan the open cases. Each case has a DeadlineCheck row holding the
next moment something may be due for it (a share of its window, a lead time, a
deadline); a sweep looks at the checks that have come due and at the cases changed
since the last sweep, both through indexes, raises what applies now and schedules the
next check.

Each alert is one unit of work: its row is inserted under the unique (appeal, key)
constraint, and only the sweep whose insert wins notifies anyone, so the alert goes out
once however often the sweep runs, retries, or runs in two beat processes at once. The
timeline row (and, at a breach, the BREACH event) is written in the same transaction as
the alert, so it is recorded exactly once too.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import (
    IntegrityError,
    InterfaceError,
    OperationalError,
    connection,
    transaction,
)
from django.utils import timezone

from appeals import clocks, services
from appeals.choices import Priority
from appeals.models import (
    Alert,
    Appeal,
    DeadlineCheck,
    Notification,
    SweepState,
    TimelineEvent,
)
from appeals.models.appeal import (
    AWAITING_DECISION,
    FAVOURABLE_OUTCOMES,
    FORWARD_WHEN_MISSED,
    OPEN_STATUSES,
)
from appeals.roles import SUPERVISOR

logger = logging.getLogger(__name__)

SWEEPER = "deadline-sweep"
SWEEP_NAME = "deadlines"

# Shares of the decision window (from receipt to the decision deadline).
THRESHOLDS = {
    Alert.Level.HALF: 0.5,
    Alert.Level.THREE_QUARTERS: 0.75,
    Alert.Level.NINETY: 0.9,
}
LEAD_TIME = {
    Priority.STANDARD: timedelta(hours=24),
    Priority.EXPEDITED: timedelta(hours=8),
}
# Changes made while no sweep ran (the broker was down) are still looked at when the
# sweep comes back, up to this far back; the overlap covers a sweep that overran. Due
# checks wait however long it takes.
CATCH_UP_LIMIT = timedelta(days=7)
FIRST_SWEEP_LOOKBACK = timedelta(days=1)
OVERLAP = timedelta(minutes=1)
RETRY_FORWARDING = timedelta(minutes=1)
RETRY_FAILED = timedelta(minutes=15)
BATCH_SIZE = 500


@dataclass(frozen=True)
class TrackedDeadline:
    field: str
    label: str
    pending: Callable[[Appeal], bool]
    shares: bool = False
    escalate: bool = False


def _open(appeal: Appeal) -> bool:
    return appeal.status in OPEN_STATUSES


def _overturn_outstanding(appeal: Appeal) -> bool:
    return (
        _open(appeal)
        and appeal.outcome in FAVOURABLE_OUTCOMES
        and appeal.effectuated_at is None
    )


# The deadlines the sweep watches, and what still keeps each one open.
TRACKED = {
    "decide_by": TrackedDeadline(
        "decide_by",
        "Decision",
        lambda appeal: appeal.status in AWAITING_DECISION,
        shares=True,
        escalate=True,
    ),
    "acknowledge_by": TrackedDeadline(
        "acknowledge_by",
        "Acknowledgement",
        lambda appeal: _open(appeal) and appeal.acknowledged_at is None,
    ),
    "forward_by": TrackedDeadline(
        "forward_by",
        "Forwarding to independent review",
        lambda appeal: _open(appeal) and appeal.forwarded_at is None,
    ),
    "effectuate_by": TrackedDeadline(
        "effectuate_by",
        "Effectuation of the overturn",
        lambda appeal: _overturn_outstanding(appeal),
    ),
    # A payment overturn is effectuated by paying: the same record, its own clock.
    "pay_by": TrackedDeadline(
        "pay_by",
        "Payment of the overturned claim",
        lambda appeal: _overturn_outstanding(appeal),
    ),
    # An oral notice meets an expedited clock only if the written one follows in time.
    "written_confirmation_by": TrackedDeadline(
        "written_confirmation_by",
        "Written confirmation of the oral notice",
        lambda appeal: appeal.oral_notice_at is not None and appeal.notified_at is None,
    ),
}


@dataclass
class SweepResult:
    checked: int = 0
    alerts: int = 0
    forwarded: int = 0
    failures: list[str] = field(default_factory=list)


def alert_key(deadline: str, level: str, due: datetime) -> str:
    # The due moment is part of the key: an extension gives the case a new window,
    # whose thresholds are new alerts.
    return f"{deadline}:{level}:{due.astimezone(UTC):%Y%m%dT%H%M%S}"


def _share_point(appeal: Appeal, due: datetime, share: float) -> datetime:
    return appeal.received_at + (due - appeal.received_at) * share


def _lead_time(appeal: Appeal) -> timedelta:
    return LEAD_TIME.get(appeal.priority, LEAD_TIME[Priority.STANDARD])


def _pending_deadlines(appeal: Appeal):
    for tracked in TRACKED.values():
        due = getattr(appeal, tracked.field)
        if due is not None and tracked.pending(appeal):
            yield tracked, due


def alerts_due(appeal: Appeal, now: datetime) -> list[tuple[str, str]]:
    """The (deadline, level) alerts that apply to the case at `now`. Of the shares of
    the window only the band the case is in counts: a case first looked at when 80%
    of its window is gone gets the 75% alert, not the 50% one as well."""
    due_now = []
    for tracked, due in _pending_deadlines(appeal):
        if due <= now:
            due_now.append((tracked.field, Alert.Level.BREACH))
            continue
        if due - _lead_time(appeal) <= now:
            due_now.append((tracked.field, Alert.Level.LEAD))
            if tracked.escalate and appeal.assignee_id is None:
                due_now.append((tracked.field, Alert.Level.ESCALATION))
        if tracked.shares and appeal.received_at < due:
            band = None
            for level, share in THRESHOLDS.items():
                if _share_point(appeal, due, share) <= now:
                    band = level
            if band is not None:
                due_now.append((tracked.field, band))
    return due_now


def next_check(appeal: Appeal, after: datetime) -> datetime | None:
    """The first alert moment after `after`, or None when nothing is left to watch."""
    moments = []
    for tracked, due in _pending_deadlines(appeal):
        moments += [due, due - _lead_time(appeal)]
        if tracked.shares and appeal.received_at < due:
            moments += [_share_point(appeal, due, s) for s in THRESHOLDS.values()]
    later = [moment for moment in moments if moment > after]
    return min(later) if later else None


def _message(tracked: TrackedDeadline, level: str, due: datetime) -> str:
    local = due.astimezone(clocks.plan_zone())
    when = f"{local:%Y-%m-%d %H:%M %Z}"
    if level == Alert.Level.BREACH:
        return f"{tracked.label} deadline missed ({when})."
    if level == Alert.Level.ESCALATION:
        return f"{tracked.label} due {when} and nobody is assigned."
    if level == Alert.Level.LEAD:
        return f"{tracked.label} due soon: {when}."
    return f"{tracked.label} due {when}: {level}% of the window used."


def _supervisors() -> list:
    return list(
        get_user_model().objects.filter(groups__name=SUPERVISOR, is_active=True)
    )


def _recipients(appeal: Appeal, level: str, supervisors: list | None = None) -> list:
    users = {}
    assignee = appeal.assignee
    if level != Alert.Level.ESCALATION and assignee is not None and assignee.is_active:
        users[assignee.pk] = assignee
    for user in _supervisors() if supervisors is None else supervisors:
        users.setdefault(user.pk, user)
    return list(users.values())


def _send_emails(alert_id: int, subject: str, message: str, addresses: list[str]):
    try:
        for address in addresses:
            send_mail(subject, message, None, [address])
    except Exception:
        logger.exception("Alert %s: email failed", alert_id)
        return
    Alert.objects.filter(pk=alert_id).update(emailed_at=timezone.now())


def _insert_once(alert: Alert) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING: the loser of a race learns that it lost
    without an error, so no savepoint is needed around the insert."""
    when = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {Alert._meta.db_table}
                (appeal_id, key, deadline, level, due, message, created_at)
            VALUES (%s, %s, %s, %s, %s, %s, %s)
            ON CONFLICT (appeal_id, key) DO NOTHING
            RETURNING id
            """,
            [
                alert.appeal_id,
                alert.key,
                alert.deadline,
                alert.level,
                when(alert.due),
                alert.message,
                when(alert.created_at),
            ],
        )
        row = cursor.fetchone()
    if row is None:
        return False
    alert.pk = row[0]
    alert._state.adding = False
    return True


@transaction.atomic
def alert_raise(
    *,
    appeal: Appeal,
    deadline: str,
    level: str,
    now: datetime,
    supervisors: list | None = None,
) -> Alert | None:
    """Raise one alert if nobody has; returns it only to the caller that raised it."""
    tracked = TRACKED[deadline]
    due = getattr(appeal, deadline)
    if due is None:
        return None

    alert = Alert(
        appeal=appeal,
        key=alert_key(deadline, level, due),
        deadline=deadline,
        level=level,
        due=due,
        message=_message(tracked, level, due),
        created_at=now,
    )
    if not _insert_once(alert):
        # Another sweep raised it first (the unique constraint waited for its commit).
        return None

    recipients = _recipients(appeal, level, supervisors)
    Notification.objects.bulk_create(
        [Notification(user=user, alert=alert, created_at=now) for user in recipients]
    )
    TimelineEvent.objects.create(
        appeal=appeal,
        kind=(
            TimelineEvent.Kind.BREACH
            if level == Alert.Level.BREACH
            else TimelineEvent.Kind.ALERT
        ),
        at=now,
        actor_label=SWEEPER,
        reason=alert.message,
        data={
            "deadline": deadline,
            "level": level,
            "due": due.isoformat(),
            "notified": [user.get_username() for user in recipients],
        },
    )

    subject = f"{appeal.case_number}: {alert.message}"
    addresses = [user.email for user in recipients if user.email]
    transaction.on_commit(
        lambda: _send_emails(alert.pk, subject, alert.message, addresses)
    )
    logger.info("Appeal %s: alert %s", appeal.case_number, alert.key)
    return alert


@transaction.atomic
def appeal_track_forwarding(*, appeal: Appeal, now: datetime) -> Appeal:
    """Store when a missed case must reach the independent review entity
    (REGULATORY.md section 4), with the timeline row that explains the date."""
    appeal = Appeal.objects.select_for_update().get(pk=appeal.pk)
    deadline = clocks.forwarding_deadline(
        line_of_business=appeal.line_of_business,
        priority=appeal.priority,
        decide_by=appeal.decide_by,
        decided_at=None,
        missed=True,
    )
    if deadline is None or appeal.forward_by == deadline.due:
        return appeal

    appeal.forward_by = deadline.due
    Appeal.objects.filter(pk=appeal.pk).update(forward_by=deadline.due, updated_at=now)
    TimelineEvent.objects.bulk_create(
        services.deadline_events(appeal, [deadline], at=now, by=SWEEPER)
    )
    return appeal


def _forward_missed(appeal: Appeal, now: datetime) -> bool:
    """A missed decision deadline counts as an upheld denial where the regulation says
    so (42 CFR 422.590(g); Part D by analogy): the case goes to independent review.
    Returns whether it was forwarded."""
    with transaction.atomic():
        # skip_locked: a second sweep, or a reviewer deciding right now, has the row;
        # the case is looked at again by the next sweep.
        locked = (
            Appeal.objects.select_for_update(skip_locked=True)
            .filter(pk=appeal.pk, status__in=AWAITING_DECISION)
            .first()
        )
        if locked is None:
            return False
        locked = appeal_track_forwarding(appeal=locked, now=now)
        services.appeal_forward(appeal=locked, by=SWEEPER, now=now)
    return True


def _must_forward(appeal: Appeal, now: datetime) -> bool:
    return (
        appeal.status in AWAITING_DECISION
        and appeal.line_of_business in FORWARD_WHEN_MISSED
        and appeal.decide_by is not None
        and appeal.decide_by <= now
    )


def _check(appeal: Appeal, now: datetime, supervisors, result) -> datetime | None:
    """Raise what is due for one case and return when to look at it next."""
    for deadline, level in alerts_due(appeal, now):
        alert = alert_raise(
            appeal=appeal,
            deadline=deadline,
            level=level,
            now=now,
            supervisors=supervisors,
        )
        result.alerts += alert is not None

    if _must_forward(appeal, now):
        try:
            forwarded = _forward_missed(appeal, now)
        except (services.TransitionRefused, services.AppealConflict) as refused:
            logger.warning(
                "Appeal %s: not forwarded by the sweep: %s", appeal.case_number, refused
            )
            forwarded = False
        if not forwarded:
            return now + RETRY_FORWARDING
        result.forwarded += 1
        appeal.refresh_from_db()

    return next_check(appeal, now)


def _store_checks(checks: dict[int, datetime | None]) -> None:
    DeadlineCheck.objects.bulk_create(
        [DeadlineCheck(appeal_id=pk, next_check_at=at) for pk, at in checks.items()],
        update_conflicts=True,
        unique_fields=["appeal"],
        update_fields=["next_check_at"],
    )


def _check_batch(ids: list[int], now: datetime, result: SweepResult) -> None:
    supervisors = _supervisors()
    appeals = Appeal.objects.select_related("assignee").in_bulk(ids)
    checks = {}
    for appeal_id in ids:
        appeal = appeals.get(appeal_id)
        if appeal is None:
            continue
        try:
            checks[appeal_id] = _check(appeal, now, supervisors, result)
        except (OperationalError, InterfaceError):
            # The database itself is gone: let the task retry the whole sweep.
            raise
        except Exception:
            logger.exception("Deadline sweep: %s failed", appeal.case_number)
            result.failures.append(appeal.case_number)
            checks[appeal_id] = now + RETRY_FAILED
        result.checked += 1
    _store_checks(checks)


def _open_batches():
    last_id = 0
    while True:
        batch = list(
            Appeal.objects.open().filter(pk__gt=last_id).order_by("pk")[:BATCH_SIZE]
        )
        if not batch:
            return
        yield batch
        last_id = batch[-1].pk


def deadline_checks_schedule(*, now: datetime, since: datetime) -> int:
    """Set every open case's next check, one batch of ids at a time: the first alert
    moment after `since`, or now if a deadline is already missed. Run by the first
    sweep, so that a desk going live is not flooded with every alert of the past."""
    total = 0
    for batch in _open_batches():
        checks = {}
        for appeal in batch:
            missed = any(due <= now for _, due in _pending_deadlines(appeal))
            checks[appeal.pk] = now if missed else next_check(appeal, since)
        _store_checks(checks)
        total += len(batch)
    return total


def deadline_checks_refresh(*, now: datetime | None = None) -> int:
    """The safety net run hourly: a case with an alert that applies now and was never
    raised (a deadline changed without touching updated_at) is checked by the next
    sweep; every other case is rescheduled. Returns how many cases were flagged."""
    now = now or timezone.now()
    flagged = 0
    for batch in _open_batches():
        raised = set(
            Alert.objects.filter(appeal__in=batch).values_list("appeal_id", "key")
        )
        checks = {}
        for appeal in batch:
            missing = [
                (deadline, level)
                for deadline, level in alerts_due(appeal, now)
                if (appeal.pk, alert_key(deadline, level, getattr(appeal, deadline)))
                not in raised
            ]
            if missing or _must_forward(appeal, now):
                checks[appeal.pk] = now
                flagged += 1
            else:
                checks[appeal.pk] = next_check(appeal, now)
        _store_checks(checks)
    return flagged


def _since(now: datetime) -> datetime | None:
    state = SweepState.objects.filter(name=SWEEP_NAME).first()
    if state is None:
        return None
    return max(min(state.swept_until, now) - OVERLAP, now - CATCH_UP_LIMIT)


def _record_sweep(now: datetime) -> None:
    try:
        with transaction.atomic():
            state, created = SweepState.objects.get_or_create(
                name=SWEEP_NAME, defaults={"swept_until": now}
            )
    except IntegrityError:
        state, created = SweepState.objects.get(name=SWEEP_NAME), False
    if not created:
        # Never move backwards: a slow sweep finishing after a newer one.
        SweepState.objects.filter(pk=state.pk, swept_until__lt=now).update(
            swept_until=now
        )


def deadlines_sweep(*, now: datetime | None = None) -> SweepResult:
    """Look at the cases whose check has come due and those changed since the last
    sweep (a new case, an extension, an assignment), both found through indexes."""
    now = now or timezone.now()
    since = _since(now)
    if since is None:
        since = now - FIRST_SWEEP_LOOKBACK
        deadline_checks_schedule(now=now, since=since)
    result = SweepResult()

    due = DeadlineCheck.objects.filter(next_check_at__lte=now).values_list(
        "appeal_id", flat=True
    )
    changed = (
        Appeal.objects.open().filter(updated_at__gt=since).values_list("pk", flat=True)
    )
    ids = sorted({*due, *changed})
    for start in range(0, len(ids), BATCH_SIZE):
        _check_batch(ids[start : start + BATCH_SIZE], now, result)

    _record_sweep(now)
    logger.info(
        "Deadline sweep: %s cases checked, %s alerts, %s forwarded, %s failures",
        result.checked,
        result.alerts,
        result.forwarded,
        len(result.failures),
    )
    return result


@transaction.atomic
def alert_acknowledge(*, alert: Alert, by, now: datetime | None = None) -> Alert:
    """Mark an alert as seen and handled; acknowledging twice keeps the first."""
    now = now or timezone.now()
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    if alert.acknowledged_at is not None:
        return alert

    alert.acknowledged_at = now
    alert.acknowledged_by = by
    alert.save(update_fields=["acknowledged_at", "acknowledged_by"])
    Notification.objects.filter(alert=alert, read_at__isnull=True).update(read_at=now)

    logger.info("Appeal %s: alert %s acknowledged", alert.appeal, alert.key)
    return alert
