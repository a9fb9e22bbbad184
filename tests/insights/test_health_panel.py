"""The health card on the customer profile: what the active runs say about the customer, in plain words."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from insights import publishing
from insights.models import ChurnScore, CustomerSegment, CustomerValue, ModelRun
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def _published(family: str, as_of=dt.date(2026, 1, 1), **card) -> ModelRun:
    run = ModelRun.objects.create(family=family, as_of=as_of, status="running", model_card=card)
    publishing.publish(run)
    return run


def _score(customer, probability=0.72, as_of=dt.date(2026, 1, 1)):
    run = _published("churn", as_of=as_of)
    factors = [
        {"feature": "recency_days", "value": 140, "effect": 0.3, "text": "No order for 140 days, 3x their usual gap"},
        {"feature": "frequency", "value": 12, "effect": -0.1, "text": "12 orders so far"},
    ]
    ChurnScore.objects.create(run=run, customer=customer, probability=probability, band="high", factors=factors)
    return run


def test_without_any_run_the_card_says_no_model_has_run(charlie_client):
    customer = CustomerFactory()
    page = charlie_client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert "No model has run yet" in page


def test_the_card_shows_risk_factors_value_and_segment_from_the_active_runs(charlie_client):
    customer = CustomerFactory()
    _score(customer)
    value_run = _published("value")
    CustomerValue.objects.create(
        run=value_run,
        customer=customer,
        p_alive=0.8,
        expected_purchases_90d=1.2,
        expected_purchases_365d=4.5,
        expected_order_value=80,
        clv_12m=360,
    )
    segments_run = _published("segments", profiles={"2": {"text": "Orders monthly, spends big"}})
    CustomerSegment.objects.create(
        run=segments_run, customer=customer, cluster=2, segment="Loyal big spenders", rfm_r=4, rfm_f=5, rfm_m=5,
        rfm_segment="Champions",
    )  # fmt: skip
    page = charlie_client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert "High" in page and "72% chance" in page  # 0.72 shown as a percentage
    days = 139 + (timezone.localdate() - dt.date(2026, 1, 1)).days  # counted on to today, as the worklist counts
    assert f"No order for {days:,} days, {days / (140 / 3):.1f}× their usual gap" in page
    assert "12 orders so far" in page
    assert "360" in page and "4.5 orders expected" in page
    assert "Loyal big spenders" in page and "Orders monthly, spends big" in page
    assert "RFM 455" not in page and "recency 4, frequency 5, spend 5" in page  # the scores in a tooltip
    assert "GBP\u00a0360.00</span> &middot;" in page
    assert "80% chance they have not left for good" in page
    assert "as of 1 Jan 2026" in page


def test_an_older_run_does_not_show_once_superseded(charlie_client):
    customer = CustomerFactory()
    _score(customer, probability=0.9)
    newer = _published("churn", as_of=dt.date(2026, 2, 1))
    ChurnScore.objects.create(run=newer, customer=customer, probability=0.15, band="low", factors=[])
    page = charlie_client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert "15% chance" in page
    assert "90% chance" not in page
    assert "Across model runs" in page  # both runs are in the history


def test_a_customer_who_opted_out_of_profiling_is_told_so(charlie_client):
    customer = CustomerFactory(profiling_consent=False)
    _score(customer)
    page = charlie_client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert "opted out of profiling" in page


def test_the_card_needs_the_same_queries_however_long_the_history(charlie_client, django_assert_num_queries):
    customer = CustomerFactory()
    _score(customer, as_of=dt.date(2025, 1, 1))
    CustomerValue.objects.create(
        run=_published("value"), customer=customer, p_alive=0.8, expected_purchases_90d=1,
        expected_purchases_365d=4, expected_order_value=80, clv_12m=360,
    )  # fmt: skip
    CustomerSegment.objects.create(
        run=_published("segments"), customer=customer, cluster=1, segment="x", rfm_r=1, rfm_f=1, rfm_m=1,
        rfm_segment="y",
    )  # fmt: skip
    url = reverse("customers:detail", args=[customer.pk])
    charlie_client.get(url)
    # the profile's 10 (tests/customers/test_pages.py, with the "What they say" panel's interactions and topics),
    # then each family's score (three), the customer's rhythm beside the segment (one), the risk and value history
    # (one) and whether a new run waits for a worker
    with django_assert_num_queries(16):
        charlie_client.get(url)
    for month in range(2, 10):
        run = _published("churn", as_of=dt.date(2025, month, 1))
        ChurnScore.objects.create(run=run, customer=customer, probability=0.1 * month, band="low", factors=[])
    charlie_client.get(url)
    with django_assert_num_queries(16):
        charlie_client.get(url)


def test_the_history_keeps_the_latest_runs_of_each_family_and_the_later_run_of_a_day(charlie_client):
    customer = CustomerFactory()
    for month in range(1, 13):  # 14 churn runs: two on 1 Mar 2025, none on 1 Jan 2026 ...
        for _ in range(2 if month == 3 else 1):
            run = _published("churn", as_of=dt.date(2025, month, 1))
            ChurnScore.objects.create(run=run, customer=customer, probability=month / 100 + run.pk / 10000, band="low")
    run = _published("churn", as_of=dt.date(2026, 2, 1))
    ChurnScore.objects.create(run=run, customer=customer, probability=0.5, band="low")
    value = _published("value", as_of=dt.date(2026, 1, 1))  # ... where the only value run is
    CustomerValue.objects.create(
        run=value, customer=customer, p_alive=0.8, expected_purchases_90d=1, expected_purchases_365d=4,
        expected_order_value=80, clv_12m=360,
    )  # fmt: skip
    history = charlie_client.get(reverse("customers:detail", args=[customer.pk])).context["history"]
    # the latest 12 churn runs: 1 Mar 2025 (its later run) to 1 Dec 2025, 1 Feb 2026; and the value run
    assert [point["as_of"] for point in history] == [
        *(dt.date(2025, month, 1) for month in range(3, 13)),
        dt.date(2026, 1, 1),
        dt.date(2026, 2, 1),
    ]
    later = ChurnScore.objects.filter(run__as_of=dt.date(2025, 3, 1)).order_by("-run_id").first()
    assert history[0]["churn"] == pytest.approx(later.probability) and history[0]["value"] is None
    assert history[-2] == {"as_of": dt.date(2026, 1, 1), "churn": None, "value": 360}
    assert history[-1]["churn"] == pytest.approx(0.5)


def test_the_segments_profile_text_is_read_from_its_run_once(charlie_client):
    customers = CustomerFactory.create_batch(2)
    run = _published("segments", profiles={"2": {"text": "Orders monthly, spends big"}, "3": {"text": "Gone quiet"}})
    for customer, cluster in zip(customers, (2, 3), strict=True):
        CustomerSegment.objects.create(
            run=run, customer=customer, cluster=cluster, segment="x", rfm_r=1, rfm_f=1, rfm_m=1, rfm_segment="y"
        )
    first = charlie_client.get(reverse("customers:detail", args=[customers[0].pk])).content.decode()
    with CaptureQueriesContext(connection) as queries:
        second = charlie_client.get(reverse("customers:detail", args=[customers[1].pk])).content.decode()
    assert "Orders monthly, spends big" in first and "Gone quiet" in second
    assert not [q for q in queries.captured_queries if "model_card" in q["sql"]]


def test_the_history_includes_the_active_run_in_the_headlines_units(charlie_client, settings):
    settings.DEFAULT_CURRENCY = "GBP"
    customer = CustomerFactory()
    _score(customer, probability=0.83, as_of=dt.date(2025, 12, 1))
    _score(customer, probability=0.24, as_of=dt.date(2026, 1, 1))  # the active run
    value_run = _published("value")
    CustomerValue.objects.create(
        run=value_run, customer=customer, p_alive=0.8, expected_purchases_90d=1, expected_purchases_365d=4,
        expected_order_value=80, clv_12m=1234.5,
    )  # fmt: skip
    page = charlie_client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    history = page[page.index('id="score-history"') :]
    assert "24% chance of no order in the next 90 days" in page
    assert "1 Dec 2025" in history and "83%" in history
    assert "1 Jan 2026" in history and "24%" in history and "GBP\u00a01,234.50" in history
    assert "0.83" not in history


def test_money_factors_carry_the_currency_and_high_spend_never_raises_the_risk(charlie_client, settings):
    settings.DEFAULT_CURRENCY = "EUR"
    customer = CustomerFactory()
    run = _published("churn")
    factors = [
        {"feature": "monetary_total", "value": 1819, "effect": 0.4, "text": "1,819 spent in total"},
        {"feature": "monetary_avg", "value": 20, "effect": -0.2, "text": "20 per order on average"},
    ]
    ChurnScore.objects.create(run=run, customer=customer, probability=0.5, band="medium", factors=factors)
    page = charlie_client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert "Raising the risk" not in page and "spent in total" not in page
    assert "EUR\u00a020.00 per order on average" in page


def test_the_expected_value_reads_the_same_on_the_list_and_the_profile(charlie_client, settings):
    settings.DEFAULT_CURRENCY = "GBP"
    customer = CustomerFactory()
    CustomerValue.objects.create(
        run=_published("value"), customer=customer, p_alive=0.8, expected_purchases_90d=1,
        expected_purchases_365d=4, expected_order_value=80, clv_12m=1234.5,
    )  # fmt: skip
    profile = charlie_client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    listed = charlie_client.get(reverse("customers:list")).content.decode()
    assert "GBP\u00a01,234.50" in profile and "GBP\u00a01,234.50" in listed


def _queued(family: str, minutes_ago: float) -> ModelRun:
    run = ModelRun.objects.create(family=family, as_of=dt.date(2026, 1, 1))
    ModelRun.objects.filter(pk=run.pk).update(created_at=timezone.now() - dt.timedelta(minutes=minutes_ago))
    return run


def _card(client, customer) -> str:
    return client.get(reverse("customers:detail", args=[customer.pk])).content.decode()


def test_a_run_no_worker_has_started_is_said_to_wait_for_the_worker(charlie_client):
    customer = CustomerFactory()
    _score(customer)
    _queued("churn", minutes_ago=5)
    page = _card(charlie_client, customer)
    assert "Waiting for the background worker: a new churn risk run was queued at" in page
    assert "Is a worker running?" in page
    assert "72% chance" in page  # the active run's scores still show meanwhile


def test_the_first_run_waiting_for_the_worker_is_said_so_before_any_model(charlie_client):
    customer = CustomerFactory()
    _queued("segments", minutes_ago=5)
    page = _card(charlie_client, customer)
    assert "No model has run yet" in page and "a new segments run was queued at" in page


def test_a_run_waiting_for_the_broker_says_so_as_the_admin_does(charlie_client):
    from crm.models import OutboxMessage

    customer = CustomerFactory()
    run = _queued("value", minutes_ago=0)
    OutboxMessage.objects.create(task="insights.tasks.train", args=[run.pk], last_error="OperationalError: refused")
    assert "the broker does not answer, so 1 task(s) wait in the database" in _card(charlie_client, customer)


def test_a_run_just_queued_or_started_says_nothing_of_the_worker(charlie_client):
    customer = CustomerFactory()
    _queued("churn", minutes_ago=0.1)
    ModelRun.objects.create(family="value", as_of=dt.date(2026, 1, 1), status="running")
    assert "Waiting for the background worker" not in _card(charlie_client, customer)


def test_a_one_time_buyer_is_not_said_to_be_certainly_still_buying(charlie_client):
    """No P(alive) for a customer without a repeat purchase (BG/NBD's 1 by construction): the card says why."""
    customer = CustomerFactory()
    _score(customer, probability=0.99)
    CustomerValue.objects.create(
        run=_published("value"),
        customer=customer,
        p_alive=None,
        expected_purchases_90d=0.05,
        expected_purchases_365d=0.2,
        expected_order_value=100,
        clv_12m=20,
    )
    page = charlie_client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert "one order so far: the value model cannot tell from one order whether they still buy" in page
    assert "chance they have not left for good" not in page


def test_a_one_time_buyer_of_two_years_ago_is_not_told_it_is_too_early_to_say(charlie_client):
    # The quick start: "one order so far: too early to say whether they still buy" for an order 764 days ago,
    # beside "over 99% chance of no order in the next 120 days".
    customer = _regular(gap_days=30, last_days_ago=764, orders=1)
    _score(customer, probability=0.995)
    CustomerValue.objects.create(
        run=_published("value"), customer=customer, p_alive=None, expected_purchases_90d=0.05,
        expected_purchases_365d=0.2, expected_order_value=100, clv_12m=20,
    )  # fmt: skip
    page = _card(charlie_client, customer)
    assert "too early" not in page
    assert "the value model cannot tell from one order whether they still buy" in page


def test_the_factors_say_they_are_compared_with_a_typical_customer(charlie_client):
    customer = CustomerFactory()
    _score(customer)
    page = charlie_client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert "Raising the risk, compared with a typical customer" in page
    assert "Lowering the risk, compared with a typical customer" in page


def test_a_stored_factor_that_reads_as_a_risk_sign_is_not_listed_as_lowering_the_risk(charlie_client):
    customer = CustomerFactory()
    run = _published("churn")
    factors = [
        {
            "feature": "recency_days",
            "value": 120,
            "effect": -0.2,
            "text": "no order for 120 days, 3.1x their usual gap",
        },
        {"feature": "spend_365d", "value": 0.0, "effect": -0.1, "text": "0 spent in the last year"},
        {"feature": "interactions_90d", "value": 4, "effect": -0.05, "text": "4 interactions in the last 90 days"},
    ]
    ChurnScore.objects.create(run=run, customer=customer, probability=0.8, band="high", factors=factors)
    page = charlie_client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert "4 interactions in the last 90 days" in page
    assert "no order for 120 days" not in page
    assert "spent in the last year" not in page


def test_the_profile_and_the_worklist_count_the_days_since_the_last_order_alike(alice, alice_client):
    # The quick start's walk: "last 119 days ago" on the worklist, "no order for 120 days" on the profile.
    from decimal import Decimal

    from insights.data import as_of_datetime
    from tests.factories import OrderFactory, OrderItemFactory

    today = timezone.localdate()
    customer = CustomerFactory(owner=alice, name="Counted")
    placed = []
    for days in (357, 238, 119):
        moment = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=days), dt.time(14, 0)))
        OrderItemFactory(order=OrderFactory(customer=customer, placed_at=moment), quantity=1, unit_price=Decimal(9))
        placed.append(moment)
    as_of = today - dt.timedelta(days=1)
    recency = (as_of_datetime(as_of) - placed[-1]).total_seconds() / 86400  # 118.4: the model said "118 days"
    run = _published("churn", as_of=as_of, horizon_days=90)
    factors = [{"feature": "recency_days", "value": recency, "effect": 0.3, "text": "no order for 118 days"}]
    ChurnScore.objects.create(run=run, customer=customer, probability=0.8, band="high", factors=factors)
    value = _published("value", as_of=as_of)
    CustomerValue.objects.create(
        run=value, customer=customer, p_alive=0.5, expected_purchases_90d=1, expected_purchases_365d=2,
        expected_order_value=50, clv_12m=100,
    )  # fmt: skip
    profile = alice_client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert "no order for 119 days" in profile
    entry = alice_client.get(reverse("insights:worklist")).context["work"].at_risk[0]
    assert entry.why.startswith("3 orders, about every 119 days, last 119 days ago")


def test_a_usual_gap_factor_says_the_silence_beside_it_counted_to_today(charlie_client):
    # Seen: "usually orders every 47 days" raising the risk, with the 231 days without an order nowhere beside it.
    customer = CustomerFactory()
    as_of = timezone.localdate() - dt.timedelta(days=12)
    run = _published("churn", as_of=as_of)
    factors = [
        {
            "feature": "cadence_days",
            "value": 40.0,
            "effect": 0.2,
            "text": "no order for 120 days, 3.0× their usual gap of 40 days",
            "recency_days": 120.4,
        }
    ]
    ChurnScore.objects.create(run=run, customer=customer, probability=0.8, band="high", factors=factors)
    page = _card(charlie_client, customer)
    assert "no order for 132 days, 3.3× their usual gap of 40 days" in page


def _regular(gap_days: int, last_days_ago: int, orders: int = 5):
    """A customer with `orders` orders `gap_days` apart, the last `last_days_ago` days ago."""
    from tests.factories import OrderFactory

    customer = CustomerFactory()
    today = timezone.localdate()
    for k in range(orders):
        day = today - dt.timedelta(days=last_days_ago + k * gap_days)
        OrderFactory(customer=customer, placed_at=timezone.make_aware(dt.datetime.combine(day, dt.time(12, 0))))
    return customer


def _segmented(customer, rfm_r: int, rfm_segment: str, segment: str = "Frequent regulars"):
    CustomerSegment.objects.create(
        run=_published("segments"), customer=customer, cluster=0, segment=segment, rfm_r=rfm_r, rfm_f=5, rfm_m=4,
        rfm_segment=rfm_segment,
    )  # fmt: skip


def test_a_loyal_customer_who_stopped_buying_is_said_to_be_loyal_until_recently(charlie_client):
    # The quick start's walk: "Frequent regulars · Loyal" beside "High 85%", a regular of 47 days silent for 231.
    customer = _regular(gap_days=30, last_days_ago=150)
    _score(customer)
    _segmented(customer, rfm_r=3, rfm_segment="Loyal")
    page = _card(charlie_client, customer)
    assert "Loyal until recently: no order for 150 days, 5.0× their usual gap of 30 days." in page


def test_a_lapsed_segment_gets_the_rhythm_without_until_recently(charlie_client):
    customer = _regular(gap_days=30, last_days_ago=150)
    _segmented(customer, rfm_r=1, rfm_segment="At risk", segment="Lapsed regulars")
    page = _card(charlie_client, customer)
    assert "No order for 150 days, 5.0× their usual gap of 30 days." in page and "until recently" not in page


@pytest.mark.parametrize(
    ("gap_days", "last_days_ago", "orders"),
    [(30, 40, 5), (30, 150, 2)],  # within 1.5 gaps; two orders are no rhythm (the overdue list's rule)
)
def test_a_customer_within_their_rhythm_or_without_one_gets_no_such_line(
    charlie_client, gap_days, last_days_ago, orders
):
    customer = _regular(gap_days, last_days_ago, orders)
    _segmented(customer, rfm_r=3, rfm_segment="Loyal")
    page = _card(charlie_client, customer)
    assert 'id="segment-now"' not in page


def test_the_segments_profile_does_not_repeat_the_segment_name_the_card_shows_in_bold(charlie_client):
    customer = CustomerFactory()
    profile = "Frequent regulars: 757 customers (41%), typically 11 orders"  # as segments_describe writes it
    run = _published("segments", profiles={"0": {"text": profile}})
    CustomerSegment.objects.create(
        run=run, customer=customer, cluster=0, segment="Frequent regulars", rfm_r=3, rfm_f=5, rfm_m=4,
        rfm_segment="Loyal",
    )  # fmt: skip
    page = re.sub(r"\s+", " ", charlie_client.get(reverse("customers:detail", args=[customer.pk])).content.decode())
    assert "typically look like: 757 customers (41%), typically 11 orders" in page
    assert page.count("Frequent regulars") == 1


def _segmented_at(customer, started_at: dt.datetime) -> None:
    _segmented(customer, rfm_r=1, rfm_segment="Lost", segment="Lapsed occasional buyers")
    ModelRun.objects.filter(family="segments").update(started_at=started_at)


def test_an_order_recorded_after_the_segments_run_read_its_data_is_said_beside_the_segment(charlie_client):
    # The quick start: an import after the first runs gave "Last order 6 Dec 2026" beside "Lapsed occasional
    # buyers · Lost as of 7 Dec 2026" (value and churn were scored again; the segment was not and said nothing).
    from tests.factories import OrderFactory

    customer = _regular(gap_days=30, last_days_ago=500, orders=1)
    _segmented_at(customer, timezone.now() - dt.timedelta(hours=1))
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    OrderFactory(customer=customer, placed_at=timezone.make_aware(dt.datetime.combine(yesterday, dt.time(12, 0))))
    page = re.sub(r"\s+", " ", _card(charlie_client, customer))
    said = f"Ordered since this segment was worked out (an order of {yesterday:%-d %b %Y}): the next segments run"
    assert said in page


def test_orders_the_segments_run_knew_of_get_no_such_line(charlie_client):
    customer = _regular(gap_days=30, last_days_ago=500, orders=2)
    _segmented_at(customer, timezone.now() + dt.timedelta(minutes=1))  # started after the orders were recorded
    assert 'id="segment-ordered-since"' not in _card(charlie_client, customer)


def test_run_facts_cached_before_they_gave_started_at_are_not_read(charlie_client):
    # The quick start after an upgrade: the facts cached for a day without started_at hid the line above.
    from django.core.cache import cache

    from tests.factories import OrderFactory

    customer = _regular(gap_days=30, last_days_ago=500, orders=1)
    _segmented_at(customer, timezone.now() - dt.timedelta(hours=1))
    run = ModelRun.objects.get(family="segments")
    cache.set(f"insights:run-facts:{run.pk}", {"as_of": run.as_of, "horizon_days": None}, 3600)
    OrderFactory(customer=customer, placed_at=timezone.now() - dt.timedelta(hours=2))
    assert 'id="segment-ordered-since"' in _card(charlie_client, customer)
