import threading
import time

import pytest
from django.db import connection

from appeals import intake
from appeals.models import Appeal, IdempotencyRecord

KEY = {"Idempotency-Key": "retry-7f3a"}


@pytest.mark.django_db
def test_the_same_key_and_body_returns_the_first_response_again(post_appeal):
    first = post_appeal(headers=KEY)
    second = post_appeal(headers=KEY)

    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert Appeal.objects.count() == 1


@pytest.mark.django_db
def test_the_same_key_with_a_different_body_is_a_409(post_appeal):
    post_appeal(headers=KEY)

    response = post_appeal(headers=KEY, summary="something else")

    assert response.status_code == 409
    assert response.json()["type"].endswith("idempotency-key-reused")
    assert Appeal.objects.count() == 1


@pytest.mark.django_db
def test_keys_of_two_integrations_do_not_collide(post_appeal, other_api):
    post_appeal(headers=KEY)

    response = post_appeal(client=other_api, headers=KEY)

    assert response.status_code == 201
    assert Appeal.objects.count() == 2


@pytest.mark.django_db
def test_a_refused_request_leaves_no_record_so_a_corrected_retry_works(
    post_appeal,
):
    refused = post_appeal(headers=KEY, kind="dental")
    corrected = post_appeal(headers=KEY)

    assert refused.status_code == 400
    assert corrected.status_code == 201
    assert IdempotencyRecord.objects.count() == 1


@pytest.mark.django_db
def test_an_overlong_key_is_refused(post_appeal):
    response = post_appeal(headers={"Idempotency-Key": "k" * 256})

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"


@pytest.mark.django_db
def test_a_repeated_external_id_never_makes_a_second_appeal(post_appeal):
    first = post_appeal().json()

    response = post_appeal(summary="sent again without a key")

    assert response.status_code == 409
    assert response.json()["appeal"] == {
        "id": first["id"],
        "case_number": first["case_number"],
    }
    assert Appeal.objects.count() == 1


@pytest.mark.django_db
def test_the_same_external_id_from_another_integration_is_another_appeal(
    post_appeal, other_api
):
    post_appeal()

    assert post_appeal(client=other_api).status_code == 201
    assert Appeal.objects.count() == 2


def _post_at_once(post, count: int, **kwargs) -> list:
    barrier = threading.Barrier(count)
    responses = []

    def worker():
        try:
            barrier.wait()
            responses.append(post(**kwargs))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return responses


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_concurrent_requests_with_one_key_make_one_appeal(post_appeal, monkeypatch):
    # Hold the first request inside its transaction long enough for the second to
    # arrive and wait on the idempotency row.
    original = intake.appeal_intake

    def slow_intake(**kwargs):
        time.sleep(0.3)
        return original(**kwargs)

    monkeypatch.setattr(intake, "appeal_intake", slow_intake)

    responses = _post_at_once(post_appeal, 2, headers=KEY)

    assert sorted(r.status_code for r in responses) == [201, 201]
    assert responses[0].json()["id"] == responses[1].json()["id"]
    assert Appeal.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_concurrent_requests_with_one_external_id_make_one_appeal(
    post_appeal,
):
    responses = _post_at_once(post_appeal, 2)

    assert sorted(r.status_code for r in responses) == [201, 409]
    assert Appeal.objects.count() == 1
