"""Exchange rates into the base currency (settings.DEFAULT_CURRENCY), which an admin imports.

Orders keep the currency they were placed in; every figure that adds amounts together converts each order at the
rate on or before its date (customers/figures.py), and an amount with no such rate is shown in its own currency,
never added to the others."""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class ExchangeRate(models.Model):
    """What one unit of `currency` was worth in the base currency from `day` on, until the next rate's day."""

    currency = models.CharField(max_length=3, help_text="ISO 4217 code, e.g. EUR.")
    day = models.DateField(help_text="The rate applies to orders placed on this day and after, until the next rate.")
    rate = models.DecimalField(
        max_digits=18, decimal_places=8, help_text="Units of the base currency for one unit of this currency."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["currency", "-day"]
        constraints = [
            # The unique pair's index also serves "the latest rate on or before a day" lookups.
            models.UniqueConstraint(fields=["currency", "day"], name="exchangerate_currency_day"),
            models.CheckConstraint(condition=Q(rate__gt=0), name="exchangerate_rate_gt_0"),
        ]

    def __str__(self) -> str:
        return f"1 {self.currency} = {self.rate} from {self.day:%Y-%m-%d}"
