"""The demand family's publish gate: the model's expected units against the fair rival on per-product totals."""

from __future__ import annotations

from recommendations.families.demand import _verdict


def result(model_totals: float, unbiased: str | None) -> dict:
    metrics = {"wape": 0.7, "mape": 1.0, "bias_pct": 5.0}
    return {
        "metrics": metrics,
        "baseline": {"name": "median_8", "metrics": {"wape": 0.6, "mape": 1.0, "bias_pct": -35.0}},
        "unbiased_baseline": {"name": "mean_4", "metrics": metrics} if unbiased else None,
        "totals": {"mean": {"wape": model_totals}, "mean_4": {"wape": 0.50}, "median_8": {"wape": 0.45}},
        "products": 10,
        "horizon": 8,
    }


def test_the_model_is_published_when_its_totals_beat_the_unbiased_baseline():
    publishable, reason = _verdict(result(0.48, unbiased="mean_4"))
    assert publishable and "0.480 vs 0.500 for mean_4 (within 10 % of the total sold)" in reason


def test_the_model_is_held_back_when_the_unbiased_baseline_does_better_on_totals():
    publishable, reason = _verdict(result(0.52, unbiased="mean_4"))
    assert not publishable and reason.startswith("Held back")


def test_without_an_unbiased_baseline_the_best_by_wape_is_the_rival():
    assert not _verdict(result(0.48, unbiased=None))[0]  # median_8's totals: 0.45
    assert _verdict(result(0.44, unbiased=None))[0]
