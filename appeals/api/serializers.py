"""The request and response bodies of /api/v1/. Field names are a contract with the
integrations: change them only with a new API version."""

from datetime import UTC, date, datetime, timedelta

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework import serializers

from appeals import clocks
from appeals.api import validators
from appeals.choices import (
    Channel,
    DenialCategory,
    ExpediteRequester,
    Kind,
    LineOfBusiness,
    Priority,
    RequesterType,
)
from appeals.intake import split_name
from appeals.models import AppealDocument, Status

MAX_LIST = 50
# Integrations' clocks drift; a receipt stamped a little ahead of ours is not bad data.
CLOCK_SKEW = timedelta(minutes=5)
EARLIEST_RECEIPT = datetime(2000, 1, 1, tzinfo=UTC)
EARLIEST_BIRTH = date(1900, 1, 1)


class AwareDateTimeField(serializers.DateTimeField):
    """An ISO 8601 instant that must carry its offset and must not be in the future."""

    def to_internal_value(self, value):
        parsed = parse_datetime(value) if isinstance(value, str) else None
        if parsed is None:
            self.fail_with(
                "Give an ISO 8601 timestamp with offset: 2026-04-06T15:20:00-04:00.",
                "invalid",
            )
        if parsed.utcoffset() is None:
            self.fail_with(
                "The timestamp has no offset; add one, e.g. -04:00 or Z.", "no_offset"
            )
        parsed = parsed.astimezone(UTC)
        if parsed > timezone.now() + CLOCK_SKEW:
            self.fail_with("The timestamp is in the future.", "future")
        if parsed < EARLIEST_RECEIPT:
            self.fail_with("The timestamp is before 2000.", "too_early")
        return parsed

    def to_representation(self, value):
        return plan_time(value)

    def fail_with(self, message: str, code: str):
        raise serializers.ValidationError(message, code=code)


def plan_time(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(clocks.plan_zone()).isoformat()


class PlanDateTimeField(serializers.DateTimeField):
    """An instant shown in the plan's time zone, with its offset."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value):
        return plan_time(value)


class PastDateField(serializers.DateField):
    def to_internal_value(self, value):
        parsed = super().to_internal_value(value)
        if parsed > timezone.localdate():
            raise serializers.ValidationError("The date is in the future.", "future")
        if parsed < EARLIEST_BIRTH:
            raise serializers.ValidationError("The date is before 1900.", "too_early")
        return parsed


class CodeField(serializers.CharField):
    """A code compared upper case and without surrounding spaces."""

    def to_internal_value(self, data):
        return super().to_internal_value(data).upper()


def _code_list(validator, help_text: str):
    return serializers.ListField(
        child=CodeField(max_length=20, validators=[validator]),
        max_length=MAX_LIST,
        required=False,
        default=list,
        help_text=help_text,
    )


class RequesterSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=RequesterType.choices)
    name = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )
    npi = serializers.CharField(
        max_length=10,
        required=False,
        allow_blank=True,
        default="",
        validators=[validators.validate_npi],
    )
    authorized_at = AwareDateTimeField(
        required=False,
        allow_null=True,
        default=None,
        help_text="A representative's: when the signed authorization (e.g. "
        "CMS-1696) arrived. Audit universes report it.",
    )

    def validate(self, attrs):
        if attrs["authorized_at"] and attrs["type"] != RequesterType.REPRESENTATIVE:
            raise serializers.ValidationError(
                {"authorized_at": ["Only a representative's request has one."]}
            )
        return attrs


class MemberSerializer(serializers.Serializer):
    id = serializers.CharField(max_length=40, help_text="Plan member id or MBI.")
    name = serializers.CharField(
        max_length=101, help_text="'Last, First' or 'First Last'."
    )
    birth_date = PastDateField()
    state = CodeField(max_length=2, validators=[validators.validate_state])

    def validate_name(self, value):
        first, last = split_name(value)
        if not last:
            raise serializers.ValidationError("Give the member's last name.")
        if len(first) > 50 or len(last) > 50:
            raise serializers.ValidationError(
                "First and last names are 50 characters at most each."
            )
        return value


class ProviderSerializer(serializers.Serializer):
    npi = serializers.CharField(max_length=10, validators=[validators.validate_npi])
    name = serializers.CharField(max_length=200)
    specialty = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default=""
    )


class DenialSerializer(serializers.Serializer):
    notice_date = serializers.DateField(required=False, allow_null=True, default=None)
    reason_codes = _code_list(
        validators.validate_reason_code, "CARC with group: CO-50."
    )
    category = serializers.ChoiceField(
        choices=DenialCategory.choices, required=False, allow_blank=True, default=""
    )
    claim_number = serializers.CharField(
        max_length=50, required=False, allow_blank=True, default=""
    )
    authorization_number = serializers.CharField(
        max_length=50, required=False, allow_blank=True, default=""
    )
    service_codes = _code_list(validators.validate_service_code, "CPT/HCPCS codes.")
    diagnosis_codes = _code_list(validators.validate_diagnosis_code, "ICD-10-CM.")
    amount = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=0,
        required=False,
        allow_null=True,
        default=None,
    )
    decided_by = serializers.CharField(
        max_length=150, required=False, allow_blank=True, default=""
    )


class AppealCreateSerializer(serializers.Serializer):
    external_id = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        default="",
        help_text="Your own id; a second appeal with the same one is refused.",
    )
    line_of_business = serializers.ChoiceField(choices=LineOfBusiness.choices)
    kind = serializers.ChoiceField(choices=Kind.choices)
    priority = serializers.ChoiceField(
        choices=Priority.choices, required=False, default=Priority.STANDARD
    )
    expedite_requested_by = serializers.ChoiceField(
        choices=ExpediteRequester.choices,
        required=False,
        allow_null=True,
        default=None,
    )
    received_at = AwareDateTimeField(help_text="ISO 8601 with offset.")
    channel = serializers.ChoiceField(
        choices=Channel.choices, required=False, default=Channel.API
    )
    requester = RequesterSerializer()
    member = MemberSerializer()
    provider = ProviderSerializer(required=False, allow_null=True, default=None)
    denial = DenialSerializer(required=False)
    summary = serializers.CharField(
        max_length=10000, required=False, allow_blank=True, default=""
    )

    def validate(self, attrs):
        try:
            priority, _ = clocks.effective_priority(
                line_of_business=attrs["line_of_business"],
                kind=attrs["kind"],
                requested=attrs["priority"],
            )
            clocks.rule_for(
                line_of_business=attrs["line_of_business"],
                kind=attrs["kind"],
                priority=priority,
            )
        except clocks.InvalidCaseType as exc:
            field, _, message = str(exc).partition(": ")
            raise serializers.ValidationError({field: [message]}) from None

        denial = attrs.get("denial") or {}
        notice_date = denial.get("notice_date")
        if notice_date and notice_date > clocks.plan_day(attrs["received_at"]):
            raise serializers.ValidationError(
                {"denial": {"notice_date": ["The denial is dated after receipt."]}}
            )
        return attrs


class BatchRequestSerializer(serializers.Serializer):
    appeals = AppealCreateSerializer(many=True, help_text="1 to 1,000 appeals.")


class DeadlinesSerializer(serializers.Serializer):
    acknowledge_by = PlanDateTimeField(allow_null=True)
    decide_by = PlanDateTimeField()
    extended_decide_by = PlanDateTimeField(
        allow_null=True, help_text="Null where no extension is allowed."
    )
    effectuate_by = PlanDateTimeField(allow_null=True)
    forward_by = PlanDateTimeField(allow_null=True)


class AppealSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    case_number = serializers.CharField(read_only=True)
    external_id = serializers.CharField(read_only=True)
    status = serializers.ChoiceField(choices=Status.choices, read_only=True)
    line_of_business = serializers.CharField(read_only=True)
    kind = serializers.CharField(read_only=True)
    priority = serializers.CharField(read_only=True, help_text="The one in force.")
    expedite_decision = serializers.CharField(read_only=True)
    received_at = PlanDateTimeField()
    deadlines = DeadlinesSerializer(source="*", read_only=True)
    flags = serializers.ListField(child=serializers.CharField(), read_only=True)
    score = serializers.FloatField(read_only=True, allow_null=True)
    score_components = serializers.DictField(read_only=True)
    updated_at = PlanDateTimeField()


class TimelineEventSerializer(serializers.Serializer):
    at = PlanDateTimeField()
    kind = serializers.CharField()
    actor = serializers.CharField(source="actor_label")
    transition = serializers.CharField()
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    reason = serializers.CharField()


class DocumentSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    kind = serializers.CharField(read_only=True)
    title = serializers.CharField(read_only=True)
    content_type = serializers.CharField(read_only=True)
    size_bytes = serializers.IntegerField(read_only=True)
    sha256 = serializers.CharField(read_only=True)
    uploaded_at = PlanDateTimeField()


class AppealDetailSerializer(AppealSerializer):
    timeline = TimelineEventSerializer(many=True, read_only=True)
    documents = DocumentSerializer(many=True, read_only=True)


class DocumentUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    kind = serializers.ChoiceField(
        choices=AppealDocument.DocumentKind.choices,
        required=False,
        default=AppealDocument.DocumentKind.OTHER,
    )


class WithdrawSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, help_text="The requester's words.")


class BatchResultSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    result = serializers.ChoiceField(choices=["created", "duplicate", "error"])
    appeal = AppealSerializer(required=False)
    errors = serializers.ListField(child=serializers.DictField(), required=False)


class BatchResponseSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    errors = serializers.IntegerField()
    results = BatchResultSerializer(many=True)
