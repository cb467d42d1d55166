"""The Django auth groups that carry people's rights. Names are what supervisors see in
the admin, so they are plain words."""

REVIEWER = "reviewer"
CLINICAL_REVIEWER = "clinical reviewer"
PHYSICIAN_REVIEWER = "physician reviewer"
SUPERVISOR = "supervisor"
INTEGRATION = "integration"

ALL_GROUPS = (REVIEWER, CLINICAL_REVIEWER, PHYSICIAN_REVIEWER, SUPERVISOR, INTEGRATION)


def is_physician(user) -> bool:
    return user.groups.filter(name=PHYSICIAN_REVIEWER).exists()


def is_supervisor(user) -> bool:
    return user.is_superuser or user.groups.filter(name=SUPERVISOR).exists()
