from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from appeals import scoring, services
from appeals.choices import DenialCategory, Kind, LineOfBusiness, Outcome, Priority
from appeals.models import Appeal, ClinicalUrgency, OverturnModel, ScoringWeights
from appeals.models.appeal import Status
from appeals.overturn_model import (
    MIN_TRAINING_APPEALS,
    OverturnPredictor,
    overturn_model_train,
)
from appeals.scoring import (
    AT_RISK_BASE,
    CaseFacts,
    UrgencyCategory,
    Weights,
    score_case,
    summarize,
)
from tests.factories import MemberFactory, make_appeal

NOW = datetime(2026, 4, 10, 14, 0, tzinfo=UTC)
RECEIVED = datetime(2026, 4, 6, 19, 20, tzinfo=UTC)
WORK = {(Kind.PRE_SERVICE, Status.IN_REVIEW): 4.0}
WEIGHTS = Weights(
    work_hours=WORK,
    urgency_table=(
        UrgencyCategory("oncology-drugs", "Oncology drugs", 0.95, ("J9",)),
        UrgencyCategory("lab", "Laboratory", 0.25, ("8",)),
        UrgencyCategory("lab-genetic", "Genetic tests", 0.6, ("812",)),
    ),
)


def _facts(**overrides) -> CaseFacts:
    values = {
        "kind": Kind.PRE_SERVICE,
        "status": Status.IN_REVIEW,
        "priority": Priority.STANDARD,
        "due": NOW + timedelta(days=10),
    }
    values.update(overrides)
    return CaseFacts(**values)


def _score(**overrides) -> float:
    return score_case(facts=_facts(**overrides), now=NOW, weights=WEIGHTS)[0]


# The rule, without a database.


def test_an_empty_score_reads_not_scored_yet():
    assert summarize({}) == "Not scored yet"


def test_a_summary_of_partial_components_still_reads():
    assert summarize({"rule": 1}) == "No deadline running"
    assert summarize({"due": None, "expedited": True}) == (
        "No deadline running; expedited"
    )


def test_the_summary_of_an_at_risk_case_leads_with_its_slack():
    facts = _facts(
        due=NOW + timedelta(hours=9),
        priority=Priority.EXPEDITED,
        denial_category=DenialCategory.MEDICAL_NECESSITY,
    )
    _, components = score_case(facts=facts, now=NOW, weights=WEIGHTS)

    assert summarize(components, now=NOW) == (
        "At risk: 5h of slack; expedited; medical necessity"
    )


def test_the_summary_of_an_overdue_case_says_by_how_much():
    _, components = score_case(
        facts=_facts(due=NOW - timedelta(hours=3)), now=NOW, weights=WEIGHTS
    )

    assert summarize(components, now=NOW).startswith("Overdue by 3h")


def test_the_summary_of_a_safe_case_names_its_strongest_reasons_first():
    facts = _facts(
        vulnerability_flags=["dual_eligible", "hospice"],
        denial_amount=120_000.0,
        overturn_probability=0.1,
    )
    _, components = score_case(facts=facts, now=NOW, weights=WEIGHTS)

    assert summarize(components, now=NOW) == (
        "10d of slack; vulnerable member (dual eligible, hospice); $120,000 at stake; "
        "other"
    )


def test_slack_is_the_time_left_minus_the_expected_work():
    _, components = score_case(
        facts=_facts(due=NOW + timedelta(hours=30)), now=NOW, weights=WEIGHTS
    )

    assert components["work_left_hours"] == 4
    assert scoring.slack_hours(components, NOW) == (30, 26)
    assert scoring.slack_hours(components, NOW + timedelta(hours=6)) == (24, 20)
    assert components["at_risk"] is False


def test_a_case_under_the_safety_margin_outranks_the_most_valuable_safe_case():
    heaviest = Weights(
        work_hours=WORK,
        expedited=1000,
        clinical_urgency=1000,
        vulnerability=1000,
        overturn=1000,
        financial=1000,
        urgency_table=WEIGHTS.urgency_table,
    )
    safe = _facts(
        priority=Priority.EXPEDITED,
        service_codes=["J9035"],
        vulnerability_flags=["ltss", "hospice"],
        overturn_probability=1.0,
        denial_amount=10_000_000.0,
        due=NOW + timedelta(days=60),
    )
    at_risk_now = _facts(due=NOW + timedelta(hours=20))

    safe_score, _ = score_case(facts=safe, now=NOW, weights=heaviest)
    risky_score, components = score_case(facts=at_risk_now, now=NOW, weights=heaviest)
    assert components["at_risk"] is True
    assert safe_score <= 5 * 1000 < risky_score


def test_cases_at_risk_are_ordered_earliest_deadline_first_whatever_their_value():
    sooner = _score(due=NOW + timedelta(hours=5))
    later_but_valuable = _score(
        due=NOW + timedelta(hours=10),
        priority=Priority.EXPEDITED,
        service_codes=["J9035"],
        overturn_probability=1.0,
    )
    overdue = _score(due=NOW - timedelta(hours=1))

    assert overdue > sooner > later_but_valuable > AT_RISK_BASE - 1_000_000


def test_at_risk_scores_taken_at_different_moments_still_compare_by_deadline():
    due = NOW + timedelta(hours=10)
    early = score_case(facts=_facts(due=due), now=NOW, weights=WEIGHTS)[0]
    late = score_case(
        facts=_facts(due=due), now=NOW + timedelta(hours=3), weights=WEIGHTS
    )[0]

    assert early == late


def test_expedited_status_raises_a_safe_case():
    assert _score(priority=Priority.EXPEDITED) - _score() == pytest.approx(30)


def test_the_most_specific_service_prefix_decides_the_clinical_urgency():
    _, components = score_case(
        facts=_facts(service_codes=["81211"]), now=NOW, weights=WEIGHTS
    )

    assert components["service_category"] == "lab-genetic"
    assert components["points"]["clinical_urgency"] == pytest.approx(25 * 0.6)


def test_the_most_urgent_of_several_service_codes_counts():
    _, components = score_case(
        facts=_facts(service_codes=["80053", "J9035"]), now=NOW, weights=WEIGHTS
    )

    assert components["service_category"] == "oncology-drugs"


def test_vulnerability_and_money_and_overturn_chance_each_add_their_weight():
    base = _score()

    assert _score(vulnerability_flags=["ltss"]) - base == pytest.approx(7.5)
    assert _score(vulnerability_flags=["ltss", "hospice"]) - base == pytest.approx(15)
    assert _score(overturn_probability=0.5) - base == pytest.approx(10)
    assert _score(denial_amount=50_000.0) - base == pytest.approx(10)
    assert 0 < _score(denial_amount=500.0) - base < 10


# Stored scores.


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_one_case_is_rescored_with_its_components():
    appeal = make_appeal(received_at=RECEIVED, now=NOW)
    appeal.member.vulnerability_flags = ["dual_eligible"]
    appeal.member.save()

    assert scoring.appeal_rescore(appeal_id=appeal.pk) is True

    appeal.refresh_from_db()
    assert appeal.scored_at == NOW
    assert appeal.score == pytest.approx(appeal.score_components["value"])
    assert appeal.score_components["vulnerability_flags"] == ["dual_eligible"]
    assert appeal.score_components["overturn_source"] == "denial category rate"
    assert summarize(appeal.score_components, now=NOW).startswith("26d of slack")


@pytest.mark.django_db
def test_a_closed_case_is_not_rescored():
    appeal = make_appeal(received_at=RECEIVED)
    services.appeal_withdraw(appeal=appeal, by="test", reason="Member withdrew.")
    Appeal.objects.filter(pk=appeal.pk).update(score=None, scored_at=None)

    assert scoring.appeal_rescore(appeal_id=appeal.pk) is False
    assert Appeal.objects.get(pk=appeal.pk).score is None


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_a_supervisors_edit_of_the_urgency_table_changes_the_score():
    appeal = make_appeal(
        received_at=RECEIVED,
        denial=services.DenialFacts(reason_codes=["CO-50"], service_codes=["J9035"]),
    )
    scoring.appeal_rescore(appeal_id=appeal.pk)
    before = Appeal.objects.get(pk=appeal.pk).score

    # Saved one by one, as the admin does: each save tells this process's scoring
    # to reload its weights.
    oncology = ClinicalUrgency.objects.get(category="oncology-drugs")
    oncology.urgency = 0.15
    oncology.save()
    weights = ScoringWeights.objects.get(pk=1)
    weights.weight_clinical_urgency = 100
    weights.save()
    scoring.appeal_rescore(appeal_id=appeal.pk)

    after = Appeal.objects.get(pk=appeal.pk)
    assert after.score_components["points"]["clinical_urgency"] == pytest.approx(15)
    assert after.score != before


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_the_bulk_pass_scores_every_open_case_with_one_update_per_batch(monkeypatch):
    appeals = [make_appeal(received_at=RECEIVED) for _ in range(5)]
    closed = make_appeal(received_at=RECEIVED)
    services.appeal_withdraw(appeal=closed, by="test", reason="Member withdrew.")
    writes = []
    write_scores = scoring._write_scores

    def counting(scored, **options):
        writes.append(len(scored))
        return write_scores(scored, **options)

    monkeypatch.setattr(scoring, "_write_scores", counting)
    # As if loaded by an import that does not score: intake would have.
    Appeal.objects.update(score=None, score_components={}, scored_at=None)

    rescored = scoring.appeals_rescore_open(batch_size=2)

    assert rescored == 5
    assert writes == [2, 2, 1]
    assert Appeal.objects.filter(score__isnull=False).count() == 5
    assert (
        Appeal.objects.filter(pk__in=[a.pk for a in appeals], scored_at=NOW).count()
        == 5
    )
    assert Appeal.objects.get(pk=closed.pk).score is None


@pytest.mark.django_db
def test_a_second_bulk_pass_over_unchanged_cases_writes_nothing():
    appeal = make_appeal(received_at=RECEIVED)
    scored_at_intake = Appeal.objects.get(pk=appeal.pk).scored_at

    for later in (NOW, NOW + timedelta(minutes=5)):
        with time_machine.travel(later, tick=False):
            assert scoring.appeals_rescore_open() == 0
    assert Appeal.objects.get(pk=appeal.pk).scored_at == scored_at_intake


@pytest.mark.django_db
def test_a_bulk_pass_rewrites_a_case_that_has_become_at_risk():
    with time_machine.travel(NOW, tick=False):
        appeal = make_appeal(received_at=RECEIVED)
        scoring.appeals_rescore_open()
    later = appeal.decide_by - timedelta(hours=12)

    with time_machine.travel(later, tick=False):
        assert scoring.appeals_rescore_open() == 1
    rescored = Appeal.objects.get(pk=appeal.pk)
    assert rescored.score_components["at_risk"] is True
    assert rescored.score > AT_RISK_BASE - 1_000_000


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_the_bulk_pass_and_the_one_case_path_give_the_same_score():
    appeal = make_appeal(
        received_at=RECEIVED,
        requested_priority=Priority.EXPEDITED,
        expedite_requested_by="physician",
        denial=services.DenialFacts(
            reason_codes=["CO-50"], service_codes=["93458"], amount=Decimal("8200")
        ),
    )

    scoring.appeal_rescore(appeal_id=appeal.pk)
    one = Appeal.objects.get(pk=appeal.pk)
    scoring.appeals_rescore_open()
    bulk = Appeal.objects.get(pk=appeal.pk)

    assert one.score == bulk.score
    assert one.score_components == bulk.score_components


@pytest.mark.django_db
def test_the_bulk_pass_leaves_a_case_changed_since_it_was_read_to_its_own_rescoring():
    appeal = make_appeal(received_at=RECEIVED)
    rows = list(Appeal.objects.filter(pk=appeal.pk).values(*scoring.ROW_FIELDS))
    services.appeal_accept(appeal=appeal, by="test")

    scored = scoring._score_rows(
        rows,
        now=NOW,
        weights=scoring.load_weights(),
        predictor=OverturnPredictor.load(),
    )

    assert scoring._write_scores(scored, now=NOW) == 0


# The overturn model.


def _close(appeal, outcome):
    Appeal.objects.filter(pk=appeal.pk).update(
        status=Status.CLOSED, outcome=outcome, decided_at=NOW
    )


@pytest.mark.django_db
def test_with_few_closed_appeals_the_model_falls_back_to_category_rates():
    for _ in range(4):
        _close(make_appeal(received_at=RECEIVED), Outcome.UPHELD)

    version = overturn_model_train(now=NOW)

    assert version.method == OverturnModel.Method.CATEGORY_RATE
    rate = version.category_rates[DenialCategory.PRIOR_AUTHORIZATION]
    # Four upheld cases pull the prior (0.85, worth ten cases) down.
    assert rate == pytest.approx(0.85 * 10 / 14, abs=1e-4)
    assert OverturnPredictor.load().predict(
        [{"denial_category": DenialCategory.PRIOR_AUTHORIZATION}]
    ) == [pytest.approx(rate)]


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_a_model_trained_on_enough_closed_appeals_is_stored_and_used():
    member = MemberFactory()
    for number in range(MIN_TRAINING_APPEALS):
        necessity = number % 2 == 0
        appeal = make_appeal(
            received_at=RECEIVED,
            member=member,
            line_of_business=LineOfBusiness.MEDICAID,
            denial=services.DenialFacts(
                reason_codes=["CO-50"] if necessity else ["CO-18"]
            ),
        )
        upheld = number % 10 == 0 if necessity else number % 10 != 1
        _close(appeal, Outcome.UPHELD if upheld else Outcome.OVERTURNED)

    version = overturn_model_train(now=NOW)
    open_case = make_appeal(
        received_at=RECEIVED,
        denial=services.DenialFacts(reason_codes=["CO-50"]),
    )
    duplicate = make_appeal(
        received_at=RECEIVED,
        denial=services.DenialFacts(reason_codes=["CO-18"]),
    )
    scoring.appeals_rescore_open()

    assert version.method == OverturnModel.Method.LOGISTIC
    assert version.trained_on == MIN_TRAINING_APPEALS
    assert version.metrics["auc"] > 0.8
    necessity_case = Appeal.objects.get(pk=open_case.pk).score_components
    duplicate_case = Appeal.objects.get(pk=duplicate.pk).score_components
    assert necessity_case["overturn_source"] == f"model v{version.pk}"
    assert necessity_case["overturn_probability"] > 0.6
    assert duplicate_case["overturn_probability"] < 0.4


@pytest.mark.django_db
def test_training_again_keeps_the_old_version_but_uses_the_new_one():
    first = overturn_model_train(now=NOW)
    second = overturn_model_train(now=NOW + timedelta(days=1))

    assert OverturnModel.objects.count() == 2
    assert OverturnPredictor.load().version == second
    assert not OverturnModel.objects.get(pk=first.pk).active


@pytest.mark.django_db
def test_the_training_command_reports_the_new_version(capsys):
    from django.core.management import call_command

    call_command("train_overturn_model")

    assert "trained on 0 closed appeals" in capsys.readouterr().out


# The supervisor's admin.

WEIGHTS_FORM = {
    "safety_margin_hours": "24",
    "expedited_safety_margin_hours": "8",
    "weight_expedited": "50",
    "weight_clinical_urgency": "25",
    "weight_vulnerability": "15",
    "weight_overturn": "20",
    "weight_financial": "10",
    "financial_cap": "50000",
}


@pytest.mark.django_db
def test_a_supervisor_changes_a_weight_in_the_admin(client, supervisor):
    client.force_login(supervisor)
    url = reverse("admin:appeals_scoringweights_change", args=[1])

    assert client.get(url).status_code == 200
    response = client.post(url, WEIGHTS_FORM)

    assert response.status_code == 302
    assert ScoringWeights.objects.get(pk=1).weight_expedited == 50
    assert scoring.load_weights().expedited == 50


@pytest.mark.django_db
def test_a_weight_past_the_cap_is_refused_with_a_clear_error(client, supervisor):
    client.force_login(supervisor)
    url = reverse("admin:appeals_scoringweights_change", args=[1])

    response = client.post(url, {**WEIGHTS_FORM, "weight_expedited": "5000"})

    assert response.status_code == 200
    assert "less than or equal to 1000" in response.content.decode()
    assert ScoringWeights.objects.get(pk=1).weight_expedited == 30


@pytest.mark.django_db
def test_a_service_category_needs_a_list_of_code_prefixes(client, supervisor):
    client.force_login(supervisor)
    row = ClinicalUrgency.objects.get(category="oncology-drugs")
    url = reverse("admin:appeals_clinicalurgency_change", args=[row.pk])

    response = client.post(
        url,
        {
            "category": row.category,
            "label": row.label,
            "urgency": "0.9",
            "code_prefixes": '"J9"',
        },
    )

    assert response.status_code == 200
    assert "Give a list of code prefixes" in response.content.decode()


@pytest.mark.django_db
def test_a_reviewer_cannot_change_the_weights(client, reviewer):
    client.force_login(reviewer)

    response = client.get(reverse("admin:appeals_scoringweights_change", args=[1]))

    assert response.status_code == 302
