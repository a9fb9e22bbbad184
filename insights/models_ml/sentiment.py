"""Sentiment and topic of interaction texts: a text classifier learned from labelled texts, the VADER lexicon as
its baseline, and the backtest that compares them. No Django: texts and labels come in as lists and frames.

    clean(texts)                  what the models read of each text: tags stripped, entities decoded, whitespace
                                  folded, cut to MAX_CHARS (a 100 KB text costs no more than a short one)
    TextModel                     TF-IDF of words, word pairs and character n-grams (3-4 within words) into two
                                  logistic regressions, one for sentiment and one for topic, sharing one
                                  vectorisation (TextGrams)
    LexiconBaseline               VADER's compound score for sentiment, the most common topic for topic
    backtest(labelled, seed)      both on a stratified 80/20 split of the labelled texts (random_state 0)

Labels are plain strings: sentiments from SENTIMENTS, topics any slugs (the CRM's editable topic list). A text may
have a sentiment label, a topic label or both (None for a missing one); each head learns from the texts that carry
its label. Character n-grams make misspellings and other languages degrade gracefully instead of failing: a text
with no known word is still vectorised (to all zeros, which reads as the classes' prior).
"""

from __future__ import annotations

import html
import re
from array import array
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

SENTIMENTS = ("negative", "neutral", "positive")
MAX_RAW_CHARS = 20_000  # cut before stripping tags, so a pathological text cannot make the regex slow
MAX_CHARS = 2_000  # what the models read of a text: a complaint says what it is about near the start
VADER_NEUTRAL_BAND = 0.05  # VADER's own recommended thresholds: compound >= 0.05 positive, <= -0.05 negative
TEST_SHARE = 0.2
RANDOM_STATE = 0
# Below this many labelled interactions the backtest tests on a held-out fifth of the built-in seed instead: 20 %
# of fewer than 50 texts is too few to compare two classifiers on.
MIN_LABELLED = 50

_TAG = r"<[^>]{0,2000}>"


def clean(texts) -> list[str]:
    """What the models read of each text (see the module doc). None and NaN read as ""."""
    series = pd.Series(list(texts), dtype=object).fillna("").astype(str).str.slice(0, MAX_RAW_CHARS)
    tagged = series.str.contains("<", regex=False)
    if tagged.any():
        series[tagged] = series[tagged].str.replace(_TAG, " ", regex=True)
    escaped = series.str.contains("&", regex=False)
    if escaped.any():
        series[escaped] = series[escaped].map(html.unescape)
    series = series.str.replace(r"\s+", " ", regex=True).str.strip().str.slice(0, MAX_CHARS)
    return series.tolist()


_WORD = re.compile(r"\w+")
WORD_CACHE = 200_000  # words whose features are kept between texts (cleared when full)


class TextGrams:
    """Counts of each text's words, word pairs and character n-grams (3 and 4 within a word padded by spaces, as
    scikit-learn's `char_wb`) in one sparse matrix, over one vocabulary of features seen in at least `min_df` texts.

    scikit-learn's vectorisers build and look up every n-gram of every text in Python; here a word's features are
    looked up once and cached, since texts repeat their words, and only word pairs are looked up per text. That is
    what makes scoring every interaction of a large CRM take seconds rather than minutes."""

    def __init__(self, lowest: int = 3, highest: int = 4, min_df: int = 2, max_features: int = 100_000):
        self.lowest, self.highest, self.min_df, self.max_features = lowest, highest, min_df, max_features
        self._cache: dict[str, list[int]] = {}

    def get_params(self, deep: bool = True) -> dict:
        return {k: getattr(self, k) for k in ("lowest", "highest", "min_df", "max_features")}

    def set_params(self, **params) -> TextGrams:
        for key, value in params.items():
            setattr(self, key, value)
        return self

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_cache": {}}  # rebuilt as texts come: not saved with the model

    def _word_features(self, word: str) -> list[str]:
        padded = f" {word} "
        grams = [padded[i : i + n] for n in range(self.lowest, self.highest + 1) for i in range(len(padded) - n + 1)]
        return [word, *grams]  # the word itself has no spaces, a character gram always has one or none: distinct

    @staticmethod
    def _pairs(words: list[str]) -> list[str]:
        return [f"{a}  {b}" for a, b in zip(words, words[1:], strict=False)]  # two spaces: never a character gram

    def fit(self, texts, y=None) -> TextGrams:
        from collections import Counter

        documents: Counter[str] = Counter()
        for text in texts:
            words = _WORD.findall(text.lower())
            features = {f for word in set(words) for f in self._word_features(word)}
            documents.update(features | set(self._pairs(words)))
        kept = sorted((f for f, n in documents.items() if n >= self.min_df), key=lambda f: (-documents[f], f))
        self.vocabulary_ = {f: i for i, f in enumerate(sorted(kept[: self.max_features]))}
        self._cache = {}
        return self

    def transform(self, texts):
        from scipy import sparse

        vocabulary, cache = self.vocabulary_, self._cache
        indices = array("q")  # extended from lists at C speed, read by numpy without a copy
        indptr = array("q", [0])
        for text in texts:
            words = _WORD.findall(text.lower())
            for word in words:
                ids = cache.get(word)
                if ids is None:
                    if len(cache) >= WORD_CACHE:
                        cache.clear()
                    ids = cache[word] = [vocabulary[f] for f in self._word_features(word) if f in vocabulary]
                indices.extend(ids)
            indices.extend(vocabulary[p] for p in self._pairs(words) if p in vocabulary)
            indptr.append(len(indices))
        counts = sparse.csr_matrix(
            (np.ones(len(indices)), np.frombuffer(indices, dtype=np.int64), np.frombuffer(indptr, dtype=np.int64)),
            shape=(len(indptr) - 1, len(vocabulary)),
        )
        counts.sum_duplicates()
        return counts

    def fit_transform(self, texts, y=None):
        return self.fit(texts).transform(texts)


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
        return LogisticRegression(C=5.0, class_weight="balanced", max_iter=1000).fit(features, labels)


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
        self.vectoriser = _vectoriser(len(used)).fit([cleaned[i] for i in used])
        features = self.vectoriser.transform(cleaned)
        self.sentiment = _head(features[s_index], s_labels)
        self.topic = _head(features[t_index], t_labels)
        return self

    def predict(self, texts) -> pd.DataFrame:
        """sentiment, sentiment_probability, topic, topic_probability for each text, in order."""
        features = self.vectoriser.transform(clean(texts))
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

    def fit(self, texts, sentiments, topics) -> LexiconBaseline:
        _, t_labels = _labelled(topics)
        if len(t_labels):
            counts = pd.Series(t_labels).value_counts()
            top = counts[counts == counts.max()].index.sort_values()[0]  # ties broken by name: deterministic
            self.majority_topic, self.topic_share = str(top), float(counts.max() / counts.sum())
        return self

    def predict(self, texts) -> pd.DataFrame:
        compound = vader_compound(texts)
        sentiment = np.where(
            compound >= VADER_NEUTRAL_BAND, "positive", np.where(compound <= -VADER_NEUTRAL_BAND, "negative", "neutral")
        ).astype(object)
        confidence = np.where(sentiment == "neutral", 1 - np.abs(compound), (1 + np.abs(compound)) / 2)
        n = len(compound)
        return pd.DataFrame(
            {
                "sentiment": sentiment,
                "sentiment_probability": confidence,
                "topic": np.full(n, self.majority_topic, dtype=object),
                "topic_probability": np.full(n, self.topic_share),
            }
        )


def vader_compound(texts) -> np.ndarray:
    """VADER's compound score (-1 to 1) of each cleaned text."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyser = SentimentIntensityAnalyzer()
    return np.array([analyser.polarity_scores(text)["compound"] if text else 0.0 for text in clean(texts)])


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
    candidates = {}
    for key, candidate in (("model", TextModel()), ("baseline", LexiconBaseline())):
        candidate.fit(train["text"], train["sentiment"], train["topic"])
        candidates[key] = scores(test.reset_index(drop=True), candidate.predict(test["text"]))
    return Backtest(
        candidates["model"],
        candidates["baseline"],
        tested_on,
        {"train_texts": len(train), "test_texts": len(test), "labelled": len(labelled), "seed": len(seed)},
    )


def seed_frame(examples, topics=None) -> pd.DataFrame:
    """The built-in seed as a frame (text, sentiment, topic, group: the sentence it was made from), its topics
    outside `topics` (when given: the active topic list) left without a topic label, since a retired topic must not
    be predicted."""
    frame = pd.DataFrame(list(examples), columns=["text", "sentiment", "topic", "group"])
    if topics is not None:
        frame["topic"] = frame["topic"].where(frame["topic"].isin(list(topics)), None)
    return frame
