"""The insights app's panels (crm/panels.py): the slots its own pages offer other apps, and the health card it adds
to the customer profile.

The worklist's and the dashboards' slots take sections from other apps' `AppConfig.ready()` (recommendations adds
its cross-sell list and "what will sell"). The health card, registered from InsightsConfig.ready(), shows segment,
value and churn risk from the active runs, the factors behind the risk in plain words, and how risk and value moved
across runs."""

from __future__ import annotations

from django.core.cache import cache
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils import timezone

from crm import outbox
from crm.panels import PanelSlot
from customers.figures import base_currency
from customers.models import Customer
from insights import worklist
from insights.models import ChurnScore, CustomerSegment, CustomerValue, ModelRun
from insights.publishing import active_runs, active_verdicts
from insights.scores import factor_text, lowering_factors, raising_factors, run_facts

# Each worklist section's context function gets the request and the rep; its template may include
# insights/worklist_actions.html.
WORKLIST_PANELS = PanelSlot("worklist", subject="rep")
# Each dashboards section's context function gets the request and the viewer.
DASHBOARD_PANELS = PanelSlot("dashboards", subject="viewer")

HISTORY_RUNS = 12
FAMILIES = ("segments", "value", "churn")
PROFILES_CACHE_SECONDS = 24 * 3600
# RFM recency scores from 3 up name segments of customers still buying ("Loyal", "Champions", "Need attention"...).
ACTIVE_RFM_RECENCY = 3


def _history(customer: Customer) -> list[dict]:
    """The customer's churn risk and 12-month value in the recent runs of each family (the latest HISTORY_RUNS of
    each, the active ones included), as [{"as_of", "churn", "value"}] oldest first. One query: the customer's rows
    of both families as one UNION ALL, each part served by its (customer, run) index; the parts carry no ORDER BY
    or LIMIT (SQLite refuses them in a compound), so the latest are picked here from the runs kept (pruning bounds
    them). A row's day is the one it was scored again, if it was, else its run's."""
    kept = Q(run__is_active=True) | Q(run__status__in=[ModelRun.Status.SUCCEEDED, ModelRun.Status.SUPERSEDED])

    def rows(model, field: str, family: str):
        return (
            model.objects.filter(kept, customer=customer)
            .annotate(day=Coalesce("rescored_on", "run__as_of"), figure=F(field), family=Value(family))
            .order_by()
            .values_list("family", "day", "run_id", "figure")
        )

    both = rows(ChurnScore, "probability", "churn").union(rows(CustomerValue, "clv_12m", "value"), all=True)
    latest: dict[str, list] = {"churn": [], "value": []}
    for family, day, run_id, figure in both:
        latest[family].append((day, run_id, figure))
    points: dict = {}
    for family, found in latest.items():
        newest = sorted(found, key=lambda row: row[:2], reverse=True)[:HISTORY_RUNS]
        for day, _, figure in reversed(newest):  # on a day with two runs, the later run's figure stays
            points.setdefault(day, {"as_of": day, "churn": None, "value": None})[family] = figure
    return [points[day] for day in sorted(points)]


def segment_profiles(run_id: int) -> dict[str, str]:
    """The plain-language profile of each cluster of a segments run, by cluster number (as text): read from the
    run's model card once and cached, since a run's card does not change once it has run. The whole card (its
    metrics and every cluster's figures) was read and parsed on every profile view."""

    def read() -> dict[str, str]:
        card = ModelRun.objects.filter(pk=run_id).values_list("model_card", flat=True).first() or {}
        return {cluster: profile.get("text", "") for cluster, profile in card.get("profiles", {}).items()}

    return cache.get_or_set(f"insights:segment-profiles:{run_id}", read, PROFILES_CACHE_SECONDS)


def _waiting_for_a_worker() -> str:
    """What the card says while a new run of its families waits for a worker (crm/outbox.py not_started_words, as
    the admin's run page says it), or "": one indexed query, two more only while a run is queued."""
    queued = (
        ModelRun.objects.filter(family__in=FAMILIES, status=ModelRun.Status.QUEUED)
        .order_by("created_at")
        .values_list("family", "created_at")
        .first()
    )
    if queued is None:
        return ""
    family, queued_at = queued
    return outbox.not_started_words(f"a new {ModelRun.Family(family).label.lower()} run", queued_at)


def health_context(request: HttpRequest, customer: Customer) -> dict:
    """The health card's context: a fixed number of indexed queries, whatever the data size. Every score says
    the day it is as of (the run's, or the day it was scored again after an order or import); amounts are in the
    base currency; the churn window is given in days."""
    active = active_runs(FAMILIES)
    waiting = _waiting_for_a_worker()
    if not any(active.values()):
        return {"no_model": True, "waiting": waiting}
    runs = run_facts(active.values())
    churn = ChurnScore.objects.filter(run_id=active["churn"], customer=customer).first() if active["churn"] else None
    value = CustomerValue.objects.filter(run_id=active["value"], customer=customer).first() if active["value"] else None
    segment = None
    segment_profile = ""
    today = timezone.localdate()  # days since the last order are counted to today, as on the worklist
    late = ordered_since = None
    if active["segments"]:
        segment = CustomerSegment.objects.filter(run_id=active["segments"], customer=customer).first()
        if segment is not None:
            segment_profile = segment_profiles(active["segments"]).get(str(segment.cluster), "")
            # the profile starts with the segment's name, which the card has just written in bold
            segment_profile = segment_profile.removeprefix(f"{segment.segment}: ")
            # orders recorded after the segments run read its data: the segment does not know them yet
            found = worklist.purchase_facts(customer, runs[active["segments"]].get("started_at"))
            ordered_since = found.get("since")
            late = worklist.past_rhythm(customer, today, found)
    currency = base_currency()
    factors = churn.factors if churn else []
    churn_as_of = (churn.rescored_on or runs[active["churn"]]["as_of"]) if churn else None
    history = _history(customer)
    return {
        "no_model": False,
        "currency": currency,
        "churn": churn,
        "churn_as_of": churn_as_of,
        "horizon_days": runs[active["churn"]]["horizon_days"] if churn else None,
        "raising": [factor_text(f, currency, churn_as_of, today) for f in raising_factors(factors)][:3],
        "lowering": [factor_text(f, currency, churn_as_of, today) for f in lowering_factors(factors)][:3],
        "value": value,
        "value_as_of": (value.rescored_on or runs[active["value"]]["as_of"]) if value else None,
        "segment": segment,
        "segment_as_of": runs[active["segments"]]["as_of"] if segment else None,
        "segment_profile": segment_profile,
        "ordered_since": ordered_since,  # the latest order the segment does not know of yet, if any
        # A segment that reads as active beside a customer who stopped buying: said in words, from their orders.
        "late": late,
        "late_after_active_segment": late is not None and segment.rfm_r >= ACTIVE_RFM_RECENCY,
        "history": history,
        "history_has_value": any(row["value"] is not None for row in history),
        "history_has_churn": any(row["churn"] is not None for row in history),
        "not_profiled": not customer.profiling_consent,
        "waiting": waiting,
        "verdicts": [note for note in active_verdicts(FAMILIES).values() if note],
    }


def communication_context(request: HttpRequest, customer: Customer) -> dict:
    """The profile's "What they say" card: the latest interactions with their sentiment and topic (correctable by
        those who may label), and the customer's sentiment trend by month. Three queries at most: the interactions with
    their labels and readings, the topics, the trend."""
    from django.utils import timezone

    from customers.models import Interaction, Sentiment, Topic
    from insights import communication

    if not customer.profiling_consent:
        return {"not_profiled": True}
    latest = communication.annotated(Interaction.objects.filter(customer=customer).order_by("-occurred_at", "-pk"))
    latest = list(latest[: communication.RECENT_INTERACTIONS])
    topics = list(Topic.objects.all())
    months = communication.trend(customer, timezone.localdate())
    chart = communication.trend_chart(months) if len(months) > 1 else None
    return {
        "not_profiled": False,
        "no_model": not active_runs(["sentiment"])["sentiment"],
        "readings": communication.readings(latest, {t.slug: t.name for t in topics}),
        "sentiments": Sentiment.choices,
        "topics": [t for t in topics if t.is_active],
        "may_label": request.user.has_perm("customers.add_interactionlabel"),
        "months": months,
        "all_neutral": communication.all_neutral(months),
        "charts": {"sentiment-trend": chart} if chart else {},
        "trend_label": chart["label"] if chart else "",
        "verdicts": [note for note in active_verdicts(["sentiment"]).values() if note],
    }


def complaints_context(request: HttpRequest, rep) -> dict:
    """The worklist's "Recent complaints" section: a signal of its own (insights/communication.py), beside the
    revenue-at-risk ranking, so the two can be combined or weighed separately."""
    from django.utils import timezone

    from insights import communication, next_actions
    from insights.forms import SNOOZE_CHOICES, outcome_choices
    from insights.worklist import scope

    owner = request.GET.get("owner", "")
    owner = owner if owner == "none" or owner.isdigit() else ""
    today = timezone.localdate()
    complaints = communication.complaints(scope(rep, today, owner), today)
    # The lists the worklist view built for this request (its customers keep the action their row gives).
    work = getattr(request, "worklist", None)
    next_actions.suggest_for_complaints(complaints, work, request.user)
    return {
        "complaints": complaints,
        "team": work.team if work else False,  # owners are named on the team's worklist only (a rep's are all theirs)
        "days": communication.COMPLAINT_DAYS,
        "outcome_choices": outcome_choices(),
        "snooze_choices": SNOOZE_CHOICES,
    }


def next_actions_context(request: HttpRequest, viewer) -> dict | None:
    """The dashboards' "Next best actions" section, for those who may see what was suggested (managers): the share
    taken and whether the customer then ordered within 30 days (insights/dashboards/next_actions.py)."""
    if not viewer.has_perm("insights.view_suggestedaction"):
        return None
    from insights.dashboards.next_actions import OUTCOME_DAYS, taken_and_outcome

    return {"rows": taken_and_outcome(viewer), "days": OUTCOME_DAYS}
