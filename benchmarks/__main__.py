"""`python -m benchmarks [--only seed] [--customers N] [--seed S] [--end DATE] [--concurrency C] [--duration S]`:
run the benchmarks against PostgreSQL (DATABASE_URL, default the lodestar_bench database, created and migrated
when missing), print the table and write var/bench/latest.json."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import secrets
import subprocess
import sys
import traceback
from pathlib import Path

from benchmarks import ROOT, Context, Row, discover, format_table, write_json

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/lodestar_bench"
# A fixed end date keeps the data, and so the figures, comparable from one run to the next.
DEFAULT_END = "2025-06-30"


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    """The command line, with a bad --end rejected before any work starts."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--only", action="append", help="Run only these groups (comma-separated, repeatable).")
    parser.add_argument("--customers", type=int, default=100_000, help="Demo data size (default 100000).")
    parser.add_argument("--seed", type=int, default=42, help="Demo data seed (default 42).")
    parser.add_argument("--end", default=DEFAULT_END, help=f"Demo history end date (default {DEFAULT_END}).")
    parser.add_argument("--products", type=int, default=500, help="Demo products (default 500).")
    parser.add_argument("--concurrency", type=int, default=8, help="pages: open connections (default 8).")
    parser.add_argument("--duration", type=int, default=10, help="pages: seconds per endpoint (default 10).")
    parser.add_argument("--json", default=str(ROOT / "var" / "bench" / "latest.json"), help="Where to write JSON.")
    parser.add_argument("--list", action="store_true", help="List the groups and exit.")
    args = parser.parse_args(argv)
    dt.date.fromisoformat(args.end)  # fail early on a bad date
    return args


def _git_commit() -> str:
    """The checked-out commit, for the JSON (empty outside a git checkout)."""
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def _prepare_django(database_url: str) -> dict[str, str]:
    """Point Django at the bench database (creating and migrating it) and return the children's environment."""
    from benchmarks.database import check_safe_to_replace, ensure_database

    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")
    if "SECRET_KEY" not in os.environ:
        # Settings insist on a real key when DEBUG is off; the bench signs nothing that outlives the run.
        os.environ["SECRET_KEY"] = secrets.token_urlsafe(50)
    created = ensure_database(database_url)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)
    check_safe_to_replace(database_url)
    if created:
        print(f"Created and migrated the benchmark database ({database_url}).", file=sys.stderr)
    return dict(os.environ)


def main(argv: list[str] | None = None) -> int:
    """Run the selected groups; exit status 1 if any failed (its error is a row of the table)."""
    args = _arguments(argv)
    groups = discover()
    if args.list:
        print("\n".join(g.name for g in groups))
        return 0
    if args.only:
        wanted = {name.strip() for item in args.only for name in item.split(",") if name.strip()}
        unknown = wanted - {g.name for g in groups}
        if unknown:
            print(f"Unknown group(s): {', '.join(sorted(unknown))}; known: {', '.join(g.name for g in groups)}.")
            return 2
        groups = [g for g in groups if g.name in wanted]

    database_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    from benchmarks.database import NotABenchDatabase

    try:
        env = _prepare_django(database_url)
    except NotABenchDatabase as exc:
        print(exc, file=sys.stderr)
        return 2
    ctx = Context(
        args.customers,
        args.seed,
        args.end,
        args.products,
        database_url,
        env,
        pages_concurrency=args.concurrency,
        pages_duration=args.duration,
    )
    rows: list[Row] = []
    failed = False
    for group in groups:
        print(f"Running {group.name}...", file=sys.stderr, flush=True)
        try:
            for row in group.run(ctx):
                rows.append(Row(row.name, row.value, row.unit, row.notes, group.name))
        except Exception as exc:  # one group's failure is reported, and the others still run
            traceback.print_exc()
            rows.append(Row(f"{group.name} FAILED", "error", "", f"{type(exc).__name__}: {exc}"[:300], group.name))
            failed = True

    print(format_table(rows))
    from django.db import connection

    meta = {
        "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "git_commit": _git_commit(),
        "options": {
            "customers": args.customers,
            "seed": args.seed,
            "end": args.end,
            "products": args.products,
            "concurrency": args.concurrency,
            "duration": args.duration,
        },
        "database": {"vendor": connection.vendor, "version": connection.cursor().connection.info.server_version},
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
    }
    write_json(rows, ROOT / Path(args.json), meta)  # an absolute --json path stays as it is
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
