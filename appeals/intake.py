"""Intake of appeals posted by integrations: keys, idempotency, upserts, documents.

The REST API validates a request and hands the clean data here. Appeals are still made
only by services.appeal_create, which owns clocks, flags and the timeline.
"""

import hashlib
import json
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
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


def idempotency_records_purge(
    *, older_than: timedelta, now: datetime | None = None, chunk: int = 5000
) -> int:
    """Delete the answers kept for retries once no integration would still retry.

    In chunks of ids, so that a large backlog never holds one long lock on the
    table that every create writes to. Returns how many records went."""
    cutoff = (now or timezone.now()) - older_than
    purged = 0
    while True:
        ids = list(
            IdempotencyRecord.objects.filter(created_at__lt=cutoff)
            .order_by("created_at")
            .values_list("pk", flat=True)[:chunk]
        )
        if not ids:
            break
        purged += IdempotencyRecord.objects.filter(pk__in=ids).delete()[0]

    logger.info("Purged %d idempotency records older than %s", purged, cutoff)
    return purged


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


# One INSERT ... ON CONFLICT DO UPDATE for all the members of a request, and one for
# the providers: the latest submission describes them, and a single statement needs
# no savepoint to survive a concurrent insert of the same one. Rows go in key order so
# that two batches naming the same members lock them in the same order.
def _members_upsert(submissions: list[dict]) -> dict[str, Member]:
    latest = {data["id"]: data for data in submissions}
    members = []
    for member_id in sorted(latest):
        data = latest[member_id]
        first_name, last_name = split_name(data["name"])
        members.append(
            Member(
                member_id=member_id,
                first_name=first_name,
                last_name=last_name,
                birth_date=data["birth_date"],
                state=data["state"],
            )
        )

    # Returns each stored member's id and vulnerability flags, which scoring needs.
    Member.objects.bulk_create(
        members,
        update_conflicts=True,
        unique_fields=["member_id"],
        update_fields=["first_name", "last_name", "birth_date", "state"],
    )
    return {member.member_id: member for member in members}


def _providers_upsert(submissions: list[dict]) -> dict[str, Provider]:
    latest = {data["npi"]: data for data in submissions if data}
    providers = [
        Provider(
            npi=npi,
            name=latest[npi]["name"],
            specialty=latest[npi].get("specialty", ""),
        )
        for npi in sorted(latest)
    ]
    if providers:
        Provider.objects.bulk_create(
            providers,
            update_conflicts=True,
            unique_fields=["npi"],
            update_fields=["name", "specialty"],
        )
    return {provider.npi: provider for provider in providers}


@dataclass(frozen=True)
class _DenialSeen:
    member_id: int
    claim_number: str
    authorization_number: str
    received_at: datetime

    def same_as(self, other: "_DenialSeen") -> bool:
        """Same member, same claim or authorization, received within the window."""
        same_denial = bool(
            (self.claim_number and self.claim_number == other.claim_number)
            or (
                self.authorization_number
                and self.authorization_number == other.authorization_number
            )
        )
        return (
            same_denial
            and self.member_id == other.member_id
            and abs(self.received_at - other.received_at) <= DUPLICATE_WINDOW
        )


def _possible_duplicates(arriving: list[_DenialSeen]) -> list[bool]:
    """For each arriving appeal in order: is an open appeal already stored, or an
    earlier one in the same request, probably the same appeal sent twice?"""
    claims = {seen.claim_number for seen in arriving if seen.claim_number}
    authorizations = {
        seen.authorization_number for seen in arriving if seen.authorization_number
    }
    if not claims and not authorizations:
        return [False] * len(arriving)

    stored = (
        Appeal.objects.filter(
            Q(denial_claim_number__in=claims)
            | Q(denial_authorization_number__in=authorizations),
            member_id__in={seen.member_id for seen in arriving},
            received_at__gte=min(seen.received_at for seen in arriving)
            - DUPLICATE_WINDOW,
            received_at__lte=max(seen.received_at for seen in arriving)
            + DUPLICATE_WINDOW,
        )
        .exclude(status__in=FINAL_STATUSES)
        .order_by()
        .values_list(
            "member_id",
            "denial_claim_number",
            "denial_authorization_number",
            "received_at",
        )
    )
    earlier = [_DenialSeen(*row) for row in stored]

    answers = []
    for seen in arriving:
        answers.append(any(seen.same_as(other) for other in earlier))
        earlier.append(seen)
    return answers


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


def _new_appeals(submissions: list[dict]) -> list[services.NewAppeal]:
    """Validated API bodies as requests to the appeal service, members and providers
    upserted and possible duplicates flagged."""
    members = _members_upsert([data["member"] for data in submissions])
    providers = _providers_upsert([data.get("provider") for data in submissions])

    requests = []
    for data in submissions:
        denial = data.get("denial") or {}
        requests.append(
            services.NewAppeal(
                member=members[data["member"]["id"]],
                provider=providers.get((data.get("provider") or {}).get("npi")),
                line_of_business=data["line_of_business"],
                kind=data["kind"],
                received_at=data["received_at"],
                channel=data["channel"],
                requester_type=data["requester"]["type"],
                requester_name=data["requester"].get("name", ""),
                requester_npi=data["requester"].get("npi", ""),
                representative_authorized_at=data["requester"].get("authorized_at"),
                denial=_denial_facts(denial),
                requested_priority=data["priority"],
                expedite_requested_by=data.get("expedite_requested_by") or "",
                summary=data.get("summary", ""),
                external_id=data.get("external_id", ""),
            )
        )

    duplicates = _possible_duplicates(
        [
            _DenialSeen(
                request.member.pk,
                request.denial.claim_number,
                request.denial.authorization_number,
                request.received_at,
            )
            for request in requests
        ]
    )
    return [
        replace(request, extra_flags=[Flag.POSSIBLE_DUPLICATE])
        if duplicate
        else request
        for request, duplicate in zip(requests, duplicates, strict=True)
    ]


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
    # appeals_create's savepoint, so the transaction (and a batch) goes on after it.
    with transaction.atomic(savepoint=False):
        [request] = _new_appeals([data])
        try:
            # The unique (integration, external_id) constraint is checked by the
            # INSERT: a duplicate costs no extra query.
            [appeal] = services.appeals_create(
                by=integration.actor_label,
                integration=integration,
                requests=[request],
                now=now,
            )
            return appeal
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
    """One result per item, in order: created, duplicate or error.

    The valid items are received together, a few statements for the whole batch.
    If another request takes one of their external_ids meanwhile, the batch goes
    again one item at a time, each in its own savepoint, so that one item's
    conflict does not undo the others."""
    now = now or timezone.now()
    valid = [item for item in items if item.errors is None]
    try:
        with transaction.atomic():
            outcomes = _intake_together(integration, valid, now)
    except IntegrityError:
        logger.info(
            "Batch from integration %s met a concurrent duplicate; taking it item "
            "by item",
            integration.pk,
        )
        outcomes = {item.index: _intake_alone(integration, item, now) for item in valid}

    results = [
        outcomes.get(item.index) or BatchResult(item.index, "error", errors=item.errors)
        for item in items
    ]
    logger.info(
        "Batch from integration %s: %d items, %d created",
        integration.pk,
        len(items),
        sum(result.result == "created" for result in results),
    )
    return results


def _intake_together(
    integration: Integration, items: list[BatchItem], now: datetime
) -> dict[int, BatchResult]:
    stored = _stored_by_external_id(
        integration,
        [item.data["external_id"] for item in items if item.data.get("external_id")],
    )

    # The first item with an external_id the integration has not used is created;
    # any other with that id answers with that appeal.
    first_with_id, fresh = {}, []
    for item in items:
        external_id = item.data.get("external_id")
        if external_id and (external_id in stored or external_id in first_with_id):
            continue
        if external_id:
            first_with_id[external_id] = item.index
        fresh.append(item)

    requests = _new_appeals([item.data for item in fresh]) if fresh else []
    # Inserted in external_id order: two batches sharing ids then take them in the
    # same order, and neither can hold one the other waits for while it waits.
    order = sorted(
        range(len(fresh)), key=lambda i: fresh[i].data.get("external_id") or ""
    )
    created = services.appeals_create(
        by=integration.actor_label,
        integration=integration,
        requests=[requests[i] for i in order],
        now=now,
    )
    outcomes = {
        fresh[i].index: BatchResult(fresh[i].index, "created", appeal)
        for i, appeal in zip(order, created, strict=True)
    }
    for item in items:
        if item.index in outcomes:
            continue
        external_id = item.data["external_id"]
        appeal = stored.get(external_id) or outcomes[first_with_id[external_id]].appeal
        outcomes[item.index] = BatchResult(item.index, "duplicate", appeal)
    return outcomes


def _stored_by_external_id(
    integration: Integration, external_ids: list[str]
) -> dict[str, Appeal]:
    return {
        appeal.external_id: appeal
        for appeal in Appeal.objects.filter(
            integration=integration, external_id__in=external_ids
        )
    }


def _intake_alone(integration: Integration, item: BatchItem, now) -> BatchResult:
    try:
        appeal = appeal_intake(integration=integration, data=item.data, now=now)
    except DuplicateExternalId as duplicate:
        return BatchResult(item.index, "duplicate", duplicate.appeal)
    return BatchResult(item.index, "created", appeal)


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
    by: services.Actor,
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

    # An integration is named by its label; a reviewer is also linked as the user.
    user = None if isinstance(by, str) else by
    label = by if user is None else user.get_username()
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
        uploaded_by=user,
        uploaded_by_label=label,
    )
    TimelineEvent.objects.create(
        appeal=appeal,
        kind=TimelineEvent.Kind.DOCUMENT,
        at=now,
        actor=user,
        actor_label=label,
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
