"""The Lodestar formats for customers, products and interactions (docs/import-formats.md).

Each row is parsed and checked in Python, staged, then merged with one INSERT ... SELECT that skips what the
database already has (by external id or SKU): importing the same file twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.db import connection

from customers.importing.formats import DateParser, RowError, clean_text, parse_price
from customers.importing.sql import execute, scalar
from customers.models import Customer, Interaction, InteractionLabel, Product, Sentiment, Tag, Topic
from customers.validation import has_content, is_in_the_future

STAGING_TYPES = {
    "line": "integer NOT NULL",
    "external_id": "varchar(64) NOT NULL",
    "name": "varchar(255) NOT NULL",
    "email": "varchar(254) NOT NULL",
    "phone": "varchar(40) NOT NULL",
    "company": "varchar(200) NOT NULL",
    "country": "varchar(64) NOT NULL",
    "city": "varchar(100) NOT NULL",
    "channel": "varchar(20) NOT NULL",
    "owner": "varchar(150) NOT NULL",
    "marketing": "smallint NOT NULL",
    "profiling": "smallint NOT NULL",
    "tags": "varchar(1000) NOT NULL",
    "sku": "varchar(64) NOT NULL",
    "description": "text NOT NULL",
    "category": "varchar(100) NOT NULL",
    "price": "numeric(14, 4) NULL",
    "kind": "varchar(12) NOT NULL",
    "active": "smallint NOT NULL",
    "customer_ext": "varchar(64) NOT NULL",
    "occurred_at": "{timestamp} NOT NULL",
    "direction": "varchar(10) NOT NULL",
    "subject": "varchar(200) NOT NULL",
    "body": "text NOT NULL",
    "username": "varchar(150) NOT NULL",
    "sentiment": "varchar(10) NOT NULL",
    "topic": "varchar(40) NOT NULL",
}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_TRUE, _FALSE = {"1", "true", "yes", "y", "t"}, {"0", "false", "no", "n", "f", ""}


def _flag(column: str, value: str, default: bool) -> int:
    text = (value or "").strip().lower()
    if not text:
        return int(default)
    if text in _TRUE:
        return 1
    if text in _FALSE:
        return 0
    raise RowError(column, value, "is not yes/no (1/0, true/false)")


def _choice(column: str, value: str, choices, default: str) -> str:
    text = (value or "").strip().lower() or default
    if text not in choices:
        raise RowError(column, value, f"is not one of {', '.join(choices)}")
    return text


def _usernames() -> set[str]:
    return set(get_user_model().objects.values_list("username", flat=True))


def _user(column: str, value: str, known: set[str]) -> str:
    name = (value or "").strip()
    if name and name not in known:
        raise RowError(column, value, "is not a user of Lodestar")
    return name


def _mark_repeats(stage: str, key: str) -> int:
    """Keep the first row of each key in the file; later ones are left out (and counted)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""DELETE FROM {stage} WHERE line IN (SELECT line FROM (
                  SELECT line, ROW_NUMBER() OVER (PARTITION BY {key} ORDER BY line) AS copy_no FROM {stage}
                ) copies WHERE copy_no > 1)"""
        )
        return max(cursor.rowcount, 0)


# Customers ------------------------------------------------------------------------------------------------
CUSTOMER_FILE_COLUMNS = (
    "external_id",
    "name",
    "email",
    "phone",
    "company",
    "country",
    "city",
    "acquisition_channel",
    "owner",
    "marketing_consent",
    "profiling_consent",
    "tags",
)
CUSTOMER_STAGING = (
    "line",
    "external_id",
    "name",
    "email",
    "phone",
    "company",
    "country",
    "city",
    "channel",
    "owner",
    "marketing",
    "profiling",
    "tags",
)


def customer_parser(options: dict) -> Callable[[int, dict], tuple]:
    """Customers: an external id and a name are required; owner is a Lodestar username; tags are separated
    by semicolons."""
    users, channels = _usernames(), [value for value, _ in Customer.Channel.choices]

    def parse(line: int, row: dict) -> tuple:
        external_id = (row.get("external_id") or "").strip()
        if not external_id:
            raise RowError("external_id", row.get("external_id", ""), "is empty")
        name = clean_text(row.get("name", ""), 200)
        if not name:
            raise RowError("name", row.get("name", ""), "is empty")
        email = (row.get("email") or "").strip().lower()
        if email and not _EMAIL.match(email):
            raise RowError("email", row["email"], "is not an email address")
        tags = ";".join(t for t in (clean_text(tag, 64) for tag in (row.get("tags") or "").split(";")) if t)
        return (
            line,
            external_id[:64],
            name,
            email[:254],
            clean_text(row.get("phone", ""), 40),
            clean_text(row.get("company", ""), 200),
            clean_text(row.get("country", ""), 64),
            clean_text(row.get("city", ""), 100),
            _choice("acquisition_channel", row.get("acquisition_channel", ""), channels, "other"),
            _user("owner", row.get("owner", ""), users),
            _flag("marketing_consent", row.get("marketing_consent", ""), False),
            _flag("profiling_consent", row.get("profiling_consent", ""), True),
            tags[:1000],
        )

    return parse


def clean_customers(stage: str) -> dict[str, int]:
    """Count the rows and leave out repeats of an external id within the file."""
    staged = scalar(f"SELECT COUNT(*) FROM {stage}")
    return {"lines_staged": staged, "duplicate_ids": _mark_repeats(stage, "external_id")}


def merge_customers(stage: str, now: dt.datetime) -> dict[str, int]:
    """Add the customers the database does not have yet, with their owners and tags."""
    customer, user = Customer._meta.db_table, get_user_model()._meta.db_table
    present = scalar(f"SELECT COUNT(*) FROM {stage} WHERE external_id IN (SELECT external_id FROM {customer})")
    created = execute(
        f"""INSERT INTO {customer} (external_id, name, email, phone, company, country, city, acquisition_channel,
                                    owner_id, marketing_consent, profiling_consent, created_at, updated_at)
            SELECT s.external_id, s.name, s.email, s.phone, s.company, s.country, s.city, s.channel, u.id,
                   s.marketing = 1, s.profiling = 1, %s, %s
            FROM {stage} s LEFT JOIN {user} u ON u.username = s.owner AND s.owner <> ''
            WHERE true
            ON CONFLICT (external_id) WHERE NOT (external_id = '') DO NOTHING""",
        [now, now],
    )
    return {"customers_already_present": present, "customers_created": created, "tags_linked": _link_tags(stage)}


def _link_tags(stage: str) -> int:
    """Create the tags the file names and link them; tags are few, so this part runs in Python, in bulk."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT external_id, tags FROM {stage} WHERE tags <> ''")
        wanted = [(external_id, tags.split(";")) for external_id, tags in cursor.fetchall()]
    if not wanted:
        return 0
    names = {name.lower(): name for _, tags in wanted for name in tags}
    existing = {tag.name.lower(): tag for tag in Tag.objects.all()}
    Tag.objects.bulk_create([Tag(name=name) for key, name in names.items() if key not in existing])
    tags = {tag.name.lower(): tag.pk for tag in Tag.objects.all()}
    customers = dict(Customer.objects.filter(external_id__in=[e for e, _ in wanted]).values_list("external_id", "pk"))
    links = [
        Customer.tags.through(customer_id=customers[external_id], tag_id=tags[name.lower()])
        for external_id, names_ in wanted
        if external_id in customers
        for name in names_
    ]
    return len(Customer.tags.through.objects.bulk_create(links, ignore_conflicts=True, batch_size=2000))


# Products -------------------------------------------------------------------------------------------------
PRODUCT_FILE_COLUMNS = ("sku", "name", "description", "category", "price", "kind", "is_active")
PRODUCT_STAGING = ("line", "sku", "name", "description", "category", "price", "kind", "active")


def product_parser(options: dict) -> Callable[[int, dict], tuple]:
    """Products: SKU and name required; kind is product (default), shipping, fee or adjustment."""
    kinds = [value for value, _ in Product.Kind.choices]
    notes = options.get("notes")

    def parse(line: int, row: dict) -> tuple:
        sku = (row.get("sku") or "").strip()
        if not sku:
            raise RowError("sku", row.get("sku", ""), "is empty")
        name = clean_text(row.get("name", ""), 255)
        if not name:
            raise RowError("name", row.get("name", ""), "is empty")
        price = None
        if (row.get("price") or "").strip():
            price = parse_price("price", row["price"], notes)
            if price < 0:
                raise RowError("price", row["price"], "must not be negative")
        return (
            line,
            sku[:64],
            name,
            (row.get("description") or "").strip(),
            clean_text(row.get("category", ""), 100),
            price,
            _choice("kind", row.get("kind", ""), kinds, "product"),
            _flag("is_active", row.get("is_active", ""), True),
        )

    return parse


def clean_products(stage: str) -> dict[str, int]:
    """Count the rows and leave out repeats of a SKU within the file."""
    return {"lines_staged": scalar(f"SELECT COUNT(*) FROM {stage}"), "duplicate_skus": _mark_repeats(stage, "sku")}


def merge_products(stage: str, now: dt.datetime) -> dict[str, int]:
    """Add the products the database does not have yet."""
    product = Product._meta.db_table
    present = scalar(f"SELECT COUNT(*) FROM {stage} WHERE sku IN (SELECT sku FROM {product})")
    created = execute(
        f"""INSERT INTO {product} (sku, name, description, category, price, is_active, kind, created_at, updated_at)
            SELECT sku, name, description, category, price, active = 1, kind, %s, %s FROM {stage} WHERE true
            ON CONFLICT (sku) DO NOTHING""",
        [now, now],
    )
    return {"products_already_present": present, "products_created": created}


# Interactions ---------------------------------------------------------------------------------------------
INTERACTION_FILE_COLUMNS = (
    "external_id", "customer_id", "occurred_at", "kind", "direction", "subject", "body", "user", "sentiment", "topic"
)  # fmt: skip
INTERACTION_STAGING = (
    "line",
    "external_id",
    "customer_ext",
    "occurred_at",
    "kind",
    "direction",
    "subject",
    "body",
    "username",
    "sentiment",
    "topic",
)


def _topics() -> dict[str, str]:
    """Active topics by slug and by lower-case name, to their slug."""
    topics = Topic.objects.filter(is_active=True).values_list("slug", "name")
    return {**{name.lower(): slug for slug, name in topics}, **{slug: slug for slug, _ in topics}}


def interaction_parser(options: dict) -> Callable[[int, dict], tuple]:
    """Interactions: the customer's external id, when (not in the future), the kind (call, email, meeting, note,
    feedback, ticket), and a subject or a body (customers/validation.py, as the form and the API ask). Without an
    external id, one is derived from the content, so re-imports still skip repeats. Optional `sentiment`
    (negative, neutral, positive) and `topic` (an active topic's slug or name) are staff labels."""
    parse_date = DateParser(options.get("time_zone") or "UTC")
    users = _usernames()
    kinds = [value for value, _ in Interaction.Kind.choices]
    directions = [value for value, _ in Interaction.Direction.choices]
    sentiments = ["", *Sentiment.values]
    topics = _topics()

    def topic_of(value: str) -> str:
        text = (value or "").strip()
        if text and text.lower() not in topics:
            raise RowError("topic", value, f"is not an active topic ({', '.join(sorted(set(topics.values())))})")
        return topics.get(text.lower(), "")

    def parse(line: int, row: dict) -> tuple:
        customer = (row.get("customer_id") or "").strip()
        if not customer:
            raise RowError("customer_id", row.get("customer_id", ""), "is empty")
        occurred = parse_date("occurred_at", row.get("occurred_at", ""))
        if is_in_the_future(occurred):
            raise RowError("occurred_at", row.get("occurred_at", ""), "is in the future")
        kind = _choice("kind", row.get("kind", ""), kinds, "")
        subject, body = clean_text(row.get("subject", ""), 200), (row.get("body") or "").strip()
        if not has_content(subject, body):
            raise RowError("subject", row.get("subject", ""), "and body are both empty: write a subject or a body")
        external_id = (row.get("external_id") or "").strip()[:64]
        if not external_id:
            content = "\x1f".join([customer, occurred.isoformat(), kind, subject, body])
            external_id = "sha1:" + hashlib.sha1(content.encode()).hexdigest()
        return (
            line,
            external_id,
            customer[:64],
            occurred,
            kind,
            _choice("direction", row.get("direction", ""), directions, "outbound"),
            subject,
            body,
            _user("user", row.get("user", ""), users),
            _choice("sentiment", row.get("sentiment", ""), sentiments, ""),
            topic_of(row.get("topic", "")),
        )

    return parse


def clean_interactions(stage: str) -> dict[str, int]:
    """Leave out repeats within the file and interactions whose customer Lodestar does not know."""
    counts = {
        "lines_staged": scalar(f"SELECT COUNT(*) FROM {stage}"),
        "duplicate_ids": _mark_repeats(stage, "external_id"),
    }
    customer = Customer._meta.db_table
    counts["unknown_customer_lines"] = execute(
        f"""DELETE FROM {stage} WHERE customer_ext NOT IN (
              SELECT external_id FROM {customer} WHERE NOT (external_id = ''))"""
    )
    return counts


def merge_interactions(stage: str, now: dt.datetime) -> dict[str, int]:
    """Add the interactions the database does not have yet (by external id)."""
    interaction, customer = Interaction._meta.db_table, Customer._meta.db_table
    user = get_user_model()._meta.db_table
    present = scalar(f"SELECT COUNT(*) FROM {stage} WHERE external_id IN (SELECT external_id FROM {interaction})")
    created = execute(
        f"""INSERT INTO {interaction} (external_id, customer_id, user_id, kind, direction, subject, body,
                                       occurred_at, created_at)
            SELECT s.external_id, c.id, u.id, s.kind, s.direction, s.subject, s.body, s.occurred_at, %s
            FROM {stage} s JOIN {customer} c ON c.external_id = s.customer_ext
            LEFT JOIN {user} u ON u.username = s.username AND s.username <> ''
            WHERE true
            ON CONFLICT (external_id) WHERE NOT (external_id = '') DO NOTHING""",
        [now],
    )
    label, topic = InteractionLabel._meta.db_table, Topic._meta.db_table
    # Labels in the file become staff labels (source "import"), on new and known interactions alike; a label the
    # same import already gave is not given twice, so importing the file again adds nothing.
    labelled = execute(
        f"""INSERT INTO {label} (interaction_id, sentiment, topic_id, user_id, source, created_at)
            SELECT i.id, s.sentiment, t.id, u.id, 'import', %s
            FROM {stage} s JOIN {interaction} i ON i.external_id = s.external_id
            LEFT JOIN {topic} t ON t.slug = s.topic AND s.topic <> ''
            LEFT JOIN {user} u ON u.username = s.username AND s.username <> ''
            WHERE (s.sentiment <> '' OR s.topic <> '') AND NOT EXISTS (
              SELECT 1 FROM {label} l WHERE l.interaction_id = i.id AND l.source = 'import'
                AND l.sentiment = s.sentiment AND (l.topic_id = t.id OR (l.topic_id IS NULL AND t.id IS NULL)))""",
        [now],
    )
    return {"interactions_already_present": present, "interactions_created": created, "labels_created": labelled}
