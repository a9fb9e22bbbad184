"""The manager's dashboards, read from the active runs: segments with their size, value and risk; value at risk
by owner; the migration between the last two segment runs; model quality across runs beside the baselines.

Every figure is an aggregate computed by the database over the user's visible customers, in a fixed number of
queries whatever the data size."""

from __future__ import annotations

from django.db import connection

from customers.models import Customer, sees_all_customers
from insights.models import ChurnScore, CustomerSegment, CustomerValue, ModelRun
from insights.publishing import active_runs

# The one metric per family that the quality table leads with, and whether higher is better.
HEADLINE = {"segments": ("silhouette", True), "value": ("rmse", False), "churn": ("roc_auc", True)}
RUNS_SHOWN = 8


def _visible_filter(user, column: str) -> tuple[str, list]:
    """SQL restricting `column` (a customer id) to the user's visible customers; nothing for those who see all."""
    if sees_all_customers(user):
        return "", []
    sql, params = Customer.objects.visible_to(user).values("pk").query.sql_with_params()
    return f" AND {column} IN ({sql})", list(params)


def segment_table(user, runs: dict) -> list[dict]:
    """Per segment: customers, total and average 12-month value, average churn risk, value at risk."""
    if not runs.get("segments"):
        return []
    where, params = _visible_filter(user, "s.customer_id")
    table = {m: m._meta.db_table for m in (CustomerSegment, CustomerValue, ChurnScore)}
    sql = f"""
        SELECT s.segment, COUNT(*), COALESCE(SUM(v.clv_12m), 0), AVG(c.probability),
               COALESCE(SUM(c.probability * v.clv_12m), 0)
        FROM {table[CustomerSegment]} s
        LEFT JOIN {table[CustomerValue]} v ON v.customer_id = s.customer_id AND v.run_id = %s
        LEFT JOIN {table[ChurnScore]} c ON c.customer_id = s.customer_id AND c.run_id = %s
        WHERE s.run_id = %s{where}
        GROUP BY s.segment ORDER BY COUNT(*) DESC"""
    with connection.cursor() as cursor:
        cursor.execute(sql, [runs.get("value") or 0, runs.get("churn") or 0, runs["segments"], *params])
        rows = cursor.fetchall()
    total = sum(row[1] for row in rows) or 1
    return [
        {
            "segment": segment,
            "customers": count,
            "share": count / total,
            "value": float(value),
            "average_value": float(value) / count if count else 0.0,
            "average_risk": None if risk is None else float(risk),
            "at_risk": float(at_risk),
        }
        for segment, count, value, risk, at_risk in rows
    ]


def value_at_risk_by_owner(user, runs: dict) -> list[dict]:
    """Sum of churn probability x 12-month value per owner, highest first (only for those who see all)."""
    if not (runs.get("churn") and runs.get("value")) or not sees_all_customers(user):
        return []
    customer, user_table = Customer._meta.db_table, Customer._meta.get_field("owner").related_model._meta.db_table
    sql = f"""
        SELECT COALESCE(u.username, ''), COUNT(*), SUM(c.probability * v.clv_12m)
        FROM {ChurnScore._meta.db_table} c
        JOIN {CustomerValue._meta.db_table} v ON v.customer_id = c.customer_id AND v.run_id = %s
        JOIN {customer} cu ON cu.id = c.customer_id
        LEFT JOIN {user_table} u ON u.id = cu.owner_id
        WHERE c.run_id = %s
        GROUP BY u.username ORDER BY 3 DESC"""
    with connection.cursor() as cursor:
        cursor.execute(sql, [runs["value"], runs["churn"]])
        return [
            {"owner": owner or "(unassigned)", "customers": n, "at_risk": float(risk or 0)}
            for owner, n, risk in cursor.fetchall()
        ]


def model_quality() -> list[dict]:
    """The latest runs of each family with their headline metric beside the baseline's."""
    runs = list(
        ModelRun.objects.filter(family__in=HEADLINE, status__in=["succeeded", "held", "superseded", "failed"])
        .order_by("-created_at")
        .only("family", "status", "is_active", "as_of", "metrics", "baseline", "created_at", "publish_note")[
            : RUNS_SHOWN * len(HEADLINE)
        ]
    )
    rows = []
    for run in runs:
        metric, higher = HEADLINE[run.family]
        model, base = run.metrics.get(metric), run.baseline.get("metrics", {}).get(metric)
        better = None if model is None or base is None else (model > base if higher else model < base)
        rows.append(
            {
                "run": run,
                "metric": metric,
                "model": model,
                "baseline": base,
                "baseline_name": run.baseline.get("name", ""),
                "better": better,
            }
        )
    return rows


def migration(runs: dict) -> dict | None:
    """The active segments run's migration table with the shares as percentages (None before two runs)."""
    if not runs.get("segments"):
        return None
    card = ModelRun.objects.filter(pk=runs["segments"]).values_list("model_card", flat=True).first() or {}
    table = card.get("migration")
    if not table or not table.get("rows") or table.get("stayed", 0) + table.get("moved", 0) == 0:
        return None
    cells = [
        [{"count": count, "share": share} for count, share in zip(counts, shares, strict=True)]
        for counts, shares in zip(table["counts"], table["shares"], strict=True)
    ]
    return {"columns": table["columns"], "rows": list(zip(table["rows"], cells, strict=True))}


def context(user) -> dict:
    """Everything the dashboards page shows."""
    runs = active_runs(["segments", "value", "churn"])
    return {
        "runs": runs,
        "no_model": not any(runs.values()),
        "segments": segment_table(user, runs),
        "owners": value_at_risk_by_owner(user, runs),
        "migration": migration(runs),
        "quality": model_quality(),
    }
