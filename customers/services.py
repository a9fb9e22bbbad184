"""Customer-data services: plain functions that the pages, admin, commands and tasks call."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from django.db import IntegrityError, transaction

from customers.importing.service import run_import
from customers.models import ImportRun, Tag


def import_uploaded_file(run_id: int) -> ImportRun:
    """Run the import of the file stored with the run. The upload lives in Django's storage, which may be
    object storage: it is copied to a local temporary file first, since the import streams from disk."""
    run = ImportRun.objects.get(pk=run_id)
    suffix = "".join(Path(run.upload.name).suffixes[-2:])
    with tempfile.NamedTemporaryFile(suffix=suffix) as local, run.upload.open("rb") as stored:
        shutil.copyfileobj(stored, local, 1 << 20)
        local.flush()
        return run_import(run.pk, local.name)


def find_or_create_tag(name: str) -> tuple[Tag, bool]:
    """The tag called `name` in any case, or a new one; two requests creating it at once get the same tag
    (the case-insensitive unique constraint decides)."""
    existing = Tag.objects.filter(name__iexact=name).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            return Tag.objects.create(name=name), True
    except IntegrityError:
        return Tag.objects.get(name__iexact=name), False
