"""Seeding benchmarks: `manage.py seed_demo` end to end, and a plain PostgreSQL COPY of the very same rows,
measured in the same run, so the ratio shows what the command costs above the database's own floor."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

from benchmarks import Context, Row, register, seed_args


def _copy_prepared(tables, *, indexes_after: bool) -> float:
    """Seconds to TRUNCATE the demo tables and COPY the prepared rows in one transaction: with every index
    and foreign key in place (a straightforward bulk load), or with them built after the rows, as seed_demo
    does (the floor for seed_demo's own strategy)."""
    from contextlib import nullcontext

    from django.db import transaction

    from customers import bulk
    from customers.demo import loader

    started = time.perf_counter()
    with transaction.atomic():
        loader.delete_existing()
        with loader.indexes_and_keys_built_after() if indexes_after else nullcontext():
            loader.copy_tables(tables, progress=False)
    seconds = time.perf_counter() - started
    loader.reset_sequences()
    bulk.analyze(*loader.LOAD_ORDER)
    return seconds


@register("seed", order=10)
def seed(ctx: Context) -> Iterator[Row]:
    """seed_demo at the run's size (wall time, lines per second, peak memory), then the raw COPY baseline."""
    from customers.demo import loader
    from customers.demo.generator import generate
    from customers.demo.logins import rep_ids
    from customers.models import OrderItem

    seconds, rss, out = ctx.manage(*seed_args(ctx), "--replace", "--with-logins")
    ctx.state["seeded"] = (ctx.customers, ctx.seed, ctx.end, ctx.products)
    lines = OrderItem.objects.count()
    stages = re.search(r"generate ([\d.]+) s, load ([\d.]+) s", out)
    split = f"; generate {stages[1]} s, load {stages[2]} s" if stages else ""
    yield Row("seed_demo", seconds, "s", f"{ctx.customers:,} customers, {lines:,} order lines{split}, start-up incl.")
    yield Row("seed_demo throughput", lines / seconds, "lines/s", "order lines per second of wall time")
    yield Row("seed_demo peak RSS", rss, "MB", "the manage.py process")

    started = time.perf_counter()
    data = generate(ctx.seed, ctx.customers, ctx.end, n_products=ctx.products, n_owners=2)
    yield Row("demo generator", time.perf_counter() - started, "s", "numpy/pandas, in process")
    tables = loader.prepare_tables(data, rep_ids(demo_logins=True), "postgresql")
    for table in tables:  # the baseline gets its rows ready-made, so it times the database alone
        table.materialize(loader.PROGRESS_STEP)
    rows = sum(len(t) for t in tables)
    plain = _copy_prepared(tables, indexes_after=False)
    _check_same_size(lines)
    yield Row("raw COPY, same rows", plain, "s", f"{rows:,} rows: TRUNCATE + COPY, indexes and keys in place")
    deferred = _copy_prepared(tables, indexes_after=True)
    _check_same_size(lines)
    yield Row("raw COPY, indexes after", deferred, "s", "the same, indexes and keys built after the rows")
    yield Row("seed_demo / raw COPY", seconds / plain, "ratio", "seed_demo builds indexes and keys after the rows")
    yield Row("seed_demo / COPY, indexes after", seconds / deferred, "ratio", "above the floor of its own strategy")


def _check_same_size(lines: int) -> None:
    """The baseline must have written what seed_demo wrote, or the comparison means nothing."""
    from customers.models import OrderItem

    copied = OrderItem.objects.count()
    if copied != lines:
        raise AssertionError(f"COPY wrote {copied:,} order lines where seed_demo wrote {lines:,}.")
