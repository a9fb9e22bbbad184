"""The customer list's segment, churn band and value band filters, its model columns and its sorting by risk
and value, from the active runs (insights/list_filters.py through customers/list_extensions.py)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from insights import list_filters, publishing
from insights.models import ChurnScore, CustomerSegment, CustomerValue, ModelRun
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

LIST = reverse("customers:list")
EXPORT = reverse("customers:export")


def listed(response) -> list[str]:
    return [customer.name for customer in response.context["page_obj"]]


def _run(family, as_of=dt.date(2026, 1, 1), **card) -> ModelRun:
    run = ModelRun.objects.create(family=family, as_of=as_of, status="running", model_card=card)
    publishing.publish(run)
    return run


def _scores(runs, customer, segment, risk, clv):
    CustomerSegment.objects.create(
        run=runs["segments"], customer=customer, cluster=0, segment=segment, rfm_r=3, rfm_f=3, rfm_m=3,
        rfm_segment="Loyal",
    )  # fmt: skip
    band = "high" if risk >= 0.6 else "medium" if risk >= 0.3 else "low"
    ChurnScore.objects.create(run=runs["churn"], customer=customer, probability=risk, band=band, factors=[])
    CustomerValue.objects.create(
        run=runs["value"], customer=customer, p_alive=0.9, expected_purchases_90d=1, expected_purchases_365d=4,
        expected_order_value=clv / 4, clv_12m=clv,
    )  # fmt: skip


@pytest.fixture
def runs(db):
    return {family: _run(family) for family in ("segments", "value", "churn")}


@pytest.fixture
def book(alice, bob, runs):
    """Ten customers of alice with values 100..1000 and rising risk, two segments; one of bob's; one of alice's
    not scored at all."""
    for n in range(1, 11):
        customer = CustomerFactory(owner=alice, name=f"A{n:02d}")
        _scores(runs, customer, "Loyal" if n % 2 else "Lapsed", risk=n / 10 - 0.05, clv=100 * n)
    _scores(runs, CustomerFactory(owner=bob, name="B01"), "Loyal", risk=0.95, clv=5000)
    CustomerFactory(owner=alice, name="A99 unscored")
    return runs


# Filters -----------------------------------------------------------------------------------------------


def test_filter_by_segment(alice_client, book):
    assert listed(alice_client.get(LIST, {"segment": "Lapsed"})) == ["A02", "A04", "A06", "A08", "A10"]


def test_the_segment_choices_are_the_active_runs_segments(alice_client, book):
    field = alice_client.get(LIST).context["filter"].form["segment"]
    assert list(field.field.choices) == [("", "Any segment"), ("Lapsed", "Lapsed"), ("Loyal", "Loyal")]


def test_filter_by_churn_band(alice_client, book):
    # risks 0.05, 0.15 ... 0.95: high from 0.6, medium from 0.3
    assert listed(alice_client.get(LIST, {"churn": "high"})) == ["A07", "A08", "A09", "A10"]
    assert listed(alice_client.get(LIST, {"churn": "medium"})) == ["A04", "A05", "A06"]
    assert listed(alice_client.get(LIST, {"churn": "low"})) == ["A01", "A02", "A03"]


def test_filter_by_value_band_with_floors_computed_from_the_run(charlie_client, book):
    # 11 values 100..1000 and 5000: the 50th percentile is at index 5 (600), the 80th at index 8 (900).
    assert list_filters.value_floors(book["value"].pk) == {"medium": 600, "high": 900}
    assert listed(charlie_client.get(LIST, {"value": "high"})) == ["A10", "B01"]
    assert listed(charlie_client.get(LIST, {"value": "medium"})) == ["A07", "A08", "A09"]
    assert listed(charlie_client.get(LIST, {"value": "low"})) == ["A01", "A02", "A03", "A04", "A05", "A06"]


def test_value_floors_stored_on_the_run_win(charlie_client, book):
    ModelRun.objects.filter(pk=book["value"].pk).update(model_card={"value_bands": {"medium": 250, "high": 750}})
    assert listed(charlie_client.get(LIST, {"value": "medium"})) == ["A03", "A04", "A05", "A06", "A07"]


def test_filters_combine(alice_client, book):
    assert listed(alice_client.get(LIST, {"segment": "Loyal", "churn": "high", "value": "high"})) == []
    assert listed(alice_client.get(LIST, {"segment": "Loyal", "churn": "high"})) == ["A07", "A09"]


def test_a_rep_cannot_reach_another_reps_customer_through_a_model_filter(alice_client, book):
    assert "B01" not in listed(alice_client.get(LIST, {"churn": "high"}))


def test_an_unknown_band_is_ignored(alice_client, book):
    assert len(listed(alice_client.get(LIST, {"churn": "catastrophic"}))) == 11


def test_a_superseded_run_does_not_filter(alice_client, alice, book):
    newer = _run("churn", as_of=dt.date(2026, 2, 1))
    customer = CustomerFactory(owner=alice, name="A50 newly scored")
    ChurnScore.objects.create(run=newer, customer=customer, probability=0.9, band="high", factors=[])
    assert listed(alice_client.get(LIST, {"churn": "high"})) == ["A50 newly scored"]


def test_a_customer_who_opted_out_matches_no_model_filter_and_shows_no_figures(alice_client, book):
    from customers.models import Customer

    Customer.objects.filter(name="A10").update(profiling_consent=False)
    assert "A10" not in listed(alice_client.get(LIST, {"churn": "high"}))
    row = next(c for c in alice_client.get(LIST).context["page_obj"] if c.name == "A10")
    assert [str(html) for _, html in row.extra_cells] == [str(list_filters.NO_FIGURE)] * 3


def test_without_runs_there_are_no_model_filters_or_columns(alice, alice_client):
    CustomerFactory(owner=alice, name="Solo")
    response = alice_client.get(LIST, {"churn": "high"})
    assert listed(response) == ["Solo"]
    assert response.context["columns"] == []
    assertNotContains(response, 'name="churn"')
    assertNotContains(response, "Churn risk, highest first")


def test_the_export_honours_the_model_filters(charlie_client, book):
    response = charlie_client.get(EXPORT, {"churn": "high", "segment": "Lapsed"})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [row["name"] for row in rows] == ["A08", "A10"]


def test_the_export_carries_the_columns_on_screen(charlie_client, book):
    response = charlie_client.get(EXPORT, {"q": "A10"})
    (row,) = csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode()))
    assert (row["segment"], row["churn_risk"], row["churn_probability"], row["value_12m"]) == (
        "Lapsed",
        "high",
        "0.950",
        "1000.00",
    )
    assert row["marketing_consent"] in ("yes", "no") and row["profiling_consent"] == "yes"
    assert dt.datetime.fromisoformat(row["created_at"]).tzinfo is not None  # ISO 8601 with its offset


def test_the_export_leaves_model_figures_blank_for_who_opted_out_or_is_unscored(charlie_client, book):
    CustomerFactory(name="A98 opted out", profiling_consent=False)
    response = charlie_client.get(EXPORT, {"q": "A9"})
    rows = {row["name"]: row for row in csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode()))}
    for name in ("A98 opted out", "A99 unscored"):
        assert (rows[name]["segment"], rows[name]["churn_risk"], rows[name]["value_12m"]) == ("", "", "")


def test_sorting_by_risk_says_how_many_unscored_customers_it_leaves_out(alice_client, book):
    response = alice_client.get(LIST, {"sort": "-risk"})
    assert "A99 unscored" not in listed(response)
    assertContains(response, "1 customer matching these filters\n  has no score and is left out\n  (1 not scored yet)")


def test_sorting_by_risk_says_who_is_left_out_because_they_opted_out_of_profiling(alice, alice_client, book):
    CustomerFactory(owner=alice, name="A98 opted out", profiling_consent=False)
    CustomerFactory(owner=alice, name="A97 opted out", profiling_consent=False)
    response = alice_client.get(LIST, {"sort": "-value"})
    assert response.context["left_out"] == {"total": 3, "opted_out": 2, "unscored": 1}
    assertContains(response, "3 customers matching these filters\n  have no score and are left out\n  (2 opted out of")
    assertContains(response, "2 opted out of profiling, so are never scored; 1 not scored yet).")
    assert alice_client.get(LIST).context["left_out"] is None


def test_the_export_honours_the_sort_by_risk(charlie_client, book):
    response = charlie_client.get(EXPORT, {"sort": "-risk", "owner": ""})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [row["name"] for row in rows][:3] == ["B01", "A10", "A09"]


# Columns and sorting -----------------------------------------------------------------------------------


def test_the_columns_show_segment_risk_and_value(alice_client, book, settings):
    settings.DEFAULT_CURRENCY = "GBP"
    response = alice_client.get(LIST)
    assert [column.heading for column in response.context["columns"]] == ["Segment", "Churn risk", "12-month value"]
    row = next(c for c in response.context["page_obj"] if c.name == "A10")
    assert [str(html) for _, html in row.extra_cells] == [
        "Lapsed",
        '<span class="badge badge-high">High</span> 95%',
        "GBP\u00a01,000.00",
    ]
    unscored = next(c for c in response.context["page_obj"] if c.name == "A99 unscored")
    assert [str(html) for _, html in unscored.extra_cells] == [str(list_filters.NO_FIGURE)] * 3


def test_sort_by_churn_risk_highest_first(charlie_client, book):
    response = charlie_client.get(LIST, {"sort": "-risk"})
    assert listed(response)[:3] == ["B01", "A10", "A09"]
    assert "A99 unscored" not in listed(response)  # no score in the run: not ranked
    option = '<option value="-risk" selected>Churn risk, highest first</option>'
    assertContains(response, option, html=True)
    heading = (
        '<th scope="col" class="nowrap" data-column="churn" aria-sort="descending">'
        '<a href="?sort=-risk">Churn risk ↓</a></th>'
    )
    assertContains(response, heading, html=True)


def test_the_risk_and_value_headings_link_to_their_sort(alice_client, book):
    response = alice_client.get(LIST, {"segment": "Loyal"})
    assertContains(response, '<a href="?segment=Loyal&amp;sort=-value">12-month value</a>', html=True)
    assertContains(response, '<a href="?segment=Loyal&amp;sort=-risk">Churn risk</a>', html=True)


def test_sort_by_value_highest_first_within_a_filter(alice_client, book):
    assert listed(alice_client.get(LIST, {"sort": "-value", "segment": "Loyal"})) == ["A09", "A07", "A05", "A03", "A01"]


# Query counts ------------------------------------------------------------------------------------------


def _grow(owner, runs, count):
    for n in range(count):
        _scores(runs, CustomerFactory(owner=owner), "Loyal", risk=0.7, clv=1000 + n)


@pytest.mark.parametrize("persona", ["alice", "charlie"])
@pytest.mark.parametrize(
    "query", [{}, {"segment": "Loyal", "churn": "high", "value": "high"}, {"sort": "-risk"}, {"sort": "-value"}]
)
def test_the_list_with_model_columns_and_filters_needs_the_same_queries_whatever_the_data_size(
    request, persona, query, alice, runs, django_assert_num_queries
):
    client = request.getfixturevalue(f"{persona}_client")
    # Fixed floors, so every customer made here (12-month values from 1000) is in the high band.
    ModelRun.objects.filter(pk=runs["value"].pk).update(model_card={"value_bands": {"medium": 10, "high": 100}})
    _grow(alice, runs, 3)
    client.get(LIST, query)  # warms the caches: active runs, segment names, value floors
    expected = 7 if persona == "alice" else 8  # the same as without any run: columns add no query
    if "sort" in query:
        expected += 1  # how many customers the sort by a score leaves out (kept for the session in production)
    with django_assert_num_queries(expected):
        assert client.get(LIST, query).context["page_obj"]
    _grow(alice, runs, 60)  # more than a page
    with django_assert_num_queries(expected):
        assert len(client.get(LIST, query).context["page_obj"]) == 50


def test_the_choices_are_computed_once_per_run(alice, alice_client, runs, django_assert_num_queries):
    _grow(alice, runs, 5)
    alice_client.get(LIST)
    with django_assert_num_queries(0):
        list_filters.segment_choices(runs["segments"].pk)
        list_filters.value_floors(runs["value"].pk)
