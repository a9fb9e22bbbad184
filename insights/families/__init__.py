"""The trainable model families. Each module offers `train(run, progress)`, which fits, backtests, writes
results and publishes (or holds back) a run, and `evaluate(as_of, parameters)`, the backtest alone, returning
{"metrics": {...}, "baseline": {"name": ..., "metrics": {...}}, ...} for `manage.py evaluate`; `RESULT_MODEL` names
the table its results go in.

Families of other apps register here from their AppConfig.ready() (`register`), so insights never imports them:
imports point customers <- insights <- recommendations.
"""

from __future__ import annotations

from importlib import import_module

FAMILY_MODULES = {
    "segments": "insights.families.segments",
    "value": "insights.families.value",
    "churn": "insights.families.churn",
}


def register(family: str, module_path: str) -> None:
    """Add a family trained by `module_path` (imported on first use). Registering a family twice is a mistake."""
    if family in FAMILY_MODULES and FAMILY_MODULES[family] != module_path:
        raise ValueError(f"The {family!r} family is already trained by {FAMILY_MODULES[family]}.")
    FAMILY_MODULES[family] = module_path


def module(family: str):
    """The family's module, imported on first use (it pulls in scikit-learn)."""
    return import_module(FAMILY_MODULES[family])


def result_model(family: str):
    """The table a family's runs write their results into."""
    return module(family).RESULT_MODEL
