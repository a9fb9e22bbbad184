"""What staff say an interaction is about and how the customer felt: the topic list (editable by admins) and the
labels staff give interactions (a correction on the profile, or a column of an import). The sentiment and topic
models (insights/families/sentiment.py) learn from these labels; every label is kept with who gave it and when, and
the latest label of an interaction is the one that counts."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from customers.models.records import Interaction


class Sentiment(models.TextChoices):
    """How the customer felt in an interaction."""

    NEGATIVE = "negative", "Negative"
    NEUTRAL = "neutral", "Neutral"
    POSITIVE = "positive", "Positive"


class Topic(models.Model):
    """What interactions are about (delivery, price, product quality, ...): the list the topic model chooses from.
    An admin adds, renames or retires topics; a retired topic keeps its labels but is no longer learned or shown as a
    choice. The slug is what labels and model results refer to, so a rename changes nothing else."""

    slug = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=60)
    description = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True, help_text="Offered as a choice and learned by the next run.")
    position = models.PositiveSmallIntegerField(default=0, help_text="Order in choices (lowest first).")

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class InteractionLabel(models.Model):
    """A label given by staff to an interaction: its sentiment, its topic, or both. Labels are never overwritten: a
    correction adds a row, so who said what and when stays visible; the latest label of each kind counts."""

    class Source(models.TextChoices):
        CORRECTION = "correction", "Corrected on the profile"
        IMPORT = "import", "Imported"
        DEMO = "demo", "Demo data"

    interaction = models.ForeignKey(Interaction, on_delete=models.CASCADE, related_name="labels", db_index=False)
    sentiment = models.CharField(max_length=10, choices=Sentiment.choices, blank=True)
    topic = models.ForeignKey(Topic, null=True, blank=True, on_delete=models.PROTECT, related_name="labels")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(max_length=12, choices=Source.choices, default=Source.CORRECTION)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["interaction", "created_at"], name="interactionlabel_latest")]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(sentiment="") | models.Q(topic__isnull=False),
                name="interactionlabel_says_something",
            )
        ]

    def __str__(self) -> str:
        said = ", ".join(filter(None, [self.get_sentiment_display() if self.sentiment else "", str(self.topic or "")]))
        return f"{said} on interaction {self.interaction_id}"
