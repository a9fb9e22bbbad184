"""`manage.py import_orders PATH [--format online-retail|lodestar]`: streamed, cleaned, atomic import."""

from customers.importing.command import ImportCommand
from customers.models import ImportRun


class Command(ImportCommand):
    help = "Import order lines from a CSV file (Online Retail or Lodestar format), with a data-quality report."
    formats = {"online-retail": ImportRun.Format.ONLINE_RETAIL, "lodestar": ImportRun.Format.LODESTAR_ORDERS}
