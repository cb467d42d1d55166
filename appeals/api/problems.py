"""Errors as RFC 9457 problem details: one shape for every refusal the API gives."""

import logging

from django.http import Http404
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from appeals import clocks, intake, services

logger = logging.getLogger(__name__)

PROBLEM_TYPE = "urn:appeals-desk:problem:"
CONTENT_TYPE = "application/problem+json"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


class ProblemSerializer(serializers.Serializer):
    """For the OpenAPI schema: what every error response looks like."""

    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    instance = serializers.CharField()
    errors = serializers.ListField(
        child=serializers.DictField(), required=False, help_text="Each bad field."
    )
    reasons = serializers.ListField(child=serializers.CharField(), required=False)
    appeal = serializers.DictField(required=False)


def _join(prefix: str, name) -> str:
    if isinstance(name, int):
        return f"{prefix}[{name}]"
    if name == "non_field_errors":
        return prefix
    return f"{prefix}.{name}" if prefix else str(name)


def flatten_errors(detail, prefix: str = "") -> list[dict]:
    """DRF's nested error detail as a flat list of {field, detail, code}, with paths
    like `denial.service_codes[1]`."""
    if isinstance(detail, dict):
        return [
            error
            for name, value in detail.items()
            for error in flatten_errors(value, _join(prefix, name))
        ]
    if isinstance(detail, list):
        if all(isinstance(item, str) for item in detail):
            return [
                {
                    "field": prefix or None,
                    "detail": str(item),
                    "code": getattr(item, "code", "invalid"),
                }
                for item in detail
            ]
        return [
            error
            for index, value in enumerate(detail)
            if value
            for error in flatten_errors(value, _join(prefix, index))
        ]
    return [
        {
            "field": prefix or None,
            "detail": str(detail),
            "code": getattr(detail, "code", "invalid"),
        }
    ]


def problem(
    request, *, status_code: int, slug: str, title: str, detail: str, **extra
) -> Response:
    body = {
        "type": PROBLEM_TYPE + slug,
        "title": title,
        "status": status_code,
        "detail": detail,
        "instance": request.path if request is not None else "",
        **extra,
    }
    return Response(body, status=status_code, content_type=CONTENT_TYPE)


def _appeal_ref(appeal) -> dict:
    return {"id": str(appeal.public_id), "case_number": appeal.case_number}


def problem_exception_handler(exc, context):
    request = context.get("request")

    if isinstance(exc, exceptions.ValidationError):
        errors = flatten_errors(exc.detail)
        fields = ", ".join(sorted({e["field"] for e in errors if e["field"]}))
        return problem(
            request,
            status_code=400,
            slug="validation",
            title="The request is not valid.",
            detail=f"Check these fields: {fields}." if fields else errors[0]["detail"],
            errors=errors,
        )
    if isinstance(exc, clocks.InvalidCaseType):
        field, _, message = str(exc).partition(": ")
        return problem(
            request,
            status_code=400,
            slug="validation",
            title="The request is not valid.",
            detail=message,
            errors=[{"field": field, "detail": message, "code": "invalid"}],
        )
    if isinstance(exc, intake.DuplicateExternalId):
        return problem(
            request,
            status_code=409,
            slug="duplicate-external-id",
            title="This external_id was already sent.",
            detail=(
                f"external_id {exc.appeal.external_id!r} is appeal "
                f"{exc.appeal.case_number}; no second appeal was made."
            ),
            appeal=_appeal_ref(exc.appeal),
        )
    if isinstance(exc, intake.IdempotencyKeyReused):
        return problem(
            request,
            status_code=409,
            slug="idempotency-key-reused",
            title="This Idempotency-Key was used for a different request.",
            detail="Send a new key for a new request, or resend the same body.",
        )
    if isinstance(exc, services.TransitionRefused):
        return problem(
            request,
            status_code=409,
            slug="refused",
            title=f"{exc.transition.replace('_', ' ').capitalize()} is refused.",
            detail=" ".join(exc.reasons),
            reasons=exc.reasons,
        )
    if isinstance(exc, services.AppealConflict):
        return problem(
            request,
            status_code=409,
            slug="conflict",
            title="Someone else changed the appeal first.",
            detail=str(exc),
        )
    if isinstance(exc, Http404 | exceptions.NotFound):
        detail = getattr(exc, "detail", "") or "Not found."
        return problem(
            request,
            status_code=404,
            slug="not-found",
            title="Not found.",
            detail=detail,
        )

    response = exception_handler(exc, context)
    if response is None:
        return None
    detail = response.data.get("detail", "") if isinstance(response.data, dict) else ""
    body = problem(
        request,
        status_code=response.status_code,
        slug=getattr(exc, "default_code", "error").replace("_", "-"),
        title=str(getattr(exc, "default_detail", "Error.")),
        detail=str(detail),
    )
    for header in ("WWW-Authenticate", "Retry-After", "Allow"):
        if header in response:
            body[header] = response[header]
    return body
