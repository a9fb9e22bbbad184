"""Retraining at scale on the seeded demo data: each family trained in a manage.py process of its own (wall time,
its own peak memory, each stage's time from the run's record), then every family in one process as the nightly
retrain does it (the data read once), beside a bare COPY of the same value rows."""

from __future__ import annotations

import os
from collections.abc import Iterator

from benchmarks import Context, Row, register

FAMILIES = ("segments", "value", "churn", "sentiment", "recommendations", "rules", "demand")
WORKERS = 2  # worker processes, one per core of the 2-core box the aims are set for


@register("retrain", order=30)
def retrain(ctx: Context) -> Iterator[Row]:
    """`manage.py retrain --family F --in-process` for each family, then `retrain --in-process` of all of them, as of
    the demo data's last day."""
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
        yield Row(
            f"retrain {family} quality",
            run.winner,
            "",
            f"decides on {run.deciding_metric}; model: {metrics}; {run.baseline.get('name')}: {base}",
        )
    yield Row("retrain each family alone", total, "s", f"sum of the {len(FAMILIES)} processes, start-up included")
    seconds, rss, _ = ctx.manage("retrain", "--as-of", ctx.end, "--in-process")
    runs = ModelRun.objects.filter(family__in=FAMILIES).order_by("-pk")[: len(FAMILIES)]
    stages = "; ".join(
        f"{run.family}: " + ", ".join(f"{k} {v:.1f}" for k, v in run.timings.items() if k != "starting")
        for run in sorted(runs, key=lambda r: r.pk)
    )
    yield Row("retrain all (nightly, one read)", seconds, "s", f"one process, start-up included; {stages}")
    yield Row("retrain all peak RSS", rss, "MB", "the manage.py process")
    yield from _through_workers(ctx)
    yield from _write_back_beside_copy()


def _through_workers(ctx) -> Iterator[Row]:
    """The nightly retrain as deployed: `retrain --wait` queues every family to a Celery worker of WORKERS
    processes, which trains them on one read of the data while the other process scores the chunks already
    spread; timed from the command's start to the last run's end, the worker started (and idle) beforehand."""
    import subprocess
    import sys
    import time

    from benchmarks import ROOT
    from insights.families import base
    from insights.models import ModelRun

    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "crm", "worker", "-c", str(WORKERS), "--loglevel", "WARNING"],
        cwd=ROOT,
        env=ctx.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        ctx.manage("ping_worker", "--wait", "60")
        first = ModelRun.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        started = time.perf_counter()
        ctx.manage("retrain", "--as-of", ctx.end, "--wait", "--timeout", "3600")
        wall = time.perf_counter() - started
    finally:
        worker.terminate()
        _, _, usage = os.wait4(worker.pid, 0)
    ended = list(ModelRun.objects.filter(pk__gt=first).order_by("pk"))
    states = ", ".join(f"{run.family} {run.status}" for run in ended)
    yield Row(f"retrain all through {WORKERS} workers", wall, "s", f"queued to a real worker; {states}")
    groups: dict[str, list] = {}
    for run in ended:
        groups.setdefault(base.get(run.family).reads, []).append(run)
    for reads, runs in groups.items():
        runs = [run for run in runs if run.started_at and run.finished_at]
        if not runs:
            continue
        started, finished = min(run.started_at for run in runs), max(run.finished_at for run in runs)
        each = ", ".join(f"{run.family} {(run.finished_at - run.started_at).total_seconds():.1f}" for run in runs)
        yield Row(
            f"  the group reading {reads}", (finished - started).total_seconds(), "s", f"one worker process: {each}"
        )
    yield Row("retrain all through workers: largest process", usage.ru_maxrss / 1024, "MB", "the worker's processes")


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
    scoring = run.timings.get("writing results", 0.0)
    yield Row("value write-back (writing stage)", scoring, "s", f"{len(rows):,} rows: features, score and COPY")
    yield Row("raw COPY of the same rows", seconds, "s", "prepared tuples into a bare table")
