import pytest

from appeals import services
from appeals.models import Appeal, TimelineEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def appeal_id(post_appeal):
    return post_appeal().json()["id"]


def test_a_withdrawal_is_recorded_through_the_service(api, appeal_id):
    response = api.post(
        f"/api/v1/appeals/{appeal_id}/withdraw/",
        {"reason": "Member no longer wishes to appeal."},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["status"] == "withdrawn"
    event = Appeal.objects.get().timeline.get(transition="withdraw")
    assert event.actor_label == "integration:claims-system"
    assert event.reason == "Member no longer wishes to appeal."


def test_a_withdrawal_needs_a_reason(api, appeal_id):
    response = api.post(f"/api/v1/appeals/{appeal_id}/withdraw/", {}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "reason"


def test_withdrawing_a_dismissed_appeal_is_a_409_with_the_reasons(api, appeal_id):
    services.appeal_dismiss(
        appeal=Appeal.objects.get(), by="test", reason="Not a valid appeal."
    )

    response = api.post(
        f"/api/v1/appeals/{appeal_id}/withdraw/", {"reason": "late"}, format="json"
    )

    body = response.json()
    assert response.status_code == 409
    assert body["reasons"] == ["A case that is dismissed cannot withdraw."]
    assert Appeal.objects.get().status == "dismissed"


def test_a_retried_withdrawal_with_its_key_replays_the_first_answer(api, appeal_id):
    path = f"/api/v1/appeals/{appeal_id}/withdraw/"
    headers = {"Idempotency-Key": "withdraw-1"}

    first = api.post(path, {"reason": "asked"}, format="json", headers=headers)
    second = api.post(path, {"reason": "asked"}, format="json", headers=headers)

    assert first.status_code == second.status_code == 200
    assert TimelineEvent.objects.filter(transition="withdraw").count() == 1
