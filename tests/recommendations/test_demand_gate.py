"""The demand family's decision: the model's expected units against the fair rival on per-product totals; the
rival is published when the model does not beat it."""

from __future__ import annotations

from recommendations.families.demand import DemandFamily


def evaluation(model_totals: float, unbiased: str | None):
    metrics = {"wape": 0.7, "mape": 1.0, "bias_pct": 5.0}
    result = {
        "metrics": metrics,
        "baseline": {"name": "median_8", "metrics": {"wape": 0.6, "mape": 1.0, "bias_pct": -35.0}},
        "baselines": {},
        "unbiased_baseline": {"name": "mean_4", "metrics": metrics} if unbiased else None,
        "mean": metrics,
        "median": metrics,
        "totals": {"mean": {"wape": model_totals}, "mean_4": {"wape": 0.50}, "median_8": {"wape": 0.45}},
        "interval": {"coverage": 0.8, "total_coverage": 0.8},
        "products": 10,
        "horizon": 8,
        "origin": "2024-01-01",
    }
    return DemandFamily()._evaluation(result)


def test_the_model_wins_when_its_totals_beat_the_unbiased_baseline():
    found = evaluation(0.48, unbiased="mean_4")
    assert found.winner == "model" and found.baseline_key == "mean_4"
    assert "(WAPE of totals) 48% vs 50%" in found.verdict("Product demand")  # a share of the units sold


def test_the_unbiased_baseline_wins_when_it_does_better_on_totals():
    found = evaluation(0.52, unbiased="mean_4")
    assert found.winner == "baseline"
    assert found.verdict("Product demand").startswith("Product demand: the mean of the last 4 weeks, because")


def test_without_an_unbiased_baseline_the_best_by_wape_is_the_rival():
    assert evaluation(0.48, unbiased=None).winner == "baseline"  # median_8's totals: 0.45
    assert evaluation(0.44, unbiased=None).winner == "model"


def test_a_tie_is_not_a_win():
    found = evaluation(0.50, unbiased="mean_4")
    assert found.winner == "baseline" and "a tie is not a win" in found.verdict("Product demand")
