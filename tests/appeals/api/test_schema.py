import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_the_openapi_schema_describes_the_intake_endpoints(api):
    response = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    schema = response.json()
    assert response.status_code == 200
    assert schema["openapi"].startswith("3.")
    assert {"/api/v1/appeals/", "/api/v1/appeals/batch/"} <= set(schema["paths"])
    create = schema["components"]["schemas"]["AppealCreate"]
    assert {"external_id", "received_at", "requester", "member", "denial"} <= set(
        create["properties"]
    )
    assert schema["components"]["securitySchemes"]["integrationKey"]["scheme"] == (
        "bearer"
    )


def test_the_schema_needs_a_login_or_a_key():
    assert APIClient().get("/api/schema/").status_code in (401, 403)


def test_the_docs_are_served_from_the_apps_own_static_files(supervisor):
    client = APIClient()
    client.force_login(supervisor)

    response = client.get("/api/docs/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert "cdn." not in html and "unpkg" not in html
