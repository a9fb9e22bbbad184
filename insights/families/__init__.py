"""The trainable model families. Each module offers `train(run, progress)`, which fits, backtests, writes
results and publishes (or holds back) a run, and `evaluate(as_of, parameters)`, the backtest alone, returning
{"metrics": {...}, "baseline": {"name": ..., "metrics": {...}}, ...} for `manage.py evaluate`."""

from __future__ import annotations

from importlib import import_module

from insights.models import ChurnScore, CustomerSegment, CustomerValue

FAMILY_MODULES = {
    "segments": "insights.families.segments",
    "value": "insights.families.value",
    "churn": "insights.families.churn",
}
RESULT_MODELS = (CustomerSegment, CustomerValue, ChurnScore)


def module(family: str):
    """The family's module, imported on first use (it pulls in scikit-learn)."""
    return import_module(FAMILY_MODULES[family])
