import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from appeals import services
from appeals.models import AppealDocument, TimelineEvent
from casework.models import AccessLog
from tests.factories import make_appeal

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"


def _pdf(name="records.pdf", content=PDF, content_type="application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def _assigned_to(user):
    appeal = make_appeal()
    return services.appeal_assign(appeal=appeal, assignee=user, by="test")


def _attach(client, appeal, upload, **fields):
    return client.post(
        reverse("case_document_add", args=[appeal.case_number]),
        {
            "document-file": upload,
            "document-kind": fields.get("kind", "medical_records"),
            "document-title": fields.get("title", ""),
        },
        follow=True,
    )


def test_the_assigned_reviewer_attaches_records_that_join_the_timeline(client, rita):
    appeal = _assigned_to(rita)
    client.force_login(rita)

    page = _attach(client, appeal, _pdf(), title="Cardiology notes").content.decode()

    document = AppealDocument.objects.get(appeal=appeal)
    assert (document.title, document.kind) == ("Cardiology notes", "medical_records")
    assert (document.uploaded_by, document.content_type) == (rita, "application/pdf")
    event = appeal.timeline.get(kind=TimelineEvent.Kind.DOCUMENT)
    assert event.actor == rita
    assert event.data["sha256"] == document.sha256
    assert "Document attached." in page
    assert reverse("case_document", args=[appeal.case_number, document.pk]) in page


def test_a_file_whose_content_is_not_its_type_is_refused_and_nothing_kept(client, rita):
    appeal = _assigned_to(rita)
    client.force_login(rita)

    response = _attach(client, appeal, _pdf(content=b"<html>not a pdf</html>"))

    assert response.status_code == 400
    assert b"is not application/pdf" in response.content
    assert not AppealDocument.objects.exists()


def test_a_reviewer_not_assigned_to_the_case_cannot_attach(client, rita, nora):
    appeal = _assigned_to(nora)
    client.force_login(rita)

    response = _attach(client, appeal, _pdf())

    assert response.status_code == 400
    assert b"Only the reviewer assigned to the case" in response.content
    assert not AppealDocument.objects.exists()


def test_a_closed_case_takes_no_more_documents(client, rita):
    appeal = _assigned_to(rita)
    services.appeal_withdraw(appeal=appeal, by="test", reason="Member withdrew.")
    client.force_login(rita)

    page = _attach(client, appeal, _pdf()).content

    assert b"already withdrawn" in page
    assert b"Attach a document" not in page
    assert not AppealDocument.objects.exists()


def test_a_document_opens_for_the_desk_uncached_and_the_viewing_is_logged(
    client, rita, nora
):
    appeal = _assigned_to(rita)
    client.force_login(rita)
    _attach(client, appeal, _pdf(), title="Cardiology notes")
    document = AppealDocument.objects.get()
    client.force_login(nora)

    response = client.get(
        reverse("case_document", args=[appeal.case_number, document.pk])
    )

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    assert (
        f"{appeal.case_number}-{document.pk}-cardiology-notes.pdf"
        in (response["Content-Disposition"])
    )
    assert AccessLog.objects.filter(
        appeal=appeal, user=nora, what=f"document {document.pk}"
    ).exists()


def test_a_document_is_only_found_under_its_own_case(client, rita):
    appeal, other = _assigned_to(rita), make_appeal()
    client.force_login(rita)
    _attach(client, appeal, _pdf())
    document = AppealDocument.objects.get()

    url = reverse("case_document", args=[other.case_number, document.pk])

    assert client.get(url).status_code == 404


def test_documents_need_a_signed_in_case_worker(client, rita, django_user_model):
    appeal = _assigned_to(rita)
    client.force_login(rita)
    _attach(client, appeal, _pdf())
    url = reverse(
        "case_document", args=[appeal.case_number, AppealDocument.objects.get().pk]
    )
    client.logout()

    assert client.get(url)["Location"].startswith(reverse("login"))
    client.force_login(django_user_model.objects.create_user("visitor"))
    assert client.get(url).status_code == 404
