"""The run lifecycle every family shares (insights/runs.py, insights/families/base.py): the backtest's winner is
published, the baseline when the model loses or cannot be used, with the verdict in words on the pages; unknown
parameters are refused; a saved model is loaded only under the library versions it was saved with."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils.html import escape

from customers.models import Order, OrderItem
from insights import artifacts, publishing, runs
from insights.families.base import BASELINE, MODEL, Evaluation, Family, finite, get, names
from insights.models import CustomerValue, ModelRun
from insights.templatetags.insights_words import plain_words
from tests.factories import CustomerFactory, ProductFactory

AS_OF = dt.date(2025, 6, 30)


def _evaluation(model, baseline, higher=False, problem="") -> Evaluation:
    return Evaluation(
        model="the model",
        baseline="the baseline",
        baseline_key="naive",
        metric="rmse",
        higher_is_better=higher,
        metrics={"rmse": model},
        baseline_metrics={"rmse": baseline},
        window="the 90 days to 2025-06-30",
        problem=problem,
    )


def test_the_model_wins_only_when_strictly_better_on_the_deciding_metric():
    assert _evaluation(1.0, 1.5).winner == MODEL
    assert _evaluation(1.5, 1.0).winner == BASELINE
    assert _evaluation(0.8, 0.6, higher=True).winner == MODEL
    tie = _evaluation(1.0, 1.0)
    assert tie.winner == BASELINE and "a tie is not a win" in tie.verdict("Value")


def test_an_unsound_or_untested_model_leaves_the_baseline_as_the_winner():
    unsound = _evaluation(0.5, 1.5, problem="its fit is degenerate")
    assert unsound.winner == BASELINE
    assert unsound.verdict("Value") == (
        "Value: the baseline, because the model could not be used here (its fit is degenerate)."
    )
    assert _evaluation(None, 1.5).winner == BASELINE
    assert _evaluation(1.0, None).winner == MODEL  # nothing to compare with: the model stands


def test_the_verdict_names_the_winner_the_window_and_both_scores():
    text = _evaluation(1.52, 1.55).verdict("Customer value")
    assert text.startswith("Customer value: the model, because it beat the baseline on the 90 days to 2025-06-30")
    assert "1.52 vs 1.55" in text


def test_metrics_never_hold_nan_or_infinity():
    found = _evaluation(float("nan"), float("inf"))
    assert found.metrics == {"rmse": None} and found.baseline_metrics == {"rmse": None}
    assert finite({"a": [1.0, float("nan")], "b": {"c": float("-inf")}}) == {"a": [1.0, None], "b": {"c": None}}


def test_every_family_is_a_registered_class_with_a_deciding_metric():
    assert names() == ["segments", "value", "churn", "sentiment", "recommendations", "rules", "demand"]
    for name in names():
        family = get(name)
        assert issubclass(family, Family) and family.name == name and family.deciding_metric
        assert family.result_model._meta.get_field("run").related_model is ModelRun


def test_unknown_parameters_are_refused_with_the_known_ones(db):
    with pytest.raises(ValueError, match=r"Unknown parameter bogus for rules; known: min_support \(default None\), "):
        runs.request_run("rules", parameters={"bogus": "1"})
    assert not ModelRun.objects.exists()  # nothing recorded for a refused request
    with pytest.raises(ValueError, match=r"horizon_days \(default 0\)"):
        runs.request_run("churn", parameters={"min_support": "0.001"})
    with pytest.raises(ValueError, match="method='nope'"):
        runs.request_run("segments", parameters={"method": "nope"})
    assert not ModelRun.objects.exists()  # nothing recorded


def test_the_command_refuses_an_unknown_parameter_in_one_line(db):
    with pytest.raises(CommandError, match="Unknown parameter bogus for value"):
        call_command("retrain", family="value", in_process=True, parameter=["bogus=1"])


def test_in_process_training_says_it_trains_here_not_that_it_queued(demo_purchases):
    out = io.StringIO()
    call_command("retrain", family="value", as_of=AS_OF, in_process=True, stdout=out)
    assert "Training Customer value run" in out.getvalue() and "Queued" not in out.getvalue()
    assert "(queued)" not in out.getvalue()


@pytest.fixture
def one_time_buyers(db):
    """Sixty customers with one purchase each: no repeat purchase, so BG/NBD cannot be fitted soundly."""
    product = ProductFactory()
    customers = CustomerFactory.create_batch(60)
    start = dt.datetime(2025, 1, 1, 12, tzinfo=dt.UTC)
    orders = Order.objects.bulk_create(
        Order(external_number=f"O{i}", customer=c, placed_at=start + dt.timedelta(days=3 * i))
        for i, c in enumerate(customers)
    )
    OrderItem.objects.bulk_create(
        OrderItem(order=o, line_number=1, product=product, quantity=2, unit_price=10) for o in orders
    )
    return customers


def test_a_value_model_that_cannot_be_used_publishes_the_past_rate_baseline(one_time_buyers):
    run = runs.execute_run(runs.request_run("value", as_of=AS_OF).pk)
    assert run.status == ModelRun.Status.SUCCEEDED and run.is_active, run.error
    assert run.winner == BASELINE and run.deciding_metric == "rmse"
    assert run.publish_note.startswith("Customer value: the simple past-rate forecast, because BG/NBD")
    values = CustomerValue.objects.filter(run=run)
    assert values.count() == len(one_time_buyers)
    # One purchase each: the past rate expects none, and the longer the silence the less likely still active.
    assert {v.expected_purchases_365d for v in values} == {0.0}
    by_customer = {v.customer_id: v.p_alive for v in values}
    assert by_customer[one_time_buyers[0].pk] < by_customer[one_time_buyers[-1].pk]


def test_the_profile_says_which_forecast_the_figures_come_from(one_time_buyers, alice_client, alice):
    customer = one_time_buyers[0]
    customer.owner = alice
    customer.save()
    run = runs.execute_run(runs.request_run("value", as_of=AS_OF).pk)
    page = alice_client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert "How these figures are made" in page
    assert "Customer value: the simple past-rate forecast" in page
    # The verdict as recorded, in the page's plain words; the technical name it replaced is in the tooltip.
    assert escape(plain_words(run.publish_note).split(" (")[0]) in page
    assert "BG/NBD with Gamma-Gamma" in run.publish_note and "technical names: BG/NBD with Gamma-Gamma" in page


def test_re_activating_an_older_run_keeps_its_own_verdict(one_time_buyers):
    first = runs.execute_run(runs.request_run("value", as_of=AS_OF).pk)
    runs.execute_run(runs.request_run("value", as_of=AS_OF).pk)
    publishing.activate(ModelRun.objects.get(pk=first.pk))
    assert ModelRun.objects.get(pk=first.pk).publish_note == first.publish_note
    assert publishing.active_verdicts(["value"]) == {"value": first.publish_note}


@pytest.fixture
def demo_purchases(db):
    call_command("seed_demo", customers=300, seed=3, end=AS_OF.isoformat(), no_logins=True, verbosity=0)


def test_every_family_publishes_on_demo_data_value_included(demo_purchases):
    """The quick start's first runs: every family publishes its winner, none is left empty."""
    out = io.StringIO()
    call_command("retrain", as_of=AS_OF, in_process=True, stdout=out)
    for name in names():
        run = ModelRun.objects.get(family=name)
        assert run.status == ModelRun.Status.SUCCEEDED and run.is_active, f"{name}: {run.error}"
        assert run.winner in (MODEL, BASELINE) and run.publish_note.startswith(get(name).label)
        assert get(name).result_model.objects.filter(run=run).exists()
        assert json.dumps(run.metrics)  # JSON without NaN
    assert CustomerValue.objects.filter(run=ModelRun.objects.get(family="value"), clv_12m__gt=0).exists()


def test_the_same_data_and_date_give_the_same_rules(demo_purchases):
    from recommendations.models import AssociationRule

    first = runs.execute_run(runs.request_run("rules", as_of=AS_OF).pk)
    second = runs.execute_run(runs.request_run("rules", as_of=AS_OF).pk)
    assert first.metrics == second.metrics

    def rows(run):
        return list(
            AssociationRule.objects.filter(run=run)
            .order_by("antecedent_id", "antecedent_2_id", "consequent_id")
            .values_list("antecedent_id", "antecedent_2_id", "consequent_id", "count")
        )

    assert rows(first) == rows(second)


def test_a_model_saved_under_other_library_versions_is_refused_with_a_clear_message(one_time_buyers, monkeypatch):
    run = runs.execute_run(runs.request_run("value", as_of=AS_OF).pk)
    artifacts.forget_loaded()
    real = artifacts.versions()
    monkeypatch.setattr(artifacts, "versions", lambda: {**real, "scikit-learn": "0.1"})
    with pytest.raises(artifacts.ArtifactError, match=r"was made with .*scikit-learn .* \(here 0\.1\).* Retrain value"):
        artifacts.load(run)


def test_loaded_models_are_kept_by_checksum_not_by_run_id(one_time_buyers):
    from insights.families.segments import Segmentation
    from insights.models_ml.clv_backtest import PastRate

    run = runs.execute_run(runs.request_run("value", as_of=AS_OF).pk)
    loaded = artifacts.load(run)
    assert isinstance(loaded, PastRate) and artifacts.load(run.pk) is loaded  # kept in this process
    other = runs.execute_run(runs.request_run("segments", as_of=AS_OF).pk)
    # The same run id now stands for another model (SQLite reuses ids): the checksum, not the id, picks it.
    ModelRun.objects.filter(pk=run.pk).update(artifact=other.artifact.name, artifact_sha256=other.artifact_sha256)
    assert isinstance(artifacts.load(run.pk), Segmentation)


@pytest.mark.django_db
def test_a_retrain_of_every_family_is_queued_as_two_groups_one_per_kind_of_data(django_capture_on_commit_callbacks):
    """The customer families (one read of purchases and interactions) and the product families (one read of the
    order lines) go to the workers as two tasks, which two worker processes train side by side."""
    from crm.models import OutboxMessage
    from insights import tasks

    with django_capture_on_commit_callbacks():
        reply = tasks.retrain_all.run(trigger=ModelRun.Trigger.SCHEDULE)
    ids = dict(ModelRun.objects.values_list("family", "pk"))
    assert f"queued runs {sorted(ids.values())}" in reply
    sent = [(m.task, m.args[0]) for m in OutboxMessage.objects.order_by("pk")]
    customers = sorted(ids[f] for f in ("segments", "value", "churn", "sentiment"))
    lines = sorted(ids[f] for f in ("recommendations", "rules", "demand"))
    assert sent == [(tasks.train_together.name, customers), (tasks.train_together.name, lines)]
    assert {get(f).reads for f in names()} == {"customers", "lines"}


@pytest.mark.django_db
def test_one_family_of_a_kind_is_queued_alone(django_capture_on_commit_callbacks):
    from crm.models import OutboxMessage
    from insights import tasks

    value, demand = runs.request_run("value"), runs.request_run("demand")
    with django_capture_on_commit_callbacks():
        tasks.queue_runs([value.pk, demand.pk])
    assert [(m.task, m.args) for m in OutboxMessage.objects.order_by("pk")] == [
        (tasks.train.name, [value.pk]),
        (tasks.train.name, [demand.pk]),
    ]


def test_a_group_of_a_retrain_writes_its_rows_itself_rather_than_spreading_chunks(demo_purchases, settings):
    """Both workers train a group each: scoring in chunks would only read each chunk's data again, so a group
    writes every row in the process that holds the data, however many customers."""
    from crm.models import OutboxMessage
    from insights import tasks

    settings.SCORING_CHUNK_SIZE = 100  # fewer than the demo's customers: a lone run would spread its chunks
    group = [runs.request_run(family, as_of=AS_OF).pk for family in ("value", "churn")]
    tasks.train_together.run(group)
    for run in ModelRun.objects.filter(pk__in=group):
        assert run.status == ModelRun.Status.SUCCEEDED and run.chunks_total == 1, run.error
        assert get(run.family).result_model.objects.filter(run=run).count() > 100
    assert not OutboxMessage.objects.filter(task=tasks.score_chunk.name).exists()
