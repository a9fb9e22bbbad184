"""What the models learn from, read out of the database as of a date.

The database does the heavy lifting: order lines are summed per order in SQL, so Python receives one row per
order, never every line. Only completed, non-outlier orders of customers who allow profiling count as
purchases; anonymous sales and non-goods lines (shipping, fees) are left out.

Amounts are in the base currency (settings.DEFAULT_CURRENCY): the database converts each order at the rate on or
before its day (customers/figures.py `rate_to_base`), so models never add two currencies together. An order in a
currency with no rate by its day has no amount the models could compare, and is left out.
"""

from __future__ import annotations

import datetime as dt
import io

import numpy as np
import pandas as pd
from django.db import connection
from django.db.models import ExpressionWrapper, F, FloatField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Cast

from customers import figures
from customers.models import Customer, Interaction, InteractionLabel, Order, OrderItem, Product

CHUNK = 20_000
LINE_COLUMNS = {
    "order": "order_id",
    "customer": "order__customer_id",
    "product": "product_id",
    "placed_at": "order__placed_at",
    "quantity": "quantity",
    "unit_price": "base_unit_price",  # in the base currency (see the module doc)
    "profiled": "order__customer__profiling_consent",
}


def _frame(queryset, columns: list[str]) -> pd.DataFrame:
    rows = list(queryset.values_list(*columns).iterator(chunk_size=CHUNK))
    frame = pd.DataFrame.from_records(rows, columns=columns)
    for column in columns:
        if column.endswith("_at"):
            frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame


def profiled_customers():
    """Customers who allow profiling: the only ones models are trained on and score."""
    return Customer.objects.filter(profiling_consent=True)


def _customers(customers):
    """Profiled customers, optionally narrowed to a list of ids or an inclusive (first, last) id range."""
    chosen = profiled_customers()
    if customers is None:
        return chosen
    if isinstance(customers, tuple):
        return chosen.filter(pk__gte=customers[0], pk__lte=customers[1])
    return chosen.filter(pk__in=customers)


def purchases(until: dt.datetime | None = None, customers=None) -> pd.DataFrame:
    """One row per purchase: customer, placed_at (UTC) and amount (goods only), before `until` if given, of
    the given customer ids (default: every profiled customer)."""
    orders = Order.objects.filter(
        status=Order.Status.COMPLETED, is_outlier=False, customer__in=_customers(customers)
    ).order_by()
    if until is not None:
        orders = orders.filter(placed_at__lt=until)
    line_total = Cast(F("items__quantity"), FloatField()) * Cast(F("items__unit_price"), FloatField())
    orders = orders.annotate(rate=Cast(figures.rate_to_base(), FloatField())).filter(rate__isnull=False)
    orders = orders.annotate(
        amount=Sum(
            line_total * F("rate"), filter=Q(items__product__kind=Product.Kind.PRODUCT), output_field=FloatField()
        )
    )
    frame = _read(orders, ["customer_id", "placed_at", "amount"]).rename(columns={"customer_id": "customer"})
    frame["placed_at"] = pd.to_datetime(frame["placed_at"], utc=True, format="ISO8601")
    frame["amount"] = frame["amount"].astype(float).fillna(0.0)
    return frame[frame["amount"] > 0].reset_index(drop=True)


def returns(until: dt.datetime | None = None, customers=None) -> pd.DataFrame:
    """Cancelled and returned orders of profiled customers: customer, placed_at."""
    orders = Order.objects.exclude(status=Order.Status.COMPLETED).filter(customer__in=_customers(customers))
    if until is not None:
        orders = orders.filter(placed_at__lt=until)
    frame = _read(orders.order_by(), ["customer_id", "placed_at"]).rename(columns={"customer_id": "customer"})
    frame["placed_at"] = pd.to_datetime(frame["placed_at"], utc=True, format="ISO8601")
    return frame


def interactions(until: dt.datetime | None = None, customers=None) -> pd.DataFrame:
    """Interactions with profiled customers: customer, occurred_at, kind and negative (the latest staff label says
    negative, or, without a staff sentiment, the active sentiment run read it so; False before any of either)."""
    from insights.models import InteractionSentiment, ModelRun

    rows = Interaction.objects.filter(customer__in=_customers(customers))
    if until is not None:
        rows = rows.filter(occurred_at__lt=until)
    labels = InteractionLabel.objects.filter(interaction=OuterRef("pk")).exclude(sentiment="")
    rows = rows.annotate(label=Subquery(labels.order_by("-created_at", "-pk").values("sentiment")[:1]))
    # The active sentiment run's reading, its id read here rather than through publishing's cache (which would make
    # this module, which the families read through, depend on publishing), and once: not joined again per row.
    run_id = ModelRun.objects.filter(family="sentiment", is_active=True).values_list("pk", flat=True).first()
    read = InteractionSentiment.objects.filter(run_id=run_id or 0, interaction=OuterRef("pk")).values("sentiment")[:1]
    rows = rows.annotate(read=Subquery(read))
    # Through COPY and pandas' CSV parser: a cursor's tuples cost 1.6 s of Python at 232k interactions, this 0.5 s.
    frame = _read(rows.order_by(), ["customer_id", "occurred_at", "kind", "label", "read"])
    frame = frame.rename(columns={"customer_id": "customer"})
    frame["occurred_at"] = pd.to_datetime(frame["occurred_at"], utc=True, format="ISO8601")
    said = frame["label"].where(frame["label"].notna(), frame["read"])
    frame["negative"] = (said == "negative").to_numpy(dtype=bool)
    return frame.drop(columns=[c for c in ("label", "read") if c in frame])


def customer_attributes(ids: np.ndarray | list[int]) -> pd.DataFrame:
    """Country and acquisition channel of the given customers (for per-group quality checks). Read for every
    customer and narrowed here: two short columns cost less than sending the database a list of every purchasing
    customer's id (94,000 ids as query parameters: 6.4 s against 0.5 s on the 100k bench under load)."""
    frame = _frame(Customer.objects.order_by(), ["id", "country", "acquisition_channel"]).set_index("id")
    return frame[frame.index.isin(np.asarray(ids, dtype=np.int64))]


def as_of_datetime(day: dt.date) -> pd.Timestamp:
    """The start of the day after `day` in UTC: data "as of" a date includes that whole day."""
    return pd.Timestamp(day, tz="UTC") + pd.Timedelta(days=1)


def _read(queryset: QuerySet, columns: list[str]) -> pd.DataFrame:
    """The rows of `queryset.values_list(*columns)` as a DataFrame with those column names: on PostgreSQL through
    `COPY (query) TO STDOUT` read by pandas' CSV parser, several times faster than building millions of Python
    tuples from a cursor (2.2 million lines: about 3 s against 11 s)."""
    sql, params = queryset.values_list(*columns).query.sql_with_params()
    if connection.vendor == "postgresql":
        buffer = io.BytesIO()
        with connection.cursor() as cursor, cursor.cursor.copy(f"COPY ({sql}) TO STDOUT WITH CSV", params) as copy:
            for block in copy:
                buffer.write(block)
        buffer.seek(0)
        if not buffer.getbuffer().nbytes:
            return pd.DataFrame({c: [] for c in columns})
        return pd.read_csv(buffer, names=columns, header=None, true_values=["t"], false_values=["f"])
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return pd.DataFrame.from_records(cursor.fetchall(), columns=columns)


def order_lines(
    until: dt.datetime | None = None, profiled_only: bool = False, customers=None, columns=tuple(LINE_COLUMNS)
) -> pd.DataFrame:
    """Lines of goods on completed, non-outlier orders placed before `until`: by default the columns order,
    customer (NaN for an anonymous sale), product, placed_at (UTC), quantity, unit_price and profiled (whether the
    customer allows profiling; False for an anonymous sale); `columns` picks fewer (less to send: the database's
    output is most of the cost). `profiled_only` keeps the lines of customers who allow profiling; `customers`, an
    inclusive (first, last) id range, narrows to those customers. unit_price is in the base currency: when it is
    asked for, the lines of orders with no rate by their day are left out (quantities alone keep every line)."""
    lines = OrderItem.objects.filter(
        order__status=Order.Status.COMPLETED, order__is_outlier=False, product__kind=Product.Kind.PRODUCT
    ).order_by()
    if until is not None:
        lines = lines.filter(order__placed_at__lt=until)
    if profiled_only:
        lines = lines.filter(order__customer__profiling_consent=True)
    if customers is not None:
        lines = lines.filter(order__customer_id__gte=customers[0], order__customer_id__lte=customers[1])
    if "unit_price" in columns:
        rate = figures.rate_to_base("order__currency", "order__placed_at")
        lines = lines.annotate(rate=rate).filter(rate__isnull=False)
        lines = lines.annotate(
            base_unit_price=ExpressionWrapper(F("unit_price") * F("rate"), output_field=FloatField())
        )
    frame = _read(lines, [LINE_COLUMNS[c] for c in columns])
    frame.columns = list(columns)
    types = {"quantity": np.int64, "unit_price": float, "product": np.int64, "order": np.int64}
    if profiled_only:
        types["customer"] = np.int64
    frame = frame.astype({c: t for c, t in types.items() if c in frame})
    if "profiled" in frame:
        frame["profiled"] = frame["profiled"].astype("boolean").fillna(False).astype(bool)
    if "placed_at" in frame:
        frame["placed_at"] = pd.to_datetime(frame["placed_at"], utc=True, format="ISO8601")
    return frame


def purchases_from_lines(lines: pd.DataFrame) -> pd.DataFrame:
    """What `purchases()` reads, computed from already loaded `order_lines()` (every column): one row per order of
    a profiled customer with its amount of goods, orders without a positive amount left out."""
    mine = lines[lines["profiled"] & lines["customer"].notna()]
    amount = mine["quantity"].to_numpy(dtype=float) * mine["unit_price"].to_numpy(dtype=float)
    orders = (
        mine.assign(amount=amount)
        .groupby("order", sort=False)
        .agg(customer=("customer", "first"), placed_at=("placed_at", "first"), amount=("amount", "sum"))
    )
    orders = orders[orders["amount"] > 0].reset_index(drop=True)
    return orders.astype({"customer": np.int64})


def interaction_texts(until: dt.datetime | None = None, customers=None, ids=None) -> pd.DataFrame:
    """The texts of interactions with profiled customers (the only ones the sentiment model learns from and
    scores): interaction, customer, occurred_at and text (subject and body, the body cut at MAX_RAW_CHARS in the
    database so a 100 KB note costs no more than a short one). `ids` narrows to those interactions."""
    from django.db.models.functions import Substr

    from insights.models_ml.sentiment import MAX_RAW_CHARS

    rows = Interaction.objects.filter(customer__in=_customers(customers)).order_by("pk")
    if until is not None:
        rows = rows.filter(occurred_at__lt=until)
    if ids is not None:
        rows = rows.filter(pk__in=list(ids))
    rows = rows.annotate(body_start=Substr("body", 1, MAX_RAW_CHARS))
    columns = ["interaction", "customer", "occurred_at", "subject", "body"]
    frame = pd.DataFrame.from_records(
        list(rows.values_list("pk", "customer_id", "occurred_at", "subject", "body_start").iterator(chunk_size=CHUNK)),
        columns=columns,
    )
    frame["occurred_at"] = pd.to_datetime(frame["occurred_at"], utc=True)
    subject, body = frame["subject"].fillna(""), frame["body"].fillna("")
    frame["text"] = (subject + ". " + body).where((subject != "") & (body != ""), subject + body)
    return frame.drop(columns=["subject", "body"])


def interaction_labels(until: dt.datetime | None = None) -> pd.DataFrame:
    """The latest staff label of each kind per interaction with a profiled customer: interaction, sentiment (None
    when only a topic was given) and topic (the slug; None when only a sentiment was given, or a retired topic)."""
    rows = InteractionLabel.objects.filter(interaction__customer__profiling_consent=True).order_by("created_at", "pk")
    if until is not None:
        rows = rows.filter(interaction__occurred_at__lt=until)
    frame = pd.DataFrame.from_records(
        list(
            rows.values_list("interaction_id", "sentiment", "topic__slug", "topic__is_active").iterator(
                chunk_size=CHUNK
            )
        ),
        columns=["interaction", "sentiment", "topic", "active"],
    )
    frame["topic"] = frame["topic"].where(frame["active"].fillna(False).astype(bool), None)
    frame["sentiment"] = frame["sentiment"].replace("", None)
    latest = frame.groupby("interaction", sort=True)[["sentiment", "topic"]].last()  # last non-null of each column
    return latest.reset_index()


def lexicon_answers(run_id: int, scorer: str, version: str) -> pd.DataFrame | None:
    """The answers sentiment run `run_id` gave, by text key (sentiment and sentiment_probability), when its scorer
    was the lexicon `scorer` at `version`; None otherwise (a model's answers, or another version's, are not the
    lexicon's)."""
    from insights.models import InteractionSentiment, ModelRun

    card = ModelRun.objects.filter(pk=run_id).values_list("model_card", flat=True).first() or {}
    if card.get("scorer") != scorer or card.get("lexicon_version") != version:
        return None
    rows = InteractionSentiment.objects.filter(run_id=run_id, text_key__isnull=False)
    frame = _read(rows, ["text_key", "sentiment", "sentiment_probability"])
    return frame.set_index("text_key")
