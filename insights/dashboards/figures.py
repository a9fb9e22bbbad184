"""The dashboards' figures read from the model runs: segments with their size, value and risk; revenue at risk by
owner; the migration between the last two segment runs; model quality across runs beside the baselines; the churn
model's calibration card. Revenue per month and cohort retention come from the orders (trends.py beside this).

Every figure is an aggregate computed by the database over the user's visible customers, in a fixed number of
queries whatever the data size."""

from __future__ import annotations

from django.db import connection
from django.db.models import OuterRef, Subquery, Sum
from django.utils import timezone

from customers.models import Customer, sees_all_customers
from insights.models import ChurnScore, CustomerSegment, CustomerValue, ModelRun
from insights.worklist import revenue_at_risk, savable

# The one metric per family that the quality table leads with, and whether higher is better.
QUALITY_FAMILIES = ("segments", "value", "churn")  # the customer families whose quality this page charts
RUNS_SHOWN = 8
NEW, GONE = "(new)", "(gone)"  # as in the segments' model card (insights/models_ml/segments_describe.py)


def _visible_filter(user, column: str) -> tuple[str, list]:
    """SQL restricting `column` (a customer id) to the user's visible customers; nothing for those who see all."""
    if sees_all_customers(user):
        return "", []
    sql, params = Customer.objects.visible_to(user).values("pk").query.sql_with_params()
    return f" AND {column} IN ({sql})", list(params)


def segment_table(user, runs: dict) -> list[dict]:
    """Per segment: customers, total and average 12-month value, average churn risk, and revenue at risk (the
    worklist's figure, insights/worklist.py `savable`)."""
    return segments_and_rest(user, runs)[0]


def segments_and_rest(user, runs: dict) -> tuple[list[dict], float]:
    """`segment_table`'s rows, and the revenue at risk of customers in no segment of the active run (new since it
    ran): the worklist counts them, so the page says how much the segments' total leaves out."""
    if not runs.get("segments"):
        return [], 0.0
    where, params = _visible_filter(user, "s.customer_id")
    table = {m: m._meta.db_table for m in (CustomerSegment, CustomerValue, ChurnScore)}
    sql = f"""
        SELECT s.segment, COUNT(*), COALESCE(SUM(v.clv_12m), 0), AVG(c.probability)
        FROM {table[CustomerSegment]} s
        LEFT JOIN {table[CustomerValue]} v ON v.customer_id = s.customer_id AND v.run_id = %s
        LEFT JOIN {table[ChurnScore]} c ON c.customer_id = s.customer_id AND c.run_id = %s
        WHERE s.run_id = %s{where}
        GROUP BY s.segment ORDER BY COUNT(*) DESC"""
    with connection.cursor() as cursor:
        cursor.execute(sql, [runs.get("value") or 0, runs.get("churn") or 0, runs["segments"], *params])
        rows = cursor.fetchall()
    total = sum(row[1] for row in rows) or 1
    at_risk = _at_risk_by_segment(user, runs)
    rows = [
        {
            "segment": segment,
            "customers": count,
            "share": count / total,
            "value": float(value),
            "average_value": float(value) / count if count else 0.0,
            "average_risk": None if risk is None else float(risk),
            "at_risk": at_risk.get(segment, 0.0),
        }
        for segment, count, value, risk in rows
    ]
    return rows, at_risk.get(None, 0.0)


def revenue_at_risk_by_owner(user, runs: dict) -> list[dict]:
    """Revenue at risk per owner, highest first (only for those who see all): the worklist's figure and rule
    (insights/worklist.py `revenue_at_risk`), so both pages give an owner the same amount."""
    if not (runs.get("churn") and runs.get("value")) or not sees_all_customers(user):
        return []
    rows = revenue_at_risk(user, timezone.localdate(), runs=runs)
    return [
        {"owner": row["owner_name"] or "(unassigned)", "customers": row["customers"], "at_risk": row["at_risk"] or 0.0}
        for row in rows
    ]


def _at_risk_by_segment(user, runs: dict) -> dict[str, float]:
    """Revenue at risk per segment of the active segments run, by the worklist's rule (one query)."""
    if not (runs.get("churn") and runs.get("value")):
        return {}
    segment = CustomerSegment.objects.filter(run_id=runs["segments"], customer=OuterRef("customer_id"))
    rows = (
        savable(Customer.objects.visible_to(user), runs["churn"], runs["value"], timezone.localdate())
        .annotate(segment=Subquery(segment.values("segment")[:1]))
        .values("segment")
        .annotate(total=Sum("at_risk"))
        .order_by()
    )
    return {row["segment"]: float(row["total"] or 0) for row in rows}


def model_quality() -> list[dict]:
    """The latest runs of each family with the metric its backtest decides on (the family's) beside the
    baseline's: the chart shows what chose between them."""
    from insights.families.base import get as family_of
    from insights.families.base import metric_words

    runs = list(
        ModelRun.objects.filter(family__in=QUALITY_FAMILIES, status__in=["succeeded", "held", "superseded", "failed"])
        .order_by("-created_at")
        .only("family", "status", "is_active", "as_of", "metrics", "baseline", "created_at", "publish_note")[
            : RUNS_SHOWN * len(QUALITY_FAMILIES)
        ]
    )
    rows = []
    for run in runs:
        family = family_of(run.family)
        metric, higher = family.deciding_metric, family.higher_is_better
        model, base = run.metrics.get(metric), run.baseline.get("metrics", {}).get(metric)
        better = None if model is None or base is None else (model > base if higher else model < base)
        words, technical = metric_words(metric)
        rows.append(
            {
                "run": run,
                "metric": metric,
                "metric_words": words,  # the metric in plain words; its technical name goes to a tooltip
                "metric_name": technical,
                "model": model,
                "baseline": base,
                # the baseline in words ("the simple past-rate forecast"); its key ("past_rate") goes to a tooltip
                "baseline_words": getattr(family, "BASELINE_WORDS", "") or run.baseline.get("name", ""),
                "baseline_name": run.baseline.get("name", ""),
                "better": better,
                "higher_is_better": higher,
            }
        )
    return rows


def churn_card(runs: dict) -> dict:
    """The calibration bins of the active churn run's model card, its calibration error (ECE), how its
    probabilities were shifted for the season and the period they were calibrated on beside the held-out one
    (`calibration_period`), reading only those keys (one query)."""
    if not runs.get("churn"):
        return {}
    found = (
        ModelRun.objects.filter(pk=runs["churn"])
        .values_list(
            "model_card__calibration",
            "metrics__ece",
            "model_card__seasonal_shift_applied",
            "model_card__calibration_window",
            "model_card__counts",
        )
        .first()
    )
    if found is None:
        return {}
    bins, ece, season, window, counts = found
    period = calibration_period(window, counts)
    days = period["days"] if period else None
    return {"calibration": bins, "ece": ece, "season": season_words(season, days), "period": period}


def season_words(season, days: int | None = None) -> str:
    """The churn run's seasonal adjustment (insights/models_ml/churn_labels.py `seasonal_shift`) as a manager reads
    it: what the churn rate did a year earlier and whether the predicted risk was moved for it ("" when the run
    recorded none). `days` is the length of the windows compared (the churn window's): a window is never named
    without it, when the run recorded it."""
    from crm.templatetags.lodestar import percent

    if not isinstance(season, dict) or not season.get("reason"):
        return ""
    rates, shift = season.get("rates"), season.get("shift") or 0.0
    if not rates:  # not estimable: the reason says why ("not estimable: a year earlier ... has too few customers")
        return f"No seasonal adjustment: {season['reason'].removeprefix('not estimable: ')}."
    earlier, later = (percent(rate, 1) for rate in rates)  # close rates: to a tenth
    window = f"{days} days" if days else "window"
    a_year_earlier = (
        f"A year earlier, {earlier} of the customers stopped buying in the {window} the model is calibrated on and "
        f"{later} in the {f'{days} days' if days else 'one'} it now scores"
    )
    if not shift:
        return f"{a_year_earlier}, a difference within noise: no seasonal adjustment."
    return f"{a_year_earlier}, so the predicted risk is {'raised' if shift > 0 else 'lowered'} for the season."


def calibration_period(window, counts) -> dict | None:
    """{"start", "last" (dates), "days", "rate", "holdout_rate"}: the latest labelled period the backtest's model was
    calibrated on, its churn rate, and the held-out customers' churn rate; None for runs that recorded no window."""
    import datetime as dt

    if not isinstance(window, dict) or window.get("churn_rate") is None or not window.get("start"):
        return None
    start, end = dt.datetime.fromisoformat(window["start"]), dt.datetime.fromisoformat(window["end"])
    counts = counts if isinstance(counts, dict) else {}
    holdout = counts["test_churned"] / counts["test"] if counts.get("test") else None
    return {
        "start": start.date(),
        "last": (end - dt.timedelta(days=1)).date(),
        "days": (end - start).days,
        "rate": window["churn_rate"],
        "holdout_rate": holdout,
    }


def migration(user, runs: dict) -> dict | None:
    """Where the user's visible customers of the segments run before the active one are now: counts per (before,
    now) pair with each row's shares, "(new)" for customers only in the active run and "(gone)" for those only in
    the one before (the labels of the segments' model card). None until there are two runs to compare.

    The run before is the latest earlier one that was published (superseded now, or active again after a roll
    back): the run that was active when the active one was trained, unless an admin has rolled back since."""
    if not runs.get("segments"):
        return None
    table, active = CustomerSegment._meta.db_table, runs["segments"]
    new_where, new_params = _visible_filter(user, "n.customer_id")
    old_where, old_params = _visible_filter(user, "o.customer_id")
    # Ids grow with creation, so the latest earlier run is the one with the highest smaller id.
    previous = f"""(SELECT p.id FROM {ModelRun._meta.db_table} p WHERE p.family = 'segments'
        AND p.status IN ('succeeded', 'superseded') AND p.id < %s ORDER BY p.id DESC LIMIT 1)"""
    sql = f"""
        SELECT o.segment, n.segment, COUNT(*), {previous}
        FROM {table} n LEFT JOIN {table} o ON o.customer_id = n.customer_id AND o.run_id = {previous}
        WHERE n.run_id = %s{new_where}
        GROUP BY o.segment, n.segment
        UNION ALL
        SELECT o.segment, NULL, COUNT(*), NULL
        FROM {table} o
        WHERE o.run_id = {previous}{old_where}
          AND NOT EXISTS (SELECT 1 FROM {table} n WHERE n.run_id = %s AND n.customer_id = o.customer_id)
        GROUP BY o.segment"""
    with connection.cursor() as cursor:
        cursor.execute(sql, [active] * 3 + [*new_params, active, *old_params, active])
        found = cursor.fetchall()
    if not any(previous_id for *_, previous_id in found):
        return None  # no earlier run to compare with
    counts = {(before or NEW, now or GONE): n for before, now, n, _ in found}
    if not any(before != NEW and now != GONE for before, now in counts):
        return None  # nobody visible was in both runs: nothing moved or stayed
    rows = sorted({before for before, _ in counts} - {NEW}) + [NEW]
    columns = sorted({now for _, now in counts} - {GONE}) + [GONE]
    cells = []
    for before in rows:
        total = sum(counts.get((before, now), 0) for now in columns) or 1
        cells.append(
            [{"count": counts.get((before, now), 0), "share": counts.get((before, now), 0) / total} for now in columns]
        )
    return {"columns": columns, "rows": list(zip(rows, cells, strict=True))}
