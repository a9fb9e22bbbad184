"""Each kind of figure has one form on the profile, the product page and the dashboards, whoever wrote it (a
template filter, a chart's data, a model's text): shares "72%", ratios "3.1×", dates "7 Dec 2026", counts "1,077"
(crm/templatetags/lodestar.py and Django's date and intcomma)."""

import datetime as dt
import json
import re
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from django.urls import reverse
from django.utils import timezone

from insights import publishing
from insights.models import ChurnScore, CustomerSegment, ModelRun
from insights.models_ml import churn_explain
from insights.models_ml.features import FEATURE_COLUMNS
from insights.models_ml.segments_describe import profile_clusters
from recommendations.models import ProductForecast
from tests.factories import CustomerFactory, OrderFactory, OrderItemFactory, ProductFactory

pytestmark = pytest.mark.django_db

OTHER_FORMS = {
    "a share with a space before %": re.compile(r"\d %"),
    "a ratio with an x": re.compile(r"\b\d+(\.\d+)?x\b"),
    "a day with a leading zero": re.compile(r"\b0\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b"),
    "a day and month without the year": re.compile(
        r"\b\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b(?! \d{4})"
    ),
    "a count of thousands without grouping": re.compile(r"(?<![\d,.#-])\d{4,} (days|customers|orders|units)"),
}


def _text(page: str) -> str:
    """What the page says: its text and its charts' data (the json_script), without markup."""
    charts = re.findall(r'<script id="dashboard-charts" type="application/json">(.*?)</script>', page, re.S)
    page = re.sub(r"<script.*?</script>|<style.*?</style>", " ", page, flags=re.S)
    words = re.sub(r"<[^>]+>", " ", page)
    for found in charts:
        words += " " + json.dumps(json.loads(found), ensure_ascii=False)
    return words.replace("\u00a0", " ")


def assert_one_form(page: str) -> None:
    """No figure on `page` in a form other than the project's one for its kind."""
    text = _text(page)
    found = {kind: sorted({m.group(0) for m in form.finditer(text)}) for kind, form in OTHER_FORMS.items()}
    assert {kind: hits for kind, hits in found.items() if hits} == {}


def _published(family: str, **fields) -> ModelRun:
    run = ModelRun.objects.create(family=family, as_of=dt.date(2026, 11, 1), status="running", **fields)
    publishing.publish(run)
    return run


def test_the_profile_writes_each_kind_of_figure_one_way(alice, alice_client):
    customer = CustomerFactory(owner=alice)
    order = OrderFactory(customer=customer, placed_at=timezone.now() - dt.timedelta(days=1077))
    OrderItemFactory(order=order, quantity=1, unit_price=Decimal("40.00"))
    # The churn card's factors as the model writes them: a long silence, a share and a ratio.
    # The run is as of 1 Nov 2026, so the model's recency is as of then; the page counts the days on to today, as the
    # worklist does (insights/scores.py factor_text), which brings them to the order's 1,077.
    recency = 1077 - (timezone.localdate() - dt.date(2026, 11, 1)).days + 0.5
    row = dict.fromkeys(FEATURE_COLUMNS, 0.0) | {"recency_days": recency, "cadence_days": 100.0, "spend_365d": 40.0}
    row |= {"spend_trend": 0.5, "spend_90d": 10.0, "orders_365d": 2.0}
    factors = [
        {"feature": f, "value": row[f], "effect": 0.2, "text": churn_explain.describe(f, row)}
        for f in ("recency_days", "spend_trend")
    ]
    ChurnScore.objects.create(run=_published("churn"), customer=customer, probability=0.9, band="high", factors=factors)
    # The segment's profile as the model writes it, with medians in the thousands of days.
    rng = np.random.default_rng(0)
    features = pd.DataFrame(
        {
            "frequency": rng.integers(1, 4, 400).astype(float),
            "recency_days": rng.uniform(900, 1500, 400),
            "monetary_avg": rng.uniform(10, 50, 400),
            "tenure_days": rng.uniform(1200, 2000, 400),
        }
    )
    features["monetary_total"] = features["frequency"] * features["monetary_avg"]
    labels = pd.Series((features["recency_days"] > 1200).astype(int), index=features.index)
    profile = profile_clusters(features, labels)[1]
    run = _published("segments", model_card={"profiles": {"1": profile}})
    CustomerSegment.objects.create(
        run=run, customer=customer, cluster=1, segment=profile["name"], rfm_r=1, rfm_f=1, rfm_m=1, rfm_segment="Lost"
    )
    page = alice_client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert re.search(r"no order for 1,\d{3} days, 1\d\.\d× their usual gap", page)  # counted to today
    assert "spend in the last 90 days is down 50% on their yearly pace" in page
    described = profile["text"].removeprefix(f"{profile['name']}: ")  # the card has just named the segment
    assert described in page and re.search(r"customer for \d,\d{3} days", page)
    assert_one_form(page)


def test_the_product_page_writes_each_kind_of_figure_one_way(alice_client):
    tea = ProductFactory(name="Tea")
    demand = _published("demand", model_card={"backtest": {"mean": {"wape": 0.61, "bias_pct": -4.0}}})
    for horizon in (1, 2):
        ProductForecast.objects.create(
            run=demand, product=tea, week=dt.date(2026, 11, 2) + dt.timedelta(weeks=horizon - 1), horizon=horizon,
            forecast=1200.0, median=1100.0, lower=600.0, upper=2000.0,
        )  # fmt: skip
    OrderItemFactory(product=tea, quantity=1500, order=OrderFactory(placed_at=timezone.now() - dt.timedelta(days=9)))
    page = alice_client.get(reverse("products:detail", args=[tea.pk])).content.decode()
    assert "-4% off" in page and "2,400 units" in page
    charts = json.loads(re.search(r'<script id="dashboard-charts" type="application/json">(.*?)</script>', page)[1])
    assert charts["forecast"]["categories"][-2:] == ["2 Nov 2026", "9 Nov 2026"]
    assert_one_form(page)
