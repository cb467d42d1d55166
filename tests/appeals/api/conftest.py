import copy
from datetime import UTC, datetime

import pytest
import time_machine
from rest_framework.test import APIClient

from appeals import intake

# Monday 6 April 2026, 15:20 in New York.
NOW = datetime(2026, 4, 6, 19, 20, tzinfo=UTC)

# A valid NPI (passes the Luhn check with the 80840 prefix) and a second one.
NPI = "1234567893"
OTHER_NPI = "1245319599"

APPEAL = {
    "external_id": "CLM-1001",
    "line_of_business": "medicare_advantage",
    "kind": "pre_service",
    "priority": "standard",
    "expedite_requested_by": None,
    "received_at": "2026-04-06T10:05:00-04:00",
    "channel": "portal",
    "requester": {"type": "provider", "name": "Dr. Ana Lima", "npi": NPI},
    "member": {
        "id": "1EG4TE5MK73",
        "name": "Rivera, Maria",
        "birth_date": "1951-02-03",
        "state": "FL",
    },
    "provider": {"npi": NPI, "name": "Lima Cardiology", "specialty": "cardiology"},
    "denial": {
        "notice_date": "2026-03-20",
        "reason_codes": ["CO-50"],
        "category": "medical_necessity",
        "claim_number": "C-778812",
        "authorization_number": "",
        "service_codes": ["93458", "J1100"],
        "diagnosis_codes": ["I25.10", "E11.65"],
        "amount": "1830.50",
        "decided_by": "dr.original",
    },
    "summary": "Cardiac catheterization denied as not medically necessary.",
}


@pytest.fixture
def now():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def payload():
    def make(**changes):
        body = copy.deepcopy(APPEAL)
        for path, value in changes.items():
            target = body
            *parents, leaf = path.split("__")
            for parent in parents:
                target = target[parent]
            if value is ...:
                target.pop(leaf, None)
            else:
                target[leaf] = value
        return body

    return make


@pytest.fixture
def integration_and_key(db):
    return intake.integration_create(name="claims-system")


@pytest.fixture
def integration(integration_and_key):
    return integration_and_key[0]


def _client(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


@pytest.fixture
def api(integration_and_key):
    return _client(integration_and_key[1])


@pytest.fixture
def other_api(db):
    _, key = intake.integration_create(name="provider-portal")
    return _client(key)


@pytest.fixture
def post_appeal(api, payload, now):
    def post(client=None, headers=None, **changes):
        return (client or api).post(
            "/api/v1/appeals/", payload(**changes), format="json", headers=headers
        )

    return post
