"""Fixtures of the process fault tables: the demo data, the broker down, a world for real worker processes."""

from __future__ import annotations

import socket

import pytest
from django.core.management import call_command

from crm import outbox
from tests.faults.inputs import World
from tests.faults.processes import (
    END,
    LOST_AFTER,
    stop,
)


@pytest.fixture
def demo(db):
    call_command("seed_demo", customers=150, seed=3, end=END.isoformat(), no_logins=True, verbosity=0)


@pytest.fixture
def broker_down(settings, monkeypatch):
    """The broker is a port nothing listens on (what a stopped Redis looks like), for the Celery app itself (its
    connections are closed, and made again from the environment) and for the outbox."""
    from celery import current_app

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("CELERY_BROKER_URL", f"redis://127.0.0.1:{port}/0")
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{port}/0"
    current_app.close()
    outbox._refused_at = None
    yield
    monkeypatch.undo()
    current_app.close()
    outbox._refused_at = None


@pytest.fixture
def worker_world(transactional_db, tmp_path, settings):
    """Demo data committed for a worker process, the broker emptied, the lost-worker limit short."""
    from crm.celery import app

    call_command("seed_demo", customers=150, seed=3, end=END.isoformat(), no_logins=True, verbosity=0)
    app.control.purge()
    settings.WORKER_LOST_AFTER_SECONDS = LOST_AFTER
    processes, locks = [], []
    yield {"tmp": tmp_path, "processes": processes, "locks": locks}
    for lock in locks:
        lock.release()
    for process in processes:
        stop(process)


@pytest.fixture
def world(tmp_path) -> World:
    """The bad-input tables' world (tests/faults/inputs.py), with Ada's external id for the interaction imports."""
    w = World(tmp_path)
    w.ada.external_id = "ADA"
    w.ada.save()
    return w
