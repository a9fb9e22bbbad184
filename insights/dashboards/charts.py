"""The dashboards' charts as plain data for static/js/charts.js, which draws them with the vendored ECharts.

Each chart is a small JSON-able dict (no ECharts options: those stay in the script) with the words a screen
reader announces in place of the picture:
    type        "bar" (horizontal bars), "line", "heatmap" or "calibration"
    label       the chart's aria-label: what it shows and its main figures, in a sentence or two
    format      how values read: "count", "money", "percent" or "decimal"
    categories  the bars' or the line's labels (for a heat map: its columns)
    series      [{"name", "data", "dashed"?, "area"?, "tone"?}], aligned with the categories ("tone": "danger"
                for money at risk)
    tones       for bars: a tone per category ("accent", "muted"), so the model's bar and the baseline's differ
    values_shown for bars: each bar's value written at its end
    rows, cells for a heat map: its rows (top first) and [column, row, value, count] cells; value is 0..1
    points      for a calibration plot: [mean predicted, observed rate, customers] per bin
The page passes them all in one json_script element; the figures are also in a table under each chart.
"""

from __future__ import annotations

from django.contrib.humanize.templatetags.humanize import intcomma
from django.template.defaultfilters import date as date_format

from crm.templatetags.lodestar import money
from customers.figures import base_currency


def _money(value: float) -> str:
    return money(value, base_currency())


def _month(day) -> str:
    return day.strftime("%b %Y")


def _to_date(row: dict) -> str:
    """A month's label, saying so when the month is not over ("Dec 2026, to 7 Dec": month-to-date)."""
    to_date = row.get("to_date")
    return f"{_month(row['month'])}, to {date_format(to_date, 'j M')}" if to_date else _month(row["month"])


def revenue(trend: list[dict]) -> dict:
    """A line of goods revenue per month; a month not over yet (`to_date`, trends.mark_month_to_date) is named as
    month-to-date and drawn as a point of its own, apart from the line of whole months."""
    values = [round(row["revenue"], 2) for row in trend]
    best = max(trend, key=lambda row: row["revenue"])
    latest = (
        f"{_money(values[-1])} so far in {_to_date(trend[-1])} (month to date)"
        if trend[-1].get("to_date")
        else f"{_money(values[-1])} in the latest month"
    )
    series = [{"name": "Revenue", "data": values, "area": True}]
    if trend[-1].get("to_date"):
        series = [
            {"name": "Revenue", "data": [*values[:-1], None], "area": True},
            {"name": "Month to date", "data": [None] * (len(values) - 1) + [values[-1]], "dashed": True},
        ]
    anonymous = [round(row.get("anonymous", 0.0), 2) for row in trend]
    part = ""
    if any(anonymous):
        # The part no customer figure holds, as a line of its own under the total (whole months only, like it).
        whole = [*anonymous[:-1], None] if trend[-1].get("to_date") else anonymous
        series.append({"name": "From sales with no customer record", "data": whole})
        part = f"; {_money(sum(anonymous))} of it from sales with no customer record"
    return {
        "type": "line",
        "format": "money",
        "categories": [_to_date(row) for row in trend],
        "series": series,
        "label": (
            f"Line chart of revenue per month from {_month(trend[0]['month'])} to {_month(trend[-1]['month'])}: "
            f"{_money(sum(values))} in all{part}, highest in {_month(best['month'])} ({_money(best['revenue'])}), "
            f"{latest}."
        ),
    }


def segment_sizes(segments: list[dict]) -> dict:
    """Bars of customers per segment, largest first."""
    return {
        "type": "bar",
        "format": "count",
        "categories": [row["segment"] for row in segments],
        "series": [{"name": "Customers", "data": [row["customers"] for row in segments]}],
        "label": "Bar chart of customers per segment: "
        + "; ".join(f"{row['segment']} {intcomma(row['customers'])}" for row in segments)
        + ".",
    }


def segment_value(segments: list[dict]) -> dict:
    """Bars of each segment's expected 12-month value beside the part of it at risk."""
    return {
        "type": "bar",
        "format": "money",
        "categories": [row["segment"] for row in segments],
        "series": [
            {"name": "Value, 12 months", "data": [round(row["value"], 2) for row in segments]},
            {"name": "Revenue at risk", "data": [round(row["at_risk"], 2) for row in segments], "tone": "danger"},
        ],
        "label": "Bar chart of expected 12-month value and revenue at risk per segment: "
        + "; ".join(f"{row['segment']} {_money(row['value'])}, {_money(row['at_risk'])} at risk" for row in segments)
        + ".",
    }


def owners(rows: list[dict]) -> dict:
    """Bars of revenue at risk per owner, highest first."""
    return {
        "type": "bar",
        "format": "money",
        "categories": [row["owner"] for row in rows],
        "series": [{"name": "Revenue at risk", "data": [round(row["at_risk"], 2) for row in rows], "tone": "danger"}],
        "label": "Bar chart of revenue at risk by owner: "
        + "; ".join(f"{row['owner']} {_money(row['at_risk'])}" for row in rows)
        + ".",
    }


def cohorts(retention: dict) -> dict:
    """A heat map of the share of each cohort buying in each month after its first purchase."""
    rows = retention["rows"]
    cells = [
        [k, y, round(share, 4), None]
        for y, row in enumerate(rows)
        for k, share in enumerate(row["cells"])
        if share is not None
    ]
    # The month after the first: the usual headline of a retention table, averaged over the cohorts that have one.
    seconds = [row["cells"][1] for row in rows if len(row["cells"]) > 1 and row["cells"][1] is not None]
    summary = (
        f" On average {round(100 * sum(seconds) / len(seconds))}% bought again the month after." if seconds else ""
    )
    return {
        "type": "heatmap",
        "format": "percent",
        "categories": [f"+{k}" for k in retention["months"]],
        "rows": [f"{_month(row['cohort'])} ({intcomma(row['size'])})" for row in rows],
        "cells": cells,
        "label": (
            f"Heat map of monthly cohort retention for the {len(rows)} latest cohorts: rows are the months of "
            f"first purchase, columns the months after it, shade the share of the cohort buying.{summary}"
        ),
    }


def migration(table: dict) -> dict:
    """A heat map of where the customers of each earlier segment are now (shade: share of the row)."""
    rows = [name for name, _ in table["rows"]]
    cells = [
        [x, y, round(cell["share"], 4), cell["count"]]
        for y, (_, row) in enumerate(table["rows"])
        for x, cell in enumerate(row)
    ]
    return {
        "type": "heatmap",
        "format": "percent",
        "categories": list(table["columns"]),
        "rows": rows,
        "cells": cells,
        "label": (
            f"Heat map of customers moving between segments: {len(rows)} earlier segments as rows, "
            f"{len(table['columns'])} current segments as columns, shade the share of the row."
        ),
    }


def quality(rows: list[dict]) -> dict[str, dict]:
    """Per family, a line of its headline metric per run beside the baseline's, in the order of the runs' as-of
    dates (then of training), so the time axis never runs backwards when an older date is retrained later. A family
    with a single run gets two bars instead, the model's and the baseline's from zero (`one_run`): a line of one
    run is two lonely dots on an axis zoomed to them, which shows neither the gap nor its size."""
    families: dict[str, list[dict]] = {}
    for row in rows:
        families.setdefault(row["run"].family, []).append(row)
    charts = {}
    for family, runs in families.items():
        runs = sorted(runs, key=lambda row: (row["run"].as_of, row["run"].created_at))
        words = runs[0]["metric_words"]
        name = runs[0]["run"].get_family_display()
        latest = runs[-1]
        verdict = {True: "better than", False: "not better than", None: "not comparable with"}[latest["better"]]
        title = f"{name}: {words}, {'higher' if runs[0]['higher_is_better'] else 'lower'} is better"
        if len(runs) == 1:
            charts[family] = one_run(latest, name, title, verdict)
            continue
        charts[family] = {
            "type": "line",
            "format": "decimal",
            "family": family,
            "title": title,
            "metric_name": runs[0]["metric_name"],
            "categories": [f"#{row['run'].pk} {date_format(row['run'].as_of, 'j M Y')}" for row in runs],
            "series": [
                {"name": "Model", "data": [row["model"] for row in runs]},
                {"name": "Baseline", "data": [row["baseline"] for row in runs], "dashed": True},
            ],
            "label": (
                f"Line chart of {name.lower()}, {words} ({runs[0]['metric_name']}), over the last "
                f"{len(runs)} runs beside the baseline; "
                f"the latest run is {verdict} its baseline."
            ),
        }
    return charts


def one_run(row: dict, name: str, title: str, verdict: str) -> dict:
    """The only run of a family as two bars from zero, the model's score and the baseline's, each with its value."""
    run = row["run"]
    figures = ", ".join(
        f"{who} {value:.3f}"
        for who, value in (("model", row["model"]), ("baseline", row["baseline"]))
        if value is not None
    )
    return {
        "type": "bar",
        "format": "decimal",
        "family": run.family,
        "title": title,
        "metric_name": row["metric_name"],
        "categories": ["Model", "Baseline"],
        "series": [{"name": f"#{run.pk} {date_format(run.as_of, 'j M Y')}", "data": [row["model"], row["baseline"]]}],
        "tones": ["accent", "muted"],
        "values_shown": True,
        "label": (
            f"Bar chart of {name.lower()}, {row['metric_words']} ({row['metric_name']}), of its one run so far, "
            f"as of {date_format(run.as_of, 'j M Y')}: {figures}; the model is {verdict} its baseline."
        ),
    }


def calibration(bins: list[dict]) -> dict:
    """Predicted against observed churn per probability bin, beside the diagonal of perfect calibration."""
    points = [[round(b["mean_predicted"], 4), round(b["observed_rate"], 4), b["count"]] for b in bins]
    worst = max(bins, key=lambda b: abs(b["observed_rate"] - b["mean_predicted"]))
    return {
        "type": "calibration",
        "format": "percent",
        "points": points,
        "label": (
            f"Calibration plot of predicted against observed churn in {len(bins)} probability bins; the widest "
            f"gap: customers predicted {round(100 * worst['mean_predicted'])}% churned at "
            f"{round(100 * worst['observed_rate'])}%."
        ),
    }


def charts(page: dict) -> dict:
    """Every chart the dashboards page has data for, keyed as the data-chart attribute of the element that draws it."""
    found: dict[str, dict] = {}
    if page.get("revenue"):
        found["revenue"] = revenue(page["revenue"])
    if page.get("segments"):
        found["segment_sizes"] = segment_sizes(page["segments"])
        found["segment_value"] = segment_value(page["segments"])
    if page.get("owners"):
        found["owners"] = owners(page["owners"])
    if page.get("cohorts"):
        found["cohorts"] = cohorts(page["cohorts"])
    if page.get("migration"):
        found["migration"] = migration(page["migration"])
    for family, chart in quality(page.get("quality") or []).items():
        found[f"quality_{family}"] = chart
    if page.get("calibration"):
        found["calibration"] = calibration(page["calibration"])
    return found
