"""The urgency score: where a case stands in the reviewers' queue, and why.

The queue orders by `score DESC NULLS LAST, decide_by ASC`. The slack-first rule of
DESIGN.md ("Urgency score") is therefore encoded inside the score value itself:

- a case whose slack (time to the deadline it is racing minus the expected work left)
  is under the safety margin scores AT_RISK_BASE minus its deadline in hours since
  1970 (about 9.5 million in 2026), so every at-risk case scores above every safe case
  (safe scores are at most 5 x MAX_WEIGHT = 5,000), and among at-risk cases the earlier
  deadline scores higher: earliest-deadline-first, which meets every deadline that can
  be met. An overdue case has the earliest deadline of all, so it comes first;
- a case with safe slack scores the weighted sum of the harm of waiting (expedited,
  clinical urgency, vulnerability, chance of overturn, financial exposure), each factor
  in [0, 1] times a supervisor-editable weight, so the sum is bounded by the weights.

Slack itself is not stored: the components keep the deadline and the work left, and
`slack_hours` computes it when read, so that a periodic pass over a quiet queue finds
nothing changed and writes nothing.

`score_case` is the one rule; the one-case path, the bulk pass and the capacity
simulator all call it.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import psycopg
from django.db import connection
from django.utils import timezone

from appeals.choices import DenialCategory, Priority
from appeals.models import Appeal, ClinicalUrgency, ExpectedWork, ScoringWeights
from appeals.models.appeal import AWAITING_DECISION, FAVOURABLE_OUTCOMES, Status
from appeals.overturn_model import FEATURE_FIELDS, OverturnPredictor

logger = logging.getLogger(__name__)

# Far above any value score (five weights of at most MAX_WEIGHT) and above any
# deadline expressed in hours since 1970 (about 500,000 in 2026): AT_RISK_BASE minus
# the deadline's hour count is above every safe score, and larger for an earlier
# deadline. The deadline is absolute, so two at-risk cases scored at different moments
# still compare correctly.
AT_RISK_BASE = 10_000_000.0
RULE_VERSION = 1
BATCH_SIZE = 2000


@dataclass(frozen=True)
class UrgencyCategory:
    category: str
    label: str
    urgency: float
    code_prefixes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Weights:
    """The rule's parameters as plain values, so that the simulator can score without
    a database. `load_weights` reads the supervisor-edited ones."""

    safety_margin_hours: float = 24.0
    expedited_safety_margin_hours: float = 8.0
    expedited: float = 30.0
    clinical_urgency: float = 25.0
    vulnerability: float = 15.0
    overturn: float = 20.0
    financial: float = 10.0
    financial_cap: float = 50_000.0
    work_hours: Mapping[tuple[str, str], float] = field(default_factory=dict)
    urgency_table: tuple[UrgencyCategory, ...] = ()
    default_category: UrgencyCategory = UrgencyCategory("other", "Other services", 0.3)
    category_cache: dict = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class CaseFacts:
    """What the rule looks at; `due` is the deadline the case races (see due_for)."""

    kind: str
    status: str
    priority: str
    due: datetime | None
    denial_category: str = DenialCategory.OTHER
    service_codes: Sequence[str] = ()
    vulnerability_flags: Sequence[str] = ()
    overturn_probability: float | None = None
    overturn_source: str = ""
    denial_amount: float | None = None


def load_weights() -> Weights:
    stored = ScoringWeights.objects.filter(pk=1).first() or ScoringWeights()
    table = tuple(
        UrgencyCategory(row.category, row.label, row.urgency, tuple(row.code_prefixes))
        for row in ClinicalUrgency.objects.all()
    )
    default = next(
        (row for row in table if row.category == "other"), Weights.default_category
    )
    return Weights(
        safety_margin_hours=stored.safety_margin_hours,
        expedited_safety_margin_hours=stored.expedited_safety_margin_hours,
        expedited=stored.weight_expedited,
        clinical_urgency=stored.weight_clinical_urgency,
        vulnerability=stored.weight_vulnerability,
        overturn=stored.weight_overturn,
        financial=stored.weight_financial,
        financial_cap=float(stored.financial_cap),
        work_hours={
            (row.kind, row.status): row.hours for row in ExpectedWork.objects.all()
        },
        urgency_table=table,
        default_category=default,
    )


# Intake scores every new appeal, and a one-case rescoring follows every change: both
# would otherwise read the weights and unpickle the overturn model each time. A process
# keeps what it loaded for this long; a case scored with older inputs is brought up to
# date by the periodic pass, which always loads afresh.
INPUTS_MAX_AGE_SECONDS = 60.0

_inputs_lock = threading.Lock()
_inputs: tuple[float, Weights, OverturnPredictor] | None = None


def scoring_inputs(*, fresh: bool = False) -> tuple[Weights, OverturnPredictor]:
    """The weights and the overturn predictor, loaded at most once a minute."""
    global _inputs

    with _inputs_lock:
        if not fresh and _inputs is not None:
            loaded_at, weights, predictor = _inputs
            if time.monotonic() - loaded_at < INPUTS_MAX_AGE_SECONDS:
                return weights, predictor

        weights, predictor = load_weights(), OverturnPredictor.load()
        _inputs = (time.monotonic(), weights, predictor)
        return weights, predictor


def forget_scoring_inputs(**kwargs) -> None:
    """Drop this process's copy, so that an edit here counts from the next score."""
    global _inputs

    with _inputs_lock:
        _inputs = None


def service_category(codes: Sequence[str], weights: Weights) -> UrgencyCategory:
    """The most urgent category among the codes, each code placed by its longest
    matching prefix."""
    best = None
    for code in codes:
        match = _code_category(str(code).strip().upper(), weights)
        if best is None or match.urgency > best.urgency:
            best = match
    return best or weights.default_category


def _code_category(code: str, weights: Weights) -> UrgencyCategory:
    # A bulk pass meets the same few hundred codes a million times: remember them.
    cached = weights.category_cache.get(code)
    if cached is not None:
        return cached
    match, length = weights.default_category, 0
    for row in weights.urgency_table:
        for prefix in row.code_prefixes:
            if len(prefix) > length and code.startswith(prefix.upper()):
                match, length = row, len(prefix)
    weights.category_cache[code] = match
    return match


def _vulnerability(flags: Sequence[str]) -> float:
    return min(1.0, 0.5 * len(flags))


def _financial(amount: float | None, cap: float) -> float:
    # Log scale: the step from $100 to $1,000 matters as much as $1,000 to $10,000.
    if not amount or amount <= 0:
        return 0.0
    return min(1.0, math.log1p(amount) / math.log1p(cap))


def score_case(
    *, facts: CaseFacts, now: datetime, weights: Weights
) -> tuple[float, dict]:
    """The one scoring rule: returns (score, components). Pure: no database."""
    work_left = weights.work_hours.get((facts.kind, facts.status), 0.0)
    expedited = facts.priority == Priority.EXPEDITED
    margin = (
        weights.expedited_safety_margin_hours
        if expedited
        else weights.safety_margin_hours
    )
    if facts.due is None:
        at_risk = False
    else:
        slack = (facts.due - now).total_seconds() / 3600 - work_left
        at_risk = slack < margin

    category = service_category(facts.service_codes, weights)
    flags = sorted(facts.vulnerability_flags)
    overturn = facts.overturn_probability
    points = {
        "expedited": weights.expedited * expedited,
        "clinical_urgency": weights.clinical_urgency * category.urgency,
        "vulnerability": weights.vulnerability * _vulnerability(flags),
        "overturn": weights.overturn * (overturn or 0.0),
        "financial": weights.financial
        * _financial(facts.denial_amount, weights.financial_cap),
    }
    points = {name: round(value, 3) for name, value in points.items()}
    value = round(sum(points.values()), 3)

    # The encoding described at the top of this module: EDF band above value band.
    score = AT_RISK_BASE - facts.due.timestamp() / 3600 if at_risk else value

    components = {
        "rule": RULE_VERSION,
        "due": facts.due.isoformat() if facts.due else None,
        "work_left_hours": round(work_left, 2),
        "safety_margin_hours": margin,
        "at_risk": at_risk,
        "expedited": expedited,
        "service_category": category.category,
        "service_category_label": category.label,
        "clinical_urgency": category.urgency,
        "vulnerability_flags": flags,
        "overturn_probability": overturn,
        "overturn_source": facts.overturn_source,
        "financial_exposure": facts.denial_amount,
        "denial_category_label": _category_label(facts.denial_category),
        "points": points,
        "value": value,
    }
    return score, components


def _category_label(category: str) -> str:
    try:
        return DenialCategory(category).label
    except ValueError:
        return category


# What a row must carry for due_for, the facts and the overturn features.
ROW_FIELDS = (
    "id",
    "updated_at",
    "status",
    "decide_by",
    "forward_by",
    "forwarded_at",
    "effectuate_by",
    "pay_by",
    "effectuated_at",
    "outcome",
    "denial_amount",
    "member__vulnerability_flags",
    *FEATURE_FIELDS,
)


def due_for(row: Mapping) -> datetime | None:
    """The deadline an open case is racing: the decision before a decision, then the
    earliest obligation still open (effectuating an overturn, forwarding)."""
    if row["status"] in AWAITING_DECISION:
        return row["decide_by"]

    pending = []
    if row["outcome"] in FAVOURABLE_OUTCOMES and row["effectuated_at"] is None:
        pending += [row["effectuate_by"], row["pay_by"]]
    if row["forwarded_at"] is None and row["status"] != Status.FORWARDED:
        pending.append(row["forward_by"])
    pending = [due for due in pending if due is not None]
    return min(pending) if pending else None


def _facts(row: Mapping, overturn: float, source: str) -> CaseFacts:
    amount = row["denial_amount"]
    return CaseFacts(
        kind=row["kind"],
        status=row["status"],
        priority=row["priority"],
        due=due_for(row),
        denial_category=row["denial_category"],
        service_codes=row["denial_service_codes"] or (),
        vulnerability_flags=row["member__vulnerability_flags"] or (),
        overturn_probability=overturn,
        overturn_source=source,
        denial_amount=float(amount) if amount is not None else None,
    )


def _scores(rows, *, now, weights, predictor) -> list[tuple[float, dict]]:
    """(score, components) for each row, the overturn model asked once for all."""
    probabilities = predictor.predict(rows)
    return [
        score_case(
            facts=_facts(row, probability, predictor.source), now=now, weights=weights
        )
        for row, probability in zip(rows, probabilities, strict=True)
    ]


def _score_rows(rows, *, now, weights, predictor) -> list[tuple]:
    scores = _scores(rows, now=now, weights=weights, predictor=predictor)
    return [
        (row["id"], score, components, row["updated_at"])
        for row, (score, components) in zip(rows, scores, strict=True)
    ]


def _write_scores(scored: list[tuple], *, now: datetime, changed_only=False) -> int:
    """One UPDATE for the whole batch. A row changed since it was read keeps its score:
    its own one-case rescoring, dispatched by that change, has fresher facts. With
    `changed_only`, a row whose score and components are what they were is left
    alone, so that a pass over a quiet queue writes almost nothing."""
    if not scored:
        return 0
    table = Appeal._meta.db_table
    if connection.vendor == "postgresql":
        changed = (
            " AND (a.score IS DISTINCT FROM v.score"
            " OR a.score_components IS DISTINCT FROM v.components)"
            if changed_only
            else ""
        )
        # The batch travels as one JSON document: encoding it is one C call, where
        # arrays of JSON strings would be escaped element by element in Python.
        batch = json.dumps(
            [
                {
                    "id": appeal_id,
                    "score": score,
                    "components": components,
                    "updated_at": updated_at.isoformat(),
                }
                for appeal_id, score, components, updated_at in scored
            ]
        )
        connection.ensure_connection()
        # Bound on the server, so that the document is not quoted into the SQL text.
        with psycopg.Cursor(connection.connection) as cursor:
            cursor.execute(
                f"""
                UPDATE {table} AS a
                SET score = v.score, score_components = v.components, scored_at = %s
                FROM jsonb_to_recordset(%s::jsonb) AS v(
                    id bigint, score float8, components jsonb, updated_at timestamptz
                )
                WHERE a.id = v.id AND a.updated_at = v.updated_at{changed}
                """,
                [now, batch],
            )
            return cursor.rowcount

    ops = connection.ops
    values = ", ".join(["(%s, %s, %s, %s)"] * len(scored))
    params = [ops.adapt_datetimefield_value(now)]
    for appeal_id, score, components, updated_at in scored:
        params += [
            appeal_id,
            score,
            json.dumps(components),
            ops.adapt_datetimefield_value(updated_at),
        ]
    changed = (
        f" AND ({table}.score IS NOT v.column2"
        f" OR {table}.score_components IS NOT v.column3)"
        if changed_only
        else ""
    )
    # SQLite names the columns of a VALUES list column1, column2, ...
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {table}
            SET score = v.column2, score_components = v.column3, scored_at = %s
            FROM (VALUES {values}) AS v
            WHERE {table}.id = v.column1 AND {table}.updated_at = v.column4{changed}
            """,
            params,
        )
        return cursor.rowcount


def _unsaved_row(appeal: Appeal) -> dict:
    """The row `values(*ROW_FIELDS)` would read, taken from an appeal not yet saved."""
    row = {
        name: getattr(appeal, name)
        for name in ROW_FIELDS
        if name not in ("id", "updated_at", "member__vulnerability_flags")
    }
    row["member__vulnerability_flags"] = appeal.member.vulnerability_flags
    return row


def appeals_score_new(appeals: Sequence[Appeal], *, now: datetime) -> None:
    """Score appeals before their first save, so that the intake's answer and the
    queue have the score from the start rather than after a round trip through the
    broker."""
    weights, predictor = scoring_inputs()
    rows = [_unsaved_row(appeal) for appeal in appeals]
    scores = _scores(rows, now=now, weights=weights, predictor=predictor)

    for appeal, (score, components) in zip(appeals, scores, strict=True):
        appeal.score, appeal.score_components = score, components
        appeal.scored_at = now


def appeal_rescore(*, appeal_id: int, now: datetime | None = None) -> bool:
    """Rescore one case; returns whether there was an open case to score."""
    now = now or timezone.now()
    rows = list(Appeal.objects.open().filter(pk=appeal_id).values(*ROW_FIELDS))
    if not rows:
        return False

    weights, predictor = scoring_inputs()
    scored = _score_rows(rows, now=now, weights=weights, predictor=predictor)
    _write_scores(scored, now=now)

    logger.info("Appeal AP-%07d rescored: %.3f", appeal_id, scored[0][1])
    return True


def appeals_rescore_open(
    *, now: datetime | None = None, batch_size: int = BATCH_SIZE
) -> int:
    """Rescore every open case, one batch of ids at a time (keyset), so that memory
    stays flat however many cases are open. Returns how many scores changed."""
    now = now or timezone.now()
    weights, predictor = scoring_inputs(fresh=True)

    last_id, looked_at, total = 0, 0, 0
    while True:
        rows = list(
            Appeal.objects.open()
            .filter(pk__gt=last_id)
            .order_by("pk")
            .values(*ROW_FIELDS)[:batch_size]
        )
        if not rows:
            break
        scored = _score_rows(rows, now=now, weights=weights, predictor=predictor)
        total += _write_scores(scored, now=now, changed_only=True)
        looked_at += len(rows)
        last_id = rows[-1]["id"]

    logger.info("Rescored %s open appeals: %s scores changed", looked_at, total)
    return total


def _hours_text(hours: float) -> str:
    if abs(hours) >= 48:
        return f"{abs(hours) / 24:.0f}d"
    if abs(hours) >= 1:
        return f"{abs(hours):.0f}h"
    return f"{abs(hours) * 60:.0f}min"


def _factor_phrases(components: dict) -> list[tuple[float, str]]:
    points = components.get("points") or {}
    phrases = []
    if components.get("expedited"):
        phrases.append((points.get("expedited", 0.0), "expedited"))
    service = components.get("service_category_label")
    urgency = components.get("clinical_urgency") or 0.0
    if service and urgency >= 0.5:
        phrases.append(
            (points.get("clinical_urgency", 0.0), f"urgent service: {service}")
        )
    flags = components.get("vulnerability_flags") or []
    if flags:
        text = (
            "vulnerable member (" + ", ".join(f.replace("_", " ") for f in flags) + ")"
        )
        phrases.append((points.get("vulnerability", 0.0), text))
    overturn = components.get("overturn_probability")
    if overturn is not None and overturn >= 0.4:
        phrases.append(
            (points.get("overturn", 0.0), f"{overturn:.0%} likely overturned")
        )
    amount = components.get("financial_exposure")
    if amount:
        phrases.append((points.get("financial", 0.0), f"${amount:,.0f} at stake"))
    category = components.get("denial_category_label")
    if category:
        phrases.append((-1.0, category.lower()))
    return phrases


def slack_hours(components: dict, now: datetime) -> tuple[float, float] | None:
    """(hours to the deadline, slack) at `now`. Computed when read rather than
    stored, so that a score whose inputs have not changed is not rewritten."""
    if not components.get("due"):
        return None
    hours = (datetime.fromisoformat(components["due"]) - now).total_seconds() / 3600
    return hours, hours - components.get("work_left_hours", 0.0)


def summarize(components: dict, now: datetime | None = None) -> str:
    """The one line a reviewer reads to see why a case stands where it does."""
    if not components:
        return "Not scored yet"

    timing = slack_hours(components, now or timezone.now())
    if timing is None:
        head = "No deadline running"
    elif timing[0] < 0:
        head = f"Overdue by {_hours_text(timing[0])}"
    elif components.get("at_risk"):
        head = (
            f"At risk: {_hours_text(timing[1])} of slack"
            if timing[1] >= 0
            else f"At risk: {_hours_text(timing[1])} short of the work left"
        )
    else:
        head = f"{_hours_text(timing[1])} of slack"

    phrases = sorted(_factor_phrases(components), key=lambda p: -p[0])
    return "; ".join([head, *(text for _, text in phrases[:3])])
