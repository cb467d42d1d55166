"""The predicted chance that a denial is overturned on appeal, learned from the plan's
own closed appeals (`python manage.py train_overturn_model`).

Each training run stores a new OverturnModel version. With too few closed appeals for
a model to mean anything, the version holds only the overturn rate of each denial
category, which is what the predictor then uses.
"""

import io
import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

import joblib
from django.db import transaction

from appeals.choices import DenialCategory
from appeals.models import Appeal, OverturnModel
from appeals.models.appeal import FAVOURABLE_OUTCOMES

logger = logging.getLogger(__name__)

# Below this many closed appeals (or with only one outcome among them) a fitted model
# would mostly learn noise; the category rates are the honest estimate.
MIN_TRAINING_APPEALS = 200

# Before any plan data: the share of appealed denials overturned in Medicare Advantage
# (REGULATORY.md section 10, about 80%), lowered where the denial is rarely reversed.
PRIOR_RATE = 0.8
PRIOR_CATEGORY_RATES = {
    DenialCategory.MEDICAL_NECESSITY: 0.75,
    DenialCategory.PRIOR_AUTHORIZATION: 0.85,
    DenialCategory.MISSING_INFORMATION: 0.9,
    DenialCategory.CODING: 0.7,
    DenialCategory.BUNDLING: 0.5,
    DenialCategory.TIMELY_FILING: 0.3,
    DenialCategory.NOT_COVERED: 0.2,
    DenialCategory.EXPERIMENTAL: 0.25,
    DenialCategory.DUPLICATE: 0.15,
    DenialCategory.ELIGIBILITY: 0.3,
    DenialCategory.OTHER: PRIOR_RATE,
}
# Weight of the prior, in appeals, when a category has few closed cases of its own.
PRIOR_STRENGTH = 10

# The appeal fields the features are made of; the bulk rescoring loads the same ones.
FEATURE_FIELDS = (
    "line_of_business",
    "kind",
    "priority",
    "denial_category",
    "denial_reason_codes",
    "denial_service_codes",
    "provider_id",
)


def features(row: dict) -> dict:
    """One appeal's features as a sparse dict (for DictVectorizer)."""
    result = {
        f"line={row['line_of_business']}": 1,
        f"kind={row['kind']}": 1,
        f"priority={row['priority']}": 1,
        f"category={row['denial_category']}": 1,
        f"provider={row['provider_id'] or 'none'}": 1,
    }
    for code in row["denial_reason_codes"] or []:
        result[f"reason={code}"] = 1
    # Three characters keep the service family (e.g. J90, 933) and drop the rest, so
    # that rare codes still share evidence with their neighbours.
    for code in row["denial_service_codes"] or []:
        result[f"service={str(code)[:3]}"] = 1
    return result


def _category_rates(rows: Iterable[dict]) -> dict[str, float]:
    overturned = defaultdict(int)
    total = defaultdict(int)
    for row in rows:
        total[row["denial_category"]] += 1
        overturned[row["denial_category"]] += row["overturned"]

    rates = {}
    for category in DenialCategory.values:
        prior = PRIOR_CATEGORY_RATES.get(category, PRIOR_RATE)
        rates[category] = round(
            (overturned[category] + prior * PRIOR_STRENGTH)
            / (total[category] + PRIOR_STRENGTH),
            4,
        )
    return rates


def _closed_rows() -> list[dict]:
    rows = list(
        Appeal.objects.filter(decided_at__isnull=False)
        .exclude(outcome="")
        .values(*FEATURE_FIELDS, "outcome")
    )
    for row in rows:
        row["overturned"] = int(row["outcome"] in FAVOURABLE_OUTCOMES)
    return rows


def _fit(rows: list[dict]):
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline

    x = [features(row) for row in rows]
    y = [row["overturned"] for row in rows]
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=0.25, random_state=0, stratify=y
    )
    pipeline = make_pipeline(DictVectorizer(), LogisticRegression(C=1.0, max_iter=1000))
    pipeline.fit(x_train, y_train)
    metrics = {"holdout": len(y_test)}
    if len(set(y_test)) == 2:
        predicted = pipeline.predict_proba(x_test)[:, 1]
        metrics["auc"] = round(float(roc_auc_score(y_test, predicted)), 4)

    pipeline.fit(x, y)
    buffer = io.BytesIO()
    joblib.dump(pipeline, buffer)
    return buffer.getvalue(), metrics


@transaction.atomic
def overturn_model_train(*, now: datetime) -> OverturnModel:
    rows = _closed_rows()
    rates = _category_rates(rows)
    outcomes = {row["overturned"] for row in rows}

    if len(rows) < MIN_TRAINING_APPEALS or len(outcomes) < 2:
        version = OverturnModel.objects.create(
            trained_at=now,
            method=OverturnModel.Method.CATEGORY_RATE,
            trained_on=len(rows),
            category_rates=rates,
            metrics={
                "reason": f"fewer than {MIN_TRAINING_APPEALS} closed appeals"
                if len(rows) < MIN_TRAINING_APPEALS
                else "only one outcome"
            },
        )
    else:
        estimator, metrics = _fit(rows)
        version = OverturnModel.objects.create(
            trained_at=now,
            method=OverturnModel.Method.LOGISTIC,
            trained_on=len(rows),
            category_rates=rates,
            metrics=metrics,
            estimator=estimator,
        )

    OverturnModel.objects.exclude(pk=version.pk).update(active=False)
    logger.info(
        "Overturn model v%s trained on %s closed appeals (%s)",
        version.pk,
        len(rows),
        version.method,
    )
    return version


class OverturnPredictor:
    """Loaded once per scoring pass; predicts for a batch of rows at a time."""

    def __init__(self, version: OverturnModel | None):
        self.version = version
        self.rates = version.category_rates if version else PRIOR_CATEGORY_RATES
        self.pipeline = None
        if version is not None and version.estimator:
            self.pipeline = joblib.load(io.BytesIO(bytes(version.estimator)))

    @classmethod
    def load(cls) -> "OverturnPredictor":
        return cls(OverturnModel.objects.filter(active=True).first())

    @property
    def source(self) -> str:
        if self.pipeline is not None:
            return f"model v{self.version.pk}"
        return "denial category rate"

    def predict(self, rows: list[dict]) -> list[float]:
        if not rows:
            return []
        if self.pipeline is not None:
            probabilities = self.pipeline.predict_proba([features(r) for r in rows])
            return [round(float(p), 4) for p in probabilities[:, 1]]
        return [
            float(self.rates.get(row["denial_category"], PRIOR_RATE)) for row in rows
        ]
