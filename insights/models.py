"""Model runs and what they publish.

Every training run is a ModelRun. Its results live in tables keyed by (run, customer), written while the run is
not active, so readers never see half a run; publishing flips `is_active` in one short transaction, and rolling
back is the same flip to an older run. The database itself enforces one active run per family and one queued or
running run per family (single flight).

Result rows have no foreign-key constraints in the database, as recommendations do not: a run writes them by the
hundred thousand with COPY, and the deferred per-row checks cost PostgreSQL more than the COPY itself (231k
sentiment rows: 5-6 s of checks against 3 s of COPY; 94k churn scores: 1.1 s against 2 s). A run writes only ids
it has just read, and Django still cascades deletes of runs, customers and interactions to them; seed_demo
--replace empties them with the rows they point at (customers/demo/loader.py).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from customers.models import Customer


def model_storage():
    """The storage fitted models are kept in (settings.STORAGES["models"])."""
    from django.core.files.storage import storages

    return storages["models"]


class ModelRun(models.Model):
    """One training run of one model family: what triggered it, how it went, how good it is."""

    class Family(models.TextChoices):
        SEGMENTS = "segments", "Segments"
        VALUE = "value", "Customer value"
        CHURN = "churn", "Churn risk"
        RECOMMENDATIONS = "recommendations", "Recommendations"
        RULES = "rules", "Association rules"
        DEMAND = "demand", "Product demand"
        SENTIMENT = "sentiment", "Sentiment and topics"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        HELD = "held", "Held back (neither the model nor its baseline could be computed)"
        FAILED = "failed", "Failed"
        SUPERSEDED = "superseded", "Superseded"

    class Trigger(models.TextChoices):
        ADMIN = "admin", "Admin"
        SCHEDULE = "schedule", "Schedule"
        CLI = "cli", "Command line"
        API = "api", "API"

    class Winner(models.TextChoices):
        """Which candidate of the backtest a run published: the family's model, or its baseline when the model did
        not beat it (the baseline is itself a forecast and writes the same rows)."""

        MODEL = "model", "Model"
        BASELINE = "baseline", "Baseline"

    IN_FLIGHT = (Status.QUEUED, Status.RUNNING)

    family = models.CharField(max_length=20, choices=Family.choices)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    is_active = models.BooleanField(default=False, help_text="The run whose results pages show.")
    trigger = models.CharField(max_length=10, choices=Trigger.choices, default=Trigger.ADMIN)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    as_of = models.DateField(help_text="The data up to this date is used; scores are as of it.")
    parameters = models.JSONField(default=dict, blank=True)
    data_counts = models.JSONField(default=dict, blank=True)
    stage = models.CharField(max_length=60, blank=True)
    chunks_total = models.PositiveIntegerField(default=0, help_text="Scoring chunks spread over the workers.")
    chunks_done = models.PositiveIntegerField(default=0)
    chunk_ranges = models.JSONField(
        default=list, blank=True, help_text="[first, last] customer ids of each scoring chunk of a spread run."
    )
    progress = models.FloatField(default=0.0, help_text="0 to 1.")
    timings = models.JSONField(default=dict, blank=True, help_text="Seconds per stage.")
    metrics = models.JSONField(default=dict, blank=True)
    baseline = models.JSONField(default=dict, blank=True, help_text='{"name": ..., "metrics": {...}}')
    model_card = models.JSONField(default=dict, blank=True, help_text="Diagnostics, groups, warnings, profiles.")
    winner = models.CharField(
        max_length=10,
        choices=Winner.choices,
        blank=True,
        help_text="The candidate the backtest chose and the run wrote.",
    )
    deciding_metric = models.CharField(max_length=40, blank=True, help_text="The metric the backtest decided on.")
    higher_is_better = models.BooleanField(null=True, help_text="Whether a higher deciding metric is better.")
    publish_note = models.TextField(blank=True, help_text="The verdict in words: what was published and why.")
    error = models.TextField(blank=True)
    artifact = models.FileField(
        storage=model_storage, blank=True, max_length=200, help_text="The fitted model (storage 'models')."
    )
    artifact_sha256 = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    concluded_at = models.DateTimeField(
        null=True, blank=True, help_text="When the run's results were complete and its verdict applied (claimed once)."
    )
    pruned_at = models.DateTimeField(
        null=True, blank=True, help_text="When its results and model were deleted (the record and metrics stay)."
    )
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="Last sign of life of the process running it (crm/liveness.py)."
    )
    worker = models.CharField(max_length=255, blank=True, help_text="The process running it, as host:pid.")
    attempts = models.PositiveSmallIntegerField(
        default=0, help_text="How many times a worker started it (a run whose worker was lost is resumed once)."
    )
    chunks_scored = models.JSONField(
        default=list, blank=True, help_text="First customer id of each scoring chunk already written (counted once)."
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["family"], condition=Q(is_active=True), name="one_active_run_per_family"),
            models.UniqueConstraint(
                fields=["family"], condition=Q(status__in=["queued", "running"]), name="one_run_in_flight_per_family"
            ),
        ]
        indexes = [models.Index(fields=["family", "status", "created_at"], name="modelrun_family_status")]

    def __str__(self) -> str:
        return f"{self.get_family_display()} run #{self.pk} ({self.get_status_display().lower()})"


class CustomerSegment(models.Model):
    """A customer's segment in one segments run: the behavioural cluster and the RFM scores."""

    run = models.ForeignKey(ModelRun, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False)
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    cluster = models.SmallIntegerField()
    segment = models.CharField(max_length=60, help_text="The cluster's plain-language name.")
    rfm_r = models.SmallIntegerField()
    rfm_f = models.SmallIntegerField()
    rfm_m = models.SmallIntegerField()
    rfm_segment = models.CharField(max_length=40)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "customer"], name="customersegment_run_customer")]
        indexes = [
            models.Index(fields=["run", "segment"], name="customersegment_run_segment"),
            # No (customer, run) index, as value and churn have for the profile's history: no page reads a
            # customer's segments across runs (see InteractionSentiment).
        ]

    def __str__(self) -> str:
        return f"{self.segment} (run {self.run_id})"


class CustomerValue(models.Model):
    """A customer's expected purchases, chance of being active and 12-month value in one value run."""

    run = models.ForeignKey(ModelRun, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False)
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    # NULL for a customer with no repeat purchase, whose P(alive) BG/NBD sets to 1 by construction.
    p_alive = models.FloatField(null=True, blank=True)
    expected_purchases_90d = models.FloatField()
    expected_purchases_365d = models.FloatField()
    expected_order_value = models.FloatField()
    clv_12m = models.FloatField()

    rescored_on = models.DateField(
        null=True, blank=True, help_text="Scored again on this day (after an order or import); else as of the run."
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "customer"], name="customervalue_run_customer")]
        indexes = [
            models.Index(fields=["run", "clv_12m"], name="customervalue_run_clv"),
            models.Index(fields=["customer", "run"], name="customervalue_history"),
        ]

    def __str__(self) -> str:
        return f"12-month value {self.clv_12m:.2f} (run {self.run_id})"


class ChurnScore(models.Model):
    """A customer's churn probability in one churn run, with the factors that raise and lower it."""

    run = models.ForeignKey(ModelRun, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False)
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    probability = models.FloatField()
    band = models.CharField(max_length=10, help_text="low, medium or high")
    factors = models.JSONField(default=list, help_text='[{"feature", "value", "effect", "text"}], strongest first')

    rescored_on = models.DateField(
        null=True, blank=True, help_text="Scored again on this day (after an order or import); else as of the run."
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "customer"], name="churnscore_run_customer")]
        indexes = [
            models.Index(fields=["run", "probability"], name="churnscore_run_probability"),
            models.Index(fields=["run", "band"], name="churnscore_run_band"),
            models.Index(fields=["customer", "run"], name="churnscore_history"),
        ]

    def __str__(self) -> str:
        from crm.templatetags.lodestar import chance

        return f"churn {chance(self.probability)} (run {self.run_id})"  # never "100%": see `chance`


class WorklistAction(models.Model):
    """A worklist action on a customer: done (contacted, with what came of it) or snoozed until a date. Either
    takes the customer off every worklist until then, and is logged as an interaction on the customer."""

    class Action(models.TextChoices):
        DONE = "done", "Done"
        SNOOZED = "snoozed", "Snoozed"

    class Outcome(models.TextChoices):
        """What came of contacting the customer, and (OUTCOME_DAYS) how long they stay off the worklist for it."""

        REACHED = "reached", "Reached"
        NO_ANSWER = "no_answer", "No answer"
        ORDER_PROMISED = "order_promised", "Order promised"
        LOST = "lost", "Lost"

    # Days a customer stays off the worklist after each outcome: no answer comes back tomorrow to try again.
    OUTCOME_DAYS = {"reached": 30, "no_answer": 1, "order_promised": 30, "lost": 180}

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    action = models.CharField(max_length=10, choices=Action.choices)
    outcome = models.CharField(
        max_length=20, choices=Outcome.choices, blank=True, help_text="For done: what came of the contact."
    )
    hidden_until = models.DateField(help_text="The customer comes back to the worklist on this day.")
    interaction = models.ForeignKey(
        "customers.Interaction", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        # Done and snoozed customers are off everyone's worklist until the day they come back.
        indexes = [models.Index(fields=["hidden_until", "customer"], name="worklistaction_until")]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.customer_id} until {self.hidden_until}"


class InteractionSentiment(models.Model):
    """An interaction's sentiment and topic in one sentiment run, each with the model's probability. The customer
    and the moment are copied from the interaction, so a customer's trend and the worklist's recent complaints read
    this table alone through its indexes; rows of customers who withdraw profiling consent leave the active run."""

    run = models.ForeignKey(ModelRun, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False)
    interaction = models.ForeignKey(
        "customers.Interaction", on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    occurred_at = models.DateTimeField()
    sentiment = models.CharField(max_length=10, help_text="negative, neutral or positive")
    sentiment_probability = models.FloatField()
    topic = models.CharField(max_length=40, help_text="The slug of a customers.Topic")
    topic_probability = models.FloatField()
    text_key = models.BigIntegerField(
        null=True, help_text="A fingerprint of the text read: the next run of the same lexicon reuses its answer."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "interaction"], name="interactionsentiment_run_interaction")
        ]
        indexes = [
            models.Index(fields=["run", "customer", "occurred_at"], name="interactionsentiment_trend"),
            models.Index(fields=["run", "sentiment", "occurred_at"], name="interactionsentiment_recent"),
            # No (customer, run) index: every page, the export and the forgetting of a customer name the runs, and
            # (run, customer, ...) serves them. It served only the admin's delete of a customer (a scan of the few
            # runs kept, insights/pruning.py), and cost a retrain 0.4 s of PostgreSQL's CPU to fill.
        ]

    def __str__(self) -> str:
        return f"{self.sentiment} about {self.topic} (run {self.run_id})"


class NextAction(models.TextChoices):
    """The next best action the worklist suggests for a customer (insights/next_actions.py says when)."""

    CALL_NOW = "call_now", "Call now"
    WIN_BACK = "win_back", "Win back"
    SEND_OFFER = "send_offer", "Send an offer"
    THANK = "thank", "Thank"
    CHECK_IN = "check_in", "Check in"


class MessageTemplate(models.Model):
    """The message a rep starts from for one kind of next best action, editable in admin. Subject and body are
    Django templates filled with the customer's data (insights/message_templates.py lists what they may use)."""

    action = models.CharField(max_length=20, choices=NextAction.choices, unique=True)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["action"]

    def __str__(self) -> str:
        return self.get_action_display()

    def clean(self) -> None:
        from insights.message_templates import check

        check(self.subject, field="subject")
        check(self.body, field="body")


class SuggestedAction(models.Model):
    """A next best action suggested for a customer on a worklist: recorded the first time a worklist shows it, and
    taken when a rep marks the customer done from it. At most one suggestion of each kind per customer is open
    (not taken) at a time, so showing it every day counts once; managers see the share taken and whether the
    customer ordered within 30 days (insights/dashboards/next_actions.py)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+", db_index=False)
    action = models.CharField(max_length=20, choices=NextAction.choices)
    reason = models.CharField(max_length=500)
    suggested_at = models.DateTimeField(auto_now_add=True)
    taken_at = models.DateTimeField(null=True, blank=True)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    worklist_action = models.ForeignKey(
        WorklistAction, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )

    class Meta:
        ordering = ["-suggested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "action"], condition=Q(taken_at__isnull=True), name="suggestedaction_one_open"
            )
        ]
        indexes = [models.Index(fields=["customer", "suggested_at"], name="suggestedaction_customer")]

    def __str__(self) -> str:
        return f"{self.get_action_display()} for customer {self.customer_id}"
