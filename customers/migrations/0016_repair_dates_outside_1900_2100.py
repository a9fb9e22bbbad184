"""Interactions and orders stored before dates outside 1900-2100 were refused (0014 added the validators).

Such a date breaks every page that shows the record (a call dated 0001-01-01T00:30:00+01:00 is stored before year
1, which Python cannot read: the profile, its history and admin's list answered 500). Nothing is deleted: the date
becomes the moment the record was saved (`created_at`, the best date known for it), an order so repaired is flagged
`is_outlier` so that figures and models leave it out, and each repair is written to the audit trail (Admin, Audit
log entries) with the original value as the change's "from" and the reason. The values are read and compared as
text and in SQL, since Python cannot hold them.
"""

import datetime as dt

from django.db import migrations

REASON = (
    "Its date was outside 1900-2100, which the product now refuses and which the pages could not show; it was "
    "replaced by the time the record was saved. The original value is this change's first value."
)
# (model, date field, whether a repaired row is flagged as an outlier so that figures and models leave it out)
REPAIRS = (("interaction", "occurred_at", False), ("order", "placed_at", True))


def repair(apps, schema_editor) -> int:
    """Replace each out-of-range date by its row's created_at and record it in the audit trail; returns the count."""
    connection = schema_editor.connection
    quote = connection.ops.quote_name
    bounds = [
        connection.ops.adapt_datetimefield_value(dt.datetime(1900, 1, 1, tzinfo=dt.UTC)),
        connection.ops.adapt_datetimefield_value(dt.datetime(2101, 1, 1, tzinfo=dt.UTC)),
    ]
    content_types = apps.get_model("contenttypes", "ContentType").objects
    log_entries = apps.get_model("auditlog", "LogEntry").objects
    repaired = 0
    for model_name, field, flag in REPAIRS:
        model = apps.get_model("customers", model_name)
        table, column = quote(model._meta.db_table), quote(field)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id, CAST({column} AS TEXT) FROM {table} WHERE {column} < %s OR {column} >= %s", bounds
            )
            originals = dict(cursor.fetchall())
        if not originals:
            continue
        ids = sorted(originals)
        placeholders = ", ".join(["%s"] * len(ids))
        flagged = ", is_outlier = %s" if flag else ""
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET {column} = created_at{flagged} WHERE id IN ({placeholders})",
                [True, *ids] if flag else ids,
            )
        content_type, _ = content_types.get_or_create(app_label="customers", model=model_name)
        now = model.objects.filter(pk__in=ids).in_bulk()
        log_entries.bulk_create(
            log_entries.model(
                content_type=content_type,
                object_pk=str(pk),
                object_id=pk,
                object_repr=getattr(now[pk], "external_number", "") or f"{model_name} {pk}",
                action=1,  # an update
                changes={
                    field: [originals[pk], getattr(now[pk], field).isoformat()],
                    **({"is_outlier": ["False", "True"]} if flag else {}),
                },
                changes_text=f"{field}: {originals[pk]} -> {getattr(now[pk], field).isoformat()}",
                additional_data={"reason": REASON},
            )
            for pk in ids
        )
        repaired += len(ids)
    return repaired


def _repair(apps, schema_editor) -> None:
    repair(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0015_heartbeat"),
        ("auditlog", "0017_add_actor_email"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(_repair, migrations.RunPython.noop, elidable=True)]
