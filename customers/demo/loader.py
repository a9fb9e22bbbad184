"""Write generated demo data into the database, fast and in one transaction.

PostgreSQL gets `COPY ... FROM STDIN` through psycopg 3 (rows streamed with `write_row`); other databases
(SQLite for the quick start) get batched `executemany` inserts. Rows keep the generator's ids, shifted past
any ids already in the tables, and PostgreSQL sequences are moved past them afterwards so that ordinary
inserts keep working.

Rows are prepared once (`prepare_tables`) as plain Python column lists; the benchmark copies the very same
prepared rows to measure the database's own floor.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils import timezone
from tqdm import tqdm

from customers import bulk
from customers.demo import voices
from customers.demo.generator import DemoData
from customers.demo.texts import CRM_TOPIC
from customers.models import Customer, Interaction, InteractionLabel, Order, OrderItem, Product, Tag, Topic

CustomerTag = Customer.tags.through
# Parents before children, so that foreign keys point at rows that exist.
LOAD_ORDER = (Product, Tag, Customer, CustomerTag, Order, OrderItem, Interaction)
SQLITE_BATCH = 2000
LABELLED_SHARE = 0.25  # of the demo interactions carry a staff label (label_share)
PROGRESS_STEP = 50_000


def _plain(values: np.ndarray) -> list:
    """Array values as Python values."""
    return values.tolist()


@dataclass
class TableRows:
    """Rows for one table, kept as one array per column and turned into Python values a chunk at a time, so
    that two million order lines never exist as Python objects all at once."""

    model: type[models.Model]
    columns: tuple[str, ...]
    arrays: list[np.ndarray]
    converters: list[Callable[[np.ndarray], list]]
    cached: list[list[tuple]] | None = None  # see materialize()

    @property
    def table(self) -> str:
        """The database table's name."""
        return self.model._meta.db_table

    def __len__(self) -> int:
        """Number of rows."""
        return len(self.arrays[0]) if self.arrays else 0

    def column(self, name: str) -> list:
        """One whole column as the database will get it."""
        i = self.columns.index(name)
        return self.converters[i](self.arrays[i])

    def materialize(self, size: int) -> None:
        """Convert every row now and keep them, so that writing them later measures the database alone (the
        benchmark's baseline); `chunks()` then yields these."""
        self.cached = list(self.chunks(size))

    def chunks(self, size: int) -> Iterator[list[tuple]]:
        """The rows as tuples, `size` at a time."""
        if self.cached is not None:
            yield from self.cached
            return
        for start in range(0, len(self), size):
            parts = [convert(a[start : start + size]) for a, convert in zip(self.arrays, self.converters, strict=True)]
            yield list(zip(*parts, strict=True))


def _timestamps(values: np.ndarray, vendor: str) -> list[str]:
    """datetime64[s] (UTC) as text each backend reads back exactly: SQLite stores Django's naive UTC format,
    which its date lookups compare as text; PostgreSQL gets an explicit UTC offset."""
    if not len(values):
        return []  # np.strings.replace cannot size an empty result
    text = np.strings.replace(np.datetime_as_string(values.astype("datetime64[s]"), unit="s"), "T", " ")
    if vendor == "postgresql":
        text = np.strings.add(text, "+00")
    return text.tolist()


def _money(pence: np.ndarray) -> list[float]:
    """Integer pence as floats: a float's shortest repr of n/100 is exactly the decimal n/100, so the
    database parses the same value Decimal would give."""
    return (pence / 100).tolist()


def _nullable(values: np.ndarray) -> list:
    """Integer ids with gaps (NaN) as ints and None."""
    return [None if np.isnan(v) else int(v) for v in values]


def _map_users(index: np.ndarray, user_ids: Sequence[int]) -> np.ndarray:
    """Generator user indexes (-1 for none) to user ids or None."""
    lookup = np.array([*user_ids, None], dtype=object)
    return lookup[np.where(index < 0, len(user_ids), index % max(len(user_ids), 1))]


def current_offsets() -> dict[type[models.Model], int]:
    """The highest id in each demo table (0 when empty): generated ids are shifted past it."""
    return {m: m.objects.aggregate(top=models.Max("id"))["top"] or 0 for m in LOAD_ORDER}


def prepare_tables(
    data: DemoData,
    user_ids: Sequence[int],
    vendor: str,
    offsets: dict[type[models.Model], int] | None = None,
) -> list[TableRows]:
    """Every demo table's rows for `vendor` ("postgresql", "sqlite", ...), ids shifted by `offsets`.

    `user_ids` are the owners that the generator's owner indexes refer to (round-robin).
    """
    off = dict.fromkeys(LOAD_ORDER, 0) | (offsets or {})

    def ids(frame, column: str, model) -> tuple:
        """Ids (own or foreign) shifted past the rows already in `model`'s table."""
        return frame[column].to_numpy() + off[model], _plain

    def optional_ids(frame, column: str, model) -> tuple:
        """Foreign ids that may be empty (a guest sale's customer), shifted like `ids`."""
        return frame[column].to_numpy(dtype=float, na_value=np.nan) + off[model], _nullable

    def text(frame, column: str) -> tuple:
        """A text column."""
        return frame[column].to_numpy(dtype=object), _plain

    def flags(frame, column: str) -> tuple:
        """A boolean column."""
        return frame[column].to_numpy(dtype=bool), _plain

    def ts(frame, column: str) -> tuple:
        """A timestamp column, as the backend's text."""
        return frame[column].to_numpy(), partial(_timestamps, vendor=vendor)

    def money(frame, column: str) -> tuple:
        """Integer pence as the database's decimal."""
        return frame[column].to_numpy(), _money

    def users(frame, column: str) -> tuple:
        """User indexes as user ids."""
        return _map_users(frame[column].to_numpy(), user_ids), _plain

    def table(model, columns: tuple[str, ...], *sources: tuple) -> TableRows:
        """A table from its columns' (array, converter) pairs."""
        return TableRows(model, columns, [a for a, _ in sources], [c for _, c in sources])

    p, c, it = data.products, data.customers, data.interactions
    o = pd.concat([data.orders, data.guest_orders], ignore_index=True)
    li = pd.concat([data.lines, data.guest_lines], ignore_index=True)
    tables = [
        table(
            Product,
            ("id", "sku", "name", "description", "category", "price", "is_active", "kind", "created_at", "updated_at"),
            ids(p, "id", Product), text(p, "sku"), text(p, "name"), text(p, "description"), text(p, "category"),
            money(p, "price_pence"), flags(p, "is_active"), text(p, "kind"), ts(p, "created_at"), ts(p, "updated_at"),
        ),
        table(Tag, ("id", "name"), ids(data.tags, "id", Tag), text(data.tags, "name")),
        table(
            Customer,
            ("id", "external_id", "name", "email", "phone", "company", "country", "city", "acquisition_channel",
             "owner_id", "marketing_consent", "profiling_consent", "created_at", "updated_at"),
            ids(c, "id", Customer), text(c, "external_id"), text(c, "name"), text(c, "email"), text(c, "phone"),
            text(c, "company"), text(c, "country"), text(c, "city"), text(c, "acquisition_channel"),
            users(c, "owner_index"), flags(c, "marketing_consent"), flags(c, "profiling_consent"),
            ts(c, "created_at"), ts(c, "updated_at"),
        ),
        table(
            CustomerTag,
            ("id", "customer_id", "tag_id"),
            ids(data.customer_tags, "id", CustomerTag), ids(data.customer_tags, "customer_id", Customer),
            ids(data.customer_tags, "tag_id", Tag),
        ),
        table(
            Order,
            ("id", "external_number", "customer_id", "placed_at", "status", "channel", "currency", "created_at"),
            ids(o, "id", Order), text(o, "external_number"), optional_ids(o, "customer_id", Customer),
            ts(o, "placed_at"),
            text(o, "status"), text(o, "channel"), text(o, "currency"), ts(o, "created_at"),
        ),
        table(
            OrderItem,
            ("id", "order_id", "line_number", "product_id", "quantity", "unit_price"),
            ids(li, "id", OrderItem), ids(li, "order_id", Order), (li["line_number"].to_numpy(), _plain),
            ids(li, "product_id", Product), (li["quantity"].to_numpy(), _plain), money(li, "unit_price_pence"),
        ),
        table(
            Interaction,
            ("id", "customer_id", "user_id", "kind", "direction", "subject", "body", "occurred_at", "created_at"),
            ids(it, "id", Interaction), ids(it, "customer_id", Customer), users(it, "user_index"),
            text(it, "kind"), text(it, "direction"), text(it, "subject"), text(it, "body"),
            ts(it, "occurred_at"), ts(it, "created_at"),
        ),
    ]  # fmt: skip
    return [_with_defaults(table) for table in tables]


def _with_defaults(table: TableRows) -> TableRows:
    """Add the columns the generator does not know (fields added to the models later) with their defaults,
    as the ORM would fill them, so the demo keeps loading as the models grow."""
    n = len(table)
    for field in table.model._meta.concrete_fields:
        if field.column in table.columns or field.primary_key:
            continue
        value = timezone.now() if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False) else None
        constant = np.empty(1, dtype=object)
        constant[0] = field.get_db_prep_save(value if value is not None else field.get_default(), connection)
        table = TableRows(
            table.model,
            (*table.columns, field.column),
            [*table.arrays, np.broadcast_to(constant, (n,))],  # one value, no copy per row
            [*table.converters, _plain],
        )
    return table


def _progress(tables: Sequence[TableRows], enabled: bool | None):
    """A progress bar over all rows, on stderr (None: shown only when stderr is a terminal)."""
    return tqdm(
        total=sum(len(t) for t in tables),
        unit=" rows",
        unit_scale=True,
        file=sys.stderr,
        disable=None if enabled is None else not enabled,  # tqdm's None: shown only on a terminal
        desc="loading",
    )


def copy_tables(tables: Sequence[TableRows], progress: bool | None = None) -> None:
    """COPY every table's rows into PostgreSQL on the default connection (call inside a transaction)."""
    qn = connection.ops.quote_name
    with _progress(tables, progress) as bar, connection.cursor() as cursor:
        for table in tables:
            sql = f"COPY {qn(table.table)} ({', '.join(qn(c) for c in table.columns)}) FROM STDIN"
            with cursor.copy(sql) as copy:
                for chunk in table.chunks(PROGRESS_STEP):
                    for row in chunk:
                        copy.write_row(row)
                    bar.update(len(chunk))


def insert_tables(tables: Sequence[TableRows], progress: bool | None = None) -> None:
    """Insert every table's rows with batched executemany (SQLite and other databases without COPY)."""
    qn = connection.ops.quote_name
    with _progress(tables, progress) as bar, connection.cursor() as cursor:
        for table in tables:
            sql = (
                f"INSERT INTO {qn(table.table)} ({', '.join(qn(c) for c in table.columns)}) "
                f"VALUES ({', '.join(['%s'] * len(table.columns))})"
            )
            for batch in table.chunks(SQLITE_BATCH):
                cursor.executemany(sql, batch)
                bar.update(len(batch))


@contextmanager
def indexes_and_keys_built_after() -> Iterator[None]:
    """The demo tables' plain indexes and the keys between them, built after the rows (see customers.bulk)."""
    with bulk.indexes_and_keys_built_after(LOAD_ORDER):
        yield


def reset_sequences() -> None:
    """Move PostgreSQL's id sequences past the ids we wrote (SQLite's AUTOINCREMENT follows by itself)."""
    statements = connection.ops.sequence_reset_sql(no_style(), list(LOAD_ORDER))
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


def existing_counts() -> dict[str, int]:
    """How many rows the demo tables already hold, by model name."""
    return {m._meta.verbose_name_plural: m.objects.count() for m in (Customer, Order, Product, Interaction, Tag)}


def _truncate_is_faithful() -> bool:
    """True when TRUNCATE ... CASCADE does what the ORM's delete would: every table outside the demo set that
    points at it deletes its rows along (CASCADE). A SET_NULL or PROTECT reference needs the ORM instead,
    since TRUNCATE would empty that whole table."""
    return all(
        rel.on_delete in (None, models.CASCADE, models.DO_NOTHING)  # None: a many-to-many, its links go too
        for model in LOAD_ORDER
        for rel in model._meta.related_objects
        if rel.related_model not in LOAD_ORDER
    )


def _unconstrained_referrers() -> list[type[models.Model]]:
    """Models outside the demo set whose rows point at it with no foreign-key constraint in the database (result
    rows written in bulk, such as recommendations): TRUNCATE ... CASCADE does not reach them, yet every one of
    their rows points at a row being deleted, so they are emptied with it. Left behind, they would attach to the
    new rows that take the same ids (RESTART IDENTITY)."""
    found = []
    for model in LOAD_ORDER:
        # Hidden ones too: result rows point at customers and products with related_name="+".
        for rel in model._meta.get_fields(include_hidden=True):
            if not (rel.auto_created and not rel.concrete and (rel.one_to_many or rel.one_to_one)):
                continue
            if rel.related_model in LOAD_ORDER or rel.field.db_constraint or rel.on_delete is not models.CASCADE:
                continue
            if rel.related_model not in found:
                found.append(rel.related_model)
    return found


def delete_existing() -> None:
    """Delete all customers, orders, products, interactions and tags (call inside a transaction).

    On PostgreSQL, when it is faithful to the models' on_delete rules, a TRUNCATE ... CASCADE (rows elsewhere
    that point at these go too, as the ORM would delete them); otherwise the ORM's delete, children first.
    """
    if connection.vendor == "postgresql" and _truncate_is_faithful():
        qn = connection.ops.quote_name
        tables = [m._meta.db_table for m in (*LOAD_ORDER, *_unconstrained_referrers())]
        with connection.cursor() as cursor:
            bulk.run_deferred_checks(cursor)
            cursor.execute(f"TRUNCATE {', '.join(qn(table) for table in tables)} RESTART IDENTITY CASCADE")
        return
    from auditlog.context import disable_auditlog

    # As the TRUNCATE above: no audit entry per deleted row, which cost 15 of 18 s of replacing a 2,000-customer
    # demo on SQLite (the seeding is the event; demo data is no one's personal data).
    with disable_auditlog():
        for model in reversed(LOAD_ORDER):
            model.objects.all().delete()


def load(data: DemoData, user_ids: Sequence[int], *, progress: bool | None = None) -> dict[str, int]:
    """Write `data` in one transaction (joining the caller's if there is one) and return rows per table."""
    with transaction.atomic():
        offsets = current_offsets()
        tables = prepare_tables(data, user_ids, connection.vendor, offsets)
        if connection.vendor == "postgresql":
            with indexes_and_keys_built_after():
                copy_tables(tables, progress)
        else:
            insert_tables(tables, progress)
        reset_sequences()
        labels = label_share(data, offsets[Interaction])
    bulk.analyze(*LOAD_ORDER)
    return {**{t.table: len(t) for t in tables}, InteractionLabel._meta.db_table: labels}


def label_share(data: DemoData, interaction_offset: int) -> int:
    """Staff labels (source "demo") on a deterministic LABELLED_SHARE of the demo interactions, from the planted
    sentiment and topic (the demo topic as the CRM's topic, texts.CRM_TOPIC) as a team that corrects the readings
    now and then would give them, a share of them not as planted (voices.staff_labels): for the sentiment model to
    learn from and be tested on."""
    rows = demo_labels(data)
    topics = dict(Topic.objects.values_list("slug", "pk"))
    labels = [
        InteractionLabel(
            interaction_id=int(interaction) + interaction_offset,
            sentiment=sentiment,
            topic_id=topics.get(topic),
            source=InteractionLabel.Source.DEMO,
        )
        for interaction, sentiment, topic in zip(rows["interaction_id"], rows["sentiment"], rows["topic"], strict=True)
    ]
    InteractionLabel.objects.bulk_create(labels, batch_size=SQLITE_BATCH)
    return len(labels)


def demo_labels(data: DemoData) -> pd.DataFrame:
    """The staff labels `label_share` stores (interaction_id, sentiment, topic as the CRM's topic slug)."""
    truth = data.truth.interactions.assign(topic=lambda frame: frame["topic"].map(CRM_TOPIC))
    chosen = np.random.default_rng([data.seed, 16]).random(len(truth)) < LABELLED_SHARE
    crm_topics = tuple(sorted(set(CRM_TOPIC.values())))
    return voices.staff_labels(truth, chosen, np.random.default_rng([data.seed, 17]), crm_topics)
