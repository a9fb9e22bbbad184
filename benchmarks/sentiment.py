"""Sentiment and topics at scale on the seeded demo data: classifying 100,000 interaction texts with the fitted text
model (texts per second, one process), retraining the family (wall time, stages), and its quality beside VADER and
the most common topic: on the held-out fifth of the demo's labelled interactions (what the run decides on), and, as a
check on texts it was not written for, the built-in seed's model alone on every demo label."""

from __future__ import annotations

import time
from collections.abc import Iterator

from benchmarks import Context, Row, register

TEXTS = 100_000


def _figures(metrics: dict) -> str:
    keys = ("macro_f1", "accuracy", "topic_macro_f1")
    return ", ".join(f"{k} {metrics[k]:.3f}" for k in keys if isinstance(metrics.get(k), int | float))


def _per_class(metrics: dict, baseline: dict) -> str:
    parts = []
    for head, classes in metrics.get("per_class", {}).items():
        for name, figures in classes.items():
            base = baseline.get("per_class", {}).get(head, {}).get(name, {}).get("f1")
            parts.append(
                f"{name} {figures['f1']:.2f}/{base:.2f}" if base is not None else f"{name} {figures['f1']:.2f}"
            )
    return "; ".join(parts)


def _restore_demo_labels(ctx: Context) -> None:
    """The seed group's raw COPY comparison replaces the demo tables without their staff labels: put the demo's
    labels back (untimed), so the family learns from and is tested on them as after `seed_demo`."""
    from customers.demo import loader
    from customers.demo.generator import generate
    from customers.models import Interaction, InteractionLabel

    if InteractionLabel.objects.filter(source=InteractionLabel.Source.DEMO).exists():
        return
    data = generate(ctx.seed, ctx.customers, ctx.end, n_products=ctx.products, n_owners=2)
    first = Interaction.objects.order_by("pk").values_list("pk", flat=True).first() or 1
    loader.label_share(data, first - 1)


@register("sentiment", order=35)
def sentiment(ctx: Context) -> Iterator[Row]:
    """Classification speed, retrain time and per-class quality of the sentiment family."""
    import numpy as np
    import pandas as pd

    from insights.families.sentiment import load_data
    from insights.models import ModelRun
    from insights.models_ml import sentiment as ml

    ctx.ensure_seeded()
    _restore_demo_labels(ctx)
    data = load_data(None)
    labelled = data.labelled()
    train = pd.concat([data.seed[["text", "sentiment", "topic"]], labelled], ignore_index=True)
    started = time.perf_counter()
    model = ml.TextModel().fit(train["text"], train["sentiment"], train["topic"])
    fit_seconds = time.perf_counter() - started
    texts = data.texts["text"].tolist()
    texts = (texts * (TEXTS // max(len(texts), 1) + 1))[:TEXTS]
    started = time.perf_counter()
    model.predict(texts)
    seconds = time.perf_counter() - started
    yield Row("sentiment classify 100k texts", TEXTS / seconds, "texts/s", f"{seconds:.1f} s, one process, no database")
    yield Row("sentiment fit", fit_seconds, "s", f"{len(train):,} labelled texts (seed and demo labels)")

    seconds, rss, _ = ctx.manage("retrain", "--family", "sentiment", "--as-of", ctx.end, "--in-process")
    run = ModelRun.objects.filter(family="sentiment").latest("pk")
    stages = ", ".join(f"{stage} {value:.1f}" for stage, value in run.timings.items() if stage != "starting")
    yield Row("retrain sentiment", seconds, "s", f"{run.status}; {run.data_counts.get('interactions', 0):,} "
              f"interactions; {stages}")  # fmt: skip
    yield Row("retrain sentiment peak RSS", rss, "MB", "the manage.py process")
    base = run.baseline.get("metrics", {})
    yield Row(
        "sentiment quality (held-out demo labels)",
        run.winner,
        "",
        f"model: {_figures(run.metrics)}; vader: {_figures(base)}; per class F1 model/baseline: "
        f"{_per_class(run.metrics, base)}",
    )

    seed = data.seed
    alone = ml.TextModel().fit(seed["text"], seed["sentiment"], seed["topic"])
    truth = labelled.reset_index(drop=True)
    if len(truth):
        scored = ml.scores(truth, alone.predict(truth["text"]))
        lexicon = ml.scores(truth, ml.LexiconBaseline().fit(seed["text"], seed["sentiment"], seed["topic"]).predict(
            truth["text"]))  # fmt: skip
        yield Row(
            "sentiment seed-only model on demo labels",
            float(np.round(scored["macro_f1"], 3)),
            "macro-F1",
            f"{len(truth):,} texts it never saw; model: {_figures(scored)}; vader: {_figures(lexicon)}; "
            f"per class F1 model/baseline: {_per_class(scored, lexicon)}",
        )
