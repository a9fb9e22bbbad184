"""The sentiment and topic models on arrays (insights/models_ml/sentiment.py): cleaning any text, known answers on
planted texts, the split, the model beating the lexicon only where its labels teach it something, and the set-based
vectoriser counting what a text-at-a-time reference counts."""

from __future__ import annotations

import pickle
import re
from collections import Counter

import numpy as np
import pandas as pd
import pytest

from insights.models_ml import sentiment
from insights.models_ml.sentiment_seed import SENTENCES, seed_examples
from insights.models_ml.text_grams import TextGrams


@pytest.fixture(scope="module")
def seeded():
    seed = sentiment.seed_frame(seed_examples())
    return sentiment.TextModel().fit(seed["text"], seed["sentiment"], seed["topic"])


def test_clean_strips_tags_decodes_entities_and_truncates():
    texts = ["<p>Charged <b>twice</b> &amp; no refund</p>", None, "", "x" * 100_000, float("nan"), "  a\n\tb  "]
    cleaned = sentiment.clean(texts)
    assert cleaned[0] == "Charged twice & no refund"
    assert cleaned[1] == cleaned[2] == cleaned[4] == ""
    assert len(cleaned[3]) == sentiment.MAX_CHARS
    assert cleaned[5] == "a b"


def test_the_seed_is_balanced_between_sentiments_and_covers_every_topic():
    seed = sentiment.seed_frame(seed_examples())
    shares = seed["sentiment"].value_counts(normalize=True)
    assert len(seed) >= 250
    assert shares.max() - shares.min() < 0.05
    assert set(seed["topic"]) == {topic for topic, _ in SENTENCES}


@pytest.mark.parametrize(
    ("text", "expected_sentiment", "expected_topic"),
    [
        ("The parcel never arrived and the courier lost it, I am furious.", "negative", "delivery"),
        ("You have charged my card twice and the refund has not come through.", "negative", "billing"),
        ("Thank you so much, your team is wonderful!", "positive", "praise"),
        ("Please cancel my account, we are moving to another supplier.", "negative", "churn_threat"),
        ("Could you send me a quote for fifty units?", "neutral", "price"),
        ("The handle broke after two days, very poor quality.", "negative", "product_quality"),
    ],
)
def test_the_seeded_model_reads_planted_texts(seeded, text, expected_sentiment, expected_topic):
    predicted = seeded.predict([text]).iloc[0]
    assert (predicted["sentiment"], predicted["topic"]) == (expected_sentiment, expected_topic)


def test_empty_huge_html_and_foreign_texts_are_scored_without_error(seeded):
    texts = ["", "<div><script>alert(1)</script></div>", "furious " * 20_000, "Das Paket ist nie angekommen", "😡😡"]
    predicted = seeded.predict(texts)
    assert len(predicted) == len(texts)
    assert predicted["sentiment"].isin(sentiment.SENTIMENTS).all()
    assert np.isfinite(predicted[["sentiment_probability", "topic_probability"]].to_numpy()).all()
    assert predicted.loc[2, "sentiment"] == "negative"  # a 160 KB text is read (its first MAX_CHARS characters)


def test_a_saved_model_predicts_the_same_after_loading(seeded):
    texts = ["Late delivery again", "Lovely service"]
    loaded = pickle.loads(pickle.dumps(seeded))
    pd.testing.assert_frame_equal(loaded.predict(texts), seeded.predict(texts))


def _planted(n: int, seed: int = 0) -> pd.DataFrame:
    """Texts whose sentiment only the CRM's own words tell (a made-up product code praised or panned), which no
    lexicon knows: 'zorblax' means broken, 'quimbo' means delighted, 'flerp' is a plain question."""
    rng = np.random.default_rng(seed)
    words = {"negative": "zorblax", "neutral": "flerp", "positive": "quimbo"}
    topics = {"negative": "product_quality", "neutral": "general", "positive": "praise"}
    labels = rng.choice(list(words), n)
    fillers = np.array(["order 12", "unit A", "batch seven", "the blue one", "item 4"], dtype=object)
    texts = [f"{words[s]} {fillers[i % len(fillers)]} case {i}" for i, s in enumerate(labels)]
    return pd.DataFrame({"text": texts, "sentiment": labels, "topic": [topics[s] for s in labels]})


def test_the_model_beats_the_lexicon_where_the_labels_teach_it_something():
    result = sentiment.backtest(_planted(400), sentiment.seed_frame(seed_examples()))
    assert result.tested_on == "labelled interactions"
    assert result.counts["test_texts"] == 80
    assert result.metrics["macro_f1"] > 0.95
    assert result.baseline_metrics["macro_f1"] < 0.5  # VADER reads these as neutral
    assert result.metrics["topic_macro_f1"] > 0.95
    assert set(result.metrics["per_class"]["sentiment"]) == set(sentiment.SENTIMENTS)
    assert result.baseline_metrics["per_class"]["sentiment"]["neutral"]["recall"] > 0.9  # all but a filler or two


def test_with_few_labels_the_backtest_tests_on_the_seed_and_learns_the_labels():
    result = sentiment.backtest(_planted(20), sentiment.seed_frame(seed_examples()))
    assert result.tested_on == "the built-in seed"
    assert result.counts["train_texts"] + result.counts["test_texts"] == len(seed_examples()) + 20


def test_the_split_is_stratified_deterministic_and_keeps_a_seed_sentence_on_one_side():
    seed = sentiment.seed_frame(seed_examples())
    train, test = sentiment.split(seed)
    again_train, again_test = sentiment.split(seed.sample(frac=1, random_state=3))
    assert sorted(test["text"]) == sorted(again_test["text"])
    assert not set(train["group"]) & set(test["group"])
    shares = test.drop_duplicates("group")["sentiment"].value_counts(normalize=True)
    assert shares.max() - shares.min() < 0.1


def test_a_head_that_saw_one_class_predicts_it_with_certainty():
    model = sentiment.TextModel().fit(["good", "bad", "fine"], ["positive", "negative", "neutral"], ["a", "a", None])
    predicted = model.predict(["anything"])
    assert predicted.loc[0, "topic"] == "a"
    assert predicted.loc[0, "topic_probability"] == 1.0


def test_the_lexicon_baseline_uses_vader_thresholds_and_the_most_common_topic():
    baseline = sentiment.LexiconBaseline().fit(["x"] * 3, [None] * 3, ["price", "price", "delivery"])
    predicted = baseline.predict(["I love it, wonderful!", "It is terrible and broken.", "The box is blue."])
    assert list(predicted["sentiment"]) == ["positive", "negative", "neutral"]
    assert set(predicted["topic"]) == {"price"}
    assert predicted["topic_probability"].iloc[0] == pytest.approx(2 / 3)


def _counted_one_text_at_a_time(grams: TextGrams, texts: list[str]) -> list[Counter]:
    """The reference: each text's words, character grams and word pairs, counted in plain Python."""
    found = []
    for text in texts:
        words = re.findall(r"\w+", text.lower())
        features = [f for word in words for f in grams._word_features(word)]
        features += [f"{a}  {b}" for a, b in zip(words, words[1:], strict=False)]
        found.append(Counter(f for f in features if f in grams.vocabulary_))
    return found


def test_the_set_based_counts_are_each_texts_words_grams_and_pairs():
    texts = ["Late late parcel", "the parcel was late", "aaaa aaaa", "", "Très bien, merci", "parcel"]
    grams = TextGrams(min_df=1).fit(texts)
    counts = grams.transform(texts).toarray()
    names = {i: f for f, i in grams.vocabulary_.items()}
    for row, expected in zip(counts, _counted_one_text_at_a_time(grams, texts), strict=True):
        assert {names[i]: n for i, n in enumerate(row) if n} == expected
    assert grams.transform([]).shape == (0, len(grams.vocabulary_))


@pytest.mark.parametrize("min_df, max_features", [(1, 100_000), (2, 100_000), (1, 25)])
def test_fitting_and_counting_in_one_pass_counts_what_fitting_then_counting_does(min_df, max_features):
    texts = ["Late late parcel", "the parcel was late", "aaaa aaaa", "", "Très bien, merci", "parcel", "late again"]
    together = TextGrams(min_df=min_df, max_features=max_features).fit_transform(texts)
    grams = TextGrams(min_df=min_df, max_features=max_features).fit(texts)
    assert together.shape == (len(texts), len(grams.vocabulary_))
    assert (together != grams.transform(texts)).nnz == 0
    assert TextGrams().fit_transform(["", ""]).shape == (2, 0)


def test_the_vocabulary_keeps_features_seen_in_enough_texts():
    grams = TextGrams(min_df=2).fit(["late parcel", "late parcel again", "on time"])
    assert "late  parcel" in grams.vocabulary_ and "late" in grams.vocabulary_  # in two texts
    assert "again" not in grams.vocabulary_ and "time" not in grams.vocabulary_  # in one
    # the most frequent first, ties by name
    assert TextGrams(min_df=1, max_features=3).fit(["abc abd"]).vocabulary_ == {" ab": 0, " abc": 1, " abd": 2}


def test_predictions_are_the_same_in_chunks(seeded, monkeypatch):
    texts = ["Still waiting for my parcel", "Thank you so much!", "What does it cost?"] * 5
    whole = seeded.predict(texts)
    monkeypatch.setattr(sentiment, "PREDICT_CHUNK", 4)
    assert seeded.predict(texts).equals(whole)


def test_repeated_texts_get_the_answer_each_would_get_alone(seeded):
    texts = ["Still waiting for my parcel", "Thanks!", "Still  waiting for my parcel ", "", None, "Thanks!"]
    together = seeded.predict(texts)
    alone = pd.concat([seeded.predict([text]) for text in texts], ignore_index=True)
    assert together["sentiment"].tolist() == alone["sentiment"].tolist()
    assert together["topic"].tolist() == alone["topic"].tolist()
    pd.testing.assert_frame_equal(together, alone, check_exact=False, rtol=1e-9)
    assert together.iloc[0].equals(together.iloc[2])  # the same text once cleaned: one reading


def test_the_heads_learn_from_the_labelled_texts_vectorised_once():
    frame = _planted(60)
    sentiments = frame["sentiment"].where(frame.index % 3 != 0, None)  # every third text without a sentiment
    topics = frame["topic"].where(frame.index % 4 != 1, None)  # every fourth, from the second, without a topic
    sentiments[frame.index % 12 == 9], topics[frame.index % 12 == 9] = None, None  # some with neither
    model = sentiment.TextModel().fit(frame["text"], sentiments, topics)
    features = model.vectoriser.transform(sentiment.clean(frame["text"]))
    for head, labels in ((model.sentiment, sentiments), (model.topic, topics)):
        index, known = sentiment._labelled(labels)
        np.testing.assert_allclose(head.coef_, sentiment._head(features[index], known).coef_, rtol=1e-6, atol=1e-9)


def test_the_lexicon_reads_only_texts_it_has_no_answer_for_and_gives_the_same_answers():
    texts = ["Thank you, wonderful service!", "My parcel is late and I am furious.", "Call me  back", ""]
    lexicon = sentiment.LexiconBaseline()
    fresh = lexicon.predict(texts)
    assert lexicon.texts_read == 4
    keys = sentiment.text_keys(texts)
    assert keys[2] == sentiment.text_keys(["Call me back"])[0]  # read the same way (whitespace folded): one key
    assert len(set(keys.tolist())) == 4
    known = fresh.assign(text_key=keys).set_index("text_key").iloc[:2]  # answers for the first two only
    known.loc[keys[0], "sentiment"] = "negative"  # a planted answer: a known text is not read again
    again = lexicon.predict(texts, known)
    assert lexicon.texts_read == 2
    assert again["sentiment"].tolist() == ["negative", *fresh["sentiment"].tolist()[1:]]
    pd.testing.assert_series_equal(again["sentiment_probability"], fresh["sentiment_probability"])
    assert lexicon.predict(texts, known.iloc[:0]).equals(fresh) and lexicon.texts_read == 4


def test_a_head_reaches_the_same_optimum_as_a_fully_converged_lbfgs_fit():
    from sklearn.linear_model import LogisticRegression

    seed = sentiment.seed_frame(seed_examples())
    texts, labels = sentiment.clean(seed["text"]), seed["sentiment"].to_numpy(dtype=object)
    features = sentiment._vectoriser(len(texts)).fit_transform(texts)
    head = sentiment._head(features, labels)
    reference = LogisticRegression(C=5.0, class_weight="balanced", tol=1e-10, max_iter=100_000).fit(features, labels)
    assert (head.predict(features) == reference.predict(features)).all()
    np.testing.assert_allclose(head.predict_proba(features), reference.predict_proba(features), atol=0.01)


def test_cleaned_texts_are_not_cleaned_again():
    once = sentiment.clean(["Fish &amp;lt; chips", "  <b>late</b>  parcel "])
    assert once == ["Fish &lt; chips", "late parcel"]
    assert sentiment.clean(once) is once  # "&lt;" stays as the text said it
    assert sentiment.clean(list(once))[0] == "Fish < chips"  # a plain list is read as raw text


def test_the_lexicon_answers_cleaned_texts_as_it_answers_the_raw_ones():
    raw = ["Thank you, &amp; wonderful <i>service</i>!", "My parcel is late and I am furious.", "ok"]
    lexicon = sentiment.LexiconBaseline()
    known = lexicon.predict(raw[:1]).set_index(sentiment.text_keys(raw[:1]))
    pd.testing.assert_frame_equal(lexicon.predict(sentiment.clean(raw), known), lexicon.predict(raw, known))
    assert lexicon.texts_read == 2
