import pytest
from django.urls import reverse

from appeals import services
from appeals.choices import LineOfBusiness, Outcome
from casework.models import CaseProtocol, ProtocolTemplate, StepCompletion
from casework.services import (
    CaseworkRefused,
    case_protocol_start,
    protocol_missing_steps,
    protocol_step_complete,
)
from tests.casework.conftest import give_profile
from tests.factories import MemberFactory, make_appeal

pytestmark = pytest.mark.django_db

CODING = services.DenialFacts(reason_codes=["CO-4"])
MEDICAL_NECESSITY = services.DenialFacts(reason_codes=["CO-50"])


def _complete_all(appeal, user):
    protocol = case_protocol_start(appeal=appeal)
    for step in protocol.steps:
        if step["required"]:
            protocol_step_complete(
                appeal=appeal,
                user=user,
                step_key=step["key"],
                result=StepCompletion.Result.DONE,
                finding="Checked.",
            )


@pytest.mark.parametrize("line", LineOfBusiness.values)
def test_every_line_of_business_ships_an_administrative_and_a_clinical_protocol(line):
    coding = case_protocol_start(
        appeal=make_appeal(line_of_business=line, denial=CODING)
    )
    clinical = case_protocol_start(
        appeal=make_appeal(line_of_business=line, denial=MEDICAL_NECESSITY)
    )

    assert coding.template.key.endswith("-administrative")
    assert clinical.template.key.endswith("-clinical")
    clinical_steps = [step["key"] for step in clinical.steps]
    assert clinical_steps[:4] == ["requester", "timeliness", "expedite", "records"]
    assert {"criteria", "physician", "rationale"} <= set(clinical_steps)


def test_completing_a_step_records_who_when_and_what_they_found(rita):
    appeal = make_appeal(denial=CODING)

    completion = protocol_step_complete(
        appeal=appeal,
        user=rita,
        step_key="timeliness",
        result=StepCompletion.Result.MET,
        finding="Filed 12 days after the denial notice.",
    )

    assert completion.completed_by == rita
    assert completion.completed_at is not None
    assert completion.finding == "Filed 12 days after the denial notice."
    assert "Check filing timeliness" not in protocol_missing_steps(appeal)


def test_a_step_that_needs_a_clinician_is_refused_to_an_administrative_reviewer(
    rita,
):
    appeal = make_appeal(denial=MEDICAL_NECESSITY, member=MemberFactory(state="FL"))

    with pytest.raises(CaseworkRefused) as refused:
        protocol_step_complete(
            appeal=appeal,
            user=rita,
            step_key="criteria",
            result=StepCompletion.Result.MET,
            finding="InterQual met",
        )

    assert "needs a clinical reviewer or physician" in refused.value.reasons[0]


def test_a_step_without_a_finding_is_refused(rita):
    appeal = make_appeal(denial=CODING)

    with pytest.raises(CaseworkRefused) as refused:
        protocol_step_complete(
            appeal=appeal, user=rita, step_key="records", result="done", finding=" "
        )

    assert refused.value.reasons == ["Write down what you found."]


def test_a_decision_is_refused_until_the_required_steps_are_complete(rita):
    appeal = make_appeal(denial=CODING)
    case_protocol_start(appeal=appeal)
    services.appeal_accept(appeal=appeal, by=rita)

    with pytest.raises(services.TransitionRefused) as refused:
        services.appeal_decide(
            appeal=appeal, by=rita, outcome=Outcome.OVERTURNED, rationale="Coded right"
        )
    assert (
        "Complete the required steps of the review protocol first"
        in (refused.value.reasons[0])
    )
    assert "Draft the rationale" in refused.value.reasons[0]

    _complete_all(appeal, rita)
    decided = services.appeal_decide(
        appeal=appeal, by=rita, outcome=Outcome.OVERTURNED, rationale="Coded right"
    )
    assert decided.status == "decided"


def test_a_subordinate_of_the_original_decision_maker_may_not_decide(
    reviewer, supervisor
):
    give_profile(supervisor)
    give_profile(reviewer, reports_to=supervisor)
    appeal = make_appeal(
        denial=services.DenialFacts(reason_codes=["CO-4"], decided_by="sam.supervisor")
    )
    services.appeal_accept(appeal=appeal, by=reviewer)

    with pytest.raises(services.TransitionRefused) as refused:
        services.appeal_decide(
            appeal=appeal, by=reviewer, outcome=Outcome.OVERTURNED, rationale="Fine"
        )

    assert any("someone you report to" in reason for reason in refused.value.reasons)


def test_the_original_decision_maker_is_recognised_by_npi(dr_patel):
    appeal = make_appeal(
        denial=services.DenialFacts(reason_codes=["CO-4"], decided_by="1730111111")
    )
    services.appeal_accept(appeal=appeal, by=dr_patel)

    with pytest.raises(services.TransitionRefused) as refused:
        services.appeal_decide(
            appeal=appeal, by=dr_patel, outcome=Outcome.UPHELD, rationale="Right"
        )

    assert any("by your NPI" in reason for reason in refused.value.reasons)


def test_editing_a_template_makes_a_new_version_and_started_cases_keep_theirs(
    client, supervisor
):
    appeal = make_appeal(denial=CODING)
    started = case_protocol_start(appeal=appeal)
    template = started.template
    steps = list(template.steps.all())
    client.force_login(supervisor)
    data = {
        "key": template.key,
        "name": template.name,
        "lines_of_business": '["medicare_advantage"]',
        "kinds": "[]",
        "denial_categories": "[]",
        "active": "on",
        "steps-TOTAL_FORMS": str(len(steps) + 1),
        "steps-INITIAL_FORMS": str(len(steps)),
        "steps-MIN_NUM_FORMS": "0",
        "steps-MAX_NUM_FORMS": "1000",
    }
    for index, step in enumerate(steps):
        data.update(
            {
                f"steps-{index}-id": str(step.pk),
                f"steps-{index}-template": str(template.pk),
                f"steps-{index}-order": str(step.order),
                f"steps-{index}-key": step.key,
                f"steps-{index}-title": step.title,
                f"steps-{index}-guidance": step.guidance,
                f"steps-{index}-required": "on" if step.required else "",
                f"steps-{index}-role": step.role,
            }
        )
    new = len(steps)
    data.update(
        {
            f"steps-{new}-template": str(template.pk),
            f"steps-{new}-order": "5",
            f"steps-{new}-key": "fraud-check",
            f"steps-{new}-title": "Check for duplicate billing",
            f"steps-{new}-required": "on",
            f"steps-{new}-role": "",
        }
    )

    response = client.post(
        reverse("admin:casework_protocoltemplate_change", args=[template.pk]), data
    )

    assert response.status_code == 302
    template.refresh_from_db()
    assert template.version == 2
    started.refresh_from_db()
    assert started.template_version == 1
    assert "fraud-check" not in [step["key"] for step in started.steps]
    later = case_protocol_start(appeal=make_appeal(denial=CODING))
    assert later.template_version == 2
    assert later.steps[0]["key"] == "fraud-check"


def test_a_case_keeps_one_protocol_however_often_it_is_started():
    appeal = make_appeal(denial=CODING)

    first = case_protocol_start(appeal=appeal)
    second = case_protocol_start(appeal=appeal)

    assert first.pk == second.pk
    assert CaseProtocol.objects.filter(appeal=appeal).count() == 1
    assert ProtocolTemplate.objects.filter(active=True).count() == 8


def test_a_protocol_starts_when_work_begins_not_at_intake(
    django_capture_on_commit_callbacks,
):
    # Intake stays a single transaction; the version a case keeps is the one in force
    # when a reviewer first takes it up.
    with django_capture_on_commit_callbacks(execute=True):
        appeal = make_appeal(denial=MEDICAL_NECESSITY)
    assert not CaseProtocol.objects.filter(appeal=appeal).exists()

    case_protocol_start(appeal=appeal)

    protocol = CaseProtocol.objects.get(appeal=appeal)
    assert protocol.template.key == "medicare-advantage-clinical"
    assert protocol.template_version == 1
