"""Between retrains: a new or edited interaction is classified (sentiment and topic) with the active sentiment run's
saved model once it commits (queued by tasks.queue_classify). Only that interaction's row of the active run changes;
an interaction of a customer who withdrew profiling consent is not scored, and any row it had is removed."""

from __future__ import annotations

import logging

from django.db import transaction

from customers.models import Interaction
from insights import artifacts
from insights.models import InteractionSentiment, ModelRun
from insights.publishing import active_run_id

log = logging.getLogger(__name__)


def classify_interactions(interaction_ids: list[int]) -> str:
    """Classify the given interactions with the active sentiment model; returns what happened, in words."""
    from insights.families.sentiment import classify, load_data

    run_id = active_run_id("sentiment")
    if not run_id:
        return "no sentiment run is active yet"
    ids = [int(pk) for pk in interaction_ids]
    data = load_data(None, ids=ids, with_labels=False)  # profiled customers' interactions only
    rows = classify(artifacts.load(ModelRun.objects.get(pk=run_id)), data.texts)
    with transaction.atomic():
        # Removed too: interactions now empty, deleted, or of a customer who opted out meanwhile. The interactions
        # and their customers are locked while their rows are written (result rows carry no foreign-key constraint):
        # one deleted, or whose customer was erased or opted out, after they were read is left out, not written back.
        still = Interaction.objects.select_for_update(no_key=True).filter(pk__in=ids, customer__profiling_consent=True)
        kept = set(still.order_by("pk").values_list("pk", flat=True))
        InteractionSentiment.objects.filter(run_id=run_id, interaction_id__in=ids).delete()
        InteractionSentiment.objects.bulk_create(
            InteractionSentiment(run_id=run_id, **row)
            for row in rows.to_dict("records")
            if row["interaction_id"] in kept
        )
    return f"classified {len(rows)} of {len(ids)} interactions with run {run_id}"
