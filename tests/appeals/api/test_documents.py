import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from appeals import services
from appeals.api.views import AppealDocumentView
from appeals.models import Appeal, AppealDocument, TimelineEvent

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def documents_path(post_appeal):
    return f"/api/v1/appeals/{post_appeal().json()['id']}/documents/"


def _upload(content=PDF, name="letter.pdf", content_type="application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def test_a_pdf_is_attached_with_its_digest_and_a_timeline_event(api, documents_path):
    response = api.post(
        documents_path,
        {"file": _upload(), "kind": "appeal_letter", "title": "Appeal letter"},
        format="multipart",
    )

    assert response.status_code == 201, response.json()
    document = AppealDocument.objects.get()
    assert response.json()["sha256"] == document.sha256
    assert document.size_bytes == len(PDF)
    assert document.uploaded_by_label == "integration:claims-system"
    event = Appeal.objects.get().timeline.get(kind=TimelineEvent.Kind.DOCUMENT)
    assert event.data["document_id"] == document.pk


def test_the_title_defaults_to_the_file_name(api, documents_path):
    api.post(documents_path, {"file": _upload()}, format="multipart")

    assert AppealDocument.objects.get().title == "letter.pdf"


def test_a_file_type_outside_the_list_is_refused(api, documents_path):
    upload = _upload(b"MZ\x90\x00", "tool.exe", "application/x-msdownload")

    response = api.post(documents_path, {"file": upload}, format="multipart")

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "file"
    assert AppealDocument.objects.count() == 0


def test_a_file_whose_content_does_not_match_its_type_is_refused(api, documents_path):
    response = api.post(
        documents_path,
        {"file": _upload(b"<html>not a pdf</html>")},
        format="multipart",
    )

    assert response.status_code == 400
    assert "not application/pdf" in response.json()["errors"][0]["detail"]


def test_a_file_over_the_size_limit_is_a_413(api, documents_path, monkeypatch):
    monkeypatch.setattr(AppealDocumentView, "max_body_bytes", 2048)

    response = api.post(
        documents_path, {"file": _upload(PDF + b"0" * 4096)}, format="multipart"
    )

    assert response.status_code == 413
    assert AppealDocument.objects.count() == 0


def test_a_document_for_a_withdrawn_appeal_is_a_409(api, documents_path):
    services.appeal_withdraw(appeal=Appeal.objects.get(), by="test", reason="asked")

    response = api.post(documents_path, {"file": _upload()}, format="multipart")

    assert response.status_code == 409
    assert response.json()["reasons"] == ["The case is already withdrawn."]


def test_a_json_body_is_not_an_upload(api, documents_path):
    response = api.post(documents_path, {"file": "x"}, format="json")

    assert response.status_code == 415


def test_a_retried_upload_with_its_key_attaches_one_document(api, documents_path):
    headers = {"Idempotency-Key": "doc-1"}

    for _ in range(2):
        response = api.post(
            documents_path, {"file": _upload()}, format="multipart", headers=headers
        )
        assert response.status_code == 201

    assert AppealDocument.objects.count() == 1
