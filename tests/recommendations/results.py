"""Results rows written directly, as a published run would write them, for the recommendations app's page tests."""

from __future__ import annotations

import datetime as dt

from insights import publishing
from insights.models import ModelRun
from recommendations.models import AssociationRule, Recommendation

AS_OF = dt.date(2026, 11, 1)


def published(family: str, **fields) -> ModelRun:
    run = ModelRun.objects.create(family=family, as_of=AS_OF, status="running", **fields)
    publishing.publish(run)
    return run


def recommend(run, customer, product, list_="try_next", rank=1, code="similar_baskets", params=None):
    return Recommendation.objects.create(
        run=run, customer=customer, list=list_, rank=rank, product=product, score=1.0 / rank, component="als",
        reason_code=code, reason_params=params or {},
    )  # fmt: skip


def rule(run, antecedent, consequent, lift=3.0, confidence=0.4, second=None, count=30, more=()):
    return AssociationRule.objects.create(
        run=run, antecedent=antecedent, antecedent_2=second, consequent=consequent, support=0.01,
        confidence=confidence, lift=lift, count=count, antecedent_more=[p.pk for p in more],
        size=2 + (second is not None) + len(more),
    )  # fmt: skip
