import pytest

from tests.factories import ProviderFactory

pytestmark = pytest.mark.django_db

PAGES = (
    "/supervisor/",
    "/supervisor/live",
    "/supervisor/workload",
    "/supervisor/timeliness",
    "/supervisor/outcomes",
    "/supervisor/denial-trend",
    "/supervisor/denial-trend.csv",
    "/supervisor/providers/1234567893/feedback",
    "/supervisor/universes",
)


@pytest.fixture(autouse=True)
def _provider():
    ProviderFactory(npi="1234567893")


@pytest.mark.parametrize("path", PAGES)
def test_an_anonymous_visitor_is_sent_to_sign_in(client, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize("path", PAGES)
def test_a_reviewer_is_refused(client, reviewer, path):
    client.force_login(reviewer)

    assert client.get(path).status_code == 403


@pytest.mark.parametrize("path", PAGES)
def test_a_supervisor_sees_the_page(supervisor_client, path):
    assert supervisor_client.get(path).status_code == 200


def test_a_superuser_counts_as_a_supervisor(client, django_user_model):
    client.force_login(
        django_user_model.objects.create_superuser("root", password="x" * 12)
    )

    assert client.get("/supervisor/").status_code == 200


@pytest.mark.parametrize(
    "path", ["/supervisor/reassign", "/supervisor/alerts/1/acknowledge"]
)
def test_changes_refuse_a_get(supervisor_client, path):
    assert supervisor_client.get(path).status_code == 405


def test_only_supervisors_get_the_supervisor_link(client, supervisor, reviewer):
    client.force_login(reviewer)
    reviewer_page = client.get("/")
    client.force_login(supervisor)
    supervisor_page = client.get("/")

    assert b'href="/supervisor/">Supervisor</a>' in supervisor_page.content
    assert reviewer_page.status_code == 200
    assert b'href="/supervisor/">Supervisor</a>' not in reviewer_page.content
