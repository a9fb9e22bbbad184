"""An import's report in words, shared by the command's output and the admin's run page: the one-line summary
("8 of 14 rows imported, 6 rejected: 4 Quantity is not a whole number, 2 ..."), each count under a label in the
format's own words (an Online Retail file has invoices, a Lodestar file orders), and sizes with their units."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from django.template.defaultfilters import filesizeformat, pluralize

from customers.importing.orders import ordered_counts
from customers.models import ImportRun

ORDER_FORMATS = {ImportRun.Format.ONLINE_RETAIL: "invoice", ImportRun.Format.LODESTAR_ORDERS: "order"}
# Lines read well but left out by a cleaning rule (customers/importing/orders.py): not imported, so the summary
# says so instead of counting them in, singular and plural.
LEFT_OUT = {
    "duplicate_lines": ("duplicate line", "duplicate lines"),
    "stock_adjustment_lines": ("stock adjustment", "stock adjustments"),
    "zero_price_lines": ("line at a zero price", "lines at a zero price"),
    "negative_price_lines": ("line at a negative price", "lines at a negative price"),
    # An order (invoice) the database already has is left alone: importing a file twice imports nothing twice.
    "lines_already_present": ("line of an order already imported", "lines of orders already imported"),
}
REASONS_NAMED = 3  # the summary names the commonest reasons for rejecting rows; the report lists every row
# Labels that say more than the key's words: {order} is the format's word for an order (invoice or order).
LABELS = {
    "rows_rejected": "rows rejected (unreadable)",
    "prices_rounded": "prices rounded to 4 decimals",
    "customers_created": "new customers (customer ids Lodestar did not know)",
    "missing_customer_lines": "lines without a customer id (anonymous sales)",
    "lines_already_present": "lines of {order}s already imported (left alone)",
    "anonymous_invoices": "anonymous {order}s",
}


def order_word(fmt: str) -> str:
    """What the format calls an order: "invoice" (Online Retail) or "order"; "" for the other formats."""
    return ORDER_FORMATS.get(fmt, "")


def label(key: str, fmt: str) -> str:
    """A count's label in the format's own words."""
    word = order_word(fmt) or "order"
    text = LABELS.get(key, key.replace("_", " "))
    return text.replace("invoice", "{order}").format(order=word)


def labelled_counts(run: ImportRun) -> list[tuple[str, int]]:
    """The run's counts in reading order, each under its label."""
    return [(label(key, run.format), value) for key, value in ordered_counts(run.counts)]


def rejection_reasons(errors: Iterable[tuple]) -> list[tuple[int, str]]:
    """How many rows each reason rejected, commonest first: (count, "Quantity is not a whole number")."""
    reasons = Counter(reason if column == "(row)" else f"{column} {reason}" for _line, column, _value, reason in errors)
    return [(count, reason) for reason, count in sorted(reasons.items(), key=lambda item: (-item[1], item[0]))]


def summary(run: ImportRun, errors: list[tuple]) -> str:
    """One line: how many rows went in, how many were rejected and why, how many a cleaning rule left out (a
    duplicate line is read well but not imported), prices rounded and customers created."""
    read, rejected = run.rows_read, len(errors)
    left_out = [(run.counts.get(key) or 0, words) for key, words in LEFT_OUT.items()]
    left_out = [(count, words[count != 1]) for count, words in left_out if count]
    dropped = sum(count for count, _ in left_out)
    if not rejected and not dropped:
        parts = [f"All {read:,} rows imported" if read != 1 else "The 1 row imported"]
    else:
        parts = [f"{read - rejected - dropped:,} of {read:,} rows imported"]
    if rejected:
        reasons = rejection_reasons(errors)
        named = ", ".join(f"{count:,} {reason}" for count, reason in reasons[:REASONS_NAMED])
        others = sum(count for count, _ in reasons[REASONS_NAMED:])
        if others:
            named += f", {others:,} for other reasons"
        parts[0] += f", {rejected:,} rejected: {named}"
    if dropped:
        parts.append(f"{dropped:,} left out: " + ", ".join(f"{count:,} {words}" for count, words in left_out))
    if rounded := run.counts.get("prices_rounded"):
        parts.append(f"{rounded:,} price{pluralize(rounded)} rounded to 4 decimals")
    if order_word(run.format) and (created := run.counts.get("customers_created")):
        parts.append(f"{created:,} new customer{pluralize(created)} created for customer ids Lodestar did not know")
    text = "; ".join(parts) + "."
    limit = ImportRun._meta.get_field("summary").max_length
    return text if len(text) <= limit else text[: limit - 1] + "…"


def size(run: ImportRun) -> str:
    """The file's size with its unit (Django's filesizeformat: "1.2 MB")."""
    return filesizeformat(run.file_size)
