from appeals.models.alerts import (  # noqa: F401
    Alert,
    DeadlineCheck,
    Notification,
    SweepState,
)
from appeals.models.appeal import Appeal, Member, Provider, Status
from appeals.models.document import AppealDocument
from appeals.models.integration import IdempotencyRecord, Integration  # noqa: F401
from appeals.models.scoring import (  # noqa: F401
    ClinicalUrgency,
    ExpectedWork,
    OverturnModel,
    ScoringWeights,
)
from appeals.models.timeline import TimelineEvent

__all__ = [
    "Appeal",
    "AppealDocument",
    "Member",
    "Provider",
    "Status",
    "TimelineEvent",
]
