import uuid

import pytest
import time_machine

from appeals import services
from appeals.models import Appeal

from .conftest import NOW

pytestmark = pytest.mark.django_db


def _ids(response):
    return [item["external_id"] for item in response.json()["results"]]


def test_the_list_shows_only_the_callers_appeals(api, post_appeal, other_api):
    post_appeal(external_id="mine")
    post_appeal(client=other_api, external_id="theirs")

    response = api.get("/api/v1/appeals/")

    assert response.status_code == 200
    assert _ids(response) == ["mine"]


def test_the_list_filters_by_status(api, post_appeal):
    post_appeal(external_id="open", denial__claim_number="C-1")
    post_appeal(external_id="gone", denial__claim_number="C-2")
    services.appeal_withdraw(
        appeal=Appeal.objects.get(external_id="gone"), by="test", reason="asked"
    )

    assert _ids(api.get("/api/v1/appeals/?status=withdrawn")) == ["gone"]
    assert _ids(api.get("/api/v1/appeals/?status=received")) == ["open"]


def test_the_list_filters_by_line_of_business(api, post_appeal):
    post_appeal(external_id="ma", denial__claim_number="C-1")
    post_appeal(
        external_id="mcd", line_of_business="medicaid", denial__claim_number="C-2"
    )

    assert _ids(api.get("/api/v1/appeals/?line_of_business=medicaid")) == ["mcd"]


def test_the_list_filters_by_updated_since(api, post_appeal, payload):
    post_appeal(external_id="old", denial__claim_number="C-1")
    with time_machine.travel(NOW.replace(hour=21), tick=False):
        api.post(
            "/api/v1/appeals/",
            payload(external_id="new", denial__claim_number="C-2"),
            format="json",
        )

    response = api.get(
        "/api/v1/appeals/", {"updated_since": "2026-04-06T16:30:00-04:00"}
    )

    assert _ids(response) == ["new"]


def test_a_bad_filter_value_is_a_400_not_a_500(api, post_appeal):
    response = api.get("/api/v1/appeals/?status=lost&updated_since=yesterday")

    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {
        "status",
        "updated_since",
    }


def test_the_list_pages_with_a_cursor(api, post_appeal):
    for number in range(3):
        post_appeal(external_id=f"a{number}", denial__claim_number=f"C-{number}")

    first = api.get("/api/v1/appeals/?page_size=2").json()
    second = api.get(first["next"]).json()

    assert [a["external_id"] for a in first["results"]] == ["a0", "a1"]
    assert [a["external_id"] for a in second["results"]] == ["a2"]
    assert second["next"] is None


def test_one_appeal_shows_its_status_deadlines_and_timeline(api, post_appeal):
    created = post_appeal().json()

    response = api.get(f"/api/v1/appeals/{created['id']}/")

    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "received"
    assert body["deadlines"] == created["deadlines"]
    assert body["timeline"][0]["kind"] == "created"
    assert body["timeline"][0]["actor"] == "integration:claims-system"
    assert body["timeline"][0]["at"].endswith("-04:00")
    assert body["documents"] == []


def test_another_integrations_appeal_is_a_404(post_appeal, other_api):
    created = post_appeal().json()

    for path in ("", "withdraw/"):
        method = other_api.get if not path else other_api.post
        response = method(f"/api/v1/appeals/{created['id']}/{path}")
        assert response.status_code == 404
        assert response["Content-Type"] == "application/problem+json"


def test_an_unknown_or_malformed_id_is_a_404(api, now):
    assert api.get(f"/api/v1/appeals/{uuid.uuid4()}/").status_code == 404
    assert api.get("/api/v1/appeals/AP-0000001/").status_code == 404


def test_updated_since_with_an_offset_postgresql_cannot_store_is_accepted(
    api, post_appeal
):
    post_appeal()

    response = api.get(
        "/api/v1/appeals/", {"updated_since": "2026-04-05T00:00:00-20:45"}
    )

    assert response.status_code == 200
    assert len(response.json()["results"]) == 1


def test_a_malformed_cursor_is_a_404_that_says_so(api, now):
    response = api.get("/api/v1/appeals/?cursor=nonsense")

    assert response.status_code == 404
    assert response.json()["detail"] == "Invalid cursor"
