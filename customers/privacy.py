"""Personal data under the customer's control: everything held about one customer, machine-readable
(`export_customer`), and erasure (`erase_customer`). Both are recorded in the audit trail, and the export as an
ExportRecord too. The profile page and the API call these same functions.

What other apps hold about a customer (insights' segments, values and risks of every kept run, the
recommendations) they add to the export through `register_export_section` from their `AppConfig.ready()`, so this
app never imports them. Erasure reaches them through `profiling_consent_changed`, which the insights app answers by
removing the customer from every kept run of every family, in the same transaction.
"""

from __future__ import annotations

import csv
import gzip
import io
import logging
from collections.abc import Callable
from typing import Any

from auditlog.models import LogEntry
from django.contrib.admin.models import LogEntry as AdminLogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from customers.models import Customer, ExportRecord, ImportRun, Interaction, Order
from customers.signals import profiling_consent_changed

log = logging.getLogger(__name__)

EXPORT_FORMAT = "lodestar-customer-data/1"
ERASED = "[erased]"
# The customer's fields that identify them, blanked by erasure (the name is replaced, see `erased_name`).
PERSONAL_FIELDS = ("name", "email", "phone", "company", "city", "country", "external_id")
# Free texts about them: kept as records (kind, date, who), their words removed.
FREE_TEXT_FIELDS = ("subject", "body")
# Identifiers shorter than this are not searched for inside longer texts (log entries, export filters): "Al" would
# match everywhere. Import files are matched cell by cell, where any length is exact.
MIN_SEARCH_LENGTH = 4

ExportSection = Callable[[Customer], Any]
_SECTIONS: dict[str, ExportSection] = {}


def register_export_section(name: str, function: ExportSection) -> None:
    """Add a section to every customer's export: `function(customer)` returns JSON-able data (dates, datetimes and
    decimals are fine: the export is serialised with DjangoJSONEncoder, as DRF's renderer does). A name used twice
    is a mistake and raises ValueError."""
    if name in _SECTIONS or name in _CORE_SECTIONS:
        raise ValueError(f"An export section named {name!r} is already registered.")
    _SECTIONS[name] = function


def unregister_export_section(name: str) -> None:
    """Remove a section (tests use this to clean up); unknown names are ignored."""
    _SECTIONS.pop(name, None)


_CORE_SECTIONS = ("format", "exported_at", "customer", "consents", "tags", "orders", "interactions")


def customer_data(customer: Customer) -> dict[str, Any]:
    """Everything held about `customer`: profile, consents, tags, orders with their lines, interactions, and the
    sections other apps register (every score and segment of every kept run, recommendations)."""
    orders = (
        Order.objects.filter(customer=customer)
        .select_related("cancels")
        .prefetch_related("items__product")
        .order_by("placed_at", "pk")
    )
    interactions = (
        Interaction.objects.filter(customer=customer)
        .select_related("user")
        .prefetch_related("labels__topic")
        .order_by("occurred_at", "pk")
    )
    data = {
        "format": EXPORT_FORMAT,
        "exported_at": timezone.now(),
        "customer": {
            "id": customer.pk,
            **{field: getattr(customer, field) for field in PERSONAL_FIELDS},
            "acquisition_channel": customer.acquisition_channel,
            "owner": customer.owner.get_username() if customer.owner_id else None,
            "created_at": customer.created_at,
            "updated_at": customer.updated_at,
        },
        "consents": {"marketing": customer.marketing_consent, "profiling": customer.profiling_consent},
        "tags": sorted(customer.tags.values_list("name", flat=True)),
        "orders": [
            {
                "number": order.external_number,
                "placed_at": order.placed_at,
                "status": order.status,
                "channel": order.channel,
                "currency": order.currency,
                "cancels": order.cancels.external_number if order.cancels_id else None,
                "is_outlier": order.is_outlier,
                "lines": [
                    {
                        "line": item.line_number,
                        "sku": item.product.sku,
                        "product": item.product.name,
                        "quantity": item.quantity,
                        "unit_price": item.unit_price,
                    }
                    for item in order.items.all()
                ],
            }
            for order in orders
        ],
        "interactions": [
            {
                "kind": interaction.kind,
                "direction": interaction.direction,
                "subject": interaction.subject,
                "body": interaction.body,
                "occurred_at": interaction.occurred_at,
                "logged_by": interaction.user.get_username() if interaction.user_id else None,
                "labels": [  # staff corrections of its sentiment and topic
                    {
                        "sentiment": label.sentiment,
                        "topic": str(label.topic) if label.topic_id else None,
                        "source": label.source,
                        "created_at": label.created_at,
                    }
                    for label in interaction.labels.all()
                ],
            }
            for interaction in interactions
        ],
    }
    for name in sorted(_SECTIONS):
        data[name] = _SECTIONS[name](customer)
    return data


def export_customer(customer: Customer, user) -> dict[str, Any]:
    """`customer_data(customer)`, recorded as an export of one customer's data by `user` and in the audit trail."""
    data = customer_data(customer)
    with transaction.atomic():
        ExportRecord.objects.create(
            kind=ExportRecord.Kind.CUSTOMER_DATA,
            user=user,
            filters={"customer": customer.pk},
            row_count=1,
            finished_at=timezone.now(),
        )
        LogEntry.objects.log_create(
            customer,
            force_log=True,
            action=LogEntry.Action.ACCESS,
            actor=user,
            additional_data={"privacy": "export"},
        )
    return data


def erased_name(customer_id: int) -> str:
    """The name an erased customer keeps, so orders and counts still add up."""
    return f"Erased customer #{customer_id}"


def erase_customer(customer: Customer, user) -> dict[str, int]:
    """Erase `customer`'s personal data, in one transaction, and say what was done:

    - the identifying fields are blanked (the name becomes "Erased customer #<id>"), consent is withdrawn, tags
      are taken off;
    - the subject and body of every interaction are removed (the record of the contact stays);
    - they leave every kept model run, active or not (the insights app answers `profiling_consent_changed`);
    - uploaded import files that name them (a cell equal to their name, email, phone or id) are deleted after
      the commit, and the import's first rejected rows no longer show those values;
    - admin log entries, audit-trail entries and export records that name them are redacted.
    The erasure itself is recorded in the audit trail, without the erased values. Orders stay, anonymous, so
    product figures and revenue are unchanged."""
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        identifiers = _identifiers(customer)
        anonymous = erased_name(customer.pk)
        Customer.objects.filter(pk=customer.pk).update(
            **{field: "" for field in PERSONAL_FIELDS if field != "name"},
            name=anonymous,
            marketing_consent=False,
            profiling_consent=False,
            updated_at=timezone.now(),
        )
        customer.refresh_from_db()
        # remove(), not clear(): auditlog records a clear as the removal of every tag there is.
        customer.tags.remove(*customer.tags.all())
        interaction_ids = list(Interaction.objects.filter(customer=customer).values_list("pk", flat=True))
        texts = Interaction.objects.filter(pk__in=interaction_ids).update(subject="", body="")
        profiling_consent_changed.send(sender=Customer, customer_id=customer.pk, profiling_consent=False)
        files = _remove_import_files(identifiers)
        logs = _redact_logs(customer, interaction_ids, identifiers)
        exports = _redact_export_records(identifiers)
        summary = {"interactions": texts, "import_files": files, "log_entries": logs, "export_records": exports}
        LogEntry.objects.log_create(
            customer,
            force_log=True,
            action=LogEntry.Action.UPDATE,
            actor=user,
            changes={field: [ERASED, getattr(customer, field)] for field in PERSONAL_FIELDS},
            additional_data={"privacy": "erasure", **summary},
        )
    return summary


def _identifiers(customer: Customer) -> set[str]:
    """The customer's own identifying values, case-folded."""
    values = (customer.name, customer.email, customer.phone, customer.external_id)
    return {value.strip().casefold() for value in values if value and value.strip()}


def _searchable(identifiers: set[str]) -> list[str]:
    return [value for value in identifiers if len(value) >= MIN_SEARCH_LENGTH]


def _file_names_them(field_file, encoding: str, identifiers: set[str]) -> bool:
    """Whether any cell of the CSV file equals one of the identifiers (a missing file names nobody)."""
    try:
        with field_file.open("rb") as raw:
            data = gzip.GzipFile(fileobj=raw) if field_file.name.endswith(".gz") else raw
            text = io.TextIOWrapper(data, encoding=encoding or "utf-8", errors="replace", newline="")
            for row in csv.reader(text):
                for cell in row:
                    value = cell.strip().casefold()
                    if value in identifiers or value.removesuffix(".0") in identifiers:
                        return True
    except (OSError, EOFError, LookupError, csv.Error) as exc:
        log.warning("Could not read %s while erasing a customer: %s", field_file.name, exc)
    return False


def _remove_import_files(identifiers: set[str]) -> int:
    """Delete (after the commit) every uploaded import file, and its errors file, that names the customer; returns
    how many imports lost their files. The imports' stored first rejected rows lose those values too."""
    removed = 0
    runs = ImportRun.objects.exclude(upload="", errors_file="").only("pk", "upload", "errors_file", "encoding")
    for run in runs.iterator():
        files = [f for f in (run.upload, run.errors_file) if f]
        if any(_file_names_them(f, run.encoding, identifiers) for f in files):
            names = [f.name for f in files]
            storage = files[0].storage
            ImportRun.objects.filter(pk=run.pk).update(upload="", errors_file="")
            transaction.on_commit(lambda names=names, storage=storage: [storage.delete(name) for name in names])
            removed += 1
    for run in ImportRun.objects.exclude(errors=[]).only("pk", "errors"):
        errors = [
            {**e, "value": ERASED} if str(e.get("value", "")).strip().casefold() in identifiers else e
            for e in run.errors
        ]
        if errors != run.errors:
            ImportRun.objects.filter(pk=run.pk).update(errors=errors)
    return removed


def _redact_logs(customer: Customer, interaction_ids: list[int], identifiers: set[str]) -> int:
    """Redact the customer from Django admin's log and from the audit trail; returns the entries changed."""
    anonymous = erased_name(customer.pk)
    customer_type = ContentType.objects.get_for_model(Customer)
    interaction_type = ContentType.objects.get_for_model(Interaction)
    changed = AdminLogEntry.objects.filter(content_type=customer_type, object_id=str(customer.pk)).update(
        object_repr=anonymous
    )
    naming = Q()
    for value in _searchable(identifiers):
        naming |= Q(object_repr__icontains=value) | Q(change_message__icontains=value)
    if naming:
        changed += AdminLogEntry.objects.filter(naming).update(object_repr=ERASED, change_message="")

    own = LogEntry.objects.filter(content_type=customer_type, object_pk=str(customer.pk))
    theirs = LogEntry.objects.filter(content_type=interaction_type, object_pk__in=[str(pk) for pk in interaction_ids])
    redacted_fields = set(PERSONAL_FIELDS) | set(FREE_TEXT_FIELDS)
    entries = []
    for entry in (own | theirs).iterator():
        changes = entry.changes_dict
        entry.changes = {
            field: [ERASED, ERASED] if field in redacted_fields else values for field, values in changes.items()
        } or entry.changes
        entry.changes_text = ""
        entry.serialized_data = None
        if entry.content_type_id == customer_type.pk:
            entry.object_repr = anonymous
        entries.append(entry)
    LogEntry.objects.bulk_update(entries, ["changes", "changes_text", "serialized_data", "object_repr"], 1000)
    return changed + len(entries)


def _redact_export_records(identifiers: set[str]) -> int:
    """Export records whose filters name the customer (a search for their name or email) lose those values."""
    naming = Q()
    for value in _searchable(identifiers):
        naming |= Q(filters__icontains=value)
    if not naming:
        return 0
    records = []
    for record in ExportRecord.objects.filter(naming).only("pk", "filters"):
        record.filters = {
            key: ERASED if any(value in str(v).casefold() for value in _searchable(identifiers)) else v
            for key, v in record.filters.items()
        }
        records.append(record)
    ExportRecord.objects.bulk_update(records, ["filters"])
    return len(records)
