"""The sentiment family through the run lifecycle on PostgreSQL: what it learns from (staff labels, latest first;
never opted-out customers), what it writes (a row per non-empty interaction), classification after commit, and
forgetting a customer who withdraws consent."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from django.utils import timezone

from customers.models import Interaction, InteractionLabel, Topic
from insights import classifying, rescoring, runs, tasks
from insights.families.sentiment import load_data
from insights.models import InteractionSentiment, ModelRun
from insights.models_ml.sentiment import LexiconBaseline
from tests.factories import CustomerFactory, InteractionFactory

pytestmark = pytest.mark.django_db

YESTERDAY = timezone.now() - dt.timedelta(days=1)


def _label(interaction, sentiment="", topic=None, user=None, **extra):
    topic = Topic.objects.get(slug=topic) if topic else None
    return InteractionLabel.objects.create(
        interaction=interaction, sentiment=sentiment, topic=topic, user=user, **extra
    )


def _run():
    return runs.execute_run(runs.request_run("sentiment").pk)


def test_the_topic_list_is_seeded():
    assert set(Topic.objects.values_list("slug", flat=True)) == {
        "delivery", "price", "product_quality", "billing", "praise", "churn_threat", "general"
    }  # fmt: skip


def test_a_run_publishes_a_row_per_interaction_with_a_verdict():
    late = InteractionFactory(
        subject="Late parcel", body="My order is two weeks late, I am furious.", occurred_at=YESTERDAY
    )
    thanks = InteractionFactory(subject="", body="Thank you so much, wonderful service!", occurred_at=YESTERDAY)
    run = _run()
    assert run.status == ModelRun.Status.SUCCEEDED and run.is_active, run.error
    rows = {r.interaction_id: r for r in InteractionSentiment.objects.filter(run=run)}
    assert rows[late.pk].sentiment == "negative" and rows[late.pk].topic == "delivery"
    assert rows[thanks.pk].sentiment == "positive"
    assert rows[late.pk].customer_id == late.customer_id
    assert run.deciding_metric == "macro_f1"
    assert run.publish_note.startswith("Sentiment and topics: ")
    assert {"macro_f1", "accuracy", "topic_macro_f1", "per_class"} <= set(run.metrics)


def test_without_any_active_topic_a_run_learns_the_seeds_own_topics():
    Topic.objects.update(is_active=False)  # every topic retired (or a database without the seeded list)
    late = InteractionFactory(subject="", body="My order is two weeks late, I am furious.", occurred_at=YESTERDAY)
    run = _run()
    assert run.status == ModelRun.Status.SUCCEEDED and run.is_active, run.error
    assert InteractionSentiment.objects.get(run=run, interaction=late).sentiment == "negative"


def test_empty_huge_html_and_foreign_interactions_do_not_break_a_run():
    empty = InteractionFactory(subject="", body="", occurred_at=YESTERDAY)
    huge = InteractionFactory(subject="Log", body="terrible " * 15_000, occurred_at=YESTERDAY)  # 135 KB
    markup = InteractionFactory(subject="", body="<p>Charged <b>twice</b> &amp; no refund</p>", occurred_at=YESTERDAY)
    foreign = InteractionFactory(subject="Lieferung", body="Das Paket ist nie angekommen.", occurred_at=YESTERDAY)
    run = _run()
    assert run.status == ModelRun.Status.SUCCEEDED, run.error
    written = set(InteractionSentiment.objects.filter(run=run).values_list("interaction_id", flat=True))
    assert written == {huge.pk, markup.pk, foreign.pk}  # nothing to read in an empty text: no row, no guess
    assert empty.pk not in written
    topics = set(Topic.objects.values_list("slug", flat=True))
    assert set(InteractionSentiment.objects.filter(run=run).values_list("topic", flat=True)) <= topics


def test_the_latest_label_of_each_kind_is_what_the_next_run_learns(dana):
    interaction = InteractionFactory(body="The box was fine.", occurred_at=YESTERDAY)
    _label(interaction, "negative", "delivery", user=dana)
    before = load_data(None).labelled().set_index("interaction").loc[interaction.pk]
    _label(interaction, "positive", user=dana)  # a correction of the sentiment alone
    after = load_data(None).labelled().set_index("interaction").loc[interaction.pk]
    assert (before["sentiment"], before["topic"]) == ("negative", "delivery")
    assert (after["sentiment"], after["topic"]) == ("positive", "delivery")
    assert InteractionLabel.objects.filter(interaction=interaction).count() == 2  # the first is kept, audited


def test_a_correction_changes_the_next_runs_training_set_and_its_counts(dana):
    interaction = InteractionFactory(body="The zorblax arrived.", occurred_at=YESTERDAY)
    first = _run()
    _label(interaction, "negative", "product_quality", user=dana)
    second = _run()
    assert first.data_counts["labelled_sentiment"] == 0
    assert second.data_counts["labelled_sentiment"] == 1
    assert second.data_counts["labelled_topic"] == 1


def test_opted_out_customers_texts_are_neither_learned_from_nor_scored(dana):
    opted_out = CustomerFactory(profiling_consent=False)
    theirs = InteractionFactory(customer=opted_out, body="Furious about the late parcel.", occurred_at=YESTERDAY)
    _label(theirs, "negative", "delivery", user=dana)
    data = load_data(None)
    assert theirs.pk not in set(data.texts["interaction"])
    assert theirs.pk not in set(data.labelled()["interaction"])
    InteractionFactory(body="Thanks, lovely service.", occurred_at=YESTERDAY)
    run = _run()
    assert not InteractionSentiment.objects.filter(run=run, customer=opted_out).exists()
    assert "customers" in run.data_counts and run.data_counts["customers"] == 1


def test_labels_of_a_retired_topic_are_not_learned(dana):
    interaction = InteractionFactory(body="Question about the catalogue.", occurred_at=YESTERDAY)
    _label(interaction, "neutral", "general", user=dana)
    Topic.objects.filter(slug="general").update(is_active=False)
    data = load_data(None)
    labelled = data.labelled().set_index("interaction").loc[interaction.pk]
    assert labelled["sentiment"] == "neutral" and pd.isna(labelled["topic"])
    assert "general" not in set(data.seed["topic"].dropna())


def test_a_new_interaction_is_classified_after_commit(django_capture_on_commit_callbacks):
    InteractionFactory(body="Thanks, lovely service.", occurred_at=YESTERDAY)
    run = _run()
    with django_capture_on_commit_callbacks() as callbacks:
        late = InteractionFactory(body="Still waiting for my parcel after ten days, very frustrated.")
    assert callbacks, "classification is queued once the interaction commits"
    assert not InteractionSentiment.objects.filter(interaction=late).exists()
    assert classifying.classify_interactions([late.pk]).startswith("classified 1 of 1")
    row = InteractionSentiment.objects.get(run=run, interaction=late)
    assert (row.sentiment, row.topic) == ("negative", "delivery")


def test_nothing_is_queued_before_the_first_sentiment_run(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        tasks.queue_classify(InteractionFactory().pk)
    assert callbacks == []


def test_an_opted_out_customers_new_interaction_is_not_classified_and_loses_its_row():
    interaction = InteractionFactory(body="Great, thanks!", occurred_at=YESTERDAY)
    run = _run()
    assert InteractionSentiment.objects.filter(run=run, interaction=interaction).exists()
    interaction.customer.profiling_consent = False
    interaction.customer.save()
    assert classifying.classify_interactions([interaction.pk]).startswith("classified 0 of 1")
    assert not InteractionSentiment.objects.filter(interaction=interaction).exists()


def test_withdrawn_consent_removes_the_customers_sentiment_rows():
    interaction = InteractionFactory(body="Great, thanks!", occurred_at=YESTERDAY)
    _run()
    outcome = rescoring.forget_customer(interaction.customer_id)
    assert outcome["sentiment"] == "removed"
    assert not InteractionSentiment.objects.filter(customer=interaction.customer).exists()


def test_evaluate_reports_the_metrics_beside_vader(dana):
    from insights.families.base import get

    for i in range(60):
        sentiment = ("negative", "neutral", "positive")[i % 3]
        word = {"negative": "zorblax", "neutral": "flerp", "positive": "quimbo"}[sentiment]
        _label(InteractionFactory(body=f"{word} case {i}", occurred_at=YESTERDAY), sentiment, "general", user=dana)
    evaluation = get("sentiment")().evaluate(None, timezone.localdate())
    result = evaluation.as_result()
    assert result["baseline"]["name"] == "vader"
    assert result["metrics"]["macro_f1"] > result["baseline"]["metrics"]["macro_f1"]
    assert evaluation.details["tested_on"] == "labelled interactions"
    assert evaluation.details["counts"]["test_texts"] == 12


def test_on_demo_data_the_model_beats_the_lexicon_without_a_perfect_score():
    from django.core.management import call_command

    call_command("seed_demo", customers=300, seed=3, end="2025-06-30", no_logins=True, verbosity=0)
    labelled = InteractionLabel.objects.filter(source="demo")
    share = labelled.count() / InteractionLabel.objects.model.interaction.field.related_model.objects.count()
    assert 0.18 < share < 0.32
    assert labelled.filter(topic__slug="churn_threat", sentiment="negative").exists()
    run = runs.execute_run(runs.request_run("sentiment", as_of=dt.date(2025, 6, 30)).pk)
    assert run.winner == "model", run.publish_note
    # Measured 0.81 against the lexicon's 0.67 (topics 0.82). Not 1.00 as on the templates alone: a share of the
    # demo's texts is terse, mixed, sarcastic or unclear and one staff label in ten disagrees with what was meant.
    assert run.metrics["macro_f1"] > run.baseline["metrics"]["macro_f1"] + 0.05
    assert run.metrics["macro_f1"] < 0.95 and run.metrics["topic_macro_f1"] < 0.95
    assert run.metrics["topic_macro_f1"] > 0.7
    assert run.model_card["tested_on"] == "labelled interactions"


def test_churn_learns_recent_negative_sentiment_and_its_backtest_says_whether_it_helps(dana):
    from insights import data
    from insights.models_ml.features import snapshot

    unhappy = InteractionFactory(body="Furious, the parcel is lost.", occurred_at=YESTERDAY)
    _label(unhappy, "negative", user=dana)
    later_fine = InteractionFactory(body="Fine.", occurred_at=YESTERDAY)
    _label(later_fine, "negative", user=dana)
    _label(later_fine, "positive", user=dana)  # the latest label counts
    frame = data.interactions().set_index("customer")
    assert bool(frame.loc[unhappy.customer_id, "negative"]) and not bool(frame.loc[later_fine.customer_id, "negative"])
    purchases = pd.DataFrame(
        {
            "customer": [unhappy.customer_id],
            "placed_at": [pd.Timestamp(YESTERDAY) - pd.Timedelta(days=5)],
            "amount": [9.0],
        }
    )
    features = snapshot(purchases, pd.Timestamp(timezone.now()), None, data.interactions())
    assert features.loc[unhappy.customer_id, "negative_90d"] == 1.0


def test_churn_reads_the_active_sentiment_runs_reading_where_no_label_says_otherwise(dana):
    from insights import data

    read, labelled, older = (InteractionFactory(body="Hm.", occurred_at=YESTERDAY) for _ in range(3))
    _label(labelled, "positive", user=dana)
    active = ModelRun.objects.create(family="sentiment", status="succeeded", is_active=True, as_of=YESTERDAY.date())
    superseded = ModelRun.objects.create(family="sentiment", status="superseded", as_of=YESTERDAY.date())
    for run, interaction in ((active, read), (active, labelled), (superseded, older)):
        InteractionSentiment.objects.create(
            run=run, interaction=interaction, customer=interaction.customer, occurred_at=interaction.occurred_at,
            sentiment="negative", sentiment_probability=0.9, topic="other", topic_probability=0.5,
        )  # fmt: skip
    negative = data.interactions().set_index("customer")["negative"]
    assert negative[read.customer_id] and not negative[labelled.customer_id] and not negative[older.customer_id]
    moments = data.interactions()["occurred_at"]
    assert isinstance(moments.dtype, pd.DatetimeTZDtype) and str(moments.dtype.tz) == "UTC"


def test_the_churn_run_reports_the_sentiment_check():
    from django.core.management import call_command

    call_command("seed_demo", customers=300, seed=3, end="2025-06-30", no_logins=True, verbosity=0)
    run = runs.execute_run(runs.request_run("churn", as_of=dt.date(2025, 6, 30)).pk)
    check = run.model_card["sentiment_check"]
    assert check["feature"] == "negative_90d" and check["customers_with_negative"] > 0
    assert isinstance(check["helps"], bool)
    assert check["roc_auc_with"] == run.metrics["roc_auc"]


def test_a_lexicon_run_reads_only_new_and_changed_texts_and_gives_the_same_rows(monkeypatch):
    """With no staff labels VADER wins on the seed; the next run of the same lexicon takes the active run's answer
    for every text it already read (by the text's key, so a text edited behind the scorer's back is read again)."""
    calm = InteractionFactory(subject="", body="Thank you so much, wonderful service!", occurred_at=YESTERDAY)
    late = InteractionFactory(subject="Late", body="My order is two weeks late, I am furious.", occurred_at=YESTERDAY)
    first = _run()
    assert first.winner == ModelRun.Winner.BASELINE and first.model_card["lexicon_version"], first.publish_note
    columns = ["interaction_id", "sentiment", "sentiment_probability", "topic", "text_key"]
    before = pd.DataFrame(InteractionSentiment.objects.filter(run=first).values(*columns)).sort_values(columns[0])
    assert before["text_key"].notna().all()
    new = InteractionFactory(subject="", body="The invoice charged me twice, awful.", occurred_at=YESTERDAY)
    Interaction.objects.filter(pk=late.pk).update(body="All sorted now, great help, thanks!")  # no classify queued
    read, predict = [], LexiconBaseline.predict

    def counting(self, *args):
        out = predict(self, *args)
        read.append(self.texts_read)
        return out

    monkeypatch.setattr(LexiconBaseline, "predict", counting)
    second = _run()
    assert second.status == ModelRun.Status.SUCCEEDED and second.winner == ModelRun.Winner.BASELINE, second.error
    assert read[-1] == 2  # the new text and the edited one; the unchanged one was not read again
    after = pd.DataFrame(InteractionSentiment.objects.filter(run=second).values(*columns)).set_index("interaction_id")
    assert after.loc[calm.pk].tolist() == before.set_index("interaction_id").loc[calm.pk].tolist()
    assert after.loc[late.pk, "sentiment"] == "positive" and after.loc[new.pk, "sentiment"] == "negative"


def test_with_plenty_of_labels_a_run_publishes_the_fit_its_backtest_tested(dana, monkeypatch):
    """From PUBLISH_TESTED_FROM labels the model is fitted once, on the backtest's four fifths, and that fit (whose
    scores the page shows) is the one saved and used for the rows; below it, the winner is fitted again on all."""
    from insights import artifacts
    from insights.models_ml import sentiment

    for i in range(60):
        text = ["My parcel is late again, furious.", "Thank you, wonderful service!", "Please call me back."][i % 3]
        _label(
            InteractionFactory(body=f"{text} ({i})", occurred_at=YESTERDAY),
            ["negative", "positive", "neutral"][i % 3],
            user=dana,
        )
    fits = []
    fit = sentiment.TextModel.fit

    def counting(self, *args):
        fits.append(len(args[0]))
        return fit(self, *args)

    monkeypatch.setattr(sentiment.TextModel, "fit", counting)
    monkeypatch.setattr(sentiment, "PUBLISH_TESTED_FROM", 50)
    run = _run()
    assert run.status == ModelRun.Status.SUCCEEDED and run.winner == ModelRun.Winner.MODEL, run.publish_note
    assert len(fits) == 1 and run.model_card["fitted_on"] == "the backtest's training texts"
    assert fits[0] == run.model_card["counts"]["train_texts"]
    assert isinstance(artifacts.load(run), sentiment.TextModel)
    assert InteractionSentiment.objects.filter(run=run).count() == 60
    fits.clear()
    monkeypatch.setattr(sentiment, "PUBLISH_TESTED_FROM", 61)
    run = _run()
    assert len(fits) == 2 and run.model_card["fitted_on"] == "every labelled text and the seed"
