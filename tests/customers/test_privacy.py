"""A customer's personal data: the export holds everything kept about them (profile, consents, tags, orders with
their lines, interactions, every score and segment of every kept run, recommendations) and is recorded; erasure
anonymises them, removes their free texts and the uploaded files that name them, redacts logs and export records,
and removes them from every kept run, active or not. Both are audited, and only for those allowed."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from auditlog.models import LogEntry
from django.contrib.admin.models import CHANGE
from django.contrib.admin.models import LogEntry as AdminLogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.urls import reverse

from customers.models import Customer, ExportRecord, ImportRun, Interaction, InteractionLabel, Order
from insights import publishing
from insights.models import ChurnScore, CustomerSegment, ModelRun
from recommendations.models import Recommendation
from tests.factories import (
    CustomerFactory,
    InteractionFactory,
    OrderFactory,
    OrderItemFactory,
    ProductFactory,
    TagFactory,
)

pytestmark = pytest.mark.django_db
AS_OF = dt.date(2026, 1, 1)


def _run(family: str, as_of=AS_OF) -> ModelRun:
    run = ModelRun.objects.create(family=family, as_of=as_of, status="running")
    publishing.publish(run)
    return run


def _segment(run, customer, name: str) -> None:
    CustomerSegment.objects.create(
        run=run, customer=customer, cluster=0, segment=name, rfm_r=3, rfm_f=3, rfm_m=3, rfm_segment="Loyal"
    )


@pytest.fixture
def grace(alice):
    """Alice's customer with everything a customer can have: tags, an order with two lines, a note, a segment in
    an older and in the active run, a churn score and a recommendation."""
    customer = CustomerFactory(
        owner=alice, name="Grace Hopper", email="grace@example.org", phone="+44 20 7946 0958",
        external_id="C-GRACE-1", company="Hopper & Co", city="Leeds", marketing_consent=True,
    )  # fmt: skip
    customer.tags.add(TagFactory(name="VIP"))
    order = OrderFactory(customer=customer, external_number="INV-1001")
    lamp = ProductFactory(sku="LAMP-1", name="Desk lamp")
    OrderItemFactory(order=order, line_number=1, product=lamp)
    OrderItemFactory(order=order, line_number=2)
    note = InteractionFactory(
        customer=customer, user=alice, kind="note", subject="Allergies", body="Grace is allergic to brass."
    )
    InteractionLabel.objects.create(interaction=note, sentiment="negative", user=alice)
    older = _run("segments", AS_OF - dt.timedelta(days=30))
    _segment(older, customer, "New and curious")
    active = _run("segments")
    _segment(active, customer, "Loyal regulars")
    ChurnScore.objects.create(run=_run("churn"), customer=customer, probability=0.2, band="low", factors=[])
    Recommendation.objects.create(
        run=_run("recommendations"), customer=customer, list="try_next", rank=1, product=lamp, score=0.9,
        component="item_item", reason_code="bought_together", reason_params={},
    )  # fmt: skip
    return customer


def test_the_export_holds_everything_kept_about_the_customer(charlie, charlie_client, grace):
    response = charlie_client.get(reverse("customers:export_data", args=[grace.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="customer-{grace.pk}-data.json"'
    data = json.loads(response.content)
    assert data["format"] == "lodestar-customer-data/1"
    assert data["customer"]["email"] == "grace@example.org" and data["customer"]["owner"] == "alice"
    assert data["consents"] == {"marketing": True, "profiling": True}
    assert data["tags"] == ["VIP"]
    [order] = data["orders"]
    assert order["number"] == "INV-1001" and [line["line"] for line in order["lines"]] == [1, 2]
    assert order["lines"][0]["sku"] == "LAMP-1"
    assert data["interactions"][0]["body"] == "Grace is allergic to brass."
    assert [label["sentiment"] for label in data["interactions"][0]["labels"]] == ["negative"]
    results = data["model_results"]
    segments = [(row["segment"], row["run"]["is_active"]) for row in results["segments"]]
    assert segments == [("New and curious", False), ("Loyal regulars", True)]
    assert results["churn"][0]["probability"] == 0.2
    assert results["recommendations"][0]["product__sku"] == "LAMP-1"


def test_the_export_is_recorded_and_audited(charlie, charlie_client, grace):
    charlie_client.get(reverse("customers:export_data", args=[grace.pk]))
    record = ExportRecord.objects.get()
    assert (record.kind, record.user, record.filters) == ("customer-data", charlie, {"customer": grace.pk})
    entry = LogEntry.objects.get_for_object(grace).get(additional_data__privacy="export")
    assert entry.actor == charlie


@pytest.mark.parametrize(("persona", "status"), [("alice", 403), ("bob", 404), ("anonymous", 302)])
def test_only_those_who_may_export_get_the_data(request, persona, status, grace):
    client = request.getfixturevalue(f"{persona}_client")
    assert client.get(reverse("customers:export_data", args=[grace.pk])).status_code == status
    assert not ExportRecord.objects.exists()


def test_the_profile_offers_the_buttons_to_those_allowed(alice_client, charlie_client, dana_client, grace):
    export = reverse("customers:export_data", args=[grace.pk])
    erase = reverse("customers:erase", args=[grace.pk])
    page = lambda client: client.get(reverse("customers:detail", args=[grace.pk])).text  # noqa: E731
    assert export not in page(alice_client) and erase not in page(alice_client)
    assert export in page(charlie_client) and erase not in page(charlie_client)
    assert export in page(dana_client) and erase in page(dana_client)


@pytest.fixture
def import_files(settings, tmp_path):
    """Two uploaded import files: one names grace (her email in a cell), one does not."""
    settings.MEDIA_ROOT = tmp_path / "media"
    naming = ImportRun.objects.create(format="lodestar-customers", file_name="customers.csv", errors=[
        {"line": 3, "column": "email", "value": "grace@example.org", "reason": "duplicate"},
        {"line": 4, "column": "email", "value": "other@example.org", "reason": "duplicate"}])  # fmt: skip
    rows = b"external_id,name,email\nC-9,Ada,ada@example.org\nC-10,G H,GRACE@example.org\n"
    naming.upload.save("customers.csv", ContentFile(rows))
    other = ImportRun.objects.create(format="lodestar-customers", file_name="others.csv")
    other.upload.save("others.csv", ContentFile(b"external_id,name,email\nC-9,Ada,ada@example.org\n"))
    return naming, other


def _erase(client, customer):
    return client.post(reverse("customers:erase", args=[customer.pk]), {"confirm": "yes"})


def test_erasure_anonymises_the_customer_and_removes_their_free_texts(dana_client, grace):
    response = _erase(dana_client, grace)
    assert response.status_code == 302
    grace.refresh_from_db()
    assert grace.name == f"Erased customer #{grace.pk}"
    assert (grace.email, grace.phone, grace.external_id, grace.company, grace.city) == ("", "", "", "", "")
    assert not grace.marketing_consent and not grace.profiling_consent
    assert not grace.tags.exists()
    note = Interaction.objects.get(customer=grace)
    assert (note.kind, note.subject, note.body) == ("note", "", "")
    assert Order.objects.get(customer=grace).items.count() == 2  # sales figures unchanged


def test_erasure_removes_them_from_every_kept_run_active_or_not(dana_client, grace):
    _erase(dana_client, grace)
    assert not CustomerSegment.objects.filter(customer=grace).exists()  # the older run's row too
    assert not ChurnScore.objects.filter(customer=grace).exists()
    assert not Recommendation.objects.filter(customer=grace).exists()


def test_erasure_deletes_the_import_files_that_name_them(
    dana_client, grace, import_files, django_capture_on_commit_callbacks
):
    naming, other = import_files
    path = naming.upload.path
    with django_capture_on_commit_callbacks(execute=True):  # the files go once the erasure has committed
        _erase(dana_client, grace)
    naming.refresh_from_db()
    other.refresh_from_db()
    assert not naming.upload and other.upload
    import os

    assert not os.path.exists(path) and os.path.exists(other.upload.path)
    assert [e["value"] for e in naming.errors] == ["[erased]", "other@example.org"]


def test_erasure_redacts_logs_and_export_records(dana, dana_client, charlie_client, grace):
    AdminLogEntry.objects.log_actions(dana.pk, [grace], CHANGE, change_message='[{"changed": {"fields": ["Email"]}}]')
    charlie_client.get(reverse("customers:list"), {"q": "Grace Hopper"})
    ExportRecord.objects.create(kind="customers", user=dana, filters={"q": "grace hopper", "country": "UK"})
    dana_client.get(reverse("customers:detail", args=[grace.pk]))
    _erase(dana_client, grace)
    admin_entry = AdminLogEntry.objects.get(content_type=ContentType.objects.get_for_model(Customer))
    assert admin_entry.object_repr == f"Erased customer #{grace.pk}"
    trail = " ".join(
        f"{e.object_repr} {e.changes} {e.changes_text} {e.serialized_data}" for e in LogEntry.objects.all()
    ).casefold()
    for value in ("grace hopper", "grace@example.org", "c-grace-1", "allergic to brass", "7946"):
        assert value not in trail
    assert ExportRecord.objects.get(kind="customers").filters == {"q": "[erased]", "country": "UK"}


def test_erasure_is_audited_without_the_erased_values(dana, dana_client, grace):
    _erase(dana_client, grace)
    entry = LogEntry.objects.get_for_object(grace).get(additional_data__privacy="erasure")
    assert entry.actor == dana
    assert entry.additional_data["interactions"] == 1
    assert "Grace" not in json.dumps(entry.changes)


def test_erasure_needs_the_confirmation(dana_client, grace):
    response = dana_client.post(reverse("customers:erase", args=[grace.pk]), {})
    assert response.status_code == 200 and "Tick the box to confirm" in response.text
    grace.refresh_from_db()
    assert grace.name == "Grace Hopper"


@pytest.mark.parametrize(("persona", "status"), [("alice", 403), ("charlie", 403), ("bob", 404)])
def test_only_admins_erase(request, persona, status, grace):
    client = request.getfixturevalue(f"{persona}_client")
    assert _erase(client, grace).status_code == status
    grace.refresh_from_db()
    assert grace.name == "Grace Hopper"
