"""`manage.py evaluate [--family F] --as-of DATE [--format table|json] [--parameter K=V]`: each family's backtest
with training data up to DATE (inclusive), tested on what follows in the database, beside its naive baseline."""

from __future__ import annotations

import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from insights.families import base


class Command(BaseCommand):
    help = "Backtest the models as of a date against naive baselines (nothing is published)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--family", default="all", choices=[*base.names(), "all"])
        parser.add_argument("--as-of", type=dt.date.fromisoformat, required=True)
        parser.add_argument("--format", choices=["table", "json"], default="table")
        parser.add_argument("--parameter", action="append", default=[], metavar="KEY=VALUE")

    def handle(self, *args, **options) -> None:
        from insights.snapshot import Snapshot

        families = base.names() if options["family"] == "all" else [options["family"]]
        given = dict(pair.partition("=")[::2] for pair in options["parameter"])
        if given and len(families) > 1:
            raise CommandError("--parameter needs one --family: each family has its own parameters.")
        everything = Snapshot(None, shared=len(families) > 1)
        results = {}
        for name in families:
            try:
                evaluation = base.get(name)(given).evaluate(everything, options["as_of"])
            except ValueError as exc:
                raise CommandError(f"{name}: {exc}") from None
            results[name] = {
                **evaluation.as_result(),
                "deciding_metric": evaluation.metric,
                "winner": evaluation.winner,
            }
        if options["format"] == "json":
            self.stdout.write(json.dumps(results, indent=2))
            return
        for family, result in results.items():
            baseline = result["baseline"]
            self.stdout.write(f"{family} (baseline: {baseline['name']}; decides on {result['deciding_metric']}, "
                              f"winner: {result['winner']})")  # fmt: skip
            for key, value in result["metrics"].items():
                base_value = baseline["metrics"].get(key)
                if isinstance(value, dict):  # per_class: {head: {class: {precision, recall, f1, support}}}
                    self._per_class(value, base_value or {})
                    continue
                shown = f"{value:.4g}" if isinstance(value, int | float) else str(value)
                base_shown = f"{base_value:.4g}" if isinstance(base_value, int | float) else "-"
                self.stdout.write(f"  {key:<22} {shown:>12} {base_shown:>12}")

    def _per_class(self, per_class: dict, baseline: dict) -> None:
        """One line per class: F1, precision and recall of the model, then the baseline's F1."""
        for head, classes in per_class.items():
            for name, figures in classes.items():
                base_f1 = baseline.get(head, {}).get(name, {}).get("f1")
                base_shown = f"{base_f1:.4g}" if isinstance(base_f1, int | float) else "-"
                self.stdout.write(
                    f"  {head + ' ' + name + ' f1':<22} {figures['f1']:>12.4g} {base_shown:>12}"
                    f"   (precision {figures['precision']:.3g}, recall {figures['recall']:.3g}, "
                    f"{figures['support']} texts)"
                )
