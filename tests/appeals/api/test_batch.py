import threading

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from appeals import intake
from appeals.models import Appeal, Member, TimelineEvent

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


def _batch_of(payload, count, tag="q"):
    return [
        payload(
            external_id=f"{tag}-{n}",
            member__id=f"M-{tag}-{n % 3}",
            denial__claim_number=f"C-{tag}-{n}",
        )
        for n in range(count)
    ]


# SQLite caps the parameters of one statement, so there a large batch's INSERTs split.
@pytest.mark.postgres
def test_a_batch_costs_the_same_few_statements_whatever_its_size(
    api, payload, now, django_assert_max_num_queries
):
    # Measured once for a small batch, then held to for one fifteen times as large:
    # members, providers, duplicates and appeals are each written or read in one go.
    with CaptureQueriesContext(connection) as small:
        api.post(PATH, {"appeals": _batch_of(payload, 4, "s")}, format="json")

    with django_assert_max_num_queries(len(small.captured_queries)):
        response = api.post(
            PATH, {"appeals": _batch_of(payload, 60, "l")}, format="json"
        )

    assert response.json()["created"] == 60
    assert Appeal.objects.count() == 64


def test_items_in_one_batch_on_the_same_claim_flag_the_later_one(api, payload, now):
    items = [
        payload(external_id="d-1", denial__claim_number="C-9"),
        payload(external_id="d-2", denial__claim_number="C-9"),
        payload(external_id="d-3", denial__claim_number="C-10"),
    ]

    results = api.post(PATH, {"appeals": items}, format="json").json()["results"]

    assert [r["appeal"]["flags"] for r in results] == [
        [],
        ["possible_duplicate"],
        [],
    ]


def test_a_member_named_twice_in_a_batch_is_stored_once_as_last_described(
    api, payload, now
):
    items = [
        payload(external_id="m-1", member__name="Rivera, Maria"),
        payload(external_id="m-2", member__name="Rivera-Lopez, Maria"),
    ]

    api.post(PATH, {"appeals": items}, format="json")

    member = Member.objects.get()
    assert member.last_name == "Rivera-Lopez"
    assert set(Appeal.objects.values_list("member", flat=True)) == {member.pk}


def test_each_appeal_in_a_batch_has_its_own_clocks_score_and_timeline(
    api, payload, now
):
    items = [
        payload(external_id="t-1"),
        payload(
            external_id="t-2",
            priority="expedited",
            expedite_requested_by="physician",
            denial__claim_number="C-other",
        ),
    ]

    results = api.post(PATH, {"appeals": items}, format="json").json()["results"]

    standard, expedited = (Appeal.objects.get(external_id=f"t-{n}") for n in (1, 2))
    assert expedited.decide_by < standard.decide_by
    assert results[1]["appeal"]["score"] == expedited.score is not None
    assert expedited.score_components["expedited"] is True
    for appeal in (standard, expedited):
        kinds = list(appeal.timeline.values_list("kind", flat=True))
        assert kinds[0] == TimelineEvent.Kind.CREATED
        assert kinds.count(TimelineEvent.Kind.DEADLINE) >= 2


def test_an_id_taken_by_another_request_meanwhile_is_answered_as_a_duplicate(
    api, payload, now, monkeypatch, integration
):
    # The other request commits after this batch looked its ids up: the batch's
    # single INSERT fails, and it goes again one item at a time.
    api.post("/api/v1/appeals/", payload(external_id="r-2"), format="json")
    monkeypatch.setattr(intake, "_stored_by_external_id", lambda *args: {})
    items = [
        payload(external_id=f"r-{n}", denial__claim_number=f"C-r{n}")
        for n in range(1, 4)
    ]

    body = api.post(PATH, {"appeals": items}, format="json").json()

    assert [r["result"] for r in body["results"]] == [
        "created",
        "duplicate",
        "created",
    ]
    assert Appeal.objects.filter(integration=integration).count() == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_overlapping_batches_at_once_make_one_appeal_per_id(api, payload, now):
    # Other members, and the shared ids in the opposite order: nothing but the
    # appeals' own unique index stands between the two.
    batches = [
        [
            payload(
                external_id=f"o-{n}",
                member__id=f"M-{side}-{n % 4}",
                denial__claim_number=f"C-o-{n}",
            )
            for n in numbers
        ]
        for side, numbers in (("a", range(200)), ("b", range(299, 99, -1)))
    ]
    barrier = threading.Barrier(len(batches))
    answers = []

    def post(items):
        try:
            barrier.wait()
            answers.append(api.post(PATH, {"appeals": items}, format="json"))
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(items,)) for items in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [answer.status_code for answer in answers] == [200, 200]
    bodies = [answer.json() for answer in answers]
    assert sum(body["created"] for body in bodies) == 300
    assert sum(body["duplicates"] for body in bodies) == 100
    assert Appeal.objects.count() == 300
    assert Member.objects.count() == 8


@pytest.mark.postgres
def test_a_batch_of_the_most_items_allowed_is_received_whole(api, payload, now):
    # 1,000 appeals of some sixty columns, and five timeline rows each: near the most
    # parameters PostgreSQL binds to one statement.
    items = _batch_of(payload, 1000, "max")

    response = api.post(PATH, {"appeals": items}, format="json")

    assert response.status_code == 200
    assert response.json()["created"] == 1000
    assert Appeal.objects.count() == 1000
