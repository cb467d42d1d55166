from appeals.models.appeal import Appeal, Member, Provider, Status
from appeals.models.document import AppealDocument
from appeals.models.timeline import TimelineEvent

__all__ = [
    "Appeal",
    "AppealDocument",
    "Member",
    "Provider",
    "Status",
    "TimelineEvent",
]
