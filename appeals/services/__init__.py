"""Every change to an appeal goes through these functions.

Each one is a single transaction that changes the appeal, writes its timeline rows and,
after commit, announces the change (`appeal_changed`) so that scoring and alerts follow.
Transitions are optimistic: a second person acting on a stale copy gets AppealConflict.
Other changes lock the row first.
"""

from appeals.services.base import (
    Actor,
    AppealConflict,
    DecisionGuard,
    DenialFacts,
    TransitionRefused,
    announce_change,
    appeal_changed,
    deadline_events,
    register_decision_guard,
)
from appeals.services.clock_changes import (
    appeal_grant_expedite,
    appeal_refuse_expedite,
    appeal_take_extension,
)
from appeals.services.intake import NewAppeal, appeal_create, appeals_create
from appeals.services.records import (
    appeal_acknowledge,
    appeal_add_note,
    appeal_assign,
    appeal_record_effectuation,
    appeal_record_forward_notice,
    appeal_record_oral_notice,
)
from appeals.services.transitions import (
    appeal_accept,
    appeal_close,
    appeal_decide,
    appeal_dismiss,
    appeal_forward,
    appeal_info_received,
    appeal_refer_to_physician,
    appeal_request_info,
    appeal_return_to_review,
    appeal_send_notice,
    appeal_withdraw,
    decision_refusals,
    transition_refusals,
)

__all__ = [
    "Actor",
    "AppealConflict",
    "DecisionGuard",
    "DenialFacts",
    "NewAppeal",
    "TransitionRefused",
    "announce_change",
    "appeal_accept",
    "appeal_acknowledge",
    "appeal_add_note",
    "appeal_assign",
    "appeal_changed",
    "appeal_close",
    "appeal_create",
    "appeal_decide",
    "appeal_dismiss",
    "appeal_forward",
    "appeal_grant_expedite",
    "appeal_info_received",
    "appeal_record_effectuation",
    "appeal_record_forward_notice",
    "appeal_record_oral_notice",
    "appeal_refer_to_physician",
    "appeal_refuse_expedite",
    "appeal_request_info",
    "appeal_return_to_review",
    "appeal_send_notice",
    "appeal_take_extension",
    "appeal_withdraw",
    "appeals_create",
    "deadline_events",
    "decision_refusals",
    "register_decision_guard",
    "transition_refusals",
]
