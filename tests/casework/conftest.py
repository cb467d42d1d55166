import importlib

import pytest
from django.apps import apps

from appeals.choices import LineOfBusiness
from casework.models import Discipline, ProtocolTemplate, ReviewerProfile

ALL_LINES = list(LineOfBusiness.values)


def give_profile(user, **values) -> ReviewerProfile:
    defaults = {
        "discipline": Discipline.ADMINISTRATIVE,
        "lines_of_business": ALL_LINES,
        "licensed_states": ["FL"],
        "max_open_cases": 25,
    }
    return ReviewerProfile.objects.create(user=user, **{**defaults, **values})


@pytest.fixture
def rita(reviewer):
    give_profile(reviewer)
    return reviewer


@pytest.fixture
def nora(nurse):
    give_profile(nurse, discipline=Discipline.CLINICAL)
    return nurse


@pytest.fixture
def dr_patel(physician):
    give_profile(
        physician,
        discipline=Discipline.CLINICAL,
        specialties=["orthopedics"],
        npi="1730111111",
    )
    return physician


@pytest.fixture
def default_protocols():
    """The shipped protocols. A transactional test's database was flushed by the one
    before it, which takes the data migration's rows with it, so load them again."""
    if not ProtocolTemplate.objects.exists():
        migration = importlib.import_module(
            "casework.migrations.0002_default_protocols"
        )
        migration.add_protocols(apps, None)
    return ProtocolTemplate.objects.all()
