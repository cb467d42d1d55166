import csv
import io
from datetime import date

import pytest
import time_machine

from appeals import services
from appeals.choices import Outcome
from casework.services import case_protocol_start
from casework.supervision import analytics
from tests.casework.supervision.helpers import decide, utc
from tests.factories import MemberFactory, ProviderFactory, make_appeal

pytestmark = pytest.mark.django_db

FEBRUARY = {"start": date(2026, 2, 1), "end": date(2026, 2, 28)}


def _denial(codes, services_, by="uma.denier", claim=""):
    return services.DenialFacts(
        reason_codes=codes, service_codes=services_, decided_by=by, claim_number=claim
    )


def _asked_then_decided(appeal, *, by, what, outcome, at):
    services.appeal_accept(appeal=appeal, by=by, now=at)
    for item in what:
        services.appeal_request_info(appeal=appeal, by=by, what=item, now=at)
        services.appeal_info_received(appeal=appeal, by=by, now=at)
    services.appeal_decide(
        appeal=appeal, by=by, outcome=outcome, rationale="Reviewed.", now=at
    )
    return appeal


@pytest.fixture
def committee_data(physician):
    """Provider A's therapy denials keep being overturned; provider B's are upheld."""
    a = ProviderFactory(npi="1111111111", name="Alpha Therapy")
    b = ProviderFactory(npi="2222222222", name="Beta Sleep")
    therapy = ["CO-197"], ["97110"]
    cases = {
        "a_jan": make_appeal(
            provider=a, received_at=utc(2026, 1, 2, 15), denial=_denial(*therapy)
        ),
        "a_feb1": make_appeal(
            provider=a,
            received_at=utc(2026, 1, 20, 15),
            denial=_denial(*therapy, claim="CLM-1"),
        ),
        "a_feb2": make_appeal(
            provider=a, received_at=utc(2026, 2, 2, 15), denial=_denial(*therapy)
        ),
        "a_feb3": make_appeal(
            provider=a, received_at=utc(2026, 2, 3, 15), denial=_denial(*therapy)
        ),
        "a_upheld": make_appeal(
            provider=a, received_at=utc(2026, 2, 4, 15), denial=_denial(*therapy)
        ),
        "b_feb": make_appeal(
            provider=b,
            received_at=utc(2026, 2, 4, 15),
            denial=_denial(["CO-50", "CO-16"], ["E0601", "97110"], by="vic.denier"),
        ),
    }
    decide(cases["a_jan"], by=physician, at=utc(2026, 1, 10))
    _asked_then_decided(
        cases["a_feb1"],
        by=physician,
        what=["Operative report", "Therapy  plan of care"],
        outcome=Outcome.OVERTURNED,
        at=utc(2026, 2, 3),
    )
    _asked_then_decided(
        cases["a_feb2"],
        by=physician,
        what=["Operative report"],
        outcome=Outcome.PARTIALLY_OVERTURNED,
        at=utc(2026, 2, 10),
    )
    decide(cases["a_feb3"], by=physician, at=utc(2026, 2, 17))
    decide(cases["a_upheld"], by=physician, outcome=Outcome.UPHELD, at=utc(2026, 2, 18))
    decide(cases["b_feb"], by=physician, outcome=Outcome.UPHELD, at=utc(2026, 2, 19))
    make_appeal(provider=b, received_at=utc(2026, 2, 20, 15))  # open: not counted
    return cases


def _rates(rows):
    return {row.value: (row.overturned, row.decided) for row in rows}


def test_overturn_rates_by_each_dimension_count_decisions_in_the_period(
    committee_data,
):
    def rates(dimension):
        return _rates(analytics.overturn_rates(dimension=dimension, **FEBRUARY))

    assert rates("denial_category") == {
        "prior_authorization": (3, 4),
        "medical_necessity": (0, 1),
    }
    assert rates("reason_code") == {"CO-197": (3, 4), "CO-50": (0, 1), "CO-16": (0, 1)}
    assert rates("service_code") == {"97110": (3, 5), "E0601": (0, 1)}
    assert rates("provider") == {"1111111111": (3, 4), "2222222222": (0, 1)}
    assert rates("denial_decided_by") == {"uma.denier": (3, 4), "vic.denier": (0, 1)}


def test_overturn_rates_by_protocol_version_read_the_case_protocol(committee_data):
    protocol = case_protocol_start(appeal=committee_data["a_feb3"])

    rows = analytics.overturn_rates(dimension="protocol_version", **FEBRUARY)

    label = f"{protocol.template.name} v{protocol.template_version}"
    assert _rates(rows) == {label: (1, 1), "unrecorded": (2, 4)}


def test_the_trend_splits_a_value_by_month(committee_data):
    [row] = [
        row
        for row in analytics.overturn_rates(
            dimension="provider", start=date(2026, 1, 1), end=date(2026, 2, 28)
        )
        if row.value == "1111111111"
    ]

    assert row.label == "Alpha Therapy (1111111111)"
    assert row.trend(["2026-01", "2026-02"]) == [
        ("2026-01", 1, 1, "100%"),
        ("2026-02", 4, 3, "75%"),
    ]


def test_repeat_denials_flag_pairs_overturned_k_times_in_ninety_days(committee_data):
    now = utc(2026, 4, 10)  # 90 days back reaches 2026-01-10 00:00 exactly

    flagged = analytics.repeat_denials(now=now, k=3)

    assert [(p.kind, p.first, p.second, p.overturns) for p in flagged] == [
        ("decider_category", "uma.denier", "prior_authorization", 3),
        ("provider_service", "1111111111", "97110", 3),
    ]
    assert analytics.repeat_denials(now=now, k=4) == []
    earlier = analytics.repeat_denials(now=utc(2026, 4, 9), k=4)
    assert [(p.first, p.overturns) for p in earlier] == [
        ("uma.denier", 4),
        ("1111111111", 4),
    ]


def test_the_denial_trend_compares_each_category_with_the_month_before(
    committee_data,
):
    rows = {row.category: row for row in analytics.denial_trend("2026-02")}

    # Received in February: three of provider A's and the open one (CO-197).
    prior = rows["prior_authorization"]
    assert (prior.received, prior.decided, prior.overturned) == (4, 4, 3)
    assert prior.overturn_rate == 0.75
    assert prior.previous_rate == 1.0
    assert prior.change_text == "-25 pts"
    assert set(rows) == {"prior_authorization", "medical_necessity"}


def test_the_denial_trend_csv_holds_the_same_figures(supervisor_client, committee_data):
    response = supervisor_client.get(
        "/supervisor/denial-trend.csv", {"month": "2026-02"}
    )

    assert response.status_code == 200
    assert 'filename="denial-trend-2026-02.csv"' in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert rows == [
        {
            "month": "2026-02",
            "denial_category": "medical_necessity",
            "received": "1",
            "decided": "1",
            "overturned": "0",
            "overturn_rate": "0.0000",
            "previous_month_overturn_rate": "",
            "change": "",
        },
        {
            "month": "2026-02",
            "denial_category": "prior_authorization",
            "received": "4",
            "decided": "4",
            "overturned": "3",
            "overturn_rate": "0.7500",
            "previous_month_overturn_rate": "1.0000",
            "change": "-0.2500",
        },
    ]


def test_the_denial_trend_refuses_a_malformed_month(supervisor_client):
    page = supervisor_client.get("/supervisor/denial-trend", {"month": "2026-13"})
    download = supervisor_client.get("/supervisor/denial-trend.csv", {"month": "feb"})

    assert page.status_code == 400
    assert b"Give a month like 2026-03." in page.content
    assert download.status_code == 400


def test_provider_feedback_lists_the_documentation_asked_for_and_no_member(
    supervisor_client, committee_data
):
    member = committee_data["a_feb1"].member

    response = supervisor_client.get(
        "/supervisor/providers/1111111111/feedback",
        {"start": "2026-02-01", "end": "2026-02-28", "format": "text"},
    )

    text = response.content.decode()
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert "Decided: 4" in text
    assert "Overturned in whole or part: 3" in text
    assert "Upheld: 1" in text
    assert "  - Operative report (2 appeals)" in text
    assert "  - Therapy plan of care (1 appeal)" in text
    assert "CLM-1" in text
    assert member.last_name not in text
    assert member.member_id not in text


def test_provider_feedback_for_an_unknown_provider_is_not_found(supervisor_client):
    response = supervisor_client.get("/supervisor/providers/9999999999/feedback")

    assert response.status_code == 404


@time_machine.travel(utc(2026, 3, 1, 12), tick=False)
def test_the_outcomes_page_shows_rates_trend_repeats_and_a_chart(
    supervisor_client, committee_data
):
    response = supervisor_client.get(
        "/supervisor/outcomes",
        {"dimension": "service_code", "start": "2026-01-01", "end": "2026-02-28"},
    )

    text = response.content.decode()
    assert response.status_code == 200
    row = text.split('data-value="97110"')[1].split("</tr>")[0]
    assert [cell.split(">")[-1] for cell in row.split("</td>")[1:6]] == [
        "6",
        "4",
        "67%",
        "100%",
        "60%",
    ]
    assert "Decision-maker uma.denier, prior_authorization" in text
    assert "Overturn rate by denial category" in text


def test_the_outcomes_page_refuses_an_unknown_dimension(supervisor_client):
    response = supervisor_client.get("/supervisor/outcomes", {"dimension": "zodiac"})

    assert response.status_code == 400
    assert b"Select a valid choice" in response.content


def test_members_are_never_named_on_the_outcomes_page(supervisor_client, physician):
    member = MemberFactory(last_name="Zebulon")
    appeal = make_appeal(member=member, received_at=utc(2026, 2, 2, 15))
    decide(appeal, by=physician, at=utc(2026, 2, 10))

    response = supervisor_client.get(
        "/supervisor/outcomes", {"start": "2026-02-01", "end": "2026-02-28"}
    )

    assert b"Zebulon" not in response.content


def test_by_provider_each_row_links_to_that_providers_feedback_letter(
    supervisor_client, committee_data
):
    response = supervisor_client.get(
        "/supervisor/outcomes",
        {"dimension": "provider", "start": "2026-02-01", "end": "2026-02-28"},
    )

    assert (
        'href="/supervisor/providers/1111111111/feedback?start=2026-02-01&amp;'
        'end=2026-02-28">Alpha Therapy (1111111111)</a>'
    ) in response.content.decode()
