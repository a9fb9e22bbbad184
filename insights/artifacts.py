"""Fitted models, saved with their run and loaded by any worker.

A model is pickled into the "models" storage (a folder by default, object storage in production: every worker on
every machine reads the same place) behind a one-line JSON header naming the format and the versions of the
libraries it was pickled with; the SHA-256 of the whole file is recorded on the run. Loading reads the bytes,
checks them against the database's checksum, then the header: a model saved under other versions of
scikit-learn, numpy or pandas is refused with a message saying so (retrain the family), never unpickled silently.
Loaded models are kept per process by their checksum, so a reused run id (SQLite reuses them) can never be handed
another run's model.
"""

from __future__ import annotations

import hashlib
import json
import pickle
from collections import OrderedDict
from importlib.metadata import version

from django.core.files.base import ContentFile

from insights.models import ModelRun

FORMAT = 1
LIBRARIES = ("scikit-learn", "numpy", "pandas", "scipy")
KEPT = 8  # models kept loaded per process
_loaded: OrderedDict[str, object] = OrderedDict()


class ArtifactError(Exception):
    """A run's model is missing, does not match its recorded checksum, or was saved under other versions."""


def versions() -> dict[str, str]:
    """The versions of the libraries a pickled model depends on, in this process."""
    return {name: version(name) for name in LIBRARIES}


def save(run: ModelRun, model: object) -> str:
    """Pickle `model` into the models storage beside `run` behind its header; returns the file's checksum."""
    header = json.dumps({"format": FORMAT, "family": run.family, "versions": versions()}).encode()
    payload = header + b"\n" + pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
    digest = hashlib.sha256(payload).hexdigest()
    run.artifact.save(f"{run.family}/run-{run.pk}-{digest[:12]}.pickle", ContentFile(payload), save=False)
    run.artifact_sha256 = digest
    ModelRun.objects.filter(pk=run.pk).update(artifact=run.artifact.name, artifact_sha256=digest)
    return digest


def load(run: ModelRun | int) -> object:
    """The model saved with `run` (a run or its id), checked against its recorded checksum and library versions."""
    run = ModelRun.objects.only("artifact", "artifact_sha256", "family").get(pk=getattr(run, "pk", run))
    if not run.artifact or not run.artifact_sha256:
        raise ArtifactError(f"{run} has no saved model.")
    digest = run.artifact_sha256
    if digest in _loaded:
        _loaded.move_to_end(digest)
        return _loaded[digest]
    with run.artifact.open("rb") as handle:
        payload = handle.read()
    if hashlib.sha256(payload).hexdigest() != digest:
        raise ArtifactError(f"The saved model of {run} does not match its checksum; it was not loaded.")
    header, _, body = payload.partition(b"\n")
    try:
        saved = json.loads(header)
    except ValueError:
        saved = {}
    if saved.get("format") != FORMAT:
        raise ArtifactError(f"The saved model of {run} is in an older format; retrain {run.family} to replace it.")
    if saved["versions"] != versions():
        differ = ", ".join(
            f"{name} {saved['versions'].get(name, '?')} (here {found})"
            for name, found in versions().items()
            if saved["versions"].get(name) != found
        )
        raise ArtifactError(
            f"The saved model of {run} was made with {differ}; it was not loaded. Retrain {run.family} to replace it."
        )
    model = pickle.loads(body)  # noqa: S301 - bytes verified against the checksum recorded by the trainer
    _loaded[digest] = model
    while len(_loaded) > KEPT:
        _loaded.popitem(last=False)
    return model


def forget_loaded() -> None:
    """Drop the models kept in this process (tests)."""
    _loaded.clear()
