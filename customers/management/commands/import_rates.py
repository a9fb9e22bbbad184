"""`manage.py import_rates PATH`: exchange rates into the base currency from a CSV file (customers/rates.py)."""

from django.core.management.base import BaseCommand, CommandError

from customers.rates import RatesError, import_rates_file


class Command(BaseCommand):
    help = (
        "Import exchange rates from a CSV file with the columns currency,day,rate (units of the base currency, "
        "DEFAULT_CURRENCY, for one unit of the currency, from that day on). All or nothing; a rate already on file "
        "for the same currency and day is replaced."
    )

    def add_arguments(self, parser):
        parser.add_argument("path")

    def handle(self, *args, path: str, **options):
        try:
            with open(path, "rb") as file:
                done = import_rates_file(file)
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}.") from exc
        except RatesError as exc:
            raise CommandError(f"{path}: nothing was imported. {exc}") from exc
        self.stdout.write(str(done))
