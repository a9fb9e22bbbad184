"""`manage.py seed_demo`: deterministic demo data with planted structure, loaded fast, in one transaction."""

from __future__ import annotations

import datetime as dt
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from customers.demo import loader
from customers.demo.fingerprint import content_hash
from customers.demo.generator import DEFAULT_PRODUCTS, generate
from customers.demo.logins import ensure_demo_logins, rep_ids
from customers.signals import data_replaced


def _date(value: str) -> dt.date:
    """Parse --end, with a message that says what to type."""
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--end {value!r} is not a date; use YYYY-MM-DD.") from None


class Command(BaseCommand):
    """Generate the demo data (customers/demo/generator.py) and load it (customers/demo/loader.py)."""

    help = (
        "Fill the database with deterministic demo customers, products, orders and interactions "
        "(same --seed and --end give the same data). Refuses if customer data exists, unless --replace."
    )

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=2000, help="How many customers (default 2000).")
        parser.add_argument("--seed", type=int, default=42, help="Random seed (default 42).")
        parser.add_argument(
            "--end", type=_date, default=None, help="History runs up to the day before this date (default: today)."
        )
        parser.add_argument(
            "--products", type=int, default=DEFAULT_PRODUCTS, help=f"Products (default {DEFAULT_PRODUCTS})."
        )
        parser.add_argument(
            "--replace", action="store_true", help="Delete existing customers, orders, products, interactions first."
        )
        logins = parser.add_mutually_exclusive_group()
        logins.add_argument(
            "--with-logins",
            action="store_true",
            help="Create the demo logins (known password) even when DEBUG is off.",
        )
        logins.add_argument("--no-logins", action="store_true", help="Do not create demo logins.")
        parser.add_argument("--hash", action="store_true", help="Print a content hash of the data at the end.")

    def handle(self, *args, **options):
        self.verbosity = options["verbosity"]
        n_customers = options["customers"]
        if n_customers < 1:
            raise CommandError("--customers must be at least 1.")
        if options["products"] < 10:
            raise CommandError("--products must be at least 10.")
        end = options["end"] or dt.date.today()
        if isinstance(end, str):  # call_command(end="...") skips the parser's type
            end = _date(end)
        existing = {name: count for name, count in loader.existing_counts().items() if count}
        if existing and not options["replace"]:
            found = ", ".join(f"{count:,} {name}" for name, count in existing.items())
            raise CommandError(
                f"The database already holds customer data ({found}). "
                "Use --replace to delete it and seed again, or seed an empty database."
            )
        make_logins = not options["no_logins"] and (settings.DEBUG or options["with_logins"])
        if not make_logins and not options["no_logins"]:
            self.stderr.write(
                "DEBUG is off: not creating demo logins with a known password (--with-logins to create them). "
                "Customers go to the existing sales reps, if any."
            )

        timings = {}
        started = time.perf_counter()
        with transaction.atomic():
            logins = ensure_demo_logins() if make_logins else []
            owners = rep_ids(demo_logins=make_logins)
            self._say(f"Generating {n_customers:,} customers (seed {options['seed']}, history up to {end})...")
            data = generate(options["seed"], n_customers, end, n_products=options["products"], n_owners=len(owners))
            timings["generate"] = time.perf_counter() - started
            mark = time.perf_counter()
            if options["replace"] and existing:
                self._say("Deleting existing customer data...")
                loader.delete_existing()
                data_replaced.send(sender=self.__class__)
            self._say(f"Loading into {connection.vendor}...")
            loader.load(data, owners, progress=None if options["verbosity"] >= 1 else False)
        timings["load"] = time.perf_counter() - mark
        timings["total"] = time.perf_counter() - started

        self._report(data.counts(), timings, len(owners))
        if logins:
            self._logins(logins)
        if options["hash"]:
            self.stdout.write(f"Content hash: {content_hash()}")

    def _say(self, message: str) -> None:
        """Progress goes to stderr, so stdout stays the report."""
        if self.verbosity >= 1:
            self.stderr.write(message)
            self.stderr.flush()

    def _report(self, counts: dict[str, int], timings: dict[str, float], n_owners: int) -> None:
        """Rows per table and where the time went."""
        width = max(len(name) for name in counts)
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        for name, count in counts.items():
            self.stdout.write(f"  {name:<{width}}  {count:>12,}")
        lines_per_second = counts["order lines"] / timings["total"] if timings["total"] else 0
        self.stdout.write(
            f"  generate {timings['generate']:.1f} s, load {timings['load']:.1f} s, total {timings['total']:.1f} s "
            f"({lines_per_second:,.0f} order lines/s); customers shared between {n_owners} rep(s)."
        )

    def _logins(self, logins) -> None:
        """The demo logins table, last, so it is what the reader sees."""
        self.stdout.write("")
        self.stdout.write("Demo logins:")
        self.stdout.write(f"  {'username':<10} {'role':<10} password")
        for login in logins:
            self.stdout.write(f"  {login.username:<10} {login.role:<10} {login.password}")
