"""`import_interactions` with the optional sentiment and topic columns: stored as staff labels the sentiment model
learns from, a bad value refused with its line and column, nothing added twice by a second import."""

import pytest

from customers.models import ImportRun, InteractionLabel
from tests.customers.importing_helpers import import_file, write_csv
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

HEADER = "external_id,customer_id,occurred_at,kind,subject,body,user,sentiment,topic"


def test_sentiment_and_topic_columns_become_staff_labels(tmp_path, bob):
    CustomerFactory(external_id="C-1")
    path = write_csv(
        tmp_path,
        [
            HEADER,
            "T-1,C-1,2026-03-02 11:00,ticket,Late,The parcel is a week late.,bob,negative,delivery",
            "T-2,C-1,2026-03-03 11:00,email,Thanks,Lovely service.,,POSITIVE,Praise",
            "T-3,C-1,2026-03-04 11:00,call,Quote,Asked for a quote.,,,price",
            "T-4,C-1,2026-03-05 11:00,note,Nothing,No label here.,,,",
        ],
    )
    first = import_file(path, fmt="lodestar-interactions")
    second = import_file(path, fmt="lodestar-interactions")
    assert first.status == ImportRun.Status.SUCCEEDED, first.error
    labels = {
        label.interaction.external_id: (label.sentiment, label.topic.slug if label.topic else None, label.user)
        for label in InteractionLabel.objects.select_related("interaction", "topic", "user")
    }
    assert labels == {
        "T-1": ("negative", "delivery", bob),
        "T-2": ("positive", "praise", None),
        "T-3": ("", "price", None),
    }
    assert set(InteractionLabel.objects.values_list("source", flat=True)) == {"import"}
    assert (first.counts["labels_created"], second.counts["labels_created"]) == (3, 0)


def test_an_unknown_sentiment_or_topic_names_the_line_and_column(tmp_path):
    CustomerFactory(external_id="C-1")
    path = write_csv(
        tmp_path,
        [
            HEADER,
            "T-1,C-1,2026-03-02 11:00,ticket,Late,Late again.,,furious,delivery",
            "T-2,C-1,2026-03-02 11:00,ticket,Late,Late again.,,negative,weather",
        ],
    )
    run = import_file(path, fmt="lodestar-interactions")
    assert [(e["line"], e["column"]) for e in run.errors] == [(2, "sentiment"), (3, "topic")]
    assert "is not an active topic" in run.errors[1]["reason"]
    assert not InteractionLabel.objects.exists()


def test_a_file_without_the_label_columns_still_imports(tmp_path):
    CustomerFactory(external_id="C-1")
    path = write_csv(tmp_path, ["customer_id,occurred_at,kind", "C-1,2026-03-02 11:00,call"])
    run = import_file(path, fmt="lodestar-interactions")
    assert run.status == ImportRun.Status.SUCCEEDED, run.error
    assert run.counts["labels_created"] == 0
