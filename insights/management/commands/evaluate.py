"""`manage.py evaluate [--family F] --as-of DATE [--format table|json] [--parameter K=V]`: each family's backtest
with training data up to DATE (inclusive), tested on what follows in the database, beside its naive baseline."""

from __future__ import annotations

import datetime as dt
import json
import warnings

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from insights.families import base


def one_line(exc: BaseException) -> str:
    """An exception as one line of text."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if text.endswith((".", ")")) else f"{text}."


def possible_dates() -> str:
    """Which as-of dates the data allows, in words: a family learns from the orders up to the date and is tested on
    those after it, so the date must fall between the first and the last order, leaving the family's window."""
    from django.db.models import Max, Min

    from customers.models import Order

    span = Order.objects.aggregate(first=Min("placed_at"), last=Max("placed_at"))
    if span["first"] is None:
        return "There are no orders in the database yet: import some first."
    first, last = (timezone.localdate(span[key]) for key in ("first", "last"))
    return (
        f"The orders run from {first:%Y-%m-%d} to {last:%Y-%m-%d}: choose an as-of date between them that leaves "
        "the family's test window after it (--as-of)."
    )


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
        everything = Snapshot(None, shared=any(base.get(name).reads == "lines" for name in families))
        results = {}
        for name in families:
            try:
                with warnings.catch_warnings():  # numpy's warnings on empty windows: the error below says it once
                    warnings.simplefilter("ignore", RuntimeWarning)
                    evaluation = base.get(name)(given).evaluate(everything, options["as_of"])
            except Exception as exc:  # noqa: BLE001 - any failure is one line (--traceback shows the cause)
                raise CommandError(f"{name} as of {options['as_of']}: {one_line(exc)} {possible_dates()}") from exc
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
