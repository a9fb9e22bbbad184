"""Sentiment and topic of interaction texts: a text classifier learned from labelled texts, the VADER lexicon as
its baseline, and the backtest that compares them. No Django: texts and labels come in as lists and frames.

    clean(texts)                  what the models read of each text: tags stripped, entities decoded, whitespace
                                  folded, cut to MAX_CHARS (a 100 KB text costs no more than a short one)
    TextModel                     TF-IDF of words, word pairs and character n-grams (3-4 within words) into two
                                  logistic regressions, one for sentiment and one for topic, sharing one
                                  vectorisation (TextGrams, insights/models_ml/text_grams.py: set-based, so
                                  scoring 100k texts takes seconds), PREDICT_CHUNK texts at a time
    LexiconBaseline               VADER's compound score for sentiment, the most common topic for topic; given
                                  its earlier answers by text key, it reads only the texts it has not read
    text_keys(texts)              a 63-bit fingerprint of each cleaned text (the same text, the same key)
    backtest(labelled, seed)      both on a stratified 80/20 split of the labelled texts (random_state 0)

Labels are plain strings: sentiments from SENTIMENTS, topics any slugs (the CRM's editable topic list). A text may
have a sentiment label, a topic label or both (None for a missing one); each head learns from the texts that carry
its label. Character n-grams make misspellings and other languages degrade gracefully instead of failing: a text
with no known word is still vectorised (to all zeros, which reads as the classes' prior).
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from insights.models_ml.text_grams import TextGrams  # also here: models saved before it moved name it here

SENTIMENTS = ("negative", "neutral", "positive")
MAX_RAW_CHARS = 20_000  # cut before stripping tags, so a pathological text cannot make the regex slow
MAX_CHARS = 2_000  # what the models read of a text: a complaint says what it is about near the start
VADER_NEUTRAL_BAND = 0.05  # VADER's own recommended thresholds: compound >= 0.05 positive, <= -0.05 negative
TEST_SHARE = 0.2
RANDOM_STATE = 0
# Below this many labelled interactions the backtest tests on a held-out fifth of the built-in seed instead: 20 %
# of fewer than 50 texts is too few to compare two classifiers on.
MIN_LABELLED = 50
# From this many labelled interactions a run publishes the fit its backtest tested (on four fifths of them) instead
# of fitting again on all: the last fifth changes little, and the second fit cost as much as the first (9 s of a
# 30 s run on 57,604 labels).
PUBLISH_TESTED_FROM = 20_000
# The heads' solver: Newton-CG reaches the regularised optimum in a handful of Newton steps where L-BFGS takes some
# 150 gradient steps, each a pass over the whole TF-IDF matrix (the fit is most of a run's CPU on large label sets).
SOLVER = "newton-cg"
PREDICT_CHUNK = 20_000  # texts vectorised and classified at once: about 100 MB of sparse features at most

_TAG = re.compile(r"<[^>]{0,2000}>")


def _clean_one(text) -> str:
    if not isinstance(text, str):
        text = "" if text is None or pd.isna(text) else str(text)
    text = text[:MAX_RAW_CHARS]
    if "<" in text:
        text = _TAG.sub(" ", text)
    if "&" in text:
        text = html.unescape(text)
    return " ".join(text.split())[:MAX_CHARS]  # str.split's whitespace is regex \s: runs folded, ends stripped


class Cleaned(list):
    """Texts `clean` has read: given these, `clean` returns them as they are. Cleaning twice would cost a second pass
    over every text, and could change one (an entity written as "&amp;lt;" decodes once to "&lt;", twice to "<")."""


def clean(texts) -> Cleaned:
    """What the models read of each text (see the module doc). None and NaN read as ""."""
    if isinstance(texts, Cleaned):
        return texts
    return Cleaned(_clean_one(text) for text in texts)


def _vectoriser(texts: int):
    """TextGrams and TF-IDF weights; features seen in one text only are dropped once there are 100 texts or more
    (below that, they may be all there is)."""
    from sklearn.feature_extraction.text import TfidfTransformer
    from sklearn.pipeline import make_pipeline

    return make_pipeline(TextGrams(min_df=1 if texts < 100 else 2), TfidfTransformer(sublinear_tf=True))


class _Constant:
    """A 'classifier' for a head that saw one class only: that class, with certainty."""

    def __init__(self, label: str):
        self.classes_ = np.array([label], dtype=object)

    def predict_proba(self, features):
        return np.ones((features.shape[0], 1))


def _head(features, labels: np.ndarray):
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits

    if len(np.unique(labels)) < 2:
        return _Constant(str(labels[0]))
    # One BLAS thread: on small sparse problems more threads only contend with the worker's neighbours (on a busy
    # two-core machine a fit took 11 s with the default threads, 0.6 s with one).
    with threadpool_limits(limits=1):
        return LogisticRegression(C=5.0, class_weight="balanced", solver=SOLVER, max_iter=1000).fit(features, labels)


def _labelled(labels) -> tuple[np.ndarray, np.ndarray]:
    """Indexes of the entries that carry a label, and those labels."""
    values = pd.Series(list(labels), dtype=object)
    mask = values.notna() & (values.astype(str) != "")
    return np.flatnonzero(mask.to_numpy()), values[mask].astype(str).to_numpy(dtype=object)


def _pick(classes: np.ndarray, proba: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    best = proba.argmax(axis=1)
    return classes[best].astype(object), proba[np.arange(len(best)), best]


@dataclass
class TextModel:
    """The text classifier: one vectorisation, two logistic regressions (see the module doc)."""

    vectoriser: object = None
    sentiment: object = None
    topic: object = None
    name: str = "tfidf_logistic"

    def fit(self, texts, sentiments, topics) -> TextModel:
        """Learn from texts with their sentiment and topic labels (None where a text has no such label)."""
        cleaned = clean(texts)
        s_index, s_labels = _labelled(sentiments)
        t_index, t_labels = _labelled(topics)
        if not len(s_index) or not len(t_index):
            raise ValueError("Nothing to learn from: no labelled sentiment or no labelled topic.")
        used = np.union1d(s_index, t_index)
        # The texts the vocabulary is learned from are vectorised in the same pass (fit_transform): the heads learn
        # from those texts only, so nothing else needs vectorising (each head's rows are its texts' places in `used`).
        self.vectoriser = _vectoriser(len(used))
        features = self.vectoriser.fit_transform([cleaned[i] for i in used])
        self.sentiment = _head(features[np.searchsorted(used, s_index)], s_labels)
        self.topic = _head(features[np.searchsorted(used, t_index)], t_labels)
        return self

    def predict(self, texts) -> pd.DataFrame:
        """sentiment, sentiment_probability, topic, topic_probability for each text, in order. Each distinct cleaned
        text is read once (notes and emails repeat) and its answer given to every copy; vectorised PREDICT_CHUNK
        distinct texts at a time, so memory stays bounded however many are scored."""
        codes, distinct = pd.factorize(pd.Series(clean(texts), dtype=object))
        distinct = distinct.tolist()
        parts = [self._predict(distinct[i : i + PREDICT_CHUNK]) for i in range(0, len(distinct), PREDICT_CHUNK)]
        answers = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0] if parts else self._predict([])
        return answers.take(codes).reset_index(drop=True)

    def _predict(self, cleaned: list[str]) -> pd.DataFrame:
        features = self.vectoriser.transform(cleaned)
        sentiment, s_proba = _pick(self.sentiment.classes_, self.sentiment.predict_proba(features))
        topic, t_proba = _pick(self.topic.classes_, self.topic.predict_proba(features))
        return pd.DataFrame(
            {"sentiment": sentiment, "sentiment_probability": s_proba, "topic": topic, "topic_probability": t_proba}
        )


@dataclass
class LexiconBaseline:
    """The baseline every run must beat: VADER's compound score (negative at -0.05 or below, positive at 0.05 or
    above) and the most common topic of the training labels. Its 'probability' is a confidence made from the
    compound score: (1 + |compound|) / 2 for a polar text, 1 - |compound| for a neutral one."""

    majority_topic: str = "general"
    topic_share: float = 1.0
    name: str = "vader_majority"
    texts_read: int = field(default=0, compare=False)  # by the last predict

    def fit(self, texts, sentiments, topics) -> LexiconBaseline:
        _, t_labels = _labelled(topics)
        if len(t_labels):
            counts = pd.Series(t_labels).value_counts()
            top = counts[counts == counts.max()].index.sort_values()[0]  # ties broken by name: deterministic
            self.majority_topic, self.topic_share = str(top), float(counts.max() / counts.sum())
        return self

    def predict(self, texts, known: pd.DataFrame | None = None) -> pd.DataFrame:
        """Sentiment, its confidence, topic and its share for each text. `known`: this lexicon's earlier answers
        (columns sentiment and sentiment_probability, indexed by text_keys): a text with a known key is not read
        again. VADER reads one text at a time in Python, so a nightly run would otherwise spend most of its time
        re-reading every past interaction to get the same answers. `texts_read` says how many texts were read."""
        texts = clean(texts)
        n = len(texts)
        sentiment = np.empty(n, dtype=object)
        confidence = np.zeros(n)
        unread = np.ones(n, dtype=bool)
        if known is not None and len(known) and n:
            known = known[~known.index.duplicated()]
            keys = text_keys(texts)
            unread = ~np.isin(keys, known.index.to_numpy())
            answers = known.reindex(keys[~unread])
            sentiment[~unread] = answers["sentiment"].to_numpy(dtype=object)
            confidence[~unread] = answers["sentiment_probability"].to_numpy(dtype=float)
        compound = vader_compound(Cleaned(text for text, read in zip(texts, unread, strict=True) if read))
        sentiment[unread] = np.where(
            compound >= VADER_NEUTRAL_BAND, "positive", np.where(compound <= -VADER_NEUTRAL_BAND, "negative", "neutral")
        )
        confidence[unread] = np.where(sentiment[unread] == "neutral", 1 - np.abs(compound), (1 + np.abs(compound)) / 2)
        self.texts_read = int(unread.sum())
        return pd.DataFrame(
            {
                "sentiment": sentiment,
                "sentiment_probability": confidence,
                "topic": np.full(n, self.majority_topic, dtype=object),
                "topic_probability": np.full(n, self.topic_share),
            }
        )


def lexicon_version() -> str:
    """The installed VADER's version: an answer given by another version is read again."""
    from importlib.metadata import version

    return version("vaderSentiment")


def text_keys(texts) -> np.ndarray:
    """A 63-bit fingerprint (BLAKE2b) of each cleaned text, as int64: the same text read the same way, the same
    key."""
    return np.array(
        [int.from_bytes(hashlib.blake2b(t.encode(), digest_size=8).digest(), "big") >> 1 for t in clean(texts)],
        dtype=np.int64,
    )


def vader_compound(texts) -> np.ndarray:
    """VADER's compound score (-1 to 1) of each cleaned text."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyser = SentimentIntensityAnalyzer()
    # VADER reads one text at a time in Python: each distinct text is read once (notes and emails repeat).
    codes, distinct = pd.factorize(pd.Series(clean(texts), dtype=object))
    scores = np.array([analyser.polarity_scores(text)["compound"] if text else 0.0 for text in distinct], dtype=float)
    return scores[codes] if len(codes) else np.zeros(0)


def class_metrics(truth, predicted, prefix: str = "") -> dict:
    """macro_f1 and accuracy (named with `prefix`, e.g. "topic_") and the per-class precision, recall, F1 and
    support, over the classes present in `truth`; None when there is nothing to score."""
    from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

    truth, predicted = np.asarray(truth, dtype=object), np.asarray(predicted, dtype=object)
    if not len(truth):
        return {f"{prefix}macro_f1": None, f"{prefix}accuracy": None, "per_class": {}}
    classes = sorted(set(truth))
    precision, recall, f1, support = precision_recall_fscore_support(truth, predicted, labels=classes, zero_division=0)
    return {
        f"{prefix}macro_f1": float(f1_score(truth, predicted, labels=classes, average="macro", zero_division=0)),
        f"{prefix}accuracy": float(accuracy_score(truth, predicted)),
        "per_class": {
            c: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
            for c, p, r, f, s in zip(classes, precision, recall, f1, support, strict=True)
        },
    }


def scores(truth: pd.DataFrame, predicted: pd.DataFrame) -> dict:
    """The metrics `evaluate` reports: macro_f1, accuracy (sentiment), topic_macro_f1, topic_accuracy and
    per_class {"sentiment": {...}, "topic": {...}}, each head on the test texts that carry its label."""
    s_index, s_truth = _labelled(truth["sentiment"])
    t_index, t_truth = _labelled(truth["topic"])
    sentiment = class_metrics(s_truth, predicted["sentiment"].to_numpy()[s_index])
    topic = class_metrics(t_truth, predicted["topic"].to_numpy()[t_index], prefix="topic_")
    return {
        "macro_f1": sentiment["macro_f1"],
        "accuracy": sentiment["accuracy"],
        "topic_macro_f1": topic["topic_macro_f1"],
        "topic_accuracy": topic["topic_accuracy"],
        "per_class": {"sentiment": sentiment["per_class"], "topic": topic["per_class"]},
        "test_texts": int(len(truth)),
    }


def split(frame: pd.DataFrame, random_state: int = RANDOM_STATE) -> tuple[pd.DataFrame, pd.DataFrame]:
    """An 80/20 split of labelled texts, stratified by sentiment (a missing sentiment is a class of its own) when
    every class has at least two texts, plainly random otherwise. Sorted first, so the split does not depend on the
    order the rows came in. Texts sharing a `group` (the seed's sentence in and out of its frame) fall on the same
    side, so the test never holds a near copy of a training text."""
    from sklearn.model_selection import train_test_split

    frame = frame.sort_values(["text", "sentiment", "topic"], na_position="last", kind="stable")
    frame = frame.reset_index(drop=True)
    grouped = "group" in frame
    units = frame.drop_duplicates("group").sort_values("group") if grouped else frame
    strata = units["sentiment"].fillna("(none)").astype(str)
    counts = strata.value_counts()
    test_size = max(int(round(len(units) * TEST_SHARE)), 1)
    stratify = strata if counts.min() >= 2 and test_size >= len(counts) else None
    train, test = train_test_split(units, test_size=test_size, random_state=random_state, stratify=stratify)
    if grouped:
        held_out = frame["group"].isin(test["group"])
        return frame[~held_out], frame[held_out]
    return train, test


@dataclass
class Backtest:
    """Both candidates' scores on the same held-out texts, and where those texts came from."""

    metrics: dict
    baseline_metrics: dict
    tested_on: str  # "labelled interactions" or "the built-in seed"
    counts: dict = field(default_factory=dict)
    fitted: dict = field(default_factory=dict, repr=False)  # "model" and "baseline", as fitted for the test


def backtest(labelled: pd.DataFrame, seed: pd.DataFrame, random_state: int = RANDOM_STATE) -> Backtest:
    """The text model and the lexicon baseline on a stratified 80/20 split (random_state 0).

    `labelled` and `seed` have columns text, sentiment, topic (None where missing). With at least MIN_LABELLED
    labelled texts, the test fifth is theirs and the model learns from the other four fifths plus the seed;
    with fewer, the test fifth is the seed's, and the model learns from the rest of the seed plus every labelled
    text. Either way no test text is learned from."""
    columns = ["text", "sentiment", "topic"]
    labelled = labelled[columns]
    if len(labelled) >= MIN_LABELLED:
        train, test = split(labelled, random_state)
        train, tested_on = pd.concat([seed[columns], train], ignore_index=True), "labelled interactions"
    else:
        train, test = split(seed, random_state)
        train, tested_on = pd.concat([train[columns], labelled], ignore_index=True), "the built-in seed"
    candidates, fitted = {}, {}
    for key, candidate in (("model", TextModel()), ("baseline", LexiconBaseline())):
        fitted[key] = candidate.fit(train["text"], train["sentiment"], train["topic"])
        candidates[key] = scores(test.reset_index(drop=True), candidate.predict(test["text"]))
    return Backtest(
        candidates["model"],
        candidates["baseline"],
        tested_on,
        {"train_texts": len(train), "test_texts": len(test), "labelled": len(labelled), "seed": len(seed)},
        fitted,
    )


def seed_frame(examples, topics=None) -> pd.DataFrame:
    """The built-in seed as a frame (text, sentiment, topic, group: the sentence it was made from), its topics
    outside `topics` (when given: the active topic list) left without a topic label, since a retired topic must not
    be predicted."""
    frame = pd.DataFrame(list(examples), columns=["text", "sentiment", "topic", "group"])
    if topics is not None:
        frame["topic"] = frame["topic"].where(frame["topic"].isin(list(topics)), None)
    return frame
