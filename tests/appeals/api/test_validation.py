import pytest

from appeals.api.views import AppealListCreateView
from appeals.models import Appeal

pytestmark = pytest.mark.django_db


def _fields(response):
    return {error["field"] for error in response.json()["errors"]}


def _assert_problem(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert body["type"].startswith("urn:appeals-desk:problem:")
    assert body["title"]
    return body


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"line_of_business": "medicare_part_z"}, "line_of_business"),
        ({"kind": "dental"}, "kind"),
        ({"priority": "urgent"}, "priority"),
        ({"channel": "pigeon"}, "channel"),
        ({"expedite_requested_by": "nurse"}, "expedite_requested_by"),
        ({"requester__type": "lawyer"}, "requester.type"),
        ({"denial__category": "vibes"}, "denial.category"),
    ],
)
def test_an_unknown_enumeration_value_is_named(post_appeal, changes, field):
    response = post_appeal(**changes)

    _assert_problem(response, 400)
    assert _fields(response) == {field}
    assert Appeal.objects.count() == 0


def test_a_part_b_drug_appeal_outside_medicare_advantage_names_kind(post_appeal):
    response = post_appeal(line_of_business="medicaid", kind="part_b_drug")

    _assert_problem(response, 400)
    assert _fields(response) == {"kind"}
    assert "medicare_advantage" in response.json()["errors"][0]["detail"]


def test_a_timestamp_without_offset_is_refused(post_appeal):
    response = post_appeal(received_at="2026-04-06T10:05:00")

    _assert_problem(response, 400)
    assert _fields(response) == {"received_at"}
    assert response.json()["errors"][0]["code"] == "no_offset"


def test_a_timestamp_in_the_future_is_refused(post_appeal):
    response = post_appeal(received_at="2026-04-07T10:05:00-04:00")

    _assert_problem(response, 400)
    assert response.json()["errors"][0]["code"] == "future"


def test_a_timestamp_that_is_not_iso_8601_is_refused(post_appeal):
    response = post_appeal(received_at="last Tuesday")

    _assert_problem(response, 400)
    assert _fields(response) == {"received_at"}


def test_a_denial_dated_after_receipt_is_refused(post_appeal):
    response = post_appeal(denial__notice_date="2026-04-07")

    _assert_problem(response, 400)
    assert _fields(response) == {"denial.notice_date"}


def test_a_denial_dated_on_the_day_of_receipt_is_accepted(post_appeal):
    assert post_appeal(denial__notice_date="2026-04-06").status_code == 201


@pytest.mark.parametrize(
    "field", ["requester__npi", "provider__npi"], ids=["requester", "provider"]
)
def test_an_npi_whose_check_digit_fails_is_refused(post_appeal, field):
    response = post_appeal(**{field: "1234567890"})

    _assert_problem(response, 400)
    assert _fields(response) == {field.replace("__", ".")}
    assert response.json()["errors"][0]["code"] == "npi_check_digit"


def test_an_npi_that_is_not_ten_digits_is_refused(post_appeal):
    response = post_appeal(provider__npi="12345")

    assert _fields(response) == {"provider.npi"}


def test_malformed_service_codes_are_named_by_position(post_appeal):
    response = post_appeal(denial__service_codes=["99213", "9921", "W1234", "0001U"])

    _assert_problem(response, 400)
    assert _fields(response) == {"denial.service_codes[1]", "denial.service_codes[2]"}


def test_malformed_diagnosis_codes_are_named_by_position(post_appeal):
    response = post_appeal(denial__diagnosis_codes=["S72.001A", "250.00", "E11"])

    _assert_problem(response, 400)
    assert _fields(response) == {"denial.diagnosis_codes[1]"}


def test_a_reason_code_without_its_group_is_refused(post_appeal):
    response = post_appeal(denial__reason_codes=["50"])

    assert _fields(response) == {"denial.reason_codes[0]"}


def test_codes_are_stored_upper_case(post_appeal):
    post_appeal(denial__reason_codes=["co-50"], denial__diagnosis_codes=["e11.65"])

    appeal = Appeal.objects.get()
    assert appeal.denial_reason_codes == ["CO-50"]
    assert appeal.denial_diagnosis_codes == ["E11.65"]


def test_a_negative_amount_is_refused(post_appeal):
    response = post_appeal(denial__amount="-5.00")

    _assert_problem(response, 400)
    assert _fields(response) == {"denial.amount"}


def test_every_bad_field_is_named_in_one_answer(post_appeal):
    response = post_appeal(
        kind="dental", member__state="XX", member__birth_date="2999-01-01"
    )

    assert _fields(response) == {"kind", "member.state", "member.birth_date"}


def test_missing_required_fields_are_named(post_appeal):
    response = post_appeal(member=..., received_at=...)

    assert _fields(response) == {"member", "received_at"}


def test_a_body_that_is_not_json_is_refused_with_415(api, now):
    response = api.post(
        "/api/v1/appeals/", "kind=pre_service", content_type="text/plain"
    )

    _assert_problem(response, 415)


def test_malformed_json_is_refused_with_400(api, now):
    response = api.post(
        "/api/v1/appeals/", '{"kind": ', content_type="application/json"
    )

    _assert_problem(response, 400)


def test_a_json_list_instead_of_an_object_is_refused_with_400(api, now):
    response = api.post("/api/v1/appeals/", [1, 2], format="json")

    _assert_problem(response, 400)


def test_an_oversized_body_is_refused_with_413(post_appeal, monkeypatch):
    monkeypatch.setattr(AppealListCreateView, "max_body_bytes", 1000)

    response = post_appeal(summary="x" * 2000)

    _assert_problem(response, 413)
    assert Appeal.objects.count() == 0


def test_a_summary_longer_than_allowed_is_refused(post_appeal):
    response = post_appeal(summary="x" * 10001)

    assert _fields(response) == {"summary"}


def test_an_authorization_date_for_a_requester_who_is_not_a_representative_is_named(
    post_appeal,
):
    response = post_appeal(requester__authorized_at="2026-04-03T11:45:30-04:00")

    _assert_problem(response, 400)
    assert _fields(response) == {"requester.authorized_at"}
