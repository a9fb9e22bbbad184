"""Sentiment and topics: how the customer felt in each interaction (negative, neutral, positive) and what it was
about (a topic of the admin-editable list, customers.Topic), learned from the built-in seed of labelled texts and
the labels staff give interactions (corrections on the profile, imported columns). VADER's lexicon (and the most
common topic) is the baseline every run must beat on sentiment macro-F1, on a stratified 80/20 split of the
labelled interactions (of the seed, until staff have labelled enough).

Rows are per interaction (InteractionSentiment), carrying the customer, so a customer who withdraws profiling
consent leaves the active run like every per-customer family; their texts are neither learned from nor scored.
New interactions are classified after they commit (insights/classifying.py, queued by tasks.queue_classify)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from insights.families.base import MODEL, Evaluation, Family
from insights.models import InteractionSentiment

if TYPE_CHECKING:
    import pandas as pd

MODEL_WORDS = "the text classifier (TF-IDF with logistic regression)"
BASELINE_WORDS = "the VADER lexicon with the most common topic"


@dataclass
class SentimentData:
    """Interaction texts of profiled customers before a moment, their staff labels, the seed and the topics."""

    texts: pd.DataFrame  # interaction, customer, occurred_at, text
    labels: pd.DataFrame  # interaction, sentiment, topic (latest label of each kind)
    seed: pd.DataFrame  # text, sentiment, topic, group
    topics: list[str]  # active topic slugs

    def labelled(self) -> pd.DataFrame:
        """Labelled interactions with their texts: text, sentiment, topic (None where not labelled)."""
        frame = self.texts.merge(self.labels, on="interaction", how="inner")
        return frame[frame["text"].str.strip() != ""][["interaction", "text", "sentiment", "topic"]]

    def counts(self) -> dict[str, int]:
        labelled = self.labelled()
        return {
            "interactions": len(self.texts),
            "customers": int(self.texts["customer"].nunique()),
            "labelled_sentiment": int(labelled["sentiment"].notna().sum()),
            "labelled_topic": int(labelled["topic"].notna().sum()),
            "seed_texts": len(self.seed),
        }


def load_data(until, customers=None, ids=None, with_labels: bool = True) -> SentimentData:
    """What the family learns from and scores, read from the database (`until` exclusive, None for everything)."""
    import pandas as pd

    from customers.models import Topic
    from insights import data
    from insights.models_ml.sentiment import seed_frame
    from insights.models_ml.sentiment_seed import seed_examples

    topics = list(Topic.objects.filter(is_active=True).order_by("position", "slug").values_list("slug", flat=True))
    until = None if until is None else until.to_pydatetime()
    texts = data.interaction_texts(until, customers, ids)
    labels = (
        data.interaction_labels(until)
        if with_labels
        else pd.DataFrame({"interaction": [], "sentiment": [], "topic": []})
    )
    # With no active topic (all retired, or a database without the seeded list) the seed's own topics serve: a run
    # must not fail for want of a topic list.
    return SentimentData(texts, labels, seed_frame(seed_examples(), topics or None), topics)


class SentimentFamily(Family):
    """Sentiment and topic per interaction; see the module doc."""

    name = "sentiment"
    label = "Sentiment and topics"
    result_model = InteractionSentiment
    deciding_metric = "macro_f1"
    higher_is_better = True
    per_customer = True  # rows carry the customer: forgotten with withdrawn consent
    chunked = False
    rescored = False  # new interactions are classified by insights/classifying.py instead

    def load(self, snapshot) -> SentimentData:
        return snapshot.keep("sentiment", lambda: load_data(snapshot.until, snapshot.customers))

    def load_for_rows(self, snapshot) -> SentimentData:
        return load_data(snapshot.until, snapshot.customers, with_labels=False)

    def counts(self, data: SentimentData) -> dict[str, int]:
        return data.counts()

    def _evaluation(self, data: SentimentData) -> Evaluation:
        from insights.models_ml import sentiment

        labelled = data.labelled()
        labelled = labelled.assign(topic=labelled["topic"].where(labelled["topic"].isin(data.topics), None))
        result = sentiment.backtest(labelled, data.seed)
        self.result = result
        share = round(sentiment.TEST_SHARE * 100)
        return Evaluation(
            model=MODEL_WORDS,
            baseline=BASELINE_WORDS,
            baseline_key="vader",
            metric=self.deciding_metric,
            higher_is_better=True,
            metrics=result.metrics,
            baseline_metrics=result.baseline_metrics,
            window=f"a stratified {share}% of {result.tested_on} ({result.counts['test_texts']} texts)",
            details={"tested_on": result.tested_on, "counts": result.counts},
        )

    def backtest(self, data: SentimentData) -> Evaluation:
        return self._evaluation(data)

    def fit(self, data: SentimentData, winner: str):
        import pandas as pd

        from insights.models_ml import sentiment

        tested = getattr(self, "result", None)
        if tested is not None and tested.counts.get("labelled", 0) >= sentiment.PUBLISH_TESTED_FROM:
            return tested.fitted["model" if winner == MODEL else "baseline"]  # the fit whose scores are shown
        labelled = data.labelled()
        labelled = labelled.assign(topic=labelled["topic"].where(labelled["topic"].isin(data.topics), None))
        train = pd.concat([data.seed[["text", "sentiment", "topic"]], labelled], ignore_index=True)
        candidate = sentiment.TextModel() if winner == MODEL else sentiment.LexiconBaseline()
        return candidate.fit(train["text"], train["sentiment"], train["topic"])

    def card(self, fitted, evaluation: Evaluation, data: SentimentData) -> dict:
        from insights.models_ml import sentiment

        tested = self.result.fitted.get("model" if evaluation.winner == MODEL else "baseline")
        card = {**evaluation.details, "scorer": fitted.name, "topics": data.topics}
        card["fitted_on"] = "the backtest's training texts" if fitted is tested else "every labelled text and the seed"
        if isinstance(fitted, sentiment.LexiconBaseline):
            card["lexicon_version"] = sentiment.lexicon_version()
        return card

    def customers(self, data: SentimentData):
        return data.texts["customer"].unique()

    def rows(self, fitted, data: SentimentData, customers=None):
        from insights import data as stored
        from insights.models_ml import sentiment

        texts = data.texts
        if customers is not None:
            texts = texts[texts["customer"].isin(list(customers))]
        known = None
        if isinstance(fitted, sentiment.LexiconBaseline) and self.previous_run:
            # The active run's answers, when the same lexicon gave them: only new and changed texts are read.
            known = stored.lexicon_answers(self.previous_run, fitted.name, sentiment.lexicon_version())
        return classify(fitted, texts, known)

    def evaluate(self, snapshot, as_of) -> Evaluation:
        from insights.snapshot import training_moment

        data = load_data(training_moment(as_of))
        if data.texts.empty and data.labels.empty:
            raise ValueError(f"No interactions before {as_of:%Y-%m-%d} to evaluate on.")
        return self._evaluation(data)


def classify(fitted, texts: pd.DataFrame, known: pd.DataFrame | None = None) -> pd.DataFrame:
    """Result rows (InteractionSentiment fields, no run) for interaction texts: empty texts are left out (there is
    nothing to read in them, and a guess would show as if it were known). `known`: the lexicon's earlier answers by
    text key (LexiconBaseline.predict)."""
    import pandas as pd

    from insights.models_ml.sentiment import clean, text_keys

    texts = texts[texts["text"].str.strip() != ""]
    if texts.empty:
        return pd.DataFrame(
            columns=["interaction_id", "customer_id", "occurred_at", "sentiment", "sentiment_probability", "topic",
                     "topic_probability", "text_key"]
        )  # fmt: skip
    text = clean(texts["text"])  # once, for the scorer and the keys
    predicted = fitted.predict(text) if known is None else fitted.predict(text, known)
    return pd.DataFrame(
        {
            "interaction_id": texts["interaction"].to_numpy(),
            "customer_id": texts["customer"].to_numpy(),
            "occurred_at": texts["occurred_at"].reset_index(drop=True),
            "sentiment": predicted["sentiment"].to_numpy(),
            "sentiment_probability": predicted["sentiment_probability"].round(4).to_numpy(),
            "topic": predicted["topic"].to_numpy(),
            "topic_probability": predicted["topic_probability"].round(4).to_numpy(),
            "text_key": text_keys(text),
        }
    )
