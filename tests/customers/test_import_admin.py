"""Importing from Django admin: upload, the task that imports, live progress and the report."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from customers.models import ImportRun, Order
from customers.tasks import import_uploaded_file
from tests.customers.importing_helpers import RETAIL_HEADER

pytestmark = pytest.mark.django_db

CSV = (
    RETAIL_HEADER
    + "\n536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26,2.55,17850,United Kingdom"
    + "\n536366,22633,HAND WARMER,six,2010-12-01 08:28,1.85,17850,United Kingdom\n"
).encode()


def _upload(client, content: bytes = CSV, name: str = "orders.csv"):
    return client.post(
        reverse("admin:customers_importrun_add"),
        {"upload": SimpleUploadedFile(name, content, content_type="text/csv"), "format": "online-retail"},
    )


def test_an_upload_queues_one_import_after_commit_and_shows_the_run(dana_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        response = _upload(dana_client)
    run = ImportRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:customers_importrun_change", args=[run.pk])
    assert run.status == ImportRun.Status.QUEUED
    assert run.file_name == "orders.csv"
    assert run.created_by.username == "dana"
    assert len(callbacks) == 1  # the task is queued only once the run is committed


def test_the_task_imports_the_uploaded_file_and_the_page_shows_the_report(dana_client):
    _upload(dana_client)
    run = ImportRun.objects.get()
    assert import_uploaded_file(run.pk) == f"import {run.pk} succeeded"
    assert Order.objects.filter(external_number="536365").exists()
    page = dana_client.get(reverse("admin:customers_importrun_change", args=[run.pk]))
    assert page.status_code == 200
    assert b"orders created" in page.content
    assert b"is not a whole number" in page.content


def test_a_redelivered_task_does_not_import_twice(dana_client):
    _upload(dana_client)
    run = ImportRun.objects.get()
    import_uploaded_file(run.pk)
    assert import_uploaded_file(run.pk) == f"import {run.pk} had already ended: succeeded"


def test_progress_is_served_as_json_while_it_runs(dana_client):
    _upload(dana_client)
    run = ImportRun.objects.get()
    page = dana_client.get(reverse("admin:customers_importrun_change", args=[run.pk]))
    assert b"import_progress.js" in page.content
    progress = dana_client.get(reverse("admin:customers_importrun_progress", args=[run.pk])).json()
    assert progress == {"status": "queued", "stage": "", "progress": 0.0, "rows_read": 0}


@override_settings(IMPORT_MAX_UPLOAD_BYTES=100)
def test_a_file_over_the_upload_limit_is_refused_with_the_limit(dana_client):
    response = _upload(dana_client)
    assert response.status_code == 200
    assert b"the limit is 100" in response.content
    assert not ImportRun.objects.exists()


def test_a_sales_rep_cannot_import(alice, alice_client):
    alice.is_staff = True
    alice.save()
    assert _upload(alice_client).status_code == 403
    assert not ImportRun.objects.exists()
