import pytest

from appeals.models import Appeal

pytestmark = pytest.mark.django_db

PATH = "/api/v1/appeals/batch/"


def test_each_item_is_answered_and_a_bad_one_does_not_sink_the_others(
    api, payload, now
):
    items = [
        payload(external_id="b-1", denial__claim_number="C-1"),
        payload(external_id="b-2", kind="dental"),
        payload(external_id="b-3", denial__claim_number="C-3"),
        payload(external_id="b-1", denial__claim_number="C-1"),
    ]

    response = api.post(PATH, {"appeals": items}, format="json")

    body = response.json()
    assert response.status_code == 200
    assert [r["result"] for r in body["results"]] == [
        "created",
        "error",
        "created",
        "duplicate",
    ]
    assert body["results"][1]["errors"][0]["field"] == "kind"
    assert body["results"][3]["appeal"]["id"] == body["results"][0]["appeal"]["id"]
    assert (body["created"], body["duplicates"], body["errors"]) == (2, 1, 1)
    assert Appeal.objects.count() == 2


def test_an_item_already_sent_singly_is_a_duplicate(api, post_appeal, payload):
    post_appeal()

    body = api.post(PATH, {"appeals": [payload()]}, format="json").json()

    assert body["results"][0]["result"] == "duplicate"
    assert Appeal.objects.count() == 1


@pytest.mark.parametrize("appeals", [[], "all of them", None])
def test_a_batch_that_is_not_a_list_of_appeals_is_a_400(api, now, appeals):
    response = api.post(PATH, {"appeals": appeals}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "appeals"


def test_more_than_1000_items_is_a_400(api, payload, now):
    response = api.post(PATH, {"appeals": [{}] * 1001}, format="json")

    assert response.status_code == 400
    assert Appeal.objects.count() == 0


def test_a_retried_batch_with_its_key_replays_the_first_answer(api, payload, now):
    body = {"appeals": [payload()]}
    headers = {"Idempotency-Key": "batch-1"}

    first = api.post(PATH, body, format="json", headers=headers)
    second = api.post(PATH, body, format="json", headers=headers)

    assert second.json() == first.json()
    assert second.json()["results"][0]["result"] == "created"
    assert Appeal.objects.count() == 1
