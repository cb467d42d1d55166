"""Who may work which case: the eligibility rules behind the queue and Get next case.

- Administrative denials go to any reviewer working the line of business.
- Clinical denials (medical necessity, experimental) go to clinical reviewers and
  physicians licensed in the member's state.
- A case referred to a physician goes to physicians of the same or a similar specialty
  as the requesting provider, since an adverse medical-necessity decision needs one
  (42 CFR 422.590(h)(2); NCQA UM 9).
- Nobody gets a case whose denial they made, or one made by someone above them in the
  reporting line (422.590(h)(1), 438.406(b)(2)(i), 2560.503-1(h)(3)(ii)).
"""

from django.contrib.auth import get_user_model
from django.db.models import F, Q, QuerySet

from appeals import roles
from appeals.choices import DenialCategory
from appeals.models import Appeal, Status
from appeals.models.appeal import WORKING_STATUSES
from casework.models import Discipline, ReviewerProfile

CLINICAL_CATEGORIES = (DenialCategory.MEDICAL_NECESSITY, DenialCategory.EXPERIMENTAL)

# Cases a reviewer can pick up; a case pending information waits on the provider and
# stays with whoever asked.
CLAIMABLE_STATUSES = (Status.RECEIVED, Status.IN_REVIEW, Status.CLINICAL_REVIEW)

# Urgency order: the stored score first, then the decision deadline; the id makes the
# order total so that keyset paging never skips or repeats a case.
QUEUE_ORDER = (
    F("score").desc(nulls_last=True),
    F("decide_by").asc(nulls_last=True),
    F("id").asc(),
)

# Specialties that count as "same or similar" for physician review. A specialty not
# listed is similar only to itself.
SIMILAR_SPECIALTIES = (
    {"orthopedics", "orthopedic surgery", "sports medicine", "physical medicine"},
    {"cardiology", "cardiovascular disease", "interventional cardiology"},
    {"oncology", "hematology/oncology", "medical oncology", "radiation oncology"},
    {"sleep medicine", "pulmonology", "pulmonary disease"},
    {"neurology", "neurosurgery", "pain medicine"},
    {"internal medicine", "family medicine", "general practice"},
)


def similar_specialties(specialties) -> set[str]:
    mine = {specialty.strip().lower() for specialty in specialties if specialty}
    similar = set(mine)
    for group in SIMILAR_SPECIALTIES:
        if mine & group:
            similar |= group
    return similar


def profile_for(user) -> ReviewerProfile | None:
    try:
        return user.reviewer_profile
    except ReviewerProfile.DoesNotExist:
        return None


def is_case_worker(user) -> bool:
    return user.groups.filter(
        name__in=(
            roles.REVIEWER,
            roles.CLINICAL_REVIEWER,
            roles.PHYSICIAN_REVIEWER,
            roles.SUPERVISOR,
        )
    ).exists()


def superiors(profile: ReviewerProfile) -> list[str]:
    """User names and NPIs of everyone above this reviewer in the reporting line."""
    names = []
    seen = {profile.user_id}
    manager_id = profile.reports_to_id
    # The seen set stops a reporting loop that a mistaken edit in the admin could make.
    while manager_id is not None and manager_id not in seen:
        seen.add(manager_id)
        manager = get_user_model().objects.filter(pk=manager_id).first()
        if manager is None:
            break
        names.append(manager.get_username())
        manager_profile = profile_for(manager)
        if manager_profile is None:
            break
        if manager_profile.npi:
            names.append(manager_profile.npi)
        manager_id = manager_profile.reports_to_id
    return [name.lower() for name in names if name]


def conflicted_deciders(user, profile: ReviewerProfile | None) -> list[str]:
    """The original deciders whose denials this user must not review."""
    names = [user.get_username().lower()]
    if profile is not None:
        if profile.npi:
            names.append(profile.npi)
        names += superiors(profile)
    return names


def eligibility(user, profile: ReviewerProfile | None) -> Q:
    """A filter on Appeal for the unassigned cases this user may take."""
    if profile is None or not profile.lines_of_business:
        return Q(pk__in=[])

    physician = roles.is_physician(user)
    clinical = physician or profile.discipline == Discipline.CLINICAL
    licensed = Q(member__state__in=profile.licensed_states)
    is_clinical = Q(denial_category__in=CLINICAL_CATEGORIES)

    before_physician = Q(status__in=(Status.RECEIVED, Status.IN_REVIEW))
    allowed = before_physician & ~is_clinical
    if clinical:
        allowed |= before_physician & is_clinical & licensed
    if physician:
        specialty = Q(provider__isnull=True) | Q(provider__specialty="")
        similar = similar_specialties(profile.specialties)
        if similar:
            specialty |= Q(provider__specialty__iregex=_any_of(similar))
        allowed |= Q(status=Status.CLINICAL_REVIEW) & licensed & specialty

    conflicted = Q()
    for name in conflicted_deciders(user, profile):
        conflicted |= Q(denial_decided_by__iexact=name)

    return (
        Q(assignee__isnull=True)
        & Q(line_of_business__in=profile.lines_of_business)
        & allowed
        & ~conflicted
    )


def _any_of(values) -> str:
    # A case-insensitive exact match on any of a few names, portable to SQLite.
    escaped = (value.replace("\\", "\\\\").replace(".", r"\.") for value in values)
    return "^(" + "|".join(sorted(escaped)) + ")$"


def open_case_count(user) -> int:
    return Appeal.objects.filter(assignee=user, status__in=WORKING_STATUSES).count()


def claim_refusals(user, profile: ReviewerProfile | None) -> list[str]:
    """Why this user cannot take another case now, in plain words."""
    if profile is None:
        return [
            "You have no reviewer profile yet; a supervisor sets your lines of "
            "business and skills in the admin."
        ]
    if not profile.lines_of_business:
        return ["Your reviewer profile lists no line of business."]
    if open_case_count(user) >= profile.max_open_cases:
        return [
            f"You already have {profile.max_open_cases} open cases, your cap; "
            "finish one before taking another."
        ]
    return []


def claimable(user, profile: ReviewerProfile | None) -> QuerySet:
    return Appeal.objects.filter(status__in=CLAIMABLE_STATUSES).filter(
        eligibility(user, profile)
    )


def queue(user, profile: ReviewerProfile | None) -> QuerySet:
    """My cases (assigned to me and still to work) and the cases I may take."""
    return Appeal.objects.filter(status__in=WORKING_STATUSES).filter(
        Q(assignee=user) | eligibility(user, profile)
    )
