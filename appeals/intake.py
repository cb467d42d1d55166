"""Intake of appeals posted by integrations: keys, idempotency, upserts, documents.

The REST API validates a request and hands the clean data here. Appeals are still made
only by services.appeal_create, which owns clocks, flags and the timeline.
"""

import hashlib
import json
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from appeals import services
from appeals.choices import Flag
from appeals.models import (
    Appeal,
    AppealDocument,
    IdempotencyRecord,
    Integration,
    Member,
    Provider,
    TimelineEvent,
)
from appeals.models.appeal import FINAL_STATUSES
from appeals.models.integration import key_digest

logger = logging.getLogger(__name__)

KEY_PREFIX = "apd_"
# Two appeals from one member on one claim within this window are probably the same
# appeal sent twice (by fax and by the portal, say); a person checks.
DUPLICATE_WINDOW = timedelta(days=90)


class DuplicateExternalId(Exception):
    def __init__(self, appeal: Appeal):
        self.appeal = appeal
        super().__init__(f"external_id already used by {appeal.case_number}")


class IdempotencyKeyReused(Exception):
    """The key was used before for a request with a different body."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict
    replayed: bool = False


# Keys ----------------------------------------------------------------------------


@transaction.atomic
def integration_create(*, name: str) -> tuple[Integration, str]:
    """Returns the integration and its key; only the key's digest is stored."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    integration = Integration.objects.create(
        name=name, key_prefix=key[:12], key_hash=key_digest(key)
    )

    logger.info("Integration %s created", integration.pk)
    return integration, key


def integration_revoke(*, integration: Integration, now: datetime | None = None):
    updated = Integration.objects.filter(
        pk=integration.pk, revoked_at__isnull=True
    ).update(revoked_at=now or timezone.now())
    integration.refresh_from_db(fields=["revoked_at"])

    if updated:
        logger.info("Integration %s revoked", integration.pk)
    return integration


def integration_for_key(key: str) -> Integration | None:
    """The active integration holding this key, or None."""
    integration = Integration.objects.filter(key_hash=key_digest(key)).first()
    if integration is None or not integration.is_active:
        return None
    return integration


# Idempotency ---------------------------------------------------------------------


def request_fingerprint(*, method: str, path: str, payload) -> str:
    canonical = json.dumps(
        [method, path, payload], sort_keys=True, separators=(",", ":"), default=str
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


@transaction.atomic
def idempotent(
    *,
    integration: Integration,
    key: str | None,
    fingerprint: str,
    action: Callable[[], tuple[int, dict]],
) -> Answer:
    """Run `action` once per (integration, key) and replay its answer to retries.

    The record is inserted before the action in the same transaction: a concurrent
    retry blocks on the unique index until the first commits, then reads its answer.
    If the action fails, the record goes with it and a retry runs afresh."""
    if not key:
        status, body = action()
        return Answer(status, body)

    record_id = _claim_key(integration, key, fingerprint)
    if record_id is None:
        record = IdempotencyRecord.objects.get(integration=integration, key=key)
        if record.request_hash != fingerprint:
            raise IdempotencyKeyReused(key)
        return Answer(record.response_status, record.response_body, replayed=True)

    status, body = action()
    IdempotencyRecord.objects.filter(pk=record_id).update(
        response_status=status, response_body=body
    )
    return Answer(status, body)


def _claim_key(integration: Integration, key: str, fingerprint: str) -> int | None:
    """Insert the record, or return None if the key is taken. ON CONFLICT DO NOTHING
    waits for a concurrent insert of the key to commit, like a unique violation
    would, without the savepoint that recovering from the violation needs."""
    table = connection.ops.quote_name(IdempotencyRecord._meta.db_table)
    key_column = connection.ops.quote_name("key")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (integration_id, {key_column}, request_hash, "
            "created_at) VALUES (%s, %s, %s, %s) "
            f"ON CONFLICT (integration_id, {key_column}) DO NOTHING RETURNING id",
            [integration.pk, key, fingerprint, timezone.now()],
        )
        row = cursor.fetchone()
    return row[0] if row else None


# Appeals -------------------------------------------------------------------------


def split_name(name: str) -> tuple[str, str]:
    """("Last, First") or ("First Middle Last") into (first, last)."""
    name = " ".join(name.split())
    if "," in name:
        last, _, first = name.partition(",")
        return first.strip(), last.strip()
    first, _, last = name.rpartition(" ")
    return first, last


# One INSERT ... ON CONFLICT DO UPDATE each: the latest submission describes the
# member and the provider, and a single statement needs no savepoint to survive a
# concurrent insert of the same one.
def _member_upsert(data: dict) -> Member:
    first_name, last_name = split_name(data["name"])
    member = Member(
        member_id=data["id"],
        first_name=first_name,
        last_name=last_name,
        birth_date=data["birth_date"],
        state=data["state"],
    )
    Member.objects.bulk_create(
        [member],
        update_conflicts=True,
        unique_fields=["member_id"],
        update_fields=["first_name", "last_name", "birth_date", "state"],
    )
    return member


def _provider_upsert(data: dict | None) -> Provider | None:
    if not data:
        return None
    provider = Provider(
        npi=data["npi"], name=data["name"], specialty=data.get("specialty", "")
    )
    Provider.objects.bulk_create(
        [provider],
        update_conflicts=True,
        unique_fields=["npi"],
        update_fields=["name", "specialty"],
    )
    return provider


def _possible_duplicate(member: Member, denial: dict, received_at: datetime) -> bool:
    same_denial = Q()
    if denial.get("claim_number"):
        same_denial |= Q(denial_claim_number=denial["claim_number"])
    if denial.get("authorization_number"):
        same_denial |= Q(denial_authorization_number=denial["authorization_number"])
    if not same_denial:
        return False
    return (
        Appeal.objects.filter(
            same_denial,
            member=member,
            received_at__gte=received_at - DUPLICATE_WINDOW,
            received_at__lte=received_at + DUPLICATE_WINDOW,
        )
        .exclude(status__in=FINAL_STATUSES)
        .exists()
    )


def _denial_facts(denial: dict) -> services.DenialFacts:
    return services.DenialFacts(
        notice_date=denial.get("notice_date"),
        reason_codes=denial.get("reason_codes", []),
        category=denial.get("category", ""),
        claim_number=denial.get("claim_number", ""),
        authorization_number=denial.get("authorization_number", ""),
        service_codes=denial.get("service_codes", []),
        diagnosis_codes=denial.get("diagnosis_codes", []),
        amount=denial.get("amount"),
        decided_by=denial.get("decided_by", ""),
    )


def _existing(integration: Integration, external_id: str) -> Appeal:
    return Appeal.objects.get(integration=integration, external_id=external_id)


def appeal_intake(
    *, integration: Integration, data: dict, now: datetime | None = None
) -> Appeal:
    """Create one appeal from validated API data.

    Raises DuplicateExternalId when the integration sent this external_id before,
    including when a concurrent request with it commits first."""
    now = now or timezone.now()
    external_id = data.get("external_id", "")

    # No savepoint of its own: the statements that fail on a duplicate run inside
    # appeal_create's savepoint, so the transaction (and a batch) goes on after it.
    with transaction.atomic(savepoint=False):
        member = _member_upsert(data["member"])
        provider = _provider_upsert(data.get("provider"))
        denial = data.get("denial") or {}
        flags = (
            [Flag.POSSIBLE_DUPLICATE]
            if _possible_duplicate(member, denial, data["received_at"])
            else []
        )

        try:
            # The unique (integration, external_id) constraint is checked by the
            # INSERT inside appeal_create's savepoint: a duplicate costs no extra query.
            return services.appeal_create(
                by=integration.actor_label,
                integration=integration,
                member=member,
                provider=provider,
                line_of_business=data["line_of_business"],
                kind=data["kind"],
                received_at=data["received_at"],
                channel=data["channel"],
                requester_type=data["requester"]["type"],
                requester_name=data["requester"].get("name", ""),
                requester_npi=data["requester"].get("npi", ""),
                denial=_denial_facts(denial),
                requested_priority=data["priority"],
                expedite_requested_by=data.get("expedite_requested_by") or "",
                summary=data.get("summary", ""),
                external_id=external_id,
                extra_flags=flags,
                now=now,
            )
        except IntegrityError:
            if not external_id:
                raise
            existing = _existing(integration, external_id)

    # Raised outside the atomic block, which would otherwise doom the caller's
    # transaction along with this item.
    raise DuplicateExternalId(existing)


@dataclass(frozen=True)
class BatchItem:
    index: int
    data: dict | None = None
    errors: list | None = None


@dataclass(frozen=True)
class BatchResult:
    index: int
    result: str
    appeal: Appeal | None = None
    errors: list | None = None


def appeal_intake_batch(
    *, integration: Integration, items: list[BatchItem], now: datetime | None = None
) -> list[BatchResult]:
    """One result per item: created, duplicate or error. Each item is its own
    savepoint, so one bad item does not undo the others."""
    now = now or timezone.now()
    results = []
    for item in items:
        if item.errors is not None:
            results.append(BatchResult(item.index, "error", errors=item.errors))
            continue
        try:
            appeal = appeal_intake(integration=integration, data=item.data, now=now)
        except DuplicateExternalId as duplicate:
            results.append(BatchResult(item.index, "duplicate", duplicate.appeal))
        else:
            results.append(BatchResult(item.index, "created", appeal))

    logger.info(
        "Batch from integration %s: %d items, %d created",
        integration.pk,
        len(items),
        sum(result.result == "created" for result in results),
    )
    return results


# Documents -----------------------------------------------------------------------


def file_digest(upload) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


@transaction.atomic
def document_attach(
    *,
    appeal: Appeal,
    by: str,
    upload,
    title: str,
    kind: str,
    content_type: str,
    now: datetime | None = None,
) -> AppealDocument:
    now = now or timezone.now()
    appeal = Appeal.objects.select_for_update().get(pk=appeal.pk)

    if appeal.status in FINAL_STATUSES:
        raise services.TransitionRefused(
            "attach_document",
            [f"The case is already {appeal.get_status_display().lower()}."],
        )

    sha256 = file_digest(upload)
    document = AppealDocument.objects.create(
        appeal=appeal,
        kind=kind,
        title=title,
        file=upload,
        content_type=content_type,
        size_bytes=upload.size,
        sha256=sha256,
        uploaded_at=now,
        uploaded_by_label=by,
    )
    TimelineEvent.objects.create(
        appeal=appeal,
        kind=TimelineEvent.Kind.DOCUMENT,
        at=now,
        actor_label=by,
        reason=f"{document.get_kind_display()} attached.",
        data={
            "document_id": document.pk,
            "content_type": content_type,
            "size_bytes": document.size_bytes,
            "sha256": document.sha256,
        },
    )
    services.announce_change(appeal, "document")

    logger.info("Appeal %s: document %s attached", appeal.case_number, document.pk)
    return document
