"""A rules run writes the rules mined with its thresholds whatever the backtest says, and the baseline's popular
companions too when they won: the rules page lists the mined rules (and says when the suggestions do not use them,
and why), the product page, the profile and the API suggest the kind the verdict chose."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from django.urls import reverse
from django.utils import timezone

from insights import publishing, runs
from insights.families.base import BASELINE, MODEL
from insights.models import ModelRun
from recommendations.families.rules import RulesFamily
from recommendations.models import AssociationRule
from tests.factories import CustomerFactory, OrderFactory, OrderItemFactory, ProductFactory
from tests.recommendations.stores import load_catalogue, load_purchases

MINED, POPULAR = AssociationRule.Kind.MINED, AssociationRule.Kind.POPULAR
# Thresholds a user checking rules sets: every rule of 80 % confidence or more, as R's arules would list them.
CHECKING = {"min_support": "0.01", "min_confidence": "0.8", "min_lift": "0", "min_gain": "0", "max_length": "0"}
CHECKING |= {"per_antecedent": "0"}


def tying_lines(baskets: int = 600, items: int = 16, seed: int = 0) -> pd.DataFrame:
    """Baskets of two products drawn by popularity, nine in ten with product 0 as well: the only rules of 80 %
    confidence say "... -> 0", and 0 is the most popular product, so the rules suggest nothing popularity does not
    already suggest and the backtest ties."""
    rng = np.random.default_rng(seed)
    weights = 1 / np.arange(1, items) ** 0.7
    rows = []
    for basket in range(baskets):
        at = pd.Timestamp("2023-06-01", tz="UTC") + pd.Timedelta(hours=12 * basket)
        products = set(rng.choice(np.arange(1, items), 2, replace=False, p=weights / weights.sum()).tolist())
        if rng.random() < 0.9:
            products.add(0)
        rows += [(basket, basket % 50, product, at, 1) for product in sorted(products)]
    return pd.DataFrame(rows, columns=["order", "customer", "product", "placed_at", "quantity"])


def text(response) -> str:
    return response.content.decode().replace("&#x27;", "'")


def test_a_run_whose_baseline_wins_writes_its_mined_rules_and_the_popular_companions_each_marked():
    lines = tying_lines()
    family = RulesFamily(CHECKING)
    assert family.backtest(lines).winner == BASELINE
    fitted = family.fit(lines, BASELINE)
    rows = family.rows(fitted, lines)
    mined, popular = rows[rows["kind"] == MINED], rows[rows["kind"] == POPULAR]
    assert len(mined) == len(fitted.mined.rules) > 0 and (mined["confidence"] >= 0.8).all()
    assert len(popular) == len(fitted.popular.rules) > 0


def test_a_run_whose_rules_win_writes_no_popular_companions():
    lines = tying_lines()
    family = RulesFamily(CHECKING)
    fitted = family.fit(lines, MODEL)
    assert fitted.popular is None
    assert set(family.rows(fitted, lines)["kind"]) == {MINED}


@pytest.fixture
def tied_run(db) -> ModelRun:
    """A rules run with the checking thresholds on baskets where the mined rules tie popularity: published, with
    the popular companions as its suggestions."""
    catalogue = pd.DataFrame({"product": range(16), "name": [f"Goods {chr(65 + p)}" for p in range(16)]})
    product_ids = load_catalogue(catalogue.assign(category="Sim"))
    load_purchases(tying_lines(), product_ids)
    run = runs.request_run(
        "rules", trigger=ModelRun.Trigger.CLI, as_of=dt.date(2024, 3, 31), parameters={"in_process": True, **CHECKING}
    )
    run = runs.execute_run(run.pk)
    assert run.status == ModelRun.Status.SUCCEEDED and run.is_active, run.error
    run.product_ids = product_ids
    return run


def test_the_rules_page_lists_the_mined_rules_of_a_run_the_baseline_won_and_says_why_they_are_not_suggested(
    tied_run, charlie_client
):
    assert tied_run.winner == BASELINE and "(a tie is not a win)" in tied_run.publish_note
    mined = AssociationRule.objects.filter(run=tied_run, kind=MINED)
    assert mined.exists() and set(mined.values_list("consequent__name", flat=True)) == {"Goods A"}
    page = text(charlie_client.get(reverse("recommendations:rules")))
    count = tied_run.model_card["rules"]["rule_count"]
    assert f"Association rules mined from 600 baskets up to 31 Mar 2024: {count} rules" in page
    assert "with confidence at least 80%" in page
    share = f"{tied_run.metrics['hit_rate_at_10'] * 100:.1f}%"
    notice = page.split('id="not-suggested">')[1].split("</p>")[0]
    assert f"suggested the hidden product of {share} of the later baskets, as often as each product" in notice
    assert (
        "the product pages and profiles suggest each product's most popular companions, since a tie is not a win"
        in notice
    )
    assert f"{tied_run.metrics['rule_count']} rules these thresholds found in the baskets before the last 90" in notice
    assert "Popular companions (" in page and "Each product's most popular companions" not in page
    popular = text(charlie_client.get(reverse("recommendations:rules"), {"kind": "popular"}))
    assert "Each product's most popular companions in 600 baskets" in popular
    assert "the product pages and profiles suggest them" in popular and 'id="not-suggested"' not in popular
    assert 'value="count" selected' in popular


def test_the_product_page_and_the_profile_suggest_the_popular_companions_of_a_run_the_baseline_won(
    tied_run, alice, alice_client
):
    product = tied_run.product_ids[5]
    # Its mined rules name only Goods A; its popular companions name others too.
    assert set(AssociationRule.objects.filter(run=tied_run, kind=MINED, antecedent_id=product).values_list(
        "consequent_id", flat=True)) <= {tied_run.product_ids[0]}  # fmt: skip
    companions = set(
        AssociationRule.objects.filter(run=tied_run, kind=POPULAR, antecedent_id=product).values_list(
            "consequent__name", flat=True
        )
    )
    assert len(companions) > 1
    page = text(alice_client.get(reverse("products:detail", args=[product])))
    section = page.split('id="together-title"')[1].split("</section>")[0]
    shown = {name for name in companions if f">{name}</a>" in section}
    assert len(shown) > 1
    customer = CustomerFactory(owner=alice)
    order = OrderFactory(customer=customer, placed_at=timezone.now() - dt.timedelta(days=2))
    OrderItemFactory(order=order, product_id=product)
    profile = text(alice_client.get(reverse("customers:detail", args=[customer.pk])))
    basket = profile.split("Bought together")[1].split("</section>")[0]
    assert len({name for name in companions if f">{name}</a>" in basket}) > 1


# The same with rows made directly, as a run writes them ----------------------------------------------------------


def _published(winner: str, **card) -> ModelRun:
    run = ModelRun.objects.create(
        family="rules", as_of=dt.date(2026, 11, 1), status="running", winner=winner, deciding_metric="hit_rate_at_10",
        metrics={"hit_rate_at_10": 0.384, "rule_count": 410}, baseline={"name": "popularity", "metrics": {
            "hit_rate_at_10": 0.384 if winner == BASELINE else 0.2}},
        data_counts={"baskets": 9835}, model_card={"holdout_days": 90, **card},
    )  # fmt: skip
    publishing.publish(run)
    return run


def _rule(run, antecedent, consequent, kind, lift=3.0, count=30):
    return AssociationRule.objects.create(
        run=run, antecedent=antecedent, consequent=consequent, support=0.01, confidence=0.8, lift=lift, count=count,
        size=2, kind=kind,
    )  # fmt: skip


@pytest.fixture
def goods(db):
    return {name: ProductFactory(name=name) for name in ("Tea", "Cups", "Saucers", "Jam")}


def test_the_rules_page_says_a_tie_in_the_figures_a_user_can_check(goods, charlie_client):
    run = _published(BASELINE, rules={"rule_count": 410, "min_count": 10, "min_support": 10 / 9835,
                                      "min_confidence": 0.8, "min_lift": 0.0}, popular={"rule_count": 2})  # fmt: skip
    _rule(run, goods["Tea"], goods["Saucers"], MINED)
    _rule(run, goods["Tea"], goods["Cups"], POPULAR)
    page = text(charlie_client.get(reverse("recommendations:rules")))
    assert (
        "In the backtest, the 410 rules these thresholds found in the baskets before the last 90 days suggested the "
        "hidden product of 38.4% of the later baskets, as often as each product's most popular companions: the "
        "product pages and profiles suggest each product's most popular companions, since a tie is not a win." in page
    )
    assert "Saucers" in page and "Cups</a></td>" not in page
    assert "Mined rules (410)" in page and "Popular companions (2)" in page


def test_the_rules_page_says_when_the_popular_companions_did_better(goods, charlie_client):
    run = _published(BASELINE, rules={"rule_count": 3}, popular={"rule_count": 2})
    ModelRun.objects.filter(pk=run.pk).update(baseline={"name": "popularity", "metrics": {"hit_rate_at_10": 0.401}})
    page = text(charlie_client.get(reverse("recommendations:rules")))
    assert "38.4% of the later baskets, less often than each product's most popular companions (40.1%)" in page
    assert "No rule met these thresholds" not in page and "No rule matches" in page


def test_a_run_whose_rules_won_shows_no_notice_and_no_popular_view(goods, charlie_client):
    run = _published(MODEL, rules={"rule_count": 1}, popular=None)
    _rule(run, goods["Tea"], goods["Saucers"], MINED)
    page = text(charlie_client.get(reverse("recommendations:rules")))
    assert "Saucers" in page and 'id="not-suggested"' not in page and "Popular companions (" not in page
    page = text(charlie_client.get(reverse("recommendations:rules"), {"kind": "popular"}))
    assert "is not a kind of rule this run wrote (mined rules): mined shown" in page and "Saucers" in page


def test_thresholds_that_found_no_rule_say_so_and_point_to_the_popular_companions(goods, charlie_client):
    run = _published(BASELINE, rules={"rule_count": 0}, popular={"rule_count": 1})
    ModelRun.objects.filter(pk=run.pk).update(metrics={"hit_rate_at_10": None, "rule_count": 0})
    _rule(run, goods["Tea"], goods["Cups"], POPULAR)
    page = text(charlie_client.get(reverse("recommendations:rules")))
    assert "No rule met these thresholds" in page and 'href="?kind=popular"' in page
    assert "In the backtest these thresholds found no rule in the baskets before the last 90 days" in page


def test_a_run_recorded_before_kinds_shows_its_popular_companions(goods, charlie_client):
    run = _published(BASELINE, rules={"rule_count": 1, "min_count": 1})  # its card's rules were the companions
    _rule(run, goods["Tea"], goods["Cups"], POPULAR)
    page = text(charlie_client.get(reverse("recommendations:rules")))
    assert "Cups" in page and "not mined rules" in page and 'id="not-suggested"' not in page


def test_the_api_gives_the_suggested_kind_by_default_and_either_kind_when_asked(goods, charlie_client):
    run = _published(BASELINE, rules={"rule_count": 1}, popular={"rule_count": 1})
    _rule(run, goods["Tea"], goods["Saucers"], MINED)
    _rule(run, goods["Tea"], goods["Cups"], POPULAR)
    url = reverse("recommendations-api:rule-list")
    default = charlie_client.get(url).json()["results"]
    assert [(r["consequent"], r["kind"]) for r in default] == [(goods["Cups"].pk, "popular")]
    mined = charlie_client.get(url, {"kind": "mined"}).json()["results"]
    assert [(r["consequent"], r["kind"]) for r in mined] == [(goods["Saucers"].pk, "mined")]


@pytest.mark.parametrize("kind", ["", "popular"])
def test_the_rules_page_needs_the_same_queries_for_either_kind_whatever_the_data_size(
    kind, goods, charlie_client, django_assert_num_queries
):
    run = _published(BASELINE, rules={"rule_count": 1}, popular={"rule_count": 1})
    url = reverse("recommendations:rules") + (f"?kind={kind}" if kind else "")

    def grow(n):
        for _ in range(n):
            a, b = ProductFactory(), ProductFactory()
            _rule(run, a, b, MINED)
            _rule(run, b, a, POPULAR)

    grow(1)
    charlie_client.get(url)  # warm the active-run cache
    with django_assert_num_queries(5):
        charlie_client.get(url)
    grow(6)
    with django_assert_num_queries(5):
        charlie_client.get(url)


def test_the_product_page_reads_the_suggested_kind_in_the_same_queries(goods, alice_client, django_assert_num_queries):
    run = _published(BASELINE, rules={"rule_count": 1}, popular={"rule_count": 1})
    _rule(run, goods["Tea"], goods["Saucers"], MINED, lift=9.0)
    _rule(run, goods["Tea"], goods["Cups"], POPULAR)
    url = reverse("products:detail", args=[goods["Tea"].pk])
    alice_client.get(url)  # warm the active-run cache
    # The kind comes with the cached active run: no query more than before kinds (tests/recommendations/test_pages.py
    # pins 8 with a demand forecast too; 1 is the user's permissions).
    with django_assert_num_queries(5):
        page = text(alice_client.get(url))
    section = page.split('id="together-title"')[1].split("</section>")[0]
    assert ">Cups</a>" in section and "Saucers" not in section
