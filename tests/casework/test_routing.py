from datetime import UTC, datetime, timedelta

import pytest

from appeals import services
from appeals.choices import DenialCategory, LineOfBusiness
from appeals.models import Appeal
from casework import routing
from tests.casework.conftest import give_profile
from tests.factories import MemberFactory, ProviderFactory, make_appeal

pytestmark = pytest.mark.django_db

MEDICAL_NECESSITY = services.DenialFacts(reason_codes=["CO-50"])
CODING = services.DenialFacts(reason_codes=["CO-4"])


def _eligible(user):
    return set(routing.claimable(user, routing.profile_for(user)))


def test_an_administrative_case_goes_to_a_reviewer_who_works_its_line(reviewer):
    give_profile(reviewer, lines_of_business=[LineOfBusiness.MEDICAID])
    medicaid = make_appeal(line_of_business=LineOfBusiness.MEDICAID, denial=CODING)
    medicare = make_appeal(denial=CODING)

    assert _eligible(reviewer) == {medicaid}
    assert medicare not in _eligible(reviewer)


def test_a_clinical_denial_is_not_offered_to_an_administrative_reviewer(rita, nora):
    appeal = make_appeal(denial=MEDICAL_NECESSITY, member=MemberFactory(state="FL"))

    assert appeal.denial_category == DenialCategory.MEDICAL_NECESSITY
    assert appeal not in _eligible(rita)
    assert appeal in _eligible(nora)


def test_a_clinical_reviewer_gets_clinical_cases_only_where_licensed(nora):
    florida = make_appeal(denial=MEDICAL_NECESSITY, member=MemberFactory(state="FL"))
    texas = make_appeal(denial=MEDICAL_NECESSITY, member=MemberFactory(state="TX"))

    assert _eligible(nora) == {florida}
    assert texas.pk not in {appeal.pk for appeal in _eligible(nora)}


def _referred(specialty, nurse):
    appeal = make_appeal(
        denial=MEDICAL_NECESSITY,
        member=MemberFactory(state="FL"),
        provider=ProviderFactory(specialty=specialty),
    )
    services.appeal_accept(appeal=appeal, by=nurse)
    return services.appeal_refer_to_physician(
        appeal=appeal, by=nurse, reason="Looks not medically necessary"
    )


def test_a_referred_case_goes_to_a_physician_of_a_similar_specialty(dr_patel, nora):
    sports = _referred("Sports Medicine", nora)
    oncology = _referred("oncology", nora)

    eligible = _eligible(dr_patel)

    assert sports in eligible
    assert oncology not in eligible
    assert sports not in _eligible(nora)


def test_nobody_is_offered_a_case_whose_denial_they_made(dr_patel, nora):
    by_name = make_appeal(
        denial=services.DenialFacts(reason_codes=["CO-50"], decided_by="DR.PATEL"),
        member=MemberFactory(state="FL"),
    )
    by_npi = make_appeal(
        denial=services.DenialFacts(reason_codes=["CO-50"], decided_by="1730111111"),
        member=MemberFactory(state="FL"),
    )

    assert by_name not in _eligible(dr_patel)
    assert by_npi not in _eligible(dr_patel)
    assert {by_name, by_npi} <= _eligible(nora)


def test_a_reviewer_is_not_offered_a_denial_made_by_their_manager(reviewer, supervisor):
    give_profile(reviewer, reports_to=supervisor)
    give_profile(supervisor)
    appeal = make_appeal(
        denial=services.DenialFacts(reason_codes=["CO-4"], decided_by="sam.supervisor")
    )

    assert appeal not in _eligible(reviewer)


def test_someone_without_a_profile_is_offered_nothing_and_told_why(reviewer):
    make_appeal(denial=CODING)

    assert _eligible(reviewer) == set()
    assert "no reviewer profile" in routing.claim_refusals(reviewer, None)[0]


def test_the_queue_orders_by_score_then_by_deadline(rita):
    received = datetime(2026, 4, 6, 12, tzinfo=UTC)
    unscored_early = make_appeal(denial=CODING, received_at=received)
    unscored_late = make_appeal(denial=CODING, received_at=received + timedelta(1))
    low = make_appeal(denial=CODING, received_at=received + timedelta(2))
    high = make_appeal(denial=CODING, received_at=received + timedelta(3))
    Appeal.objects.filter(pk__in=[unscored_early.pk, unscored_late.pk]).update(
        score=None
    )
    Appeal.objects.filter(pk=low.pk).update(score=10)
    Appeal.objects.filter(pk=high.pk).update(score=90)

    ordered = list(
        routing.queue(rita, routing.profile_for(rita)).order_by(*routing.QUEUE_ORDER)
    )

    assert ordered == [high, low, unscored_early, unscored_late]


def test_similar_specialties_include_the_related_group():
    assert "sports medicine" in routing.similar_specialties(["Orthopedics"])
    assert routing.similar_specialties(["dermatology"]) == {"dermatology"}
