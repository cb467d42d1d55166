import pytest
from django.core.management import call_command
from django.urls import reverse

from appeals.choices import LineOfBusiness
from appeals.models import Appeal, Status, TimelineEvent
from casework.management.commands.load_demo_data import DEMO_PASSWORD
from casework.models import ReviewerProfile
from casework.services import case_claim_next

pytestmark = pytest.mark.django_db


def test_demo_data_spans_every_line_of_business_and_many_states(capsys):
    call_command("load_demo_data", appeals=120, seed=7)

    lines = set(Appeal.objects.values_list("line_of_business", flat=True))
    states = set(Appeal.objects.values_list("status", flat=True))
    assert lines == set(LineOfBusiness.values)
    assert {Status.RECEIVED, Status.IN_REVIEW, Status.DECIDED, Status.CLOSED} <= states
    assert not Appeal.objects.filter(decide_by__isnull=True).exists()
    assert TimelineEvent.objects.filter(kind=TimelineEvent.Kind.DEADLINE).count() >= 120
    assert DEMO_PASSWORD in capsys.readouterr().out


def test_loading_twice_with_if_empty_adds_nothing():
    call_command("load_demo_data", appeals=10, seed=7)
    call_command("load_demo_data", appeals=10, seed=7, if_empty=True)

    assert Appeal.objects.count() == 10


def test_a_demo_reviewer_can_sign_in_and_see_the_open_appeals(client):
    call_command("load_demo_data", appeals=30, seed=7)

    signed_in = client.login(username="rita", password=DEMO_PASSWORD)
    response = client.get(reverse("home"))

    assert signed_in
    assert response.status_code == 200
    due_first = Appeal.objects.awaiting_decision().order_by("decide_by").first()
    assert due_first.case_number in response.content.decode()


def test_the_home_page_requires_sign_in(client):
    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_demo_reviewers_get_profiles_and_can_claim_a_case():
    call_command("load_demo_data", appeals=30, seed=7)
    rita = ReviewerProfile.objects.get(user__username="rita")

    claimed = case_claim_next(user=rita.user)

    assert rita.reports_to.username == "sam"
    assert ReviewerProfile.objects.get(user__username="dr.kim").specialties
    assert claimed is not None
    assert claimed.assignee == rita.user


def test_each_demo_appeal_says_what_the_requester_argues_about_its_service():
    call_command("load_demo_data", appeals=40, seed=7)

    for summary, services in Appeal.objects.values_list(
        "summary", "denial_service_codes"
    ):
        assert f"service {services[0]}" in summary
        assert summary[0].isupper() and summary.endswith(".")
