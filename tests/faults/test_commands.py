"""Commands that cannot do what they are asked: one clear line naming the possible dates and exit code 1, never
a traceback or a NaN in the database."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from insights.models import ModelRun
from tests.faults.processes import (
    END,
    Row,
    running,
    table,
)


def _command_error(*args, **options) -> str:
    with pytest.raises(CommandError) as raised:
        call_command(*args, **options)
    return str(raised.value)


def _expect_one_line_naming_dates(message: str) -> None:
    assert "\n" not in message and "Traceback" not in message
    assert "as-of" in message and "2025-" in message, message


COMMANDS = (
    Row("evaluate demand too close to the end of the data",
        lambda: _command_error("evaluate", family="demand", as_of=END - dt.timedelta(days=20)),
        _expect_one_line_naming_dates),
    Row("evaluate before the first order",
        lambda: _command_error("evaluate", family="recommendations", as_of=dt.date(2000, 1, 1)),
        _expect_one_line_naming_dates),
    Row("evaluate after the last order",
        lambda: _command_error("evaluate", family="value", as_of=dt.date(2030, 1, 1)),
        _expect_one_line_naming_dates),
    Row("retrain of a family that cannot learn from the data",
        lambda: _command_error("retrain", family="churn", in_process=True, as_of=dt.date(2023, 1, 1)),
        _expect_one_line_naming_dates),
)  # fmt: skip


@table(*COMMANDS)
def test_a_command_error_is_one_line_naming_the_possible_dates(row: Row, demo):
    row.expect(row.act())
    assert not ModelRun.objects.filter(status__in=ModelRun.IN_FLIGHT).exists()


def test_a_retrain_on_data_that_ended_long_ago_stores_no_nan(demo):
    """No --as-of: today, long after the demo data ends."""
    call_command("retrain", family="value", in_process=True, verbosity=0)
    run = ModelRun.objects.get(family="value")
    assert run.status in ("succeeded", "held"), run.error
    with connection.cursor() as cursor:
        cursor.execute("SELECT metrics::text, baseline::text FROM insights_modelrun WHERE id = %s", [run.pk])
        assert "NaN" not in " ".join(cursor.fetchone())


def test_retrain_exits_non_zero_when_it_started_no_run(demo):
    alive = running("segments", worker="elsewhere:1", heartbeat_age=1)
    message = _command_error("retrain", family="segments", as_of=END)
    assert "not started" in message and "\n" not in message
    assert list(ModelRun.objects.values_list("pk", flat=True)) == [alive.pk]
