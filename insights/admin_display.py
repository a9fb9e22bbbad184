"""What the model run admin shows besides the model's own fields: the fields its page refreshes while the run is
under way (polled as JSON by static/js/run_live.js), and the model card as a tree a template draws as nested
lists (admin/insights/modelrun/model_card.html), instead of raw JSON; a churn card's calibration bins as a table
beside it (the bins of the dashboards' calibration plot, with their customers)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django.template.defaultfilters import floatformat
from django.utils import formats, timezone

from insights.models import ModelRun

LIVE_FIELDS = (
    "status",
    "is_active",
    "publish_note",
    "winner",
    "stage",
    "progress_percent",
    "started_at",
    "finished_at",
    "activated_at",
    "data_counts",
    "timings",
    "error",
)
LIST_LIMIT = 40  # items of one list the card shows; the rest are counted


def _when(value) -> str:
    return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT") if value else "-"


def live_fields(run: ModelRun) -> dict[str, str]:
    """The run's fields that change while it runs, as the text its page shows."""
    return {
        "status": run.get_status_display(),
        "is_active": "yes" if run.is_active else "no",
        "publish_note": run.publish_note or "-",
        "winner": run.winner or "-",
        "stage": run.stage or "-",
        "progress_percent": f"{run.progress:.0%}",
        "started_at": _when(run.started_at),
        "finished_at": _when(run.finished_at),
        "activated_at": _when(run.activated_at),
        "data_counts": json.dumps(run.data_counts) if run.data_counts else "-",
        "timings": json.dumps(run.timings) if run.timings else "-",
        "error": run.error or "-",
    }


@dataclass
class Node:
    """One value of the card: text (`text`), or named children (`items`, a mapping or a list)."""

    label: str = ""
    text: str = ""
    items: list[Node] = field(default_factory=list)
    more: int = 0  # list items left out


def _words(key: Any) -> str:
    return str(key).replace("_", " ")


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if abs(value) >= 1000:
            return floatformat(value, "0g")
        return formats.number_format(float(f"{value:.4g}"), use_l10n=True)  # 4 significant digits, no trailing 0s
    if value is None:
        return "-"
    return str(value)


def card_tree(value: Any, label: str = "") -> Node:
    """The card (nested dicts and lists from JSON) as nodes: a list of plain values becomes one line."""
    if isinstance(value, dict):
        return Node(label, items=[card_tree(child, _words(key)) for key, child in value.items()])
    if isinstance(value, list):
        if all(not isinstance(item, dict | list) for item in value):
            shown = ", ".join(_scalar(item) for item in value[:LIST_LIMIT])
            rest = len(value) - LIST_LIMIT
            return Node(label, text=shown + (f" and {rest} more" if rest > 0 else "") if value else "none")
        items = [card_tree(item, f"{n}") for n, item in enumerate(value[:LIST_LIMIT], start=1)]
        return Node(label, items=items, more=max(0, len(value) - LIST_LIMIT))
    return Node(label, text=_scalar(value))


def calibration_bins(card: dict) -> list[dict]:
    """The card's calibration bins that hold customers (a churn run's backtest: predicted against observed per bin of
    predicted risk), for the model card's table; none for other families and for runs that recorded none."""
    bins = card.get("calibration") if isinstance(card, dict) else None
    if not isinstance(bins, list):
        return []
    return [entry for entry in bins if isinstance(entry, dict) and entry.get("count")]


def card_without_calibration(card: dict) -> dict:
    """The card for its tree, without the calibration bins the page shows as a table."""
    if not calibration_bins(card):
        return card
    return {key: value for key, value in card.items() if key != "calibration"}
