from io import StringIO

import pytest
from django.contrib.admin.sites import AdminSite
from django.contrib.messages.storage.fallback import FallbackStorage
from django.core.management import CommandError, call_command
from django.test import RequestFactory
from rest_framework.test import APIClient

from appeals import intake
from appeals.admin_integrations import IntegrationAdmin
from appeals.models import Appeal, Integration
from appeals.models.integration import key_digest

pytestmark = pytest.mark.django_db


def test_create_integration_prints_a_key_that_is_stored_only_as_a_digest():
    out = StringIO()

    call_command("create_integration", "fax-ocr", stdout=out, stderr=StringIO())

    key = out.getvalue().strip()
    integration = Integration.objects.get(name="fax-ocr")
    assert key.startswith("apd_")
    assert integration.key_hash == key_digest(key)
    assert key not in integration.key_hash
    assert integration.key_prefix == key[:12]


def test_the_printed_key_authenticates(post_appeal):
    out = StringIO()
    call_command("create_integration", "fax-ocr", stdout=out, stderr=StringIO())
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {out.getvalue().strip()}")

    response = post_appeal(client=client)

    assert response.status_code == 201
    assert Appeal.objects.get().integration.name == "fax-ocr"


def test_create_integration_refuses_a_name_in_use(integration):
    with pytest.raises(CommandError, match="exists"):
        call_command("create_integration", "claims-system", stdout=StringIO())


def test_a_request_without_a_key_gets_401(post_appeal):
    response = post_appeal(client=APIClient())

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize(
    "header",
    ["Bearer apd_not-a-real-key", "Bearer ", "Bearer a b", "Basic Zm9vOmJhcg=="],
)
def test_a_bad_key_gets_401(post_appeal, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    assert post_appeal(client=client).status_code == 401
    assert Appeal.objects.count() == 0


def test_a_revoked_key_gets_401(post_appeal, integration):
    intake.integration_revoke(integration=integration)

    response = post_appeal()

    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


def test_a_staff_session_is_not_enough_to_post_as_an_integration(
    post_appeal, supervisor
):
    client = APIClient()
    client.force_login(supervisor)

    response = post_appeal(client=client)

    assert response.status_code == 401
    assert Appeal.objects.count() == 0


def test_the_admin_revokes_selected_keys(integration_and_key, supervisor):
    integration, key = integration_and_key
    request = RequestFactory().post("/admin/")
    request.user = supervisor
    request.session = {}
    request._messages = FallbackStorage(request)
    model_admin = IntegrationAdmin(Integration, AdminSite())

    model_admin.revoke(request, Integration.objects.all())

    integration.refresh_from_db()
    assert integration.revoked_at is not None
    assert intake.integration_for_key(key) is None


def test_the_admin_cannot_add_or_delete_integrations(supervisor):
    request = RequestFactory().get("/admin/")
    request.user = supervisor
    model_admin = IntegrationAdmin(Integration, AdminSite())

    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_delete_permission(request)


def test_the_admin_lists_integrations_without_their_keys(admin_client, integration):
    response = admin_client.get("/admin/appeals/integration/")

    assert response.status_code == 200
    assert integration.key_prefix in response.content.decode()
    assert integration.key_hash not in response.content.decode()
