"""The manager's dashboards: segments with value and risk, revenue at risk by owner, migration, model quality and
the churn model's calibration; charts with their tables, empty states, the visibility rule and a fixed number of
queries (revenue per month and cohort retention, the figures from orders: test_dashboard_trends.py)."""

import datetime as dt
import json
import re

import pytest
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse

from customers.models import Product
from insights import publishing, runs
from insights.models import ChurnScore, CustomerSegment, CustomerValue, ModelRun
from insights.models_ml.metrics import calibration_bins
from tests.factories import CustomerFactory, ProductFactory
from tests.insights.dashboard_orders import buy, place_orders

pytestmark = pytest.mark.django_db


def _run(family, **fields):
    run = ModelRun.objects.create(family=family, as_of=dt.date(2026, 1, 1), status="running", **fields)
    publishing.publish(run)
    return run


def _segment(run, customer, segment):
    CustomerSegment.objects.create(
        run=run, customer=customer, cluster=0, segment=segment, rfm_r=3, rfm_f=3, rfm_m=3, rfm_segment="Loyal"
    )


@pytest.fixture
def book(alice, bob):
    """Three scored customers (alice's Loyal and Lapsed, bob's Loyal) and a segments run before the active one,
    in which alice's Loyal customer was Lapsed and a fourth customer of bob's, now gone, was Loyal."""
    earlier = _run("segments")
    runs = {"segments": _run("segments"), "value": _run("value"), "churn": _run("churn")}
    for owner, segment, before, clv, risk, band in [
        (alice, "Loyal", "Lapsed", 1000, 0.1, "low"),
        (alice, "Lapsed", "Lapsed", 200, 0.9, "high"),
        (bob, "Loyal", "Loyal", 3000, 0.4, "medium"),
    ]:
        customer = CustomerFactory(owner=owner)
        _segment(runs["segments"], customer, segment)
        _segment(earlier, customer, before)
        CustomerValue.objects.create(
            run=runs["value"], customer=customer, p_alive=0.9, expected_purchases_90d=1, expected_purchases_365d=4,
            expected_order_value=clv / 4, clv_12m=clv,
        )  # fmt: skip
        ChurnScore.objects.create(run=runs["churn"], customer=customer, probability=risk, band=band, factors=[])
    _segment(earlier, CustomerFactory(owner=bob), "Loyal")
    return runs


def test_a_manager_sees_every_segment_with_its_value_and_risk(charlie_client, book):
    page = charlie_client.get(reverse("insights:dashboards"))
    rows = {row["segment"]: row for row in page.context["segments"]}
    assert rows["Loyal"]["customers"] == 2 and rows["Loyal"]["value"] == 4000
    assert rows["Loyal"]["at_risk"] == pytest.approx(0.4 * 3000)  # revenue at risk: medium or high risk only
    assert rows["Lapsed"]["average_risk"] == pytest.approx(0.9)


def test_a_rep_sees_the_figures_of_their_own_customers_only(alice_client, book):
    page = alice_client.get(reverse("insights:dashboards"))
    rows = {row["segment"]: row for row in page.context["segments"]}
    assert rows["Loyal"]["customers"] == 1 and rows["Loyal"]["value"] == 1000
    assert page.context["owners"] == []  # revenue at risk by owner is for those who see everyone


def test_revenue_at_risk_by_owner_is_ranked(charlie_client, book):
    owners = charlie_client.get(reverse("insights:dashboards")).context["owners"]
    assert [(o["owner"], o["customers"], round(o["at_risk"])) for o in owners] == [("bob", 1, 1200), ("alice", 1, 180)]


def test_an_owners_revenue_at_risk_is_the_same_on_the_dashboards_and_the_worklist(
    alice, charlie_client, alice_client, book
):
    gone = CustomerFactory(owner=alice)  # no order for over a year: on no one's revenue at risk
    buy(gone, "2024-01-05", (ProductFactory(), 1, "10.00"))
    ChurnScore.objects.create(run=book["churn"], customer=gone, probability=0.99, band="high", factors=[])
    CustomerValue.objects.create(
        run=book["value"], customer=gone, p_alive=0.5, expected_purchases_90d=1, expected_purchases_365d=4,
        expected_order_value=100, clv_12m=400,
    )  # fmt: skip
    dashboards = {o["owner"]: o for o in charlie_client.get(reverse("insights:dashboards")).context["owners"]}
    team = {o["owner_name"]: o for o in charlie_client.get(reverse("insights:worklist")).context["work"].by_owner}
    own = alice_client.get(reverse("insights:worklist")).context["work"]
    assert dashboards["alice"]["at_risk"] == team["alice"]["at_risk"] == own.at_risk_total == pytest.approx(180)
    assert dashboards["alice"]["customers"] == team["alice"]["customers"] == own.at_risk_customers == 1
    html = charlie_client.get(reverse("insights:dashboards")).content.decode()
    assert "Revenue at risk by owner" in html and "Value at risk" not in html


def _moves(migration) -> dict:
    return {(before, now): cell["count"] for before, cells in migration["rows"] for now, cell in
            zip(migration["columns"], cells, strict=True) if cell["count"]}  # fmt: skip


def test_the_migration_between_segment_runs_is_shown(charlie_client, book):
    page = charlie_client.get(reverse("insights:dashboards"))
    migration = page.context["migration"]
    assert migration["columns"] == ["Lapsed", "Loyal", "(gone)"]
    assert [name for name, _ in migration["rows"]] == ["Lapsed", "Loyal", "(new)"]
    assert _moves(migration) == {("Lapsed", "Lapsed"): 1, ("Lapsed", "Loyal"): 1, ("Loyal", "Loyal"): 1,
                                 ("Loyal", "(gone)"): 1}  # fmt: skip
    assert [cell["share"] for cell in migration["rows"][1][1]] == [0, 0.5, 0.5]
    assert "Migration between the last two segment runs" in page.content.decode()


def test_a_rep_sees_the_migration_of_their_own_customers_only(alice_client, book):
    migration = alice_client.get(reverse("insights:dashboards")).context["migration"]
    assert _moves(migration) == {("Lapsed", "Lapsed"): 1, ("Lapsed", "Loyal"): 1}
    assert [name for name, _ in migration["rows"]] == ["Lapsed", "(new)"]


def test_revenue_at_risk_of_customers_in_no_segment_yet_is_said_beside_the_segments(charlie_client, book, bob):
    # The quick start after an import: by owner GBP 47,322.47 at risk, by segment 172.90 less, and nothing said the
    # new customer (scored again after the import, in no segment until the next segments run) made the difference.
    new = CustomerFactory(owner=bob)
    ChurnScore.objects.create(run=book["churn"], customer=new, probability=0.8, band="high", factors=[])
    CustomerValue.objects.create(
        run=book["value"], customer=new, p_alive=0.9, expected_purchases_90d=1, expected_purchases_365d=4,
        expected_order_value=125, clv_12m=500,
    )  # fmt: skip
    page = charlie_client.get(reverse("insights:dashboards"))
    by_segment = sum(row["at_risk"] for row in page.context["segments"])
    by_owner = sum(row["at_risk"] for row in page.context["owners"])
    assert by_owner - by_segment == pytest.approx(400)
    html = re.sub(r"\s+", " ", page.content.decode())
    assert "Customers in no segment yet (new since the segments run) add GBP 400.00 of revenue at risk" in html


def test_model_quality_shows_each_run_beside_its_baseline(charlie_client, book):
    ModelRun.objects.create(
        family="churn", as_of=dt.date(2026, 2, 1), status="held", metrics={"roc_auc": 0.61},
        baseline={"name": "recency only", "metrics": {"roc_auc": 0.66}},
    )  # fmt: skip
    page = charlie_client.get(reverse("insights:dashboards"))
    held = next(row for row in page.context["quality"] if row["run"].status == "held")
    assert (held["metric"], held["model"], held["baseline"], held["better"]) == ("roc_auc", 0.61, 0.66, False)
    assert "<strong>worse</strong>" in page.content.decode()


def test_model_quality_names_its_metrics_in_plain_words_with_the_technical_name_in_a_tooltip(charlie_client, book):
    ModelRun.objects.create(family="churn", as_of=dt.date(2026, 2, 1), status="held", metrics={"roc_auc": 0.61})
    response = charlie_client.get(reverse("insights:dashboards"))
    chart = _charts(response)["quality_churn"]
    assert chart["title"] == "Churn risk: how well it ranks who leaves, higher is better"
    html = response.content.decode()
    section = html[html.index('id="quality-title"') : html.index('id="calibration-title"')]
    text = re.sub(r"<[^>]+>", " ", section)  # what a manager reads, without the tooltips
    assert not re.search(r"roc_auc|rmse|silhouette|ROC-AUC|RMSE", text)
    assert 'title="Measured by ROC-AUC">how well it ranks who leaves</td>' in section


def test_the_quality_line_follows_the_runs_as_of_dates_when_an_older_date_is_trained_later(charlie_client, book):
    ModelRun.objects.create(family="churn", as_of=dt.date(2026, 3, 1), status="held", metrics={"roc_auc": 0.7})
    ModelRun.objects.create(family="churn", as_of=dt.date(2025, 12, 1), status="held", metrics={"roc_auc": 0.6})
    chart = _charts(charlie_client.get(reverse("insights:dashboards")))["quality_churn"]
    assert [label.split(" ", 1)[1] for label in chart["categories"]] == ["1 Dec 2025", "1 Jan 2026", "1 Mar 2026"]
    assert chart["series"][0]["data"][0] == 0.6


def test_model_quality_names_each_baseline_in_words_with_its_key_in_a_tooltip(charlie_client, book):
    # Seen on the quick start's dashboards: "0.930 past_rate", "0.067 rfm_named_segments" in the runs' table.
    _run("value", metrics={"rmse": 0.824}, baseline={"name": "past_rate", "metrics": {"rmse": 0.93}})
    _run(
        "segments",
        metrics={"silhouette": 0.43},
        baseline={"name": "rfm_named_segments", "metrics": {"silhouette": 0.07}},
    )
    html = charlie_client.get(reverse("insights:dashboards")).content.decode()
    section = html[html.index('id="quality-title"') : html.index('id="calibration-title"')]
    text = re.sub(r"<[^>]+>", " ", section)  # what a manager reads, without the tooltips
    assert "past_rate" not in text and "rfm_named_segments" not in text and "RFM" not in text
    assert 'title="past_rate">the simple past-rate forecast</span>' in section
    assert 'title="rfm_named_segments">segments named by recency, frequency and spend</span>' in section


def test_a_family_with_one_run_shows_the_model_and_the_baseline_as_bars_not_a_lonely_dot(charlie_client):
    _run("value", metrics={"rmse": 0.824}, baseline={"name": "past_rate", "metrics": {"rmse": 0.93}})
    chart = _charts(charlie_client.get(reverse("insights:dashboards")))["quality_value"]
    assert (chart["type"], chart["categories"]) == ("bar", ["Model", "Baseline"])
    assert chart["series"][0]["data"] == [0.824, 0.93] and chart["values_shown"]
    assert "model 0.824, baseline 0.930; the model is better than its baseline" in chart["label"]
    _run("value", metrics={"rmse": 0.8}, baseline={"name": "past_rate", "metrics": {"rmse": 0.9}})
    assert _charts(charlie_client.get(reverse("insights:dashboards")))["quality_value"]["type"] == "line"


def test_the_dashboards_write_each_kind_of_figure_one_way(charlie_client, book, orders):
    from tests.crm.test_figure_forms import assert_one_form

    ModelRun.objects.create(family="churn", as_of=dt.date(2025, 12, 1), status="held", metrics={"roc_auc": 0.6})
    assert_one_form(charlie_client.get(reverse("insights:dashboards")).content.decode())


def test_without_any_run_the_page_says_no_model_has_run(charlie_client):
    assert "No model has run yet" in charlie_client.get(reverse("insights:dashboards")).content.decode()


def _charts(page) -> dict:
    """The charts' data the page hands to static/js/charts.js."""
    found = re.search(r'<script id="dashboard-charts" type="application/json">(.*?)</script>', page.content.decode())
    return json.loads(found.group(1))


@pytest.fixture
def goods():
    return ProductFactory()


@pytest.fixture
def shipping():
    return ProductFactory(kind=Product.Kind.SHIPPING)


@pytest.fixture
def orders(alice, bob, goods, shipping):
    return place_orders(alice, bob, goods, shipping)


def test_calibration_bins_by_hand():
    bins = calibration_bins([0, 1, 1, 0, 1], [0.05, 0.15, 0.12, 0.95, 1.0])
    assert len(bins) == 10 and (bins[0]["lower"], bins[0]["upper"], bins[9]["upper"]) == (0.0, 0.1, 1.0)
    assert (bins[0]["count"], bins[0]["mean_predicted"], bins[0]["observed_rate"]) == (1, pytest.approx(0.05), 0.0)
    assert (bins[1]["count"], bins[1]["mean_predicted"], bins[1]["observed_rate"]) == (2, pytest.approx(0.135), 1.0)
    assert (bins[9]["count"], bins[9]["mean_predicted"], bins[9]["observed_rate"]) == (2, pytest.approx(0.975), 0.5)
    assert all(b["count"] == 0 and b["mean_predicted"] is None and b["observed_rate"] is None for b in bins[2:9])


def test_the_page_draws_each_chart_from_its_data_with_a_label_and_a_table(charlie_client, book, orders):
    page = charlie_client.get(reverse("insights:dashboards"))
    html, charts = page.content.decode(), _charts(page)
    assert {"revenue", "segment_sizes", "segment_value", "owners", "cohorts", "migration"} <= set(charts)
    assert charts["revenue"]["series"][0]["data"][-1] == pytest.approx(8)
    assert charts["owners"]["categories"] == ["bob", "alice"]
    for key, chart in charts.items():
        assert f'data-chart="{key}" role="img" aria-label="{chart["label"]}"' in html.replace("&#x27;", "'")
    assert html.count('<details class="chart-data" open>') >= 5  # every figure is readable without JavaScript
    # Scripts come from the app's own static files; the only inline one is the JSON data (strict CSP possible).
    assert re.findall(r"<script(?![^>]*(?:src=|application/json))", html) == []
    assert "vendor/echarts/echarts.min.js" in html and "js/charts.js" in html
    assert finders.find("vendor/echarts/echarts.min.js") and finders.find("vendor/echarts/LICENSE")


def test_each_chart_of_money_names_its_currency_above_it(charlie_client, book, orders, settings):
    settings.DEFAULT_CURRENCY = "EUR"
    html = charlie_client.get(reverse("insights:dashboards")).content.decode()
    assert "Amounts in EUR." in html
    # the charts' axes show bare figures (100K): the card above each says what they are in
    for title in ('id="revenue-title"', "<h3>Value, 12 months, and revenue at risk", 'id="owners-title"'):
        header = html[html.index(title) :][:400]
        assert re.search(r"(<span class=\"muted\">|, )EUR", header), title


def test_a_rep_is_shown_their_own_figures_and_no_owner_ranking(alice_client, book, orders):
    page = alice_client.get(reverse("insights:dashboards"))
    charts = _charts(page)
    assert "owners" not in charts and "Revenue at risk by owner" not in page.content.decode()
    assert charts["segment_sizes"]["series"][0]["data"] == [1, 1]  # alice's Loyal and Lapsed customers
    assert [row["size"] for row in page.context["cohorts"]["rows"]] == [2]


def test_the_calibration_plot_reads_the_churn_runs_bins(charlie_client, book):
    bins = calibration_bins([0, 1, 1, 0], [0.05, 0.15, 0.12, 0.95])
    ModelRun.objects.filter(pk=book["churn"].pk).update(model_card={"calibration": bins})
    page = charlie_client.get(reverse("insights:dashboards"))
    assert _charts(page)["calibration"]["points"] == [[0.05, 0.0, 1], [0.135, 1.0, 2], [0.95, 0.0, 1]]
    assert "Churn risk: predicted against observed" in page.content.decode()


def test_the_calibration_card_gives_the_error_and_the_seasons_shift_beside_the_bins(charlie_client, book):
    bins = calibration_bins([0, 1, 1, 0], [0.05, 0.15, 0.12, 0.95])
    card = {"calibration": bins, "seasonal_shift_applied": {"reason": "not estimable: a year earlier has too few"}}
    ModelRun.objects.filter(pk=book["churn"].pk).update(model_card=card, metrics={"ece": 0.0849})
    html = charlie_client.get(reverse("insights:dashboards")).content.decode()
    assert "8 points away from what happened (calibration error, ECE 0.085)" in html
    assert "No seasonal adjustment: a year earlier has too few." in html
    assert '<td class="num">2</td>' in html  # the customers of each bin
    noise = "not applied: churn 48.5% from 2025-08-10 and 51.9% from 2025-12-08, a move within noise"
    for shift, says in [
        ({"reason": noise, "shift": 0.0}, "a difference within noise: no seasonal adjustment."),
        ({"reason": "applied: ...", "shift": 0.14}, "so the predicted risk is raised for the season."),
        ({"reason": "applied: ...", "shift": -0.2}, "so the predicted risk is lowered for the season."),
    ]:
        shift["rates"] = [0.485, 0.519]
        ModelRun.objects.filter(pk=book["churn"].pk).update(model_card={**card, "seasonal_shift_applied": shift})
        cache.clear()
        html = re.sub(r"\s+", " ", charlie_client.get(reverse("insights:dashboards")).content.decode())
        assert (
            "A year earlier, 48.5% of the customers stopped buying in the window the model is calibrated on and "
            f"51.9% in the one it now scores, {says}"
        ) in html
        assert "Season:" not in html and "applied:" not in html


def test_the_seasons_shift_gives_the_length_of_the_windows_it_compares(charlie_client, book):
    # "stopped buying in the window the model is calibrated on": a window without its length.
    window = {"start": "2026-04-11T00:00:00+00:00", "end": "2026-08-09T00:00:00+00:00", "churn_rate": 0.56}
    shift = {"reason": "applied: ...", "shift": 0.1, "rates": [0.485, 0.519]}
    bins = calibration_bins([0, 1, 1, 0], [0.05, 0.15, 0.12, 0.95])
    card = {"calibration": bins, "calibration_window": window, "seasonal_shift_applied": shift}
    ModelRun.objects.filter(pk=book["churn"].pk).update(model_card=card)
    html = re.sub(r"\s+", " ", charlie_client.get(reverse("insights:dashboards")).content.decode())
    assert (
        "A year earlier, 48.5% of the customers stopped buying in the 120 days the model is calibrated on and "
        "51.9% in the 120 days it now scores, so the predicted risk is raised for the season."
    ) in html
    assert "in the window" not in html


def test_the_calibration_card_gives_the_period_it_was_calibrated_on_beside_the_held_out_one(charlie_client, book):
    bins = calibration_bins([0, 1, 1, 0], [0.05, 0.15, 0.12, 0.95])
    window = {"start": "2011-06-11T00:00:00+00:00", "end": "2011-09-09T00:00:00+00:00", "customers": 2808}
    card = {"calibration": bins, "calibration_window": {**window, "churn_rate": 0.522}}
    card["counts"] = {"test": 200, "test_churned": 86}
    ModelRun.objects.filter(pk=book["churn"].pk).update(model_card=card)
    html = charlie_client.get(reverse("insights:dashboards")).content.decode()
    assert (
        "Calibrated on the latest period with known outcomes, the 90 days from 11 Jun 2011 to 8 Sep 2011: 52% of the "
        "customers then bought nothing, against 43% of the held-out customers after it" in html
    )
    ModelRun.objects.filter(pk=book["churn"].pk).update(model_card={"calibration": bins})  # a run from before
    assert "Calibrated on" not in charlie_client.get(reverse("insights:dashboards")).content.decode()


def test_each_section_says_what_to_do_without_data(charlie_client):
    html = charlie_client.get(reverse("insights:dashboards")).content.decode()
    assert "No model has run yet" in html
    assert "No completed orders yet" in html and "No customer has a completed order yet" in html
    assert "No model run has finished yet: an admin can start one in Admin &rarr; Model runs &rarr; Retrain now" in html


def test_a_single_segments_run_and_an_old_churn_run_say_what_comes_next(charlie_client):
    _run("segments")
    _run("churn")
    html = charlie_client.get(reverse("insights:dashboards")).content.decode()
    assert "No segments run yet" in html  # the run scored none of the visible customers
    assert "No migration yet: it appears once a second segments run has scored customers" in html
    assert "The active churn run recorded no calibration" in html
    assert "Revenue at risk needs an active churn run and an active customer value run" in html


def test_the_dashboards_need_the_same_queries_whatever_the_data_size(
    charlie_client, book, orders, goods, django_assert_num_queries
):
    url = reverse("insights:dashboards")

    def measure():
        cache.clear()
        # session, user, permissions (its own and its groups'); active runs (read once per request); revenue and
        # cohorts; segments and their revenue at risk, owners, migration, quality, churn card; the next best actions
        with django_assert_num_queries(12):
            charlie_client.get(url)
        # Warm: the session, the active runs and the figures from the orders come from the cache.
        with django_assert_num_queries(9):
            charlie_client.get(url)

    measure()
    for day in range(1, 21):
        customer = CustomerFactory()
        _segment(book["segments"], customer, "Lapsed")
        buy(customer, f"2025-{day % 12 + 1:02d}-{day:02d}", (goods, 1, "4.00"), (goods, 2, "1.00"))
    measure()


def test_a_reps_page_needs_a_fixed_number_of_queries_too(alice_client, book, orders, django_assert_num_queries):
    url = reverse("insights:dashboards")
    alice_client.get(url)
    with django_assert_num_queries(7):  # as the manager's, without the owners' ranking and "what will sell"
        alice_client.get(url)


def test_a_trained_churn_run_keeps_its_backtest_calibration_and_the_page_plots_it(charlie_client):
    end = dt.date(2025, 6, 30)
    call_command("seed_demo", customers=300, seed=3, end=end.isoformat(), no_logins=True, verbosity=0)
    run = runs.execute_run(runs.request_run("churn", as_of=end).pk)
    assert run.status in ("succeeded", "held"), run.error
    publishing.publish(run)
    bins = run.model_card["calibration"]
    assert len(bins) == 10 and sum(b["count"] for b in bins) == run.model_card["counts"]["test"]
    churned = sum(b["observed_rate"] * b["count"] for b in bins if b["count"])
    assert churned == pytest.approx(run.model_card["counts"]["test_churned"])
    points = _charts(charlie_client.get(reverse("insights:dashboards")))["calibration"]["points"]
    assert [p[2] for p in points] == [b["count"] for b in bins if b["count"]]
