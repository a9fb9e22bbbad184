"""The recommendations, rules and demand families trained end to end on simulated shops with a known structure:
they publish through ModelRun, write their rows, and hold back what does not beat its baseline."""

from __future__ import annotations

import datetime as dt
import io
import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from django.core.management import call_command

from customers.models import OrderItem
from insights import runs
from insights.families.base import MODEL
from insights.models import ModelRun
from recommendations.families.rules import RulesFamily
from recommendations.models import AssociationRule, ProductForecast, Recommendation
from recommendations.models_ml.demand_sim import simulate_demand
from recommendations.models_ml.simulate_baskets import simulate_lines, simulate_products
from tests.factories import CustomerFactory, OrderFactory, OrderItemFactory, ProductFactory
from tests.recommendations.stores import load_anonymous_sales, load_catalogue, load_purchases

AS_OF = dt.date(2023, 12, 31)


def train(family: str, as_of: dt.date = AS_OF, **parameters) -> ModelRun:
    """Request and run one run of `family` here, as `manage.py retrain --in-process` does."""
    run = runs.request_run(
        family, trigger=ModelRun.Trigger.CLI, as_of=as_of, parameters={"in_process": True, **parameters}
    )
    return runs.execute_run(run.pk)


@pytest.fixture
def shop(db):
    """300 customers buying 120 products in 12 themes: each mostly buys in a home theme and has staples."""
    products = simulate_products(120, 12)
    lines = simulate_lines(n_customers=300, n_items=120, n_groups=12, orders=8, basket=4, end="2024-01-01", seed=1)
    product_ids = load_catalogue(products)
    return SimpleNamespace(products=products, product_ids=product_ids, customer_ids=load_purchases(lines, product_ids))


def bought(customer_id: int) -> set[int]:
    return set(OrderItem.objects.filter(order__customer_id=customer_id).values_list("product_id", flat=True))


def test_a_recommendations_run_beats_popularity_and_publishes_both_lists(shop):
    run = train("recommendations")
    assert run.status == ModelRun.Status.SUCCEEDED and run.is_active, run.publish_note or run.error
    assert run.metrics["precision_at_10"] > run.baseline["metrics"]["precision_at_10"]
    assert set(run.metrics) >= {"precision_at_10", "recall_at_10", "ndcg_at_10", "coverage", "precision_at_10_new"}
    customers = set(Recommendation.objects.filter(run=run).values_list("customer_id", flat=True))
    assert customers == set(shop.customer_ids.values())


def test_try_next_holds_only_new_products_and_reorder_only_bought_ones(shop):
    run = train("recommendations")
    for customer in list(shop.customer_ids.values())[:20]:
        rows = Recommendation.objects.filter(run=run, customer_id=customer)
        history = bought(customer)
        assert not {r.product_id for r in rows if r.list == "try_next"} & history
        assert {r.product_id for r in rows if r.list == "reorder"} <= history


def test_buy_again_reasons_count_the_customers_own_purchase_days(shop):
    run = train("recommendations")
    row = Recommendation.objects.filter(run=run, reason_code="buy_again").order_by("customer_id", "rank").first()
    days = (
        OrderItem.objects.filter(order__customer_id=row.customer_id, product_id=row.product_id)
        .values_list("order__placed_at__date", flat=True)
        .distinct()
    )
    assert row.reason_params["times"] == len(set(days))


def test_a_customer_without_orders_gets_what_is_popular_now(shop):
    newcomer = CustomerFactory()
    run = train("recommendations")
    rows = list(Recommendation.objects.filter(run=run, customer=newcomer))
    assert rows and {r.list for r in rows} == {"try_next"}
    assert {r.reason_code for r in rows} == {"popular_now"}


def test_a_customer_who_opted_out_of_profiling_gets_no_recommendations(shop):
    private = CustomerFactory(profiling_consent=False)
    OrderItemFactory(order=OrderFactory(customer=private), product_id=shop.product_ids[1])
    run = train("recommendations")
    assert not Recommendation.objects.filter(run=run, customer=private).exists()


def test_a_rules_run_finds_products_of_the_same_theme(shop):
    run = train("rules")
    assert run.status == ModelRun.Status.SUCCEEDED, run.publish_note or run.error
    rules = list(
        AssociationRule.objects.filter(run=run, antecedent_2__isnull=True).select_related("antecedent", "consequent")
    )
    assert rules
    same = np.mean([r.antecedent.category == r.consequent.category for r in rules])
    assert same > 0.9
    assert run.model_card["rules"]["rule_count"] >= len(rules)
    assert run.metrics["hit_rate_at_10"] > run.baseline["metrics"]["hit_rate_at_10"]
    assert run.winner == "model" and run.publish_note.startswith("Association rules: rule mining, because it beat")
    assert not AssociationRule.objects.filter(run=run, kind="popular").exists()  # its rules won: no companions


def test_a_rules_run_takes_its_thresholds_as_parameters(shop):
    run = train("rules", min_support="0.01", min_confidence="0.3", min_lift="2", min_gain="0", max_length="3")
    assert run.status == ModelRun.Status.SUCCEEDED, run.publish_note or run.error
    assert run.model_card["parameters"] == {
        "min_support": 0.01, "min_confidence": 0.3, "min_lift": 2.0, "min_gain": 0.0, "max_length": 3,
        "per_antecedent": 6,
    }  # fmt: skip
    summary = run.model_card["rules"]
    # The share as given, no floor of 20: the fewest baskets whose share is at least 0.01.
    assert summary["min_count"] / summary["n_baskets"] >= 0.01 > (summary["min_count"] - 1) / summary["n_baskets"]
    rules = AssociationRule.objects.filter(run=run)
    assert not rules.filter(confidence__lt=0.3).exists() and not rules.filter(lift__lt=2).exists()
    assert not rules.filter(size__gt=3).exists()
    bad_ones = (({"min_support": "2"}, "above 0 and at most 1"), ({"max_length": "1"}, "2 or more"))
    for bad, words in (*bad_ones, ({"per_antecedent": "-1"}, "0 or more")):
        with pytest.raises(ValueError, match=words):
            runs.request_run("rules", trigger=ModelRun.Trigger.CLI, as_of=AS_OF, parameters=bad)


def test_a_rules_run_publishes_every_rule_it_mined_when_all_are_asked_for():
    # One product bought with each of 25 others: 25 rules from the same left-hand side, none dropped on the way to
    # the results table (a fixed cap of 20 per left-hand side used to drop 5 without a word).
    lines = pd.DataFrame(
        [(f"o{k}-{i}", product, pd.Timestamp("2023-06-01", tz="UTC")) for k in range(1, 26) for i in range(30)
         for product in (0, k)],
        columns=["order", "product", "placed_at"],
    )  # fmt: skip
    everything = {"min_support": "0.01", "min_confidence": "0", "min_lift": "0", "min_gain": "0", "per_antecedent": "0"}
    family = RulesFamily(everything)
    fitted = family.fit(lines, MODEL)
    rows = family.rows(fitted, lines)
    assert len(rows) == len(fitted.mined.rules) == 50 and set(rows["kind"]) == {"mined"}
    assert (rows["antecedent_id"] == 0).sum() == 25
    family = RulesFamily({**everything, "per_antecedent": "3"})
    rows = family.rows(family.fit(lines, MODEL), lines)
    assert (rows["antecedent_id"] == 0).sum() == 3 and len(rows) == 28


def test_baskets_without_structure_give_no_rules_and_the_popular_companions_are_published(db):
    products = ProductFactory.create_batch(200)
    rng = np.random.default_rng(0)
    for day in range(150):
        order = OrderFactory(placed_at=dt.datetime(2023, 8, 1, 12, tzinfo=dt.UTC) + dt.timedelta(days=day))
        for line, index in enumerate(rng.choice(200, 2, replace=False), start=1):
            OrderItemFactory(order=order, product=products[index], line_number=line)
    run = train("rules")
    assert run.status == ModelRun.Status.SUCCEEDED and run.is_active and run.winner == "baseline"
    assert "no rule is frequent enough" in run.publish_note
    assert not AssociationRule.objects.filter(run=run, kind="mined").exists()
    published = AssociationRule.objects.filter(run=run, kind="popular")
    assert published.exists() and not published.filter(antecedent_2__isnull=False).exists()
    # Each product's companions are the bestsellers its baskets did hold, most popular first.
    for rule in published[:50]:
        assert rule.count >= 1 and rule.antecedent_id != rule.consequent_id


@pytest.fixture
def weekly_sales(db):
    """15 products with a yearly season and promotions, sold anonymously every week for 80 weeks."""
    demand = simulate_demand(products=15, weeks=80, seed=3, start="2022-06-06", new_share=0.0)
    catalogue = pd.DataFrame({"product": demand.units.columns, "name": [f"Item {p}" for p in demand.units.columns]})
    product_ids = load_catalogue(catalogue.assign(category="Sim"))
    load_anonymous_sales(demand, product_ids)
    return SimpleNamespace(demand=demand, product_ids=product_ids)


def test_a_demand_run_forecasts_every_selling_product_for_the_horizon(weekly_sales):
    last_sunday = (weekly_sales.demand.units.index[-1] + dt.timedelta(days=6)).date()
    run = train("demand", as_of=last_sunday, horizon=4)
    assert run.status in (ModelRun.Status.SUCCEEDED, ModelRun.Status.HELD), run.error
    assert set(run.metrics) == {
        "wape",
        "mape",
        "bias_pct",
        "total_wape",
        "interval_coverage_80",
        "total_interval_coverage_80",
    }
    assert run.deciding_metric == "total_wape" and run.winner in ("model", "baseline")
    assert run.baseline["name"] in {"last_week", "mean_4", "median_8", "seasonal_naive"}
    rows = list(ProductForecast.objects.filter(run=run).order_by("product_id", "horizon"))
    assert len(rows) == 15 * 4
    first_week = weekly_sales.demand.units.index[-1].date() + dt.timedelta(days=7)
    assert {r.week for r in rows if r.horizon == 1} == {first_week}
    assert all(r.lower <= r.forecast <= r.upper for r in rows)


def test_evaluate_prints_the_recommendation_metrics_beside_popularity_as_json(shop):
    out = io.StringIO()
    call_command("evaluate", "--family", "recommendations", "--as-of", "2023-12-01", "--format", "json", stdout=out)
    result = json.loads(out.getvalue())["recommendations"]
    keys = {"precision_at_10", "recall_at_10", "ndcg_at_10", "coverage", "precision_at_10_new"}
    assert keys <= set(result["metrics"]) and keys <= set(result["baseline"]["metrics"])
    assert result["baseline"]["name"] == "popularity"
    assert result["metrics"]["precision_at_10"] > result["baseline"]["metrics"]["precision_at_10"]


def test_a_large_recommendations_run_is_written_in_chunks_by_workers_loading_the_saved_model(
    shop, settings, django_capture_on_commit_callbacks
):
    from insights import artifacts, tasks

    settings.SCORING_CHUNK_SIZE = 100
    run = runs.request_run("recommendations", as_of=AS_OF)
    with django_capture_on_commit_callbacks() as callbacks:
        run = runs.execute_run(run.pk)
        tasks.queue_chunks(run)
    assert run.status == "running" and run.chunks_total == 3 and len(callbacks) == 1
    assert not Recommendation.objects.filter(run=run).exists()  # nothing scored in the training process
    artifacts.forget_loaded()  # a worker starts with no model in memory
    ids = sorted(shop.customer_ids.values())
    for first, last in reversed(runs.plan(ids, 100)):  # as the workers would, in any order
        runs.run_chunk(run.pk, first, last)
    run.refresh_from_db()
    assert run.status == "succeeded" and run.is_active and run.progress == 1.0
    assert set(Recommendation.objects.filter(run=run).values_list("customer_id", flat=True)) == set(ids)


def test_reason_parameters_turn_into_the_json_of_each_row():
    from recommendations.families.recommend import json_texts

    params = [{"every": 30, "last": 4, "times": 5}, None, {}, {"items": [3, 1]}, {"every": None, "last": 0, "times": 1}]
    assert [json.loads(text) for text in json_texts(params)] == [p or {} for p in params]
    assert json_texts([]) == []
