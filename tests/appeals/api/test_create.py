import pytest

from appeals import scoring
from appeals.choices import Flag
from appeals.models import Appeal, Member, Provider, TimelineEvent
from tests.factories import make_appeal

pytestmark = pytest.mark.django_db


def test_a_valid_appeal_is_created_and_answered_with_its_contract_fields(
    post_appeal, integration
):
    response = post_appeal()

    assert response.status_code == 201, response.json()
    body = response.json()
    appeal = Appeal.objects.get()
    assert body["id"] == str(appeal.public_id)
    assert body["case_number"] == appeal.case_number
    assert body["status"] == "received"
    assert body["priority"] == "standard"
    assert set(body["deadlines"]) == {
        "acknowledge_by",
        "decide_by",
        "extended_decide_by",
        "effectuate_by",
        "forward_by",
    }
    assert body["flags"] == []
    assert body["score"] == appeal.score is not None
    assert body["score_components"] == appeal.score_components
    assert body["score_components"]["due"] == appeal.decide_by.isoformat()
    assert response["Location"] == f"/api/v1/appeals/{appeal.public_id}/"
    assert appeal.integration == integration


def test_the_answer_carries_the_score_a_rescoring_would_give(post_appeal):
    Member.objects.create(
        member_id="M-FLAGGED",
        first_name="Old",
        last_name="Name",
        birth_date="1950-01-01",
        state="FL",
        vulnerability_flags=["dual_eligible", "ltss"],
    )

    answer = post_appeal(
        priority="expedited",
        expedite_requested_by="physician",
        member__id="M-FLAGGED",
    ).json()
    appeal = Appeal.objects.get()
    scored_at_intake = (appeal.score, appeal.score_components)
    scoring.appeal_rescore(appeal_id=appeal.pk, now=appeal.scored_at)
    appeal.refresh_from_db()

    # The flags come from the stored member: the request cannot carry them.
    components = answer["score_components"]
    assert components["vulnerability_flags"] == ["dual_eligible", "ltss"]
    assert components["expedited"] is True
    assert (answer["score"], answer["score_components"]) == scored_at_intake
    assert (appeal.score, appeal.score_components) == scored_at_intake


def test_deadlines_are_given_in_the_plans_time_zone_with_offset(post_appeal):
    body = post_appeal().json()

    # MA standard pre-service: 30 calendar days, end of the plan's day (EDT, -04:00).
    assert body["deadlines"]["decide_by"] == "2026-05-06T23:59:59-04:00"
    assert body["deadlines"]["extended_decide_by"] == "2026-05-20T23:59:59-04:00"
    assert body["deadlines"]["effectuate_by"] is None
    assert body["deadlines"]["forward_by"] is None


def test_a_case_type_without_extension_has_a_null_extended_deadline(post_appeal):
    body = post_appeal(kind="post_service").json()

    assert body["deadlines"]["extended_decide_by"] is None


def test_the_appeal_goes_through_the_service_and_writes_its_timeline(post_appeal):
    post_appeal()

    appeal = Appeal.objects.get()
    created = appeal.timeline.get(kind=TimelineEvent.Kind.CREATED)
    assert created.actor_label == "integration:claims-system"
    assert appeal.timeline.filter(kind=TimelineEvent.Kind.DEADLINE).exists()
    assert appeal.clock_rule_id == "MA-PRE-STD"


def test_member_name_last_comma_first_is_split(post_appeal):
    post_appeal()

    member = Member.objects.get()
    assert (member.first_name, member.last_name) == ("Maria", "Rivera")


def test_member_name_first_middle_last_is_split_at_the_last_word(post_appeal):
    post_appeal(member__name="Maria Luisa  Rivera")

    member = Member.objects.get()
    assert (member.first_name, member.last_name) == ("Maria Luisa", "Rivera")


def test_a_known_member_and_provider_are_reused_and_updated(post_appeal):
    post_appeal()
    post_appeal(
        external_id="CLM-1002",
        member__state="GA",
        denial__claim_number="C-1",
        provider__name="Lima Heart",
    )

    assert Member.objects.get().state == "GA"
    assert Provider.objects.get().name == "Lima Heart"
    assert Appeal.objects.count() == 2


def test_a_late_appeal_is_flagged_untimely(post_appeal):
    body = post_appeal(denial__notice_date="2025-11-01").json()

    assert Flag.UNTIMELY_FILING in body["flags"]


def test_an_expedited_payment_appeal_is_taken_standard_and_flagged(post_appeal):
    body = post_appeal(
        kind="post_service", priority="expedited", expedite_requested_by="physician"
    ).json()

    assert body["priority"] == "standard"
    assert Flag.EXPEDITE_NOT_APPLICABLE in body["flags"]


def test_a_physicians_expedite_request_is_in_force_at_once(post_appeal):
    body = post_appeal(priority="expedited", expedite_requested_by="physician").json()

    assert body["priority"] == "expedited"
    assert body["deadlines"]["decide_by"] == "2026-04-09T10:05:00-04:00"


def test_a_second_appeal_on_the_same_claim_is_flagged_possible_duplicate(
    post_appeal,
):
    first = post_appeal().json()
    second = post_appeal(external_id="FAX-77", channel="fax").json()

    assert Flag.POSSIBLE_DUPLICATE not in first["flags"]
    assert Flag.POSSIBLE_DUPLICATE in second["flags"]


def test_an_appeal_on_another_claim_is_not_a_possible_duplicate(post_appeal):
    post_appeal()
    second = post_appeal(external_id="CLM-2", denial__claim_number="C-9").json()

    assert Flag.POSSIBLE_DUPLICATE not in second["flags"]


def test_an_appeal_without_denial_details_is_accepted(post_appeal):
    response = post_appeal(denial=..., provider=..., external_id=...)

    assert response.status_code == 201, response.json()
    assert Appeal.objects.get().external_id == ""


def test_an_appeal_made_outside_the_api_belongs_to_no_integration(post_appeal):
    post_appeal()
    post_appeal()  # a duplicate: the integration must not stay attached to the call

    appeal = make_appeal()

    assert appeal.integration is None
    assert Appeal.objects.filter(integration__isnull=False).count() == 1


def test_a_representatives_authorization_date_is_kept_for_the_audit_universe(
    post_appeal,
):
    response = post_appeal(
        requester={
            "type": "representative",
            "name": "Luis Rivera",
            "authorized_at": "2026-04-03T11:45:30-04:00",
        }
    )

    assert response.status_code == 201, response.json()
    appeal = Appeal.objects.get()
    assert appeal.requester_type == "representative"
    assert (
        appeal.representative_authorized_at.isoformat() == "2026-04-03T15:45:30+00:00"
    )
