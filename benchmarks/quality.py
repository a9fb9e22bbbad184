"""Model quality on real data: the Online Retail file imported into the bench database, then `manage.py evaluate`
for the recommendations, rules and demand families on the splits of their issue, each beside its naive baseline:

- recommendations: train before 2011-11-09, test from then to the end (every component and the blend, beside
  popularity, over customers who bought in both periods);
- rules: mine before 2011-09-10, test on the later baskets (hidden product among ten suggestions);
- demand: forecast the 8 weeks from 2011-10-10 with the weeks before, products sold in 26 of the 44 weeks.
Groups after this one re-seed the demo data.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from benchmarks import Context, Row, register
from benchmarks.imports import ONLINE_RETAIL, _empty_tables, _import

SPLITS = {"recommendations": "2011-11-08", "rules": "2011-09-09", "demand": "2011-10-09"}


def _figures(metrics: dict | None, keys) -> str:
    metrics = metrics or {}
    return ", ".join(f"{k} {metrics[k]:.3f}" for k in keys if isinstance(metrics.get(k), int | float))


@register("online-retail", order=45)
def online_retail(ctx: Context) -> Iterator[Row]:
    """Import Online Retail, then each family's backtest on it, as the note's tables report them."""
    ctx.state["seeded"] = None
    if not ONLINE_RETAIL.exists():
        raise FileNotFoundError(
            f"{ONLINE_RETAIL} is missing: put shared/data beside the project or set LODESTAR_DATA_DIR"
        )
    _empty_tables()
    _import(ctx, ONLINE_RETAIL, "online-retail")
    ranking = ("precision_at_10", "recall_at_10", "ndcg_at_10", "coverage", "precision_at_10_new")
    for family, as_of in SPLITS.items():
        seconds, rss, out = ctx.manage("evaluate", "--family", family, "--as-of", as_of, "--format", "json")
        result = json.loads(out)[family]
        base = result["baseline"]
        yield Row(f"Online Retail {family}: evaluate", seconds, "s", f"as of {as_of}; peak {rss:.0f} MB")
        if family == "recommendations":
            counted = result["customers"]
            yield Row(
                "OR blend",
                result["metrics"]["precision_at_10"],
                "p@10",
                f"{_figures(result['metrics'], ranking)}; {counted}",
            )
            for name, metrics in result["components"].items():
                yield Row(f"OR component {name}", metrics["precision_at_10"], "p@10", _figures(metrics, ranking))
        elif family == "rules":
            metrics = result["metrics"]
            yield Row(
                "OR rules",
                metrics["hit_rate_at_10"],
                "hit@10",
                f"{_figures(metrics, metrics)}; {result['baskets']} baskets",
            )
            yield Row("OR rules baseline popularity", base["metrics"]["hit_rate_at_10"], "hit@10", "")
        else:
            keys = ("wape", "mape", "bias_pct")
            yield Row(
                "OR demand model (mean)",
                result["metrics"]["wape"],
                "WAPE",
                f"{_figures(result['metrics'], keys)}; {result['products']} products",
            )
            yield Row("OR demand model (median)", result["median"]["wape"], "WAPE", _figures(result["median"], keys))
            yield Row(
                f"OR demand best baseline {base['name']}",
                base["metrics"]["wape"],
                "WAPE",
                _figures(base["metrics"], keys),
            )
            if result.get("unbiased_baseline"):
                unbiased = result["unbiased_baseline"]
                yield Row(
                    f"OR demand unbiased baseline {unbiased['name']}",
                    unbiased["metrics"]["wape"],
                    "WAPE",
                    _figures(unbiased["metrics"], keys),
                )
            totals = ", ".join(f"{name} {m['wape']:.3f}" for name, m in result["totals"].items())
            yield Row("OR demand per-product totals", result["totals"]["mean"]["wape"], "WAPE", totals)
