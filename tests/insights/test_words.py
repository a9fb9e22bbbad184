"""Plain words on the pages: a verdict's technical metric name goes to its tooltip."""

import re

from django.template import Context, Template

NOTE = (
    "Customer value: the simple past-rate forecast, because BG/NBD did not beat it on the 90 days to 2025-06-30 "
    "(typical error in purchases per customer (RMSE) 1.55 vs 1.52)."
)


def test_a_verdict_reads_without_its_technical_name_which_goes_to_the_tooltip():
    html = Template('{% include "insights/verdicts.html" %}').render(Context({"verdicts": [NOTE]}))
    assert "(typical error in purchases per customer 1.55 vs 1.52)" in html
    assert "on the 90 days to 30 Jun 2025 " in html and "2025-06-30" not in html  # the pages' date style
    assert 'title="Measured by RMSE"' in html
    assert html.count("RMSE") == 1


def test_a_plain_verdict_has_no_tooltip():
    html = Template('{% include "insights/verdicts.html" %}').render(Context({"verdicts": ["Segments: RFM."]}))
    assert "title=" not in html and "Segments: RFM." in html


def test_a_held_out_window_is_written_as_the_pages_write_dates():
    import pandas as pd

    from insights.families.base import window_words

    assert window_words(pd.Timestamp("2025-04-01"), pd.Timestamp("2025-07-01")) == "the 91 days to 30 Jun 2025"


def test_a_verdict_writes_a_share_as_a_percentage_and_other_scores_as_numbers():
    from insights.families.base import Evaluation

    def verdict(metric, model, base):
        return Evaluation(
            model="the model", baseline="popularity", baseline_key="popularity", metric=metric,
            higher_is_better=True, metrics={metric: model}, baseline_metrics={metric: base}, window="the 30 days",
        ).verdict("Recommendations")  # fmt: skip

    assert "(share of the top ten bought next (precision@10) 10.4% vs 4.63%)" in verdict(
        "precision_at_10", 0.104, 0.0463
    )
    assert "(how well it ranks who leaves (ROC-AUC) 0.92 vs 0.884)" in verdict("roc_auc", 0.92, 0.884)


def _verdict_html(note: str) -> str:
    return Template('{% include "insights/verdicts.html" %}').render(Context({"verdicts": [note]}))


def test_a_verdict_names_its_method_in_plain_words_and_the_technical_name_in_the_tooltip():
    html = _verdict_html(
        "Customer value: BG/NBD with Gamma-Gamma, because it beat the simple past-rate forecast on the 90 days to "
        "2026-12-06 (typical error in purchases per customer (RMSE) 0.824 vs 0.93)."
    )
    assert "Customer value: the purchase-rhythm and spend model, because" in html
    assert 'title="Measured by RMSE; technical names: BG/NBD with Gamma-Gamma"' in html
    html = _verdict_html(
        "Segments: 3 behavioural clusters (kmeans), because it beat the named RFM segments on 1,867 customers (how "
        "distinct the groups are (silhouette) 0.431 vs 0.0737)."
    )
    text = re.sub(r"<[^>]+>", " ", html)  # what a manager reads, without the tooltip
    assert "3 behavioural clusters, because it beat segments named by recency, frequency and spend on" in text
    assert "kmeans" not in text and "RFM" not in text
    html = _verdict_html(
        "Sentiment and topics: the text classifier (TF-IDF with logistic regression), because it beat the VADER "
        "lexicon with the most common topic on a stratified 20% of labelled interactions (235 texts) (how well it "
        "tells negative, neutral and positive apart (macro-F1) 1 vs 0.71)."
    )
    assert "the text classifier, because it beat a word list of feelings with the most common topic on 20% of" in html
    text = re.sub(r"<[^>]+>", " ", html)
    assert (
        "VADER" not in text
        and "TF-IDF" not in text
        and 'technical names: TF-IDF with logistic regression, VADER"' in html
    )


def test_a_verdict_writes_its_two_scores_to_the_same_decimals():
    def scores(model_and_base: str) -> str:
        return _verdict_html(f"Churn risk: the churn model, because it beat recency alone ({model_and_base}).")

    assert "(0.920 vs 0.884)" in scores("0.92 vs 0.884")
    assert "(1.00 vs 0.71)" in scores("1 vs 0.71")
    assert "(0.431 vs 0.074)" in scores("0.431 vs 0.0737")
    assert "(1.55 vs 1.52)" in scores("1.55 vs 1.52")
    assert "(44.7% vs 77.0%)" in scores("44.7% vs 77%")
    assert "(10.4% vs 4.6%)" in scores("10.4% vs 4.63%")
