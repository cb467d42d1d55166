"""Audit universes: one CSV row per appeal of a period, in the column layout a program
audit asks for (REGULATORY.md section 8).

Every table is a tuple of Column rows (name, length, source of the value) kept here and
nowhere else, so that when the current CMS protocol is read the correction is one edit.
Values come from the appeal's record; the few facts the record does not hold (contract
id, plan benefit package) are options of the export.
"""

import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Q

from appeals.choices import ExpediteRequester, Kind, LineOfBusiness, Outcome, Priority
from appeals.clocks import plan_zone
from appeals.models import Appeal, AppealDocument, Status
from appeals.models.appeal import AWAITING_DECISION
from appeals.roles import is_physician
from casework.models import Notice, NoticeKind

NONE = "None"


class UnknownUniverse(ValueError):
    pass


@dataclass(frozen=True)
class ExportContext:
    contract_id: str = ""
    plan_benefit_package: str = ""


@dataclass(frozen=True)
class Column:
    name: str
    length: int
    source: str
    value: Callable[[Appeal, ExportContext], str]


@dataclass(frozen=True)
class Universe:
    slug: str
    title: str
    lines_of_business: tuple[str, ...]
    kinds: tuple[str, ...]
    columns: tuple[Column, ...]


def plan_date(moment: datetime | None) -> str:
    if moment is None:
        return NONE
    return moment.astimezone(plan_zone()).strftime("%Y/%m/%d")


def plan_time(moment: datetime | None) -> str:
    if moment is None:
        return NONE
    return moment.astimezone(plan_zone()).strftime("%H:%M:%S")


def _yes_no(value: bool) -> str:
    return "Y" if value else "N"


def decision_moment(appeal: Appeal) -> datetime | None:
    """When the plan's answer became final for the universes: the decision, the
    dismissal, or the forwarding of a case whose deadline was missed (which Part C
    counts as a denial, 42 CFR 422.590(g))."""
    if appeal.decided_at is not None:
        return appeal.decided_at
    if appeal.status == Status.DISMISSED:
        return appeal.closed_at
    if appeal.forwarded_at is not None:
        return appeal.forwarded_at
    return None


def _requester(appeal: Appeal, ctx: ExportContext) -> str:
    if appeal.requester_type == "member":
        return "E"
    if appeal.requester_type == "representative":
        return "ER"
    if appeal.provider is not None and not appeal.provider.contracted:
        return "NCP"
    return "CP"


def _representative_at(appeal: Appeal) -> datetime | None:
    if appeal.requester_type != "representative":
        return None
    return appeal.representative_authorized_at


def _disposition(appeal: Appeal, *, part_d: bool) -> str:
    if appeal.status == Status.DISMISSED:
        return "Dismissed"
    if appeal.forwarded_at is not None and part_d:
        return "IRE auto-forward"
    if appeal.outcome == Outcome.OVERTURNED:
        return "Approved"
    return "Denied"


def _is_denied(appeal: Appeal) -> bool:
    return appeal.status != Status.DISMISSED and appeal.outcome != Outcome.OVERTURNED


def _medical_necessity(appeal: Appeal, ctx: ExportContext) -> str:
    if not _is_denied(appeal):
        return NONE
    return _yes_no(appeal.is_medical_necessity)


def _physician_review(appeal: Appeal, ctx: ExportContext) -> str:
    if not _is_denied(appeal) or not appeal.is_medical_necessity:
        return NONE
    return _yes_no(appeal.decided_by is not None and is_physician(appeal.decided_by))


def _extension_notified(appeal: Appeal, ctx: ExportContext) -> str:
    if appeal.extended_at is None:
        return NONE
    told = Notice.objects.filter(
        appeal=appeal, kind=NoticeKind.EXTENSION, rendered_at__gte=appeal.extended_at
    ).exists()
    return _yes_no(told)


def _prescriber_statement_at(appeal: Appeal) -> datetime | None:
    document = (
        AppealDocument.objects.filter(
            appeal=appeal, kind=AppealDocument.DocumentKind.PHYSICIAN_STATEMENT
        )
        .order_by("uploaded_at")
        .first()
    )
    if document is not None:
        return document.uploaded_at
    if appeal.expedite_requested_by == ExpediteRequester.PHYSICIAN:
        # A prescriber's request is its own supporting statement, in hand at receipt.
        return appeal.expedited_at or appeal.received_at
    return None


def _issue(appeal: Appeal, ctx: ExportContext) -> str:
    services = ", ".join(appeal.denial_service_codes) or "no service code"
    text = f"{appeal.get_kind_display()}: {services}"
    if appeal.summary:
        text = f"{text}. {appeal.summary}"
    return " ".join(text.split())


def _expedite_asked(appeal: Appeal, ctx: ExportContext) -> str:
    return _yes_no(bool(appeal.expedite_requested_by))


def _processed_as(appeal: Appeal, ctx: ExportContext) -> str:
    return "E" if appeal.priority == Priority.EXPEDITED else "S"


def _provider_written(appeal: Appeal, ctx: ExportContext) -> str:
    if appeal.provider is None:
        return NONE
    return plan_date(appeal.notified_at)


def _on(attribute: str, formatter: Callable) -> Callable[[Appeal, ExportContext], str]:
    return lambda appeal, ctx: formatter(getattr(appeal, attribute))


def _from(getter: Callable, formatter: Callable) -> Callable:
    return lambda appeal, ctx: formatter(getter(appeal))


def _text(value) -> str:
    return str(value) if value not in (None, "") else NONE


_FIXED = (
    Column("Enrollee First Name", 50, "member.first_name",
           lambda a, c: a.member.first_name),
    Column("Enrollee Last Name", 50, "member.last_name",
           lambda a, c: a.member.last_name),
    Column("Enrollee ID", 11, "member.member_id without hyphens",
           lambda a, c: a.member.member_id.replace("-", "")),
    Column("Contract ID", 5, "export option --contract-id",
           lambda a, c: c.contract_id or NONE),
    Column("Plan Benefit Package", 3, "export option --pbp",
           lambda a, c: c.plan_benefit_package or NONE),
    Column("First Tier, Downstream, and Related Entity", 70,
           "not recorded: the plan decides its own appeals",
           lambda a, c: NONE),
)  # fmt: skip

_AUTHORIZATION = Column(
    "Authorization or Claim Number", 40,
    "denial_authorization_number, else denial_claim_number",
    lambda a, c: a.denial_authorization_number or a.denial_claim_number or NONE,
)  # fmt: skip

_RECEIPT_AND_REQUEST = (
    Column("Who made the request?", 3, "requester_type and provider.contracted",
           _requester),
    Column("Date the request was received", 10, "received_at",
           _on("received_at", plan_date)),
    Column("Time the request was received", 8, "received_at",
           _on("received_at", plan_time)),
    Column("Date AOR received", 10, "representative_authorized_at",
           _from(_representative_at, plan_date)),
    Column("Time AOR received", 8, "representative_authorized_at",
           _from(_representative_at, plan_time)),
)  # fmt: skip

_PART_B_DRUG = Column(
    "Part B drug", 1, "kind == part_b_drug",
    lambda a, c: _yes_no(a.kind == Kind.PART_B_DRUG),
)  # fmt: skip

_PRESCRIBER = (
    Column("Date prescriber supporting statement received", 10,
           "first physician_statement document, else a prescriber's expedite request",
           _from(_prescriber_statement_at, plan_date)),
    Column("Time prescriber supporting statement received", 8,
           "first physician_statement document, else a prescriber's expedite request",
           _from(_prescriber_statement_at, plan_time)),
)  # fmt: skip


def _decision_columns(*, part_d: bool) -> tuple[Column, ...]:
    return (
        Column("Request processed as expedited or standard", 1, "priority",
               _processed_as),
        Column("Request for expedited timeframe", 1, "expedite_requested_by",
               _expedite_asked),
        Column("Issue description and type of service", 2000,
               "kind, denial_service_codes, summary", _issue),
        Column("Was a timeframe extension taken?", 1, "extended_at",
               lambda a, c: _yes_no(a.extended_at is not None)),
        Column("If an extension was taken, did the plan notify the enrollee of the "
               "reason and the right to file an expedited grievance?", 4,
               "extension notice (casework Notice) sent after extended_at",
               _extension_notified),
        Column("Disposition", 16, "status and outcome",
               lambda a, c: _disposition(a, part_d=part_d)),
        Column("Date of decision", 10, "decided_at, dismissal or forwarding",
               _from(decision_moment, plan_date)),
        Column("Time of decision", 8, "decided_at, dismissal or forwarding",
               _from(decision_moment, plan_time)),
        Column("Was the request denied for lack of medical necessity?", 4,
               "denial_category", _medical_necessity),
        Column("If denied for lack of medical necessity, was the review completed "
               "by a physician or other appropriate health care professional?", 4,
               "decided_by in the physician reviewer group", _physician_review),
        Column("Date oral notification provided to enrollee", 10, "oral_notice_at",
               _on("oral_notice_at", plan_date)),
        Column("Time oral notification provided to enrollee", 8, "oral_notice_at",
               _on("oral_notice_at", plan_time)),
        Column("Date written notification provided to enrollee", 10, "notified_at",
               _on("notified_at", plan_date)),
        Column("Time written notification provided to enrollee", 8, "notified_at",
               _on("notified_at", plan_time)),
        Column("Date written notification provided to provider", 10,
               "notified_at when a provider is on the case", _provider_written),
        Column("Date forwarded to IRE", 10, "forwarded_at",
               _on("forwarded_at", plan_date)),
        Column("Time forwarded to IRE", 8, "forwarded_at",
               _on("forwarded_at", plan_time)),
        Column("Date enrollee notified of forwarding to IRE", 10, "forward_notice_at",
               _on("forward_notice_at", plan_date)),
        Column("Date effectuated", 10, "effectuated_at",
               _on("effectuated_at", plan_date)),
        Column("Time effectuated", 8, "effectuated_at",
               _on("effectuated_at", plan_time)),
    )  # fmt: skip


def _outcome(appeal: Appeal, ctx: ExportContext) -> str:
    if appeal.status == Status.DISMISSED:
        return "dismissed"
    if appeal.decided_at is None and appeal.forwarded_at is not None:
        return "forwarded_missed_deadline"
    return appeal.outcome or NONE


def _met(event_at: datetime | None, due: datetime | None) -> str:
    if due is None:
        return NONE
    if event_at is None:
        return "N"
    return _yes_no(event_at.replace(microsecond=0) <= due)


_GENERAL = (
    Column("Case Number", 10, "case_number", lambda a, c: a.case_number),
    Column("Enrollee First Name", 50, "member.first_name",
           lambda a, c: a.member.first_name),
    Column("Enrollee Last Name", 50, "member.last_name",
           lambda a, c: a.member.last_name),
    Column("Enrollee ID", 40, "member.member_id", lambda a, c: a.member.member_id),
    Column("Claim Number", 50, "denial_claim_number",
           lambda a, c: _text(a.denial_claim_number)),
    Column("Authorization Number", 50, "denial_authorization_number",
           lambda a, c: _text(a.denial_authorization_number)),
    Column("Kind", 20, "kind", lambda a, c: a.kind),
    Column("Priority", 10, "priority", lambda a, c: a.priority),
    Column("Requester", 20, "requester_type", lambda a, c: a.requester_type),
    Column("Provider NPI", 10, "provider.npi",
           lambda a, c: a.provider.npi if a.provider else NONE),
    Column("Denial Category", 30, "denial_category", lambda a, c: a.denial_category),
    Column("Denial Reason Codes", 200, "denial_reason_codes",
           lambda a, c: " ".join(a.denial_reason_codes) or NONE),
    Column("Date received", 10, "received_at", _on("received_at", plan_date)),
    Column("Time received", 8, "received_at", _on("received_at", plan_time)),
    Column("Date acknowledged", 10, "acknowledged_at",
           _on("acknowledged_at", plan_date)),
    Column("Acknowledged on time", 4, "acknowledged_at <= acknowledge_by",
           lambda a, c: _met(a.acknowledged_at, a.acknowledge_by)),
    Column("Extension taken", 1, "extended_at",
           lambda a, c: _yes_no(a.extended_at is not None)),
    Column("Date decision due", 10, "decide_by", _on("decide_by", plan_date)),
    Column("Time decision due", 8, "decide_by", _on("decide_by", plan_time)),
    Column("Outcome", 30, "outcome, status", _outcome),
    Column("Date of decision", 10, "decided_at, dismissal or forwarding",
           _from(decision_moment, plan_date)),
    Column("Time of decision", 8, "decided_at, dismissal or forwarding",
           _from(decision_moment, plan_time)),
    Column("Decided on time", 4, "decided_at <= decide_by",
           lambda a, c: _met(a.decided_at, a.decide_by)),
    Column("Date written notification", 10, "notified_at",
           _on("notified_at", plan_date)),
    Column("Time written notification", 8, "notified_at",
           _on("notified_at", plan_time)),
    Column("Date effectuated", 10, "effectuated_at",
           _on("effectuated_at", plan_date)),
    Column("Effectuated on time", 4, "effectuated_at <= effectuate_by or pay_by",
           lambda a, c: _met(a.effectuated_at, a.effectuate_by or a.pay_by)),
)  # fmt: skip


UNIVERSES = {
    universe.slug: universe
    for universe in (
        Universe(
            "part_c_reconsiderations",
            "Part C Table 2 (RECON): pre-service reconsiderations",
            (LineOfBusiness.MEDICARE_ADVANTAGE,),
            (Kind.PRE_SERVICE, Kind.PART_B_DRUG),
            (
                *_FIXED,
                _AUTHORIZATION,
                *_RECEIPT_AND_REQUEST,
                _PART_B_DRUG,
                *_decision_columns(part_d=False),
            ),
        ),
        Universe(
            "part_d_redeterminations",
            "Part D Table 4 (RD): benefit redeterminations",
            (LineOfBusiness.MEDICARE_PART_D,),
            (Kind.PRE_SERVICE,),
            (
                *_FIXED,
                _AUTHORIZATION,
                *_RECEIPT_AND_REQUEST,
                *_PRESCRIBER,
                *_decision_columns(part_d=True),
            ),
        ),
        Universe(
            "medicaid_appeals",
            "Medicaid managed care appeals",
            (LineOfBusiness.MEDICAID,),
            (Kind.PRE_SERVICE, Kind.POST_SERVICE),
            _GENERAL,
        ),
        Universe(
            "commercial_appeals",
            "Commercial / ERISA appeals",
            (LineOfBusiness.COMMERCIAL,),
            (Kind.PRE_SERVICE, Kind.POST_SERVICE),
            _GENERAL,
        ),
    )
}


def universe_for(slug: str) -> Universe:
    try:
        return UNIVERSES[slug]
    except KeyError:
        known = ", ".join(UNIVERSES)
        raise UnknownUniverse(
            f"No universe '{slug}'. Choose one of: {known}."
        ) from None


def period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The instants that open and close a period of plan-zone days, end inclusive."""
    zone = plan_zone()
    opens = datetime.combine(start, time(0), tzinfo=zone).astimezone(UTC)
    closes = datetime.combine(end + timedelta(days=1), time(0), tzinfo=zone)
    return opens, closes.astimezone(UTC)


def universe_appeals(universe: Universe, *, start: date, end: date) -> list[Appeal]:
    """Cases whose decision falls in the period; cases still awaiting a decision and
    withdrawn cases are left out (REGULATORY.md section 8)."""
    opens, closes = period_bounds(start, end)
    candidates = (
        Appeal.objects.filter(
            line_of_business__in=universe.lines_of_business,
            kind__in=universe.kinds,
        )
        .exclude(status__in=[*AWAITING_DECISION, Status.WITHDRAWN])
        .select_related("member", "provider", "decided_by")
        .order_by("received_at", "id")
    )
    # The decision moment is one of three columns, so the period is applied after the
    # database has narrowed the rows to cases that touch it at all.
    candidates = candidates.filter(
        Q(decided_at__gte=opens, decided_at__lt=closes)
        | Q(closed_at__gte=opens, closed_at__lt=closes)
        | Q(forwarded_at__gte=opens, forwarded_at__lt=closes)
    )
    return [
        appeal
        for appeal in candidates
        if (moment := decision_moment(appeal)) is not None and opens <= moment < closes
    ]


def write_universe(
    universe: Universe, appeals: Iterable[Appeal], out, *, context: ExportContext
) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([column.name for column in universe.columns])
    rows = 0
    for appeal in appeals:
        writer.writerow(
            [
                column.value(appeal, context)[: column.length]
                for column in universe.columns
            ]
        )
        rows += 1
    return rows
