"""Import and export benchmarks: the Online Retail file and 2M synthetic lines through `import_orders`, each
beside a raw COPY of the same file in the same run, a re-import that must change nothing, and the CSV export
of every customer."""

from __future__ import annotations

import csv
import gzip
import io
import os
import time
from collections.abc import Iterator
from pathlib import Path

from benchmarks import ROOT, Context, Row, register

ONLINE_RETAIL = Path(os.environ.get("LODESTAR_DATA_DIR") or ROOT.parent / "shared" / "data") / "online_retail.csv.gz"
SYNTHETIC = ROOT / "var" / "bench" / "synthetic-orders-2m.csv.gz"
SYNTHETIC_LINES = 2_000_000


def _empty_tables() -> None:
    from django.db import transaction

    from customers.demo import loader
    from customers.models import ImportRun

    with transaction.atomic():
        loader.delete_existing()
        ImportRun.objects.all().delete()


def _raw_copy(path: Path) -> tuple[float, int]:
    """Seconds to COPY the file's CSV text, as it is, into an unlogged table of text columns: the floor of
    getting these rows into PostgreSQL at all."""
    from django.db import connection

    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle))
    columns = ", ".join(f"c{i} text" for i in range(len(header)))
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS bench_raw_copy; CREATE UNLOGGED TABLE bench_raw_copy ({columns})")
        started = time.perf_counter()
        with (
            gzip.open(path, "rb") as data,
            cursor.cursor.copy("COPY bench_raw_copy FROM STDIN (FORMAT CSV, HEADER)") as copy,
        ):
            while block := data.read(1 << 20):
                copy.write(block)
        seconds = time.perf_counter() - started
        cursor.execute("SELECT COUNT(*) FROM bench_raw_copy")
        rows = cursor.fetchone()[0]
        cursor.execute("DROP TABLE bench_raw_copy")
    return seconds, rows


def _import(ctx: Context, path: Path, fmt: str) -> tuple[float, float, dict]:
    from customers.models import ImportRun

    seconds, rss, _ = ctx.manage("import_orders", str(path), "--format", fmt, "--no-progress")
    return seconds, rss, ImportRun.objects.latest("pk").counts


def _write_synthetic(path: Path, lines: int, seed: int = 7) -> None:
    """A Lodestar-format order file: ~5 lines an order, 100k customers, 5k products, two years of dates."""
    import numpy as np

    rng = np.random.default_rng(seed)
    orders = lines // 5
    order_of_line = np.sort(rng.integers(0, orders, lines))
    customer = rng.integers(1, 100_001, orders)
    seconds = np.sort(rng.integers(0, 730 * 86400, orders))
    sku = rng.zipf(1.3, lines) % 5000
    quantity = rng.integers(1, 13, lines)
    price = rng.integers(50, 5000, 5000)
    start = np.datetime64("2024-01-01T00:00:00")
    stamps = (start + seconds.astype("timedelta64[s]")).astype(str)
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8", newline="", compresslevel=1) as handle:
        handle.write("order_number,placed_at,customer_id,sku,product_name,quantity,unit_price\n")
        buffer = io.StringIO()
        for i in range(lines):
            o = order_of_line[i]
            s = sku[i]
            buffer.write(f"SO-{o},{stamps[o]},C-{customer[o]},P-{s},Product {s},{quantity[i]},{price[s] / 100:.2f}\n")
            if i % 100_000 == 99_999:
                handle.write(buffer.getvalue())
                buffer = io.StringIO()
        handle.write(buffer.getvalue())


@register("export", order=15)
def export(ctx: Context) -> Iterator[Row]:
    """Stream the CSV export of every customer through the real view, as a manager would download it."""
    from django.contrib.auth.models import Group, User
    from django.test import Client
    from django.test.utils import override_settings
    from django.urls import reverse

    from customers.models import Customer

    ctx.ensure_seeded()
    manager, _ = User.objects.get_or_create(username="bench-manager")
    manager.groups.add(Group.objects.get(name="Manager"))
    client = Client()
    client.force_login(manager)
    with override_settings(ALLOWED_HOSTS=["testserver"]):
        started = time.perf_counter()
        response = client.get(reverse("customers:export"), secure=True)
        size = sum(len(chunk) for chunk in response.streaming_content)
        seconds = time.perf_counter() - started
    if response.status_code != 200:
        raise RuntimeError(f"export answered {response.status_code}")
    yield Row("export all customers", seconds, "s", f"{Customer.objects.count():,} rows, {size / 1e6:.1f} MB CSV")


@register("import", order=20)
def imports(ctx: Context) -> Iterator[Row]:
    """Import the Online Retail file into empty tables, then again (nothing may change); then 2M synthetic lines.
    Each beside a raw COPY of the same file. Leaves the tables holding the synthetic import: groups after this
    one re-seed."""
    ctx.state["seeded"] = None
    if not ONLINE_RETAIL.exists():
        raise FileNotFoundError(
            f"{ONLINE_RETAIL} is missing: put shared/data beside the project or set LODESTAR_DATA_DIR"
        )
    _empty_tables()
    seconds, rss, counts = _import(ctx, ONLINE_RETAIL, "online-retail")
    copy_seconds, copy_rows = _raw_copy(ONLINE_RETAIL)
    lines = counts["rows_read"]
    yield Row(
        "import Online Retail",
        seconds,
        "s",
        f"{lines:,} lines -> {counts['orders_created']:,} orders, {counts['customers_created']:,} customers, "
        f"{counts['products_created']:,} products; start-up incl.",
    )
    yield Row("import Online Retail throughput", lines / seconds, "lines/s", "")
    yield Row("import Online Retail peak RSS", rss, "MB", "the manage.py process")
    yield Row("raw COPY of the same file", copy_seconds, "s", f"{copy_rows:,} rows as text, no cleaning")
    yield Row("import / raw COPY", seconds / copy_seconds, "ratio", "Online Retail")
    again, _, repeat = _import(ctx, ONLINE_RETAIL, "online-retail")
    if repeat["orders_created"] or repeat["order_items_created"] or repeat["customers_created"]:
        raise AssertionError(f"re-import created rows: {repeat}")
    yield Row("re-import Online Retail", again, "s", "same file again: 0 rows created")

    if not SYNTHETIC.exists():
        _write_synthetic(SYNTHETIC, SYNTHETIC_LINES)
    _empty_tables()
    seconds, rss, counts = _import(ctx, SYNTHETIC, "lodestar")
    copy_seconds, _ = _raw_copy(SYNTHETIC)
    lines = counts["rows_read"]
    yield Row("import 2M synthetic lines", seconds, "s", f"{counts['orders_created']:,} orders; start-up incl.")
    yield Row("import 2M synthetic throughput", lines / seconds, "lines/s", "")
    yield Row("import 2M synthetic peak RSS", rss, "MB", "the manage.py process")
    yield Row("raw COPY of the synthetic file", copy_seconds, "s", f"{lines:,} rows as text")
    yield Row("import / raw COPY (synthetic)", seconds / copy_seconds, "ratio", "")
