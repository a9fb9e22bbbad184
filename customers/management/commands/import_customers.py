"""`manage.py import_customers PATH`: checked, atomic import of Lodestar customers (docs/import-formats.md)."""

from customers.importing.command import ImportCommand
from customers.models import ImportRun


class Command(ImportCommand):
    help = "Import customers from a CSV file in the Lodestar format; rows already in the database are skipped."
    formats = {"lodestar": ImportRun.Format.LODESTAR_CUSTOMERS}
