"""Customer-data services: plain functions that the admin, commands and tasks call."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from customers.importing.service import run_import
from customers.models import ImportRun


def import_uploaded_file(run_id: int) -> ImportRun:
    """Run the import of the file stored with the run. The upload lives in Django's storage, which may be
    object storage: it is copied to a local temporary file first, since the import streams from disk."""
    run = ImportRun.objects.get(pk=run_id)
    suffix = "".join(Path(run.upload.name).suffixes[-2:])
    with tempfile.NamedTemporaryFile(suffix=suffix) as local, run.upload.open("rb") as stored:
        shutil.copyfileobj(stored, local, 1 << 20)
        local.flush()
        return run_import(run.pk, local.name)
