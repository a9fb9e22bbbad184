"""Helpers for import tests: write a small CSV and run it through the real import path."""

from __future__ import annotations

import gzip
from pathlib import Path

from customers.importing.service import run_import
from customers.models import ImportRun

RETAIL_HEADER = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country"


def write_csv(directory: Path, lines: list[str], *, name: str = "orders.csv", encoding: str = "utf-8") -> Path:
    """Write lines (header included) as a file; `.gz` names are gzip-compressed."""
    data = ("\n".join(lines) + "\n").encode(encoding)
    path = directory / name
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    return path


def import_file(path: Path, *, fmt: str = "online-retail", strict: bool = False, column_map=None) -> ImportRun:
    """Run one import synchronously, as the command and the task do."""
    run = ImportRun.objects.create(format=fmt, strict=strict, file_name=path.name, column_map=column_map or {})
    return run_import(run.pk, path)


def retail(directory: Path, *rows: str, **kwargs) -> ImportRun:
    """Import Online Retail rows (without header) written to a file."""
    return import_file(write_csv(directory, [RETAIL_HEADER, *rows]), **kwargs)
