"""Write-side of casework: claiming, the review protocol, notices, information requests
and the access log. Status changes go through appeals.services; these functions add
the casework records that belong in the same transaction."""

import logging
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from appeals import clocks, roles
from appeals import services as appeal_services
from appeals.choices import ExpediteDecision
from appeals.models import Appeal
from appeals.models.appeal import AWAITING_DECISION
from casework import routing
from casework.models import (
    AccessLog,
    CaseProtocol,
    InformationRequest,
    Notice,
    NoticeKind,
    ProtocolRole,
    ProtocolTemplate,
    StepCompletion,
)

logger = logging.getLogger(__name__)


class CaseworkRefused(appeal_services.TransitionRefused):
    """A casework action that cannot happen now; `reasons` say why in plain words."""


def protocol_template_for(appeal: Appeal) -> ProtocolTemplate | None:
    matching = [
        template
        for template in ProtocolTemplate.objects.filter(active=True)
        if template.applies_to(
            line_of_business=appeal.line_of_business,
            kind=appeal.kind,
            denial_category=appeal.denial_category,
        )
    ]
    if not matching:
        return None
    return max(matching, key=lambda template: (template.specificity(), template.pk))


def case_protocol_start(*, appeal: Appeal, now: datetime | None = None):
    """The case's protocol, started from the current template version on first use."""
    existing = CaseProtocol.objects.filter(appeal=appeal).first()
    if existing is not None:
        return existing
    template = protocol_template_for(appeal)
    if template is None:
        return None

    steps = [step.snapshot() for step in template.steps.all()]
    try:
        # Two requests opening a new case at once both try; the unique appeal wins.
        with transaction.atomic():
            return CaseProtocol.objects.create(
                appeal=appeal,
                template=template,
                template_version=template.version,
                steps=steps,
                started_at=now or timezone.now(),
            )
    except IntegrityError:
        return CaseProtocol.objects.get(appeal=appeal)


@transaction.atomic
def case_claim_next(*, user: AbstractBaseUser, now: datetime | None = None):
    """Assign the most urgent case this user may work; None when there is none.

    SKIP LOCKED lets two reviewers pressing at the same moment each lock a different
    row instead of both reading the same first case; the row lock is held until the
    assignment commits. SQLite has no row locks and serializes writers instead."""
    now = now or timezone.now()
    profile = routing.profile_for(user)

    refusals = routing.claim_refusals(user, profile)
    if refusals:
        raise CaseworkRefused("claim", refusals)

    candidates = routing.claimable(user, profile).order_by(*routing.QUEUE_ORDER)
    if connection.features.has_select_for_update_skip_locked:
        candidates = candidates.select_for_update(skip_locked=True, of=("self",))
    appeal = candidates.first()
    if appeal is None:
        return None

    appeal = appeal_services.appeal_assign(
        appeal=appeal, assignee=user, by=user, reason="Claimed from the queue", now=now
    )
    case_protocol_start(appeal=appeal, now=now)

    logger.info("Appeal %s claimed by %s", appeal.case_number, user.get_username())
    return appeal


def _may_do_step(user, role: str) -> bool:
    if role == ProtocolRole.PHYSICIAN:
        return roles.is_physician(user)
    if role == ProtocolRole.CLINICAL:
        profile = routing.profile_for(user)
        return roles.is_physician(user) or (
            profile is not None and profile.discipline == "clinical"
        )
    return True


@transaction.atomic
def protocol_step_complete(
    *,
    appeal: Appeal,
    user: AbstractBaseUser,
    step_key: str,
    result: str,
    finding: str,
    now: datetime | None = None,
) -> StepCompletion:
    now = now or timezone.now()
    protocol = case_protocol_start(appeal=appeal, now=now)

    if protocol is None:
        raise CaseworkRefused("complete_step", ["No review protocol applies."])
    step = next((s for s in protocol.steps if s["key"] == step_key), None)
    refusals = []
    if step is None:
        refusals.append("That step is not part of this case's protocol.")
    elif protocol.completions.filter(step_key=step_key).exists():
        refusals.append(f"“{step['title']}” is already complete.")
    elif not _may_do_step(user, step["role"]):
        refusals.append(
            f"“{step['title']}” needs a {ProtocolRole(step['role']).label.lower()}."
        )
    if appeal.status not in AWAITING_DECISION:
        refusals.append("The case is decided; its protocol is closed.")
    if result not in StepCompletion.Result.values:
        refusals.append("Choose a result.")
    if not finding.strip():
        refusals.append("Write down what you found.")
    if refusals:
        raise CaseworkRefused("complete_step", refusals)

    completion = StepCompletion.objects.create(
        case_protocol=protocol,
        step_key=step_key,
        result=result,
        finding=finding.strip(),
        completed_at=now,
        completed_by=user,
    )

    logger.debug("Appeal %s: protocol step %s done", appeal.case_number, step_key)
    return completion


def protocol_missing_steps(appeal: Appeal) -> list[str]:
    """Titles of the required steps not yet complete (empty when none applies)."""
    protocol = CaseProtocol.objects.filter(appeal=appeal).first()
    if protocol is None:
        return []
    done = set(protocol.completions.values_list("step_key", flat=True))
    return [
        step["title"]
        for step in protocol.steps
        if step["required"] and step["key"] not in done
    ]


def case_access_record(
    *, appeal: Appeal, user: AbstractBaseUser, what: str, now=None
) -> AccessLog:
    return AccessLog.objects.create(
        appeal=appeal,
        user=user,
        username=user.get_username(),
        at=now or timezone.now(),
        what=what,
    )


def notice_render(
    *, appeal: Appeal, kind: str, by: AbstractBaseUser, now=None, extra=None
) -> Notice:
    """Render a letter from templates/notices/<kind>.html and store it on the case."""
    now = now or timezone.now()
    context = {
        "appeal": appeal,
        "member": appeal.member,
        "provider": appeal.provider,
        "now": now,
        "plan_zone": clocks.plan_zone(),
        "signed_by": by.get_full_name() or by.get_username(),
        **(extra or {}),
    }
    body = render_to_string(f"notices/{kind}.html", context)
    return Notice.objects.create(
        appeal=appeal, kind=kind, body_html=body, rendered_at=now, rendered_by=by
    )


@transaction.atomic
def case_accept(
    *, appeal: Appeal, by, priority_decision: str = "", reason: str = "", now=None
) -> Appeal:
    """Triage then accept: a pending expedite request is granted or refused first."""
    now = now or timezone.now()

    if appeal.expedite_decision == ExpediteDecision.PENDING:
        if priority_decision == "grant":
            appeal = appeal_services.appeal_grant_expedite(
                appeal=appeal, by=by, reason=reason, now=now
            )
        elif priority_decision == "refuse":
            appeal = case_refuse_expedite(appeal=appeal, by=by, reason=reason, now=now)
        else:
            raise CaseworkRefused(
                "accept",
                [
                    "The member asked to expedite: grant or refuse it, with a "
                    "reason, before accepting."
                ],
            )
    return appeal_services.appeal_accept(appeal=appeal, by=by, reason=reason, now=now)


@transaction.atomic
def case_refuse_expedite(*, appeal: Appeal, by, reason: str, now=None) -> Appeal:
    now = now or timezone.now()
    appeal = appeal_services.appeal_refuse_expedite(
        appeal=appeal, by=by, reason=reason, now=now
    )
    notice_render(
        appeal=appeal,
        kind=NoticeKind.EXPEDITE_REFUSAL,
        by=by,
        now=now,
        extra={"reason": reason},
    )
    return appeal


@transaction.atomic
def case_acknowledge(*, appeal: Appeal, by, now=None) -> Appeal:
    now = now or timezone.now()
    appeal = appeal_services.appeal_acknowledge(appeal=appeal, by=by, now=now)
    notice_render(appeal=appeal, kind=NoticeKind.ACKNOWLEDGEMENT, by=by, now=now)
    return appeal


@transaction.atomic
def case_request_information(
    *, appeal: Appeal, by, what: str, reply_by: datetime | None = None, now=None
) -> InformationRequest:
    """The decision clock keeps running while the plan waits (the page says so)."""
    now = now or timezone.now()
    if reply_by is not None and appeal.decide_by and reply_by > appeal.decide_by:
        raise CaseworkRefused(
            "request_info",
            ["Ask for a reply before the decision deadline; the clock keeps running."],
        )

    appeal = appeal_services.appeal_request_info(
        appeal=appeal, by=by, what=what, reply_by=reply_by, now=now
    )
    request = InformationRequest.objects.create(
        appeal=appeal, what=what, reply_by=reply_by, requested_at=now, requested_by=by
    )
    notice_render(
        appeal=appeal,
        kind=NoticeKind.INFORMATION_REQUEST,
        by=by,
        now=now,
        extra={"request": request},
    )
    return request


@transaction.atomic
def case_information_received(*, appeal: Appeal, by, now=None) -> Appeal:
    now = now or timezone.now()
    appeal = appeal_services.appeal_info_received(
        appeal=appeal, by=by, reason="Requested information received.", now=now
    )
    InformationRequest.objects.filter(appeal=appeal, received_at__isnull=True).update(
        received_at=now
    )
    return appeal


@transaction.atomic
def case_take_extension(
    *, appeal: Appeal, by, reason: str, explanation: str = "", now=None
) -> Appeal:
    now = now or timezone.now()
    appeal = appeal_services.appeal_take_extension(
        appeal=appeal, by=by, reason=reason, explanation=explanation, now=now
    )
    notice_render(
        appeal=appeal,
        kind=NoticeKind.EXTENSION,
        by=by,
        now=now,
        extra={"explanation": explanation},
    )
    return appeal


@transaction.atomic
def case_refer_to_physician(*, appeal: Appeal, by, reason: str, now=None) -> Appeal:
    """Referred cases leave the referrer's queue for the physicians' queue."""
    now = now or timezone.now()
    appeal = appeal_services.appeal_refer_to_physician(
        appeal=appeal, by=by, reason=reason, now=now
    )
    return appeal_services.appeal_assign(
        appeal=appeal, assignee=None, by=by, reason="Referred to a physician", now=now
    )


@transaction.atomic
def case_send_decision_notice(*, appeal: Appeal, by, now=None) -> Notice:
    now = now or timezone.now()
    refusals = appeal_services.transition_refusals(appeal, "send_notice")
    if refusals:
        raise CaseworkRefused("send_notice", refusals)

    notice = notice_render(appeal=appeal, kind=NoticeKind.DECISION, by=by, now=now)
    appeal_services.appeal_send_notice(appeal=appeal, by=by, now=now)
    return notice


@transaction.atomic
def case_take(*, appeal: Appeal, user: AbstractBaseUser, now=None) -> Appeal:
    """Take one particular case from the queue, under the same rules as Get next."""
    now = now or timezone.now()
    profile = routing.profile_for(user)

    refusals = routing.claim_refusals(user, profile)
    candidates = routing.claimable(user, profile).filter(pk=appeal.pk)
    if connection.features.has_select_for_update:
        candidates = candidates.select_for_update(of=("self",))
    if not refusals and candidates.first() is None:
        refusals.append(
            "This case is taken, or is not one you may work (line of business, "
            "skills, licence, or you made or manage the original denial)."
        )
    if refusals:
        raise CaseworkRefused("take", refusals)

    appeal = appeal_services.appeal_assign(
        appeal=appeal, assignee=user, by=user, reason="Taken from the queue", now=now
    )
    case_protocol_start(appeal=appeal, now=now)
    return appeal
