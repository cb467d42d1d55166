"""/api/v1/ for integrations. Views check the request and call appeals.intake or
appeals.services; every refusal becomes a problem-details body (problems.py)."""

import uuid
from datetime import UTC

import django_filters
from django.db.models import Prefetch
from django.urls import reverse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, mixins
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from appeals import documents, intake, services
from appeals.api import serializers as api
from appeals.api.authentication import BearerKeyAuthentication
from appeals.api.permissions import IsIntegration
from appeals.api.problems import (
    PayloadTooLarge,
    ProblemSerializer,
    flatten_errors,
    problem_exception_handler,
)
from appeals.api.throttling import IntegrationRateThrottle
from appeals.choices import LineOfBusiness
from appeals.models import Appeal, Status, TimelineEvent

KIB = 1024
NO_SUCH_APPEAL = "There is no such appeal for this key."
MAX_BATCH = 1000

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    description="Retries with the same key and body get the first answer again.",
)
ERRORS = dict.fromkeys((400, 401, 404, 409, 413, 415, 429), ProblemSerializer)


class IntegrationView(generics.GenericAPIView):
    authentication_classes = [BearerKeyAuthentication]
    permission_classes = [IsIntegration]
    throttle_classes = [IntegrationRateThrottle]
    parser_classes = [JSONParser]
    max_body_bytes = 64 * KIB

    def get_exception_handler(self):
        return problem_exception_handler

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > self.max_body_bytes:
            raise PayloadTooLarge(
                f"The body is {length} bytes; this endpoint takes at most "
                f"{self.max_body_bytes}."
            )

    @property
    def integration(self):
        return self.request.auth

    def get_queryset(self):
        return Appeal.objects.filter(integration=self.integration)

    def get_appeal(self, queryset=None) -> Appeal:
        """The appeal named in the URL if this integration posted it: another
        integration's appeal is as absent as one that does not exist."""
        try:
            public_id = uuid.UUID(self.kwargs["appeal_id"])
        except ValueError:
            raise NotFound(NO_SUCH_APPEAL) from None
        if queryset is None:
            queryset = self.get_queryset()
        appeal = queryset.filter(public_id=public_id).first()
        if appeal is None:
            raise NotFound(NO_SUCH_APPEAL)
        return appeal

    def idempotency_key(self) -> str | None:
        key = self.request.headers.get("Idempotency-Key")
        if key is not None and not (0 < len(key) <= 255 and key.isprintable()):
            raise ValidationError(
                {"Idempotency-Key": ["Use 1 to 255 printable characters."]}
            )
        return key

    def run_once(self, action, payload) -> Response:
        answer = intake.idempotent(
            integration=self.integration,
            key=self.idempotency_key(),
            fingerprint=intake.request_fingerprint(
                method=self.request.method, path=self.request.path, payload=payload
            ),
            action=action,
        )
        headers = {"Idempotent-Replayed": "true"} if answer.replayed else {}
        return Response(answer.body, status=answer.status, headers=headers)


class AppealFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Status.choices)
    line_of_business = django_filters.ChoiceFilter(choices=LineOfBusiness.choices)
    updated_since = django_filters.IsoDateTimeFilter(method="filter_updated_since")

    class Meta:
        model = Appeal
        fields = ["status", "line_of_business", "updated_since"]

    def filter_updated_since(self, queryset, name, value):
        # In UTC: Python accepts offsets up to 24 hours, PostgreSQL only up to 15:59.
        return queryset.filter(updated_at__gte=value.astimezone(UTC))


class UpdatedCursor(CursorPagination):
    # Oldest change first, so that a caller syncing with updated_since pages forward.
    ordering = ("updated_at", "id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class AppealListCreateView(mixins.ListModelMixin, IntegrationView):
    serializer_class = api.AppealSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = AppealFilter
    pagination_class = UpdatedCursor

    @extend_schema(
        operation_id="appeals_list", summary="List the appeals this integration posted"
    )
    def get(self, request):
        return self.list(request)

    @extend_schema(
        operation_id="appeals_create",
        summary="Post an appeal",
        request=api.AppealCreateSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: api.AppealSerializer, **ERRORS},
    )
    def post(self, request):
        serializer = api.AppealCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)

        def create():
            appeal = intake.appeal_intake(
                integration=self.integration, data=serializer.validated_data
            )
            return 201, api.AppealSerializer(appeal).data

        response = self.run_once(create, request.data)
        response["Location"] = reverse("api-appeal-detail", args=[response.data["id"]])
        return response


class AppealDetailView(IntegrationView):
    serializer_class = api.AppealDetailSerializer

    @extend_schema(
        operation_id="appeals_retrieve",
        summary="One appeal with its deadlines and timeline",
        responses={200: api.AppealDetailSerializer, **ERRORS},
    )
    def get(self, request, appeal_id):
        appeal = self.get_appeal(
            self.get_queryset().prefetch_related(
                Prefetch("timeline", TimelineEvent.objects.order_by("at", "id")),
                "documents",
            )
        )
        return Response(api.AppealDetailSerializer(appeal).data)


class AppealBatchView(IntegrationView):
    serializer_class = api.BatchResponseSerializer
    max_body_bytes = 4 * KIB * KIB

    @extend_schema(
        operation_id="appeals_batch_create",
        summary="Post up to 1,000 appeals; each item is answered on its own",
        request=api.BatchRequestSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={200: api.BatchResponseSerializer, **ERRORS},
    )
    def post(self, request):
        raw_items = (
            request.data.get("appeals") if isinstance(request.data, dict) else None
        )
        if not isinstance(raw_items, list) or not 0 < len(raw_items) <= MAX_BATCH:
            raise ValidationError(
                {"appeals": [f"Send a list of 1 to {MAX_BATCH} appeals."]}
            )
        items = []
        for index, raw in enumerate(raw_items):
            serializer = api.AppealCreateSerializer(data=raw)
            if serializer.is_valid():
                items.append(intake.BatchItem(index, data=serializer.validated_data))
            else:
                errors = flatten_errors(serializer.errors)
                items.append(intake.BatchItem(index, errors=errors))

        def create():
            results = intake.appeal_intake_batch(
                integration=self.integration, items=items
            )
            return 200, _batch_body(results)

        return self.run_once(create, request.data)


def _batch_body(results: list[intake.BatchResult]) -> dict:
    body = {"created": 0, "duplicates": 0, "errors": 0, "results": []}
    for result in results:
        entry = {"index": result.index, "result": result.result}
        if result.appeal is not None:
            entry["appeal"] = api.AppealSerializer(result.appeal).data
        if result.errors is not None:
            entry["errors"] = result.errors
        body["results"].append(entry)
        body[
            {"created": "created", "duplicate": "duplicates"}.get(
                result.result, "errors"
            )
        ] += 1
    return body


class AppealDocumentView(IntegrationView):
    serializer_class = api.DocumentSerializer
    parser_classes = [MultiPartParser, FormParser]
    # The file and the few form fields around it.
    max_body_bytes = documents.MAX_DOCUMENT_BYTES + 64 * KIB

    @extend_schema(
        operation_id="appeals_documents_create",
        summary="Attach a document (PDF, TIFF, PNG, JPEG or plain text)",
        request={"multipart/form-data": api.DocumentUploadSerializer},
        parameters=[IDEMPOTENCY_KEY],
        responses={201: api.DocumentSerializer, **ERRORS},
    )
    def post(self, request, appeal_id):
        appeal = self.get_appeal()
        serializer = api.DocumentUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        content_type = _checked_content_type(upload)
        title = serializer.validated_data.get("title") or upload.name[:200]
        kind = serializer.validated_data["kind"]

        def attach():
            document = intake.document_attach(
                appeal=appeal,
                by=self.integration.actor_label,
                upload=upload,
                title=title,
                kind=kind,
                content_type=content_type,
            )
            return 201, api.DocumentSerializer(document).data

        payload = {
            "title": title,
            "kind": kind,
            "size": upload.size,
            "sha256": intake.file_digest(upload),
        }
        return self.run_once(attach, payload)


def _checked_content_type(upload) -> str:
    try:
        return documents.checked_content_type(upload)
    except documents.DocumentRefused as refused:
        raise ValidationError({"file": [str(refused)]}) from None


class AppealWithdrawView(IntegrationView):
    serializer_class = api.AppealSerializer

    @extend_schema(
        operation_id="appeals_withdraw",
        summary="Record the requester's withdrawal",
        request=api.WithdrawSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={200: api.AppealSerializer, **ERRORS},
    )
    def post(self, request, appeal_id):
        appeal = self.get_appeal()
        serializer = api.WithdrawSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)

        def withdraw():
            withdrawn = services.appeal_withdraw(
                appeal=appeal,
                by=self.integration.actor_label,
                reason=serializer.validated_data["reason"],
            )
            return 200, api.AppealSerializer(withdrawn).data

        return self.run_once(withdraw, request.data)
