"""Plain words on the pages: a verdict's technical metric name goes to its tooltip."""

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
