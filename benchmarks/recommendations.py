"""Recommendations, rules and demand at scale (the issue's size: `--customers 100000 --products 5000`):

- (each family's `manage.py retrain --in-process` is in the retrain group);
- the recommender end to end in this process with the weights fixed, as a scoring worker sees it: reading the lines,
  fitting each component, both top-10 lists for every customer, and the write-back, beside a bare COPY of the same
  rows into a table without indexes.
"""

from __future__ import annotations

import resource
import time
from collections.abc import Iterator

from benchmarks import Context, Row, register


@register("recommendations", order=40)
def recommendations(ctx: Context) -> Iterator[Row]:
    """The recommender's stages one by one, with the weights of the latest recommendations run (the retrain group
    trains and measures the family itself; it is trained here, untimed, when that group did not run)."""
    from insights.models import ModelRun

    ctx.ensure_seeded()
    trained = ModelRun.objects.filter(family="recommendations", status="succeeded").order_by("-pk").first()
    if trained is None:
        ctx.manage("retrain", "--family", "recommendations", "--as-of", ctx.end, "--in-process")
        trained = ModelRun.objects.filter(family="recommendations").latest("pk")
    yield from _end_to_end(ctx, trained)


def _end_to_end(ctx: Context, trained) -> Iterator[Row]:
    """Load, fit with the trained run's weights, recommend for every customer, write back: each timed."""
    from insights import data as insights_data
    from insights import publishing
    from insights.models import ModelRun
    from insights.snapshot import training_moment
    from recommendations import data
    from recommendations.families.recommend import LINE_COLUMNS, RecommendationsFamily, recommendation_rows
    from recommendations.models import Recommendation
    from recommendations.models_ml.tuning import fit_recommender

    started = time.perf_counter()
    until = training_moment(trained.as_of)
    lines = data.order_lines(until, profiled_only=True, columns=LINE_COLUMNS)
    products = data.products()
    loaded = time.perf_counter()
    yield Row("recommendations: read lines", loaded - started, "s", f"{len(lines):,} lines, COPY into pandas")

    weights = trained.model_card.get("weights") or None
    model = fit_recommender(lines, products, until, weights=weights)
    fitted = time.perf_counter()
    parts = ", ".join(f"{name} {seconds:.1f}" for name, seconds in model.timings.items())
    shape = f"{model.data.n_customers:,} customers x {model.data.n_items:,} items"
    yield Row("recommendations: fit (fixed weights)", fitted - loaded, "s", f"{shape}; {parts}")

    ids = list(insights_data.profiled_customers().order_by("pk").values_list("pk", flat=True))
    batch = RecommendationsFamily.batch
    frames = [model.recommend(ids[s : s + batch]) for s in range(0, len(ids), batch)]
    scored = time.perf_counter()
    n_rows = sum(len(f) for f in frames)
    yield Row(
        "recommendations: top-10 lists, all customers", scored - fitted, "s", f"{len(ids):,} customers, {n_rows:,} rows"
    )

    run = ModelRun.objects.create(family="recommendations", as_of=trained.as_of, status=ModelRun.Status.FAILED)
    try:
        rows = [recommendation_rows(frame).assign(run_id=run.pk) for frame in frames]
        prepared = time.perf_counter()
        for frame in rows:
            publishing.write_frame(Recommendation, frame)
        written = time.perf_counter()
        yield Row(
            "recommendations: write-back",
            written - scored,
            "s",
            f"rows built {prepared - scored:.1f} s, COPY {written - prepared:.1f} s",
        )
        yield Row("recommendations: end to end", written - started, "s", "read + fit + lists + write-back; aim < 15 s")
        yield Row("raw COPY of the same rows", _bare_copy(rows), "s", "the same CSV into a table without indexes")
    finally:
        run.delete()
    yield Row(
        "bench process peak RSS",
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "MB",
        "after the stages above",
    )


def _bare_copy(frames) -> float:
    """Seconds to COPY the prepared rows into a temporary table without indexes or keys."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE bench_recommendation (run_id int, customer_id bigint, list text, rank int, "
            "product_id bigint, score float8, component text, reason_code text, reason_params jsonb)"
        )
        started = time.perf_counter()
        with cursor.cursor.copy("COPY bench_recommendation FROM STDIN WITH (FORMAT csv)") as copy:
            for frame in frames:
                copy.write(frame.to_csv(index=False, header=False))
        seconds = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_recommendation")
    return seconds
