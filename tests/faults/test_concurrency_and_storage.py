"""At the same time (a double-submitted retrain or import, two admins re-activating runs) and a model storage
that fails (unwritable, a full disk): one run, one import, one active run; a failed run leaves the published
one in place."""

from __future__ import annotations

import errno

import pytest
from django.core.files.storage import FileSystemStorage
from django.urls import reverse

from crm.models import OutboxMessage
from customers.models import ImportRun, Order
from insights import publishing, runs
from insights.models import CustomerSegment, ModelRun
from tests.faults.processes import (
    END,
    Row,
    active,
    admin_upload,
    in_parallel,
    staging_tables,
    table,
)


def _double_retrain(ctx):
    clients = [ctx["dana_client"], ctx["other_admin_client"]]
    return in_parallel(*(lambda c=c: c.post(reverse("admin:insights_modelrun_retrain"), {"family": "churn"})
                          for c in clients))  # fmt: skip


def _expect_one_run(ctx, answers):
    assert [a.status_code for a in answers] == [302, 302], answers
    assert ModelRun.objects.filter(family="churn").count() == 1
    assert OutboxMessage.objects.filter(task="insights.tasks.train").count() == 1


def _double_import(ctx):
    admin_upload(ctx)
    admin_upload(ctx)
    from customers.tasks import import_uploaded_file

    ids = ImportRun.objects.values_list("pk", flat=True)
    return in_parallel(*(lambda pk=pk: import_uploaded_file(pk) for pk in ids))


def _expect_imported_once(ctx, answers):
    assert all(isinstance(a, str) and a.endswith("succeeded") for a in answers), answers
    assert Order.objects.count() == 300
    assert not staging_tables()


def _two_reactivations(ctx):
    first, second = (
        ModelRun.objects.create(family="segments", status="superseded", as_of=END, winner="model") for _ in range(2)
    )
    ctx["runs"] = {first.pk, second.pk}
    url = reverse("admin:insights_modelrun_changelist")
    pairs = [(ctx["dana_client"], first.pk), (ctx["other_admin_client"], second.pk)]
    return in_parallel(*(lambda c=c, pk=pk: c.post(url, {"action": "reactivate", "_selected_action": [pk]})
                          for c, pk in pairs))  # fmt: skip


def _expect_one_active(ctx, answers):
    assert [a.status_code for a in answers] == [302, 302], answers
    active = list(ModelRun.objects.filter(family="segments", is_active=True).values_list("pk", flat=True))
    assert len(active) == 1 and active[0] in ctx["runs"]


CONCURRENT = (
    Row("a double-submitted retrain", _double_retrain, _expect_one_run),
    Row("a double-submitted import", _double_import, _expect_imported_once),
    Row("two admins re-activating runs at once", _two_reactivations, _expect_one_active),
)


@table(*CONCURRENT)
@pytest.mark.django_db(transaction=True)
def test_at_the_same_time(row: Row, dana, dana_client, broker_down):
    from crm import roles
    from tests.conftest import _client_for, _member

    other = _member("erin", roles.ADMIN, is_staff=True)
    ctx = {"dana_client": dana_client, "other_admin_client": _client_for(other)}
    row.expect(ctx, row.act(ctx))


class _FullDisk(FileSystemStorage):
    def _save(self, name, content):
        raise OSError(errno.ENOSPC, "No space left on device")


def _unwritable(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("models cannot go under a file")
    return FileSystemStorage(location=blocker / "models")


STORAGE = (
    Row("an unwritable model storage", _unwritable, lambda error: "NotADirectoryError" in error),
    Row("a full disk", lambda tmp_path: _FullDisk(location=tmp_path / "full"), lambda error: "No space left" in error),
)


@table(*STORAGE)
def test_a_model_storage_that_fails(row: Row, demo, tmp_path):
    before = active("segments")
    field = ModelRun._meta.get_field("artifact")
    original, field.storage = field.storage, row.act(tmp_path)
    try:
        run = runs.execute_run(runs.request_run("segments", as_of=END).pk)
    finally:
        field.storage = original
    assert run.status == "failed" and row.expect(run.error), run.error
    assert not run.artifact_sha256 and not CustomerSegment.objects.filter(run=run).exists()
    assert publishing.active_run_id("segments") == before.pk
    assert runs.request_run("segments", as_of=END).status == "queued"
