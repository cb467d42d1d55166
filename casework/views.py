import logging
from collections.abc import Callable
from dataclasses import dataclass

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_POST

from appeals import clocks, documents, intake, roles
from appeals import services as appeal_services
from appeals.choices import ExpediteDecision, Outcome, Priority
from appeals.models import Appeal, Status
from appeals.models.appeal import (
    AWAITING_DECISION,
    FAVOURABLE_OUTCOMES,
    FINAL_STATUSES,
)
from casework import forms, routing, selectors
from casework import services as casework_services
from casework.models import CaseProtocol

logger = logging.getLogger(__name__)


@login_required
def queue(request):
    form = forms.QueueFilterForm(request.GET or None)
    filters = form.filters() if form.is_bound and form.is_valid() else {}
    mine_only = bool(form.is_bound and form.is_valid() and form.cleaned_data["mine"])
    cursor = request.GET.get("after", "")

    try:
        page = selectors.queue_page(
            request.user, filters=filters, cursor=cursor, mine_only=mine_only
        )
    except selectors.BadCursor as error:
        messages.error(request, str(error))
        page = selectors.queue_page(
            request.user, filters=filters, cursor="", mine_only=mine_only
        )
        cursor = ""

    profile = routing.profile_for(request.user)
    query = request.GET.copy()
    query.pop("after", None)
    context = {
        "form": form,
        "page": page,
        "profile": profile,
        "cap_refusals": routing.claim_refusals(request.user, profile),
        "desk_due": selectors.desk_due_soonest(),
        "now": timezone.now(),
        "plan_zone": clocks.plan_zone(),
        "paged": bool(cursor),
        "query": query.urlencode(),
    }
    template = (
        "casework/_queue_table.html"
        if request.headers.get("HX-Request") and request.headers.get("HX-Target")
        else "casework/queue.html"
    )
    return render(request, template, context)


@login_required
@require_POST
def claim_next(request):
    try:
        appeal = casework_services.case_claim_next(user=request.user)
    except appeal_services.TransitionRefused as refused:
        _refusal_message(request, "You cannot take a case now", refused.reasons)
        return redirect("home")

    if appeal is None:
        messages.info(request, "There is no open case you may work right now.")
        return redirect("home")
    messages.success(request, f"{appeal.case_number} is yours now.")
    return redirect("case", case_number=appeal.case_number)


@login_required
@require_POST
def case_take(request, case_number):
    appeal = selectors.case_for(request.user, case_number)
    try:
        casework_services.case_take(appeal=appeal, user=request.user)
    except appeal_services.TransitionRefused as refused:
        _refusal_message(request, "You cannot take this case", refused.reasons)
    else:
        messages.success(request, f"{appeal.case_number} is yours now.")
    return redirect("case", case_number=appeal.case_number)


@dataclass(frozen=True)
class Action:
    label: str
    form: type[django_forms.Form]
    run: Callable
    transition: str = ""
    shown: Callable[[Appeal], bool] = lambda appeal: True
    hide_when_refused: bool = False
    danger: bool = False


def _awaiting(appeal):
    return appeal.status in AWAITING_DECISION


def _may_extend(appeal):
    rule = clocks.rule_for(
        line_of_business=appeal.line_of_business,
        kind=appeal.kind,
        priority=appeal.priority,
    )
    return _awaiting(appeal) and appeal.extended_at is None and clocks.may_extend(rule)


ACTIONS = {
    "accept": Action(
        "Accept after triage",
        forms.AcceptForm,
        lambda appeal, user, data: casework_services.case_accept(
            appeal=appeal,
            by=user,
            priority_decision=data["priority_decision"],
            reason=data["reason"],
        ),
        transition="accept",
    ),
    "acknowledge": Action(
        "Send the acknowledgement letter",
        forms.EmptyForm,
        lambda appeal, user, data: casework_services.case_acknowledge(
            appeal=appeal, by=user
        ),
        shown=lambda appeal: (
            appeal.is_open
            and appeal.acknowledge_by is not None
            and appeal.acknowledged_at is None
        ),
    ),
    "request_info": Action(
        "Request information from the provider",
        forms.RequestInfoForm,
        lambda appeal, user, data: casework_services.case_request_information(
            appeal=appeal, by=user, what=data["what"], reply_by=data["reply_by"]
        ),
        transition="request_info",
    ),
    "info_received": Action(
        "Information received",
        forms.EmptyForm,
        lambda appeal, user, data: casework_services.case_information_received(
            appeal=appeal, by=user
        ),
        transition="info_received",
    ),
    "take_extension": Action(
        "Take the 14-day extension",
        forms.ExtensionForm,
        lambda appeal, user, data: casework_services.case_take_extension(
            appeal=appeal,
            by=user,
            reason=data["reason"],
            explanation=data["explanation"],
        ),
        shown=_may_extend,
    ),
    "refer_to_physician": Action(
        "Refer to a physician",
        forms.ReasonForm,
        lambda appeal, user, data: casework_services.case_refer_to_physician(
            appeal=appeal, by=user, reason=data["reason"]
        ),
        transition="refer_to_physician",
    ),
    "return_to_review": Action(
        "Return to review",
        forms.EmptyForm,
        lambda appeal, user, data: appeal_services.appeal_return_to_review(
            appeal=appeal, by=user
        ),
        transition="return_to_review",
    ),
    "decide": Action(
        "Decide",
        forms.DecideForm,
        lambda appeal, user, data: appeal_services.appeal_decide(
            appeal=appeal,
            by=user,
            outcome=data["outcome"],
            rationale=data["rationale"],
            criteria=data["criteria"],
        ),
        transition="decide",
    ),
    "send_notice": Action(
        "Send the decision notice",
        forms.EmptyForm,
        lambda appeal, user, data: casework_services.case_send_decision_notice(
            appeal=appeal, by=user
        ),
        transition="send_notice",
        hide_when_refused=True,
    ),
    "oral_notice": Action(
        "Record oral notification",
        forms.EmptyForm,
        lambda appeal, user, data: appeal_services.appeal_record_oral_notice(
            appeal=appeal, by=user
        ),
        shown=lambda appeal: (
            appeal.priority == Priority.EXPEDITED
            and appeal.decided_at is not None
            and appeal.oral_notice_at is None
        ),
    ),
    "effectuate": Action(
        "Record effectuation of the overturn",
        forms.EmptyForm,
        lambda appeal, user, data: appeal_services.appeal_record_effectuation(
            appeal=appeal, by=user
        ),
        shown=lambda appeal: (
            appeal.outcome in FAVOURABLE_OUTCOMES and appeal.effectuated_at is None
        ),
    ),
    "forward": Action(
        "Forward to independent review",
        forms.EmptyForm,
        lambda appeal, user, data: appeal_services.appeal_forward(
            appeal=appeal, by=user
        ),
        transition="forward",
        hide_when_refused=True,
    ),
    "forward_notice": Action(
        "Record that the member was told of the forwarding",
        forms.EmptyForm,
        lambda appeal, user, data: appeal_services.appeal_record_forward_notice(
            appeal=appeal, by=user
        ),
        shown=lambda appeal: (
            appeal.forwarded_at is not None and appeal.forward_notice_at is None
        ),
    ),
    "close": Action(
        "Close",
        forms.EmptyForm,
        lambda appeal, user, data: appeal_services.appeal_close(appeal=appeal, by=user),
        transition="close",
    ),
    "dismiss": Action(
        "Dismiss",
        forms.ReasonForm,
        lambda appeal, user, data: appeal_services.appeal_dismiss(
            appeal=appeal, by=user, reason=data["reason"]
        ),
        transition="dismiss",
        danger=True,
    ),
    "withdraw": Action(
        "Record a withdrawal",
        forms.ReasonForm,
        lambda appeal, user, data: appeal_services.appeal_withdraw(
            appeal=appeal, by=user, reason=data["reason"]
        ),
        transition="withdraw",
        danger=True,
    ),
}


def _action_refusals(name: str, action: Action, appeal: Appeal, user) -> list[str]:
    reasons = []
    if action.transition:
        reasons += appeal_services.transition_refusals(appeal, action.transition)
    if name == "decide" and not reasons:
        # An overturn is the least restricted outcome: what refuses it refuses all.
        reasons += appeal_services.decision_refusals(
            appeal, decider=user, outcome=Outcome.OVERTURNED
        )
    return reasons


def _has_source(action: Action, appeal: Appeal) -> bool:
    if not action.transition:
        return True
    meta = getattr(appeal, action.transition)._django_fsm
    return meta.has_transition(appeal.status)


def _available_actions(appeal: Appeal, user, bound: dict | None = None) -> list:
    listed = []
    for name, action in ACTIONS.items():
        if not _has_source(action, appeal) or not action.shown(appeal):
            continue
        reasons = _action_refusals(name, action, appeal, user)
        if reasons and action.hide_when_refused:
            continue
        form = (bound or {}).get(name) or action.form(prefix=name)
        listed.append(
            {"name": name, "action": action, "refusals": reasons, "form": form}
        )
    return listed


def _may_act(appeal: Appeal, user) -> bool:
    return appeal.assignee_id == user.pk or roles.is_supervisor(user)


def _case_context(request, appeal: Appeal, bound: dict | None = None) -> dict:
    protocol = CaseProtocol.objects.filter(appeal=appeal).first()
    profile = routing.profile_for(request.user)
    may_take = (
        appeal.assignee_id is None
        and routing.claimable(request.user, profile).filter(pk=appeal.pk).exists()
    )
    return {
        "appeal": appeal,
        "clocks": selectors.case_clocks(appeal),
        "why_first": selectors.why_first(appeal),
        "protocol": protocol,
        "steps": selectors.case_protocol_rows(protocol),
        "step_form": forms.StepForm(),
        "may_act": _may_act(appeal, request.user),
        "may_take": may_take,
        "actions": _available_actions(appeal, request.user, bound),
        "pending_info": appeal.status == Status.PENDING_INFO,
        "expedite_pending": appeal.expedite_decision == ExpediteDecision.PENDING,
        "information_requests": appeal.information_requests.all(),
        "notices": appeal.notices.all(),
        "documents": appeal.documents.all(),
        "document_form": (bound or {}).get("document")
        or forms.DocumentForm(prefix="document"),
        "may_add_documents": (
            _may_act(appeal, request.user) and appeal.status not in FINAL_STATUSES
        ),
        "timeline": selectors.case_timeline(appeal)[:200],
        "note_form": (bound or {}).get("note") or forms.NoteForm(prefix="note"),
        "plan_zone": clocks.plan_zone(),
        "now": timezone.now(),
    }


@login_required
def case_detail(request, case_number):
    appeal = selectors.case_for(request.user, case_number)

    if appeal.status in AWAITING_DECISION:
        casework_services.case_protocol_start(appeal=appeal)
    casework_services.case_access_record(
        appeal=appeal, user=request.user, what="case page"
    )

    return render(request, "casework/case.html", _case_context(request, appeal))


@login_required
@require_POST
def case_step(request, case_number, step_key):
    appeal = selectors.case_for(request.user, case_number)
    form = forms.StepForm(request.POST, prefix=step_key)
    errors = []

    if not _may_act(appeal, request.user):
        errors.append("Take the case before working its protocol.")
    elif not form.is_valid():
        errors.append("Choose a result and write down what you found.")
    else:
        try:
            casework_services.protocol_step_complete(
                appeal=appeal,
                user=request.user,
                step_key=step_key,
                result=form.cleaned_data["result"],
                finding=form.cleaned_data["finding"],
            )
        except appeal_services.TransitionRefused as refused:
            errors += refused.reasons

    if request.headers.get("HX-Request"):
        protocol = CaseProtocol.objects.filter(appeal=appeal).first()
        context = {
            "appeal": appeal,
            "protocol": protocol,
            "steps": selectors.case_protocol_rows(protocol),
            "step_form": forms.StepForm(),
            "may_act": _may_act(appeal, request.user),
            "step_errors": {step_key: errors} if errors else {},
        }
        response = render(request, "casework/_protocol.html", context)
        # The decide form's refusals depend on the protocol; refresh the page's
        # actions when the last required step is done.
        if not errors and not casework_services.protocol_missing_steps(appeal):
            response["HX-Refresh"] = "true"
        return response

    if errors:
        _refusal_message(request, "That step was not recorded", errors)
    return redirect(reverse("case", args=[appeal.case_number]) + "#protocol")


@login_required
@require_POST
def case_action(request, case_number, action_name):
    appeal = selectors.case_for(request.user, case_number)
    action = ACTIONS.get(action_name)
    if action is None:
        raise Http404("No such action.")
    form = action.form(request.POST, prefix=action_name)

    if not _may_act(appeal, request.user):
        _refusal_message(
            request,
            f"{action.label} was not done",
            ["Only the reviewer assigned to the case, or a supervisor, may act."],
        )
        return redirect("case", case_number=appeal.case_number)
    if not form.is_valid():
        messages.error(request, f"{action.label}: check the highlighted fields.")
        context = _case_context(request, appeal, bound={action_name: form})
        return render(request, "casework/case.html", context, status=400)

    # Whatever path led here, the case follows its protocol before any decision.
    if appeal.status in AWAITING_DECISION:
        casework_services.case_protocol_start(appeal=appeal)
    try:
        action.run(appeal, request.user, form.cleaned_data)
    except appeal_services.AppealConflict as conflict:
        messages.error(
            request,
            f"Someone else changed this case while you were looking at it. {conflict} "
            "Look at it again before acting.",
        )
    except appeal_services.TransitionRefused as refused:
        _refusal_message(request, f"{action.label} was not done", refused.reasons)
    else:
        messages.success(request, f"{action.label}: done.")
    return redirect("case", case_number=appeal.case_number)


@login_required
@require_POST
def case_note(request, case_number):
    appeal = selectors.case_for(request.user, case_number)
    form = forms.NoteForm(request.POST, prefix="note")
    if form.is_valid():
        appeal_services.appeal_add_note(
            appeal=appeal, by=request.user, text=form.cleaned_data["text"]
        )
        messages.success(request, "Note added.")
    else:
        messages.error(request, "A note needs some text.")
    return redirect(reverse("case", args=[appeal.case_number]) + "#notes")


@login_required
@require_POST
def case_document_add(request, case_number):
    appeal = selectors.case_for(request.user, case_number)
    form = forms.DocumentForm(request.POST, request.FILES, prefix="document")
    refusals = []

    if not _may_act(appeal, request.user):
        refusals = [
            "Only the reviewer assigned to the case, or a supervisor, may add one."
        ]
    elif not form.is_valid():
        refusals = [error for errors in form.errors.values() for error in errors]
    else:
        upload = form.cleaned_data["file"]
        try:
            intake.document_attach(
                appeal=appeal,
                by=request.user,
                upload=upload,
                title=form.cleaned_data["title"] or upload.name[:200],
                kind=form.cleaned_data["kind"],
                content_type=form.content_type,
            )
        except appeal_services.TransitionRefused as refused:
            refusals = refused.reasons

    # Said beside the form, where the reviewer is looking, not at the top of the page.
    if refusals:
        context = _case_context(request, appeal, bound={"document": form})
        context["document_refusals"] = refusals
        return render(request, "casework/case.html", context, status=400)
    messages.success(request, "Document attached.")
    return redirect(reverse("case", args=[appeal.case_number]) + "#documents")


def _viewed(request, case_number: str, related: str, item_id: int, noun: str):
    """The case and one of its notices or documents, the viewing logged."""
    appeal = selectors.case_for(request.user, case_number)
    item = getattr(appeal, related).filter(pk=item_id).first()
    if item is None:
        raise Http404(f"No such {noun}.")

    casework_services.case_access_record(
        appeal=appeal, user=request.user, what=f"{noun} {item.pk}"
    )
    return appeal, item


@login_required
def case_document(request, case_number, document_id):
    appeal, document = _viewed(
        request, case_number, "documents", document_id, "document"
    )
    response = FileResponse(
        document.file.open("rb"),
        content_type=document.content_type,
        filename=_download_name(appeal, document),
    )
    # Medical records: the browser shows them but keeps no copy in its cache.
    response["Cache-Control"] = "private, no-store"
    return response


def _download_name(appeal: Appeal, document) -> str:
    stem = slugify(document.title)[:80] or "document"
    extension = documents.EXTENSIONS.get(document.content_type, "")
    return f"{appeal.case_number}-{document.pk}-{stem}{extension}"


@login_required
def notice_detail(request, case_number, notice_id):
    appeal, notice = _viewed(request, case_number, "notices", notice_id, "notice")
    return render(request, "casework/notice.html", {"appeal": appeal, "notice": notice})


def _refusal_message(request, headline: str, reasons: list[str]) -> None:
    messages.error(request, f"{headline}: " + " ".join(reasons))


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
