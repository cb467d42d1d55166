import pytest
from django.urls import reverse

from appeals.models import TimelineEvent
from tests.factories import make_appeal

pytestmark = pytest.mark.django_db


def test_a_supervisor_can_browse_and_open_appeals_in_the_admin(client, supervisor):
    appeal = make_appeal()
    client.force_login(supervisor)

    listing = client.get(reverse("admin:appeals_appeal_changelist"))
    page = client.get(reverse("admin:appeals_appeal_change", args=[appeal.pk]))
    search = client.get(
        reverse("admin:appeals_appeal_changelist"), {"q": appeal.case_number}
    )

    assert listing.status_code == 200
    assert page.status_code == 200
    assert appeal.case_number in search.content.decode()


def test_a_correction_in_the_admin_is_recorded_on_the_timeline(client, supervisor):
    appeal = make_appeal()
    client.force_login(supervisor)
    url = reverse("admin:appeals_appeal_change", args=[appeal.pk])
    form = client.get(url).context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if value is not None and name in form.fields
    }
    data.update(
        {
            "summary": "Corrected summary",
            "denial_reason_codes": '["CO-50"]',
            "denial_service_codes": "[]",
            "denial_diagnosis_codes": "[]",
            "flags": "[]",
            "received_at_0": appeal.received_at.strftime("%Y-%m-%d"),
            "received_at_1": appeal.received_at.strftime("%H:%M:%S"),
            "documents-TOTAL_FORMS": "0",
            "documents-INITIAL_FORMS": "0",
            "timeline-TOTAL_FORMS": "0",
            "timeline-INITIAL_FORMS": "0",
        }
    )
    for name in list(data):
        if name.endswith("_at") or name == "received_at":
            data.pop(name)

    response = client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    note = appeal.timeline.get(kind=TimelineEvent.Kind.NOTE)
    assert "summary" in note.data["fields"]
    assert note.actor == supervisor


def test_timeline_events_cannot_be_deleted_in_the_admin(client, supervisor):
    appeal = make_appeal()
    event = appeal.timeline.first()
    client.force_login(supervisor)

    response = client.get(
        reverse("admin:appeals_timelineevent_delete", args=[event.pk])
    )

    assert response.status_code == 403
