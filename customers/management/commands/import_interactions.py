"""`manage.py import_interactions PATH`: checked, atomic import of Lodestar interactions (docs/import-formats.md)."""

from customers.importing.command import ImportCommand
from customers.models import ImportRun


class Command(ImportCommand):
    help = "Import interactions from a CSV file in the Lodestar format; rows already in the database are skipped."
    formats = {"lodestar": ImportRun.Format.LODESTAR_INTERACTIONS}
