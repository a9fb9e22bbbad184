"""The fault suite's tables and their sizes: every fault of issue 14 has a row, and the suite keeps at least 40.
Counts (2026-12-07): see ROWS below; `pytest tests/faults -q` runs them all, the slow ones with a real worker, Redis
server and gunicorn."""

from __future__ import annotations

from tests.faults import (
    test_broker_down,
    test_commands,
    test_concurrency_and_storage,
    test_export_formulas,
    test_input_files,
    test_inputs,
    test_lost_work,
    test_real_worker,
    test_web_database,
)

ROWS = {
    "bad input on the pages": len(test_inputs.ROWS) + 2,  # + signing in again after an expired session, + sign-out
    "bad import files": len(test_input_files.ROWS),
    "formula cells in exports": len(test_export_formulas.FORMULA_PREFIXES),
    "lost work": len(test_lost_work.LOST_WORK),
    "broker down": len(test_broker_down.BROKER_DOWN) + 1,  # + two relays at once
    "at the same time": len(test_concurrency_and_storage.CONCURRENT),
    "model storage": len(test_concurrency_and_storage.STORAGE),
    "commands": len(test_commands.COMMANDS) + 2,  # + no NaN, + exits non-zero
    "real processes (slow)": len(test_real_worker.REAL_PROCESSES) + 1,  # + the broker down then back
    "web server's database connection (slow)": len(test_web_database.ROWS),
}


def test_the_suite_has_at_least_40_rows():
    assert sum(ROWS.values()) >= 40, ROWS


def test_the_input_tables_name_each_row_once():
    names = [row.id for row in (*test_inputs.ROWS, *test_input_files.ROWS)]
    assert len(names) >= 30
    assert len(set(names)) == len(names)
