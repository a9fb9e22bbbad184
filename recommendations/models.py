"""What the recommendations, rules and demand runs publish, keyed by run like every model result.

Rows are written while their run is inactive and read only through the family's active run (see
insights/publishing.py), so a page never sees half a run. Indexes lead with the run.
"""

from __future__ import annotations

from django.db import models

from customers.models import Customer, Product
from insights.models import ModelRun


class Recommendation(models.Model):
    """One product on one of a customer's two lists in one recommendations run, with the reason for it.

    `reorder` holds items the customer bought before (what they are likely to buy again), `try_next` items they
    never bought (the cross-sell list). The reason is a code with parameters (product ids, days, counts), turned
    into a sentence when shown, so a renamed product reads right."""

    class List(models.TextChoices):
        REORDER = "reorder", "Likely to reorder"
        TRY_NEXT = "try_next", "Try next"

    # No foreign-key constraints in the database: a run writes millions of these rows with COPY, and the three
    # per-row constraint checks cost five times the COPY itself (measured at 100k customers). The run writes only
    # ids it has just read, and Django still cascades deletes of runs, customers and products.
    run = models.ForeignKey(ModelRun, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False)
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    list = models.CharField(max_length=10, choices=List.choices)
    rank = models.PositiveSmallIntegerField(help_text="1 is the strongest.")
    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    score = models.FloatField()
    component = models.CharField(max_length=20, help_text="The recommender that contributed most.")
    reason_code = models.CharField(max_length=20)
    reason_params = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "customer", "list", "rank"], name="recommendation_run_customer")
        ]

    def __str__(self) -> str:
        return f"{self.get_list_display()} #{self.rank} for customer {self.customer_id} (run {self.run_id})"


class AssociationRule(models.Model):
    """A rule "baskets with the antecedent also hold the consequent" from one rules run: one or more products on the
    left (the first two as foreign keys, any further ones in `antecedent_more`), one on the right, with support,
    confidence and lift (see recommendations/models_ml/rules.py).

    `kind` says what the row is. A rules run always writes the rules it mined with its thresholds (the rules page
    lists them: an analysis a user sets thresholds for), and, when they did not beat the baseline in the backtest,
    each product's most popular companions too. The suggestions (the product page's and the profile's "bought
    together", the API by default) read only the kind the run's verdict chose: `Kind.suggested(run.winner)`."""

    class Kind(models.TextChoices):
        MINED = "mined", "Mined rule"
        POPULAR = "popular", "Popular companion"

        @classmethod
        def suggested(cls, winner: str) -> AssociationRule.Kind:
            """The kind a run's suggestions use: its popular companions when the baseline won the backtest, else its
            mined rules (also for a run recorded without a winner)."""
            return cls.POPULAR if winner == ModelRun.Winner.BASELINE else cls.MINED

    run = models.ForeignKey(ModelRun, on_delete=models.CASCADE, related_name="+", db_index=False)
    antecedent = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+", db_index=False)
    antecedent_2 = models.ForeignKey(
        Product, null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    antecedent_more = models.JSONField(
        default=list, blank=True, help_text="Ids of the antecedent's third and further products, in id order."
    )
    size = models.PositiveSmallIntegerField(default=2, help_text="Products in the whole rule, consequent included.")
    consequent = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+", db_index=False)
    support = models.FloatField(help_text="Share of baskets holding all the rule's products.")
    confidence = models.FloatField(help_text="Share of the antecedent's baskets that hold the consequent.")
    lift = models.FloatField(help_text="How many times likelier the consequent is beside the antecedent.")
    count = models.PositiveIntegerField(help_text="Baskets holding all the rule's products.")
    kind = models.CharField(
        max_length=10,
        choices=Kind.choices,
        default=Kind.MINED,
        help_text="Mined with the run's thresholds, or one of a product's most popular companions (the baseline).",
    )

    class Meta:
        # Every reader asks for one kind of one run: the panels for a product's rules by lift, the rules page and the
        # API for the run's rules by lift.
        indexes = [
            models.Index(fields=["run", "kind", "antecedent", "lift"], name="rule_run_kind_antecedent"),
            models.Index(fields=["run", "kind", "lift"], name="rule_run_kind_lift"),
        ]

    def __str__(self) -> str:
        left = " + ".join(str(i) for i in [self.antecedent_id, self.antecedent_2_id, *self.antecedent_more] if i)
        return f"{left} -> {self.consequent_id} (lift {self.lift:.1f})"


class ProductForecast(models.Model):
    """Forecast units of one product in one week ahead, from one demand run, with its interval."""

    run = models.ForeignKey(ModelRun, on_delete=models.CASCADE, related_name="+", db_index=False)
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+", db_index=False)
    week = models.DateField(help_text="The Monday the week starts on.")
    horizon = models.PositiveSmallIntegerField(help_text="Weeks ahead of the run's last whole week.")
    forecast = models.FloatField(help_text="Expected units.")
    median = models.FloatField()
    lower = models.FloatField(help_text="10th percentile.")
    upper = models.FloatField(help_text="90th percentile.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "product", "horizon"], name="productforecast_run_product")
        ]
        indexes = [models.Index(fields=["run", "horizon"], name="productforecast_run_horizon")]

    def __str__(self) -> str:
        return f"{self.forecast:.1f} units of {self.product_id} in week of {self.week} (run {self.run_id})"
