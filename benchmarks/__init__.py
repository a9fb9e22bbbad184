"""Lodestar's benchmarks: `make bench` (`python -m benchmarks`) runs every registered group and prints one
table of rows (name, value, unit, notes), also written to var/bench/latest.json.

A group is a function that takes the run's `Context` and yields `Row`s. Add one by putting a module in this
package that decorates its function with `register`; every module here is imported at start-up:

    from benchmarks import Context, Row, register

    @register("retrain", order=30)
    def retrain(ctx: Context):
        ctx.ensure_seeded()
        seconds, rss, _ = ctx.manage("retrain", "--wait")
        yield Row("retrain all", seconds, "s", f"{ctx.customers:,} customers")

Groups run in `order` (seed first: the others need its data), each at most once per run.
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Row:
    """One measured figure."""

    name: str
    value: float | int | str
    unit: str
    notes: str = ""
    group: str = ""


@dataclass
class Context:
    """What a benchmark group gets: the run's options, the bench database, and helpers shared by groups."""

    customers: int
    seed: int
    end: str
    products: int
    database_url: str
    env: dict[str, str]  # environment for manage.py subprocesses
    state: dict = field(default_factory=dict)  # shared between groups within one run
    pages_concurrency: int = 8  # the pages group: open connections the load generator keeps busy
    pages_duration: int = 10  # the pages group: seconds of load per endpoint

    def manage(self, *args: str) -> tuple[float, float, str]:
        """Run `manage.py args...` in a child process; return (wall seconds, peak RSS in MB, stdout).

        A child process measures what an admin running the command would see, start-up included, and its
        own peak memory (os.wait4 reports the rusage of that child alone).
        """
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            started = time.perf_counter()
            proc = subprocess.Popen(
                [sys.executable, str(ROOT / "manage.py"), *args], cwd=ROOT, env=self.env, stdout=out, stderr=err
            )
            _, status, usage = os.wait4(proc.pid, 0)
            seconds = time.perf_counter() - started
            proc.returncode = os.waitstatus_to_exitcode(status)
            out.seek(0)
            err.seek(0)
            stdout, stderr = out.read().decode(), err.read().decode()
        if proc.returncode:
            raise RuntimeError(f"manage.py {' '.join(args)} failed ({proc.returncode}):\n{stdout}\n{stderr}")
        return seconds, usage.ru_maxrss / 1024, stdout  # ru_maxrss is in KiB on Linux

    def ensure_seeded(self) -> None:
        """Make sure the bench database holds the demo data of this run's size and seed (seeding it, untimed,
        unless the seed group already did)."""
        wanted = (self.customers, self.seed, self.end, self.products)
        if self.state.get("seeded") != wanted:
            self.manage(*seed_args(self), "--replace", "--with-logins", "--verbosity", "0")
            self.state["seeded"] = wanted


def seed_args(ctx: Context) -> tuple[str, ...]:
    """The seed_demo arguments for this run's data set."""
    return (
        "seed_demo",
        "--customers", str(ctx.customers),
        "--seed", str(ctx.seed),
        "--end", ctx.end,
        "--products", str(ctx.products),
    )  # fmt: skip


Benchmark = Callable[[Context], Iterable[Row]]


@dataclass(frozen=True)
class Registered:
    """A benchmark group as registered: its name, its place in the run order and its function."""

    name: str
    order: int
    run: Benchmark


REGISTRY: dict[str, Registered] = {}


def register(name: str, *, order: int = 100) -> Callable[[Benchmark], Benchmark]:
    """Register a benchmark group under `name` (what `--only` selects)."""

    def decorate(function: Benchmark) -> Benchmark:
        if name in REGISTRY:
            raise ValueError(f"Benchmark group {name!r} is registered twice.")
        REGISTRY[name] = Registered(name, order, function)
        return function

    return decorate


def discover() -> list[Registered]:
    """Import every module of this package (each registers its groups); the groups in run order."""
    for module in pkgutil.iter_modules(__path__):
        if not module.name.startswith("_"):
            importlib.import_module(f"{__name__}.{module.name}")
    return sorted(REGISTRY.values(), key=lambda r: (r.order, r.name))


def _shown(value) -> str:
    """A value as the table shows it: thousands separated, two decimals for small numbers."""
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def format_table(rows: list[Row]) -> str:
    """The rows as an aligned text table."""
    cells = [("name", "value", "unit", "notes")] + [(r.name, _shown(r.value), r.unit, r.notes) for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(3)]
    lines = []
    for i, (name, value, unit, notes) in enumerate(cells):
        lines.append(f"{name:<{widths[0]}}  {value:>{widths[1]}}  {unit:<{widths[2]}}  {notes}".rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in widths) + "  -----")
    return "\n".join(lines)


def write_json(rows: list[Row], path: Path, meta: dict) -> None:
    """Write the rows and the run's metadata as JSON (creating the folder)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({**meta, "rows": [asdict(r) for r in rows]}, indent=2) + "\n")
