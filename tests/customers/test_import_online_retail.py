"""A real slice of the Online Retail file (../shared/data) through the import, its counts checked against an
independent count of the same lines with pandas."""

import gzip
import itertools
import os
from pathlib import Path

import pandas as pd
import pytest

from customers.models import Customer, ImportRun, Order, OrderItem, Product
from tests.customers.importing_helpers import import_file

pytestmark = pytest.mark.django_db

# The real data set lives in shared/data beside the project; LODESTAR_DATA_DIR points elsewhere.
DATA_DIR = Path(os.environ.get("LODESTAR_DATA_DIR") or Path(__file__).resolve().parents[3] / "shared" / "data")
DATA = DATA_DIR / "online_retail.csv.gz"
SLICE_LINES = 30_000
NOT_GOODS = {"POST", "DOT", "C2", "BANK CHARGES", "AMAZONFEE", "CRUK", "M", "D", "S", "B"}


@pytest.fixture(scope="module")
def retail_slice(tmp_path_factory) -> Path:
    if not DATA.exists():
        pytest.fail(f"{DATA} is missing: put shared/data beside the project, or set LODESTAR_DATA_DIR")
    path = tmp_path_factory.mktemp("retail") / "slice.csv"
    with gzip.open(DATA, "rt", encoding="utf-8", newline="") as source, open(path, "w", newline="") as out:
        out.writelines(itertools.islice(source, SLICE_LINES + 1))
    return path


def _expected(path: Path) -> dict[str, int]:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame["StockCode"] = frame["StockCode"].str.upper()  # the import folds the case of stock codes
    duplicates = frame.duplicated()
    frame = frame[~duplicates]
    quantity, price = frame.Quantity.astype(int), frame.UnitPrice.astype(float)
    cancel = frame.InvoiceNo.str.startswith("C")
    dropped = (~cancel & (quantity < 0)) | (price < 0) | ((price == 0) & ~cancel)
    kept = frame[~dropped]
    kept_cancel = kept.InvoiceNo.str.startswith("C")
    return {
        "rows_read": SLICE_LINES,
        "duplicate_lines": int(duplicates.sum()),
        "lines_kept": len(kept),
        "cancellation_lines": int(kept_cancel.sum()),
        "missing_customer_lines": int((kept.CustomerID == "").sum()),
        "non_product_lines": int(kept.StockCode.isin(NOT_GOODS).sum() + kept.StockCode.str.startswith("GIFT_").sum()),
        "invoices": kept.InvoiceNo.nunique(),
        "cancellation_invoices": kept[kept_cancel].InvoiceNo.nunique(),
        "customers_created": kept[kept.CustomerID != ""].CustomerID.nunique(),
        "products_created": kept.StockCode.nunique(),
    }


def test_a_real_slice_gives_the_counts_pandas_gives(retail_slice):
    run = import_file(retail_slice)
    assert run.status == ImportRun.Status.SUCCEEDED, run.error
    expected = _expected(retail_slice)
    assert {key: run.counts[key] for key in expected} == expected
    assert run.counts["orders_created"] == expected["invoices"] == Order.objects.count()
    assert OrderItem.objects.count() == expected["lines_kept"]
    assert Customer.objects.count() == expected["customers_created"]
    assert Product.objects.count() == expected["products_created"]
    assert run.counts["rows_rejected"] == 0


def test_the_real_slice_imported_twice_changes_nothing(retail_slice):
    import_file(retail_slice)
    before = (Order.objects.count(), OrderItem.objects.count(), Customer.objects.count(), Product.objects.count())
    again = import_file(retail_slice)
    assert (
        Order.objects.count(),
        OrderItem.objects.count(),
        Customer.objects.count(),
        Product.objects.count(),
    ) == before
    assert again.counts["orders_created"] == 0
    assert again.counts["invoices_already_present"] == again.counts["invoices"]
