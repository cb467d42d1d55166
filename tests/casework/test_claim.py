import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from appeals import services
from appeals.models import Appeal, TimelineEvent
from casework.models import CaseProtocol
from casework.services import CaseworkRefused, case_claim_next, case_take
from tests.casework.conftest import give_profile
from tests.factories import make_appeal

CODING = services.DenialFacts(reason_codes=["CO-4"])
RECEIVED = datetime(2026, 4, 6, 12, tzinfo=UTC)


@pytest.mark.django_db
def test_get_next_case_assigns_the_most_urgent_eligible_case(rita):
    later = make_appeal(denial=CODING, received_at=RECEIVED + timedelta(days=2))
    sooner = make_appeal(denial=CODING, received_at=RECEIVED)

    claimed = case_claim_next(user=rita)

    assert claimed == sooner
    sooner.refresh_from_db()
    later.refresh_from_db()
    assert sooner.assignee == rita
    assert later.assignee is None
    assignment = sooner.timeline.get(kind=TimelineEvent.Kind.ASSIGNMENT)
    assert assignment.data["to"] == rita.username
    assert CaseProtocol.objects.filter(appeal=sooner).exists()


@pytest.mark.django_db
def test_get_next_case_skips_cases_someone_else_holds(rita, nurse):
    held = make_appeal(denial=CODING, received_at=RECEIVED)
    services.appeal_assign(appeal=held, assignee=nurse, by="test")
    free = make_appeal(denial=CODING, received_at=RECEIVED + timedelta(days=1))

    assert case_claim_next(user=rita) == free


@pytest.mark.django_db
def test_get_next_case_gives_nothing_when_no_case_is_eligible(rita):
    assert case_claim_next(user=rita) is None


@pytest.mark.django_db
def test_get_next_case_is_refused_at_the_reviewers_cap(reviewer):
    give_profile(reviewer, max_open_cases=1)
    make_appeal(denial=CODING)
    make_appeal(denial=CODING)
    case_claim_next(user=reviewer)

    with pytest.raises(CaseworkRefused) as refused:
        case_claim_next(user=reviewer)

    assert "1 open cases, your cap" in refused.value.reasons[0]
    assert Appeal.objects.filter(assignee=reviewer).count() == 1


@pytest.mark.django_db
def test_taking_a_case_someone_else_holds_is_refused_in_plain_words(rita, nurse):
    appeal = make_appeal(denial=CODING)
    services.appeal_assign(appeal=appeal, assignee=nurse, by="test")

    with pytest.raises(CaseworkRefused) as refused:
        case_take(appeal=appeal, user=rita)

    assert "taken, or is not one you may work" in refused.value.reasons[0]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_reviewers_claiming_at_the_same_moment_get_different_cases(
    django_user_model, default_protocols
):
    reviewers = [
        django_user_model.objects.create_user(username=f"reviewer{n}") for n in range(6)
    ]
    for user in reviewers:
        give_profile(user)
    cases = [
        make_appeal(denial=CODING, received_at=RECEIVED + timedelta(hours=n))
        for n in range(8)
    ]
    start = threading.Barrier(len(reviewers))
    claimed, errors = {}, []

    def claim(user):
        try:
            start.wait()
            claimed[user.username] = case_claim_next(user=user)
        except Exception as error:  # the assertion below reports it
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(user,)) for user in reviewers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    ids = [appeal.pk for appeal in claimed.values()]
    assert len(ids) == len(reviewers)
    assert len(set(ids)) == len(reviewers)
    # The most urgent cases went first: nobody skipped past an unclaimed earlier one.
    assert set(ids) == {appeal.pk for appeal in cases[: len(reviewers)]}
    holders = Appeal.objects.filter(assignee__isnull=False).values_list(
        "assignee__username", flat=True
    )
    assert sorted(holders) == sorted(user.username for user in reviewers)
