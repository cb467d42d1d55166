from datetime import UTC, datetime

from appeals import services
from appeals.choices import Outcome


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def decide(appeal, *, by, outcome=Outcome.OVERTURNED, at, notify_at=None):
    """Accept and decide a case at `at`, then send the notice (or forward an adverse
    Medicare Advantage decision) at `notify_at` when given."""
    services.appeal_accept(appeal=appeal, by=by, now=at)
    services.appeal_decide(
        appeal=appeal, by=by, outcome=outcome, rationale="Reviewed the file.", now=at
    )
    if notify_at is not None:
        if appeal.requires_forwarding:
            services.appeal_forward(appeal=appeal, by=by, now=notify_at)
        else:
            services.appeal_send_notice(appeal=appeal, by=by, now=notify_at)
    appeal.refresh_from_db()
    return appeal
