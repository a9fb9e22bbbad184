"""Running an import: read the file into staging (progress written as it goes), clean, merge atomically,
and record the data-quality report on the ImportRun.

A running import stamps a heartbeat (crm/liveness.py); one whose process was lost is failed by
`fail_lost_imports` (every minute, and before each new import), and its staging table dropped. Only the merge
writes to the real tables, in one transaction, so a lost import leaves nothing half-written."""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from crm import liveness
from customers.bulk import analyze
from customers.importing import report
from customers.importing.formats import RowError
from customers.importing.registry import FORMATS
from customers.importing.source import CsvSource, ImportFileError, printable
from customers.importing.staging import BATCH_ROWS, StagingTable
from customers.models import ImportRun
from customers.signals import records_imported

log = logging.getLogger(__name__)
ERRORS_KEPT_ON_RUN = 100
PROGRESS_EVERY_ROWS = 20_000

Progress = Callable[[ImportRun], None]


def file_sha256(path: Path) -> str:
    """Checksum of the file as stored, to tell re-imports of the same file apart from new ones."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class _Timer:
    def __init__(self, run: ImportRun):
        self.run, self.started = run, time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.run.timings[stage] = round(now - self.started, 3)
        self.started = now


def _update(run: ImportRun, on_progress: Progress | None, **fields) -> None:
    for name, value in fields.items():
        setattr(run, name, value)
    ImportRun.objects.filter(pk=run.pk).update(**fields, heartbeat_at=timezone.now())
    if on_progress:
        on_progress(run)


def _write_errors(run: ImportRun, errors: list[tuple]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["line", "column", "value", "reason"])
    writer.writerows(errors)
    run.errors_file.save(f"import-{run.pk}-errors.csv", ContentFile(buffer.getvalue().encode()), save=False)


def run_import(run_id: int, path: str | Path, *, on_progress: Progress | None = None) -> ImportRun:
    """Import the file at `path` as described by ImportRun `run_id`; returns the finished run.

    The real tables change only in the final merge transaction: a failure before or during it leaves them
    exactly as they were, and the run records why it failed."""
    fail_lost_imports()
    run = ImportRun.objects.get(pk=run_id)
    path = Path(path)
    spec = FORMATS[run.format]
    stage = StagingTable(staging_name(run.pk), spec.staging_columns, spec.staging_types)
    _update(run, on_progress, status=ImportRun.Status.RUNNING, started_at=timezone.now(), stage="reading")
    run.worker = liveness.this_worker()
    with liveness.beating(ImportRun, run.pk):
        _run(run, path, spec, stage, on_progress)
    if on_progress:
        on_progress(run)
    return run


def _run(run: ImportRun, path: Path, spec, stage: StagingTable, on_progress: Progress | None) -> None:
    timer = _Timer(run)
    try:
        run.file_size = path.stat().st_size
        run.sha256 = file_sha256(path)
        errors, notes = _load(run, path, spec, stage, on_progress)
        timer.lap("read")
        _update(run, on_progress, stage="cleaning", progress=0.8)
        stage.index(*spec.indexes)
        counts = spec.clean(stage.name)
        timer.lap("clean")
        _update(run, on_progress, stage="merging", progress=0.9)
        with transaction.atomic():
            _one_merge_at_a_time()
            merged_at = timezone.now()
            # The merge's raw SQL gets the moment as Django stores it (SQLite: naive UTC text), so that the rows it
            # stamps compare equal to merged_at in the ORM (re-scoring finds the customers it touched).
            counts.update(spec.merge(stage.name, connection.ops.adapt_datetimefield_value(merged_at)))
            # Other apps (insights re-scores the touched customers after commit) learn what this merge wrote.
            records_imported.send(sender=ImportRun, run_id=run.pk, merged_at=merged_at)
            timer.lap("merge")
            # Fresh statistics before the first retrain reads the new rows; in the merge's transaction, so a
            # failure here still leaves the tables as they were.
            analyze(*spec.fills)
        timer.lap("analyze")
        counts["rows_rejected"] = len(errors)
        run.counts = {"rows_read": run.rows_read, **counts, **notes}
        fields = ("line", "column", "value", "reason")
        run.errors = [dict(zip(fields, error, strict=True)) for error in errors[:ERRORS_KEPT_ON_RUN]]
        run.error_count = len(errors)
        if errors:
            _write_errors(run, errors)
        run.summary = report.summary(run, errors)
        run.status, run.stage, run.progress, run.finished_at = ImportRun.Status.SUCCEEDED, "done", 1.0, timezone.now()
    except (ImportFileError, RowError) as exc:
        run.status, run.error, run.finished_at = ImportRun.Status.FAILED, printable(str(exc)), timezone.now()
    except Exception as exc:
        log.exception("Import run %s failed", run.pk)
        liveness.reconnect_if_lost()  # a connection the database dropped is opened again to record the failure
        run.status, run.finished_at = ImportRun.Status.FAILED, timezone.now()
        run.error = printable(f"Unexpected error, nothing was imported: {type(exc).__name__}: {exc}")
    finally:
        _robustly(stage.close, f"drop {stage.name}")
    if run.status == ImportRun.Status.FAILED:
        run.summary = f"Failed, nothing was imported: {run.error}"[: ImportRun._meta.get_field("summary").max_length]
    _robustly(run.save, f"record the end of import {run.pk}")


def _one_merge_at_a_time() -> None:
    """Make concurrent imports (a file submitted twice) merge one after the other, each seeing what the one before
    committed, so that the second finds the rows already there instead of colliding with them. SQLite's write
    transactions are serialised anyway."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext('lodestar.import.merge'))")


def _robustly(action: Callable[[], None], what: str) -> None:
    """Do a last database step of an import, once more on a new connection if the old one was dropped; if the
    database is away, the sweep (`fail_lost_imports`) does it later."""
    for attempt in (1, 2):
        try:
            action()
            return
        except DatabaseError:
            if attempt == 2:
                log.exception("Could not %s; the sweep of lost imports will", what)
            liveness.reconnect_if_lost()


def staging_name(run_id: int) -> str:
    """The staging table of import run `run_id`."""
    return f"import_stage_{run_id}"


def fail_lost_imports() -> int:
    """Fail the imports whose process was lost (running, no heartbeat for WORKER_LOST_AFTER_SECONDS) and drop
    every staging table no running import owns. The periodic sweep calls this, and each import before it starts.
    Returns how many imports it failed."""
    lost_before = liveness.lost_before()
    running = ImportRun.objects.filter(status=ImportRun.Status.RUNNING)
    failed = 0
    for pk, heartbeat_at, started_at, created_at, worker in running.values_list(
        "pk", "heartbeat_at", "started_at", "created_at", "worker"
    ):
        if (heartbeat_at or started_at or created_at) < lost_before:
            failed += (
                running.filter(pk=pk)
                .exclude(heartbeat_at__gte=lost_before)
                .update(
                    status=ImportRun.Status.FAILED,
                    finished_at=timezone.now(),
                    error=f"Worker lost: {worker or 'its worker'} gave no sign of life for over "
                    f"{settings.WORKER_LOST_AFTER_SECONDS} s; nothing was imported.",
                )
            )
    alive = {staging_name(pk) for pk in running.values_list("pk", flat=True)}
    for name in connection.introspection.table_names():
        if name.startswith("import_stage_") and name[len("import_stage_") :].isdigit() and name not in alive:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE IF EXISTS {connection.ops.quote_name(name)}")
    return failed


def _load(
    run: ImportRun, path: Path, spec, stage: StagingTable, on_progress: Progress | None
) -> tuple[list[tuple], Counter]:
    """Stream the file into the staging table; returns the rejected rows as (line, column, value, reason) and
    what the parser noted (prices rounded)."""
    notes: Counter = Counter()
    parse = spec.make_parser({"notes": notes})
    errors: list[tuple] = []
    batch: list[tuple] = []
    rows_read = 0
    stage.create()
    column_map = {**spec.aliases, **run.column_map}  # the format's other layouts, then the user's own names
    with CsvSource(
        path, spec.columns, required=spec.required, encoding=run.encoding or None, column_map=column_map
    ) as source:
        run.encoding = source.encoding or ""
        ImportRun.objects.filter(pk=run.pk).update(encoding=run.encoding, sha256=run.sha256, file_size=run.file_size)
        for row in source.rows():
            rows_read += 1
            try:
                if None in row.values:
                    raise RowError("(row)", "", row.values[None])
                batch.append(parse(row.line, row.values))
            except RowError as exc:
                if run.strict:
                    raise ImportFileError(
                        f"Line {row.line}: {exc.column} {printable(exc.value)!r} {exc.reason}. "
                        "Strict mode rejects the whole file; nothing was imported."
                    ) from None
                errors.append((row.line, exc.column, printable(exc.value), exc.reason))
            if len(batch) >= BATCH_ROWS:
                stage.load(batch)
                batch.clear()
            if rows_read % PROGRESS_EVERY_ROWS == 0:
                _update(run, on_progress, rows_read=rows_read, progress=round(0.8 * source.fraction_read, 3))
        stage.load(batch)
    if rows_read == 0:
        raise ImportFileError(f"{path.name} has a header but no rows.")
    _update(run, on_progress, rows_read=rows_read, progress=0.8)
    return errors, notes
