"""The customer list's segment, churn band and value band filters, its "Segment", "Churn risk" and "12-month
value" columns, and sorting by risk or value, all from the active runs. Registered from InsightsConfig.ready()
through customers/list_extensions.py, so `customers` never imports this app.

Every filter is an EXISTS on a result table keyed by (run, customer), so the database probes the unique
(run, customer) index or scans the (run, band) / (run, segment) / (run, clv_12m) index, whichever is cheaper;
every column is a correlated Subquery the database evaluates for the page's 50 rows only. The choices are cached
per run: the segment names of a run and its value thresholds do not change once it is written (re-scoring one
customer moves that customer, not the thresholds). Customers who withdrew profiling consent match no model
filter and show no model figures, even while their rows wait for the next run to drop them.
"""

from __future__ import annotations

import functools
from typing import Any

import django_filters
from django.core.cache import cache
from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from crm.templatetags.lodestar import chance, money
from customers.figures import base_currency
from insights.models import ChurnScore, CustomerSegment, CustomerValue, ModelRun
from insights.publishing import active_runs

FAMILIES = ("segments", "value", "churn")
CHOICES_SECONDS = 24 * 60 * 60
CHURN_BANDS = [("high", "High"), ("medium", "Medium"), ("low", "Low")]
# Value bands by share of the run's customers, highest value first: (band, label, share of customers at or
# below the band's floor). A run may store its own floors as model_card["value_bands"] = {"medium": x, "high": y}.
VALUE_BANDS = [("high", "High (top 20%)", 0.8), ("medium", "Medium (next 30%)", 0.5), ("low", "Low (bottom 50%)", 0)]
NO_FIGURE = mark_safe('<span class="muted">—</span>')  # noqa: S308 (a constant)


def runs_for(request: HttpRequest | None) -> dict[str, int | None]:
    """The active segments, value and churn runs (read once per request: insights/publishing.py)."""
    return active_runs(FAMILIES)


def segment_choices(run_id: int) -> list[tuple[str, str]]:
    """The segment names of a segments run, sorted (one DISTINCT on the (run, segment) index, once per run)."""

    def names() -> list[tuple[str, str]]:
        rows = CustomerSegment.objects.filter(run_id=run_id).order_by("segment").values_list("segment", flat=True)
        return [(name, name) for name in rows.distinct()]

    return cache.get_or_set(f"insights:list:segments:{run_id}", names, CHOICES_SECONDS)


def _value_at_share(run_id: int, count: int, share: float) -> float:
    """The 12-month value below which `share` of the run's customers fall, read at an offset of the
    (run, clv_12m) index."""
    rows = CustomerValue.objects.filter(run_id=run_id).order_by("clv_12m").values_list("clv_12m", flat=True)
    return rows[min(int(count * share), count - 1)]


def value_floors(run_id: int) -> dict[str, float]:
    """The lowest 12-month value of the medium and high bands in a value run: from the run's model card when
    it stores them, otherwise the 50th and 80th percentiles of its rows, computed once per run (a count and
    two index offsets) and cached."""

    def floors() -> dict[str, float]:
        stored = ModelRun.objects.filter(pk=run_id).values_list("model_card__value_bands", flat=True).first()
        if isinstance(stored, dict) and {"medium", "high"} <= stored.keys():
            return {"medium": float(stored["medium"]), "high": float(stored["high"])}
        count = CustomerValue.objects.filter(run_id=run_id).count()
        if not count:
            return {}
        return {band: _value_at_share(run_id, count, share) for band, _, share in VALUE_BANDS if share}

    return cache.get_or_set(f"insights:list:value-floors:{run_id}", floors, CHOICES_SECONDS)


def value_band_range(floors: dict[str, float], band: str) -> dict[str, float]:
    """The clv_12m lookups of a band. A band's floor belongs to the band below, so customers tied at the
    median (often many at zero) all count as low rather than medium."""
    if band == "high":
        return {"clv_12m__gt": floors["high"]}
    if band == "medium":
        return {"clv_12m__gt": floors["medium"], "clv_12m__lte": floors["high"]}
    return {"clv_12m__lte": floors["medium"]}


def _scored(queryset: QuerySet, rows: QuerySet) -> QuerySet:
    return queryset.filter(Exists(rows.filter(customer=OuterRef("pk"))), profiling_consent=True)


def segment_filter(request: HttpRequest | None) -> django_filters.Filter | None:
    """Customers in one segment of the active segments run."""
    run = runs_for(request)["segments"]
    if not run:
        return None

    def in_segment(queryset: QuerySet, name: str, value: str) -> QuerySet:
        return _scored(queryset, CustomerSegment.objects.filter(run_id=run, segment=value)) if value else queryset

    return django_filters.ChoiceFilter(
        choices=segment_choices(run), method=in_segment, label="Segment", empty_label="Any segment"
    )


def churn_filter(request: HttpRequest | None) -> django_filters.Filter | None:
    """Customers in one churn band (low, medium, high) of the active churn run."""
    run = runs_for(request)["churn"]
    if not run:
        return None

    def in_band(queryset: QuerySet, name: str, value: str) -> QuerySet:
        return _scored(queryset, ChurnScore.objects.filter(run_id=run, band=value)) if value else queryset

    return django_filters.ChoiceFilter(choices=CHURN_BANDS, method=in_band, label="Churn risk", empty_label="Any risk")


def value_filter(request: HttpRequest | None) -> django_filters.Filter | None:
    """Customers in one 12-month value band (top 20 %, next 30 %, bottom 50 %) of the active value run."""
    run = runs_for(request)["value"]
    floors = value_floors(run) if run else {}
    if not floors:
        return None

    def in_band(queryset: QuerySet, name: str, value: str) -> QuerySet:
        if not value:
            return queryset
        return _scored(queryset, CustomerValue.objects.filter(run_id=run, **value_band_range(floors, value)))

    choices = [(band, label) for band, label, _ in VALUE_BANDS]
    return django_filters.ChoiceFilter(choices=choices, method=in_band, label="12-month value", empty_label="Any value")


def _one(model, run: int, field: str) -> Subquery:
    return Subquery(model.objects.filter(run_id=run, customer=OuterRef("pk")).values(field)[:1])


def segment_annotations(request: HttpRequest | None) -> dict[str, Any] | None:
    """The segment name of each listed customer in the active segments run."""
    run = runs_for(request)["segments"]
    return {"insights_segment": _one(CustomerSegment, run, "segment")} if run else None


def churn_annotations(request: HttpRequest | None) -> dict[str, Any] | None:
    """The churn band and probability of each listed customer in the active churn run."""
    run = runs_for(request)["churn"]
    if not run:
        return None
    return {
        "insights_churn_band": _one(ChurnScore, run, "band"),
        "insights_churn_probability": _one(ChurnScore, run, "probability"),
    }


def value_annotations(request: HttpRequest | None) -> dict[str, Any] | None:
    """The 12-month value of each listed customer in the active value run."""
    run = runs_for(request)["value"]
    return {"insights_clv_12m": _one(CustomerValue, run, "clv_12m")} if run else None


def segment_cell(customer) -> str:
    """The segment's name, or a dash."""
    if not customer.profiling_consent or not customer.insights_segment:
        return NO_FIGURE
    return customer.insights_segment


@functools.lru_cache(maxsize=16)
def _badge(band: str) -> str:
    """A churn band's badge (a handful of bands: written once each, not once a row)."""
    return format_html('<span class="badge badge-{}">{}</span>', band, band.capitalize())


def churn_cell(customer) -> str:
    """The band as a coloured badge with the probability as a percentage, or a dash."""
    band, probability = customer.insights_churn_band, customer.insights_churn_probability
    if not customer.profiling_consent or band is None or probability is None:
        return NO_FIGURE
    return format_html("{} {}", _badge(band), chance(probability))


def value_cell(customer) -> str:
    """The expected 12-month value with its currency, or a dash."""
    if not customer.profiling_consent or customer.insights_clv_12m is None:
        return NO_FIGURE
    return money(customer.insights_clv_12m, base_currency())


def _scored_value(annotation: str, transform=lambda value: value):
    """An export column's value: the annotation of a customer who consents to profiling, else blank."""

    def value(row: dict):
        figure = row.get(annotation)
        return transform(figure) if row.get("profiling_consent") and figure is not None else None

    return value


def _two_decimals(figure) -> str:
    return f"{figure:.2f}"


SEGMENT_EXPORT = (("segment", _scored_value("insights_segment")),)
CHURN_EXPORT = (
    ("churn_risk", _scored_value("insights_churn_band")),
    ("churn_probability", _scored_value("insights_churn_probability", lambda p: f"{p:.3f}")),
)
VALUE_EXPORT = (("value_12m", _scored_value("insights_clv_12m", _two_decimals)),)


def _sort_through(model, field: str):
    """A sort order that joins the active run's rows and orders by `field`, highest first, on the
    (run, field) index. Customers without a row in the run are not listed under this order.

    A JOIN rather than ordering by a correlated subquery: at 100k customers the subquery is evaluated for every
    customer before sorting (260-530 ms measured), where the join walks the index and stops after the page
    (under 1 ms). The result tables have no reverse relation on Customer (related_name="+", and `customers`
    must not know them), so the join is written with `extra()`."""
    table = model._meta.db_table

    def apply(queryset: QuerySet, request: HttpRequest | None) -> QuerySet:
        run = runs_for(request)[family_of[model]]
        customer_table = queryset.model._meta.db_table
        return queryset.filter(profiling_consent=True).extra(
            tables=[table],
            where=[f"{table}.customer_id = {customer_table}.id", f"{table}.run_id = %s"],
            params=[run],
            order_by=[f"-{table}.{field}", "-pk"],
        )

    def available(request: HttpRequest | None) -> bool:
        return bool(runs_for(request)[family_of[model]])

    return apply, available


family_of = {ChurnScore: "churn", CustomerValue: "value"}


def register() -> None:
    """Register the filters, columns and sort orders on the customer list (InsightsConfig.ready())."""
    from customers import list_extensions as ext

    ext.register_list_filter("segment", segment_filter, order=10)
    ext.register_list_filter("churn", churn_filter, order=20)
    ext.register_list_filter("value", value_filter, order=30)
    ext.register_list_column("segment", "Segment", segment_annotations, segment_cell, order=10, export=SEGMENT_EXPORT)
    ext.register_list_column(
        "churn", "Churn risk", churn_annotations, churn_cell, order=20, css_class="nowrap", sort_key="-risk",
        export=CHURN_EXPORT,
    )  # fmt: skip
    ext.register_list_column(
        "value", "12-month value", value_annotations, value_cell, order=30, css_class="num", sort_key="-value",
        export=VALUE_EXPORT,
    )  # fmt: skip
    risk, risk_available = _sort_through(ChurnScore, "probability")
    value, value_available = _sort_through(CustomerValue, "clv_12m")
    ext.register_list_sort("-risk", "Churn risk, highest first", risk, risk_available, order=20)
    ext.register_list_sort("-value", "12-month value, highest first", value, value_available, order=30)
