"""The manager's dashboards: segments with value and risk, value at risk by owner, migration, model quality."""

import datetime as dt

import pytest
from django.urls import reverse

from insights import publishing
from insights.models import ChurnScore, CustomerSegment, CustomerValue, ModelRun
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def _run(family, **fields):
    run = ModelRun.objects.create(family=family, as_of=dt.date(2026, 1, 1), status="running", **fields)
    publishing.publish(run)
    return run


@pytest.fixture
def book(alice, bob):
    migration = {
        "rows": ["Loyal", "(new)"], "columns": ["Loyal", "Lapsed"], "counts": [[3, 1], [0, 2]],
        "shares": [[0.75, 0.25], [0.0, 1.0]], "stayed": 3, "moved": 1, "new": 2, "gone": 0,
    }  # fmt: skip
    runs = {
        "segments": _run("segments", model_card={"migration": migration}),
        "value": _run("value"),
        "churn": _run("churn"),
    }
    for owner, segment, clv, risk in [
        (alice, "Loyal", 1000, 0.1),
        (alice, "Lapsed", 200, 0.9),
        (bob, "Loyal", 3000, 0.2),
    ]:
        customer = CustomerFactory(owner=owner)
        CustomerSegment.objects.create(
            run=runs["segments"], customer=customer, cluster=0, segment=segment, rfm_r=3, rfm_f=3, rfm_m=3,
            rfm_segment="Loyal",
        )  # fmt: skip
        CustomerValue.objects.create(
            run=runs["value"], customer=customer, p_alive=0.9, expected_purchases_90d=1, expected_purchases_365d=4,
            expected_order_value=clv / 4, clv_12m=clv,
        )  # fmt: skip
        ChurnScore.objects.create(run=runs["churn"], customer=customer, probability=risk, band="low", factors=[])
    return runs


def test_a_manager_sees_every_segment_with_its_value_and_risk(charlie_client, book):
    page = charlie_client.get(reverse("insights:dashboards"))
    rows = {row["segment"]: row for row in page.context["segments"]}
    assert rows["Loyal"]["customers"] == 2 and rows["Loyal"]["value"] == 4000
    assert rows["Loyal"]["at_risk"] == pytest.approx(0.1 * 1000 + 0.2 * 3000)
    assert rows["Lapsed"]["average_risk"] == pytest.approx(0.9)


def test_a_rep_sees_the_figures_of_their_own_customers_only(alice_client, book):
    page = alice_client.get(reverse("insights:dashboards"))
    rows = {row["segment"]: row for row in page.context["segments"]}
    assert rows["Loyal"]["customers"] == 1 and rows["Loyal"]["value"] == 1000
    assert page.context["owners"] == []  # value at risk by owner is for those who see everyone


def test_value_at_risk_by_owner_is_ranked(charlie_client, book):
    owners = charlie_client.get(reverse("insights:dashboards")).context["owners"]
    assert [(o["owner"], round(o["at_risk"])) for o in owners] == [("bob", 600), ("alice", 280)]


def test_the_migration_between_segment_runs_is_shown(charlie_client, book):
    page = charlie_client.get(reverse("insights:dashboards"))
    assert page.context["migration"]["columns"] == ["Loyal", "Lapsed"]
    assert "Migration between the last two segment runs" in page.content.decode()


def test_model_quality_shows_each_run_beside_its_baseline(charlie_client, book):
    ModelRun.objects.create(
        family="churn", as_of=dt.date(2026, 2, 1), status="held", metrics={"roc_auc": 0.61},
        baseline={"name": "recency only", "metrics": {"roc_auc": 0.66}},
    )  # fmt: skip
    page = charlie_client.get(reverse("insights:dashboards"))
    held = next(row for row in page.context["quality"] if row["run"].status == "held")
    assert (held["metric"], held["model"], held["baseline"], held["better"]) == ("roc_auc", 0.61, 0.66, False)
    assert "<strong>worse</strong>" in page.content.decode()


def test_without_any_run_the_page_says_no_model_has_run(charlie_client):
    assert "No model has run yet" in charlie_client.get(reverse("insights:dashboards")).content.decode()


def test_the_dashboards_need_the_same_queries_whatever_the_data_size(charlie_client, book, django_assert_num_queries):
    url = reverse("insights:dashboards")
    charlie_client.get(url)
    with django_assert_num_queries(8):  # session, user, groups, perms, segments, owners, migration card, quality
        charlie_client.get(url)
    for _ in range(20):
        customer = CustomerFactory()
        CustomerSegment.objects.create(
            run=book["segments"], customer=customer, cluster=1, segment="Lapsed", rfm_r=1, rfm_f=1, rfm_m=1,
            rfm_segment="Lost",
        )  # fmt: skip
    with django_assert_num_queries(8):
        charlie_client.get(url)
