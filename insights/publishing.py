"""Writing a run's results and making them the ones pages show.

Results go in with COPY on PostgreSQL (bulk_create elsewhere) while their run is inactive, so nobody reads them
half-written; `publish` then flips the family's active run in one short transaction. Readers find the active
run through `active_run_id`, cached and invalidated on every flip, and read once per request: the first reader in
a request asks the cache for every family at once and the request keeps the answer (`remember_during_requests`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from contextvars import ContextVar
from typing import TYPE_CHECKING

from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import connection, models, transaction
from django.utils import timezone

from customers.models import Customer, Interaction
from insights.families import base
from insights.models import ModelRun

if TYPE_CHECKING:  # pandas is imported by the workers that write frames, not by every web process
    import pandas as pd

CACHE_SECONDS = 300
BATCH = 5000


def _cache_key(family: str) -> str:
    return f"insights:active-run:{family}"


def _verdict_key(family: str) -> str:
    return f"insights:active-verdict:{family}"


def _winner_key(family: str) -> str:
    return f"insights:active-winner:{family}"


def _keys(family: str) -> tuple[str, str, str]:
    """The cache keys of what is kept of a family's active run: its id, its verdict, its winner."""
    return _cache_key(family), _verdict_key(family), _winner_key(family)


# The active runs (id, verdict, winner) a request has read, by family; None outside a request, where every call reads
# the cache, so a worker or a command never keeps an answer. Set and cleared by the request signals (see below).
_read_in_request: ContextVar[dict[str, tuple[int, str, str]] | None] = ContextVar("active_runs_read", default=None)


def remember_during_requests() -> None:
    """From now on, each request reads the active runs once, as DESIGN.md asks: the first reader fetches every
    family's in one cache round trip, and the request's other panels, columns and filters reuse the answer, so
    they all agree on one set of runs. Called from InsightsConfig.ready()."""
    request_started.connect(_forget_runs, dispatch_uid="insights-active-runs-start")
    request_finished.connect(_stop_remembering, dispatch_uid="insights-active-runs-finish")


def _forget_runs(**kwargs) -> None:
    _read_in_request.set({})


def _stop_remembering(**kwargs) -> None:
    _read_in_request.set(None)


def active_run_id(family: str) -> int | None:
    """The id of the family's active run, or None when no run has been published yet (cached)."""
    return active_runs([family])[family]


def active_runs(families: Iterable[str]) -> dict[str, int | None]:
    """Active run ids of several families, from one cache round trip when warm (none for the rest of a request)."""
    read = _active(list(families))
    return {family: read[family][0] or None for family in read}


def active_verdicts(families: Iterable[str]) -> dict[str, str]:
    """The verdict in words of each family's active run ("Customer value: the simple past-rate forecast, because
    ..."), "" for a family without one; cached with the active run, so a page that has read `active_runs` pays
    nothing more."""
    read = _active(list(families))
    return {family: read[family][1] for family in read}


def active_winner(family: str) -> str:
    """Which candidate the family's active run published (ModelRun.Winner: "model" or "baseline"; "" without a
    run, or for a run recorded without one); cached with the active run, so it costs no query once that is read.
    Readers choose by it between rows a run writes for both candidates (the rules' mined rules and popular
    companions)."""
    return _active([family])[family][2]


def _active(families: list[str]) -> dict[str, tuple[int, str, str]]:
    """(active run id or 0, its verdict, its winner) of each family: from what this request already read, else from
    the cache (every family at once in a request), else from the database."""
    remembered = _read_in_request.get()
    if remembered is not None and all(family in remembered for family in families):
        return {family: remembered[family] for family in families}
    wanted = families if remembered is None else sorted({*families, *ModelRun.Family.values})
    keys = {family: _keys(family) for family in wanted}
    found = cache.get_many([key for trio in keys.values() for key in trio])
    read = {family: tuple(found[key] for key in trio) for family, trio in keys.items() if all(k in found for k in trio)}
    missing = [family for family in wanted if family not in read]
    if missing:
        read.update(_read_active(missing))
    if remembered is not None:
        remembered.update(read)
    return {family: read[family] for family in families}


def _read_active(families: list[str]) -> dict[str, tuple[int, str, str]]:
    """(active run id or 0, its verdict, its winner) of each family, read in one query and cached."""
    rows = ModelRun.objects.filter(family__in=families, is_active=True).values_list(
        "family", "pk", "publish_note", "winner"
    )
    read = {family: (pk, note, winner) for family, pk, note, winner in rows}
    read = {family: read.get(family, (0, "", "")) for family in families}
    entries = {key: value for f, values in read.items() for key, value in zip(_keys(f), values, strict=True)}
    cache.set_many(entries, CACHE_SECONDS)
    return read


def active_run(family: str) -> ModelRun | None:
    """The family's active run itself (one query once its id is cached), or None before any is published."""
    run_id = active_run_id(family)
    return ModelRun.objects.filter(pk=run_id).first() if run_id else None


def write_rows(model: type[models.Model], columns: Sequence[str], rows: Iterable[tuple]) -> int:
    """Insert result rows (tuples in `columns` order, foreign keys as `<name>_id`) in bulk; returns the count."""
    if connection.vendor == "postgresql":
        table = model._meta.db_table
        names = ", ".join(connection.ops.quote_name(model._meta.get_field(c).column) for c in columns)
        count = 0
        with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                # JSON columns go in as their text, which PostgreSQL parses into jsonb.
                copy.write_row([json.dumps(v) if isinstance(v, dict | list) else v for v in row])
                count += 1
        return count
    objects = (model(**dict(zip(columns, row, strict=True))) for row in rows)
    created = 0
    batch: list[models.Model] = []
    for obj in objects:
        batch.append(obj)
        if len(batch) >= BATCH:
            created += len(model.objects.bulk_create(batch))
            batch.clear()
    if batch:
        created += len(model.objects.bulk_create(batch))
    return created


def write_frame(model: type[models.Model], frame: pd.DataFrame) -> int:
    """Insert a DataFrame of result rows (columns named as the model's fields, foreign keys as `<name>_id`; JSON
    columns as Python values or as JSON text) in bulk; returns the count. On PostgreSQL pandas writes the CSV that
    COPY reads, several times faster than a row at a time for the millions of rows a recommendations run writes."""
    if frame.empty:
        return 0
    json_columns = [c for c in frame.columns if isinstance(model._meta.get_field(c), models.JSONField)]
    # Over a plain list, not the Series: iterating a Series boxes every value (0.85 s against 0.1 s at 2M rows).
    texts = {c: [v if type(v) is str else json.dumps(v) for v in frame[c].tolist()] for c in json_columns}
    frame = frame.assign(**texts) if texts else frame
    if connection.vendor != "postgresql":
        plain = frame.astype(object).where(frame.notna(), None)  # NaN and pd.NA as NULL
        rows = plain.assign(**{c: plain[c].map(json.loads) for c in json_columns}).itertuples(index=False)
        return write_rows(model, list(frame.columns), rows)
    frame = _stamps_as_text(frame)
    table = model._meta.db_table
    names = ", ".join(connection.ops.quote_name(model._meta.get_field(c).column) for c in frame.columns)
    sql = f"COPY {table} ({names}) FROM STDIN WITH (FORMAT csv)"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for start in range(0, len(frame), 200_000):
            copy.write(frame.iloc[start : start + 200_000].to_csv(index=False, header=False))
    return len(frame)


def _stamps_as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with its timezone-aware timestamps as ISO 8601 text in UTC, to their own unit (NaT as
    None, written as NULL): numpy formats a column in one call, where `to_csv` formats each stamp in Python (most of
    the CPU of writing the interactions' sentiment rows)."""
    import numpy as np
    import pandas as pd

    stamps = [c for c in frame.columns if isinstance(frame[c].dtype, pd.DatetimeTZDtype)]
    if not stamps:
        return frame
    texts = {}
    for column in stamps:
        values = frame[column].dt.tz_convert("UTC").dt.tz_localize(None).to_numpy()
        text = np.datetime_as_string(values, unit=np.datetime_data(values.dtype)[0], timezone="UTC").astype(object)
        text[np.isnat(values)] = None
        texts[column] = text
    return frame.assign(**texts)


def forget_active(families) -> None:
    """Forget the cached active runs of `families`, now and again after commit (a reader in between may cache the
    old answer), and what this request has read of them."""
    stale = [key for family in families for key in _keys(family)]
    cache.delete_many(stale)
    transaction.on_commit(lambda: cache.delete_many(stale))
    if _read_in_request.get() is not None:
        _read_in_request.set({})


def publish(run: ModelRun, note: str | None = None) -> None:
    """Make `run` its family's active run (the previous one becomes superseded), in one transaction; `note`, when
    given, replaces its verdict."""
    with transaction.atomic():
        # Lock the family's runs so two publishes (or two admins re-activating runs) cannot interleave: all of
        # them, since with no run active yet, locking the active one alone would lock nothing.
        list(ModelRun.objects.select_for_update().filter(family=run.family).order_by("pk").values_list("pk"))
        ModelRun.objects.filter(family=run.family, is_active=True).exclude(pk=run.pk).update(
            is_active=False, status=ModelRun.Status.SUPERSEDED
        )
        _leave_out_withdrawn(run)
        changes = {"is_active": True, "status": ModelRun.Status.SUCCEEDED, "activated_at": timezone.now()}
        if note is not None:
            changes["publish_note"] = note
        ModelRun.objects.filter(pk=run.pk).update(**changes)
        forget_active([run.family])  # also when published from a request (an admin's re-activation)
    run.refresh_from_db()


def _leave_out_withdrawn(run: ModelRun) -> int:
    """Delete the run's rows of customers who are gone or do not consent to profiling, before it becomes active:
    whoever was deleted, erased or withdrew while it was computed (result rows carry no foreign-key constraint, so
    a row written after its customer's deletion would stay), or whose consent an import changed with SQL; and, for
    rows of interactions, those of interactions deleted meanwhile. Withdrawal itself removes a customer from every
    kept run (insights/rescoring.py); this keeps an older run, re-activated, from showing them."""
    if run.family not in base.names() or not base.get(run.family).per_customer:
        return 0
    model = base.get(run.family).result_model
    profiled = Customer.objects.filter(profiling_consent=True).values("pk")
    removed, _ = model.objects.filter(run=run).exclude(customer_id__in=profiled).delete()
    if any(field.name == "interaction" for field in model._meta.get_fields()):
        existing = Interaction.objects.values("pk")
        gone, _ = model.objects.filter(run=run).exclude(interaction_id__in=existing).delete()
        removed += gone
    return removed


def activate(run: ModelRun) -> None:
    """Roll back (or forward) to an earlier successful run: the same flip as publishing."""
    if run.pruned_at is not None:
        raise ValueError(f"Run #{run.pk}'s results were pruned on {run.pruned_at:%Y-%m-%d}; it cannot be activated.")
    if run.status not in (ModelRun.Status.SUCCEEDED, ModelRun.Status.SUPERSEDED):
        raise ValueError(
            f"Run #{run.pk} is {run.get_status_display().lower()}; only a successful run can be activated."
        )
    publish(run)  # keeps the run's own verdict: what it published, and why
