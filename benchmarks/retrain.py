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
