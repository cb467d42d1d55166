"""Reads shared by the casework views: the queue page and the case page."""

import base64
import binascii
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import F, Q
from django.http import Http404
from django.utils import timezone

from appeals import scoring
from appeals.models import Appeal, TimelineEvent
from appeals.models.appeal import AWAITING_DECISION
from casework import routing
from casework.models import CaseProtocol

logger = logging.getLogger(__name__)

PAGE_SIZE = 50
# A clock is "at risk" when less than this share of its window is left, or less than
# a day for a window of days.
AT_RISK_SHARE = 0.25
AT_RISK_FLOOR = timedelta(hours=24)


class BadCursor(ValueError):
    pass


@dataclass
class QueuePage:
    rows: list
    next_cursor: str | None
    total_mine: int


def encode_cursor(appeal: Appeal) -> str:
    raw = json.dumps(
        [
            appeal.score,
            appeal.decide_by.isoformat() if appeal.decide_by else None,
            appeal.pk,
        ]
    )
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[float | None, datetime | None, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        score, decide_by, pk = json.loads(base64.urlsafe_b64decode(padded))
        return (
            float(score) if score is not None else None,
            datetime.fromisoformat(decide_by) if decide_by else None,
            int(pk),
        )
    except (ValueError, TypeError, binascii.Error) as error:
        raise BadCursor("That page link is damaged; start from the first page.") from (
            error
        )


def _after(score, decide_by, pk) -> Q:
    """Rows after the cursor in QUEUE_ORDER (score desc nulls last, decide_by asc
    nulls last, id asc): keyset paging stays fast on page 500 as on page 1."""
    if decide_by is None:
        same_score_later = Q(decide_by__isnull=True, pk__gt=pk)
    else:
        same_score_later = (
            Q(decide_by__gt=decide_by)
            | Q(decide_by=decide_by, pk__gt=pk)
            | Q(decide_by__isnull=True)
        )
    if score is None:
        return Q(score__isnull=True) & same_score_later
    return (
        Q(score__lt=score) | Q(score__isnull=True) | (Q(score=score) & same_score_later)
    )


QUEUE_FILTERS = ("line_of_business", "kind", "priority", "denial_category", "status")


def queue_page(user, *, filters: dict, cursor: str = "", mine_only=False) -> QueuePage:
    profile = routing.profile_for(user)
    cases = routing.queue(user, profile)
    if mine_only:
        cases = cases.filter(assignee=user)
    cases = cases.filter(
        **{name: value for name, value in filters.items() if name in QUEUE_FILTERS}
    )
    if cursor:
        cases = cases.filter(_after(*decode_cursor(cursor)))

    rows = list(
        cases.select_related("member", "assignee")
        .only(
            "id",
            "line_of_business",
            "kind",
            "priority",
            "status",
            "denial_category",
            "received_at",
            "decide_by",
            "score",
            "score_components",
            "assignee__username",
            "member__state",
            "flags",
            *RACING_FIELDS,
        )
        .order_by(*routing.QUEUE_ORDER)[: PAGE_SIZE + 1]
    )
    next_cursor = encode_cursor(rows[PAGE_SIZE - 1]) if len(rows) > PAGE_SIZE else None
    return QueuePage(
        rows=[queue_row(appeal) for appeal in rows[:PAGE_SIZE]],
        next_cursor=next_cursor,
        total_mine=routing.open_case_count(user),
    )


@dataclass
class Clock:
    name: str
    due: datetime | None
    start: datetime | None
    met_at: datetime | None = None

    @property
    def left(self) -> timedelta | None:
        if self.due is None:
            return None
        return self.due - timezone.now()

    @property
    def overdue(self) -> bool:
        return self.met_at is None and self.due is not None and self.left < timedelta(0)

    # The scorer's own verdict for the decision clock, where the case is scored, so
    # that the colour and the "why first" line never disagree.
    flagged: bool | None = None

    @property
    def late(self) -> bool:
        return (
            self.met_at is not None
            and self.due is not None
            and (self.met_at > self.due)
        )

    @property
    def at_risk(self) -> bool:
        if self.met_at is not None or self.due is None:
            return False
        if self.flagged is not None:
            return self.flagged
        window = self.due - self.start if self.start else AT_RISK_FLOOR
        return self.left < max(window * AT_RISK_SHARE, min(AT_RISK_FLOOR, window / 2))


def why_first(appeal: Appeal) -> str:
    try:
        return scoring.summarize(appeal.score_components or {})
    except (KeyError, TypeError, ValueError):
        # One malformed row must not take the reviewer's whole queue down.
        logger.exception("Appeal %s: unreadable score components", appeal.case_number)
        return "Score details unavailable"


def decision_clock(appeal: Appeal, name="Decision", met_at=None) -> Clock:
    flagged = (appeal.score_components or {}).get("at_risk")
    return Clock(
        name,
        appeal.decide_by,
        appeal.received_at,
        met_at,
        flagged=bool(flagged) if flagged is not None else None,
    )


RACING_FIELDS = (
    "status",
    "decide_by",
    "outcome",
    "decided_at",
    "effectuated_at",
    "effectuate_by",
    "pay_by",
    "forwarded_at",
    "forward_by",
)
OBLIGATION_NAMES = (
    ("effectuate_by", "Effectuation"),
    ("pay_by", "Payment"),
    ("forward_by", "Forwarding"),
)


def racing_clock(appeal: Appeal) -> Clock:
    """The clock the case is racing now: the scorer's choice (appeals.scoring.due_for),
    so that the queue's clock and its order agree; after a decision with nothing else
    pending, the written notice, which is due with the decision."""
    if appeal.status in AWAITING_DECISION:
        return decision_clock(appeal)

    due = scoring.due_for({field: getattr(appeal, field) for field in RACING_FIELDS})
    if due is None:
        return decision_clock(appeal, "Notice")
    name = next(
        (label for field, label in OBLIGATION_NAMES if getattr(appeal, field) == due),
        "Obligation",
    )
    flagged = (appeal.score_components or {}).get("at_risk")
    return Clock(
        name,
        due,
        appeal.decided_at,
        flagged=bool(flagged) if flagged is not None else None,
    )


def queue_row(appeal: Appeal) -> dict:
    return {
        "appeal": appeal,
        "clock": racing_clock(appeal),
        "why_first": why_first(appeal),
    }


def case_for(user, case_number: str) -> Appeal:
    """The case, if this user may see it: anyone on the appeals desk may."""
    if not routing.is_case_worker(user):
        raise Http404("No such case.")
    appeal = (
        Appeal.objects.by_case_number(case_number)
        .select_related("member", "provider", "assignee", "decided_by")
        .first()
    )
    if appeal is None:
        raise Http404("No such case.")
    return appeal


def case_clocks(appeal: Appeal) -> list[Clock]:
    clocks = [
        Clock(
            "Acknowledgement",
            appeal.acknowledge_by,
            appeal.received_at,
            appeal.acknowledged_at,
        ),
        decision_clock(
            appeal,
            "Decision and notice",
            appeal.notified_at or appeal.oral_notice_at or appeal.forwarded_at,
        ),
        Clock("Extension notice", appeal.extension_notice_by, appeal.extended_at),
        Clock(
            "Expedite refusal notice",
            appeal.expedite_refusal_notice_by,
            appeal.received_at,
        ),
        Clock(
            "Written confirmation",
            appeal.written_confirmation_by,
            appeal.oral_notice_at,
            appeal.notified_at,
        ),
        Clock(
            "Effectuation",
            appeal.effectuate_by,
            appeal.decided_at,
            appeal.effectuated_at,
        ),
        Clock("Payment", appeal.pay_by, appeal.decided_at, appeal.effectuated_at),
        Clock("Forwarding", appeal.forward_by, appeal.decided_at, appeal.forwarded_at),
    ]
    return [clock for clock in clocks if clock.due is not None]


def case_protocol_rows(protocol: CaseProtocol | None) -> list[dict]:
    if protocol is None:
        return []
    done = {
        completion.step_key: completion
        for completion in protocol.completions.select_related("completed_by")
    }
    return [{**step, "completion": done.get(step["key"])} for step in protocol.steps]


def case_timeline(appeal: Appeal):
    return (
        appeal.timeline.exclude(kind=TimelineEvent.Kind.DEADLINE)
        .select_related("actor")
        .order_by("-at", "-id")
    )


def desk_due_soonest(limit: int = 5) -> list[dict]:
    """The undecided cases due soonest across the whole desk, whoever holds them, so
    that a case stuck with an absent colleague is seen."""
    cases = (
        Appeal.objects.awaiting_decision()
        .select_related("assignee")
        .only(
            "id",
            "status",
            "priority",
            "line_of_business",
            "received_at",
            "decide_by",
            "assignee__username",
            "score_components",
        )
        .order_by(F("decide_by").asc(nulls_last=True), "id")[:limit]
    )
    return [{"appeal": appeal, "clock": decision_clock(appeal)} for appeal in cases]
