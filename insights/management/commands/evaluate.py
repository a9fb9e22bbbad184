"""`manage.py evaluate [--family F] --as-of DATE [--format table|json]`: each family's backtest as of DATE on the
data in the database, its metrics beside its naive baseline's."""

from __future__ import annotations

import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandParser

from insights.families import FAMILY_MODULES, module


class Command(BaseCommand):
    help = "Backtest the models as of a date against naive baselines (nothing is published)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--family", default="all", choices=[*FAMILY_MODULES, "all"])
        parser.add_argument("--as-of", type=dt.date.fromisoformat, required=True)
        parser.add_argument("--format", choices=["table", "json"], default="table")

    def handle(self, *args, **options) -> None:
        families = list(FAMILY_MODULES) if options["family"] == "all" else [options["family"]]
        results = {family: module(family).evaluate(options["as_of"], {}) for family in families}
        if options["format"] == "json":
            self.stdout.write(json.dumps(results, indent=2, default=float))
            return
        for family, result in results.items():
            baseline = result.get("baseline", {})
            self.stdout.write(f"{family} (baseline: {baseline.get('name', '-')})")
            for key, value in result.get("metrics", {}).items():
                base = baseline.get("metrics", {}).get(key)
                shown = f"{value:.4g}" if isinstance(value, int | float) else str(value)
                base_shown = f"{base:.4g}" if isinstance(base, int | float) else "-"
                self.stdout.write(f"  {key:<22} {shown:>12} {base_shown:>12}")
