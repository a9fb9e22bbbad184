"""Fitted models, saved with their run and loaded by any worker.

A model is pickled into the "models" storage (a folder by default, object storage in production: every worker
on every machine reads the same place), and its SHA-256 is recorded on the run. Loading reads the bytes, checks
them against the database's checksum before unpickling, and refuses anything else: a file replaced on disk is
never executed. Loaded models are kept per process, keyed by run, so re-scoring does not reload them.
"""

from __future__ import annotations

import hashlib
import pickle
from functools import lru_cache

from django.core.files.base import ContentFile

from insights.models import ModelRun


class ArtifactError(Exception):
    """A run's model is missing or does not match its recorded checksum."""


def save(run: ModelRun, model: object) -> str:
    """Pickle `model` into the models storage beside `run`; returns its checksum."""
    payload = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
    digest = hashlib.sha256(payload).hexdigest()
    run.artifact.save(f"{run.family}/run-{run.pk}.pickle", ContentFile(payload), save=False)
    run.artifact_sha256 = digest
    ModelRun.objects.filter(pk=run.pk).update(artifact=run.artifact.name, artifact_sha256=digest)
    return digest


@lru_cache(maxsize=16)
def load(run_id: int) -> object:
    """The model saved with run `run_id`, checked against its recorded checksum first."""
    run = ModelRun.objects.only("artifact", "artifact_sha256", "family").get(pk=run_id)
    if not run.artifact or not run.artifact_sha256:
        raise ArtifactError(f"{run} has no saved model.")
    with run.artifact.open("rb") as handle:
        payload = handle.read()
    if hashlib.sha256(payload).hexdigest() != run.artifact_sha256:
        raise ArtifactError(f"The saved model of {run} does not match its checksum; it was not loaded.")
    return pickle.loads(payload)  # noqa: S301 - bytes verified against the checksum recorded by the trainer
