"""Retraining at scale: each family trained in a manage.py process on the seeded demo data (wall time, peak
memory, each stage's time from the run's record), and the whole retrain."""

from __future__ import annotations

from collections.abc import Iterator

from benchmarks import Context, Row, register

FAMILIES = ("segments", "value", "churn")


@register("retrain", order=30)
def retrain(ctx: Context) -> Iterator[Row]:
    """`manage.py retrain --family F --in-process` for each family, as of the demo data's last day."""
    from insights.models import ModelRun

    ctx.ensure_seeded()
    total = 0.0
    for family in FAMILIES:
        seconds, rss, _ = ctx.manage("retrain", "--family", family, "--as-of", ctx.end, "--in-process")
        total += seconds
        run = ModelRun.objects.filter(family=family).latest("pk")
        stages = ", ".join(f"{stage} {value:.1f}" for stage, value in run.timings.items() if stage != "starting")
        yield Row(
            f"retrain {family}",
            seconds,
            "s",
            f"{run.status}; {run.data_counts.get('customers', 0):,} customers; {stages}",
        )
        yield Row(f"retrain {family} peak RSS", rss, "MB", "the manage.py process")
        metrics = ", ".join(f"{k} {v:.3g}" for k, v in run.metrics.items() if isinstance(v, int | float))
        base = ", ".join(
            f"{k} {v:.3g}" for k, v in run.baseline.get("metrics", {}).items() if isinstance(v, int | float)
        )
        yield Row(f"retrain {family} quality", run.status, "", f"model: {metrics}; {run.baseline.get('name')}: {base}")
    yield Row("retrain all families", total, "s", "sum of the three processes, start-up included")
    yield from _write_back_beside_copy()


def _write_back_beside_copy() -> Iterator[Row]:
    """The value run's write-back (the scoring stage: read, score, COPY) beside a bare COPY of the same rows."""
    import time

    from django.db import connection

    from insights.models import CustomerValue, ModelRun

    run = ModelRun.objects.filter(family="value").latest("pk")
    columns = [
        "customer_id",
        "p_alive",
        "expected_purchases_90d",
        "expected_purchases_365d",
        "expected_order_value",
        "clv_12m",
    ]
    rows = list(CustomerValue.objects.filter(run=run).values_list(*columns))
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE bench_value (run_id int, customer_id bigint, p_alive float8, e90 float8, e365 float8, "
            "aov float8, clv float8)"
        )
        started = time.perf_counter()
        with cursor.cursor.copy("COPY bench_value FROM STDIN") as copy:
            for row in rows:
                copy.write_row((run.pk, *row))
        seconds = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_value")
    scoring = sum(v for k, v in run.timings.items() if k.startswith("scoring"))
    yield Row("value write-back (scoring stage)", scoring, "s", f"{len(rows):,} rows: load, score and COPY, in chunks")
    yield Row("raw COPY of the same rows", seconds, "s", "prepared tuples into a bare table")
