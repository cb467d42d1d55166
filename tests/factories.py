from datetime import UTC, date, datetime

import factory

from appeals import services
from appeals.choices import Channel, Kind, LineOfBusiness, RequesterType
from appeals.models import Member, Provider


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Member

    member_id = factory.Sequence(lambda n: f"1EG4TE5MK{n:02d}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    birth_date = date(1950, 5, 17)
    state = "FL"


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Provider

    npi = factory.Sequence(lambda n: f"{1000000000 + n}")
    name = factory.Faker("company")
    specialty = "cardiology"


def make_appeal(
    *,
    line_of_business=LineOfBusiness.MEDICARE_ADVANTAGE,
    kind=Kind.PRE_SERVICE,
    received_at=datetime(2026, 4, 6, 19, 20, tzinfo=UTC),
    denial=None,
    by="test-intake",
    **overrides,
):
    """An appeal made the way production makes one: through the intake service."""
    return services.appeal_create(
        by=by,
        member=overrides.pop("member", None) or MemberFactory(),
        provider=overrides.pop("provider", None) or ProviderFactory(),
        line_of_business=line_of_business,
        kind=kind,
        received_at=received_at,
        channel=overrides.pop("channel", Channel.PORTAL),
        requester_type=overrides.pop("requester_type", RequesterType.PROVIDER),
        denial=denial or services.DenialFacts(reason_codes=["CO-197"]),
        now=overrides.pop("now", received_at),
        **overrides,
    )
