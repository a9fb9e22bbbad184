"""`manage.py import_products PATH`: streamed, checked, atomic import of Lodestar products (docs/import-formats.md)."""

from customers.importing.command import ImportCommand
from customers.models import ImportRun


class Command(ImportCommand):
    help = "Import products from a CSV file in the Lodestar format; rows already in the database are skipped."
    formats = {"lodestar": ImportRun.Format.LODESTAR_PRODUCTS}
