"""Customer-data services: plain functions that the admin, commands and tasks call."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from django.db import transaction

from customers.importing.service import run_import
from customers.models import ImportRun


def queue_import(run: ImportRun) -> None:
    """Queue the import of an uploaded file, once the ImportRun row is committed (tasks take primary keys)."""
    from customers.tasks import import_uploaded_file

    transaction.on_commit(lambda: import_uploaded_file.delay(run.pk))


def import_uploaded_file(run_id: int) -> ImportRun:
    """Run the import of the file stored with the run. The upload lives in Django's storage, which may be
    object storage: it is copied to a local temporary file first, since the import streams from disk."""
    run = ImportRun.objects.get(pk=run_id)
    suffix = "".join(Path(run.upload.name).suffixes[-2:])
    with tempfile.NamedTemporaryFile(suffix=suffix) as local, run.upload.open("rb") as stored:
        shutil.copyfileobj(stored, local, 1 << 20)
        local.flush()
        return run_import(run.pk, local.name)
