"""The contract every model family follows, and the registry of families.

A family is a class: it says what it is (name, label, result table, deciding metric), which parameters it takes,
and offers the steps of a run as plain methods over data frames. `insights/runs.py` calls them in order and owns
everything around them (progress, the saved model, recording, writing rows, the verdict, publishing):

    data = family.load(snapshot)                    # everything the family learns from, as of the run's date
    evaluation = family.backtest(data)              # the model and its baseline on a held-out window
    fitted = family.fit(data, evaluation.winner)    # the winner, fitted on all the data (picklable)
    family.card(fitted, evaluation, data)           # what the run's page shows (JSON)
    family.rows(fitted, data, customers)            # result rows (a DataFrame of the result model's fields)

The baseline is a real scorer: when the model does not beat it on the deciding metric, `fit` fits the baseline
and `rows` writes the same rows from it, so a family is never left empty because its model lost. (Rules also write
the mined rules then, marked apart: the rules page lists what the user's thresholds found, while the suggestions
read the winner's rows; see recommendations/families/rules.py.)

Families register their class from their app's `AppConfig.ready()` (`register(ValueFamily)`). Modules defining
families import pandas and scikit-learn only inside methods, so a web process never loads them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from insights.models import ModelRun

if TYPE_CHECKING:
    import datetime as dt

    import pandas as pd
    from django.db import models

    from insights.snapshot import Snapshot

MODEL, BASELINE = ModelRun.Winner.MODEL.value, ModelRun.Winner.BASELINE.value

# Metric names as a manager reads them; the technical name stays in the model card and the API.
METRIC_WORDS = {
    "rmse": "typical error in purchases per customer (RMSE)",
    "roc_auc": "how well it ranks who leaves (ROC-AUC)",
    "silhouette": "how distinct the groups are (silhouette)",
    "precision_at_10": "share of the top ten bought next (precision@10)",
    "hit_rate_at_10": "share of baskets whose missing product it suggests (hit rate@10)",
    "total_wape": "error in each product's total units (WAPE of totals)",
    "macro_f1": "how well it tells negative, neutral and positive apart (macro-F1)",
}


def metric_words(metric: str) -> tuple[str, str]:
    """A metric as a manager reads it and its technical name, for the tooltip: ("how well it ranks who leaves",
    "ROC-AUC") for "roc_auc"; a metric without words keeps its key as both."""
    words = METRIC_WORDS.get(metric, "")
    if words.endswith(")") and " (" in words:
        plain, technical = words[:-1].rsplit(" (", 1)
        return plain, technical
    return (words or metric), metric


# Metrics that are shares of something (of the top ten, of baskets, of the units sold): a verdict writes them as
# percentages.
SHARE_METRICS = frozenset({"precision_at_10", "hit_rate_at_10", "total_wape"})


@dataclass(frozen=True)
class Parameter:
    """A run parameter a family accepts: its default, how a command-line value is read, what it means."""

    default: Any
    parse: Callable[[str], Any]
    help: str
    choices: tuple = ()

    def read(self, name: str, value: Any) -> Any:
        """The value parsed (from text or as given), or ValueError naming the parameter."""
        try:
            parsed = self.parse(value) if isinstance(value, str) else value
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{name}={value!r}: {exc}") from None
        if self.choices and parsed not in self.choices:
            raise ValueError(f"{name}={value!r}: one of {', '.join(map(str, self.choices))}.")
        return parsed


def finite(value):
    """`value` with every NaN or infinity (at any depth of dicts and lists) replaced by None: JSON has no NaN, and a
    metric that cannot be computed is missing, not a number."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str | bytes):  # numpy scalars
        return finite(value.item())
    return value


@dataclass
class Evaluation:
    """A backtest's outcome: the model and the baseline on the same held-out window, and the metric that decides.

    The model wins only when it is sound (`problem` empty) and strictly better on the deciding metric; a tie, a
    missing metric or an unsound model leaves the baseline as the winner. When even the baseline's metric could not
    be computed (nothing to test on), the baseline still wins: it is the simpler forecast, and the verdict says
    that nothing could be tested."""

    model: str  # what the model is, in words ("BG/NBD with Gamma-Gamma")
    baseline: str  # what the baseline is, in words ("the simple past-rate forecast")
    baseline_key: str  # the baseline's technical name, as `evaluate --format json` reports it
    metric: str  # the deciding metric's key in both metric dicts
    higher_is_better: bool
    metrics: dict
    baseline_metrics: dict
    window: str  # the held-out window in words ("the 90 days before 30 Jun 2025")
    problem: str = ""  # why the model may not be published whatever it scores (a degenerate fit)
    details: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.metrics, self.baseline_metrics = finite(self.metrics), finite(self.baseline_metrics)

    @property
    def model_score(self) -> float | None:
        return self.metrics.get(self.metric)

    @property
    def baseline_score(self) -> float | None:
        return self.baseline_metrics.get(self.metric)

    @property
    def winner(self) -> str:
        """MODEL or BASELINE (see the class docstring)."""
        model, base = self.model_score, self.baseline_score
        if self.problem or model is None:
            return BASELINE
        if base is None:
            return MODEL
        return MODEL if (model > base if self.higher_is_better else model < base) else BASELINE

    def verdict(self, label: str) -> str:
        """The verdict in words, e.g. "Customer value: the simple past-rate forecast, because BG/NBD did not beat it
        on the 90 days before 30 Jun 2025 (typical error ... (RMSE) 1.55 vs 1.52)."""
        model, base = self.model_score, self.baseline_score
        words = METRIC_WORDS.get(self.metric, self.metric)
        share = self.metric in SHARE_METRICS
        scores = f"{words} {_shown(model, share)} vs {_shown(base, share)}"
        if self.winner == MODEL:
            return f"{label}: {self.model}, because it beat {self.baseline} on {self.window} ({scores})."
        if self.problem:
            return f"{label}: {self.baseline}, because {self.model} could not be used here ({self.problem})."
        if model is None:
            return f"{label}: {self.baseline}; {self.model} could not be tested on {self.window}."
        tie = " (a tie is not a win)" if model == base else ""
        return f"{label}: {self.baseline}, because {self.model} did not beat it on {self.window} ({scores}){tie}."

    def as_result(self) -> dict:
        """{"metrics": ..., "baseline": {"name", "metrics"}}: the shape `evaluate --format json` prints and a
        ModelRun records."""
        return {"metrics": self.metrics, "baseline": {"name": self.baseline_key, "metrics": self.baseline_metrics}}


def window_words(cutoff, end, in_weeks: bool = False) -> str:
    """A held-out window in words, e.g. "the 90 days to 30 Jun 2025", or "the 24 weeks to 6 Dec 2026" `in_weeks`
    (for a family that forecasts weeks: its pages count them so) (`end` exclusive, both timestamps; the day as the
    pages write dates, through Django's date formatting)."""
    import pandas as pd
    from django.utils.dateformat import format as date_format

    days = round((end - cutoff) / pd.Timedelta(days=1))
    span = f"{days // 7} weeks" if in_weeks and days % 7 == 0 else f"{days} days"
    return f"the {span} to {date_format((end - pd.Timedelta(days=1)).date(), 'j M Y')}"


def data_end(until, moments):
    """Where a backtest's held-out window ends: the run's moment, or the day after the last event in the data when
    the data ends earlier (a run as of today on data that stopped months ago tests on its last months, not on an
    empty window)."""
    import pandas as pd

    if not len(moments):
        return until
    last = moments.max().floor("D") + pd.Timedelta(days=1)
    return min(until, last)


def _shown(value, share: bool = False) -> str:
    """A metric as a verdict writes it: a share as the pages write shares ('10.4%'), another to 3 figures."""
    if value is None:
        return "n/a"
    return f"{value * 100:.3g}%" if share else f"{value:.3g}"


class Family:
    """One model family: subclass, fill in the class attributes and the methods, register the class."""

    name: ClassVar[str]  # a ModelRun.Family value
    label: ClassVar[str]  # as pages name it
    result_model: ClassVar[type[models.Model]]
    deciding_metric: ClassVar[str]
    higher_is_better: ClassVar[bool]
    parameters: ClassVar[dict[str, Parameter]] = {}
    per_customer: ClassVar[bool] = True  # rows keyed by customer: re-scored, forgotten on withdrawn consent
    chunked: ClassVar[bool] = False  # rows may be computed per range of customer ids on any worker
    rescored: ClassVar[bool] = False  # a customer's row is scored again after their order or interaction
    batch: ClassVar[int | None] = None  # customers per rows() call when writing (None: all at once)
    # Whether the profile shows the customer's rows of earlier runs too (the score history): such a family keeps the
    # results of its latest MODEL_RESULTS_KEEP_RUNS runs, the others of the latest few (insights/pruning.py).
    score_history: ClassVar[bool] = False
    # What the family reads: "customers" (purchases per order, returns, interactions) or "lines" (order lines). A
    # retrain of several families trains those of each kind together on one read, the two kinds side by side.
    reads: ClassVar[str] = "customers"

    def __init__(self, parameters: dict | None = None):
        self.params = self.read_parameters(parameters or {})
        self.previous_run: int | None = None  # the family's active run when this one started (set by runs.py)

    @classmethod
    def read_parameters(cls, given: dict) -> dict:
        """The family's parameters with defaults filled in; ValueError on an unknown key (naming the known ones)
        or a bad value. Keys of the run lifecycle itself (`in_process`) are left to it."""
        unknown = sorted(set(given) - set(cls.parameters) - {"in_process"})
        if unknown:
            known = ", ".join(f"{k} (default {p.default})" for k, p in cls.parameters.items()) or "none"
            raise ValueError(f"Unknown parameter {', '.join(unknown)} for {cls.name}; known: {known}.")
        return {k: p.read(k, given.get(k, p.default)) for k, p in cls.parameters.items()}

    # The steps of a run -------------------------------------------------------------------------------------------
    def load(self, snapshot: Snapshot) -> Any:
        """Everything the family learns from, read through `snapshot` (shared by the families of one retrain)."""
        raise NotImplementedError

    def counts(self, data) -> dict[str, int]:
        """What the run learned from, for its record."""
        return {}

    def backtest(self, data) -> Evaluation:
        """The model and its baseline on the latest held-out window of `data`."""
        raise NotImplementedError

    def fit(self, data, winner: str) -> Any:
        """The winner (MODEL or BASELINE) fitted on all of `data`; what `rows` scores with (picklable)."""
        raise NotImplementedError

    def card(self, fitted, evaluation: Evaluation, data) -> dict:
        """What the run's page and the pages' explanations read (JSON)."""
        return {}

    def customers(self, data) -> Iterable[int]:
        """Ids of the customers to score (per-customer families)."""
        raise NotImplementedError

    def load_for_rows(self, snapshot: Snapshot) -> Any:
        """What `rows` needs for the customers of `snapshot` (a chunk on a worker, or one customer re-scored)."""
        return self.load(snapshot)

    def rows(self, fitted, data, customers=None) -> pd.DataFrame:
        """Result rows as a DataFrame of the result model's fields (foreign keys as `<name>_id`, no run): for the
        given customer ids, or every row when `customers` is None."""
        raise NotImplementedError

    def evaluate(self, snapshot: Snapshot, as_of: dt.date) -> Evaluation:
        """The backtest with training data up to `as_of` (inclusive), tested on what follows (`manage.py evaluate`);
        `snapshot` holds all the data."""
        raise NotImplementedError


class PurchasesFamily(Family):
    """A family learning from the per-order purchases, returns and interactions of profiled customers (value and
    churn): one row per customer who bought, re-scored after their order or interaction, scored in chunks."""

    chunked = True
    rescored = True

    def load(self, snapshot: Snapshot):
        return snapshot.dataset()

    def counts(self, data) -> dict[str, int]:
        return data.counts()

    def customers(self, data):
        return data.purchases["customer"].unique()


_REGISTRY: dict[str, type[Family]] = {}


def register(family: type[Family]) -> type[Family]:
    """Add a family class (from an AppConfig.ready()); registering another class under a taken name is a mistake."""
    known = _REGISTRY.get(family.name)
    if known is not None and known is not family:
        raise ValueError(f"The {family.name!r} family is already {known.__module__}.{known.__qualname__}.")
    if family.name not in ModelRun.Family.values:
        raise ValueError(f"{family.name!r} is not a ModelRun.Family.")
    _REGISTRY[family.name] = family
    return family


def names() -> list[str]:
    """The registered families, in registration order."""
    return list(_REGISTRY)


def get(name: str) -> type[Family]:
    """The family class registered under `name`; ValueError naming the known ones."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(f"No {name!r} family; known: {', '.join(_REGISTRY)}.") from None
