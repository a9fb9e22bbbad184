"""What customers' interactions say, as the pages read it: each interaction's sentiment and topic (a staff label
when there is one, the active sentiment run's reading otherwise), a customer's sentiment trend by month, and the
recent complaints that raise customers on the worklist. Read-only, a fixed number of queries whatever the data size;
staff labels are written by insights/services.py `label_interaction`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import TruncMonth
from django.template.defaultfilters import date as date_format
from django.utils import timezone

from crm.templatetags.lodestar import percent
from customers.models import Customer, Interaction, InteractionLabel, Sentiment, Topic
from insights.models import InteractionSentiment
from insights.publishing import active_run_id

RECENT_INTERACTIONS = 10  # read on the profile
TREND_MONTHS = 12
COMPLAINT_DAYS = 14  # a negative interaction this recent raises its customer on the worklist
COMPLAINTS_SIZE = 10
SURE_ENOUGH = 0.5  # the model's reading counts as a complaint from this probability (a staff label always counts)


@dataclass
class Reading:
    """An interaction with how the customer felt and what it was about, and whether staff said so."""

    interaction: Interaction
    sentiment: str = ""
    topic: str = ""  # a topic slug
    topic_name: str = ""
    probability: float | None = None  # the model's, when the reading is the model's
    labelled: bool = False  # a member of staff gave (or corrected) it


GENERAL_TOPIC = "general"  # the catch-all topic ("everything else"): nothing to name in a reason or a message


def named_topic(topic: str, topic_name: str) -> str:
    """What an interaction was about, as a sentence names it ("complained about billing"): the topic's name, or ""
    for the catch-all general topic ("complained about general" says nothing) or none."""
    return "" if topic == GENERAL_TOPIC else topic_name


def topic_names() -> dict[str, str]:
    """Every topic's name by slug (retired ones too: old readings still name them)."""
    return dict(Topic.objects.values_list("slug", "name"))


def annotated(interactions: QuerySet) -> QuerySet:
    """`interactions` with their latest staff label and the active run's reading as annotations (label_sentiment,
    label_topic, model_sentiment, model_topic, model_probability), so a page reads them in the same query."""
    labels = InteractionLabel.objects.filter(interaction=OuterRef("pk")).order_by("-created_at", "-pk")
    interactions = interactions.annotate(
        label_sentiment=Subquery(labels.exclude(sentiment="").values("sentiment")[:1]),
        label_topic=Subquery(labels.filter(topic__isnull=False).values("topic__slug")[:1]),
    )
    run_id = active_run_id("sentiment")
    if not run_id:
        return interactions
    row = InteractionSentiment.objects.filter(run_id=run_id, interaction=OuterRef("pk"))
    return interactions.annotate(
        model_sentiment=Subquery(row.values("sentiment")[:1]),
        model_topic=Subquery(row.values("topic")[:1]),
        model_probability=Subquery(row.values("sentiment_probability")[:1]),
    )


def readings(interactions, names: dict[str, str]) -> list[Reading]:
    """The reading of each interaction of an `annotated` queryset or list (no further query)."""
    found = []
    for interaction in interactions:
        label_sentiment, label_topic = interaction.label_sentiment, interaction.label_topic
        reading = Reading(interaction, labelled=bool(label_sentiment or label_topic))
        reading.sentiment = label_sentiment or getattr(interaction, "model_sentiment", None) or ""
        reading.topic = label_topic or getattr(interaction, "model_topic", None) or ""
        if not label_sentiment:
            reading.probability = getattr(interaction, "model_probability", None)
        reading.topic_name = names.get(reading.topic, reading.topic)
        found.append(reading)
    return found


def trend(customer: Customer, today: dt.date) -> list[dict]:
    """The customer's interactions per month over the last TREND_MONTHS months as the active run read them:
    {"month", "negative", "neutral", "positive", "net"} with net = (positive - negative) / all, oldest first."""
    run_id = active_run_id("sentiment")
    if not run_id:
        return []
    since = (today.replace(day=1) - dt.timedelta(days=31 * (TREND_MONTHS - 1))).replace(day=1)
    rows = (
        InteractionSentiment.objects.filter(run_id=run_id, customer=customer, occurred_at__date__gte=since)
        .annotate(month=TruncMonth("occurred_at"))
        .values("month")
        .annotate(
            negative=Count("pk", filter=Q(sentiment=Sentiment.NEGATIVE)),
            neutral=Count("pk", filter=Q(sentiment=Sentiment.NEUTRAL)),
            positive=Count("pk", filter=Q(sentiment=Sentiment.POSITIVE)),
        )
        .order_by("month")
    )
    months = []
    for row in rows:
        total = row["negative"] + row["neutral"] + row["positive"]
        months.append({**row, "net": (row["positive"] - row["negative"]) / total if total else 0.0})
    return months


def trend_chart(months: list[dict]) -> dict:
    """The trend as a line for static/js/charts.js (insights/dashboards/charts.py describes the format). Net
    sentiment runs from -100% (all negative) to 100% (all positive), so the axis shows the whole range with a line
    at zero: a flat line at 0 then reads as "neutral", not as an empty chart."""
    labels = [date_format(row["month"], "M Y") for row in months]
    latest = months[-1]
    return {
        "type": "line",
        "format": "percent",
        "min": -1,
        "max": 1,
        "zero_line": True,
        "categories": labels,
        "series": [{"name": "Net sentiment", "data": [round(row["net"], 3) for row in months]}],
        "label": (
            f"Line chart of net sentiment (positive minus negative interactions, as a share of all) per month from "
            f"{labels[0]} to {labels[-1]}: {percent(latest['net'])} in {labels[-1]}."
        ),
    }


def all_neutral(months: list[dict]) -> bool:
    """True when the months hold interactions and every one of them was read as neutral."""
    return bool(months) and not any(row["negative"] or row["positive"] for row in months)


@dataclass
class Complaint:
    """A customer raised on the worklist by a recent negative interaction, with the reason in words."""

    customer: Customer
    interaction: Interaction
    topic_name: str
    labelled: bool

    @property
    def reason(self) -> str:
        said = "a member of staff marked it negative" if self.labelled else "read as negative"
        about = f" about {self.topic_name.lower()}" if self.topic_name else ""
        return (
            f"Complained{about} on {date_format(timezone.localtime(self.interaction.occurred_at), 'j M Y')}: "
            f"“{self.interaction.subject or '…'}” ({said})."
        )


def complaints(customers: QuerySet, today: dt.date) -> list[Complaint]:
    """The latest negative interaction of each of `customers` (the worklist's scope) within COMPLAINT_DAYS, newest
    first: a staff label saying negative, or the active run's reading when no label says otherwise. Two queries."""
    since = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=COMPLAINT_DAYS), dt.time.min))
    run_id = active_run_id("sentiment")
    by_model = Q(pk__in=[])
    if run_id:
        flagged = InteractionSentiment.objects.filter(
            run_id=run_id, sentiment=Sentiment.NEGATIVE, occurred_at__gte=since, sentiment_probability__gte=SURE_ENOUGH
        ).values("interaction_id")
        by_model = Q(pk__in=flagged)
    by_label = Q(labels__sentiment=Sentiment.NEGATIVE)
    candidates = list(
        annotated(Interaction.objects.filter(customer__in=customers, occurred_at__gte=since))
        .filter(by_model | by_label)
        .select_related("customer", "customer__owner")
        .order_by("-occurred_at", "-pk")
        .distinct()[: COMPLAINTS_SIZE * 5]
    )
    if not candidates:
        return []
    found, seen = [], set()
    for reading in readings(candidates, topic_names()):
        if reading.sentiment != Sentiment.NEGATIVE or reading.interaction.customer_id in seen:
            continue  # a later label said otherwise, or the customer is already listed
        seen.add(reading.interaction.customer_id)
        topic_name = named_topic(reading.topic, reading.topic_name)
        found.append(Complaint(reading.interaction.customer, reading.interaction, topic_name, reading.labelled))
    return found[:COMPLAINTS_SIZE]
